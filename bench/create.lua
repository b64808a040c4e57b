-- wrk: create tickets through the REST API with a Bearer token.
local token = os.getenv("SD_TOKEN")
local types = {"complaint", "incident", "information_request", "change_request", "observation"}
local impacts = {"not_critical", "critical", "loss_of_functionality"}
local crits = {"low", "medium", "high"}
local n = 0
request = function()
  n = n + 1
  local body = string.format(
    '{"type":"%s","subject":"Bench ticket %d","description":"Created by wrk","impact":"%s","criticality":"%s"}',
    types[n % 5 + 1], n, impacts[n % 3 + 1], crits[math.floor(n / 3) % 3 + 1])
  return wrk.format("POST", "/api/v1/tickets",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end

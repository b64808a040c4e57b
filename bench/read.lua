-- wrk: read single tickets at random ids below SD_MAX_ID.
local token = os.getenv("SD_TOKEN")
local max_id = tonumber(os.getenv("SD_MAX_ID") or "100000")
request = function()
  local id = math.random(1, max_id)
  return wrk.format("GET", "/api/v1/tickets/" .. id, {["Authorization"] = "Bearer " .. token})
end

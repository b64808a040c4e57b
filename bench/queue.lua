-- wrk: an agent's queue page: open tickets of one support level, most urgent
-- first, 50 at a time, walking a few pages by cursor.
local token = os.getenv("SD_TOKEN")
local queries = {
  "/api/v1/tickets?status=open&support_level=2&sort=-priority&limit=50",
  "/api/v1/tickets?status=open&sort=-updated_at&limit=50",
  "/api/v1/tickets?status=new,assigned&group_id=1&sort=-priority&limit=50",
  "/api/v1/tickets?assignee_id=none&status=new&sort=-created_at&limit=50",
}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", queries[n % #queries + 1], {["Authorization"] = "Bearer " .. token})
end

-- A burst of sign-ups against a handful of activities: each request a different volunteer
-- (tokens minted by seed-bench), round robin over the activities, no volunteer twice on one.
-- args: <file of tokens> <file of activity ids> <how many activities>
local tokens, activities = {}, {}
local counter, stride, offset = 0, 1, 0
local threads = {}

function setup(thread)
  thread:set("offset", #threads)
  threads[#threads + 1] = thread
end

function init(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
  local n = tonumber(args[3])
  for line in io.lines(args[2]) do
    if #activities < n then activities[#activities + 1] = line end
  end
  offset = tonumber(wrk.thread:get("offset")) or 0
  stride = 2
end

function request()
  local i = counter * stride + offset
  counter = counter + 1
  local token = tokens[(i % #tokens) + 1]
  local activity = activities[(math.floor(i / #tokens) % #activities) + 1]
  return wrk.format("POST", "/api/v1/activities/" .. activity .. "/signups",
    { ["Authorization"] = "Bearer " .. token })
end

done = dofile(os.getenv("BENCH_DIR") .. "/report.lua")

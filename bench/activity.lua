-- GET /api/v1/activities/{id} for random published activities, anonymously.
-- args: <file of activity ids>
local ids = {}

function init(args)
  for line in io.lines(args[1]) do ids[#ids + 1] = line end
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

function request()
  return wrk.format("GET", "/api/v1/activities/" .. ids[math.random(#ids)])
end

done = dofile(os.getenv("BENCH_DIR") .. "/report.lua")

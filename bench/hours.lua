-- GET /api/v1/volunteers/{id}/hours for random seeded volunteers.
-- args: <access token> <file of volunteer ids>
local ids, token = {}, nil

function init(args)
  token = args[1]
  for line in io.lines(args[2]) do ids[#ids + 1] = line end
  math.randomseed(os.time() + #ids + math.floor(os.clock() * 1e6))
end

function request()
  local id = ids[math.random(#ids)]
  return wrk.format("GET", "/api/v1/volunteers/" .. id .. "/hours", { ["Authorization"] = "Bearer " .. token })
end

done = dofile(os.getenv("BENCH_DIR") .. "/report.lua")

-- GET /api/v1/verify/certificates/{number} for random issued certificates, anonymously.
-- args: <file of certificate numbers>
local numbers = {}

function init(args)
  for line in io.lines(args[1]) do numbers[#numbers + 1] = line end
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

function request()
  return wrk.format("GET", "/api/v1/verify/certificates/" .. numbers[math.random(#numbers)])
end

done = dofile(os.getenv("BENCH_DIR") .. "/report.lua")

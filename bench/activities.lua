-- GET /api/v1/activities: a random page among the first 50, 20 per page, anonymously, with an
-- optional query suffix (filters).
-- args: <query suffix>
local suffix = ""

function init(args)
  suffix = args[1] or ""
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

function request()
  return wrk.format("GET", "/api/v1/activities?per_page=20&page=" .. math.random(50) .. suffix)
end

done = dofile(os.getenv("BENCH_DIR") .. "/report.lua")

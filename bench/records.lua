-- GET /api/v1/service-records: the admin listing, a random page among the first 50,
-- optionally with a query suffix (e.g. "&status=pending").
-- args: <access token> <query suffix>
local token, suffix = nil, ""

function init(args)
  token = args[1]
  suffix = args[2] or ""
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

function request()
  local path = "/api/v1/service-records?per_page=20&page=" .. math.random(50) .. suffix
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end

done = dofile(os.getenv("BENCH_DIR") .. "/report.lua")

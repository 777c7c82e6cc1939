-- GET one path with a bearer token.
-- args: <access token> <path>
local token, path = nil, nil

function init(args)
  token = args[1]
  path = args[2]
end

function request()
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end

done = dofile(os.getenv("BENCH_DIR") .. "/report.lua")

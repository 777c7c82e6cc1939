-- The request wrk is given on its command line, each from one of N client addresses (default
-- 10 000) named in X-Forwarded-For: many clients, as a city's are, rather than one that a
-- per-address limit would refuse. The server must run with ZHIYUAN_TRUST_FORWARDED=true.
-- args: [N]
local pool = 10000

function init(args)
  if args[1] then pool = tonumber(args[1]) end
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

function request()
  local n = math.random(pool)
  local address = string.format("10.%d.%d.%d",
    math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
  return wrk.format(nil, nil, { ["X-Forwarded-For"] = address })
end

done = dofile(os.getenv("BENCH_DIR") .. "/report.lua")

#!/usr/bin/env bash
# Hours benchmark: seeds a city (100 000 volunteers, 500 organisations) with 100 000 and then
# 1 000 000 service records, serves it, and drives GET /volunteers/{id}/hours and the admin
# record listing with wrk over loopback. Prints req/s, p50/p99 and the server's peak memory.
#
#   bash bench/hours.sh                      # SQLite
#   BACKEND=postgres bash bench/hours.sh     # PostgreSQL at $PG_SERVER (default local)
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND=${BACKEND:-sqlite}
PG_SERVER=${PG_SERVER:-postgres://postgres@127.0.0.1:5432}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
RECORD_COUNTS=${RECORD_COUNTS:-"100000 1000000"}
PORT=${PORT:-18090}
export BENCH_DIR=$PWD/bench
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }

cargo build --release --quiet
bin=$PWD/target/release/zhiyuan
work=$PWD/target/bench
mkdir -p "$work"

for records in $RECORD_COUNTS; do
  dir=$work/hours-$BACKEND-$records
  rm -rf "$dir" && mkdir -p "$dir"
  if [ "$BACKEND" = postgres ]; then
    db=zy_bench_hours_$records
    psql "$PG_SERVER/postgres" -qc "DROP DATABASE IF EXISTS $db" -qc "CREATE DATABASE $db" >/dev/null
    url=$PG_SERVER/$db
  else
    url=sqlite://$dir/bench.db
  fi
  export DATABASE_URL=$url ZHIYUAN_DATA_DIR=$dir/data ZHIYUAN_LOG=warn ZHIYUAN_ACCESS_TOKEN_TTL_SECS=3600
  "$bin" seed-bench --volunteers 100000 --teams 500 --records "$records" --ids-out "$dir/ids.txt" 2>/dev/null

  ZHIYUAN_BIND=127.0.0.1:$PORT "$bin" serve 2>"$dir/server.log" &
  pid=$!
  trap 'kill $pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
  token=$(curl -fs -X POST "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"login":"bench-admin","password":"bench-password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  team=$(sed -n 1p "$dir/ids.txt" >/dev/null; curl -fs "http://127.0.0.1:$PORT/api/v1/teams?kind=service_team&per_page=1" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')

  run() {
    local name=$1; shift
    local line
    line=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" | grep '^RESULT')
    printf '%-8s %-9s %-34s %s\n' "$BACKEND" "$records" "$name" "${line#RESULT }"
    # Requests cut off when wrk stops may still hold the database for a while.
    sleep 5
  }
  # Warm the caches once, then measure.
  wrk -t1 -c8 -d2s -s bench/hours.lua "http://127.0.0.1:$PORT" -- "$token" "$dir/ids.txt" >/dev/null
  run "GET /volunteers/{id}/hours" -s bench/hours.lua "http://127.0.0.1:$PORT" -- "$token" "$dir/ids.txt"
  run "GET /service-records?team_id" -s bench/records.lua "http://127.0.0.1:$PORT" -- "$token" "&team_id=$team"
  run "GET /service-records (all)" -s bench/records.lua "http://127.0.0.1:$PORT" -- "$token" ""
  printf '%-8s %-9s %-34s %s\n' "$BACKEND" "$records" "server peak memory" "$(grep VmHWM /proc/$pid/status | awk '{print $2/1024 " MiB"}')"
  kill $pid; wait $pid 2>/dev/null || true
  trap - EXIT
done

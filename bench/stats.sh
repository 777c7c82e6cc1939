#!/usr/bin/env bash
# Statistics and exports benchmark (issue 13): seeds 10 000 volunteers with 100 000 service
# records, then 100 000 volunteers with 1 000 000 (500 organisations, 5 000 activities, one
# campaign with a third of the teams reported), and in the same run as the baseline of
# ../shared/bench/baseline measures:
#   - a full CSV export of the ledger (rows/s, server peak memory), and an XLSX one at 100k;
#   - GET /stats/overview, GET /campaigns/{id}/stats and the unfiltered GET /service-records
#     page (random page among the first 50, 20 per page, with its total) against /list.
#
#   bash bench/stats.sh                      # SQLite
#   BACKEND=postgres bash bench/stats.sh     # PostgreSQL at $PG_SERVER (default local)
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND=${BACKEND:-sqlite}
PG_SERVER=${PG_SERVER:-postgres://postgres@127.0.0.1:5432}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
SIZES=${SIZES:-"10000:100000 100000:1000000"}
PORT=${PORT:-18093}
BASE_PORT=${BASE_PORT:-18094}
BASELINE=${BASELINE:-../shared/bench/baseline}
export BENCH_DIR=$PWD/bench
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }

cargo build --release --quiet
cargo build --release --quiet --manifest-path "$BASELINE/actix/Cargo.toml" --target-dir target/baseline
bin=$PWD/target/release/zhiyuan
work=$PWD/target/bench
mkdir -p "$work"

if [ "$BACKEND" = postgres ]; then
  psql "$PG_SERVER/postgres" -qc "DROP DATABASE IF EXISTS bench" -qc "CREATE DATABASE bench" >/dev/null
  psql "$PG_SERVER/bench" -q -f "$BASELINE/sql/pg_seed.sql" >/dev/null
  base_env=(PG_URL="$PG_SERVER/bench" SQLITE_PATH=) base_list=/list
else
  rm -f "$work/stats-baseline.sqlite"
  sqlite3 "$work/stats-baseline.sqlite" < "$BASELINE/sql/sqlite_seed.sql" >/dev/null
  base_env=(PG_URL= SQLITE_PATH="$work/stats-baseline.sqlite") base_list=/sqlite/list
fi
env "${base_env[@]}" BIND=127.0.0.1:$BASE_PORT target/baseline/release/baseline-actix >/dev/null 2>&1 &
base_pid=$!
pid=
trap 'kill $base_pid $pid 2>/dev/null || true' EXIT

line() { printf '%-8s %-9s %-38s %s\n' "$BACKEND" "$records" "$1" "$2"; }
peak() { grep VmHWM "/proc/$pid/status" | awk '{printf "%.0f MiB", $2/1024}'; }
declare -A p50 rps
run() {
  local name=$1; shift
  local result
  result=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" | grep '^RESULT')
  rps[$name/$records]=$(sed -E 's/.*rps=([0-9]+).*/\1/' <<<"$result")
  p50[$name/$records]=$(sed -E 's/.*p50_ms=([0-9.]+).*/\1/' <<<"$result")
  line "$name" "${result#RESULT }"
  # Requests cut off when wrk stops may still hold the database for a while.
  sleep 3
}
# Downloads an export; prints rows/s and the server's peak memory so far.
export_run() {
  local name=$1 path=$2 rows=$3
  local started ended bytes
  started=$(date +%s.%N)
  bytes=$(curl -fs -o "$dir/export.out" -w '%{size_download}' -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT$path")
  ended=$(date +%s.%N)
  line "$name" "$(python3 -c "print(f'rows={$rows} seconds={$ended - $started:.1f} rows_per_s={$rows / ($ended - $started):.0f} bytes={$bytes}')") peak=$(peak)"
}

for size in $SIZES; do
  volunteers=${size%%:*} records=${size##*:}
  dir=$work/stats-$BACKEND-$records
  rm -rf "$dir" && mkdir -p "$dir"
  if [ "$BACKEND" = postgres ]; then
    db=zy_bench_stats_$records
    psql "$PG_SERVER/postgres" -qc "DROP DATABASE IF EXISTS $db" -qc "CREATE DATABASE $db" >/dev/null
    url=$PG_SERVER/$db
  else
    url=sqlite://$dir/bench.db
  fi
  export DATABASE_URL=$url ZHIYUAN_DATA_DIR=$dir/data ZHIYUAN_LOG=warn ZHIYUAN_ACCESS_TOKEN_TTL_SECS=3600
  "$bin" seed-bench --volunteers "$volunteers" --teams 500 --records "$records" --activities 5000 2>/dev/null \
    | sed "s/^/$BACKEND   $records   /"

  ZHIYUAN_BIND=127.0.0.1:$PORT "$bin" serve 2>"$dir/server.log" &
  pid=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
  token=$(curl -fs -X POST "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"login":"bench-admin","password":"bench-password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  campaign=$(curl -fs -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT/api/v1/campaigns?per_page=1" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')

  line "server memory after start" "$(peak)"
  # Exports first, so that the peak read after each is the export's.
  export_run "CSV export, all records" "/api/v1/exports/service-records?format=csv" "$records"
  if [ "$records" -le 100000 ]; then
    export_run "XLSX export, all records" "/api/v1/exports/service-records?format=xlsx" "$records"
  fi

  # Warm the caches once, then measure.
  wrk -t1 -c8 -d2s -s bench/records.lua "http://127.0.0.1:$PORT" -- "$token" "" >/dev/null
  run "baseline $base_list" -s bench/plain.lua "http://127.0.0.1:$BASE_PORT$base_list"
  run "GET /service-records (all)" -s bench/records.lua "http://127.0.0.1:$PORT" -- "$token" ""
  run "GET /stats/overview" -s bench/authed.lua "http://127.0.0.1:$PORT" -- "$token" "/api/v1/stats/overview"
  run "GET /campaigns/{id}/stats" -s bench/authed.lua "http://127.0.0.1:$PORT" -- "$token" "/api/v1/campaigns/$campaign/stats"
  line "server peak memory" "$(peak)"
  line "records page ÷ baseline list" \
    "$(python3 -c "print(f'{${rps[GET /service-records (all)/$records]} / ${rps[baseline $base_list/$records]}:.2f}')")"
  kill $pid; wait $pid 2>/dev/null || true
  pid=
done

set -- $SIZES
if [ $# -eq 2 ]; then
  small=${1##*:} large=${2##*:}
  for name in "GET /service-records (all)" "GET /stats/overview" "GET /campaigns/{id}/stats"; do
    printf '%-8s %-9s %-38s %s\n' "$BACKEND" "$large/$small" "median ratio $name" \
      "$(python3 -c "print(f'{${p50[$name/$large]} / ${p50[$name/$small]}:.2f}')")"
  done
fi

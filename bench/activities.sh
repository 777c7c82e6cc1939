#!/usr/bin/env bash
# Activities benchmark, in the same run as the bare actix-web + diesel baseline of
# ../shared/bench/baseline: GET /activities/{id} against the baseline's /db, GET /activities
# (page of 20, with its total) against its /list, and a burst of sign-ups. Prints req/s,
# p50/p99, the ratio to the baseline and the server's peak memory.
#
#   bash bench/activities.sh                     # SQLite
#   BACKEND=postgres bash bench/activities.sh    # PostgreSQL
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND=${BACKEND:-sqlite}
PG_SERVER=${PG_SERVER:-postgres://postgres@127.0.0.1:5432}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
PORT=${PORT:-18091}
BASE_PORT=${BASE_PORT:-18092}
BASELINE=${BASELINE:-../shared/bench/baseline}
export BENCH_DIR=$PWD/bench
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }

cargo build --release --quiet
cargo build --release --quiet --manifest-path "$BASELINE/actix/Cargo.toml" --target-dir target/baseline
bin=$PWD/target/release/zhiyuan
dir=$PWD/target/bench/activities-$BACKEND
rm -rf "$dir" && mkdir -p "$dir"

# The baseline's own data: 10 000 rows, on the same backend.
if [ "$BACKEND" = postgres ]; then
  psql "$PG_SERVER/postgres" -qc "DROP DATABASE IF EXISTS bench" -qc "CREATE DATABASE bench" >/dev/null
  psql "$PG_SERVER/bench" -q -f "$BASELINE/sql/pg_seed.sql" >/dev/null
  base_env=(PG_URL="$PG_SERVER/bench" SQLITE_PATH=) base_db=/db base_list=/list
  db=zy_bench_activities
  psql "$PG_SERVER/postgres" -qc "DROP DATABASE IF EXISTS $db" -qc "CREATE DATABASE $db" >/dev/null
  url=$PG_SERVER/$db
else
  sqlite3 "$dir/baseline.sqlite" < "$BASELINE/sql/sqlite_seed.sql" >/dev/null
  base_env=(PG_URL= SQLITE_PATH="$dir/baseline.sqlite") base_db=/sqlite/db base_list=/sqlite/list
  url=sqlite://$dir/bench.db
fi

export DATABASE_URL=$url ZHIYUAN_DATA_DIR=$dir/data ZHIYUAN_LOG=warn ZHIYUAN_ACCESS_TOKEN_TTL_SECS=3600
"$bin" seed-bench --volunteers 20000 --teams 500 --records 0 --activities 5000 \
  --activity-ids-out "$dir/activities.txt" --tokens 20000 --tokens-out "$dir/tokens.txt" 2>/dev/null

env "${base_env[@]}" BIND=127.0.0.1:$BASE_PORT target/baseline/release/baseline-actix >/dev/null 2>&1 &
base_pid=$!
ZHIYUAN_BIND=127.0.0.1:$PORT "$bin" serve 2>"$dir/server.log" &
pid=$!
trap 'kill $pid $base_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && curl -fs "http://127.0.0.1:$BASE_PORT$base_db" >/dev/null && break
  sleep 0.1
done

declare -A rps
run() {
  local name=$1; shift
  local line
  line=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" | grep '^RESULT')
  rps[$name]=$(sed -E 's/.*rps=([0-9]+).*/\1/' <<<"$line")
  printf '%-8s %-40s %s\n' "$BACKEND" "$name" "${line#RESULT }"
  sleep 3
}
town=$(python3 -c 'import urllib.parse; print(urllib.parse.quote("台城街道"))')
run "baseline $base_db" -s bench/plain.lua "http://127.0.0.1:$BASE_PORT$base_db"
run "baseline $base_list" -s bench/plain.lua "http://127.0.0.1:$BASE_PORT$base_list"
run "GET /activities/{id}" -s bench/activity.lua "http://127.0.0.1:$PORT" -- "$dir/activities.txt"
run "GET /activities" -s bench/activities.lua "http://127.0.0.1:$PORT" -- ""
run "GET /activities?town&category&has_seats" -s bench/activities.lua "http://127.0.0.1:$PORT" -- "&town=$town&category=publicity&has_seats=true"
run "POST /activities/{id}/signups (5 activities)" -s bench/signups.lua "http://127.0.0.1:$PORT" -- "$dir/tokens.txt" "$dir/activities.txt" 5
printf '%-8s %-40s %s\n' "$BACKEND" "server peak memory" "$(grep VmHWM /proc/$pid/status | awk '{print $2/1024 " MiB"}')"
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
printf '%-8s %-40s %s\n' "$BACKEND" "detail ÷ baseline db" "$(ratio "${rps[GET /activities/{id}]}" "${rps[baseline $base_db]}")"
printf '%-8s %-40s %s\n' "$BACKEND" "list ÷ baseline list" "$(ratio "${rps[GET /activities]}" "${rps[baseline $base_list]}")"
DATABASE_URL=$url "$bin" verify-totals 2>/dev/null | tail -n 1

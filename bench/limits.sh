#!/usr/bin/env bash
# What counting a rate limit costs a request, and where: the public verify look-up of an unknown
# certificate number (one indexed read, 404) with its per-address limit off, counted in the
# database, and counted in Redis, at the default limit (120 a minute per address) from 10 000
# client addresses (bench/addresses.lua), so every look-up is counted and none refused. The
# baseline's /db runs in the same rounds (../shared/bench/baseline).
#
#   bash bench/limits.sh                     # SQLite
#   BACKEND=postgres bash bench/limits.sh    # PostgreSQL
#
# Redis is asked at REDIS_URL (default redis://127.0.0.1:6379/14); it must be running.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND=${BACKEND:-sqlite}
PG_SERVER=${PG_SERVER:-postgres://postgres@127.0.0.1:5432}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/14}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
PORT=${PORT:-18095}
BASE_PORT=${BASE_PORT:-18096}
BASELINE=${BASELINE:-../shared/bench/baseline}
export BENCH_DIR=$PWD/bench
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }

cargo build --release --quiet
cargo build --release --quiet --manifest-path "$BASELINE/actix/Cargo.toml" --target-dir target/baseline
bin=$PWD/target/release/zhiyuan
dir=$PWD/target/bench/limits-$BACKEND
rm -rf "$dir" && mkdir -p "$dir"

if [ "$BACKEND" = postgres ]; then
  psql "$PG_SERVER/postgres" -qc "DROP DATABASE IF EXISTS bench" -qc "CREATE DATABASE bench" >/dev/null
  psql "$PG_SERVER/bench" -q -f "$BASELINE/sql/pg_seed.sql" >/dev/null
  base_env=(PG_URL="$PG_SERVER/bench" SQLITE_PATH=) base_db=/db
  db=zy_bench_limits
  psql "$PG_SERVER/postgres" -qc "DROP DATABASE IF EXISTS $db" -qc "CREATE DATABASE $db" >/dev/null
  url=$PG_SERVER/$db
else
  sqlite3 "$dir/baseline.sqlite" < "$BASELINE/sql/sqlite_seed.sql" >/dev/null
  base_env=(PG_URL= SQLITE_PATH="$dir/baseline.sqlite") base_db=/sqlite/db
  url=sqlite://$dir/bench.db
fi
export DATABASE_URL=$url ZHIYUAN_DATA_DIR=$dir/data ZHIYUAN_LOG=warn ZHIYUAN_TRUST_FORWARDED=true

env "${base_env[@]}" BIND=127.0.0.1:$BASE_PORT target/baseline/release/baseline-actix >/dev/null 2>&1 &
base_pid=$!
pid=
trap 'kill $pid $base_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$BASE_PORT$base_db" >/dev/null && break
  sleep 0.1
done

# Starts zhiyuan with the given settings and waits until it is ready.
serve() {
  [ -n "$pid" ] && { kill "$pid"; wait "$pid" 2>/dev/null || true; }
  env "$@" ZHIYUAN_BIND=127.0.0.1:$PORT "$bin" serve 2>>"$dir/server.log" &
  pid=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && return
    sleep 0.1
  done
  echo "zhiyuan did not become ready"; exit 1
}

# wrk reports every non-2xx as a failure: here the look-ups are 404s by design; that none was
# refused is checked after each run (a 429 would mean the look-ups were not all counted alike).
run() {
  local name=$1; shift
  local line
  line=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" | grep '^RESULT')
  printf '%-8s %-44s %s\n' "$BACKEND" "$name" "${line#RESULT }"
  sleep 3
}
still_404() {
  local status
  status=$(curl -s -o /dev/null -w '%{http_code}' "$unknown")
  [ "$status" = 404 ] || { echo "the look-up answered $status, not 404"; exit 1; }
}

unknown=http://127.0.0.1:$PORT/api/v1/verify/certificates/ZYC-0000-0000-0000-0000
counted=ZHIYUAN_VERIFY_LIMIT_PER_ADDRESS=120
for round in 1 2; do
  run "baseline $base_db ($round)" -s bench/plain.lua "http://127.0.0.1:$BASE_PORT$base_db"
  serve ZHIYUAN_VERIFY_LIMIT_PER_ADDRESS=0
  run "verify 404, limit off ($round)" -s bench/addresses.lua "$unknown"
  still_404
  serve "$counted"
  run "verify 404, counted in the database ($round)" -s bench/addresses.lua "$unknown"
  still_404
  serve "$counted" ZHIYUAN_REDIS_URL="$REDIS_URL"
  run "verify 404, counted in Redis ($round)" -s bench/addresses.lua "$unknown"
  still_404
done

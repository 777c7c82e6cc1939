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
NAME=limits PORT=${PORT:-18095} BASE_PORT=${BASE_PORT:-18096}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/14}
source bench/lib.sh
export DATABASE_URL=$url ZHIYUAN_DATA_DIR=$dir/data ZHIYUAN_LOG=warn ZHIYUAN_TRUST_FORWARDED=true
start_baseline

# wrk reports every non-2xx as a failure: here the look-ups are 404s by design; that none was
# refused is checked after each run (a 429 would mean the look-ups were not all counted alike).
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

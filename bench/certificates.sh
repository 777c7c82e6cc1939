#!/usr/bin/env bash
# Certificates benchmark: batch issuance to an organisation of 10 000 approved members (wall
# time, server peak memory), then the public GET /verify/certificates/{number} against the
# baseline's /db in the same run (../shared/bench/baseline).
#
#   bash bench/certificates.sh                     # SQLite
#   BACKEND=postgres bash bench/certificates.sh    # PostgreSQL
#
# The verify limit per address is turned off here (0): every wrk connection comes from
# 127.0.0.1. With a limit on, each look-up also writes and counts one row in the database (see
# rate_limit), a cost bounded by the limit.
set -euo pipefail
cd "$(dirname "$0")/.."
NAME=certificates PORT=${PORT:-18093} BASE_PORT=${BASE_PORT:-18094}
MEMBERS=${MEMBERS:-10000}
source bench/lib.sh
if [ "$BACKEND" = postgres ]; then
  numbers() { psql "$url" -Atc "SELECT number FROM certificates"; }
else
  numbers() { sqlite3 "$dir/bench.db" "SELECT number FROM certificates"; }
fi

# One service team with every volunteer an approved member (seed-bench puts them all in its
# one team below the towns).
export DATABASE_URL=$url ZHIYUAN_DATA_DIR=$dir/data ZHIYUAN_LOG=warn \
  ZHIYUAN_VERIFY_LIMIT_PER_ADDRESS=0
"$bin" seed-bench --volunteers "$MEMBERS" --teams 1 --records 0 2>/dev/null

start_baseline
serve

api=http://127.0.0.1:$PORT/api/v1
token=$(curl -fs "$api/auth/login" -H 'Content-Type: application/json' \
  -d '{"login":"bench-admin","password":"bench-password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
team=$(curl -fs "$api/teams?kind=service_team" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
before=$(grep VmRSS /proc/$pid/status | awk '{print $2/1024}')
start=$(date +%s.%N)
result=$(curl -fs -X POST "$api/teams/$team/certificates/batch" -H "Authorization: Bearer $token")
end=$(date +%s.%N)
printf '%-8s %-40s %s\n' "$BACKEND" "batch issue to $MEMBERS members" \
  "$(python3 -c "import json; r=json.loads('''$result'''); print(f\"issued={r['issued']} skipped={r['skipped']} failed={len(r['failed'])} seconds={$end - $start:.2f}\")")"
printf '%-8s %-40s %s\n' "$BACKEND" "server memory before → peak" \
  "$before MiB → $(grep VmHWM /proc/$pid/status | awk '{print $2/1024 " MiB"}')"
numbers > "$dir/numbers.txt"

# Interleaved, twice: the baseline alone moves ±10 % between runs on a shared machine.
for round in 1 2; do
  run "baseline $base_db ($round)" -s bench/plain.lua "http://127.0.0.1:$BASE_PORT$base_db"
  run "GET /verify/certificates/{number} ($round)" -s bench/verify.lua "http://127.0.0.1:$PORT" -- "$dir/numbers.txt"
done
ratio() { python3 -c "print(f'{($1) / ($2):.2f}')"; }
printf '%-8s %-40s %s\n' "$BACKEND" "verify ÷ baseline db (both rounds)" \
  "$(ratio "${rps[GET /verify/certificates/{number} (1)]} + ${rps[GET /verify/certificates/{number} (2)]}" \
            "${rps[baseline $base_db (1)]} + ${rps[baseline $base_db (2)]}")"
DATABASE_URL=$url "$bin" verify-totals 2>/dev/null | tail -n 1

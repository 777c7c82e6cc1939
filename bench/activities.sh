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
NAME=activities PORT=${PORT:-18091} BASE_PORT=${BASE_PORT:-18092}
source bench/lib.sh

export DATABASE_URL=$url ZHIYUAN_DATA_DIR=$dir/data ZHIYUAN_LOG=warn ZHIYUAN_ACCESS_TOKEN_TTL_SECS=3600
"$bin" seed-bench --volunteers 20000 --teams 500 --records 0 --activities 5000 \
  --activity-ids-out "$dir/activities.txt" --tokens 20000 --tokens-out "$dir/tokens.txt" 2>/dev/null

start_baseline
serve

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

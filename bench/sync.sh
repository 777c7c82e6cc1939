#!/usr/bin/env bash
# Sync benchmark: seeds a city (100 000 volunteers, 500 organisations, 1 000 000 service
# records), serves it, and has one platform client page through the service-records and
# volunteers feeds from the start with `limit=1000`, as a real client does (one request after
# the other). Prints items/s, pages/s and the server's peak memory.
#
#   bash bench/sync.sh                      # SQLite
#   BACKEND=postgres bash bench/sync.sh     # PostgreSQL at $PG_SERVER (default local)
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND=${BACKEND:-sqlite}
PG_SERVER=${PG_SERVER:-postgres://postgres@127.0.0.1:5432}
RECORDS=${RECORDS:-1000000}
LIMIT=${LIMIT:-1000}
PORT=${PORT:-18091}

cargo build --release --quiet
bin=$PWD/target/release/zhiyuan
dir=$PWD/target/bench/sync-$BACKEND-$RECORDS
rm -rf "$dir" && mkdir -p "$dir"
if [ "$BACKEND" = postgres ]; then
  db=zy_bench_sync_$RECORDS
  psql "$PG_SERVER/postgres" -qc "DROP DATABASE IF EXISTS $db" -qc "CREATE DATABASE $db" >/dev/null
  url=$PG_SERVER/$db
else
  url=sqlite://$dir/bench.db
fi
export DATABASE_URL=$url ZHIYUAN_DATA_DIR=$dir/data ZHIYUAN_LOG=warn ZHIYUAN_ACCESS_TOKEN_TTL_SECS=3600
"$bin" seed-bench --volunteers 100000 --teams 500 --records "$RECORDS" 2>/dev/null

ZHIYUAN_BIND=127.0.0.1:$PORT "$bin" serve 2>"$dir/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done

python3 - "$PORT" "$LIMIT" "$BACKEND" "$RECORDS" <<'PY'
import json, sys, time, urllib.request
port, limit, backend, records = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
base = f"http://127.0.0.1:{port}/api/v1"

def call(method, path, token=None, body=None):
    req = urllib.request.Request(base + path, method=method,
                                 data=None if body is None else json.dumps(body).encode())
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=120) as res:
        return json.loads(res.read())

fed = call("POST", "/auth/login", body={"login": "bench-admin", "password": "bench-password"})["access_token"]
client = call("POST", "/api-clients", fed, {"name": "bench", "scopes": ["sync:read"]})
token = call("POST", "/auth/token", body={"grant_type": "client_credentials",
              "client_id": client["client_id"], "client_secret": client["client_secret"]})["access_token"]
for feed in ("service-records", "volunteers"):
    cursor, items, pages = None, 0, 0
    start = time.monotonic()
    while True:
        path = f"/sync/{feed}?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = call("GET", path, token)
        if not page["items"]:
            break
        items += len(page["items"])
        pages += 1
        cursor = page["next_cursor"]
    secs = time.monotonic() - start
    print(f"{backend:<8} {records:<8} /sync/{feed:<16} {items:>8} items in {secs:6.1f} s: "
          f"{items / secs:8.0f} items/s, {pages / secs:5.1f} pages/s (limit {limit})")
PY
printf '%-8s %-8s %-22s %s\n' "$BACKEND" "$RECORDS" "server peak memory" "$(grep VmHWM /proc/$pid/status | awk '{print $2/1024 " MiB"}')"

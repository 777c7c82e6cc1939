#!/usr/bin/env bash
# Webhook dispatcher benchmark: a subscription to `volunteer.registered`, N volunteers
# imported (N events in the outbox, one delivery each), then the server started with a local
# receiver up: how fast the dispatcher empties the outbox, from the receiver's first request
# to its N-th (deliveries/s), and the server's peak memory.
#
#   bash bench/webhooks.sh                      # SQLite
#   BACKEND=postgres bash bench/webhooks.sh     # PostgreSQL at $PG_SERVER (default local)
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND=${BACKEND:-sqlite}
PG_SERVER=${PG_SERVER:-postgres://postgres@127.0.0.1:5432}
EVENTS=${EVENTS:-50000}
PORT=${PORT:-18093}
RECEIVER_PORT=${RECEIVER_PORT:-18094}

cargo build --release --quiet
bin=$PWD/target/release/zhiyuan
dir=$PWD/target/bench/webhooks-$BACKEND-$EVENTS
rm -rf "$dir" && mkdir -p "$dir"
if [ "$BACKEND" = postgres ]; then
  db=zy_bench_webhooks_$EVENTS
  psql "$PG_SERVER/postgres" -qc "DROP DATABASE IF EXISTS $db" -qc "CREATE DATABASE $db" >/dev/null
  url=$PG_SERVER/$db
else
  url=sqlite://$dir/bench.db
fi
export DATABASE_URL=$url ZHIYUAN_DATA_DIR=$dir/data ZHIYUAN_LOG=warn \
  ZHIYUAN_BOOTSTRAP_ADMIN=bench-admin:bench-password ZHIYUAN_WEBHOOK_ALLOW_PRIVATE=true \
  ZHIYUAN_ACCESS_TOKEN_TTL_SECS=3600

serve() {
  ZHIYUAN_BIND=127.0.0.1:$PORT "$bin" serve 2>>"$dir/server.log" &
  pid=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
}

# 1. The outbox: the subscription, then the imports (the receiver is down meanwhile).
serve
trap 'kill $pid 2>/dev/null || true' EXIT
python3 - "$PORT" "$RECEIVER_PORT" "$EVENTS" <<'PY'
import json, sys, urllib.request
port, receiver, events = sys.argv[1], sys.argv[2], int(sys.argv[3])
base = f"http://127.0.0.1:{port}/api/v1"

def call(method, path, token=None, body=None, key=None):
    req = urllib.request.Request(base + path, method=method,
                                 data=None if body is None else json.dumps(body).encode())
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    if key:
        req.add_header("idempotency-key", key)
    with urllib.request.urlopen(req, timeout=300) as res:
        return json.loads(res.read())

def resident_id(n):
    first17 = f"4407{n // 1000 % 100:02d}19900101{n % 1000:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(first17, weights))
    return first17 + "10X98765432"[total % 11]

fed = call("POST", "/auth/login", body={"login": "bench-admin", "password": "bench-password"})["access_token"]
call("POST", "/webhooks", fed, {"url": f"http://127.0.0.1:{receiver}/hooks", "events": ["volunteer.registered"]})
for start in range(0, events, 1000):
    rows = [{"mobile": f"139{n:08d}", "real_name": "陈小明", "id_type": "resident_id",
             "id_number": resident_id(n), "gender": "male" if n % 1000 % 2 else "female",
             "birth_date": "1990-01-01", "political_status": "masses"}
            for n in range(start, min(start + 1000, events))]
    report = call("POST", "/import/volunteers", fed, {"rows": rows}, key=f"bench-{start}")
    assert not report["rejected"], report["rejected"][:3]
PY
kill $pid && wait $pid 2>/dev/null || true

# Every delivery due now, untried (the dispatcher met a closed port while seeding).
reset="UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = created_at"
if [ "$BACKEND" = postgres ]; then
  psql "$url" -qc "$reset"
else
  python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()" "$dir/bench.db" "$reset"
fi

# 2. The receiver (asyncio, keep-alive, 204 to everything), then the server.
python3 - "$RECEIVER_PORT" "$EVENTS" "$BACKEND" >"$dir/receiver.out" 2>"$dir/receiver.err" <<'PY' &
import asyncio, sys, time
port, events, backend = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
seen, ids, first = 0, set(), None
done = asyncio.Event()

async def handle(reader, writer):
    global seen, first
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length, webhook_id = 0, None
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"webhook-id":
                    webhook_id = value.strip()
            await reader.readexactly(length)
            writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
            await writer.drain()
            first = first or time.monotonic()
            seen += 1
            ids.add(webhook_id)
            if len(ids) >= events:
                done.set()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
        writer.close()

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await done.wait()
        secs = time.monotonic() - first
        print(f"{backend:<8} {events} deliveries ({seen} requests, {len(ids)} webhook-ids) in "
              f"{secs:.1f} s: {events / secs:.0f} deliveries/s", flush=True)

asyncio.run(main())
PY
receiver=$!
sleep 0.5
serve
for _ in $(seq 1 600); do kill -0 $receiver 2>/dev/null || break; sleep 0.5; done
cat "$dir/receiver.out"
printf '%-8s %-22s %s\n' "$BACKEND" "server peak memory" "$(grep VmHWM /proc/$pid/status | awk '{print $2/1024 " MiB"}')"

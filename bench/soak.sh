#!/usr/bin/env bash
# Soak: mixed traffic at a fixed rate for ten minutes against two zhiyuan instances on one
# PostgreSQL (as behind a load balancer: requests alternate between them). Browsing, sign-ups
# and cancellations, check-in and check-out, recording and approving hours, certificate
# verification. Reports per endpoint: requests, 4xx, 5xx, p50 and p99; each instance's RSS at
# minute 2 and at the end; then runs verify-totals and verify-audit on the database. Fails on
# any 5xx, on RSS growth past 10 %, or on a verifier that is not clean.
#
#   bash bench/soak.sh                                  # 10 minutes at 150 requests/s
#   MINUTES=3 RATE=100 bash bench/soak.sh               # shorter
set -euo pipefail
cd "$(dirname "$0")/.."
PG_SERVER=${PG_SERVER:-postgres://postgres@127.0.0.1:5432}
MINUTES=${MINUTES:-10}
RATE=${RATE:-150}
VOLUNTEERS=${VOLUNTEERS:-5000}
PORT_A=${PORT_A:-18095}
PORT_B=${PORT_B:-18096}

cargo build --release --quiet
bin=$PWD/target/release/zhiyuan
dir=$PWD/target/bench/soak
rm -rf "$dir" && mkdir -p "$dir"
db=zy_bench_soak
psql "$PG_SERVER/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -qc "CREATE DATABASE $db" >/dev/null
# Both instances share the database and the data directory (the secrets: a token one issues,
# the other accepts). Every client here is 127.0.0.1, so the per-address limits are lifted;
# the per-volunteer sign-up limit stays on.
export DATABASE_URL=$PG_SERVER/$db ZHIYUAN_DATA_DIR=$dir/data ZHIYUAN_LOG=warn \
  ZHIYUAN_ACCESS_TOKEN_TTL_SECS=7200 ZHIYUAN_VERIFY_LIMIT_PER_ADDRESS=0 \
  ZHIYUAN_REGISTER_LIMIT_PER_ADDRESS=0 ZHIYUAN_LOGIN_LIMIT_PER_ADDRESS=0

"$bin" seed-bench --volunteers "$VOLUNTEERS" --teams 20 --records 50000 --activities 200 \
  --activity-ids-out "$dir/activities.txt" --tokens-out "$dir/tokens.txt" --tokens 1000 \
  --ids-out "$dir/volunteers.txt" 2>/dev/null | tail -1

pids=()
for port in "$PORT_A" "$PORT_B"; do
  ZHIYUAN_BIND=127.0.0.1:$port "$bin" serve 2>>"$dir/server-$port.log" &
  pids+=($!)
done
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
for port in "$PORT_A" "$PORT_B"; do
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
done

python3 - "$dir" "$MINUTES" "$RATE" "$PORT_A" "$PORT_B" "${pids[0]}" "${pids[1]}" "$DATABASE_URL" <<'PY'
import collections, datetime, http.client, json, queue, random, subprocess, sys, threading, time

out, minutes, rate, port_a, port_b, pid_a, pid_b, db_url = sys.argv[1:9]
minutes, rate = float(minutes), int(rate)
ports, pids = [int(port_a), int(port_b)], [pid_a, pid_b]
tokens = open(f"{out}/tokens.txt").read().split()
volunteers = open(f"{out}/volunteers.txt").read().split()[: len(tokens)]
activities = open(f"{out}/activities.txt").read().split()
random.seed(20261130)

local = threading.local()
def call(method, path, token=None, body=None, port=None):
    port = port or random.choice(ports)
    conns = getattr(local, "conns", None)
    if conns is None:
        conns = local.conns = {}
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    data = json.dumps(body) if body is not None else None
    for attempt in range(2):
        conn = conns.get(port) or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conns[port] = conn
        try:
            conn.request(method, path, body=data, headers=headers)
            res = conn.getresponse()
            payload = res.read()
            return res.status, payload
        except (http.client.HTTPException, OSError):
            conn.close()
            conns.pop(port, None)
            if attempt:
                return 599, b""

def ok(status, payload, what):
    assert 200 <= status < 300, f"{what}: {status} {payload[:300]!r}"
    return json.loads(payload) if payload else None

# Setup: the admin, the team the seed made its members join, an activity under way now (the
# check-in pool signs up to it), certificates of the team to verify.
admin = ok(*call("POST", "/api/v1/auth/login", body={"login": "bench-admin", "password": "bench-password"}), "login")["access_token"]
team = ok(*call("GET", "/api/v1/teams?kind=service_team&per_page=1"), "team")["items"][0]["id"]
now = datetime.datetime.now(datetime.timezone.utc)
act = ok(*call("POST", "/api/v1/activities", admin, {"team_id": team, "title": "浸泡测试", "category": "community_service",
    "starts_at": (now - datetime.timedelta(hours=1)).isoformat(), "ends_at": (now + datetime.timedelta(hours=3)).isoformat(),
    "signup_deadline": (now + datetime.timedelta(hours=3)).isoformat(), "capacity": 100000}), "activity")["id"]
ok(*call("POST", f"/api/v1/activities/{act}/publish", admin, {}), "publish")
ok(*call("POST", f"/api/v1/teams/{team}/certificates/batch", admin, {}), "certificates")
sql = lambda q: subprocess.run(["psql", db_url, "-Atc", q], capture_output=True, text=True, check=True).stdout.split()
numbers = sql("SELECT number FROM certificates LIMIT 2000")
assert numbers, "no certificates to verify"
members = sql(f"SELECT volunteer_id FROM memberships WHERE team_id = '{team}' AND status = 'approved' LIMIT 2000")
assert members, "no members to record hours for"

state_lock = threading.Lock()
pool = list(range(len(tokens)))          # volunteers not yet signed up to the activity under way
random.shuffle(pool)
signed, checked_in = [], []              # in the check-in pool: signed up, checked in
pending_records = collections.deque()    # recorded, to approve
others = {}                              # (volunteer, activity) -> signed up?

def browse():
    return "GET /activities", call("GET", "/api/v1/activities?per_page=20&page=%d" % random.randint(1, 5))
def detail():
    return "GET /activities/{id}", call("GET", f"/api/v1/activities/{random.choice(activities)}")
def teams():
    return "GET /teams", call("GET", "/api/v1/teams?per_page=20")
def verify():
    return "GET /verify/certificates/{n}", call("GET", f"/api/v1/verify/certificates/{random.choice(numbers)}")
def flap():
    # A few hundred volunteers on a few activities: sign-ups and cancellations alternate, a
    # handful per pair in ten minutes (under the per-day limit of ten).
    v, a = random.randrange(min(300, len(tokens))), random.choice(activities[:10])
    with state_lock:
        on = others.get((v, a), False)
        others[(v, a)] = not on
    if on:
        return "DELETE /activities/{id}/signups/me", call("DELETE", f"/api/v1/activities/{a}/signups/me", tokens[v])
    return "POST /activities/{id}/signups", call("POST", f"/api/v1/activities/{a}/signups", tokens[v], {})
def attend():
    with state_lock:
        if checked_in and random.random() < 0.5:
            v, step = checked_in.pop(), "checkout"
        elif signed:
            v, step = signed.pop(), "checkin"
            checked_in.insert(0, v)
        elif pool:
            v, step = pool.pop(), "signup"
        else:
            return browse()
    if step == "signup":
        r = call("POST", f"/api/v1/activities/{act}/signups", tokens[v], {})
        if r[0] == 201:
            with state_lock:
                signed.insert(0, v)
        return "POST /activities/{id}/signups", r
    return f"POST /activities/{{id}}/{step}", call("POST", f"/api/v1/activities/{act}/{step}", admin, {"volunteer_id": volunteers[v]})
def record():
    r = call("POST", "/api/v1/service-records", admin, {"volunteer_id": random.choice(members), "team_id": team,
        "service_date": datetime.date.today().isoformat(), "minutes": random.randint(30, 240), "content": "社区服务"})
    if r[0] == 201:
        pending_records.append(json.loads(r[1])["id"])
    return "POST /service-records", r
def approve():
    try:
        rid = pending_records.popleft()
    except IndexError:
        return record()
    return "POST /service-records/{id}/approve", call("POST", f"/api/v1/service-records/{rid}/approve", admin, {})

MIX = [(browse, 25), (detail, 20), (teams, 5), (verify, 15), (flap, 12), (attend, 12), (record, 6), (approve, 5)]
kinds = [f for f, w in MIX for _ in range(w)]

stats = collections.defaultdict(list)    # endpoint -> [(status, seconds)]
work = queue.Queue(maxsize=rate * 2)
late = [0]
def worker():
    while True:
        job = work.get()
        if job is None:
            return
        started = time.perf_counter()
        name, (status, _) = job()
        with state_lock:
            stats[name].append((status, time.perf_counter() - started))
threads = [threading.Thread(target=worker, daemon=True) for _ in range(32)]
for t in threads:
    t.start()

def rss(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
rss_at = {}
duration = minutes * 60
start = time.perf_counter()
sent = 0
while True:
    elapsed = time.perf_counter() - start
    if elapsed >= duration:
        break
    if 120 <= elapsed and "minute 2" not in rss_at:
        rss_at["minute 2"] = [rss(p) for p in pids]
    due = int(elapsed * rate)
    while sent < due:
        try:
            work.put_nowait(random.choice(kinds))
        except queue.Full:
            late[0] += 1
        sent += 1
    time.sleep(0.002)
for _ in threads:
    work.put(None)
for t in threads:
    t.join()
rss_at["end"] = [rss(p) for p in pids]
if "minute 2" not in rss_at:
    rss_at["minute 2"] = rss_at["end"]

total = sum(len(v) for v in stats.values())
print(f"{total} requests in {duration:.0f} s ({total / duration:.0f}/s asked {rate}/s; {late[0]} dropped: the generator fell behind)")
print(f"{'endpoint':40} {'n':>7} {'4xx':>6} {'5xx':>5} {'p50 ms':>8} {'p99 ms':>8}")
errors = 0
for name in sorted(stats):
    rows = stats[name]
    lat = sorted(s for _, s in rows)
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
    c4 = sum(1 for st, _ in rows if 400 <= st < 500)
    c5 = sum(1 for st, _ in rows if st >= 500)
    errors += c5
    print(f"{name:40} {len(rows):7} {c4:6} {c5:5} {p(0.5):8.1f} {p(0.99):8.1f}")
growth = [(e - m) / m for m, e in zip(rss_at["minute 2"], rss_at["end"])]
for i, port in enumerate(ports):
    print(f"instance :{port} RSS minute 2 {rss_at['minute 2'][i]:.1f} MiB, end {rss_at['end'][i]:.1f} MiB ({growth[i]:+.1%})")
failed = errors > 0 or any(g > 0.10 for g in growth)
open(f"{out}/verdict", "w").write("fail" if failed else "ok")
PY

for command in verify-totals verify-audit; do
  if "$bin" "$command" >"$dir/$command.log" 2>&1; then
    echo "$command: clean ($(tail -1 "$dir/$command.log"))"
  else
    echo "$command: NOT clean"; cat "$dir/$command.log"; exit 1
  fi
done
[ "$(cat "$dir/verdict")" = ok ] || { echo "soak failed: 5xx or memory growth"; exit 1; }
echo "soak ok"

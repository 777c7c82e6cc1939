# What the benchmarks measured against ../shared/bench/baseline share. Sourced from the
# project's root with NAME (the work directory's and the database's name), PORT and BASE_PORT
# set: the settings, both release builds, a fresh work directory `$dir`, the baseline's data
# and an empty zhiyuan database `$url` on the chosen backend, and the helpers below.
BACKEND=${BACKEND:-sqlite}
PG_SERVER=${PG_SERVER:-postgres://postgres@127.0.0.1:5432}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
BASELINE=${BASELINE:-../shared/bench/baseline}
export BENCH_DIR=$PWD/bench
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }

cargo build --release --quiet
cargo build --release --quiet --manifest-path "$BASELINE/actix/Cargo.toml" --target-dir target/baseline
bin=$PWD/target/release/zhiyuan
dir=$PWD/target/bench/$NAME-$BACKEND
rm -rf "$dir" && mkdir -p "$dir"

# The baseline's own data (10 000 rows) and zhiyuan's database, on the same backend.
if [ "$BACKEND" = postgres ]; then
  psql "$PG_SERVER/postgres" -qc "DROP DATABASE IF EXISTS bench" -qc "CREATE DATABASE bench" >/dev/null
  psql "$PG_SERVER/bench" -q -f "$BASELINE/sql/pg_seed.sql" >/dev/null
  base_env=(PG_URL="$PG_SERVER/bench" SQLITE_PATH=) base_db=/db base_list=/list
  db=zy_bench_$NAME
  psql "$PG_SERVER/postgres" -qc "DROP DATABASE IF EXISTS $db" -qc "CREATE DATABASE $db" >/dev/null
  url=$PG_SERVER/$db
else
  sqlite3 "$dir/baseline.sqlite" < "$BASELINE/sql/sqlite_seed.sql" >/dev/null
  base_env=(PG_URL= SQLITE_PATH="$dir/baseline.sqlite") base_db=/sqlite/db base_list=/sqlite/list
  url=sqlite://$dir/bench.db
fi

pid= base_pid=
trap 'kill $pid $base_pid 2>/dev/null || true' EXIT

# Starts the baseline server and waits until it answers.
start_baseline() {
  env "${base_env[@]}" BIND=127.0.0.1:$BASE_PORT target/baseline/release/baseline-actix >/dev/null 2>&1 &
  base_pid=$!
  wait_for "http://127.0.0.1:$BASE_PORT$base_db"
}

# Starts zhiyuan (settings as arguments, `NAME=value`; after any it ran before) and waits until
# it is ready.
serve() {
  [ -n "$pid" ] && { kill "$pid"; wait "$pid" 2>/dev/null || true; }
  env "$@" ZHIYUAN_BIND=127.0.0.1:$PORT "$bin" serve 2>>"$dir/server.log" &
  pid=$!
  wait_for "http://127.0.0.1:$PORT/readyz"
}

wait_for() {
  for _ in $(seq 1 100); do
    curl -fs "$1" >/dev/null && return
    sleep 0.1
  done
  echo "$1 did not answer"; exit 1
}

# One wrk run, named: prints its line and keeps its req/s in rps[name].
declare -A rps
run() {
  local name=$1; shift
  local line
  line=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" | grep '^RESULT')
  rps[$name]=$(sed -E 's/.*rps=([0-9]+).*/\1/' <<<"$line")
  printf '%-8s %-44s %s\n' "$BACKEND" "$name" "${line#RESULT }"
  # Requests cut off when wrk stops may still hold the database for a while.
  sleep 3
}

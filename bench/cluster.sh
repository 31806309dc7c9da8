#!/usr/bin/env bash
# Cluster benchmarks (bench/README.md, "cluster.sh"): livechat nodes on one Redis and one
# PostgreSQL, against Socket.IO nodes with @socket.io/redis-adapter on a Redis set up the same
# way, every process on a free loopback port in a scratch directory and stopped by its pid.
#
# Usage: bench/cluster.sh [--quick] [--scenario NAME]... [--only SYSTEM]... [--viewers N]
#                         [--nodes N] [--rate R] [--messages M] [--fsync POLICY] [--out DIR]
#   --scenario NAME   hot-session | cross-node | kill-node (repeatable; default: all three)
#   --only SYSTEM     livechat | socketio: hot-session's systems (default: both)
#   --viewers N       hot-session SSE/WebSocket viewers over the nodes (default 60000; --quick 4000)
#   --nodes N         hot-session nodes of each system (default 4)
#   --rate R          hot-session messages per second (default 20)
#   --messages M      hot-session messages (default 200: 10 s at 20/s)
#   --fsync POLICY    Redis's appendfsync: always (default: the original projects') or everysec
#   --quick           4,000 viewers, and small cross-node and kill-node runs (about a minute each)
#   --out DIR         where the results go (default: bench/results/cluster-<date-time>/)
# Environment:
#   LIVECHAT=path     use this binary instead of building build/livechat with `make build`
#   BENCH_ARGS="…"    extra arguments for every `livechat bench` run
#
# Scenarios (each a fresh Redis and PostgreSQL):
#   hot-session  one live session; viewers connect straight to the N nodes (the bench spreads them,
#                from several 127.0.0.x sources); the tenant API publishes on the first node,
#                open loop, latency from the due time. Then the same against N Socket.IO nodes with
#                the Redis adapter (WebSocket: Socket.IO has no SSE) on a Redis set up alike. Redis's
#                own CPU and bytes per message come from INFO before and after each system's run.
#   cross-node   1,000 STOMP subscribers of one room over 2 nodes, 200 msg/s posted over REST to
#                both nodes in turn: p99 from the due time against FLUSH_INTERVAL_MS + 20 ms.
#   kill-node    EventSource clients on 2 nodes, messages flowing; kill -9 of one node; its clients
#                resume on the other with their last id (bench/cluster-failover.mjs).
#
# It measures and does not judge: the exit status is non-zero only when something did not start or
# a run printed no result.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
# shellcheck source=bench/lib.sh
. bench/lib.sh

quick=0
scenarios=()
systems=()
viewers=""
nodes=4
rate=20
messages=200
fsync=always
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --scenario) scenarios+=("${2:?--scenario needs a name}"); shift ;;
    --only) systems+=("${2:?--only needs a system}"); shift ;;
    --viewers) viewers=${2:?--viewers needs a number}; shift ;;
    --nodes) nodes=${2:?--nodes needs a number}; shift ;;
    --rate) rate=${2:?--rate needs a number}; shift ;;
    --messages) messages=${2:?--messages needs a number}; shift ;;
    --fsync) fsync=${2:?--fsync needs always or everysec}; shift ;;
    --out) out=${2:?--out needs a directory}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "cluster.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[ ${#scenarios[@]} -gt 0 ] || scenarios=(hot-session cross-node kill-node)
[ ${#systems[@]} -gt 0 ] || systems=(livechat socketio)
require_known scenario "hot-session cross-node kill-node" "${scenarios[@]}"
require_known system "livechat socketio" "${systems[@]}"
case "$fsync" in always|everysec) ;; *) echo "cluster.sh: --fsync: always or everysec" >&2; exit 2 ;; esac
if [ "$quick" = 1 ]; then
  viewers=${viewers:-4000}; room_members=200; room_messages=400; failover_clients=100
else
  viewers=${viewers:-60000}; room_members=1000; room_messages=2000; failover_clients=1000
fi
read -r -a bench_extra <<< "${BENCH_ARGS:-}"

# --- What the machine needs ------------------------------------------------------------------

prepare_livechat
# redis-server and PostgreSQL: what the test suites start, installed with them.
scripts/install-deps.sh test
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$pg_bin/postgres" ] || { echo "cluster.sh: no PostgreSQL under /usr/lib/postgresql" >&2; exit 1; }
command -v redis-server > /dev/null || { echo "cluster.sh: redis-server is missing" >&2; exit 1; }

# Every node and bench process may hold up to the hard descriptor limit (20,000 here).
ulimit -Sn "$(ulimit -Hn)" 2>/dev/null || true

out=${out:-$repo/bench/results/cluster-$(date +%Y-%m-%d_%H%M%S)}
mkdir -p "$out/logs"
out=$(cd "$out" && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/livechat-cluster.XXXXXX")
chmod 755 "$scratch"

npm_version() { node -p "require('./node_modules/$1/package.json').version"; }
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine: $(uname -srm), $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB, nofile $(ulimit -Hn)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "livechat: $(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown) ($livechat)"
  echo "redis: $(redis-server --version | sed 's/^Redis server //')"
  echo "postgresql: $("$pg_bin/postgres" --version)"
  echo "node: $(node --version), socket.io $(npm_version socket.io)," \
       "@socket.io/redis-adapter $(npm_version @socket.io/redis-adapter), redis (npm) $(npm_version redis)"
  echo "mode: $([ "$quick" = 1 ] && echo quick || echo full); appendfsync $fsync; BENCH_ARGS: ${BENCH_ARGS:-none}"
} > "$out/environment.txt"

# --- Processes -----------------------------------------------------------------------------
# Every process this script starts is in `started` (pid) and stopped by that pid.

started=()
failures=()
bench_pid=""

# Polls `check` (a command) until it succeeds, or fails when `pid` exited or 30 s passed.
wait_for() {
  local pid=$1 what=$2 i
  shift 2
  for i in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || { echo "cluster.sh: $what exited at start" >&2; return 1; }
    "$@" > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "cluster.sh: $what did not come up within 30 s" >&2
  return 1
}
redis_ping() { [ "$(redis-cli -p "$redis_port" ping)" = PONG ]; }
http_ok() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$1" || true)" = 200 ]; }

# Stops everything started so far, newest first (nodes before Redis and PostgreSQL).
stop_all() {
  local i
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do stop_pid "${started[$i]}"; done
  started=()
}

cleanup() {
  if [ -n "$bench_pid" ]; then
    kill -TERM "$bench_pid" 2>/dev/null || true
    wait "$bench_pid" 2>/dev/null || true
  fi
  stop_all
  rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Redis as the original projects ran it: AOF on, fsync at every write (or every second with
# --fsync everysec). Sets redis_port, redis_url.
start_redis() {
  local dir=$1
  mkdir -p "$dir"
  redis_port=$(free_port)
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$dir" --save '' \
    --appendonly yes --appendfsync "$fsync" --logfile "$dir/redis.log" --daemonize no &
  started+=($!)
  redis_url=redis://127.0.0.1:$redis_port
  wait_for "$!" redis-server redis_ping
}

# A fresh PostgreSQL cluster (as the postgres user when we are root: it refuses root), one
# database `livechat`. Sets database_url.
start_postgres() {
  local dir=$1 port as=()
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$dir"
    as=(setpriv --reuid postgres --regid postgres --init-groups)
  fi
  port=$(free_port)
  echo bench-password > "$dir/password"
  "${as[@]}" "$pg_bin/initdb" --pgdata="$dir/data" --username=livechat --pwfile="$dir/password" \
    --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 --no-sync > "$dir/initdb.log" 2>&1 \
    || return 1
  "${as[@]}" "$pg_bin/postgres" -D "$dir/data" -p "$port" -c listen_addresses=127.0.0.1 \
    -c unix_socket_directories= -c max_connections=300 > "$dir/postgres.log" 2>&1 &
  started+=($!)
  database_url=postgresql://livechat:bench-password@127.0.0.1:$port/postgres
  # (Functions called from `if` run without set -e: each step checks its own status.)
  wait_for "$!" postgres psql "$database_url" -c 'SELECT 1' || return 1
  psql "$database_url" -q -c 'CREATE DATABASE livechat' || return 1
  database_url=postgresql://livechat:bench-password@127.0.0.1:$port/livechat
}

# A fresh cluster in `dir` for one run: Redis, PostgreSQL, `count` nodes of `system`, and for
# livechat one saver. Sets urls (bench --url arguments), node_urls, node_pids.
start_cluster() {
  local system=$1 count=$2 dir=$3 i
  chmod 755 "$dir"  # PostgreSQL runs as postgres
  start_redis "$dir/redis" && start_postgres "$dir/postgres" || return 1
  urls=(); node_urls=(); node_pids=()
  for ((i = 0; i < count; i++)); do
    "start_${system}_node" "$dir/$system-$i" || return 1
    node_urls+=("http://127.0.0.1:$node_port")
    urls+=(--url "http://127.0.0.1:$node_port")
    node_pids+=("$node_pid")
  done
  [ "$system" != livechat ] || start_saver "$dir/saver"
}

jwt_secret=base64:$(head -c 32 /dev/urandom | base64)

# One livechat node; sets node_pid and node_port. Threads: 1 per node (the
# nodes share two cores). The per-user rate limit is lifted for cross-node's one publishing
# user (200 msg/s); nothing else depends on it.
start_livechat_node() {
  local dir=$1 port
  mkdir -p "$dir"
  port=$(free_port)
  REDIS_URL=$redis_url DATABASE_URL=$database_url JWT_SECRET=$jwt_secret \
    "$livechat" serve --host 127.0.0.1 --port "$port" --threads 1 --data-dir "$dir" \
    --livechat-api-key benchkey --log-level warn \
    --rate-limit-per-s 100000 --rate-limit-burst 100000 > "$dir/server.log" 2>&1 &
  node_pid=$!
  started+=($node_pid)
  wait_for "$node_pid" "livechat node on $port" http_ok "http://127.0.0.1:$port/readyz" || return 1
  node_port=$port
}

# The saver moves the hand-off stream into PostgreSQL, as in production.
start_saver() {
  local dir=$1 port
  mkdir -p "$dir"
  port=$(free_port)
  REDIS_URL=$redis_url DATABASE_URL=$database_url JWT_SECRET=$jwt_secret \
    "$livechat" saver --host 127.0.0.1 --port "$port" --log-level warn > "$dir/saver.log" 2>&1 &
  started+=($!)
  wait_for "$!" saver http_ok "http://127.0.0.1:$port/readyz"
}

# One Socket.IO node on the Redis adapter; sets node_pid and node_port.
start_socketio_node() {
  local dir=$1 port
  mkdir -p "$dir"
  port=$(free_port)
  node bench/peers/socketio/server.mjs "$port" "$redis_url" > "$dir/server.log" 2>&1 &
  node_pid=$!
  started+=($node_pid)
  wait_for "$node_pid" "Socket.IO node on $port" grep -q listening "$dir/server.log" || return 1
  node_port=$port
}

# INFO of Redis as one JSON object (the fields the report reads).
redis_info() {
  redis-cli -p "$redis_port" INFO | tr -d '\r' | node -e '
    let text = ""; process.stdin.on("data", (d) => (text += d)).on("end", () => {
      const info = Object.fromEntries(text.split("\n").filter((l) => l.includes(":"))
        .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1)]));
      const pick = ["used_cpu_sys", "used_cpu_user", "total_net_input_bytes", "total_net_output_bytes",
        "total_commands_processed", "used_memory", "aof_current_size", "connected_clients",
        "pubsub_channels"];
      console.log(JSON.stringify(Object.fromEntries(pick.map((k) => [k, Number(info[k])]))));
    });'
}

keep_logs() {
  local name=$1 dir=$2 log
  while IFS= read -r log; do
    cp "$log" "$out/logs/$name.$(basename "$(dirname "$log")").$(basename "$log")"
  done < <(find "$dir" -name '*.log' -size +0)
  return 0
}

# run_bench <name> [bench arguments…]: the bench in the background (an interrupt reaches the
# EXIT trap at once), its JSON in <name>.json; Redis INFO before and after in <name>.redis.json.
run_bench() {
  local name=$1 status=0 before
  shift
  before=$(redis_info)
  "$livechat" bench "$@" ${bench_extra[@]+"${bench_extra[@]}"} --json \
    > "$out/$name.json" 2> "$out/logs/$name.bench.log" &
  bench_pid=$!
  wait "$bench_pid" || status=$?
  bench_pid=""
  printf '{"before":%s,"after":%s}\n' "$before" "$(redis_info)" > "$out/$name.redis.json"
  if ! is_json_file "$out/$name.json"; then
    failures+=("$name: the bench printed no result (exit status $status; see logs/$name.bench.log)")
    tail -n 20 "$out/logs/$name.bench.log" >&2 || true
    rm -f "$out/$name.json"
  elif [ "$status" != 0 ]; then
    echo "cluster.sh: $name: the bench exited with status $status but printed a result" >&2
  fi
}

# The bench opens ~19,000 connections per process at most (the descriptor limit), and spreads
# them over one 127.0.0.x source per 15,000 (below the ~28,000 ports of one source and node).
bench_spread() {
  local connections=$1
  local share=$(((connections + 14999) / 15000))
  echo --processes "$share" --source-addresses "$share"
}

# --- Scenarios -----------------------------------------------------------------------------

printf 'scenario\tsystem\tnodes\tconnections\tmessages\trate\tfile\n' > "$out/runs.tsv"

hot_session() {
  local system dir name args
  for system in "${systems[@]}"; do
    name="hot-session--$system"
    dir=$(mktemp -d "$scratch/$name.XXXX")
    echo "-- hot-session / $system: $viewers viewers over $nodes nodes, $messages messages at $rate/s"
    if ! start_cluster "$system" "$nodes" "$dir"; then
      failures+=("$name: the cluster did not start"); stop_all; keep_logs "$name" "$dir"; continue
    fi
    # Viewers arrive at 1,000/s with 30 s to subscribe: on two shared cores the bench's default
    # 5,000/s overflowed the Node processes' accept queues (half of Socket.IO's viewers timed out
    # at 10 s in a 4,000-viewer run), which measures the arrival, not the fan-out. Deliveries get
    # 30 s after the last publish (default 5 s), so that "missing" means lost, not late: at
    # 60,000 viewers on the loaded machine livechat's last deliveries came 14 s after their due time.
    args=("${urls[@]}" --label "$system" --connections "$viewers" --messages "$messages"
          --rate "$rate" --server-pid "$(IFS=,; echo "${node_pids[*]}")" $(bench_spread "$viewers")
          --ramp-rate 1000 --connect-timeout-ms 30000 --drain-ms 30000)
    case "$system" in
      livechat) args+=(--protocol sse --path '/api/v1/chats/sse-connect/{room}' --publish tenant
                       --api-key benchkey) ;;
      socketio) args+=(--protocol socketio --path '/socket.io/?EIO=4&transport=websocket&room={room}'
                       --publish http --publish-url "${node_urls[0]}/publish/{room}") ;;
    esac
    run_bench "$name" "${args[@]}"
    stop_all
    keep_logs "$name" "$dir"
    [ -f "$out/$name.json" ] && printf 'hot-session\t%s\t%s\t%s\t%s\t%s\t%s\n' "$system" "$nodes" \
      "$viewers" "$messages" "$rate" "$name.json" >> "$out/runs.tsv"
  done
}

cross_node() {
  local name=cross-node--livechat dir setup
  dir=$(mktemp -d "$scratch/$name.XXXX")
  echo "-- cross-node / livechat: $room_members STOMP subscribers over 2 nodes, $room_messages messages at 200/s, REST to both nodes"
  if ! start_cluster livechat 2 "$dir" || ! setup=$(livechat_chat_room_setup "${node_urls[0]}"); then
    failures+=("$name: the cluster did not start"); stop_all; keep_logs "$name" "$dir"; return 0
  fi
  run_bench "$name" "${urls[@]}" --label livechat --protocol stomp --path /ws \
    --token "${setup% *}" --room "${setup#* }" --publish rest --publish-spread \
    --connections "$room_members" --messages "$room_messages" --rate 200 \
    --server-pid "$(IFS=,; echo "${node_pids[*]}")"
  stop_all
  keep_logs "$name" "$dir"
  [ -f "$out/$name.json" ] && printf 'cross-node\tlivechat\t2\t%s\t%s\t200\t%s\n' "$room_members" \
    "$room_messages" "$name.json" >> "$out/runs.tsv"
}

kill_node() {
  local name=kill-node--livechat dir status=0
  dir=$(mktemp -d "$scratch/$name.XXXX")
  echo "-- kill-node / livechat: $failover_clients EventSource clients over 2 nodes, kill -9 of one"
  if ! start_cluster livechat 2 "$dir"; then
    failures+=("$name: the cluster did not start"); stop_all; keep_logs "$name" "$dir"; return 0
  fi
  node bench/cluster-failover.mjs --victim "${node_urls[0]}" --victim-pid "${node_pids[0]}" \
    --survivor "${node_urls[1]}" --api-key benchkey --clients "$failover_clients" \
    > "$out/$name.json" 2> "$out/logs/$name.bench.log" &
  bench_pid=$!
  wait "$bench_pid" || status=$?
  bench_pid=""
  stop_all
  keep_logs "$name" "$dir"
  if [ "$status" != 0 ]; then
    failures+=("$name: exit status $status (see logs/$name.bench.log)")
    tail -n 20 "$out/logs/$name.bench.log" >&2 || true
  fi
  [ -s "$out/$name.json" ] && printf 'kill-node\tlivechat\t2\t%s\t\t\t%s\n' "$failover_clients" \
    "$name.json" >> "$out/runs.tsv"
  return 0
}

for scenario in "${scenarios[@]}"; do
  case "$scenario" in
    hot-session) hot_session ;;
    cross-node) cross_node ;;
    kill-node) kill_node ;;
  esac
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/environment.txt"

# --- Report --------------------------------------------------------------------------------

node bench/cluster-report.mjs "$out" | tee "$out/report.txt"
echo "results: $out"

if [ ${#failures[@]} -gt 0 ]; then
  echo "cluster.sh: ${#failures[@]} run(s) failed:" >&2
  printf '  %s\n' "${failures[@]}" >&2
  exit 1
fi

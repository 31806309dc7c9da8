# Shell helpers shared by bench/compare.sh and bench/cluster.sh (sourced, not run).

# Prints the calling script's header comment (from line 2 to `set -euo`) as its usage.
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

# `require_known WHAT ALLOWED VALUE...`: exits 2, naming the first VALUE that is not one of the
# space-separated ALLOWED, as "<script>: unknown WHAT 'VALUE'".
require_known() {
  local what=$1 allowed=" $2 " value
  shift 2
  for value in "$@"; do
    case "$allowed" in *" $value "*) ;; *) echo "$(basename "$0"): unknown $what '$value'" >&2; exit 2 ;; esac
  done
}

# Installs what the benches need when missing (scripts/install-deps.sh bench, the lockfile's
# npm packages), then sets `livechat`: $LIVECHAT if set, else build/livechat built by
# `make build`. Run from the repository's root.
prepare_livechat() {
  scripts/install-deps.sh bench
  make --no-print-directory npm-deps
  if [ -n "${LIVECHAT:-}" ]; then
    livechat=$(realpath "$LIVECHAT")
  else
    make --no-print-directory build
    livechat=$PWD/build/livechat
  fi
}

# A free TCP port on 127.0.0.1, as the kernel hands one out.
free_port() {
  node -e 'const s = require("net").createServer();
           s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# SIGTERM to one pid this script started, a wait of up to 15 s, then SIGKILL.
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "$(basename "$0"): process $pid ignored SIGTERM for 15 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# A chat room on livechat at `api`: sign up, sign in, create the room (SPEC §3, §4).
# Prints "<access token> <room id>". Called from an `if`, where set -e does not apply: each
# step checks its own status.
livechat_chat_room_setup() {
  local api=$1 json='Content-Type: application/json' token room
  local credentials='{"userId":"bench","password":"bench-password"}'
  curl -sf -X POST "$api/users/signup" -H "$json" -d "$credentials" > /dev/null || return 1
  token=$(curl -sf -X POST "$api/users/signin" -H "$json" -d "$credentials" | json_field accessToken) \
    || return 1
  room=$(curl -sf -X POST "$api/chatrooms" -H "Authorization: Bearer $token" -H "$json" \
           -d '{"name":"bench"}' | json_field chatRoomId) || return 1
  echo "$token $room"
}

# Reads a JSON object on stdin and prints one of its top-level fields (jq may not be installed).
json_field() {
  node -e 'let text = ""; process.stdin.on("data", (d) => (text += d)).on("end", () => {
             const value = JSON.parse(text)[process.argv[1]];
             if (value === undefined) process.exit(1);
             console.log(value); });' "$1"
}

# Whether FILE holds one JSON value.
is_json_file() {
  node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$1" 2>/dev/null
}

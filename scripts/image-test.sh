#!/usr/bin/env bash
# The image of deploy/Dockerfile, for real: builds it with podman and runs it, on a machine
# that reaches no image registry (only Debian's mirror and npm's).
#   1. The base image `debian:bookworm` is made locally: mmdebstrap (minbase) from the Debian
#      mirror this machine's apt uses, imported into podman. The tarball stays in the build
#      directory, so a re-run skips this step.
#   2. `podman build` of deploy/Dockerfile (it compiles livechat inside: minutes).
#   3. The container runs on a free port with the host's network, sign-up, sign-in, a room, a
#      message posted and read back; its HEALTHCHECK passes; it runs as a user other than root;
#      `podman stop` (SIGTERM) ends it with exit code 0.
# Usage: scripts/image-test.sh [build-dir]   (default build; needs root or sudo)
set -euo pipefail
cd "$(dirname "$0")/.."

work=${1:-build}/image-test
base=debian:bookworm
image=localhost/livechat:image-test
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
podman=($sudo podman)

scripts/install-deps.sh image
mkdir -p "$work"

step_start=$SECONDS
step() {
  echo "=== image-test: $1 (previous step: $((SECONDS - step_start)) s)"
  step_start=$SECONDS
}

step "base image $base"
if ! "${podman[@]}" image exists "$base"; then
  tarball=$work/debian-bookworm.tar
  if [ ! -f "$tarball" ]; then
    sources=/etc/apt/sources.list.d/debian.sources
    [ -f "$sources" ] || sources=/etc/apt/sources.list
    $sudo mmdebstrap --variant=minbase --format=tar bookworm "$tarball.part" "$sources"
    mv "$tarball.part" "$tarball"
  fi
  "${podman[@]}" import "$tarball" "$base"
fi

step "podman build -f deploy/Dockerfile"
# runc is Debian's, the runtime these machines run containers with. The docker format, because
# the OCI image format has no HEALTHCHECK. npm inside the build trusts what this machine trusts
# (its CA bundle may hold a TLS-intercepting proxy's CA).
host_ca=/etc/ssl/certs/ca-certificates.crt
"${podman[@]}" build --runtime runc --format docker --network host --pull=never \
  --volume "$host_ca:/run/build-host-ca.crt:ro" --build-arg NPM_CONFIG_CAFILE=/run/build-host-ca.crt \
  -f deploy/Dockerfile -t "$image" .

step "run the image"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
container=$("${podman[@]}" run --runtime runc --detach --network host \
  --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 \
  --env PORT="$port" --env JWT_SECRET="$(head -c 32 /dev/urandom | base64 | tr -d '=+/')" \
  "$image")
cleanup() { "${podman[@]}" rm --force --time 0 "$container" > /dev/null 2>&1 || true; }
trap cleanup EXIT

api=http://127.0.0.1:$port
fail() {
  echo "image-test: $*" >&2
  "${podman[@]}" logs "$container" >&2 || true
  exit 1
}

# Polls /healthz: the container gives no other sign that it listens.
for _ in $(seq 1 300); do
  curl -fsS "$api/healthz" > /dev/null 2>&1 && break
  [ "$("${podman[@]}" inspect --format '{{.State.Running}}' "$container")" = true ] || fail "the container exited"
  sleep 0.1
done
curl -fsS "$api/healthz" > /dev/null || fail "GET /healthz did not answer 200 within 30 s"

# `call METHOD PATH [BODY [TOKEN]]` prints the response body and fails on a status >= 400.
call() {
  local args=(-fsS -X "$1" "$api$2" -H 'Content-Type: application/json')
  [ -z "${3:-}" ] || args+=(-d "$3")
  [ -z "${4:-}" ] || args+=(-H "Authorization: Bearer $4")
  curl "${args[@]}" || fail "$1 $2 failed"
}
# `field NAME` prints a top-level field of the JSON object on stdin.
field() { python3 -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }

call POST /users/signup '{"userId":"imagetest","password":"correct horse"}' > /dev/null
token=$(call POST /users/signin '{"userId":"imagetest","password":"correct horse"}' | field accessToken)
room=$(call POST /chatrooms '{"name":"image test"}' "$token" | field chatRoomId)
call POST "/chatrooms/$room/messages" '{"contents":"hello from the image"}' "$token" > /dev/null
history=$(call GET "/chatrooms/$room/messages" "" "$token")
echo "$history" | python3 -c '
import json, sys
messages = json.load(sys.stdin)["messages"]
assert [(m["id"], m["contents"], m["sender"]) for m in messages] == [(1, "hello from the image", "imagetest")], messages
' || fail "history is not the one message posted: $history"

"${podman[@]}" healthcheck run "$container" || fail "the image's HEALTHCHECK failed"
uid=$("${podman[@]}" exec "$container" id -u)
[ "$uid" != 0 ] || fail "the server runs as root"

"${podman[@]}" stop --time 10 "$container" > /dev/null
code=$("${podman[@]}" inspect --format '{{.State.ExitCode}}' "$container")
[ "$code" = 0 ] || fail "after SIGTERM the server exited with $code, not 0"
step "done"
size=$("${podman[@]}" image inspect --format '{{.Size}}' "$image")
echo "image-test: passed (image $image, $((size / 1024 / 1024)) MiB, server uid $uid)"

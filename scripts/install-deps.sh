#!/usr/bin/env bash
# Installs what building and testing livechat needs, and nothing that is already there.
# Usage: scripts/install-deps.sh [build|test|bench|image]
#   build: compiler, CMake, the libraries the binary links, and node + npm (the build embeds
#          files from npm packages: docs/web.md)
#   test:  build, plus what the test suites start (PostgreSQL, redis-server, clang's
#          sanitizer/fuzzer runtime, Chromium for the browser tests with a font for its
#          screenshots), HAProxy (the load balancer of deploy/) and python3 (the layering check)
#   bench: build, plus what bench/compare.sh starts: node (Socket.IO), nginx with nchan, gnuplot
#   image: what scripts/image-test.sh needs to build and run deploy/Dockerfile's image: podman
#          with Debian's runc, mmdebstrap (the base image, made locally), curl and python3; the
#          build itself happens inside the image
set -euo pipefail

what=${1:-build}

build_packages=(
  g++ cmake ninja-build pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev libsodium-dev libjwt-dev libssl-dev
  libspdlog-dev libfmt-dev libcli11-dev libhiredis-dev libpq-dev
  libgtest-dev libgmock-dev libbenchmark-dev libsqlitecpp-dev
)
test_packages=(clang libclang-rt-14-dev chromium fonts-dejavu-core python3 postgresql redis-server haproxy)
bench_packages=(nginx libnginx-mod-nchan gnuplot-nox)
image_packages=(podman runc mmdebstrap curl python3)

packages=()
[ "$what" = image ] || packages=("${build_packages[@]}")
[ "$what" = test ] && packages+=("${test_packages[@]}")
[ "$what" = bench ] && packages+=("${bench_packages[@]}")
[ "$what" = image ] && packages+=("${image_packages[@]}")

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$package")
done
# Node may come from Debian (nodejs + npm) or be preinstalled another way; either will do.
if [ "$what" != image ]; then
  if ! command -v node >/dev/null; then missing+=(nodejs); fi
  if ! command -v npm >/dev/null; then missing+=(npm); fi
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing missing packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Prints the Debian packages that provide the shared libraries a binary links, one per line,
# sorted: what an image's runtime stage installs to run a binary built in another stage.
# Usage: deploy/runtime-packages.sh <binary>
set -euo pipefail

binary=$1
# ldd prints "libfoo.so.1 => /lib/x86_64-linux-gnu/libfoo.so.1 (0x…)". dpkg knows each file by
# the path its package installed, which on a merged-/usr system may be under /usr/lib instead
# of /lib (or the other way round): ask for each spelling until one answers.
ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | while read -r library; do
  for candidate in "$library" "/usr$library" "${library#/usr}" "$(realpath "$library")"; do
    if owner=$(dpkg-query -S "$candidate" 2>/dev/null); then
      echo "${owner%%:*}"
      continue 2
    fi
  done
  echo "no Debian package holds $library" >&2
  exit 1
done | sort -u

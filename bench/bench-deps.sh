#!/usr/bin/env bash
# Debian packages `make bench` drives: wrk (HTTP load) and pgbench (raw appends, in postgresql-client).
# Installs what is missing when it can (root with apt-get); otherwise says what to install and fails.
set -u
need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v pgbench >/dev/null 2>&1 || need+=(postgresql-client)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "bench: install ${need[*]} (Debian: sudo apt-get install -y ${need[*]}), then run again" >&2
  exit 1
fi
echo "bench: installing ${need[*]}"
apt-get update -qq >/dev/null 2>&1
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 && exit 0
echo "bench: could not install ${need[*]}; install them (apt-get install -y ${need[*]}) and run again" >&2
exit 1

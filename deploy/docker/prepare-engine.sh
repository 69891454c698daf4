#!/usr/bin/env bash
# Make a Docker engine answer on this machine and provide a locally made base image, for the compose test
# (tests/e2e/deploy/test_compose.py); also installs nginx, which `make stack` and its test run on the host.
#
# Idempotent: installs docker.io / docker-compose / debootstrap only when missing, starts dockerd only when the
# engine does not answer, and builds the base image only when it is not already loaded (the root filesystem is
# also cached as a tarball, so a wiped engine re-imports it in seconds instead of running debootstrap again).
#
# Where no image registry is reachable, the base image is a Debian minbase root filesystem made with debootstrap
# from the mirror this machine's apt sources name for that suite (no mirror is written here), carrying this
# machine's CA bundle so pip and apt inside `docker build` trust the same certificates as the host. The images'
# Dockerfiles install python3 on such a base themselves.
#
# Prints the base image name on the last line of stdout. Exit status 0 when the engine answers and the base image
# is loaded; non-zero otherwise (callers such as .ci/run treat that as "the compose test will skip").
set -euo pipefail

BASE_IMAGE=${SUPPORT_TICKET_BASE_IMAGE:-support-ticket/base:bookworm}
SUITE=${SUPPORT_TICKET_BASE_SUITE:-bookworm}
CACHE_DIR=${SUPPORT_TICKET_CACHE_DIR:-/var/cache/support-ticket}
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/support-ticket-dockerd.log}
DOCKERD_START_TIMEOUT=${DOCKERD_START_TIMEOUT:-60}

ENGINE_PROBLEM=unknown

log() { echo "prepare-engine: $*" >&2; }

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"; else return 1; fi
}

install_missing_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

start_engine() {
  engine_answers && return 0
  command -v dockerd >/dev/null 2>&1 || { ENGINE_PROBLEM="dockerd is not installed"; return 1; }
  log "starting dockerd (log: $DOCKERD_LOG)"
  # No bridge and no iptables: the sandbox forbids both, and the tests use network_mode: host anyway.
  as_root bash -c "setsid nohup dockerd --bridge=none --iptables=false >>'$DOCKERD_LOG' 2>&1 </dev/null &"
  for _ in $(seq 1 "$DOCKERD_START_TIMEOUT"); do
    engine_answers && return 0
    sleep 1
  done
  log "dockerd did not answer within $DOCKERD_START_TIMEOUT s; last lines of its log:"
  tail -n 20 "$DOCKERD_LOG" >&2 || true
  ENGINE_PROBLEM="dockerd did not answer within $DOCKERD_START_TIMEOUT s: $(tail -n 1 "$DOCKERD_LOG" 2>/dev/null)"
  return 1
}

apt_sources() {  # "<uri> <suite>" for every enabled deb source of apt (one-line .list and deb822 .sources files)
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    sed -E 's/#.*//; s/\[[^]]*\]//' "$f" | awk '$1 == "deb" { print $2, $3 }'
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    awk '
      function flush(  n, m, i, j, u, s) {
        if (types ~ /(^| )deb( |$)/ && tolower(enabled) !~ /no/) {
          n = split(uris, u, " "); m = split(suites, s, " ")
          for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) print u[i], s[j]
        }
        uris = suites = types = enabled = ""
      }
      /^[[:space:]]*#/ { next }
      /^[[:space:]]*$/ { flush(); next }
      { key = tolower($1); $1 = "" }
      key == "uris:" { uris = $0 } key == "suites:" { suites = $0 }
      key == "types:" { types = $0 } key == "enabled:" { enabled = $0 }
      END { flush() }' "$f"
  done
}

debian_mirror() {  # the mirror apt uses for $SUITE itself (not its -updates or -security suites); none: fail
  local mirror
  mirror=$(apt_sources | awk -v suite="$SUITE" '$2 == suite { print $1; exit }')
  if [ -z "$mirror" ]; then
    log "no apt source of this machine serves Debian $SUITE (/etc/apt/sources.list, /etc/apt/sources.list.d/)"
    return 1
  fi
  echo "$mirror"
}

build_base_image() {
  if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    return 0
  fi
  local tarball="$CACHE_DIR/base-$SUITE.tar"
  if [ ! -s "$tarball" ]; then
    local mirror rootfs
    mirror=$(debian_mirror) || return 1
    rootfs=$(mktemp -d)
    log "debootstrap --variant=minbase $SUITE from $mirror"
    as_root debootstrap --variant=minbase "$SUITE" "$rootfs" "$mirror" >/dev/null
    # Carry the machine's trust store: pip in the image build must verify the same TLS endpoints the host does.
    if [ -d /usr/local/share/ca-certificates ]; then
      as_root mkdir -p "$rootfs/usr/local/share/ca-certificates"
      as_root cp -a /usr/local/share/ca-certificates/. "$rootfs/usr/local/share/ca-certificates/"
    fi
    if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
      as_root mkdir -p "$rootfs/etc/ssl/certs"
      as_root cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
    fi
    as_root rm -rf "$rootfs/var/cache/apt/archives"/*.deb "$rootfs/var/lib/apt/lists"/*
    as_root mkdir -p "$CACHE_DIR"
    as_root tar -C "$rootfs" -cf "$tarball.tmp" .
    as_root mv "$tarball.tmp" "$tarball"
    as_root rm -rf "$rootfs"
  fi
  log "importing $tarball as $BASE_IMAGE"
  docker import "$tarball" "$BASE_IMAGE" >/dev/null
}

main() {
  install_missing_packages || log "could not install the engine packages"
  start_engine || { log "no Docker engine ($ENGINE_PROBLEM): the compose test will be skipped"; return 1; }
  build_base_image || { log "could not build $BASE_IMAGE"; return 1; }
  log "engine ready; base image $BASE_IMAGE"
  echo "$BASE_IMAGE"
}

main "$@"

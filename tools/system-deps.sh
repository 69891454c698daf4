#!/usr/bin/env bash
# Debian packages some tests drive: chromium and chromium-driver, firefox-esr (browser tests), nginx (the gateway),
# prometheus (with promtool: the metrics, dashboard and alert rules tests).
# Installs what is missing when it can (root with apt-get); otherwise says what to install. Those tests are
# skipped, with the reason in the test summary, when their tools are absent.
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v firefox-esr >/dev/null 2>&1 || need+=(firefox-esr)
command -v prometheus >/dev/null 2>&1 || [ -x /usr/bin/prometheus ] || need+=(prometheus)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: install ${need[*]} (Debian packages) to run the browser and gateway tests"
  exit 0
fi
echo "system-deps: installing ${need[*]}"
# Keep package scripts from starting services (nginx would take port 80, prometheus 9090).
policy=/usr/sbin/policy-rc.d
created_policy=false
if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created_policy=true; fi
apt-get update -qq >/dev/null 2>&1
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
  || echo "system-deps: could not install ${need[*]}; their tests will be skipped"
if $created_policy; then rm -f "$policy"; fi
exit 0

#!/bin/bash
# Container health check of the gateway: its own /health answers 200 (bash's /dev/tcp: no curl in the image).
set -eu
listen=${GATEWAY_LISTEN:-8080}
port=${listen##*:}
host=127.0.0.1
case $listen in *:*) host=${listen%:*} ;; esac
[ "$host" = "0.0.0.0" ] || [ "$host" = "*" ] && host=127.0.0.1
exec 3<>"/dev/tcp/$host/$port"
printf 'GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
read -r status <&3
case $status in *" 200 "*) exit 0 ;; *) echo "gateway /health: $status" >&2; exit 1 ;; esac

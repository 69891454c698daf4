#!/bin/sh
# Render the gateway's nginx configuration from nginx.conf.template and print the rendered file's path.
#
#   render-config.sh [OUTPUT]      (default: $GATEWAY_RUNTIME_DIR/nginx.conf)
#
# Settings (environment) and their defaults:
#   GATEWAY_LISTEN                 8080              address[:port] nginx listens on (PORT is used when set)
#   COMMAND_API_ADDR               127.0.0.1:8081    host:port of the command API
#   QUERY_API_ADDR                 127.0.0.1:8082    host:port of the query API
#   PROJECTOR_ADDR                 127.0.0.1:8083    host:port of the projector (the admin API, /api/admin/)
#   WEBHOOKS_ADDR                  127.0.0.1:8084    host:port of the webhooks service (/api/webhooks/)
#   GATEWAY_WEB_ROOT               <repo>/frontend   directory of the web UI's static files
#   GATEWAY_RUNTIME_DIR            /tmp/support-ticket-gateway   pid file and temp files (must be writable)
#   GATEWAY_CLIENT_MAX_BODY_SIZE   1m                larger request bodies get 413 at the gateway
#   GATEWAY_PROXY_READ_TIMEOUT     60s               for ordinary API calls
#   GATEWAY_SSE_READ_TIMEOUT       1h                for /api/stream
#   GATEWAY_WORKER_PROCESSES       auto
#   GATEWAY_ERROR_LOG_LEVEL        warn
set -eu

here=$(cd "$(dirname "$0")" && pwd)

: "${GATEWAY_LISTEN:=${PORT:-8080}}"
: "${COMMAND_API_ADDR:=127.0.0.1:8081}"
: "${QUERY_API_ADDR:=127.0.0.1:8082}"
: "${PROJECTOR_ADDR:=127.0.0.1:8083}"
: "${WEBHOOKS_ADDR:=127.0.0.1:8084}"
: "${GATEWAY_WEB_ROOT:=$(cd "$here/../.." && pwd)/frontend}"
: "${GATEWAY_RUNTIME_DIR:=${TMPDIR:-/tmp}/support-ticket-gateway}"
: "${GATEWAY_CLIENT_MAX_BODY_SIZE:=1m}"
: "${GATEWAY_PROXY_READ_TIMEOUT:=60s}"
: "${GATEWAY_SSE_READ_TIMEOUT:=1h}"
: "${GATEWAY_WORKER_PROCESSES:=auto}"
: "${GATEWAY_ERROR_LOG_LEVEL:=warn}"
export GATEWAY_LISTEN COMMAND_API_ADDR QUERY_API_ADDR PROJECTOR_ADDR WEBHOOKS_ADDR GATEWAY_WEB_ROOT GATEWAY_RUNTIME_DIR \
  GATEWAY_CLIENT_MAX_BODY_SIZE GATEWAY_PROXY_READ_TIMEOUT GATEWAY_SSE_READ_TIMEOUT GATEWAY_WORKER_PROCESSES \
  GATEWAY_ERROR_LOG_LEVEL

output=${1:-$GATEWAY_RUNTIME_DIR/nginx.conf}
mkdir -p "$GATEWAY_RUNTIME_DIR" "$(dirname "$output")"

# Only these variables are substituted: nginx's own $variables must reach nginx untouched.
envsubst '${GATEWAY_LISTEN} ${COMMAND_API_ADDR} ${QUERY_API_ADDR} ${PROJECTOR_ADDR} ${WEBHOOKS_ADDR} ${GATEWAY_WEB_ROOT} ${GATEWAY_RUNTIME_DIR}
${GATEWAY_CLIENT_MAX_BODY_SIZE} ${GATEWAY_PROXY_READ_TIMEOUT} ${GATEWAY_SSE_READ_TIMEOUT} ${GATEWAY_WORKER_PROCESSES}
${GATEWAY_ERROR_LOG_LEVEL}' <"${GATEWAY_TEMPLATE:-$here/nginx.conf.template}" >"$output.tmp"
mv "$output.tmp" "$output"
echo "$output"

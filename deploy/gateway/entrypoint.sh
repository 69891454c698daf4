#!/bin/sh
# Container entry point of the gateway: render the configuration from the environment, then run nginx in the
# foreground as PID 1 (SIGTERM: fast shutdown, SIGQUIT: graceful). Runs as any user: only
# GATEWAY_RUNTIME_DIR must be writable.
set -eu
config=$(/opt/gateway/render-config.sh)
exec nginx -c "$config" -e stderr "$@"

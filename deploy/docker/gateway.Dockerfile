# The support-ticket gateway image: nginx from Debian's packages, the gateway template, and the web UI's static
# files. Upstream addresses and limits come from the environment when the container starts (render-config.sh).
#
# Build from the repository root:
#   docker build -f deploy/docker/gateway.Dockerfile -t support-ticket/gateway .
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${BASE_IMAGE}
# policy-rc.d keeps the package's maintainer scripts from starting nginx during the build.
RUN set -eu; \
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx gettext-base; \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb /usr/sbin/policy-rc.d \
        /etc/nginx/sites-enabled/* /var/www/html; \
    groupadd --gid 10001 gateway; \
    useradd --uid 10001 --gid gateway --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin gateway
COPY deploy/gateway/nginx.conf.template deploy/gateway/render-config.sh /opt/gateway/
COPY deploy/gateway/entrypoint.sh /usr/local/bin/gateway-entrypoint
COPY deploy/gateway/healthcheck.sh /usr/local/bin/healthcheck
COPY frontend/ /srv/www/
ENV GATEWAY_LISTEN=8080 \
    COMMAND_API_ADDR=command-api:8081 \
    QUERY_API_ADDR=query-api:8082 \
    GATEWAY_WEB_ROOT=/srv/www \
    GATEWAY_RUNTIME_DIR=/tmp/gateway
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/gateway-entrypoint"]

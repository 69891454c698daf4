# The support-ticket services image: command-api, projector and query-api share one image (one build, one cache,
# one vulnerability scan); the container's command picks the service:
#   ticket-command-api serve | migrate     ticket-projector run | migrate | rebuild     ticket-query-api serve
#
# Build from the repository root:
#   docker build -f deploy/docker/app.Dockerfile -t support-ticket/app .
#   docker build -f deploy/docker/app.Dockerfile --build-arg BASE_IMAGE=debian:bookworm-slim ...
# BASE_IMAGE is any Debian-family image: python:3.11-slim (default) brings its own Python; on a plain Debian base,
# Debian's python3 is installed. pip verifies TLS with the base's system CA bundle when it has one.
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS python-base
RUN set -eu; \
    if ! command -v python3 >/dev/null 2>&1; then \
        apt-get update; \
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 ca-certificates; \
        rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb; \
    fi

# Third-party requirements of every package, read from their pyproject.toml files. This stage re-runs when
# sources change, but its output only changes with the dependencies, so the install layer below stays cached.
FROM python-base AS requirements
COPY deploy/docker/requirements_from_pyprojects.py /tmp/
COPY libs /src/libs
COPY services /src/services
RUN python3 /tmp/requirements_from_pyprojects.py /src/libs /src/services > /tmp/requirements.txt

FROM python-base AS build
RUN set -eu; \
    if ! python3 -c 'import ensurepip' >/dev/null 2>&1; then \
        apt-get update; \
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-venv; \
        rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin; \
    fi; \
    python3 -m venv /opt/venv
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_DEFAULT_TIMEOUT=120
COPY constraints.txt /src/constraints.txt
COPY --from=requirements /tmp/requirements.txt /src/requirements.txt
RUN set -eu; \
    if [ -f /etc/ssl/certs/ca-certificates.crt ]; then export PIP_CERT=/etc/ssl/certs/ca-certificates.crt; fi; \
    /opt/venv/bin/pip install --no-compile -c /src/constraints.txt -r /src/requirements.txt
COPY libs /src/libs
COPY services /src/services
RUN set -eu; \
    if [ -f /etc/ssl/certs/ca-certificates.crt ]; then export PIP_CERT=/etc/ssl/certs/ca-certificates.crt; fi; \
    /opt/venv/bin/pip install --no-compile --no-deps -c /src/constraints.txt /src/libs/* /src/services/*; \
    /opt/venv/bin/pip uninstall -y pip setuptools >/dev/null 2>&1 || true; \
    /opt/venv/bin/python -m compileall -q /opt/venv/lib >/dev/null

FROM python-base AS runtime
RUN groupadd --gid 10001 app \
    && useradd --uid 10001 --gid app --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin app
COPY --from=build /opt/venv /opt/venv
COPY deploy/docker/healthcheck.py /usr/local/bin/healthcheck
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOST=0.0.0.0
USER 10001:10001
WORKDIR /tmp
# Configuration comes from the environment at run time (DATABASE_URL, REDIS_URL, JWT_SECRET, PORT, ...):
# nothing secret is in this image.
CMD ["ticket-command-api", "serve"]

# mockserve as a container. Build it, then serve a spec from a mounted folder:
#   docker build -t mockserve:local .
#   docker run --rm -p 127.0.0.1:8000:8000 -v "$PWD/specs:/spec:ro" \
#       -e MOCKSERVE_SPEC=/spec/todo.yaml mockserve:local
# The spec is MOCKSERVE_SPEC (default /spec/spec.yaml); the arguments are mockserve's own,
# so `docker run ... mockserve:local validate /spec/todo.yaml` works as well.
# Options come from the environment as MOCKSERVE_<OPTION>: MOCKSERVE_STORE=redis://valkey:6379/0,
# MOCKSERVE_STORE_WAIT=30, MOCKSERVE_ADMIN_TOKEN=..., MOCKSERVE_HTTPS=true, MOCKSERVE_SEED=7.
#
# The base is Debian's own Python, so the whole image can be rebuilt from Debian packages
# and PyPI. Behind a proxy that re-signs TLS, give pip the CA bundle as a build secret (it
# never reaches the image): docker build --secret id=ca_bundle,src=/etc/ssl/certs/ca-certificates.crt
ARG BASE=debian:bookworm-slim

FROM ${BASE} AS python
# tini is PID 1: it passes SIGTERM on at once (`docker stop` takes well under a second).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        python3 tini ca-certificates \
    && apt-get clean && rm -rf /var/lib/apt/lists/*

FROM python AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-venv \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md LICENSE MANIFEST.in ./
COPY mockserve ./mockserve
RUN --mount=type=secret,id=ca_bundle,required=false \
    if [ -s /run/secrets/ca_bundle ]; then export PIP_CERT=/run/secrets/ca_bundle; fi \
    && python3 -m venv /opt/mockserve \
    && /opt/mockserve/bin/pip install --no-cache-dir --disable-pip-version-check /src \
    && /opt/mockserve/bin/pip uninstall -y --disable-pip-version-check pip setuptools

FROM python
COPY --from=build /opt/mockserve /opt/mockserve
# Never root: the server needs no privilege (it listens on 8000). /cache holds the local CA
# (HTTPS) and the parse cache; it is a volume, so it stays writable with --read-only.
RUN groupadd --gid 10001 mockserve \
    && useradd --uid 10001 --gid 10001 --home-dir /home/mockserve --create-home \
        --shell /usr/sbin/nologin mockserve \
    && install -d -o 10001 -g 10001 -m 0700 /cache
ENV PATH=/opt/mockserve/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MOCKSERVE_SPEC=/spec/spec.yaml \
    MOCKSERVE_HOST=0.0.0.0 \
    MOCKSERVE_CACHE_DIR=/cache \
    TMPDIR=/cache
VOLUME /cache
USER 10001:10001
WORKDIR /spec
LABEL org.opencontainers.image.title=mockserve \
      org.opencontainers.image.licenses=MIT

EXPOSE 8000
# `mockserve health` asks the server `run` starts from this same environment:
# 127.0.0.1:$MOCKSERVE_PORT, https:// with MOCKSERVE_HTTPS, at MOCKSERVE_SPEC's admin
# path, with MOCKSERVE_ADMIN_TOKEN when set. No curl in the image.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["mockserve", "health"]
ENTRYPOINT ["tini", "--", "mockserve"]
CMD ["run"]

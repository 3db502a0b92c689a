# mockserve as a container: mount a spec at /spec/spec.yaml (and the files it names).
#   docker build -t mockserve .
#   docker run --rm -p 8000:8000 -v "$PWD/specs:/spec:ro" mockserve
# Options come from the environment as MOCKSERVE_<OPTION>: MOCKSERVE_STORE=redis://redis:6379/0,
# MOCKSERVE_ADMIN_TOKEN=..., MOCKSERVE_SEED=7, MOCKSERVE_WORKERS=2 (with a store).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY mockserve ./mockserve
RUN pip install . && rm -rf /src

# Never root: the server needs no privilege (it listens on 8000).
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin mockserve
USER 10001:10001
WORKDIR /spec

EXPOSE 8000
# `mockserve health` asks http://127.0.0.1:$MOCKSERVE_PORT/__mockserve/health with
# MOCKSERVE_ADMIN_TOKEN when set: no curl in the image.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["mockserve", "health"]
ENTRYPOINT ["mockserve", "run", "/spec/spec.yaml", "--host", "0.0.0.0"]

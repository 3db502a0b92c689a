#!/usr/bin/env bash
# The image, built and run the way users run it. CI calls this after pytest.
#
# It starts a container engine where none runs (as root on Debian: docker.io), provides
# the base image where no registry answers (Debian's packages, with mmdebstrap, cached in
# $MOCKSERVE_SMOKE_CACHE), builds the image, then checks: a shipped spec served on a
# 127.0.0.1 port, the admin token refused and accepted, `healthy` reached, `docker stop`
# right after start in under 2 s, HTTPS with a moved admin path on a read-only root file
# system, one line (not a traceback) where the local CA cannot be written, the user and
# group, the licence; then the compose stack where its images can be provided.
# Anything missing fails the run and says what; nothing is skipped silently.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$(date +%s)
CACHE=${MOCKSERVE_SMOKE_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/mockserve-smoke}
IMAGE=${MOCKSERVE_IMAGE:-mockserve:local}
BASE=debian:bookworm-slim
SUITE=bookworm
TOKEN=smoke-token
RUN_ID=mockserve-smoke-$$
mkdir -p "$CACHE"
WORK=$(mktemp -d)

passed=0
say() { echo "smoke: $*" >&2; }
ok() {
    passed=$((passed + 1))
    say "ok: $*"
}
fail() {
    echo "smoke: FAILED: $*" >&2
    echo "smoke: $passed passed, 1 failed"
    exit 1
}

# Debian's client talks to Debian's daemon with BuildKit built in (build secrets); a
# newer client without its buildx plugin cannot build with them.
DOCKER=docker
[ -x /usr/bin/docker ] && DOCKER=/usr/bin/docker
export DOCKER_BUILDKIT=1

dockerd_pid=""
cleanup() {
    set +e
    if command -v "$DOCKER" >/dev/null && [ -S /var/run/docker.sock ]; then
        ids=$("$DOCKER" ps -aq --filter "label=$RUN_ID" 2>/dev/null)
        [ -n "$ids" ] && "$DOCKER" rm -f -v $ids >/dev/null
        if [ -n "${stack:-}" ]; then
            "${stack[@]}" down -v >/dev/null 2>&1
        fi
    fi
    if [ -n "$dockerd_pid" ]; then
        kill "$dockerd_pid" 2>/dev/null
        for _ in $(seq 1 100); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

apt_install() {
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        return 1
    fi
    if [ -z "${apt_updated:-}" ]; then
        apt-get update -qq || return 1
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# --- 1. a container engine -------------------------------------------------------------
if ! "$DOCKER" info >/dev/null 2>&1; then
    if ! command -v dockerd >/dev/null; then
        say "no container engine: dockerd is missing; installing Debian's docker.io"
        apt_install docker.io || fail "no container engine: dockerd is missing and cannot be \
installed here (needs root and apt-get: apt-get install -y docker.io)"
        DOCKER=/usr/bin/docker
    fi
    say "starting dockerd (log: $CACHE/dockerd.log)"
    dockerd >"$CACHE/dockerd.log" 2>&1 &
    dockerd_pid=$!
    for _ in $(seq 1 120); do
        "$DOCKER" info >/dev/null 2>&1 && break
        kill -0 "$dockerd_pid" 2>/dev/null || fail "dockerd stopped at once: $(tail -3 "$CACHE/dockerd.log")"
        sleep 0.5
    done
    "$DOCKER" info >/dev/null 2>&1 || fail "dockerd did not answer within 60 s: $(tail -3 "$CACHE/dockerd.log")"
fi
say "engine: $("$DOCKER" version --format 'docker {{.Server.Version}}')"

# --- 2. the base image -----------------------------------------------------------------
if ! "$DOCKER" image inspect "$BASE" >/dev/null 2>&1; then
    tarball="$CACHE/$SUITE-slim-merged-usr.tar"
    if timeout 60 "$DOCKER" pull -q "$BASE" >/dev/null 2>&1; then
        say "pulled $BASE"
    else
        if [ ! -s "$tarball" ]; then
            say "no registry answers: making $BASE from Debian's packages with mmdebstrap"
            command -v mmdebstrap >/dev/null || apt_install mmdebstrap ||
                fail "cannot provide $BASE: no registry answers and mmdebstrap is missing \
(apt-get install -y mmdebstrap)"
            # What the official slim image holds: minbase, /usr merged from the start (not
            # through usrmerge, which leaves perl behind), no manuals, docs or locales.
            mmdebstrap --variant=minbase --format=tar --quiet \
                --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
                --dpkgopt='path-exclude=/usr/share/man/*' \
                --dpkgopt='path-exclude=/usr/share/doc/*' \
                --dpkgopt='path-include=/usr/share/doc/*/copyright' \
                --dpkgopt='path-exclude=/usr/share/locale/*' \
                --dpkgopt='path-exclude=/usr/share/info/*' \
                "$SUITE" "$CACHE/$SUITE-slim.part.tar" \
                "deb http://deb.debian.org/debian $SUITE main" \
                "deb http://deb.debian.org/debian $SUITE-updates main" \
                "deb http://deb.debian.org/debian-security $SUITE-security main" \
                >"$CACHE/mmdebstrap.log" 2>&1 ||
                fail "mmdebstrap could not make $BASE (are Debian's package indexes reachable?): \
$(tail -5 "$CACHE/mmdebstrap.log")"
            mv "$CACHE/$SUITE-slim.part.tar" "$tarball"
        fi
        "$DOCKER" import --change 'CMD ["bash"]' "$tarball" "$BASE" >/dev/null
        say "imported $BASE from $tarball"
    fi
fi

# --- 3. the image ----------------------------------------------------------------------
# Behind a proxy that re-signs TLS, pip needs this machine's CA bundle: a build secret,
# used by the build stage only, never written into the image.
secret=()
for bundle in "${SSL_CERT_FILE:-}" /etc/ssl/certs/ca-certificates.crt; do
    if [ -n "$bundle" ] && [ -s "$bundle" ]; then
        secret=(--secret "id=ca_bundle,src=$bundle")
        break
    fi
done
build_started=$(date +%s)
"$DOCKER" build --network host "${secret[@]}" -t "$IMAGE" . >"$WORK/build.log" 2>&1 ||
    fail "the image does not build: $(tail -20 "$WORK/build.log")"
say "built $IMAGE in $(($(date +%s) - build_started)) s"

# --- 4. the checks ---------------------------------------------------------------------
http() { # http URL [TOKEN] -> the status code (000 when nothing answers)
    local auth=()
    [ -n "${2:-}" ] && auth=(-H "Authorization: Bearer $2")
    curl -sk -o /dev/null -w '%{http_code}' --max-time 5 "${auth[@]}" "$1" || true
}
expect() { # expect WHAT WANTED GOT
    [ "$2" = "$3" ] || fail "$1: expected $2, got $3"
    ok "$1 ($3)"
}
start() { # start NAME ARGS... -> runs the image detached, port 8000 on a 127.0.0.1 port
    local name=$1
    shift
    "$DOCKER" run -d --name "$RUN_ID-$name" --label "$RUN_ID" -p 127.0.0.1::8000 "$@" >/dev/null
}
port_of() { "$DOCKER" port "$RUN_ID-$1" 8000/tcp | head -1 | sed 's/.*://'; }
until_status() { # until_status URL WANTED SECONDS [TOKEN]
    local deadline=$(($(date +%s) + $3)) got
    while :; do
        got=$(http "$1" "${4:-}")
        [ "$got" = "$2" ] && return 0
        [ "$(date +%s)" -ge $deadline ] && break
        sleep 0.2
    done
    echo "$got"
    return 1
}
until_healthy() { # until_healthy NAME SECONDS
    local deadline=$(($(date +%s) + $2)) state
    while :; do
        state=$("$DOCKER" inspect -f '{{.State.Health.Status}}' "$RUN_ID-$1")
        [ "$state" = healthy ] && return 0
        [ "$(date +%s)" -ge $deadline ] && break
        sleep 0.5
    done
    fail "$1 not healthy after $2 s ($state): $("$DOCKER" inspect -f '{{json .State.Health.Log}}' "$RUN_ID-$1" | tail -c 400)"
}
logs_of() { "$DOCKER" logs "$RUN_ID-$1" 2>&1 | tail -20; }

# A shipped spec, with the documented command line.
start plain -v "$PWD/specs:/spec:ro" -e MOCKSERVE_SPEC=/spec/todo.yaml \
    -e MOCKSERVE_ADMIN_TOKEN=$TOKEN "$IMAGE"
url="http://127.0.0.1:$(port_of plain)"
until_status "$url/todos" 200 30 >/dev/null || fail "specs/todo.yaml not served on $url: $(logs_of plain)"
ok "specs/todo.yaml served on $url"
expect "the admin API without the token" 401 "$(http "$url/__mockserve/requests")"
expect "the admin API with a wrong token" 401 "$(http "$url/__mockserve/requests" wrong)"
expect "the admin API with the token" 200 "$(http "$url/__mockserve/requests" $TOKEN)"
until_healthy plain 40
ok "healthy"

# SIGTERM right after start: tini passes it on, nothing waits for docker's 10 s kill.
start stop -v "$PWD/specs:/spec:ro" -e MOCKSERVE_SPEC=/spec/todo.yaml "$IMAGE"
stop_started=$(date +%s%N)
"$DOCKER" stop "$RUN_ID-stop" >/dev/null
stop_ms=$((($(date +%s%N) - stop_started) / 1000000))
[ "$stop_ms" -lt 2000 ] || fail "docker stop right after start took $stop_ms ms (2000 at most)"
ok "docker stop right after start took $stop_ms ms"

# HTTPS on a read-only root file system, for a spec that moves its admin path: the local
# CA goes to the /cache volume, the health check follows the scheme and the path.
mkdir -p "$WORK/spec"
cat >"$WORK/spec/spec.yaml" <<'EOF'
mockserve: 1
title: Moved admin path
settings:
  admin: /_admin
routes:
  - path: /hello
    response: {json: {hello: world}}
EOF
chmod -R a+rX "$WORK"
start https --read-only --cap-drop ALL --security-opt no-new-privileges \
    -v "$WORK/spec:/spec:ro" -e MOCKSERVE_HTTPS=true "$IMAGE"
url="https://127.0.0.1:$(port_of https)"
until_status "$url/hello" 200 30 >/dev/null || fail "no HTTPS on $url with --read-only: $(logs_of https)"
ok "HTTPS served on $url with a read-only root file system"
until_healthy https 40
ok "healthy over HTTPS at the spec's admin path /_admin"

# Nowhere to write the local CA: one line saying so, exit 2, never a traceback.
set +e
out=$("$DOCKER" run --rm --label "$RUN_ID" --read-only -v "$PWD/specs:/spec:ro" \
    -e MOCKSERVE_SPEC=/spec/todo.yaml -e MOCKSERVE_HTTPS=true \
    -e MOCKSERVE_CACHE_DIR=/home/mockserve/cache "$IMAGE" 2>&1)
code=$?
set -e
expect "HTTPS where the CA cannot be written: exit code" 2 "$code"
[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && [[ $out == *"cannot make the local CA"* ]] ||
    fail "HTTPS where the CA cannot be written: expected one line, got: $out"
ok "one line: $out"

expect "the image's user and group" "10001:10001" \
    "$("$DOCKER" run --rm --label "$RUN_ID" --entrypoint sh "$IMAGE" -c 'echo "$(id -u):$(id -g)"')"
"$DOCKER" run --rm --label "$RUN_ID" --entrypoint sh "$IMAGE" -c \
    'grep -q "MIT License" /opt/mockserve/lib/python3*/site-packages/mockserve-*.dist-info/licenses/LICENSE' ||
    fail "the installed package has no LICENSE"
ok "the installed package carries its LICENSE"
if "$DOCKER" history --no-trunc "$IMAGE" | grep -q "BEGIN CERTIFICATE" ||
    "$DOCKER" run --rm --label "$RUN_ID" --entrypoint sh "$IMAGE" -c 'test -e /run/secrets/ca_bundle'; then
    fail "the build's CA bundle reached the image"
fi
ok "the build's CA bundle is not in the image"
"$DOCKER" run --rm --label "$RUN_ID" "$IMAGE" validate /spec/todo.yaml >/dev/null 2>&1 &&
    fail "validate of a missing file passed" || true
"$DOCKER" run --rm --label "$RUN_ID" -v "$PWD/specs:/spec:ro" "$IMAGE" validate /spec/todo.yaml >/dev/null ||
    fail "another command than run (validate) does not work through the entry point"
ok "other commands through the entry point (validate)"

# --- 5. the compose stack --------------------------------------------------------------
# No registry answers here for compose.yaml's valkey and nginx images: stand-ins made from
# Debian's packages (redis-server under Valkey's command names and, as Valkey's image
# does, without protected mode; nginx with the same
# conf.d layout) take their place through an override file; everything else is as
# shipped, the mock service included (the image built above).
if ! command -v docker-compose >/dev/null && ! "$DOCKER" compose version >/dev/null 2>&1; then
    apt_install docker-compose || fail "the compose check needs docker compose or \
docker-compose (apt-get install -y docker-compose)"
fi
compose=(docker-compose)
command -v docker-compose >/dev/null || compose=("$DOCKER" compose)
stand_in() { # stand_in NAME IMAGE < DOCKERFILE: made from Debian packages unless present
    local name=$1 image=$2
    "$DOCKER" image inspect "$image" >/dev/null 2>&1 && return 0
    "$DOCKER" build --network host -t "$image" - >"$WORK/$name.log" 2>&1 ||
        fail "cannot make the $name stand-in: $(tail -5 "$WORK/$name.log")"
}
stand_in valkey mockserve-smoke/valkey:bookworm <<END
FROM $BASE
RUN apt-get update && apt-get install -y --no-install-recommends redis-server \
    && rm -rf /var/lib/apt/lists/* \
    && printf '#!/bin/sh\\nexec redis-server "\$@" --protected-mode no\\n' >/usr/local/bin/valkey-server \
    && chmod +x /usr/local/bin/valkey-server \
    && ln -s /usr/bin/redis-cli /usr/local/bin/valkey-cli && mkdir /data && chown redis /data
USER redis
WORKDIR /data
END
stand_in nginx mockserve-smoke/nginx:bookworm <<END
FROM $BASE
RUN apt-get update && apt-get install -y --no-install-recommends nginx \
    && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/* \
    && ln -sf /dev/stdout /var/log/nginx/access.log && ln -sf /dev/stderr /var/log/nginx/error.log
CMD ["nginx", "-g", "daemon off;"]
END
cat >"$WORK/compose.override.yaml" <<END
services:
  valkey: {image: "mockserve-smoke/valkey:bookworm", labels: ["$RUN_ID"]}
  nginx: {image: "mockserve-smoke/nginx:bookworm", labels: ["$RUN_ID"]}
  mock: {labels: ["$RUN_ID"]}
END
free_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The documented .env file: the token, and here a free port instead of 8000.
printf 'MOCKSERVE_ADMIN_TOKEN=%s\nMOCKSERVE_PUBLISH=127.0.0.1:%s\n' "$TOKEN" "$free_port" >"$WORK/compose.env"
stack=("${compose[@]}" -p "$RUN_ID" -f compose.yaml -f "$WORK/compose.override.yaml")
compose_started=$(date +%s)
"${stack[@]}" --env-file "$WORK/compose.env" up -d --no-build >"$WORK/compose.log" 2>&1 ||
    fail "docker compose up failed: $(tail -20 "$WORK/compose.log")"
url="http://127.0.0.1:$free_port"
until_status "$url/todos" 200 90 >/dev/null ||
    fail "the compose stack does not answer on $url: $("${stack[@]}" --env-file "$WORK/compose.env" ps 2>&1)"
ok "the compose stack answers on $url, $(($(date +%s) - compose_started)) s after up"
mocks=$("$DOCKER" ps -q --filter "label=com.docker.compose.project=$RUN_ID" \
    --filter "label=com.docker.compose.service=mock" --filter health=healthy | wc -l)
expect "healthy mock instances" 3 "$mocks"
published=$("$DOCKER" ps --filter "label=com.docker.compose.project=$RUN_ID" \
    --filter "label=com.docker.compose.service=nginx" --format '{{.Ports}}')
[[ $published == "127.0.0.1:$free_port->8000/tcp" ]] ||
    fail "nginx published as $published, not on 127.0.0.1 only"
ok "published on 127.0.0.1 only ($published)"
created=$(curl -s --max-time 5 -H 'Content-Type: application/json' -d '{"title": "smoke"}' "$url/todos")
id=$(printf '%s' "$created" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])') ||
    fail "POST /todos through nginx answered: $created"
for _ in 1 2 3 4 5 6; do # round robin: every instance sees what one of them created
    got=$(http "$url/todos/$id")
    [ "$got" = 200 ] || fail "GET /todos/$id through nginx: $got (not shared by every instance)"
done
ok "six reads over three instances all see the item one of them created"
expect "the admin API through nginx without the token" 401 "$(http "$url/__mockserve/requests")"
seen=$(curl -s --max-time 5 -H "Authorization: Bearer $TOKEN" "$url/__mockserve/requests" |
    python3 -c 'import json, sys; d = json.load(sys.stdin); print(len(d["requests"] if isinstance(d, dict) else d))')
[ "$seen" -ge 8 ] || fail "the shared journal lists $seen requests through nginx, expected 8 or more"
ok "the journal through nginx with the token lists all $seen requests of the three instances"
# Every command works without the variables: `down` reads no .env here.
rm -f "$WORK/compose.env"
"${stack[@]}" down -v >"$WORK/down.log" 2>&1 ||
    fail "docker compose down without the variables: $(tail -5 "$WORK/down.log")"
ok "docker compose down needs no variable"

size=$("$DOCKER" image inspect -f '{{.Size}}' "$IMAGE")
say "image $IMAGE: $((size / 1000000)) MB"
say "took $(($(date +%s) - started)) s"
echo "smoke: $passed passed, 0 failed"

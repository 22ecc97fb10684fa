#!/usr/bin/env bash
# `make image`: build the Lambda image (functions/report/Dockerfile) and tag it, on a fresh
# Debian machine where no container registry may be reachable.
#
#   IMAGE       tag to build                     (default community-pulse:local)
#   BASE_IMAGE  the base the Dockerfile starts   (default python:3.12-slim-bookworm); when it is
#               neither present nor pullable, FALLBACK_BASE is built from Debian packages
#               (scripts/build-base-image.sh) and used instead
#   NO_CACHE=1  rebuild every layer (to measure a cold build)
#
# Every build runs with --network host: the daemon has no bridge (scripts/ensure-docker.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

image=${IMAGE:-community-pulse:local}
base=${BASE_IMAGE:-python:3.12-slim-bookworm}
fallback=${FALLBACK_BASE:-community-pulse-base:bookworm}

bash scripts/ensure-docker.sh

if docker image inspect "$base" >/dev/null 2>&1; then
    :
elif timeout "${PULL_TIMEOUT:-120}" docker pull "$base" >/dev/null 2>&1; then
    echo "build-image: pulled $base" >&2
else
    echo "build-image: cannot pull $base; using $fallback, built from Debian packages" >&2
    if ! docker image inspect "$fallback" >/dev/null 2>&1; then
        bash scripts/build-base-image.sh "$fallback" >/dev/null
    fi
    base=$fallback
fi

# pip inside the build uses the same package index as pip on this machine (environment or pip
# config); local file:// indexes cannot be seen from the build and are left out.
pip_setting() {
    local var=$1 key=$2 value=${!1:-}
    if [ -z "$value" ]; then
        value=$(python3 -m pip config get "$key" 2>/dev/null || true)
    fi
    local kept=()
    for v in $value; do
        case $v in http://* | https://*) kept+=("$v") ;; *) ;; esac
    done
    if [ "$var" = PIP_TRUSTED_HOST ]; then kept=($value); fi
    if [ ${#kept[@]} -gt 0 ]; then
        printf -- '--build-arg\n%s=%s\n' "$var" "${kept[*]}"
    fi
}
mapfile -t pip_args < <(
    pip_setting PIP_INDEX_URL global.index-url
    pip_setting PIP_EXTRA_INDEX_URL global.extra-index-url
    pip_setting PIP_TRUSTED_HOST global.trusted-host
)

cache=()
if [ "${NO_CACHE:-0}" = 1 ]; then cache=(--no-cache); fi

SECONDS=0
docker build --network host "${cache[@]}" \
    --build-arg "BASE_IMAGE=$base" "${pip_args[@]}" \
    -f functions/report/Dockerfile -t "$image" .
took=$SECONDS
size=$(docker image inspect -f '{{.Size}}' "$image")
awk -v i="$image" -v t="$took" -v b="$base" -v s="$size" \
    'BEGIN { printf "build-image: %s built in %d s from %s: %d bytes (%.2f GB)\n", i, t, b, s, s / 1e9 }' >&2

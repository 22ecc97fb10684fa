#!/usr/bin/env bash
# Make sure a Docker engine answers: install Debian's docker.io when no docker is found, and
# start a daemon when none runs. The daemon gets no bridge and no iptables rules: every build
# and container of this project runs with --network host (containers talk to loopback only).
set -euo pipefail

log=${DOCKERD_LOG:-/tmp/community-pulse-dockerd.log}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
    echo "ensure-docker: installing Debian's docker.io" >&2
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker.io
fi

if docker info >/dev/null 2>&1; then
    exit 0
fi

echo "ensure-docker: starting dockerd (log: $log)" >&2
as_root sh -c "nohup dockerd --bridge=none --iptables=false >'$log' 2>&1 &"
for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then
        exit 0
    fi
    sleep 1
done
echo "ensure-docker: dockerd did not answer within 60 s; see $log" >&2
tail -20 "$log" >&2 || true
exit 1

#!/usr/bin/env bash
# Build a Python base image from Debian packages, for machines that cannot pull the official
# python:3.12-slim-bookworm (no registry reachable, or a locked-down one).
#
#   scripts/build-base-image.sh [TAG]        (default: community-pulse-base:bookworm)
#
# debootstrap (minbase) bookworm from the same Debian mirror as this machine's apt, Debian's
# python3 (3.11 on bookworm) in a virtual environment at /opt/python (so `python` and `pip`
# are on PATH as in the official image), and this machine's certificate authorities: pip and
# apt inside the image build trust what the host trusts (registries may sit behind a
# TLS-inspecting proxy). Nothing is pulled from a container registry.
set -euo pipefail

tag=${1:-community-pulse-base:bookworm}
suite=${DEBIAN_SUITE:-bookworm}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# The Debian mirror this machine's apt uses (deb822 .sources or one-line .list), unless given.
host_mirror() {
    local uri
    uri=$(grep -hs -E '^[[:space:]]*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk '{print $2}' | grep -v -- '-security' | grep '/debian/\?$' | head -n1 || true)
    if [ -z "$uri" ]; then
        uri=$(grep -hs -E '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
            | awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
            | grep -v -- '-security' | head -n1 || true)
    fi
    echo "${uri:-http://deb.debian.org/debian}"
}
mirror=${DEBIAN_MIRROR:-$(host_mirror)}
security=${DEBIAN_SECURITY_MIRROR:-${mirror%/debian}/debian-security}

if ! command -v debootstrap >/dev/null 2>&1; then
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap
fi

root=$(mktemp -d /tmp/pulse-base.XXXXXX)
cleanup() { as_root rm -rf "$root"; }
trap cleanup EXIT

# A mirror behind a proxy sometimes answers a download with an error: try three times.
for attempt in 1 2 3; do
    echo "build-base-image: debootstrap $suite from $mirror (attempt $attempt)" >&2
    if as_root debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
        "$suite" "$root" "$mirror" >&2; then
        break
    fi
    if [ "$attempt" = 3 ]; then
        echo "build-base-image: debootstrap failed 3 times" >&2
        exit 1
    fi
    as_root rm -rf "$root" && mkdir -p "$root"
    sleep 5
done

# apt inside the image: the same mirror, with updates and security, as a normal Debian image.
as_root sh -c "cat > '$root/etc/apt/sources.list'" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
SOURCES

# The host's certificate authorities: its local ones are added to Debian's bundle, exactly as
# update-ca-certificates does on the host.
if [ -d /usr/local/share/ca-certificates ]; then
    as_root cp -a /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
fi
as_root chroot "$root" update-ca-certificates >&2

# As in Debian's official images: apt deletes downloaded .deb files once installed.
as_root sh -c "cat > '$root/etc/apt/apt.conf.d/docker-clean'" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT

# Python as in the official image: `python` and `pip` first on PATH, outside Debian's own
# (externally managed) site-packages.
as_root chroot "$root" python3 -m venv /opt/python
as_root chroot "$root" sh -c 'apt-get clean; rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /usr/share/doc/* /usr/share/man/* /usr/share/locale/* /var/log/*.log'

as_root tar -C "$root" -c . | docker import \
    --change 'ENV PATH=/opt/python/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
    --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["python3"]' \
    - "$tag" >&2
echo "$tag"

#!/bin/sh
# Makes debian-webapp:bookworm once: a Debian 12 root filesystem holding the
# stack's packages (PostgreSQL 15, Redis, nginx-light, Flask, psycopg2, redis-py),
# built by mmdebstrap from the Debian mirror apt uses (about a minute), then
# imported with `pycompose import`, which unpacks it at once so the first `up`
# does not wait for it.  Needs root.  With WEBAPP_ROOTFS=/some/file.tar the
# tarball is kept there and reused by the next run.
set -eu
IMAGE=debian-webapp:bookworm
PYCOMPOSE=${PYCOMPOSE:-pycompose}
PACKAGES=postgresql-15,redis-server,redis-tools,nginx-light,python3-flask,python3-psycopg2,python3-redis

if $PYCOMPOSE image inspect "$IMAGE" >/dev/null 2>&1; then
    echo "$IMAGE is already imported"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootfs=${WEBAPP_ROOTFS:-$work/rootfs.tar}
if [ ! -s "$rootfs" ]; then
    command -v mmdebstrap >/dev/null || apt-get install -y -q mmdebstrap
    mmdebstrap --quiet --variant=minbase --include="$PACKAGES" \
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        bookworm "$work/new.tar"
    mkdir -p "$(dirname "$rootfs")"
    mv "$work/new.tar" "$rootfs"
fi
$PYCOMPOSE import -c 'CMD ["bash"]' "$rootfs" "$IMAGE"

#!/bin/sh
# Starts as root: gives the (possibly new) data volume to the postgres user,
# initialises the cluster once with the secret as its password, then becomes
# postgres (setpriv, from util-linux) and runs the server in the foreground.
set -eu
PGDATA=/var/lib/postgresql/data
BIN=/usr/lib/postgresql/15/bin
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

chown postgres:postgres "$PGDATA"
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    as_postgres "$BIN/initdb" -D "$PGDATA" -U postgres --auth-local=trust \
        --auth-host=scram-sha-256 --pwfile=/run/secrets/db_password >/dev/null
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    echo "db: initialised a new cluster in $PGDATA"
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups "$BIN/postgres" -D "$PGDATA" \
    -c listen_addresses='*' -c unix_socket_directories=/tmp

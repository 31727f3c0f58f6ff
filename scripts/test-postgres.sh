#!/usr/bin/env bash
# Starts (once) a private PostgreSQL cluster for the tests on 127.0.0.1:15432 and prints its connection string.
# Debian's postgresql package provides the binaries (scripts/install-test-deps.sh installs it); the cluster
# lives in a temporary folder, trusts loopback connections only and is stopped with `scripts/test-postgres.sh stop`.
set -euo pipefail

port=${SECUREFALLBACK_TEST_PG_PORT:-15432}
dir=${SECUREFALLBACK_TEST_PG_DIR:-/tmp/securefallback-test-pg}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/postgres" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }

# PostgreSQL refuses to run as root: as root, run it as the postgres user Debian's package creates.
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  as_owner=(runuser -u postgres --)
fi

if [ "${1:-start}" = "stop" ]; then
  [ -f "$dir/postmaster.pid" ] && "${as_owner[@]}" "$bin/pg_ctl" -D "$dir" -m fast stop >/dev/null
  exit 0
fi

if ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
  if [ ! -f "$dir/PG_VERSION" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
    "${as_owner[@]}" "$bin/initdb" -D "$dir" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$dir/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 300
shared_buffers = 128MB
CONF
  fi
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start >/dev/null
fi

echo "Host=127.0.0.1;Port=$port;Username=postgres"

#!/usr/bin/env bash
# Starts (once) a private PostgreSQL cluster for the tests on 127.0.0.1:15432 and prints its connection string.
# Debian's postgresql package provides the binaries (scripts/install-test-deps.sh installs it); the cluster
# lives in a temporary folder, trusts loopback connections only and is stopped and removed with
# `scripts/test-postgres.sh stop`.
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
  rm -rf "$dir" # a run's test databases come to about a gigabyte
  exit 0
fi

if ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
  # Not serving: whatever is in the folder was left by an earlier run (a killed container leaves a stale lock
  # whose PID may now be a stranger's, and crash recovery over many test databases is slow), so the cluster
  # starts afresh; initdb takes a second or two.
  if [ -f "$dir/postmaster.pid" ]; then
    pid=$(head -1 "$dir/postmaster.pid")
    if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ]; then
      "${as_owner[@]}" "$bin/pg_ctl" -D "$dir" -m immediate stop >/dev/null 2>&1 || true
    fi
  fi
  rm -rf "$dir" && mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
  "${as_owner[@]}" "$bin/initdb" -D "$dir" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  # fsync off: the cluster is thrown away after the run; a crash of our server (what the tests inflict) never
  # needs PostgreSQL's own crash safety.
  cat >>"$dir/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 300
shared_buffers = 128MB
fsync = off
CONF
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start >/dev/null
fi

echo "Host=127.0.0.1;Port=$port;Username=postgres"

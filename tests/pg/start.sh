#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 cluster in DIR for the integration tests and
# writes its admin URL (postgresql://postgres@127.0.0.1:PORT/postgres) to DIR/url.
# Usage: tests/pg/start.sh DIR      (stop and remove it with tests/pg/stop.sh DIR)
# Quiet on success; prints the server log on failure. Running it again on a DIR
# whose cluster is up does nothing.
set -euo pipefail

if [[ $# -ne 1 || -z "$1" ]]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi

pgbin=${SD_PG_BIN:-/usr/lib/postgresql/15/bin}
for tool in initdb pg_ctl; do
  if [[ ! -x "$pgbin/$tool" ]]; then
    echo "start.sh: $pgbin/$tool not found (install postgresql-15)" >&2
    exit 1
  fi
done

mkdir -p "$1"
dir=$(cd "$1" && pwd)
data="$dir/data"

# PostgreSQL refuses to run as root: as root, hand DIR to the postgres user.
as_pg=()
if [[ $(id -u) -eq 0 ]]; then
  chown postgres:postgres "$dir"
  as_pg=(runuser -u postgres --)
  if ! "${as_pg[@]}" test -w "$dir"; then
    echo "start.sh: user postgres cannot write to $dir (is a parent directory closed to it?)" >&2
    exit 1
  fi
fi
chmod 700 "$dir"
run() { "${as_pg[@]}" "$@"; }

# Already running? Then there is nothing to do.
if [[ -s "$dir/url" && -f "$data/postmaster.pid" ]] &&
  run "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  exit 0
fi

if [[ ! -f "$data/PG_VERSION" ]]; then
  rm -rf "$data"
  common=(-D "$data" -A trust -U postgres --no-sync -E UTF8)
  if ! run "$pgbin/initdb" "${common[@]}" --locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
    rm -rf "$data"
    if ! run "$pgbin/initdb" "${common[@]}" --locale=C >>"$dir/initdb.log" 2>&1; then
      cat "$dir/initdb.log" >&2
      exit 1
    fi
  fi
fi

free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# The port is free when picked but could be taken before postgres binds it:
# try a few.
started=0
for _ in 1 2 3 4 5; do
  port=$(free_port)
  cat >"$dir/test.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
CONF
  chown --reference="$dir" "$dir/test.conf"
  grep -qx "include '$dir/test.conf'" "$data/postgresql.conf" ||
    echo "include '$dir/test.conf'" >>"$data/postgresql.conf"
  if run "$pgbin/pg_ctl" -D "$data" -w -t 60 -l "$dir/log" start >/dev/null 2>&1; then
    started=1
    break
  fi
  # A failed start can leave a stale pid file behind.
  run "$pgbin/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
done
if [[ $started -ne 1 ]]; then
  echo "start.sh: PostgreSQL did not start; log follows" >&2
  cat "$dir/log" >&2 || true
  exit 1
fi

echo "postgresql://postgres@127.0.0.1:$port/postgres" >"$dir/url"

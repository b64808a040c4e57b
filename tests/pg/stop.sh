#!/usr/bin/env bash
# Stops the cluster started by tests/pg/start.sh DIR and removes DIR.
# Quiet on success; does nothing when DIR does not exist.
set -euo pipefail

if [[ $# -ne 1 || -z "$1" ]]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
[[ -d "$1" ]] || exit 0

pgbin=${SD_PG_BIN:-/usr/lib/postgresql/15/bin}
dir=$(cd "$1" && pwd)
data="$dir/data"

as_pg=()
if [[ $(id -u) -eq 0 ]]; then as_pg=(runuser -u postgres --); fi
run() { "${as_pg[@]}" "$@"; }

if [[ -f "$data/postmaster.pid" ]] &&
  run "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  if ! run "$pgbin/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 2>&1; then
    run "$pgbin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
fi
rm -rf "$dir"

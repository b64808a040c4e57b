#!/usr/bin/env bash
# Load run: a release build, 100,000 demo tickets, wrk from a second process.
# Usage: bench/run.sh [sqlite|postgres ...]   (default: sqlite postgres)
# Prints wrk's figures for ticket creates, single-ticket reads and queue pages,
# and the server's memory idle and after the runs.
# SERVICEDESK_BIN picks another binary (to compare two builds on one
# machine); SD_BENCH_KEEP=DIR keeps each SQLite demo database there and
# reuses it on the next run with the same binary and ticket count.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SERVICEDESK_BIN:-build/release/src/servicedesk}
TICKETS=${SD_BENCH_TICKETS:-100000}
DURATION=${SD_BENCH_DURATION:-15s}
CONNS=${SD_BENCH_CONNECTIONS:-64}
backends=("$@")
[ ${#backends[@]} -gt 0 ] || backends=(sqlite postgres)

work=$(mktemp -d)
pgdir=$(mktemp -d)  # its own: start.sh hands it to the postgres user
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  [ -f "$pgdir/url" ] && bash tests/pg/stop.sh "$pgdir" >/dev/null 2>&1 || true
  rm -rf "$work" "$pgdir"
}
trap cleanup EXIT

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, $(uname -r)"
echo "tickets: $TICKETS, wrk: 2 threads, $CONNS connections, $DURATION per run"
for backend in "${backends[@]}"; do
  if [ "$backend" = postgres ]; then
    bash tests/pg/start.sh "$pgdir" >/dev/null
    admin=$(cat "$pgdir/url")
    psql -q "$admin" -c "CREATE DATABASE bench" >/dev/null
    export SERVICEDESK_DB="${admin%/*}/bench"
  else
    export SERVICEDESK_DB="$work/bench.db"
  fi
  echo "== $backend"
  kept=""
  if [ "$backend" = sqlite ] && [ -n "${SD_BENCH_KEEP:-}" ]; then
    mkdir -p "$SD_BENCH_KEEP"
    kept="$SD_BENCH_KEEP/demo-$(sha1sum "$BIN" | cut -c1-12)-$TICKETS.db"
  fi
  if [ -n "$kept" ] && [ -f "$kept" ]; then
    cp "$kept" "$SERVICEDESK_DB"
    echo "demo load: reused $kept"
  else
    start=$(date +%s.%N)
    "$BIN" demo --tickets "$TICKETS" >/dev/null
    echo "demo load: $(echo "$(date +%s.%N) - $start" | bc) s"
    if [ -n "$kept" ]; then cp "$SERVICEDESK_DB" "$kept"; fi
  fi
  export SD_TOKEN=$("$BIN" token create agente1@demo.example.com --name bench)
  export SD_MAX_ID=$TICKETS
  # Logging as in production (one line per request), to a file.
  "$BIN" serve --listen 127.0.0.1:0 > "$work/serve.out" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do grep -q listening "$work/serve.out" && break; sleep 0.1; done
  url=$(grep -o 'http://[0-9.:]*' "$work/serve.out" | head -1)
  sleep 3
  # The jobs due at start (the demo's service-level sweep and checks) run
  # before anything is measured, not during the first run.
  due_jobs() {
    local q="SELECT COUNT(*) FROM jobs WHERE status IN ('queued','running') AND due_at <= $(date +%s%3N)"
    if [ "$backend" = postgres ]; then psql -tAq "$SERVICEDESK_DB" -c "$q"; else sqlite3 "$SERVICEDESK_DB" "$q"; fi
  }
  settle=$(date +%s)
  for _ in $(seq 600); do [ "$(due_jobs)" = 0 ] && break; sleep 0.5; done
  echo "due jobs done after start: $(( $(date +%s) - settle )) s"
  bench/mem.sh "$server_pid" "memory idle"
  # Throughput with many connections, and latency at the load of a few
  # agents working at once (4 connections), where queueing does not hide
  # it. Creates go last: they add tens of thousands of new open tickets,
  # which is not the desk the other runs describe.
  run() {
    echo "-- $1 ($2 connections)"
    wrk -t2 -c"$2" -d"$DURATION" --latency -s "bench/$1.lua" "$url" |
      grep -E "Requests/sec|Latency |99%|50%|Non-2xx|Socket errors"
  }
  run read "$CONNS"; run queue "$CONNS"; run read 4; run queue 4; run create "$CONNS"
  bench/mem.sh "$server_pid" "memory after the runs"
  kill "$server_pid"; wait "$server_pid" || true; server_pid=""
  if [ "$backend" = postgres ]; then bash tests/pg/stop.sh "$pgdir" >/dev/null; fi
done

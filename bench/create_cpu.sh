#!/usr/bin/env bash
# Creates alone, and the CPU each thread of the server spends on one.
#
#   bench/create_cpu.sh [DIR]     (SERVICEDESK_BIN: the binary, default the release build)
#
# A 100,000-ticket demo is made once in DIR (default a temporary folder, removed after)
# and copied fresh for each of SD_BENCH_RUNS runs (default 2) of 15 s of creates with 64
# connections. Each run prints creates/s and, for the threads that worked, CPU
# microseconds per create (from /proc/PID/task/*/stat around the run; 5 or more). On SQLite one
# thread, the writer, does most of it and bounds creates/s: that figure moves less with
# this VM's noise than creates/s does.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SERVICEDESK_BIN:-$PWD/build/release/src/servicedesk}
RUNS=${SD_BENCH_RUNS:-2}
if [ $# -ge 1 ]; then
  DIR=$1
  mkdir -p "$DIR"
else
  DIR=$(mktemp -d)
  trap 'rm -rf "$DIR"' EXIT
fi
command -v wrk >/dev/null || { echo "wrk is missing: scripts/bootstrap installs it" >&2; exit 1; }
export SERVICEDESK_DB="$DIR/demo.db"
if [ ! -f "$DIR/demo.keep" ]; then
  rm -rf "$DIR"/demo.db*
  "$BIN" demo --tickets 100000 >/dev/null
  cp "$SERVICEDESK_DB" "$DIR/demo.keep"
fi
ticks() { for t in /proc/"$1"/task/*; do echo "$(basename "$t") $(awk '{print $14+$15}' "$t/stat")"; done | sort; }
hz=$(getconf CLK_TCK)
for run in $(seq "$RUNS"); do
  rm -rf "$DIR"/demo.db*
  cp "$DIR/demo.keep" "$SERVICEDESK_DB"
  SD_TOKEN=$("$BIN" token create agente1@demo.example.com --name bench)
  export SD_TOKEN
  "$BIN" serve --listen 127.0.0.1:0 >"$DIR/serve.out" 2>&1 &
  pid=$!
  for _ in $(seq 100); do grep -q listening "$DIR/serve.out" && break; sleep 0.1; done
  url=$(grep -o 'http://[0-9.:]*' "$DIR/serve.out" | head -1)
  sleep 5
  ticks "$pid" >"$DIR/ticks0"
  out=$(wrk -t2 -c64 -d15s -s bench/create.lua "$url")
  ticks "$pid" >"$DIR/ticks1"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  n=$(echo "$out" | grep -o '[0-9]* requests in' | grep -o '^[0-9]*')
  echo "run $run: $(echo "$out" | grep Requests/sec | awk '{print $2}') creates/s"
  join "$DIR/ticks0" "$DIR/ticks1" | awk -v n="$n" -v hz="$hz" \
    '{us = ($3 - $2) * 1e6 / hz / n; if (us >= 5) printf "  thread %s: %d us of CPU a create\n", $1, us}' |
    sort -t: -k2 -rn
done

#!/usr/bin/env bash
# Prints a process's memory from /proc/PID/smaps_rollup, in MiB: RSS, PSS, and
# RSS split into anonymous memory (heaps, SQLite's page caches) and file pages
# (the database read through its memory map, the binary).
# Usage: bench/mem.sh PID [LABEL]
set -euo pipefail
pid=$1
label=${2:-memory}
awk -v label="$label" '
  /^Rss:/ {rss=$2} /^Pss:/ {pss=$2} /^Anonymous:/ {anon=$2}
  END {printf "%s: RSS %.0f MiB, PSS %.0f MiB (anonymous %.0f MiB, file %.0f MiB)\n",
       label, rss/1024, pss/1024, anon/1024, (rss-anon)/1024}' "/proc/$pid/smaps_rollup"

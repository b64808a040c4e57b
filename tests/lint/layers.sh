#!/usr/bin/env bash
# Rules of DESIGN.md that a compiler cannot see, checked on the sources:
#  - domain/ and desk/ never read the clock (a Clock& is passed in);
#  - SQL lives in store/ only.
# (That every route names its policy is the compiler's: api::Route has no
# constructor without one.)
# Prints each offence and exits 1 if there is any.
set -uo pipefail
src="$(cd "$(dirname "$0")/../../src" && pwd)"
status=0

offend() {
  echo "lint: $1"
  status=1
}

clock_reads=$(grep -rnE 'system_clock|steady_clock|high_resolution_clock|\btime\(|gettimeofday|clock_gettime' \
  "$src/domain" "$src/desk" || true)
[ -z "$clock_reads" ] || offend "domain/ and desk/ must not read the clock:
$clock_reads"

sql=$(grep -rnE '"[^"]*\b(SELECT [^"]*FROM|INSERT INTO|UPDATE [a-z_]+ SET|DELETE FROM|CREATE (TABLE|INDEX))\b' \
  "$src/api" "$src/desk" "$src/jobs" "$src/http" "$src/app" "$src/domain" "$src/auth" || true)
[ -z "$sql" ] || offend "SQL outside store/:
$sql"

[ $status -eq 0 ] && echo "lint: layers, clock and SQL rules hold"
exit $status

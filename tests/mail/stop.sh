#!/usr/bin/env bash
# Stops the mail servers started by tests/mail/start.sh DIR and removes DIR.
# Quiet on success; does nothing when DIR does not exist.
set -euo pipefail

if [[ $# -ne 1 || -z "$1" ]]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
[[ -d "$1" ]] || exit 0

dir=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$here/common.sh"

stop_mail_daemons
rm -rf "$dir"

# Shared by tests/mail/start.sh and stop.sh (sourced, not run): the layout of a mail
# servers' DIR and how to stop the daemons running from it.
# REQUIRES: $dir is set to DIR as an absolute path.
# shellcheck shell=bash disable=SC2034  # the variables are for the scripts that source it
: "${dir:?}"

# Unprivileged users, all made by the Debian packages (nothing system-wide is added):
# Dovecot keeps every mailbox as its own internal user; the pipe transport runs its
# command as nobody (Postfix refuses root and its own mail_owner for pipe).
mail_user=dovecot
pipe_user=nobody
pipe_group=$(id -gn "$pipe_user")

pf_conf="$dir/postfix/etc"
pf_spool="$dir/postfix/spool"
pf_pid="$pf_spool/pid/master.pid"
dc_conf="$dir/dovecot/dovecot.conf"
dc_run="$dir/dovecot/run"
dc_pid="$dc_run/master.pid"

# Prints the pid in pid file $1 when it is a live $2 (a path prefix of its executable)
# working in $3 (a path prefix of its working directory); nothing otherwise, so a stale
# pid file can never name somebody else's process.
live_pid() {
  local pid
  [[ -r $1 ]] && read -r pid <"$1" 2>/dev/null || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$2"* ]] || return 1
  [[ $(readlink "/proc/$pid/cwd" 2>/dev/null) == "$3"* ]] || return 1
  echo "$pid"
}
postfix_pid() { live_pid "$pf_pid" /usr/lib/postfix/sbin/master "$pf_spool"; }
dovecot_pid() { live_pid "$dc_pid" /usr/sbin/dovecot "$dc_run"; }

# True while pid $1 runs (a zombie waiting for its parent to reap it has stopped).
running() {
  local state
  read -r _ _ state _ <"/proc/$1/stat" 2>/dev/null && [[ $state != Z ]]
}

# Sends SIGTERM to the pids given and waits up to 10 s for them to go, then kills the
# rest with SIGKILL, with their process groups (both masters lead their own).
stop_pids() {
  local i pid left
  (($#)) || return 0
  kill -TERM "$@" 2>/dev/null || true
  for ((i = 0; i < 500; i++)); do
    left=()
    for pid in "$@"; do
      if running "$pid"; then left+=("$pid"); fi
    done
    ((${#left[@]})) || return 0
    sleep 0.02
  done
  for pid in "${left[@]}"; do
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
}

# Stops both servers of DIR and any of their children left behind (a daemon or a pipe
# command still working in DIR). Never fails.
stop_mail_daemons() {
  local pid p exe uid pipe_uid i left
  local masters=()
  if pid=$(postfix_pid); then masters+=("$pid"); fi
  if pid=$(dovecot_pid); then masters+=("$pid"); fi
  stop_pids "${masters[@]}"
  pipe_uid=$(id -u "$pipe_user")
  for ((i = 0; i < 100; i++)); do
    left=()
    for p in $(find /proc/[0-9]*/cwd /proc/[0-9]*/root -maxdepth 0 \
      \( -lname "$dir" -o -lname "$dir/*" \) -printf '%h\n' 2>/dev/null | sort -u); do
      pid=${p#/proc/}
      exe=$(readlink "$p/exe" 2>/dev/null) || continue
      uid=$(stat -c %u "$p" 2>/dev/null) || continue
      if [[ $exe == /usr/lib/postfix/* || $exe == /usr/lib/dovecot/* ||
        $exe == /usr/sbin/dovecot || $uid == "$pipe_uid" ]]; then
        left+=("$pid")
      fi
    done
    ((${#left[@]})) || return 0
    if ((i == 0)); then
      kill -TERM "${left[@]}" 2>/dev/null || true
    elif ((i >= 40)); then
      kill -KILL "${left[@]}" 2>/dev/null || true
    fi
    sleep 0.05
  done
  return 0
}

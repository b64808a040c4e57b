#!/usr/bin/env bash
# Starts throwaway mail servers in DIR for the integration tests, all on 127.0.0.1:
#   Postfix  SMTP (no auth, STARTTLS offered) and submission (STARTTLS, then AUTH as a
#            Dovecot user), for the domains desk.test and example.test only (nothing
#            is relayed elsewhere); delivers by LMTP to Dovecot, except pipe@desk.test,
#            which goes to the pipe transport: DIR/pipe-command run as user nobody with
#            the message on stdin and "SENDER RECIPIENT" as arguments. Its exit status
#            counts: 0 delivered, 75 (EX_TEMPFAIL) deferred and retried, others bounced.
#            The default command exits 75; tests replace it. DIR/pipe-db/ is a folder
#            nobody may write (for a SQLite file: chown the file to nobody too).
#   Dovecot  IMAP (plaintext login allowed, STARTTLS offered), IMAPS, and LMTP for
#            Postfix; Maildir under DIR/mail/DOMAIN/USER/Maildir, owned by dovecot.
# Users (password in brackets): desk@desk.test (desk-pass), help@desk.test (help-pass),
# ana@example.test (ana-pass), bruno@example.test (bruno-pass), carla@example.test
# (carla-pass); "user+tag@" reaches "user@". The TLS certificate is self-signed for
# localhost and 127.0.0.1 (DIR/tls/cert.pem; trust it as its own CA).
# Writes DIR/env, shell lines NAME=VALUE (never quoted): MAIL_DIR, MAIL_HOST, SMTP_PORT,
# SUBMISSION_PORT, IMAP_PORT, IMAPS_PORT, TLS_CERT, POSTFIX_CONFIG, PIPE_USER, PIPE_DB_DIR.
# Logs: DIR/postfix.log, DIR/dovecot.log.
# Usage: tests/mail/start.sh DIR   (as root; stop and remove it with tests/mail/stop.sh DIR)
# Quiet on success; prints the logs on failure. Running it again on a DIR whose servers
# are up does nothing.
set -euo pipefail

if [[ $# -ne 1 || -z "$1" ]]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "start.sh: run as root (Postfix's master and Dovecot's privilege separation need it)" >&2
  exit 1
fi
for tool in /usr/sbin/postfix /usr/sbin/dovecot /usr/lib/dovecot/lmtp /usr/lib/dovecot/imap \
  openssl python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "start.sh: $tool not found (run scripts/bootstrap)" >&2
    exit 1
  fi
done

mkdir -p "$1"
dir=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
# The path goes into Postfix's and Dovecot's configuration and unix socket names.
if [[ ! $dir =~ ^/[A-Za-z0-9._/+-]+$ || ${#dir} -gt 70 ]]; then
  echo "start.sh: DIR must be a short path of letters, digits and ._+-/ (got $dir)" >&2
  exit 1
fi
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$here/common.sh"

# Already running? Then there is nothing to do.
if [[ -s "$dir/env" ]] && postfix_pid >/dev/null && dovecot_pid >/dev/null; then
  exit 0
fi
# Half up, or left over: start again from a clean state (the mail itself is kept).
stop_mail_daemons
rm -f "$dir/env"

# Every daemon user must reach DIR.
chmod 755 "$dir"
for user in postfix "$mail_user" dovenull "$pipe_user"; do
  if ! runuser -u "$user" -- test -x "$dir"; then
    echo "start.sh: user $user cannot enter $dir (is a parent directory closed to it?)" >&2
    exit 1
  fi
done

mail_uid=$(id -u "$mail_user")
mail_gid=$(id -g "$mail_user")
mkdir -p "$pf_conf" "$pf_spool" "$dir/dovecot/state" "$dir/tls" \
  "$dir/mail" "$dir/pipe-db"
chown "$mail_user:$mail_user" "$dir/mail"
chmod 750 "$dir/mail"
chown "$pipe_user:$pipe_group" "$dir/pipe-db"
chmod 777 "$dir/pipe-db"
touch "$dir/postfix.log" "$dir/dovecot.log"

# Until a test installs its own: defer everything (Postfix keeps it queued and retries).
if [[ ! -e "$dir/pipe-command" ]]; then
  printf '#!/bin/sh\n# Installed by tests/mail/start.sh: defer (EX_TEMPFAIL).\nexit 75\n' \
    >"$dir/pipe-command"
  chmod 755 "$dir/pipe-command"
fi

if [[ ! -s "$dir/tls/cert.pem" || ! -s "$dir/tls/key.pem" ]]; then
  if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
    -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:mail.desk.test" \
    -keyout "$dir/tls/key.pem" -out "$dir/tls/cert.pem" >"$dir/tls/openssl.log" 2>&1; then
    cat "$dir/tls/openssl.log" >&2
    exit 1
  fi
  chmod 600 "$dir/tls/key.pem"
  chmod 644 "$dir/tls/cert.pem"
fi

# Users: passdb and userdb in one passwd-file.
users=(desk@desk.test:desk-pass help@desk.test:help-pass ana@example.test:ana-pass
  bruno@example.test:bruno-pass carla@example.test:carla-pass)
: >"$dir/dovecot/users"
: >"$pf_conf/vmailbox"
for entry in "${users[@]}"; do
  address=${entry%%:*}
  local_part=${address%@*}
  domain=${address#*@}
  echo "$address:{PLAIN}${entry#*:}:$mail_uid:$mail_gid::$dir/mail/$domain/$local_part::" \
    >>"$dir/dovecot/users"
  echo "$address ok" >>"$pf_conf/vmailbox"
done
echo "pipe@desk.test ok" >>"$pf_conf/vmailbox"
echo "pipe@desk.test deskpipe:" >"$pf_conf/transport"
chown "root:$mail_user" "$dir/dovecot/users"
chmod 640 "$dir/dovecot/users"

write_config() { # SMTP_PORT SUBMISSION_PORT IMAP_PORT IMAPS_PORT
  cat >"$pf_conf/main.cf" <<CONF
# Throwaway Postfix for the integration tests (tests/mail/start.sh).
compatibility_level = 3.6
queue_directory = $pf_spool
data_directory = $dir/postfix/data
maillog_file = $dir/postfix.log
maillog_file_prefixes = $dir
syslog_name = postfix-sdtest
myhostname = mail.desk.test
mydomain = desk.test
myorigin = desk.test
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
smtp_bind_address = 127.0.0.1
mynetworks = 127.0.0.0/8
relay_domains =
relayhost =
# Nothing leaves this instance: the RCPT of any other domain is refused, and mail that
# Postfix itself would send elsewhere (a bounce to an outside sender) fails at once.
smtpd_relay_restrictions = reject_unauth_destination
default_transport = error:this test instance delivers only to desk.test and example.test
relay_transport = \$default_transport
smtp_dns_support_level = disabled
smtp_host_lookup = native
lmtp_host_lookup = native
smtpd_peername_lookup = no
virtual_mailbox_domains = desk.test example.test
virtual_mailbox_maps = texthash:$pf_conf/vmailbox
virtual_transport = lmtp:unix:$dc_run/lmtp
transport_maps = texthash:$pf_conf/transport
recipient_delimiter = +
# Pass messages on as sent (no Message-ID, Date or domain added), like a remote MTA.
local_header_rewrite_clients =
deskpipe_destination_recipient_limit = 1
deskpipe_time_limit = 120s
message_size_limit = 52428800
smtpd_tls_security_level = may
smtpd_tls_cert_file = $dir/tls/cert.pem
smtpd_tls_key_file = $dir/tls/key.pem
smtp_tls_security_level = none
lmtp_tls_security_level = none
smtpd_sasl_type = dovecot
smtpd_sasl_path = $dc_run/auth-postfix
# Quick for tests: no throttling, retries within seconds.
in_flow_delay = 0
smtpd_error_sleep_time = 0
smtpd_client_connection_count_limit = 0
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 10s
delay_warning_time = 0
biff = no
readme_directory = no
CONF
  cat >"$pf_conf/master.cf" <<CONF
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$1 inet n       -       n       -       -       smtpd
127.0.0.1:$2 inet n       -       n       -       -       smtpd
  -o syslog_name=postfix-sdtest/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
deskpipe  unix  -       n       n       -       -       pipe
  flags=Rq user=$pipe_user:$pipe_group argv=$dir/pipe-command \${sender} \${recipient}
CONF

  cat >"$dc_conf" <<CONF
# Throwaway Dovecot for the integration tests (tests/mail/start.sh).
protocols = imap lmtp
listen = 127.0.0.1
base_dir = $dc_run
state_dir = $dir/dovecot/state
log_path = $dir/dovecot.log
default_internal_user = dovecot
default_login_user = dovenull
hostname = mail.desk.test
auth_verbose = yes
ssl = yes
ssl_cert = <$dir/tls/cert.pem
ssl_key = <$dir/tls/key.pem
ssl_dh = </usr/share/dovecot/dh.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN $dir/dovecot/users
}
userdb {
  driver = passwd-file
  args = $dir/dovecot/users
}
mail_uid = $mail_uid
mail_gid = $mail_gid
first_valid_uid = $mail_uid
last_valid_uid = $mail_uid
first_valid_gid = $mail_gid
last_valid_gid = $mail_gid
mail_location = maildir:~/Maildir
mail_fsync = never
mail_max_userip_connections = 1000
recipient_delimiter = +
namespace inbox {
  inbox = yes
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $3
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $4
    ssl = yes
  }
}
service lmtp {
  unix_listener lmtp {
    user = postfix
    group = postfix
    mode = 0600
  }
}
service auth {
  unix_listener auth-postfix {
    user = postfix
    group = postfix
    mode = 0600
  }
}
protocol lmtp {
  postmaster_address = postmaster@desk.test
}
CONF
}

free_ports() { # prints four distinct free loopback ports
  python3 -c 'import socket
socks = [socket.socket() for _ in range(4)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))'
}

# Polls until SMTP, submission, IMAP, IMAPS and LMTP all greet, for at most $5 seconds.
wait_ready() { # SMTP_PORT SUBMISSION_PORT IMAP_PORT IMAPS_PORT DEADLINE
  python3 - "$@" "$dc_run/lmtp" <<'PY'
import socket, ssl, sys, time
smtp, sub, imap, imaps = (int(p) for p in sys.argv[1:5])
deadline = time.monotonic() + float(sys.argv[5])
lmtp = sys.argv[6]
tls = ssl.create_default_context()
tls.check_hostname = False
tls.verify_mode = ssl.CERT_NONE

def greets(prefix, port=None, path=None, wrap=False):
    try:
        if path:
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(2)
            s.connect(path)
        else:
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
        with s:
            conn = tls.wrap_socket(s) if wrap else s
            line = conn.makefile("rb").readline()
            conn.sendall(b"QUIT\r\n" if prefix == b"220" else b"a LOGOUT\r\n")
            return line.startswith(prefix)
    except OSError:
        return False

checks = [lambda: greets(b"220", smtp), lambda: greets(b"220", sub),
          lambda: greets(b"* OK", imap), lambda: greets(b"* OK", imaps, wrap=True),
          lambda: greets(b"220", path=lmtp)]
while checks:
    checks = [c for c in checks if not c()]
    if not checks:
        break
    if time.monotonic() >= deadline:
        sys.exit(1)
    time.sleep(0.05)
PY
}

# The ports are free when picked but could be taken before the servers bind them:
# try a few.
started=0
for _ in 1 2 3; do
  read -r smtp_port submission_port imap_port imaps_port < <(free_ports)
  write_config "$smtp_port" "$submission_port" "$imap_port" "$imaps_port"
  if /usr/sbin/dovecot -c "$dc_conf" </dev/null >>"$dir/dovecot.log" 2>&1 &&
    /usr/sbin/postfix -c "$pf_conf" start </dev/null >>"$dir/postfix.log" 2>&1 &&
    wait_ready "$smtp_port" "$submission_port" "$imap_port" "$imaps_port" 30; then
    started=1
    break
  fi
  stop_mail_daemons
  grep -q "Address already in use" "$dir/postfix.log" "$dir/dovecot.log" || break
done
if [[ $started -ne 1 ]]; then
  echo "start.sh: the mail servers did not start; logs follow" >&2
  for log in postfix.log dovecot.log; do
    echo "--- $dir/$log" >&2
    cat "$dir/$log" >&2 || true
  done
  exit 1
fi

cat >"$dir/env.new" <<ENV
MAIL_DIR=$dir
MAIL_HOST=127.0.0.1
SMTP_PORT=$smtp_port
SUBMISSION_PORT=$submission_port
IMAP_PORT=$imap_port
IMAPS_PORT=$imaps_port
TLS_CERT=$dir/tls/cert.pem
POSTFIX_CONFIG=$pf_conf
PIPE_USER=$pipe_user
PIPE_DB_DIR=$dir/pipe-db
ENV
mv "$dir/env.new" "$dir/env"

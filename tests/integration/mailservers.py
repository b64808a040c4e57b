"""Real mail peers for the integration tests: Postfix and Dovecot on loopback.

MailServers.start(dir) runs tests/mail/start.sh DIR (as root) and reads the ports from
DIR/env; stop() runs tests/mail/stop.sh DIR, which stops both and removes DIR. Every
address below is fictional and only reachable inside DIR's servers: Postfix accepts
mail from 127.0.0.1 for desk.test and example.test without auth and relays nothing
elsewhere; Dovecot serves each user's INBOX over IMAP (plaintext login allowed,
STARTTLS offered) and IMAPS, with a self-signed certificate for 127.0.0.1 and localhost
(tls_cert trusts it).

Mail to PIPE_ADDRESS runs DIR/pipe-command (set_pipe_command) as pipe_user (nobody),
with the message on stdin and the envelope sender and recipient as arguments; exit 0
means delivered, 75 deferred (Postfix keeps it queued and retries within seconds),
anything else bounced. The command may write in pipe_db_dir; a file created there by
the test itself (say a SQLite database) must be handed over with give_to_pipe_user.

    mail = MailServers.start()
    try:
        mail.send(raw, "ana@example.test", ["desk@desk.test"])
        [msg] = mail.wait_for_messages("desk@desk.test", USERS["desk@desk.test"], 1, 10)
    finally:
        mail.stop()
"""

from __future__ import annotations

import imaplib
import json
import os
import pwd
import smtplib
import ssl
import subprocess
import tempfile

from harness import wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
MAIL_SCRIPTS = os.path.join(HERE, "..", "mail")
SCRIPT_TIMEOUT = 120.0
IO_TIMEOUT = 30.0

# Address -> password, as tests/mail/start.sh creates them.
USERS = {
    "desk@desk.test": "desk-pass",
    "help@desk.test": "help-pass",
    "ana@example.test": "ana-pass",
    "bruno@example.test": "bruno-pass",
    "carla@example.test": "carla-pass",
}
PIPE_ADDRESS = "pipe@desk.test"
EX_TEMPFAIL = 75

# How imap() secures the connection.
IMAP_PLAIN = "plain"  # IMAP_PORT, no TLS
IMAP_STARTTLS = "starttls"  # IMAP_PORT, then STARTTLS before LOGIN
IMAP_SSL = "ssl"  # IMAPS_PORT


def read_env(path: str) -> dict[str, str]:
    """The NAME=VALUE lines of DIR/env (tests/mail/start.sh never quotes them)."""
    env = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            name, sep, value = line.rstrip("\n").partition("=")
            if sep:
                env[name] = value
    return env


class MailServers:
    """The Postfix and Dovecot of one DIR. Not thread-safe; each call opens its own
    connection, so separate threads may use separate calls."""

    def __init__(self, dir: str, env: dict[str, str]):
        self.dir = dir
        self.env = env
        self.host = env["MAIL_HOST"]
        self.smtp_port = int(env["SMTP_PORT"])
        self.submission_port = int(env["SUBMISSION_PORT"])
        self.imap_port = int(env["IMAP_PORT"])
        self.imaps_port = int(env["IMAPS_PORT"])
        self.tls_cert = env["TLS_CERT"]
        self.postfix_config = env["POSTFIX_CONFIG"]
        self.pipe_user = env["PIPE_USER"]
        self.pipe_db_dir = env["PIPE_DB_DIR"]
        self.pipe_command = os.path.join(dir, "pipe-command")
        self._stopped = False

    # ---- life cycle

    @classmethod
    def start(cls, dir: str | None = None) -> MailServers:
        """Starts the servers in dir (made if missing; by default a new folder in the
        system's temporary folder). Every daemon user must be able to enter it, so its
        parents must be open to others (tempfile.mkdtemp's 0700 folders are not)."""
        made = dir is None
        if dir is None:
            dir = tempfile.mkdtemp(prefix="sd-mail-")
        dir = os.path.abspath(dir)
        try:
            _run_script("start.sh", dir)
        except Exception:
            if made:
                _run_script("stop.sh", dir)
            raise
        return cls(dir, read_env(os.path.join(dir, "env")))

    def stop(self) -> None:
        """Stops both servers and removes DIR; does nothing the second time."""
        if not self._stopped:
            self._stopped = True
            _run_script("stop.sh", self.dir)

    def __enter__(self) -> MailServers:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- SMTP

    def send(self, raw: bytes, mail_from: str, rcpt_to: list[str]) -> None:
        """Hands raw (a whole RFC 5322 message) to Postfix over SMTP; raises when any
        recipient is refused."""
        with smtplib.SMTP(self.host, self.smtp_port, local_hostname="tests.localhost",
                          timeout=IO_TIMEOUT) as smtp:
            refused = smtp.sendmail(mail_from, rcpt_to, raw)
        if refused:
            raise AssertionError(f"SMTP refused recipients: {refused}")

    # ---- IMAP

    def tls_context(self, verify: bool = True) -> ssl.SSLContext:
        """A client context that trusts the servers' self-signed certificate (or, with
        verify=False, any certificate)."""
        if not verify:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return ctx
        return ssl.create_default_context(cafile=self.tls_cert)

    def imap(self, user: str, password: str, security: str = IMAP_PLAIN) -> imaplib.IMAP4:
        """An IMAP connection logged in as user; the caller logs out (or uses `with`)."""
        if security == IMAP_SSL:
            conn = imaplib.IMAP4_SSL(self.host, self.imaps_port, ssl_context=self.tls_context(),
                                     timeout=IO_TIMEOUT)
        elif security in (IMAP_PLAIN, IMAP_STARTTLS):
            conn = imaplib.IMAP4(self.host, self.imap_port, timeout=IO_TIMEOUT)
            if security == IMAP_STARTTLS:
                conn.starttls(self.tls_context())
        else:
            raise ValueError(f"unknown IMAP security {security!r}")
        try:
            conn.login(user, password)
        except Exception:
            conn.shutdown()
            raise
        return conn

    def messages(self, user: str, password: str, mailbox: str = "INBOX") -> list[bytes]:
        """Every message in user's mailbox, raw, oldest first (read without marking
        them seen)."""
        with self.imap(user, password) as conn:
            typ, _ = conn.select(mailbox, readonly=True)
            if typ != "OK":
                raise AssertionError(f"IMAP SELECT {mailbox} as {user}: {typ}")
            typ, data = conn.uid("SEARCH", None, "ALL")
            uids = data[0].split() if typ == "OK" and data and data[0] else []
            raws = []
            for uid in uids:
                typ, parts = conn.uid("FETCH", uid, "(BODY.PEEK[])")
                raws += [p[1] for p in parts if isinstance(p, tuple)]
            return raws

    def wait_for_messages(self, user: str, password: str, count: int,
                          deadline_s: float = 10.0) -> list[bytes]:
        """Polls user's INBOX until it holds at least count messages; returns them all."""

        def enough() -> list[bytes] | None:
            raws = self.messages(user, password)
            return raws if len(raws) >= count else None

        return wait_until(enough, deadline_s, f"{count} message(s) in the INBOX of {user}",
                          interval=0.05)

    # ---- the pipe transport

    def set_pipe_command(self, script_text: str) -> None:
        """Installs the command Postfix runs for PIPE_ADDRESS (a script: add its #! line,
        or it runs with /bin/sh). Replaced at once, so a delivery runs the old or the
        new one, never half of one."""
        if not script_text.startswith("#!"):
            script_text = "#!/bin/sh\n" + script_text
        tmp = self.pipe_command + ".new"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(script_text)
        os.chmod(tmp, 0o755)
        os.replace(tmp, self.pipe_command)

    def give_to_pipe_user(self, path: str) -> None:
        """Makes path (say, a SQLite file the test created in pipe_db_dir) the pipe
        user's, so the pipe command may write it."""
        pw = pwd.getpwnam(self.pipe_user)
        os.chown(path, pw.pw_uid, pw.pw_gid)

    # ---- the Postfix queue

    def queue(self) -> list[dict]:
        """The messages Postfix still holds, one dict each as `postqueue -j` prints them
        (queue_name "deferred" with recipients[].delay_reason after a deferral)."""
        res = subprocess.run(["postqueue", "-c", self.postfix_config, "-j"],
                             capture_output=True, text=True, timeout=IO_TIMEOUT)
        if res.returncode != 0:
            raise AssertionError(f"postqueue -j exited {res.returncode}: {res.stderr.strip()}")
        return [json.loads(line) for line in res.stdout.splitlines() if line.strip()]

    def flush_queue(self) -> None:
        """Asks Postfix to retry every deferred message now."""
        subprocess.run(["postqueue", "-c", self.postfix_config, "-f"], check=True,
                       capture_output=True, timeout=IO_TIMEOUT)

    def wait_queue_empty(self, deadline_s: float = 10.0) -> None:
        """Polls until Postfix holds no message (all delivered or bounced)."""
        wait_until(lambda: not self.queue(), deadline_s, "an empty Postfix queue",
                   interval=0.05)

    # ---- logs, for failure messages

    def logs(self) -> str:
        out = []
        for name in ("postfix.log", "dovecot.log"):
            try:
                with open(os.path.join(self.dir, name), encoding="utf-8",
                          errors="replace") as f:
                    out.append(f"--- {name}\n{f.read()}")
            except FileNotFoundError:
                pass
        return "\n".join(out)


def _run_script(name: str, dir: str) -> None:
    script = os.path.join(MAIL_SCRIPTS, name)
    res = subprocess.run(["bash", script, dir], stdin=subprocess.DEVNULL, capture_output=True,
                         text=True, timeout=SCRIPT_TIMEOUT)
    if res.returncode != 0:
        raise RuntimeError(f"tests/mail/{name} {dir} exited {res.returncode}\n{res.stderr}")

#!/usr/bin/env python3
"""Email-channel figures (issue 9), on SQLite, against the release binary and the real
Postfix and Dovecot of tests/mail/ (as root, like the tests):

1. pipe: N messages, each through `servicedesk mail-ingest` (one process per message, as
   an MTA's pipe runs it), one at a time and two at a time: messages per second.
2. IMAP: N messages appended to a Dovecot mailbox, then a mailbox pointed at it: the time
   from the first poll until every message is a ticket (and flagged on the server).
3. memory: the server's peak resident set (VmHWM) before and after a 25 MB attachment
   arrives by IMAP, before and after a 25 MB file is uploaded through POST
   /api/v1/uploads, and after it is downloaded again (each on a fresh server).

Usage: bench/mail.py  (SERVICEDESK_BIN; SD_BENCH_MAIL_N, default 300). Prints the figures;
nothing is asserted.
"""

import base64
import email.utils
import imaplib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from sla import BIN, Desk  # noqa: E402
from mailservers import MailServers  # noqa: E402

N = int(os.environ.get("SD_BENCH_MAIL_N", "300"))


def message(i, size=0):
    mid = f"<bench-{i}-{uuid.uuid4().hex}@example.test>"
    head = (f"From: Persona {i} <persona{i % 40}@example.test>\r\nTo: desk@desk.test\r\n"
            f"Subject: Caso de prueba {i}: la impresora no imprime\r\n"
            f"Date: {email.utils.formatdate()}\r\nMessage-ID: {mid}\r\nMIME-Version: 1.0\r\n")
    text = "Buenos días,\r\n\r\nLa impresora del piso 3 no imprime desde esta mañana.\r\n"
    if not size:
        return (head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text).encode()
    data = base64.encodebytes(os.urandom(size)).replace(b"\n", b"\r\n")
    return (head + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
            "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text +
            '--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment;'
            ' filename="grande.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n').encode() + \
        data + b"--b--\r\n"


def vm_hwm_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def vm_rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def new_desk(tmp, name, env=None):
    db = os.path.join(tmp, name + ".db")
    d = Desk(db, {"SERVICEDESK_FILES_DIR": db + ".files", "SERVICEDESK_IMAP_POLL_SECONDS": "1",
                  "SERVICEDESK_MAIL_FROM": "help@desk.test",
                  **(env or {})})
    d.cli("migrate")
    d.cli("user", "add", "admin@bench.example", "--role", "admin")
    d.token = d.cli("token", "create", "admin@bench.example")
    return d


def pipe_rate(tmp):
    d = new_desk(tmp, "pipe")
    msgs = [message(i) for i in range(N)]

    def one(raw):
        p = subprocess.run([BIN, "mail-ingest"], input=raw, env=d.env, capture_output=True)
        if p.returncode != 0:
            raise RuntimeError(p.stderr.decode())

    start = time.time()
    for raw in msgs[: N // 2]:
        one(raw)
    serial = (N // 2) / (time.time() - start)
    start = time.time()
    with ThreadPoolExecutor(2) as ex:
        list(ex.map(one, msgs[N // 2:]))
    parallel = (N - N // 2) / (time.time() - start)
    taken = d.sql("SELECT COUNT(*) FROM inbound_mail WHERE status = 'ticket'")[0][0]
    print(f"pipe: {serial:.0f} messages/s one at a time, {parallel:.0f}/s two at a time "
          f"({taken} tickets of {N})", flush=True)


def append_all(servers, msgs):
    im = servers.imap("desk@desk.test", "desk-pass")
    for raw in msgs:
        im.append("INBOX", None, None, raw)
    im.logout()


def mailbox_body(servers):
    return {"address": "desk@desk.test", "name": "Soporte",
            "imap": {"url": f"imap://127.0.0.1:{servers.imap_port}", "username": "desk@desk.test",
                     "password": "desk-pass", "tls": "none", "verify_peer": False}}


def imap_rate(tmp, servers):
    append_all(servers, [message(i) for i in range(N)])
    d = new_desk(tmp, "imap")
    d.start()
    try:
        start = time.time()
        d.call("POST", "/mailboxes", mailbox_body(servers))
        while True:
            n = d.sql("SELECT COUNT(*) FROM inbound_mail")[0][0]
            if n >= N:
                break
            if time.time() - start > 600:
                raise RuntimeError(f"only {n} of {N} taken in")
            time.sleep(0.1)
        took = time.time() - start
        print(f"imap: {N} messages in {took:.1f} s: {N / took:.0f} messages/s "
              f"(poll every 1 s, 200 a poll)", flush=True)
    finally:
        d.stop()
    im = servers.imap("desk@desk.test", "desk-pass")
    im.select("INBOX")
    im.store("1:*", "+FLAGS", "\\Deleted")
    im.expunge()
    im.logout()


def memory_by_imap(tmp, servers):
    append_all(servers, [message(10_000, 25 * 1024 * 1024)])
    d = new_desk(tmp, "mem-imap")
    d.start()
    try:
        time.sleep(1)
        before, rss = vm_hwm_kib(d.proc.pid), vm_rss_kib(d.proc.pid)
        start = time.time()
        d.call("POST", "/mailboxes", mailbox_body(servers))
        while d.sql("SELECT COUNT(*) FROM attachments")[0][0] < 1:
            if time.time() - start > 300:
                raise RuntimeError("the 25 MB message was not taken in")
            time.sleep(0.1)
        after = vm_hwm_kib(d.proc.pid)
        print(f"memory, 25 MB attachment by IMAP: peak RSS {before / 1024:.0f} -> "
              f"{after / 1024:.0f} MiB (+{(after - before) / 1024:.0f} MiB; RSS before "
              f"{rss / 1024:.0f} MiB), taken in {time.time() - start:.1f} s", flush=True)
    finally:
        d.stop()


def memory_by_upload(tmp):
    d = new_desk(tmp, "mem-upload")
    d.start()
    try:
        time.sleep(1)
        before, rss = vm_hwm_kib(d.proc.pid), vm_rss_kib(d.proc.pid)
        path = os.path.join(tmp, "upload.bin")
        with open(path, "wb") as f:
            f.write(os.urandom(25 * 1024 * 1024 - 1024))
        start = time.time()
        out = subprocess.run(
            ["curl", "-s", "-H", "Authorization: Bearer " + d.token, "-F", f"file=@{path}",
             d.url + "/api/v1/uploads"], capture_output=True, text=True, check=True).stdout
        took = time.time() - start
        item = json.loads(out)["items"][0]
        after = vm_hwm_kib(d.proc.pid)
        print(f"memory, 25 MB upload: peak RSS {before / 1024:.0f} -> {after / 1024:.0f} MiB "
              f"(+{(after - before) / 1024:.0f} MiB; RSS before {rss / 1024:.0f} MiB), "
              f"{item['size']} bytes stored in {took:.2f} s", flush=True)
        start = time.time()
        got = subprocess.run(
            ["curl", "-s", "-o", os.path.join(tmp, "download.bin"), "-w", "%{size_download}",
             "-H", "Authorization: Bearer " + d.token,
             d.url + f"/api/v1/attachments/{item['id']}"],
            capture_output=True, text=True, check=True).stdout
        took = time.time() - start
        final = vm_hwm_kib(d.proc.pid)
        print(f"memory, 25 MB download: peak RSS {after / 1024:.0f} -> {final / 1024:.0f} MiB "
              f"(+{(final - after) / 1024:.0f} MiB), {got} bytes in {took:.2f} s", flush=True)
    finally:
        d.stop()


def main():
    with tempfile.TemporaryDirectory(prefix="sd-bench-mail-") as tmp:
        pipe_rate(tmp)
        servers = MailServers.start()
        try:
            imap_rate(tmp, servers)
            memory_by_imap(tmp, servers)
        finally:
            servers.stop()
        memory_by_upload(tmp)


if __name__ == "__main__":
    main()

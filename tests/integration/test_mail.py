"""The email channel (issue 9), end to end.

A. The pipe: `servicedesk --db DB mail-ingest` run as an MTA runs it, on a corpus of
   tricky messages built here (charsets, encoded words, nested MIME, broken headers,
   duplicates, large files, automatic mail, threading and forgery, garbage), each
   checked through the API of a server on the same store; and its exit code when the
   store cannot be used.
B. With real Postfix and Dovecot (tests/mail/start.sh through mailservers.py): a
   message over SMTP becomes a ticket by the desk's IMAP poll, the desk's mail comes
   back over IMAP threaded, a reply joins its ticket, Postfix's pipe transport with
   its deferral and flush, kill -9 during IMAP intake, and a permanent SMTP refusal.
"""

import base64
import hashlib
import imaplib
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import stat
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import zlib
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import API, DeskTestCase, unique, wait_until  # noqa: E402
from mailservers import PIPE_ADDRESS, USERS, MailServers  # noqa: E402

DESK = "desk@desk.test"          # the mailbox the desk reads
SENDER = "help@desk.test"        # SERVICEDESK_MAIL_FROM of the pipe tests
OUTCOME_RE = re.compile(r"^(ticket|comment|set_aside|failed)(?: (?!SD-\d+$)(.+?))?(?: SD-(\d+))?$")
EX_TEMPFAIL = 75
MIB = 1024 * 1024
BIN_DEADLINE = 30.0  # the binary may be relinked under us: how long to wait for it
MAIL_DEADLINE = 60.0


def crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def encoded_word(text: str, charset: str = "utf-8", kind: str = "B") -> str:
    data = text.encode(charset)
    if kind == "B":
        return f"=?{charset.upper()}?B?{base64.b64encode(data).decode()}?="
    out = ""
    for b in data:
        c = chr(b)
        if c == " ":
            out += "_"
        elif c.isalnum() and b < 128:
            out += c
        else:
            out += f"={b:02X}"
    return f"=?{charset.upper()}?Q?{out}?="


def b64_lines(data: bytes, eol: bytes = b"\r\n") -> bytes:
    return base64.encodebytes(data).replace(b"\n", eol)


def tiny_png() -> bytes:
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def message(frm, subject, body=b"Hola, necesito ayuda.\r\n", *, msgid=True,
            to=DESK, headers=(), ctype="text/plain; charset=utf-8", cte="8bit",
            eol=b"\r\n") -> bytes:
    """A message by hand: header values given as str are written as UTF-8 bytes (raw
    8-bit when not ASCII), as bytes as they are. msgid: True for a fresh one, a string
    for that one, None for none."""
    def b(v):
        return v if isinstance(v, bytes) else v.encode("utf-8")
    lines = [b"From: " + b(frm), b"To: " + b(to), b"Subject: " + b(subject),
             b"Date: Tue, 02 Dec 2025 10:00:00 -0600"]
    if msgid is True:
        msgid = unique("m") + "@example.test"
    if msgid:
        lines.append(b"Message-ID: <" + b(msgid) + b">")
    for name, value in headers:
        lines.append(b(name) + b": " + b(value))
    if ctype:
        lines += [b"MIME-Version: 1.0", b"Content-Type: " + b(ctype)]
    if cte:
        lines.append(b"Content-Transfer-Encoding: " + b(cte))
    return eol.join(lines) + eol + eol + b(body)


def parse_outcome(stdout: bytes):
    """`ticket SD-000001`, `set_aside mailer_daemon` -> (status, reason, ticket id)."""
    line = stdout.decode("utf-8", "replace").strip()
    m = OUTCOME_RE.match(line)
    if not m:
        raise AssertionError(f"mail-ingest printed {line!r}, not an outcome")
    return m.group(1), m.group(2) or "", int(m.group(3)) if m.group(3) else None


def run_binary(binary, args, *, input=b"", env=None, user=None, timeout=180.0):
    """Runs the binary, waiting (up to BIN_DEADLINE) while it is being relinked."""
    deadline = time.monotonic() + BIN_DEADLINE
    while True:
        try:
            return subprocess.run([binary, *args], input=input, env=env, user=user,
                                  capture_output=True, timeout=timeout)
        except OSError:  # missing or half-written while it is being relinked
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MailHelpers:
    """Mixed into DeskTestCase classes whose server reads the mail."""

    files_dir: str

    def ingest(self, raw: bytes, mailbox: str | None = None, db: str | None = None,
               env: dict | None = None, user: str | None = None):
        args = ["--db", db or self.server.db, "mail-ingest"]
        if mailbox:
            args += ["--mailbox", mailbox]
        return run_binary(self.server.bin, args, input=raw, env=env or self.server.env,
                          user=user)

    def take(self, raw: bytes, status: str | None = None, reason: str | None = None,
             mailbox: str | None = None):
        """Ingests and asserts exit 0; returns (status, reason, ticket_id)."""
        res = self.ingest(raw, mailbox)
        self.assertEqual(res.returncode, 0, f"mail-ingest exited {res.returncode}: "
                         f"{res.stdout!r} {res.stderr!r}")
        out = parse_outcome(res.stdout)
        if status is not None:
            self.assertEqual(out[0], status, f"outcome {res.stdout!r} {res.stderr!r}")
        if reason is not None:
            self.assertEqual(out[1], reason, f"outcome {res.stdout!r}")
        return out

    def new_ticket(self, raw: bytes, mailbox: str | None = None) -> dict:
        _, _, tid = self.take(raw, "ticket", mailbox=mailbox)
        self.assertIsNotNone(tid)
        t = self.admin.ticket(tid)
        self.assertEqual(t["channel"], "email", repr(t))
        return t

    def inbound_all(self, **params) -> list[dict]:
        items, before = [], None
        while True:
            q = {"limit": 100, **params}
            if before is not None:
                q["before"] = before
            page = self.admin.list_page(q, path=f"{API}/admin/inbound-mail")
            items += page["items"]
            before = page["next_before"]
            if before is None:
                return items

    def inbound_of(self, message_id: str) -> dict:
        found = [m for m in self.inbound_all() if m["message_id"] == message_id]
        self.assertEqual(len(found), 1, f"records of <{message_id}>: {found}")
        return found[0]

    def outbox_all(self) -> list[dict]:
        items, before = [], None
        while True:
            q = {"limit": 100}
            if before is not None:
                q["before"] = before
            page = self.admin.list_page(q, path=f"{API}/admin/outbox")
            items += page["items"]
            before = page["next_before"]
            if before is None:
                return items

    def replies(self, ticket_id: int) -> list[dict]:
        return [e for e in self.admin.events(ticket_id) if e["kind"] == "reply"]

    def attachments(self, ticket_id: int) -> list[dict]:
        r = self.admin.get(f"{API}/tickets/{ticket_id}/attachments")
        self.assertStatus(r, 200)
        return r.json()["items"]

    def download(self, attachment: dict):
        r = self.admin.get(attachment["url"])
        self.assertStatus(r, 200)
        self.assertEqual(r.headers.get("X-Content-Type-Options"), "nosniff", repr(r))
        self.assertTrue((r.headers.get("Content-Disposition") or "").startswith("attachment"),
                        r.headers.get("Content-Disposition"))
        return r

    def requester(self, ticket: dict) -> dict:
        r = self.admin.get(f"{API}/users/{ticket['requester_id']}")
        self.assertStatus(r, 200)
        return r.json()

    def tickets_titled(self, subject: str) -> list[dict]:
        return [t for t in self.admin.list_all({"limit": 200}) if t["subject"] == subject]


def stranger(prefix="x") -> str:
    return f"{unique(prefix)}@example.test"


# =========================================================================== A. the pipe


class PipeCorpusTests(MailHelpers, DeskTestCase):
    """Each message through `mail-ingest` (exit 0, its outcome printed), then checked
    through the API of a server on the same store."""

    @classmethod
    def setUpClass(cls):
        cls.files_dir = tempfile.mkdtemp(prefix="sd-mail-files-")
        cls.addClassCleanup(shutil.rmtree, cls.files_dir, True)
        cls.server_env = {"SERVICEDESK_MAIL_FROM": SENDER,
                          "SERVICEDESK_FILES_DIR": cls.files_dir}
        super().setUpClass()
        r = cls.admin.post(f"{API}/mailboxes", json={"address": DESK, "name": "Soporte"})
        assert r.status == 201, repr(r)
        cls.mailbox = r.json()

    # ---- charsets and encoded words

    def test_iso_8859_1_body(self):
        text = "Buenos días: la impresora del año pasado ya no imprime la «ñ». ¿Qué hago?"
        t = self.new_ticket(message(stranger("latin"), unique("Latin-1 "),
                                    text.encode("iso-8859-1") + b"\r\n",
                                    ctype='text/plain; charset="ISO-8859-1"'))
        self.assertEqual(t["description"].strip(), text)

    def test_windows_1252_body(self):
        text = "Precio: 20 € – “urgente” … ‘ya’ • Œuvre"
        raw_text = text.encode("cp1252")
        self.assertTrue(any(0x80 <= c <= 0x9F for c in raw_text))  # the bytes Latin-1 lacks
        t = self.new_ticket(message(stranger("cp"), unique("cp1252 "), raw_text + b"\r\n",
                                    ctype="text/plain; charset=windows-1252"))
        self.assertEqual(t["description"].strip(), text)

    def test_koi8_r_body_and_subject_quoted_printable(self):
        text = "Здравствуйте! Принтер не печатает, ошибка \"Замятие бумаги\"."
        subject = "Принтер не работает " + unique()
        qp = "".join(f"={b:02X}" if b > 126 or b == 61 else chr(b)
                     for b in text.encode("koi8-r"))
        t = self.new_ticket(message(stranger("ru"), encoded_word(subject, "koi8-r"), qp + "\r\n",
                                    ctype="text/plain; charset=koi8-r", cte="quoted-printable"))
        self.assertEqual(t["description"].strip(), text)
        self.assertEqual(t["subject"], subject)

    def test_iso_2022_jp_body_subject_and_name(self):
        text = "お世話になっております。プリンターが動きません。"
        subject = "プリンター故障 " + unique()
        name = "山田太郎"
        frm = stranger("jp")
        raw = message(f"{encoded_word(name, 'iso-2022-jp')} <{frm}>",
                      encoded_word(subject, "iso-2022-jp"),
                      text.encode("iso-2022-jp") + b"\r\n",
                      ctype="text/plain; charset=ISO-2022-JP", cte="7bit")
        self.assertTrue(all(b < 128 for b in raw), "ISO-2022-JP is 7-bit")
        t = self.new_ticket(raw)
        self.assertEqual(t["description"].strip(), text)
        self.assertEqual(t["subject"], subject)
        self.assertEqual(self.requester(t)["name"], name)

    def test_rfc2047_q_and_b_subject_and_from_name(self):
        cases = [
            ("Q", "iso-8859-1", "José Pérez", "¡Impresora atascada! ñandú"),
            ("B", "utf-8", "Łukasz Żółć", "Ошибка VPN — ¿otra vez? ✓"),
        ]
        for kind, charset, name, subject in cases:
            with self.subTest(kind=kind):
                subject = f"{subject} {unique()}"
                frm = stranger("enc")
                msgid = unique("enc") + "@example.test"
                t = self.new_ticket(message(f"{encoded_word(name, charset, kind)} <{frm}>",
                                            encoded_word(subject, "utf-8", kind), msgid=msgid))
                self.assertEqual(t["subject"], subject)
                user = self.requester(t)
                self.assertEqual((user["name"], user["email"]), (name, frm))
                rec = self.inbound_of(msgid)
                self.assertEqual((rec["subject"], rec["from"]), (subject, frm))

    def test_rfc2047_words_split_across_folds(self):
        """A long subject or name is several encoded words, each decoded by itself, the
        white space between them dropped (RFC 2047 6.2); encoders pad each B word."""
        cases = [
            # As Python's email package writes a long subject (words and ASCII mixed).
            ("python", None, None),
            # As Thunderbird writes a name: two padded B words in a row.
            ("padded B", "=?UTF-8?B?U3NzxZsgTGHFgmFsYQ==?= =?UTF-8?B?bGFsYQ==?=",
             "Sssś Lałalalala"),
            ("padded B, folded", "=?UTF-8?B?YWJjIGRlZg==?=\r\n =?UTF-8?B?IGdoaQ==?=",
             "abc def ghi"),
            ("Q, folded", "=?UTF-8?Q?abc_d=C3=A9f?=\r\n =?UTF-8?Q?_ghi?=", "abc déf ghi"),
        ]
        for name, encoded, decoded in cases:
            with self.subTest(case=name):
                tail = unique()
                frm = stranger("fold")
                if encoded is None:
                    m = EmailMessage(policy=policy.SMTP)
                    decoded = ("Не могу подключиться к VPN из дома, ошибка 809 при каждом "
                               "подключении — ¿qué hago?")
                    m["Subject"] = decoded
                    m["From"] = f"Ана Мария Гонсалес Родригес-Пérez <{frm}>"
                    m["To"] = DESK
                    m["Message-ID"] = f"<{unique('py')}@example.test>"
                    m.set_content("Texto.")
                    raw = m.as_bytes()
                    self.assertIn(b"?=\r\n =?utf-8?b?", raw, "several words, folded")
                    t = self.new_ticket(raw)
                    self.assertEqual(t["subject"], decoded)
                    self.assertEqual(self.requester(t)["name"],
                                     "Ана Мария Гонсалес Родригес-Пérez")
                    continue
                t = self.new_ticket(message(f"{encoded} <{frm}>", f"{encoded} {tail}"))
                self.assertEqual(t["subject"], f"{decoded} {tail}")
                self.assertEqual(self.requester(t)["name"], decoded)

    # ---- structure

    def test_nested_mixed_alternative_related_with_inline_cid_image(self):
        boundary = [unique("b") for _ in range(3)]
        png = tiny_png()
        pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
        plain = "Texto plano del mensaje anidado: se ve el logo abajo."
        body = crlf(
            f"This is a multi-part message in MIME format.\n"
            f"--{boundary[0]}\n"
            f"Content-Type: multipart/alternative; boundary=\"{boundary[1]}\"\n\n"
            f"--{boundary[1]}\n"
            f"Content-Type: text/plain; charset=utf-8\n"
            f"Content-Transfer-Encoding: quoted-printable\n\n"
            f"Texto plano del mensaje anidado: se ve el logo abajo.\n"
            f"--{boundary[1]}\n"
            f"Content-Type: multipart/related; boundary=\"{boundary[2]}\"; type=\"text/html\"\n\n"
            f"--{boundary[2]}\n"
            f"Content-Type: text/html; charset=utf-8\n\n"
            f"<html><body><p>Texto <b>HTML</b> del mensaje.</p>"
            f"<img src=\"cid:logo.{boundary[2]}@example.test\"></body></html>\n"
            f"--{boundary[2]}\n"
            f"Content-Type: image/png; name=\"logo.png\"\n"
            f"Content-Transfer-Encoding: base64\n"
            f"Content-ID: <logo.{boundary[2]}@example.test>\n"
            f"Content-Disposition: inline; filename=\"logo.png\"\n\n"
        ) + b64_lines(png) + crlf(
            f"--{boundary[2]}--\n\n"
            f"--{boundary[1]}--\n\n"
            f"--{boundary[0]}\n"
            f"Content-Type: application/pdf; name=\"informe.pdf\"\n"
            f"Content-Transfer-Encoding: base64\n"
            f"Content-Disposition: attachment; filename=\"informe.pdf\"\n\n"
        ) + b64_lines(pdf) + crlf(f"--{boundary[0]}--\n")
        t = self.new_ticket(message(stranger("nest"), unique("Anidado "), body,
                                    ctype=f'multipart/mixed; boundary="{boundary[0]}"', cte=None))
        self.assertEqual(t["description"].strip(), plain, "plain text wins in the alternative")
        files = {a["filename"]: a for a in self.attachments(t["id"])}
        self.assertEqual(set(files), {"logo.png", "informe.pdf"},
                         "the image and the PDF are files; the HTML alternative is not")
        self.assertTrue(files["logo.png"]["inline"], files["logo.png"])
        self.assertFalse(files["informe.pdf"]["inline"], files["informe.pdf"])
        self.assertEqual(files["logo.png"]["content_type"], "image/png")
        self.assertEqual(files["informe.pdf"]["content_type"], "application/pdf")
        for name, data in (("logo.png", png), ("informe.pdf", pdf)):
            self.assertEqual(files[name]["size"], len(data))
            self.assertEqual(self.download(files[name]).body, data, name)
        created = [e for e in self.admin.events(t["id"]) if e["kind"] == "created"]
        self.assertEqual({a["event_id"] for a in files.values()}, {created[0]["id"]})

    def test_html_only_loses_script_and_style(self):
        html = ("<html><head><style>body { color: red } .oculto { display: none }</style>"
                "<script>alert('xss-en-head')</script></head><body>"
                "<p>Hola, <b>el correo</b> no llega desde ayer.</p>"
                "<script type=\"text/javascript\">document.write('xss-en-body')</script>"
                "<ul><li>Outlook</li><li>Webmail</li></ul>"
                "<p>Ver <a href=\"https://example.test/estado\">estado</a> &amp; m&aacute;s</p>"
                "</body></html>")
        t = self.new_ticket(message(stranger("html"), unique("HTML "), html.encode() + b"\r\n",
                                    ctype="text/html; charset=utf-8"))
        d = t["description"]
        for present in ("Hola, el correo no llega desde ayer.", "- Outlook", "- Webmail",
                        "estado (https://example.test/estado)", "& más"):
            self.assertIn(present, d)
        for absent in ("alert", "xss", "document.write", "color", "display", "<", ">"):
            self.assertNotIn(absent, d)

    def test_rfc2231_utf8_filenames(self):
        boundary = unique("b")
        pdf = b"%PDF-1.4\n" + os.urandom(500)
        txt = "línea uno\nлиния два\n".encode()
        body = crlf(
            f"--{boundary}\nContent-Type: text/plain; charset=utf-8\n\nAdjunto dos archivos.\n"
            f"--{boundary}\n"
            f"Content-Type: application/pdf;\n"
            f" name*=UTF-8''informe%20a%C3%B1o%202025%20%E2%82%AC.pdf\n"
            f"Content-Transfer-Encoding: base64\n"
            f"Content-Disposition: attachment;\n"
            f" filename*=UTF-8''informe%20a%C3%B1o%202025%20%E2%82%AC.pdf\n\n"
        ) + b64_lines(pdf) + crlf(
            f"--{boundary}\n"
            f"Content-Type: text/plain; charset=utf-8\n"
            f"Content-Transfer-Encoding: base64\n"
            f"Content-Disposition: attachment;\n"
            f" filename*0*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82;\n"
            f" filename*1*=%20%E2%84%961.txt\n\n"
        ) + b64_lines(txt) + crlf(f"--{boundary}--\n")
        t = self.new_ticket(message(stranger("fn"), unique("RFC 2231 "), body,
                                    ctype=f'multipart/mixed; boundary="{boundary}"', cte=None))
        self.assertEqual(t["description"].strip(), "Adjunto dos archivos.")
        files = {a["filename"]: a for a in self.attachments(t["id"])}
        self.assertEqual(set(files), {"informe año 2025 €.pdf", "отчёт №1.txt"})
        r = self.download(files["informe año 2025 €.pdf"])
        self.assertEqual(r.body, pdf)
        self.assertIn("filename*=UTF-8''informe%20a%C3%B1o%202025%20%E2%82%AC.pdf",
                      r.headers.get("Content-Disposition"))
        r = self.download(files["отчёт №1.txt"])
        self.assertEqual(r.body, txt)
        self.assertEqual(r.content_type, "application/octet-stream",
                         "text is never served as something a browser renders")

    def test_broken_header_lines_and_raw_8bit_bytes(self):
        frm = stranger("broken")
        subject = "Café roto " + unique()
        msgid = unique("broken") + "@example.test"
        raw = (b"From: Jos\xe9 P\xe9rez <" + frm.encode() + b">\r\n"
               b"To: desk@desk.test\r\n"
               b"This line has no colon and is not a header\r\n"
               b"Subject: " + subject.encode("utf-8") + b"\r\n"
               b"X-Latin: se\xf1al \xff\xfe\r\n"
               b"Message-ID: <" + msgid.encode() + b">\r\n"
               b"\r\n"
               b"Cuerpo del mensaje con cabeceras rotas.\r\n")
        t = self.new_ticket(raw)
        self.assertEqual(t["subject"], subject, "the fields after the broken line are read")
        self.assertEqual(t["description"].strip(), "Cuerpo del mensaje con cabeceras rotas.")
        user = self.requester(t)
        self.assertEqual(user["email"], frm)
        self.assertTrue(user["name"].startswith("Jos"), user)
        rec = self.admin.get(f"{API}/admin/inbound-mail/{self.inbound_of(msgid)['id']}").json()
        names = [h[0] for h in rec["headers"]]
        self.assertIn("X-Latin", names)
        self.assertNotIn("This line has no colon and is not a header", " ".join(names))

    def test_missing_final_boundary(self):
        boundary = unique("b")
        data = os.urandom(3000)
        body = crlf(
            f"--{boundary}\nContent-Type: text/plain; charset=utf-8\n\n"
            f"Mensaje sin el límite final.\n"
            f"--{boundary}\nContent-Type: application/octet-stream; name=\"datos.bin\"\n"
            f"Content-Transfer-Encoding: base64\n"
            f"Content-Disposition: attachment; filename=\"datos.bin\"\n\n") + b64_lines(data)
        t = self.new_ticket(message(stranger("nobound"), unique("Sin límite "), body,
                                    ctype=f'multipart/mixed; boundary="{boundary}"', cte=None))
        self.assertEqual(t["description"].strip(), "Mensaje sin el límite final.")
        files = self.attachments(t["id"])
        self.assertEqual([f["filename"] for f in files], ["datos.bin"])
        self.assertEqual(self.download(files[0]).body, data)

    def test_lf_only_line_endings(self):
        boundary = unique("b")
        data = os.urandom(1000)
        subject = "Sólo LF, asunto largo doblado " + unique()
        body = (f"--{boundary}\nContent-Type: text/plain; charset=utf-8\n\n"
                f"Primera línea.\nSegunda línea.\n"
                f"--{boundary}\nContent-Type: application/octet-stream\n"
                f"Content-Transfer-Encoding: base64\n"
                f"Content-Disposition: attachment; filename=\"lf.bin\"\n\n").encode() \
            + b64_lines(data, b"\n") + f"--{boundary}--\n".encode()
        folded = subject[:20] + "\n " + subject[20:]
        raw = message(stranger("lf"), folded, body, eol=b"\n",
                      ctype=f'multipart/mixed; boundary="{boundary}"', cte=None)
        self.assertNotIn(b"\r", raw)
        t = self.new_ticket(raw)
        self.assertEqual(t["subject"], subject[:20] + " " + subject[20:])
        self.assertEqual(t["description"].strip(), "Primera línea.\nSegunda línea.")
        files = self.attachments(t["id"])
        self.assertEqual([f["filename"] for f in files], ["lf.bin"])
        self.assertEqual(self.download(files[0]).body, data)

    def test_nul_and_control_bytes_do_not_break_a_message(self):
        t = self.new_ticket(message(stranger("nul"), "Con\x07trol " + unique(),
                                    b"antes\x00despu\xc3\xa9s\x1b[31m\r\n"))
        self.assertNotIn("\x00", t["description"])
        self.assertNotIn("\x1b", t["description"])
        self.assertIn("antes", t["description"])
        self.assertIn("después", t["description"])

    # ---- duplicates

    def test_no_message_id_twice_is_one_ticket(self):
        subject = unique("Sin Message-ID ")
        raw = message(stranger("nomid"), subject, b"Mensaje sin identificador.\r\n", msgid=None)
        first = self.take(raw, "ticket")
        second = self.take(raw)
        self.assertEqual(second, first, "a message seen again prints the first outcome")
        self.assertEqual(len(self.tickets_titled(subject)), 1)
        recs = [m for m in self.inbound_all() if m["subject"] == subject]
        self.assertEqual(len(recs), 1, recs)
        self.assertEqual((recs[0]["message_id"], recs[0]["duplicates"]), ("", 1))
        # Other bytes without a Message-ID are another message.
        other = self.take(raw + b"Otra linea.\r\n", "ticket")
        self.assertNotEqual(other[2], first[2])

    def test_same_message_id_twice_is_one_ticket(self):
        msgid = unique("dup") + "@example.test"
        subject = unique("Duplicado ")
        frm = stranger("dup")
        first = self.take(message(frm, subject, b"Primera copia.\r\n", msgid=msgid), "ticket")
        # The second copy came another way (another Received line, another body).
        again = message(frm, subject, b"Segunda copia, otros bytes.\r\n", msgid=msgid,
                        headers=[("Received", "from relay.example.test by mx.desk.test")])
        self.assertEqual(self.take(again), first)
        self.assertEqual(self.take(again), first)
        rec = self.inbound_of(msgid)
        self.assertEqual(rec["duplicates"], 2)
        self.assertEqual(len(self.tickets_titled(subject)), 1)
        self.assertEqual(self.replies(first[2]), [], "a duplicate is not a comment")
        self.assertEqual(self.admin.ticket(first[2])["description"].strip(), "Primera copia.")
        acks = [o for o in self.outbox_all() if o["to_address"] == frm]
        self.assertEqual([o["kind"] for o in acks], ["acknowledgement"], "one answer")

    # ---- size

    def test_25_mb_attachment_is_kept_exactly(self):
        data = os.urandom(25 * MIB)
        digest = hashlib.sha256(data).hexdigest()
        boundary = unique("b")
        body = crlf(f"--{boundary}\nContent-Type: text/plain; charset=utf-8\n\nVa el volcado.\n"
                    f"--{boundary}\nContent-Type: application/octet-stream; name=\"volcado.bin\"\n"
                    f"Content-Transfer-Encoding: base64\n"
                    f"Content-Disposition: attachment; filename=\"volcado.bin\"\n\n") \
            + b64_lines(data) + crlf(f"--{boundary}--\n")
        raw = message(stranger("big"), unique("Grande "), body,
                      ctype=f'multipart/mixed; boundary="{boundary}"', cte=None)
        self.assertGreater(len(raw), 33 * MIB)
        t = self.new_ticket(raw)
        files = self.attachments(t["id"])
        self.assertEqual([(f["filename"], f["size"]) for f in files], [("volcado.bin", 25 * MIB)])
        got = self.download(files[0]).body
        self.assertEqual(len(got), 25 * MIB)
        self.assertEqual(hashlib.sha256(got).hexdigest(), digest)
        self.assertNotIn("not kept", t["description"])

    def test_attachment_over_30_mb_is_left_out_and_said(self):
        boundary = unique("b")
        big = (b"0123456789abcdef" * 63 + b"0123456789abcd\r\n") * (31 * 1024)
        self.assertEqual(len(big), 31 * MIB)
        small = b"\x89PNG\r\n\x1a\n" + os.urandom(100)
        body = (crlf(f"--{boundary}\nContent-Type: text/plain; charset=utf-8\n\nDos archivos.\n"
                     f"--{boundary}\nContent-Type: application/octet-stream\n"
                     f"Content-Transfer-Encoding: binary\n"
                     f"Content-Disposition: attachment; filename=\"enorme.log\"\n\n")
                + big + crlf(f"\n--{boundary}\nContent-Type: image/png\n"
                             f"Content-Transfer-Encoding: base64\n"
                             f"Content-Disposition: attachment; filename=\"chico.png\"\n\n")
                + b64_lines(small) + crlf(f"--{boundary}--\n"))
        raw = message(stranger("huge"), unique("Enorme "), body,
                      ctype=f'multipart/mixed; boundary="{boundary}"', cte=None)
        self.assertLess(len(raw), 40 * MIB, "still a message the desk parses")
        t = self.new_ticket(raw)
        self.assertIn("Dos archivos.", t["description"])
        self.assertRegex(t["description"], r"\[enorme\.log \(3[01] MB\) was not kept: files may "
                                           r"be up to 30 MB\]")
        files = self.attachments(t["id"])
        self.assertEqual([f["filename"] for f in files], ["chico.png"])
        self.assertEqual(self.download(files[0]).body, small)

    # ---- automatic mail

    def test_automatic_mail_is_set_aside_and_never_answered(self):
        cases = [
            ("auto_submitted", {"headers": [("Auto-Submitted", "auto-replied")]}),
            ("auto_submitted", {"headers": [("Auto-Submitted", "auto-generated; owner-email=x")]}),
            ("precedence", {"headers": [("Precedence", "bulk")]}),
            ("precedence", {"headers": [("Precedence", "junk")]}),
            ("precedence", {"headers": [("Precedence", "list"), ("List-Id", "<l.example.test>")]}),
            ("auto_response_suppress", {"headers": [("X-Auto-Response-Suppress", "All")]}),
            ("autoreply_header", {"headers": [("X-Autoreply", "yes")]}),
            ("loop", {"headers": [("X-Loop", DESK)]}),
            # The desk stamps its own sending address in X-Loop; mail carrying it back
            # to one of its mailboxes is a loop too.
            ("loop", {"headers": [("X-Loop", SENDER)]}),
            ("mailer_daemon", {"frm": "MAILER-DAEMON@example.test"}),
            ("mailer_daemon", {"frm": "Postmaster <postmaster@example.test>"}),
            ("mailer_daemon", {"headers": [("Return-Path", "<>")]}),
            ("from_desk", {"frm": f"Soporte <{DESK}>"}),
            ("from_desk", {"frm": SENDER}),
        ]
        for reason, spec in cases:
            with self.subTest(reason=reason, spec=spec):
                frm = spec.get("frm") or stranger("auto")
                subject = unique("Respuesta automática ")
                msgid = unique("auto") + "@example.test"
                self.take(message(frm, subject, b"Estoy fuera de la oficina.\r\n", msgid=msgid,
                                  headers=spec.get("headers", ())), "set_aside", reason)
                rec = self.inbound_of(msgid)
                self.assertEqual((rec["status"], rec["reason"], rec["ticket_id"]),
                                 ("set_aside", reason, None))
                self.assertEqual(self.tickets_titled(subject), [])
                addr = re.sub(r".*<|>.*", "", frm).lower()
                self.assertEqual([o for o in self.outbox_all() if o["to_address"] == addr], [])
        # A person who says "no" is a person.
        frm = stranger("person")
        self.take(message(frm, unique("Persona "), headers=[("Auto-Submitted", "no")]), "ticket")
        self.assertEqual([o["kind"] for o in self.outbox_all() if o["to_address"] == frm],
                         ["acknowledgement"])

    def test_bounce_with_the_desks_message_id_is_set_aside(self):
        frm = stranger("bounced")
        t = self.new_ticket(message(frm, unique("Rebota ")))
        ack = [o for o in self.outbox_all() if o["ticket_id"] == t["id"]][0]
        boundary = unique("b")
        for sender in ("Mail Delivery System <MAILER-DAEMON@mx.example.test>",
                       "Notificaciones <avisos@example.test>"):
            with self.subTest(sender=sender):
                msgid = unique("dsn") + "@mx.example.test"
                body = crlf(
                    f"--{boundary}\nContent-Type: text/plain; charset=us-ascii\n\n"
                    f"This is the mail system. Your message could not be delivered.\n"
                    f"--{boundary}\nContent-Type: message/delivery-status\n\n"
                    f"Reporting-MTA: dns; mx.example.test\n\n"
                    f"Final-Recipient: rfc822; {frm}\nAction: failed\nStatus: 5.1.1\n\n"
                    f"--{boundary}\nContent-Type: message/rfc822-headers\n\n"
                    f"From: {SENDER}\nTo: {frm}\nSubject: {ack['subject']}\n"
                    f"Message-ID: <{ack['message_id']}>\n\n"
                    f"--{boundary}--\n")
                self.take(message(sender, "Undelivered Mail Returned to Sender", body,
                                  msgid=msgid, to=SENDER,
                                  headers=[("In-Reply-To", f"<{ack['message_id']}>"),
                                           ("References", f"<{ack['message_id']}>")],
                                  ctype=f'multipart/report; report-type=delivery-status; '
                                        f'boundary="{boundary}"', cte=None),
                          "set_aside", "delivery_report")
                self.assertEqual(self.inbound_of(msgid)["ticket_id"], None)
        self.assertEqual(self.replies(t["id"]), [], "a bounce is no comment")

    def test_acknowledgements_to_one_address_are_limited_to_5_an_hour(self):
        frm = stranger("many")
        ids = [self.take(message(frm, unique("Otra más ")), "ticket")[2] for _ in range(7)]
        self.assertEqual(len(set(ids)), 7, "every message is a ticket")
        acks = [o for o in self.outbox_all() if o["to_address"] == frm]
        self.assertEqual(len(acks), 5, [o["ticket_id"] for o in acks])
        self.assertEqual({o["ticket_id"] for o in acks}, set(ids[:5]))

    # ---- threading

    def ticket_with_ack(self, frm=None):
        frm = frm or stranger("req")
        msgid = unique("orig") + "@example.test"
        t = self.new_ticket(message(frm, unique("Original "), b"El problema original.\r\n",
                                    msgid=msgid))
        def held():
            acks = [o for o in self.outbox_all()
                    if o["ticket_id"] == t["id"] and o["kind"] == "acknowledgement"]
            self.assertEqual(len(acks), 1, acks)
            self.assertIn(acks[0]["status"], ("pending", "held"), acks)
            return acks if acks[0]["status"] == "held" else None
        # The desk that sends decides: this one has no SMTP server, so it holds it.
        acks = wait_until(held, 30, "the acknowledgement held")
        self.assertRegex(acks[0]["message_id"], rf"^sd\.{t['id']}\.[^.@]+\.[0-9a-f]+@desk\.test$")
        return t, frm, msgid, acks[0]

    def test_signed_desk_message_id_alone_threads_the_reply(self):
        t, frm, _, ack = self.ticket_with_ack()
        for where in ("In-Reply-To", "References"):
            with self.subTest(where=where):
                # No tag, no Message-ID of the requester's: only the desk's own id.
                out = self.take(message(frm, "Re: algo sin etiqueta",
                                        f"Respuesta por {where}.\r\n".encode(),
                                        headers=[(where, f"<{ack['message_id']}>")]))
                self.assertEqual(out, ("comment", "", t["id"]))
        self.assertEqual([e["body"].strip() for e in self.replies(t["id"])],
                         ["Respuesta por In-Reply-To.", "Respuesta por References."])

    def test_signed_desk_message_id_threads_whoever_answers_it(self):
        """The desk's signed Message-IDs come first, whoever the sender (the requester
        forwarded the desk's mail, a colleague answered it): only a tag or another
        Message-ID needs the sender to be a participant."""
        t, _, _, ack = self.ticket_with_ack()
        colleague = stranger("colleague")
        out = self.take(message(colleague, "Re: reenviado", b"Soy su colega, lo confirmo.\r\n",
                                headers=[("In-Reply-To", f"<{ack['message_id']}>")]))
        self.assertEqual(out, ("comment", "", t["id"]),
                         "a reply to the desk's signed Message-ID joins its ticket")
        self.assertEqual([e["body"].strip() for e in self.replies(t["id"])],
                         ["Soy su colega, lo confirmo."])

    def test_forged_desk_message_id_from_a_stranger_is_a_new_ticket(self):
        t, _, _, ack = self.ticket_with_ack()
        other, _, _, other_ack = self.ticket_with_ack()
        _, _, nonce, mac_at = ack["message_id"].split(".", 3)
        forged = [
            f"sd.{t['id']}.xxxx.badmac@desk.test",
            f"sd.{t['id']}.{nonce}.{'0' * 24}@desk.test",
            # A real nonce and MAC of ticket t, with the other ticket's number.
            f"sd.{other['id']}.{nonce}.{mac_at}",
        ]
        for fake in forged:
            with self.subTest(fake=fake):
                subject = unique("Re: falsa ")
                out = self.take(message(stranger("forger"), subject, b"Texto falso.\r\n",
                                        headers=[("In-Reply-To", f"<{fake}>"),
                                                 ("References", f"<{fake}>")]))
                self.assertEqual(out[0], "ticket", f"forged id threaded: {out}")
                self.assertNotIn(out[2], (t["id"], other["id"]))
        self.assertEqual(self.replies(t["id"]), [])
        self.assertEqual(self.replies(other["id"]), [])

    def test_subject_tag_from_a_stranger_is_a_new_ticket(self):
        t, _, _, _ = self.ticket_with_ack()
        tag = f"[SD-{t['id']:06d}]"
        rest = unique("Intruso ")
        out = self.take(message(stranger("tag"), f"Re: {tag} {rest}", b"Quiero ver eso.\r\n"))
        self.assertEqual(out[0], "ticket")
        self.assertNotEqual(out[2], t["id"])
        self.assertEqual(self.admin.ticket(out[2])["subject"], rest, "the tag and Re: go")
        self.assertEqual(self.replies(t["id"]), [])

    def test_subject_tag_from_the_requester_is_a_comment_without_the_quote(self):
        t, frm, _, ack = self.ticket_with_ack()
        body = crlf("Ya lo reinicié y sigue igual.\n\n"
                    "El mar, 2 dic 2025 a las 10:00, Mesa de Servicio <help@desk.test> "
                    "escribió:\n> Recibimos su solicitud y abrimos el ticket.\n> Gracias.\n")
        # Another case and zero padding: still the same tag.
        out = self.take(message(frm.upper(), f"RE: [sd-{t['id']:09d}] {t['subject']}", body))
        self.assertEqual(out, ("comment", "", t["id"]))
        rs = self.replies(t["id"])
        self.assertEqual([e["body"].strip() for e in rs], ["Ya lo reinicié y sigue igual."])
        self.assertEqual(rs[0]["actor_id"], t["requester_id"])
        self.assertFalse(rs[0]["internal"])

    def test_known_message_id_threads_the_requester_but_not_a_stranger(self):
        t, frm, msgid, _ = self.ticket_with_ack()
        out = self.take(message(frm, "Re: sin etiqueta", b"Dato adicional.\r\n",
                                headers=[("In-Reply-To", f"<{msgid}>")]))
        self.assertEqual(out, ("comment", "", t["id"]))
        out = self.take(message(stranger("guess"), "Re: sin etiqueta", b"Adivino.\r\n",
                                headers=[("In-Reply-To", f"<{msgid}>")]))
        self.assertEqual(out[0], "ticket")
        self.assertNotEqual(out[2], t["id"])
        self.assertEqual([e["body"].strip() for e in self.replies(t["id"])], ["Dato adicional."])

    def test_someone_who_wrote_on_a_ticket_and_staff_may_use_the_tag(self):
        org = self.admin.create_organisation(shared_tickets=True)
        owner_email, mate_email = stranger("owner"), stranger("mate")
        self.admin.create_user(owner_email, "Dueña", "requester", None,
                               organisation_id=org["id"])
        password = "Pw-" + unique()
        self.server.known_passwords.append(password)
        mate = self.admin.create_user(mate_email, "Colega", "requester", password,
                                      organisation_id=org["id"])
        t = self.new_ticket(message(owner_email, unique("Compartido ")))
        tag = f"[SD-{t['id']:06d}]"
        # The colleague may see it, but has not written on it: the tag is not enough.
        out = self.take(message(mate_email, f"Re: {tag} {t['subject']}", b"Primero.\r\n"))
        self.assertEqual(out[0], "ticket")
        self.assertNotEqual(out[2], t["id"])
        # Once the colleague wrote on it, it is.
        client = self.server.client()
        client.login(mate_email, password)
        client.comment(t["id"], "Escribo desde el portal.")
        self.assertEqual(self.take(message(mate_email, f"Re: {tag}", b"Segundo.\r\n")),
                         ("comment", "", t["id"]))
        # Staff always.
        agent_email = stranger("agente")
        agent = self.admin.create_user(agent_email, "Agente Correo", "agent", None)
        self.assertEqual(self.take(message(f"Agente <{agent_email}>", f"Re: {tag}",
                                           b"Respuesta del agente por correo.\r\n")),
                         ("comment", "", t["id"]))
        rs = self.replies(t["id"])
        self.assertEqual([(e["actor_id"], e["body"].strip()) for e in rs],
                         [(mate["id"], "Escribo desde el portal."), (mate["id"], "Segundo."),
                          (agent["id"], "Respuesta del agente por correo.")])
        replies_out = [o for o in self.outbox_all()
                       if o["ticket_id"] == t["id"] and o["kind"] == "reply"]
        self.assertEqual(len(replies_out), 1, "the agent's reply goes to the requester")
        self.assertEqual(replies_out[0]["to_address"], owner_email)
        self.assertTrue(replies_out[0]["body"].startswith("Respuesta del agente por correo."))

    def test_reply_to_a_closed_ticket_opens_a_follow_up(self):
        t, frm, _, _ = self.ticket_with_ack()
        for to in ("in_progress", "resolved", "closed"):
            self.admin.transition(t["id"], to)
        events_before = self.admin.events(t["id"])
        out = self.take(message(frm, f"Re: [SD-{t['id']:06d}] {t['subject']}",
                                b"Volvio a fallar.\r\n"))
        self.assertEqual(out[0], "ticket")
        self.assertNotEqual(out[2], t["id"])
        follow = self.admin.ticket(out[2])
        self.assertEqual(follow["follow_up_of"], t["id"])
        self.assertEqual(follow["requester_id"], t["requester_id"])
        self.assertEqual(follow["subject"], t["subject"])
        self.assertIn("Volvio a fallar.", follow["description"])
        self.assertEqual(self.admin.ticket(t["id"])["status"], "closed")
        after = self.admin.events(t["id"])
        self.assertEqual(after[:len(events_before)], events_before)
        self.assertEqual([(e["kind"], e["field"], e["new_value"])
                          for e in after[len(events_before):]],
                         [("field_change", "follow_up", str(follow["id"]))],
                         "the closed ticket only records its follow-up")

    # ---- mailboxes that refuse strangers, and an admin's retry

    def test_refused_stranger_is_set_aside_until_an_admin_accepts_it(self):
        address = unique("cerrado") + "@desk.test"
        r = self.admin.post(f"{API}/mailboxes", json={"address": address, "name": "Cerrado",
                                                      "unknown_senders": "refuse"})
        self.assertStatus(r, 201)
        msgid = unique("refused") + "@example.test"
        frm = stranger("unknown")
        subject = unique("Desconocido ")
        self.take(message(frm, subject, msgid=msgid, to=address), "set_aside", "unknown_sender",
                  mailbox=address)
        rec = self.inbound_of(msgid)
        self.assertEqual(rec["mailbox_id"], r.json()["id"])
        self.assertEqual(self.tickets_titled(subject), [])
        r = self.admin.post(f"{API}/admin/inbound-mail/{rec['id']}/retry", json={"accept": True})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["status"], "ticket", r.json())
        t = self.admin.ticket(r.json()["ticket_id"])
        self.assertEqual((t["subject"], t["channel"]), (subject, "email"))
        # Taken now: a retry again is refused, and the message seen again is that ticket.
        self.assertStatus(self.admin.post(f"{API}/admin/inbound-mail/{rec['id']}/retry",
                                          json={"accept": True}), 409)
        self.assertEqual(self.take(message(frm, subject, msgid=msgid, to=address),
                                   mailbox=address)[0], "ticket")
        self.assertEqual(len(self.tickets_titled(subject)), 1)

    # ---- what is not mail, and a store that cannot be used

    def test_garbage_and_empty_input_fail_cleanly(self):
        rng = random.Random(20251202)
        inputs = {"empty": b"", "blank lines": b"\r\n\r\n\r\n",
                  "random bytes": bytes(rng.getrandbits(8) for _ in range(4096)),
                  "binary with NULs": b"\x00" * 100 + b"\xff\xfe" * 100,
                  "a PNG": tiny_png() * 20}
        before = len(self.inbound_all())
        for name, raw in inputs.items():
            with self.subTest(input=name):
                res = self.ingest(raw)
                self.assertEqual(res.returncode, 0, f"{res.stdout!r} {res.stderr!r}")
                self.assertEqual(parse_outcome(res.stdout)[0], "failed", res.stdout)
        recs = self.inbound_all()
        self.assertEqual(len(recs) - before, len(inputs), "every input kept once")
        newest = sorted(recs, key=lambda m: m["id"])[-len(inputs):]
        self.assertEqual({m["status"] for m in newest}, {"failed"}, newest)

    def test_a_store_that_cannot_be_used_exits_75(self):
        raw = message(stranger("tempfail"), unique("Sin base "))
        work = tempfile.mkdtemp(prefix="sd-mail-ro-")
        self.addCleanup(shutil.rmtree, work, True)
        os.chmod(work, 0o755)
        files = os.path.join(work, "files")
        os.mkdir(files)
        os.chmod(files, 0o777)
        env = dict(self.server.env, SERVICEDESK_FILES_DIR=files)
        env.pop("SERVICEDESK_DB", None)
        missing = os.path.join(work, "no", "such", "folder", "desk.db")
        not_a_db = os.path.join(work, "garbage.db")
        with open(not_a_db, "wb") as f:
            f.write(b"this is not an SQLite database\n" * 200)
        ro = os.path.join(work, "ro")
        os.mkdir(ro)
        existing = os.path.join(ro, "desk.db")
        res = run_binary(self.server.bin, ["--db", existing, "migrate"], env=env)
        self.assertEqual(res.returncode, 0, res.stderr)
        os.chmod(existing, 0o444)
        os.chmod(ro, 0o555)
        cases = [
            ("a folder that does not exist", missing, None),
            ("not a database", not_a_db, None),
            ("a new file in a read-only folder", os.path.join(ro, "new.db"), "nobody"),
            ("a read-only database in a read-only folder", existing, "nobody"),
            ("no PostgreSQL there", f"postgresql://postgres@127.0.0.1:{free_port()}/desk", None),
        ]
        for name, db, user in cases:
            with self.subTest(case=name):
                res = self.ingest(raw, db=db, env=env, user=user)
                self.assertEqual(res.returncode, EX_TEMPFAIL,
                                 f"{name}: {res.stdout!r} {res.stderr!r}")
                self.assertEqual(res.stdout, b"", "no outcome is claimed")
        self.assertFalse(os.path.exists(os.path.dirname(missing)))
        self.assertFalse(os.path.exists(os.path.join(ro, "new.db")))
        os.chmod(ro, 0o755)
        conn = sqlite3.connect(f"file:{existing}?mode=ro", uri=True)
        try:
            self.assertEqual(conn.execute("SELECT count(*) FROM inbound_mail").fetchone()[0], 0)
        finally:
            conn.close()



# =========================================================================== B. real servers

_mail: MailServers | None = None


def mail_servers() -> MailServers:
    """Postfix and Dovecot for every class of this module that needs them, started by
    the first and stopped when the module is done."""
    global _mail
    if _mail is None:
        _mail = MailServers.start()
    return _mail


def tearDownModule():
    global _mail
    if _mail is not None:
        mail, _mail = _mail, None
        mail.stop()


def imap_state(mail: MailServers, user: str) -> dict[str, tuple[int, set[str]]]:
    """Message-ID -> (UID, flags) of every message in user's INBOX."""
    out = {}
    with mail.imap(user, USERS[user]) as conn:
        typ, _ = conn.select("INBOX", readonly=True)
        assert typ == "OK", typ
        typ, data = conn.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        assert typ == "OK", (typ, data)
        for part in data:
            if not isinstance(part, tuple):
                continue
            meta = part[0].decode()
            uid = int(re.search(r"UID (\d+)", meta).group(1))
            flags = {f.decode() for f in imaplib.ParseFlags(part[0])}
            if not flags and "FLAGS (" in meta:
                flags = set(re.search(r"FLAGS \(([^)]*)\)", meta).group(1).split())
            header = BytesParser(policy=policy.default).parsebytes(part[1])
            out[str(header.get("Message-ID", "")).strip().strip("<>")] = (uid, flags)
    return out


def parse_mail(raw: bytes):
    return BytesParser(policy=policy.default).parsebytes(raw)


def ids_in(value) -> list[str]:
    return re.findall(r"<([^<>\s]+)>", str(value or ""))


class ServerMailHelpers(MailHelpers):
    mail: MailServers

    def wait(self, predicate, what: str, timeout: float = MAIL_DEADLINE):
        try:
            return wait_until(predicate, timeout, what, interval=0.05)
        except AssertionError as e:
            raise AssertionError(f"{e}\n--- desk log tail:\n{self.server.log_tail(30)}\n"
                                 f"{self.mail.logs()[-6000:]}") from None

    def wait_inbound(self, message_id: str, status: str | None = None,
                     timeout: float = MAIL_DEADLINE) -> dict:
        def found():
            recs = [m for m in self.inbound_all() if m["message_id"] == message_id]
            return recs[0] if recs and (status is None or recs[0]["status"] == status) else None
        return self.wait(found, f"<{message_id}> taken in as {status}", timeout)

    def wait_outbox(self, pred, status: str, what: str) -> dict:
        def found():
            rows = [o for o in self.outbox_all() if pred(o)]
            if rows and rows[0]["status"] == status:
                return rows[0]
            return None
        return self.wait(found, f"{what} {status} in the outbox")

    def compose(self, frm: str, subject: str, text: str, **headers) -> tuple[bytes, str]:
        m = EmailMessage(policy=policy.SMTP)
        m["From"] = frm
        m["To"] = DESK
        m["Subject"] = subject
        msgid = unique("e2e") + "@example.test"
        m["Message-ID"] = f"<{msgid}>"
        m["Date"] = "Tue, 02 Dec 2025 10:00:00 -0600"
        for name, value in headers.items():
            m[name.replace("_", "-")] = value
        m.set_content(text)
        return m, msgid


class MailRoundTripTests(ServerMailHelpers, DeskTestCase):
    """SMTP in through Postfix, Dovecot, the desk's IMAP poll; the desk's mail out
    through Postfix to the requester's Dovecot mailbox, and back."""

    @classmethod
    def setUpClass(cls):
        cls.mail = mail_servers()
        cls.files_dir = tempfile.mkdtemp(prefix="sd-mail-files-")
        cls.addClassCleanup(shutil.rmtree, cls.files_dir, True)
        cls.server_env = {
            "SERVICEDESK_SMTP_URL": f"smtp://127.0.0.1:{cls.mail.smtp_port}",
            "SERVICEDESK_SMTP_TLS": "required",  # Postfix offers STARTTLS
            "SERVICEDESK_SMTP_VERIFY_PEER": "off",  # its certificate is self-signed
            "SERVICEDESK_MAIL_FROM": DESK,
            "SERVICEDESK_MAIL_FROM_NAME": "Mesa de Ayuda",
            "SERVICEDESK_IMAP_POLL_SECONDS": "1",
            "SERVICEDESK_FILES_DIR": cls.files_dir,
            "SERVICEDESK_JOBS_POLL_MS": "50",
        }
        super().setUpClass()
        r = cls.admin.post(f"{API}/mailboxes", json={
            "address": DESK, "name": "Soporte", "unknown_senders": "create",
            "imap": {"url": f"imap://127.0.0.1:{cls.mail.imap_port}", "username": DESK,
                     "password": USERS[DESK], "folder": "INBOX", "tls": "required",
                     "verify_peer": False}})
        assert r.status == 201, repr(r)
        cls.box = r.json()
        cls.agent_user, cls.agent = cls.make_user("agent")

    def test_a_message_over_smtp_becomes_a_ticket_by_imap_and_is_flagged(self):
        frm = "bruno@example.test"
        subject = unique("Llegó por SMTP, ¿y ahora? ")
        m, msgid = self.compose(f"Bruno Díaz <{frm}>", subject, "Buen día:\nel escáner no "
                                "enciende.\n")
        scan = os.urandom(20_000)
        m.add_attachment(scan, maintype="application", subtype="octet-stream",
                         filename="escaneo.bin")
        self.mail.send(m.as_bytes(), frm, [DESK])
        rec = self.wait_inbound(msgid, "ticket")
        self.assertEqual((rec["source"], rec["mailbox_id"], rec["from"], rec["subject"]),
                         ("imap", self.box["id"], frm, subject))
        t = self.admin.ticket(rec["ticket_id"])
        self.assertEqual((t["channel"], t["subject"]), ("email", subject))
        self.assertEqual(t["description"].strip(), "Buen día:\nel escáner no enciende.")
        self.assertEqual(self.requester(t)["name"], "Bruno Díaz")
        files = self.attachments(t["id"])
        self.assertEqual([(f["filename"], f["size"]) for f in files], [("escaneo.bin", 20_000)])
        self.assertEqual(self.download(files[0]).body, scan)
        # Committed, then flagged on the server; never marked seen.
        uid, flags = self.wait(lambda: (s := imap_state(self.mail, DESK).get(msgid))
                               and "$SDIngested" in s[1] and s, "$SDIngested on the message")
        self.assertNotIn("\\Seen", flags)
        box = self.wait(lambda: (b := self.admin.get(f"{API}/mailboxes/{self.box['id']}").json())
                        and b["imap"]["last_uid"] >= uid and b, "the poll recorded")
        self.assertGreater(box["imap"]["uidvalidity"], 0)
        self.assertIsNotNone(box["imap"]["polled_at"])
        self.assertEqual(box["imap"]["error"], "")
        # The same message in the folder again (a copy, a second delivery) is one.
        with self.mail.imap(DESK, USERS[DESK]) as conn:
            typ, _ = conn.append("INBOX", None, None, m.as_bytes())
            self.assertEqual(typ, "OK")
        self.wait(lambda: self.inbound_of(msgid)["duplicates"] == 1, "the copy counted")
        self.wait(lambda: all("$SDIngested" in f for mid, (_, f) in
                              imap_state(self.mail, DESK).items() if mid == msgid),
                  "the copy flagged too")
        self.assertEqual(len(self.tickets_titled(subject)), 1)

    def test_the_desks_mail_comes_back_threaded_and_the_reply_joins_the_ticket(self):
        ana = "ana@example.test"
        subject = unique("No puedo imprimir ")
        m, first_id = self.compose(f"Ana López <{ana}>", subject, "La impresora no responde.")
        self.mail.send(m.as_bytes(), ana, [DESK])
        tid = self.wait_inbound(first_id, "ticket")["ticket_id"]
        tag = f"[SD-{tid:06d}]"
        ack = self.wait_outbox(lambda o: o["ticket_id"] == tid and o["kind"] == "acknowledgement",
                               "sent", "the acknowledgement")
        self.assertEqual(ack["to_address"], ana)
        self.agent.comment(tid, "Hola Ana, reinicie la cola de impresión y pruebe de nuevo.")
        reply = self.wait_outbox(lambda o: o["ticket_id"] == tid and o["kind"] == "reply",
                                 "sent", "the agent's reply")
        for o in (ack, reply):
            self.assertRegex(o["message_id"], rf"^sd\.{tid}\.[^.@]+\.[0-9a-f]+@desk\.test$")
        self.assertNotEqual(ack["message_id"], reply["message_id"])

        def both():
            got = [parse_mail(r) for r in self.mail.messages(ana, USERS[ana])]
            got = [g for g in got if tag in str(g["Subject"])]
            return got if len(got) >= 2 else None
        got = {ids_in(g["Message-ID"])[0]: g for g in self.wait(both, "two mails to Ana")}
        self.assertEqual(set(got), {ack["message_id"], reply["message_id"]})
        a, r = got[ack["message_id"]], got[reply["message_id"]]
        for g in (a, r):
            self.assertEqual(str(g["Subject"]), f"{tag} {subject}")
            self.assertEqual(g["From"].addresses[0].addr_spec, DESK)
            self.assertEqual(g["From"].addresses[0].display_name, "Mesa de Ayuda")
            self.assertEqual(g["To"].addresses[0].addr_spec, ana)
            self.assertEqual(str(g["X-Loop"]).strip(), DESK)
        self.assertEqual(ids_in(a["In-Reply-To"]), [first_id])
        self.assertEqual(ids_in(a["References"]), [first_id])
        self.assertEqual(str(a["Auto-Submitted"]).strip(), "auto-replied")
        self.assertIn(tag, a.get_content())
        self.assertIsNone(r["Auto-Submitted"], "a person's reply is not automatic")
        self.assertEqual(ids_in(r["In-Reply-To"]), [ack["message_id"]])
        self.assertEqual(ids_in(r["References"]), [first_id, ack["message_id"]])
        self.assertIn("reinicie la cola de impresión", r.get_content())

        # Ana answers the agent's reply from her mail program, quoting it.
        answer, answer_id = self.compose(
            f"Ana López <{ana}>", f"Re: {tag} {subject}",
            "Gracias, ya funciona.\n\n"
            "El mar, 2 dic 2025 a las 10:05, Mesa de Ayuda <desk@desk.test> escribió:\n"
            "> Hola Ana, reinicie la cola de impresión y pruebe de nuevo.\n>\n"
            "> --\n> Para contestar, responda a este mensaje.\n",
            In_Reply_To=f"<{reply['message_id']}>",
            References=f"<{first_id}> <{ack['message_id']}> <{reply['message_id']}>")
        self.mail.send(answer.as_bytes(), ana, [DESK])
        rec = self.wait_inbound(answer_id)
        self.assertEqual((rec["status"], rec["ticket_id"]), ("comment", tid), rec)
        requester_id = self.admin.ticket(tid)["requester_id"]
        mine = [e for e in self.replies(tid) if e["actor_id"] == requester_id]
        self.assertEqual([e["body"] for e in mine], ["Gracias, ya funciona."],
                         "the quoted history is trimmed")
        r = self.admin.get(f"{API}/tickets/{tid}/mail")
        self.assertStatus(r, 200)
        self.assertEqual({x["message_id"] for x in r.json()["items"]}, {first_id, answer_id})
        self.assertEqual([o["kind"] for o in self.outbox_all() if o["ticket_id"] == tid],
                         ["reply", "acknowledgement"], "the answer is not acknowledged again")

    def test_a_permanent_smtp_refusal_fails_the_mail_and_says_so_on_the_ticket(self):
        cases = {
            "nadie@example.test": "an unknown user of a domain Postfix serves",
            "alguien@elsewhere.test": "a domain Postfix does not relay to",
        }
        sent = {}
        for addr in cases:
            m, msgid = self.compose(addr, unique("Sin buzón "), "Hola.")
            self.mail.send(m.as_bytes(), addr, [DESK])
            sent[addr] = msgid
        for addr, why in cases.items():
            with self.subTest(why=why):
                tid = self.wait_inbound(sent[addr], "ticket")["ticket_id"]
                o = self.wait_outbox(lambda o, tid=tid: o["ticket_id"] == tid, "failed",
                                     f"the acknowledgement to {addr}")
                self.assertEqual((o["kind"], o["to_address"]), ("acknowledgement", addr))
                self.assertEqual(o["attempts"], 1, "a permanent refusal is not tried again")
                self.assertRegex(o["last_error"], r"5\d\d", o)
                failed = [e for e in self.admin.events(tid) if e["kind"] == "mail_failed"]
                self.assertEqual(len(failed), 1, self.admin.events(tid))
                self.assertEqual((failed[0]["new_value"], failed[0]["field"],
                                  failed[0]["internal"]), (addr, "acknowledgement", True))
                self.assertIn(addr, failed[0]["body"])


class PipeTransportTests(ServerMailHelpers, DeskTestCase):
    """Postfix's pipe transport runs `servicedesk mail-ingest` as its unprivileged user,
    on the store the desk serves (run as that user too, so both may write it)."""

    @classmethod
    def setUpClass(cls):
        cls.mail = mail_servers()
        cls.files_dir = os.path.join(cls.mail.pipe_db_dir, unique("files-"))
        os.mkdir(cls.files_dir)
        cls.mail.give_to_pipe_user(cls.files_dir)
        cls.server_run_as = cls.mail.pipe_user
        cls.server_store_dir = cls.mail.pipe_db_dir  # for SQLite; PostgreSQL has its URL
        cls.server_env = {"SERVICEDESK_FILES_DIR": cls.files_dir,
                          "SERVICEDESK_MAIL_FROM": DESK}
        super().setUpClass()
        r = cls.admin.post(f"{API}/mailboxes", json={"address": PIPE_ADDRESS, "name": "Pipe"})
        assert r.status == 201, repr(r)
        cls.box = r.json()
        binary = os.path.abspath(cls.server.bin)
        # Postfix gives the command a bare environment: it sets its own. While the
        # binary is being relinked it defers (75) rather than bounce.
        cls.mail.set_pipe_command(
            "#!/bin/sh\n"
            f"export SERVICEDESK_FILES_DIR='{cls.files_dir}'\n"
            f"export SERVICEDESK_MAIL_FROM='{DESK}'\n"
            "i=0\n"
            f"while [ ! -x '{binary}' ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done\n"
            f"[ -x '{binary}' ] || exit {EX_TEMPFAIL}\n"
            f"exec '{binary}' --db '{cls.server.db}' mail-ingest --mailbox {PIPE_ADDRESS}\n")
        cls.addClassCleanup(cls.mail.set_pipe_command, f"exit {EX_TEMPFAIL}\n")

    def send_to_pipe(self, subject: str) -> str:
        m, msgid = self.compose("Carla <carla@example.test>", subject, "Vía pipe.")
        del m["To"]
        m["To"] = PIPE_ADDRESS
        self.mail.send(m.as_bytes(), "carla@example.test", [PIPE_ADDRESS])
        return msgid

    def test_a_message_to_the_pipe_address_becomes_a_ticket(self):
        subject = unique("Por la tubería ")
        msgid = self.send_to_pipe(subject)
        rec = self.wait_inbound(msgid, "ticket")
        self.assertEqual((rec["source"], rec["mailbox_id"], rec["duplicates"]),
                         ("pipe", self.box["id"], 0))
        t = self.admin.ticket(rec["ticket_id"])
        self.assertEqual((t["subject"], t["channel"], t["description"].strip()),
                         (subject, "email", "Vía pipe."))
        self.mail.wait_queue_empty(MAIL_DEADLINE)

    def break_store(self):
        """Makes the store unusable for new connections (the running desk keeps its
        own); returns the function that mends it."""
        if self.server.backend == "postgres":
            name = self.server._pg_dbname
            self.server._psql(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
            return lambda: self.server._psql(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
        mode = stat.S_IMODE(os.stat(self.server.db).st_mode)
        os.chmod(self.server.db, 0)
        return lambda: os.chmod(self.server.db, mode)

    def test_an_unusable_store_defers_the_message_and_a_flush_delivers_it_once(self):
        subject = unique("Diferido ")
        mend = self.break_store()
        self.addCleanup(mend)
        msgid = self.send_to_pipe(subject)

        def deferred():
            for q in self.mail.queue():
                if q["queue_name"] != "deferred":  # "active" while Postfix tries again
                    continue
                for rcpt in q.get("recipients", []):
                    if rcpt.get("address") == PIPE_ADDRESS and rcpt.get("delay_reason"):
                        return q, rcpt
            return None
        _, rcpt = self.wait(deferred, "the message deferred in Postfix's queue")
        self.assertIn("temporary failure", rcpt["delay_reason"].lower(), rcpt)
        mend()
        self.assertEqual([m for m in self.inbound_all() if m["message_id"] == msgid], [],
                         "nothing was taken in while the store was unusable")
        self.mail.flush_queue()
        self.mail.wait_queue_empty(MAIL_DEADLINE)
        rec = self.wait_inbound(msgid, "ticket")
        self.assertEqual((rec["duplicates"], rec["source"]), (0, "pipe"), "delivered once")
        self.assertEqual(len(self.tickets_titled(subject)), 1)


class KillDuringImapIntakeTests(ServerMailHelpers, DeskTestCase):
    """kill -9 while the desk takes a mailbox in: nothing is lost, nothing is a ticket
    twice, every message ends flagged."""

    COUNT = 40
    USER = "help@desk.test"

    @classmethod
    def setUpClass(cls):
        cls.mail = mail_servers()
        cls.files_dir = tempfile.mkdtemp(prefix="sd-mail-files-")
        cls.addClassCleanup(shutil.rmtree, cls.files_dir, True)
        cls.server_env = {"SERVICEDESK_IMAP_POLL_SECONDS": "1",
                          "SERVICEDESK_FILES_DIR": cls.files_dir,
                          "SERVICEDESK_MAIL_FROM": cls.USER,
                          "SERVICEDESK_JOBS_POLL_MS": "50"}
        super().setUpClass()

    def committed_ids(self) -> set[str]:
        return {r[0] for r in self.server.sql("SELECT message_id FROM inbound_mail")}

    def test_kill_9_during_intake_loses_nothing_and_duplicates_nothing(self):
        tag = unique("lote")
        expected = {}
        with self.mail.imap(self.USER, USERS[self.USER]) as conn:
            for i in range(self.COUNT):
                m, msgid = self.compose("Bruno <bruno@example.test>", f"Lote {tag} {i:02d}",
                                        f"Mensaje {i} del lote.")
                # Big enough that taking them all in takes a while.
                m.add_attachment(os.urandom(400_000), maintype="application",
                                 subtype="octet-stream", filename=f"adjunto{i}.bin")
                typ, _ = conn.append("INBOX", None, None, m.as_bytes())
                self.assertEqual(typ, "OK")
                expected[msgid] = f"Lote {tag} {i:02d}"
        r = self.admin.post(f"{API}/mailboxes", json={
            "address": self.USER, "name": "Ayuda",
            "imap": {"url": f"imap://127.0.0.1:{self.mail.imap_port}", "username": self.USER,
                     "password": USERS[self.USER], "tls": "none"}})
        self.assertStatus(r, 201)

        def count():
            return len(self.admin.list_page({"limit": 100},
                                            path=f"{API}/admin/inbound-mail")["items"])
        # Halfway through (anywhere from 1 to COUNT - 1 would do): kill -9.
        n = self.wait(lambda: (c := count()) >= self.COUNT // 2 and c, "the intake halfway", 60)
        self.assertLess(n, self.COUNT, "all taken in before the kill: nothing to interrupt")
        self.assertEqual(self.server.kill(), -signal.SIGKILL)
        committed = self.committed_ids()
        flagged = {mid for mid, (_, f) in imap_state(self.mail, self.USER).items()
                   if "$SDIngested" in f}
        self.assertTrue(0 < len(committed) < self.COUNT, len(committed))
        self.assertLessEqual(flagged, committed, "flagged on the server before committed")

        self.server.launch()

        def all_in():
            state = imap_state(self.mail, self.USER)
            done = [mid for mid, (_, f) in state.items() if "$SDIngested" in f]
            return len(done) == self.COUNT and count() == self.COUNT
        self.wait(all_in, f"all {self.COUNT} taken in and flagged after the restart")
        recs = self.inbound_all()
        self.assertEqual(sorted(m["message_id"] for m in recs), sorted(expected),
                         "one record per message")
        self.assertEqual({m["status"] for m in recs}, {"ticket"})
        self.assertEqual(len({m["ticket_id"] for m in recs}), self.COUNT)
        tickets = [t for t in self.admin.list_all({"limit": 200}) if tag in t["subject"]]
        self.assertEqual(sorted(t["subject"] for t in tickets), sorted(expected.values()),
                         "exactly one ticket per message")
        state = imap_state(self.mail, self.USER)
        self.assertEqual(len(state), self.COUNT)
        for mid, (_, flags) in state.items():
            self.assertIn("$SDIngested", flags, mid)
            self.assertNotIn("\\Seen", flags, mid)
        for t in tickets:
            self.assertEqual(len(self.attachments(t["id"])), 1, t)


if __name__ == "__main__":
    unittest.main()

"""Black-box fixture for the service desk integration tests.

Starts the real binary (env SERVICEDESK_BIN) on a fresh store, talks to it over
HTTP with the standard library only, and stops it with SIGTERM, failing when it
does not exit 0.

Environment:
  SERVICEDESK_BIN        path of the servicedesk binary (required)
  SD_TEST_BACKEND        sqlite (default) or postgres
  SD_TEST_PG_ADMIN_URL   postgresql://postgres@127.0.0.1:PORT/postgres; needed for
                         postgres (tests/pg/start.sh DIR writes it to DIR/url)
"""

from __future__ import annotations

import http.client
import itertools
import json as jsonlib
import os
import re
import resource
import secrets
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
from contextlib import contextmanager
from email.message import Message
from typing import Any, Callable, Iterable

API = "/api/v1"
ADMIN_EMAIL = "admin@test.example"
ADMIN_NAME = "Test Admin"
SESSION_COOKIE = "sd_session"
# Its name when the desk is served over HTTPS (SERVICEDESK_PUBLIC_URL https://...).
SECURE_SESSION_COOKIE = "__Host-sd_session"
LISTEN_RE = re.compile(r"^servicedesk listening on http://127\.0\.0\.1:(\d+)$")
STARTUP_DEADLINE = 20.0
STOP_DEADLINE = 10.0
CLI_TIMEOUT = 60.0
REQUEST_TIMEOUT = 30.0

ROLES = ("requester", "agent", "supervisor", "admin")
STAFF_ROLES = ("agent", "supervisor", "admin")

DEFAULT_MATRIX = {
    "not_critical": {"low": "low", "medium": "low", "high": "medium"},
    "critical": {"low": "medium", "medium": "high", "high": "high"},
    "loss_of_functionality": {"low": "high", "medium": "critical", "high": "critical"},
}
IMPACT_LEVEL = {"not_critical": 1, "critical": 2, "loss_of_functionality": 3}
CRITICALITY_LEVEL = {"low": 1, "medium": 2, "high": 3}
# critical is the most urgent; used to check orderings in either direction.
PRIORITY_RANK = {"critical": 1, "high": 2, "medium": 3, "low": 4}
STATUSES = ("new", "assigned", "in_progress", "pending", "resolved", "closed", "cancelled")
OPEN_STATUSES = ("new", "assigned", "in_progress", "pending")
STATUS_CATEGORY = {"new": "new", "assigned": "open", "in_progress": "open", "pending": "waiting",
                   "resolved": "resolved", "closed": "closed", "cancelled": "closed"}
STATUS_CATEGORIES = ("new", "open", "waiting", "resolved", "closed")
TICKET_TYPES = ("complaint", "incident", "information_request", "change_request", "observation")
INTERNAL_TICKET_FIELDS = ("assignee_id", "group_id", "support_level")
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
PROBLEM_TYPE_PREFIX = "https://servicedesk.invalid/problems/"
PROBLEM_CODES = {
    400: "invalid_input",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
    500: "internal",
    503: "unavailable",
}

_counter = itertools.count(1)
_RUN_TAG = secrets.token_hex(3)


def unique(prefix: str = "x") -> str:
    """A string unique within this test run (and very likely across runs)."""
    return f"{prefix}{_RUN_TAG}{next(_counter):05d}"


def unique_email(prefix: str = "user") -> str:
    return f"{unique(prefix)}@test.example"


def new_password() -> str:
    return "Pw-" + secrets.token_hex(10)


def expected_priority(impact: str, criticality: str, matrix: dict | None = None) -> str:
    return (matrix or DEFAULT_MATRIX)[impact][criticality]


def expected_support_level(impact: str, criticality: str) -> int:
    return max(IMPACT_LEVEL[impact], CRITICALITY_LEVEL[criticality])


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.02):
    """Polls predicate until it returns a truthy value or the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what}")
        time.sleep(interval)


def _headers_from_pairs(pairs: Iterable[tuple[str, str]]) -> Message:
    msg = Message()
    for k, v in pairs:
        msg[k] = v
    return msg


DOCS_API = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "api.md")
_DOC_ROUTE_RE = re.compile(r"`(GET|POST|PUT|PATCH|DELETE|HEAD) (/[^`\s?]*)")


def normalize_route(path: str) -> str:
    """/api/v1/tickets/{ticket_id} -> /tickets/{id}"""
    if path.startswith(API + "/"):
        path = path[len(API):]
    return re.sub(r"\{[^}]*\}", "{id}", path.rstrip("/") or "/")


def doc_routes() -> set[tuple[str, str]] | None:
    """Every `METHOD /path` named in docs/api.md, normalized; None if the file is absent."""
    try:
        with open(DOCS_API, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return None
    return {(m, normalize_route(p)) for m, p in _DOC_ROUTE_RE.findall(text)}


# --------------------------------------------------------------------------- server


class Server:
    """One servicedesk process on a fresh store.

    start() prepares the store (SQLite file in a temp dir, or a new PostgreSQL
    database), runs `migrate` and `user add` for the admin, then `serve`.
    stop() sends SIGTERM and asserts exit code 0; kill() is a crash (SIGKILL);
    restart() serves the same store again; close() stops and removes the store.
    extra_env (e.g. SERVICEDESK_CLOCK_OFFSET_MS) is added to the environment of
    every later launch and CLI call; change it between launches. nofile, when given,
    is the descriptor limit (RLIMIT_NOFILE, soft and hard) `serve` runs under.
    run_as, when given, is the user every launch and CLI call runs as (e.g. "nobody",
    to share the store with an MTA's pipe); store_dir, the folder the SQLite file goes
    in instead of the private temp dir (it must let run_as write).
    """

    def __init__(self, backend: str | None = None, extra_env: dict | None = None,
                 nofile: int | None = None, run_as: str | None = None,
                 store_dir: str | None = None):
        self.bin = os.environ.get("SERVICEDESK_BIN")
        if not self.bin:
            raise RuntimeError("set SERVICEDESK_BIN to the servicedesk binary")
        if not os.access(self.bin, os.X_OK):
            raise RuntimeError(f"SERVICEDESK_BIN={self.bin} is not an executable file")
        self.backend = (backend or os.environ.get("SD_TEST_BACKEND") or "sqlite").lower()
        if self.backend not in ("sqlite", "postgres"):
            raise RuntimeError(f"SD_TEST_BACKEND must be sqlite or postgres, not {self.backend}")
        self.extra_env: dict[str, str] = {k: str(v) for k, v in (extra_env or {}).items()}
        self.nofile = nofile
        self.run_as = run_as
        self.store_dir = store_dir
        self.admin_email = ADMIN_EMAIL
        self.admin_password = new_password()
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.returncode: int | None = None
        self.db: str | None = None
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._pg_admin_url: str | None = None
        self._pg_dbname: str | None = None
        self._log: list[str] = []
        self._log_lock = threading.Lock()
        self._readers: list[threading.Thread] = []
        self._listening = threading.Event()
        self._listen_mismatch: str | None = None
        # Every password handed to this server, to prove none comes back.
        self.known_passwords: list[str] = [self.admin_password]
        # Every response seen by a Client of this server: (method, path, status, headers, body).
        self.transcript: list[tuple[str, str, int, list[tuple[str, str]], bytes]] = []
        self.transcript_lock = threading.Lock()

    # ---- store

    def _prepare_store(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="sd-it-")
        if self.backend == "postgres":
            admin_url = os.environ.get("SD_TEST_PG_ADMIN_URL")
            pg_dir = os.environ.get("SD_TEST_PG_DIR")
            if not admin_url and pg_dir and os.path.exists(os.path.join(pg_dir, "url")):
                with open(os.path.join(pg_dir, "url")) as f:
                    admin_url = f.read().strip()
            if not admin_url:
                raise RuntimeError("SD_TEST_BACKEND=postgres needs SD_TEST_PG_ADMIN_URL "
                                   "(see tests/pg/start.sh)")
            self._pg_admin_url = admin_url
            name = "sd_t_" + secrets.token_hex(8)
            self._psql(f"CREATE DATABASE {name}")
            self._pg_dbname = name
            parts = urllib.parse.urlsplit(admin_url)
            self.db = urllib.parse.urlunsplit(parts._replace(path="/" + name))
        else:
            if self.store_dir:
                self.db = os.path.join(self.store_dir, f"desk-{secrets.token_hex(6)}.db")
            else:
                self.db = os.path.join(self._tmp.name, "desk.db")

    def _psql(self, sql: str) -> None:
        psql = shutil.which("psql") or "/usr/lib/postgresql/15/bin/psql"
        res = subprocess.run([psql, self._pg_admin_url, "-v", "ON_ERROR_STOP=1", "-qAt",
                              "-c", sql], capture_output=True, text=True, timeout=CLI_TIMEOUT)
        if res.returncode != 0:
            raise RuntimeError(f"psql {sql!r} failed ({res.returncode}): {res.stderr.strip()}")

    def _drop_store(self) -> None:
        try:
            if self._pg_dbname:
                name, self._pg_dbname = self._pg_dbname, None
                self._psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            elif self.store_dir and self.db:
                for suffix in ("", "-wal", "-shm", "-journal"):
                    try:
                        os.remove(self.db + suffix)
                    except FileNotFoundError:
                        pass
        finally:
            if self._tmp is not None:
                self._tmp.cleanup()
                self._tmp = None

    @property
    def env(self) -> dict:
        env = dict(os.environ)
        env.update(self.extra_env)
        env["SERVICEDESK_DB"] = self.db
        return env

    @property
    def tmpdir(self) -> str:
        return self._tmp.name

    def run_cli(self, args: list[str], input: str | None = None,
                timeout: float = CLI_TIMEOUT) -> subprocess.CompletedProcess:
        return subprocess.run([self.bin, *args], env=self.env, input=input, capture_output=True,
                              text=True, timeout=timeout, user=self.run_as)

    def _cli_ok(self, args: list[str], input: str | None = None) -> subprocess.CompletedProcess:
        res = self.run_cli(args, input=input)
        if res.returncode != 0:
            raise AssertionError(f"`servicedesk {' '.join(args)}` exited {res.returncode}\n"
                                 f"stdout: {res.stdout}\nstderr: {res.stderr}")
        return res

    def sql(self, statement: str, foreign_keys: bool = False) -> list[list[str]]:
        """Runs one SQL statement on the store behind the server's back (Python's
        sqlite3 module, or psql) and returns its rows, each value as a string (NULL
        as ""). foreign_keys: on SQLite, enforce them (and their ON DELETE actions) as
        the server does; PostgreSQL always does."""
        if self.backend == "postgres":
            psql = shutil.which("psql") or "/usr/lib/postgresql/15/bin/psql"
            res = subprocess.run([psql, self.db, "-v", "ON_ERROR_STOP=1", "-qAt", "-F", "\x1f",
                                  "-c", statement], capture_output=True, text=True,
                                 timeout=CLI_TIMEOUT)
            if res.returncode != 0:
                raise AssertionError(f"psql {statement!r} failed ({res.returncode}): "
                                     f"{res.stderr.strip()}")
            return [line.split("\x1f") for line in res.stdout.splitlines()]
        conn = sqlite3.connect(self.db, timeout=10.0, isolation_level=None)
        try:
            if foreign_keys:
                conn.execute("PRAGMA foreign_keys=ON")
            rows = conn.execute(statement).fetchall()
        finally:
            conn.close()
        return [["" if v is None else str(v) for v in row] for row in rows]

    @contextmanager
    def rows_locked(self, select: str):
        """PostgreSQL: holds `SELECT ... FOR UPDATE` on the rows `select` gives, in a
        transaction of its own, for the `with` block, so that the nodes' claims (FOR
        UPDATE SKIP LOCKED) pass them by until the block ends; yields how many rows."""
        assert self.backend == "postgres", "row locks held from outside need PostgreSQL"
        psql = shutil.which("psql") or "/usr/lib/postgresql/15/bin/psql"
        proc = subprocess.Popen([psql, self.db, "-v", "ON_ERROR_STOP=1", "-qAt"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            proc.stdin.write(f"BEGIN;\nSELECT count(*) FROM ({select} FOR UPDATE) AS held;\n")
            proc.stdin.flush()
            line = proc.stdout.readline()  # the count: the locks are held
            if not line.strip().isdigit():
                raise AssertionError(f"psql could not lock {select!r}: {line!r}")
            yield int(line)
            proc.stdin.write("COMMIT;\n")
            proc.stdin.close()
            proc.wait(timeout=CLI_TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    def insert_job(self, kind: str, status: str = "queued", max_attempts: int = 1,
                   due_in_ms: int = -60_000, payload: dict | None = None) -> int:
        """Writes a job straight into the jobs table (as a bug or another version might),
        due due_in_ms from now by the test's clock; returns its id. kind and status must
        be plain words: they are put in the SQL text."""
        if not re.fullmatch(r"[a-z0-9_.]+", kind) or not re.fullmatch(r"[a-z]+", status):
            raise ValueError(f"unsafe job kind or status {kind!r} {status!r}")
        now = int(time.time() * 1000)
        body = jsonlib.dumps(payload or {}).replace("'", "''")
        rows = self.sql(
            "INSERT INTO jobs (kind, payload, status, due_at, max_attempts, created_at, "
            f"updated_at) VALUES ('{kind}', '{body}', '{status}', {now + int(due_in_ms)}, "
            f"{int(max_attempts)}, {now}, {now}) RETURNING id")
        return int(rows[0][0])

    def prepare_store(self) -> "Server":
        """A fresh, empty store and nothing else (no migrate, no admin, no serve): for
        tests of CLI commands. close() removes it."""
        self._prepare_store()
        return self

    # ---- process

    def start(self) -> "Server":
        self._prepare_store()
        try:
            self._cli_ok(["migrate"])
            self._cli_ok(["user", "add", self.admin_email, "--name", ADMIN_NAME, "--role", "admin",
                          "--password-stdin"], input=self.admin_password + "\n")
            self.launch()
        except BaseException:
            self.close(check=False)
            raise
        return self

    def launch(self) -> None:
        """Runs `serve` on the prepared store and waits for the listening line."""
        self.spawn()
        self.wait_listening()

    def spawn(self) -> None:
        """Starts `serve` without waiting; wait_listening() then waits for it (so that
        several nodes can start together)."""
        assert self.proc is None, "server already running"
        self._listening.clear()
        self._listen_mismatch = None
        self.port = None
        self.returncode = None
        limit = self.nofile

        def limit_descriptors():
            if limit is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

        self.proc = subprocess.Popen([self.bin, "serve", "--listen", "127.0.0.1:0"],
                                     env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     preexec_fn=limit_descriptors if limit else None,
                                     user=self.run_as)
        self._readers = [
            threading.Thread(target=self._drain, args=(self.proc.stdout, True), daemon=True),
            threading.Thread(target=self._drain, args=(self.proc.stderr, False), daemon=True),
        ]
        for t in self._readers:
            t.start()

    def wait_listening(self) -> None:
        assert self.proc is not None, "server not spawned"
        deadline = time.monotonic() + STARTUP_DEADLINE
        while not self._listening.wait(0.05):
            if self.proc.poll() is not None:
                self._join_readers()
                rc = self.proc.returncode
                self.proc = None
                raise AssertionError(f"servicedesk serve exited {rc} before listening; log:\n"
                                     + self.log_text())
            if self._listen_mismatch is not None or time.monotonic() > deadline:
                if self._listen_mismatch is not None:
                    reason = (f"listening line {self._listen_mismatch!r} is not exactly "
                              "'servicedesk listening on http://127.0.0.1:PORT'")
                else:
                    reason = (f"no 'servicedesk listening on' line within "
                              f"{STARTUP_DEADLINE:.0f}s")
                self.proc.kill()
                self.proc.wait()
                self.proc = None
                self._join_readers()
                raise AssertionError(reason + "; log:\n" + self.log_text())

    def _drain(self, stream, is_stdout: bool) -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            with self._log_lock:
                self._log.append(line)
            if is_stdout and not self._listening.is_set():
                m = LISTEN_RE.match(line.strip())
                if m:
                    self.port = int(m.group(1))
                    self._listening.set()
                elif "listening on" in line and self._listen_mismatch is None:
                    self._listen_mismatch = line
        stream.close()

    def _join_readers(self) -> None:
        for t in self._readers:
            t.join(timeout=5)
        self._readers = []

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int = signal.SIGTERM) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self, check: bool = True) -> int | None:
        """SIGTERM, wait up to 10 s; kill and fail if it hangs; assert exit 0."""
        if self.proc is None:
            return self.returncode
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=STOP_DEADLINE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            self._join_readers()
            self.returncode = None
            if check:
                raise AssertionError(f"server did not exit within {STOP_DEADLINE:.0f}s of "
                                     "SIGTERM (killed); log tail:\n" + self.log_tail())
            return None
        self._join_readers()
        self.returncode = rc
        if check and rc != 0:
            raise AssertionError(f"server exited {rc} after SIGTERM (want 0); log tail:\n"
                                 + self.log_tail())
        return rc

    def kill(self) -> int | None:
        """SIGKILL, as a crash or a pulled plug: no clean shutdown. Returns the exit code."""
        if self.proc is None:
            return self.returncode
        proc, self.proc = self.proc, None
        proc.kill()
        rc = proc.wait(timeout=STOP_DEADLINE)
        self._join_readers()
        self.returncode = rc
        return rc

    def wait_exit(self, timeout: float = STOP_DEADLINE) -> int | None:
        """Waits for a process already signalled; returns its code or None (still running)."""
        if self.proc is None:
            return self.returncode
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self.proc = None
        self._join_readers()
        self.returncode = rc
        return rc

    def restart(self) -> None:
        """Stops (asserting exit 0) and serves the same store again."""
        self.stop()
        self.launch()

    def close(self, check: bool = True) -> None:
        try:
            self.stop(check=check)
        finally:
            self._drop_store()

    # ---- log

    @property
    def log(self) -> list[str]:
        with self._log_lock:
            return list(self._log)

    def log_text(self) -> str:
        return "\n".join(self.log)

    def log_tail(self, n: int = 40) -> str:
        return "\n".join(self.log[-n:])

    def wait_for_log(self, predicate: Callable[[list[str]], Any], timeout: float = 5.0,
                     what: str = "a log line"):
        return wait_until(lambda: predicate(self.log), timeout, what)

    # ---- clients

    def client(self, bearer: str | None = None, source: str | None = None) -> "Client":
        return Client(self, bearer=bearer, source=source)

    def admin_client(self) -> "Client":
        c = self.client()
        c.login(self.admin_email, self.admin_password)
        return c

    def record(self, entry) -> None:
        with self.transcript_lock:
            self.transcript.append(entry)


# --------------------------------------------------------------------------- client


class Response:
    def __init__(self, method: str, path: str, status: int, reason: str,
                 header_pairs: list[tuple[str, str]], body: bytes):
        self.method = method
        self.path = path
        self.status = status
        self.reason = reason
        self.header_pairs = header_pairs
        self.headers = _headers_from_pairs(header_pairs)  # .get() is case-insensitive
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return jsonlib.loads(self.body.decode("utf-8"))

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    @property
    def request_id(self) -> str | None:
        return self.headers.get("X-Request-Id")

    def __repr__(self) -> str:
        body = self.text
        if len(body) > 600:
            body = body[:600] + "..."
        return f"<{self.method} {self.path} -> {self.status} {body}>"


_MISSING = object()
OMIT = _MISSING  # ticket_payload(field=OMIT) leaves a default field out


class Client:
    """HTTP client for one user: a cookie session (after login) or a bearer token.
    source: the local address to connect from (any of 127.0.0.0/8), to look like
    another client machine; default the system's choice (127.0.0.1)."""

    def __init__(self, server: Server, bearer: str | None = None, source: str | None = None):
        self.server = server
        self.bearer = bearer
        self.source = source
        self.cookies: dict[str, str] = {}
        self.csrf_token: str | None = None
        self.user: dict | None = None
        self.password: str | None = None

    # ---- transport

    def request(self, method: str, path: str, json: Any = _MISSING, body: bytes | str | None = None,
                headers: dict | None = None, params: Any = None, csrf: bool = True,
                auth: bool = True, timeout: float = REQUEST_TIMEOUT) -> Response:
        if params:
            query = urllib.parse.urlencode(params, doseq=True)
            path = path + ("&" if "?" in path else "?") + query
        hdrs: dict[str, str] = {}
        if json is not _MISSING:
            body = jsonlib.dumps(json).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        elif isinstance(body, str):
            body = body.encode("utf-8")
        if auth:
            if self.bearer is not None:
                hdrs["Authorization"] = f"Bearer {self.bearer}"
            if self.cookies:
                hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
                if (csrf and self.csrf_token and method.upper() not in ("GET", "HEAD")):
                    hdrs["X-CSRF-Token"] = self.csrf_token
        if body is not None and method.upper() in ("POST", "PUT", "PATCH") and "Content-Type" not in hdrs:
            hdrs["Content-Type"] = "application/json"
        if headers:
            for k, v in headers.items():
                # headers given explicitly win; None removes a default one
                for existing in [h for h in hdrs if h.lower() == k.lower()]:
                    del hdrs[existing]
                if v is not None:
                    hdrs[k] = v
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=timeout,
                                          source_address=(self.source, 0) if self.source
                                          else None)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            pairs = list(resp.getheaders())
            status, reason = resp.status, resp.reason
        finally:
            conn.close()
        self._store_cookies(pairs)
        self.server.record((method, path, status, pairs, data))
        return Response(method, path, status, reason, pairs, data)

    def _store_cookies(self, pairs: list[tuple[str, str]]) -> None:
        for k, v in pairs:
            if k.lower() != "set-cookie":
                continue
            parts = [p.strip() for p in v.split(";")]
            if "=" not in parts[0]:
                continue
            name, value = parts[0].split("=", 1)
            attrs = {}
            for p in parts[1:]:
                if "=" in p:
                    a, b = p.split("=", 1)
                    attrs[a.strip().lower()] = b.strip()
                else:
                    attrs[p.lower()] = ""
            max_age = attrs.get("max-age", "")
            expired = value == "" or (bool(re.fullmatch(r"-?\d+", max_age)) and int(max_age) <= 0)
            if "expires" in attrs and not expired:
                try:
                    from email.utils import parsedate_to_datetime
                    expired = parsedate_to_datetime(attrs["expires"]).timestamp() < time.time()
                except (TypeError, ValueError):
                    pass
            if expired:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def get(self, path, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path, json=_MISSING, **kw) -> Response:
        return self.request("POST", path, json=json, **kw)

    def patch(self, path, json=_MISSING, **kw) -> Response:
        return self.request("PATCH", path, json=json, **kw)

    def put(self, path, json=_MISSING, **kw) -> Response:
        return self.request("PUT", path, json=json, **kw)

    def delete(self, path, **kw) -> Response:
        return self.request("DELETE", path, **kw)

    # ---- helpers

    def login(self, email: str, password: str) -> dict:
        r = self.post(f"{API}/auth/login", json={"email": email, "password": password})
        if r.status != 200:
            raise AssertionError(f"login of {email} failed: {r!r}")
        body = r.json()
        if SESSION_COOKIE not in self.cookies and SECURE_SESSION_COOKIE not in self.cookies:
            raise AssertionError(f"login of {email} set no {SESSION_COOKIE} cookie: "
                                 f"{r.headers.get_all('Set-Cookie')}")
        self.csrf_token = body["csrf_token"]
        self.user = body["user"]
        self.password = password
        return body["user"]

    def create_user(self, email: str, name: str, role: str, password: str | None = None,
                    organisation_id: int | None = None, **extra) -> dict:
        payload = {"email": email, "name": name, "role": role, **extra}
        if password is not None:
            payload["password"] = password
        if organisation_id is not None:
            payload["organisation_id"] = organisation_id
        r = self.post(f"{API}/users", json=payload)
        if r.status != 201:
            raise AssertionError(f"create user {email} ({role}) failed: {r!r}")
        return r.json()

    def create_ticket(self, **fields) -> dict:
        payload = ticket_payload(**fields)
        r = self.post(f"{API}/tickets", json=payload)
        if r.status != 201:
            raise AssertionError(f"create ticket failed: {r!r}")
        return r.json()

    def create_organisation(self, name: str | None = None, shared_tickets: bool = False) -> dict:
        r = self.post(f"{API}/organisations",
                      json={"name": name or unique("Org "), "shared_tickets": shared_tickets})
        if r.status not in (200, 201):
            raise AssertionError(f"create organisation failed: {r!r}")
        return r.json()

    def create_group(self, support_level: int = 1, member_ids: list[int] | None = None,
                     name: str | None = None) -> dict:
        payload = {"name": name or unique("Group "), "support_level": support_level}
        if member_ids is not None:
            payload["member_ids"] = member_ids
        r = self.post(f"{API}/groups", json=payload)
        if r.status not in (200, 201):
            raise AssertionError(f"create group failed: {r!r}")
        return r.json()

    def create_category(self, name: str | None = None, parent_id: int | None = None) -> dict:
        payload = {"name": name or unique("Category ")}
        if parent_id is not None:
            payload["parent_id"] = parent_id
        r = self.post(f"{API}/categories", json=payload)
        if r.status not in (200, 201):
            raise AssertionError(f"create category failed: {r!r}")
        return r.json()

    def ticket(self, ticket_id: int) -> dict:
        r = self.get(f"{API}/tickets/{ticket_id}")
        if r.status != 200:
            raise AssertionError(f"GET ticket {ticket_id} failed: {r!r}")
        return r.json()

    def patch_ticket(self, ticket_id: int, **fields) -> dict:
        r = self.patch(f"{API}/tickets/{ticket_id}", json=fields)
        if r.status != 200:
            raise AssertionError(f"PATCH ticket {ticket_id} {fields} failed: {r!r}")
        return r.json()

    def transition(self, ticket_id: int, to: str) -> dict:
        r = self.post(f"{API}/tickets/{ticket_id}/transitions", json={"to": to})
        if r.status != 200:
            raise AssertionError(f"transition of ticket {ticket_id} to {to} failed: {r!r}")
        return r.json()

    def comment(self, ticket_id: int, body: str, internal: bool = False) -> dict:
        r = self.post(f"{API}/tickets/{ticket_id}/comments", json={"body": body, "internal": internal})
        if r.status != 201:
            raise AssertionError(f"comment on ticket {ticket_id} failed: {r!r}")
        return r.json()

    def escalate(self, ticket_id: int, to_level: int, reason: str = "needs more expertise") -> dict:
        r = self.post(f"{API}/tickets/{ticket_id}/escalations",
                      json={"to_level": to_level, "reason": reason})
        if r.status != 201:
            raise AssertionError(f"escalation of ticket {ticket_id} to {to_level} failed: {r!r}")
        return r.json()

    def events(self, ticket_id: int) -> list[dict]:
        r = self.get(f"{API}/tickets/{ticket_id}/events")
        if r.status != 200:
            raise AssertionError(f"GET events of ticket {ticket_id} failed: {r!r}")
        return r.json()["items"]

    def create_token(self, name: str | None = None) -> str:
        r = self.post(f"{API}/tokens", json={"name": name or unique("token ")})
        if r.status != 201:
            raise AssertionError(f"create token failed: {r!r}")
        return r.json()["token"]

    def list_page(self, params: dict | None = None, path: str = f"{API}/tickets") -> dict:
        r = self.get(path, params=params or {})
        if r.status != 200:
            raise AssertionError(f"GET {path} {params} failed: {r!r}")
        return r.json()

    def list_all(self, params: dict | None = None, path: str = f"{API}/tickets",
                 limit: int = 200, max_pages: int = 1000) -> list[dict]:
        """Walks every page; fails on a repeated id or a cursor loop."""
        params = dict(params or {})
        params["limit"] = limit
        items: list[dict] = []
        seen: set = set()
        cursor = None
        for _ in range(max_pages):
            page_params = dict(params)
            if cursor is not None:
                page_params["cursor"] = cursor
            page = self.list_page(page_params, path)
            for it in page["items"]:
                if it["id"] in seen:
                    raise AssertionError(f"id {it['id']} returned twice while paging {path} "
                                         f"{params}")
                seen.add(it["id"])
                items.append(it)
            if len(page["items"]) > limit:
                raise AssertionError(f"page of {len(page['items'])} items exceeds limit {limit}")
            cursor = page.get("next_cursor")
            if cursor is None:
                return items
        raise AssertionError(f"paging {path} {params} did not end after {max_pages} pages")


def ticket_payload(**fields) -> dict:
    payload = {
        "type": "incident",
        "subject": unique("Printer on floor "),
        "description": "It prints blank pages.",
        "impact": "not_critical",
        "criticality": "low",
    }
    payload.update(fields)
    return {k: v for k, v in payload.items() if v is not _MISSING}


# --------------------------------------------------------------------------- raw HTTP


class RawResponse:
    def __init__(self, status: int, header_pairs: list[tuple[str, str]], body: bytes):
        self.status = status
        self.header_pairs = header_pairs
        self.headers = _headers_from_pairs(header_pairs)
        self.body = body

    def json(self):
        return jsonlib.loads(self.body.decode("utf-8"))

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def __repr__(self) -> str:
        return f"<raw {self.status} {self.body[:300]!r}>"


def read_raw_response(sock: socket.socket, timeout: float = 10.0) -> RawResponse | None:
    """Reads one HTTP/1.1 response; None when the peer closed before a status line."""
    sock.settimeout(timeout)
    buf = b""
    try:
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(65536)
            if not chunk:
                if not buf:
                    return None
                raise AssertionError(f"connection closed inside response headers: {buf[:300]!r}")
            buf += chunk
    except ConnectionResetError:
        if not buf:
            return None
        raise
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"^HTTP/1\.[01] (\d{3})", lines[0])
    if not m:
        raise AssertionError(f"bad status line {lines[0]!r}")
    pairs = []
    for line in lines[1:]:
        k, _, v = line.partition(":")
        pairs.append((k.strip(), v.strip()))
    headers = _headers_from_pairs(pairs)
    length = headers.get("Content-Length")
    if length is not None:
        n = int(length)
        while len(rest) < n:
            chunk = sock.recv(65536)
            if not chunk:
                raise AssertionError(f"connection closed after {len(rest)} of {n} body bytes")
            rest += chunk
        body = rest[:n]
    elif (headers.get("Transfer-Encoding") or "").lower() == "chunked":
        body = b""
        while True:
            while b"\r\n" not in rest:
                chunk = sock.recv(65536)
                if not chunk:
                    raise AssertionError("connection closed inside a chunked body")
                rest += chunk
            size_line, rest = rest.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            while len(rest) < size + 2:
                chunk = sock.recv(65536)
                if not chunk:
                    raise AssertionError("connection closed inside a chunk")
                rest += chunk
            body += rest[:size]
            rest = rest[size + 2:]
            if size == 0:
                break
    else:
        body = rest
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    return RawResponse(int(m.group(1)), pairs, body)


def send_raw(port: int, chunks: Iterable[bytes], timeout: float = 10.0) -> RawResponse | None:
    """Sends chunks on a fresh connection, stopping early when the server answers or
    closes (an early 413/431 is allowed), then reads one response."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            for chunk in chunks:
                readable, _, _ = select.select([sock], [], [], 0.005)
                if readable:
                    break
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return read_raw_response(sock, timeout)
    finally:
        sock.close()


def raw_request_bytes(method: str, path: str, headers: dict | None = None,
                      body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def chunked(data: bytes, size: int = 65536) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


# --------------------------------------------------------------------------- test base


class DeskTestCase(unittest.TestCase):
    """One server per test class and an admin client logged in with a cookie session."""

    server: Server
    admin: Client
    backend: str | None = None
    server_env: dict | None = None  # extra environment of the class's server
    server_nofile: int | None = None  # its descriptor limit, if not the test's own
    server_run_as: str | None = None  # the user it runs as, if not the test's own
    server_store_dir: str | None = None  # the folder of its SQLite file, if not a temp dir

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = Server(cls.backend, extra_env=cls.server_env, nofile=cls.server_nofile,
                            run_as=cls.server_run_as, store_dir=cls.server_store_dir)
        cls.server.start()
        cls.addClassCleanup(cls.server.close)
        cls.admin = cls.server.admin_client()

    def tearDown(self):
        if self.server.proc is not None and self.server.proc.poll() is not None:
            self.fail(f"server died (exit {self.server.proc.returncode}); log tail:\n"
                      + self.server.log_tail())
        super().tearDown()

    def start_two_nodes(self, extra_env: dict) -> "Server":
        """Stops the class's server and starts it again with `extra_env` together with a
        second node on the same database (PostgreSQL), so that both find the same due
        work; returns the second node, stopped at the test's end."""
        self.server.stop()
        self.server.extra_env.update(extra_env)
        node2 = Server(self.server.backend, extra_env=dict(self.server.extra_env))
        node2.db = self.server.db  # same database; nothing of its own to prepare or drop
        node2.admin_password = self.server.admin_password
        self.addCleanup(node2.stop, False)
        self.server.spawn()
        node2.spawn()
        self.server.wait_listening()
        node2.wait_listening()
        return node2

    # ---- users and clients

    @classmethod
    def make_user(cls, role: str = "requester", organisation_id: int | None = None,
                  login: bool = True, **extra) -> tuple[dict, Client]:
        """Creates a user through the admin client; returns it and a client logged in as it."""
        email = unique_email(role)
        password = new_password()
        cls.server.known_passwords.append(password)
        user = cls.admin.create_user(email, f"{role.title()} {unique()}", role, password,
                                     organisation_id=organisation_id, **extra)
        client = cls.server.client()
        client.password = password
        client.user = user
        if login:
            client.login(email, password)
        return user, client

    # ---- assertions

    def assertStatus(self, resp, expected, msg: str = ""):
        wanted = expected if isinstance(expected, (set, tuple, list, frozenset)) else (expected,)
        if resp.status not in wanted:
            self.fail(f"{msg + ': ' if msg else ''}expected {expected}, got {resp!r}")

    def assertProblem(self, resp, status, field: str | None = None):
        """An RFC 9457 problem response with the given status (or one of a set)."""
        self.assertStatus(resp, status)
        self.assertEqual(resp.content_type, "application/problem+json",
                         f"Content-Type of {resp!r}: {resp.headers.get('Content-Type')}")
        body = resp.json()
        self.assertIsInstance(body, dict, repr(resp))
        self.assertEqual(body.get("status"), resp.status, f"problem status of {resp!r}")
        self.assertIsInstance(body.get("title"), str, repr(resp))
        self.assertTrue(body["title"], repr(resp))
        code = PROBLEM_CODES.get(resp.status)
        if code and "type" in body:
            self.assertEqual(body["type"], PROBLEM_TYPE_PREFIX + code, repr(resp))
        self.assertTrue(resp.headers.get("X-Request-Id"), f"no X-Request-Id on {resp!r}")
        if field is not None:
            self.assertErrorFields(resp, [field])
        return body

    def assertErrorFields(self, resp, fields):
        body = resp.json()
        errors = body.get("errors")
        self.assertIsInstance(errors, list, f"no errors list in {resp!r}")
        named = {e.get("field") for e in errors if isinstance(e, dict)}
        for e in errors:
            self.assertIsInstance(e.get("message"), str, repr(resp))
        for f in fields:
            self.assertIn(f, named, f"errors of {resp!r} do not name {f}")

    def assertNoInternalFields(self, ticket: dict, where: str = ""):
        for f in INTERNAL_TICKET_FIELDS:
            self.assertNotIn(f, ticket, f"requester received {f} {where}: {ticket}")

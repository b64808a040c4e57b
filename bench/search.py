#!/usr/bin/env python3
"""Search figures (issue 10), against the release binary (nothing is built):

1. load: `servicedesk demo --tickets N` (default 1,000,000), then, unless the demo makes
   articles of its own, 10,000 articles of generated Spanish and English IT text through
   POST /api/v1/articles; ~50 tickets holding rare made-up words, and a requester of
   their own with a few tickets, through the API; 2,000 of the demo requester's tickets,
   spread over the desk, given to another requester.
2. latency: for each kind of query (rare words, common words, two common words, words of
   middling frequency, prefixes, phrases in quotes, ticket numbers, bare numbers, emails)
   R sequential requests (default 200, after a warm-up) of GET /api/v1/search?q= and of
   GET /api/v1/tickets?q= (the queue filter) with an agent's token on one kept-alive
   connection: p50, p99 and max, and what the first page held; the same as a requester
   (one with a sixth of the tickets, one with 2,000) for a few kinds; GET /api/v1/articles/suggestions?text= for a subject being typed.
3. concurrency: 4 clients at once on the common word, each R requests.
4. size: the search index on disk (SQLite: dbstat over the full-text tables and their
   shadow tables; PostgreSQL: the search relations, GIN/GiST indexes and tsvector
   columns), beside the whole store.

Usage: bench/search.py [--backend sqlite|postgres]
  SERVICEDESK_BIN     the binary (default build/release/src/servicedesk)
  SD_BENCH_TICKETS    demo tickets (default 1000000)
  SD_BENCH_ARTICLES   articles made through the API when the demo makes none (10000)
  SD_BENCH_REQUESTS   requests per kind and endpoint (default 200)
  SD_BENCH_KEEP=DIR   SQLite: keep the demo database there and reuse it on the next run
                      with the same binary and ticket count (as bench/run.sh does)
  SD_BENCH_FROM_DB=F  SQLite: start from a copy of this demo database (any binary with
                      the same schema loaded it)
Progress goes to stderr, the figures (Markdown tables) to stdout; nothing is asserted.
"""

import argparse
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("SERVICEDESK_BIN", os.path.join(ROOT, "build/release/src/servicedesk"))
TICKETS = int(os.environ.get("SD_BENCH_TICKETS", "1000000"))
ARTICLES = int(os.environ.get("SD_BENCH_ARTICLES", "10000"))
REQUESTS = int(os.environ.get("SD_BENCH_REQUESTS", "200"))
KEEP = os.environ.get("SD_BENCH_KEEP", "")
FROM_DB = os.environ.get("SD_BENCH_FROM_DB", "")
# PostgreSQL: copies of a small demo made by SQL instead of the demo loader (see
# Desk.load_pg_bulk); SD_BENCH_PG_BULK=0 loads the whole demo instead.
PG_BULK = os.environ.get("SD_BENCH_PG_BULK", "1") != "0"
PG_SEED = 2000
WARM_UP = 20
CLIENTS = 4
RARE_TICKETS = 50
MID_TICKETS = 2000
API = "/api/v1"

AGENT = "agente1@demo.example.com"
SUPERVISOR = "supervisor@demo.example.com"
ADMIN = "admin@demo.example.com"
DEMO_REQUESTER = "usuario@demo.example.com"
# src/app/demo.cpp: every description is "Reporte de demostración número N. Datos
# ficticios para conocer la mesa de servicio."; each subject is one of 16.
COMMON = ["demostración", "ficticios", "servicio", "reporte", "datos"]
TWO_COMMON = ["mesa servicio", "reporte demostración", "datos ficticios"]
MIDDLING = ["impresora", "nómina", "contraseña", "telefónica", "inalámbrica"]
PREFIXES = ["impres", "contra", "nóm", "inalam"]
PHRASES = ['"la impresora del piso"', '"mesa de servicio"', '"error 500"',
           '"cuenta de red"']
DEMO_REQUESTER_EMAILS = ["usuario@demo.example.com", "jorge.luna@demo.example.com",
                         "paula.rios@demo.example.com", "diego.mora@demo.example.com"]
SUGGEST = ["la impresora del piso 3 no imprime", "no puedo entrar al correo institucional",
           "my laptop does not connect to the wifi", "cambio de contraseña de red"]

START = time.time()


def log(msg):
    print(f"[{time.time() - START:7.1f}s] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- text


ES_TOPICS = [
    ("impresora", "La impresora de red no imprime", "Revise la cola de impresión y el tóner"),
    ("correo", "El correo institucional no sincroniza", "Vuelva a configurar la cuenta"),
    ("vpn", "Conexión VPN desde casa", "Instale el cliente y use su cuenta de red"),
    ("contraseña", "Cambio de contraseña de la cuenta de red", "Use el portal de autoservicio"),
    ("wifi", "Red inalámbrica intermitente", "Olvide la red y vuelva a conectarse"),
    ("nómina", "El sistema de nómina muestra un error", "Borre la caché del navegador"),
    ("teléfono", "Extensión telefónica sin tono", "Revise el cable y reinicie el aparato"),
    ("monitor", "El monitor no enciende", "Compruebe la fuente de poder y el cable de video"),
    ("ofimática", "Instalación de software de ofimática", "Solicite la licencia a la mesa"),
    ("firma", "Configurar la firma del correo", "Abra las opciones del cliente de correo"),
]
EN_TOPICS = [
    ("printer", "The network printer does not print", "Check the print queue and toner"),
    ("email", "Email does not synchronise", "Set up the account again"),
    ("vpn", "Connecting to the VPN from home", "Install the client and sign in"),
    ("password", "Changing the network password", "Use the self-service portal"),
    ("wifi", "Wireless network drops", "Forget the network and join it again"),
    ("laptop", "The laptop does not start", "Hold the power button for thirty seconds"),
]
ES_FILL = ["Antes de levantar un reporte, intente lo siguiente.", "Este procedimiento aplica "
           "a los equipos de la institución.", "Si el problema persiste, comuníquese con la "
           "mesa de servicio.", "Anote el número de inventario del equipo.", "Reinicie el "
           "equipo y pruebe de nuevo.", "Verifique que el cable de red esté conectado.",
           "Guarde su trabajo antes de continuar.", "El técnico puede atenderle en sitio."]
EN_FILL = ["Before opening a ticket, try the following.", "This applies to every desk "
           "computer.", "If the problem persists, call the service desk.", "Write down the "
           "asset number.", "Restart the computer and try again.", "Check that the network "
           "cable is plugged in.", "Save your work before you go on."]


def rare_word(rng, prefix):
    return prefix + "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(9))


def article_body(rng, i, rare=None):
    english = i % 10 < 3
    topics, fill = (EN_TOPICS, EN_FILL) if english else (ES_TOPICS, ES_FILL)
    key, title, fix = topics[rng.randrange(len(topics))]
    paragraphs = [" ".join(rng.choice(fill) for _ in range(rng.randint(2, 5)))
                  for _ in range(rng.randint(2, 5))]
    steps = "\n".join(f"{n}. {rng.choice(fill)}" for n in range(1, rng.randint(3, 6)))
    body = (f"## {title}\n\n{paragraphs[0]}\n\n{steps}\n\n**{fix}.**\n\n"
            + "\n\n".join(paragraphs[1:]))
    if rare:
        body += f"\n\nCódigo interno {rare}."
    roll = rng.randrange(100)
    return {"title": f"{title} ({i + 1})", "body": body, "language": "en" if english else "es-MX",
            "visibility": "internal" if roll < 20 else "public",
            "status": "draft" if roll % 10 == 9 else "published",
            "tags": [key, rng.choice(["hardware", "software", "red", "cuentas"])]}


# --------------------------------------------------------------------------- the desk


class Desk:
    def __init__(self, work, backend):
        self.work = work
        self.backend = backend
        self.pgdir = None
        self.proc = None
        self.host = self.port = None
        self.env = dict(os.environ)

    # ---- store

    def prepare(self):
        if self.backend == "postgres":
            self.pgdir = tempfile.mkdtemp(prefix="sd-bench-pg-")
            subprocess.run(["bash", os.path.join(ROOT, "tests/pg/start.sh"), self.pgdir],
                           check=True, stdout=subprocess.DEVNULL)
            admin = open(os.path.join(self.pgdir, "url")).read().strip()
            subprocess.run(["psql", "-q", admin, "-c", "CREATE DATABASE bench"], check=True,
                           stdout=subprocess.DEVNULL)
            self.db = admin.rsplit("/", 1)[0] + "/bench"
        else:
            self.db = os.path.join(self.work, "bench.db")
        self.env["SERVICEDESK_DB"] = self.db

    def close(self):
        self.stop()
        if self.pgdir:
            subprocess.run(["bash", os.path.join(ROOT, "tests/pg/stop.sh"), self.pgdir],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            shutil.rmtree(self.pgdir, ignore_errors=True)
            self.pgdir = None

    def cli(self, *args, check=True):
        r = subprocess.run([BIN, *args], env=self.env, capture_output=True, text=True)
        if check and r.returncode != 0:
            raise RuntimeError(f"servicedesk {' '.join(args)} exited {r.returncode}: "
                               f"{r.stderr.strip()}")
        return r

    def sql(self, statement):
        """Rows of one statement, values as text."""
        if self.backend == "postgres":
            out = subprocess.run(["psql", self.db, "-qAt", "-F", "\x1f", "-v", "ON_ERROR_STOP=1",
                                  "-c", statement], capture_output=True, text=True, check=True)
            return [line.split("\x1f") for line in out.stdout.splitlines()]
        c = sqlite3.connect(self.db, timeout=30)
        try:
            rows = [[str(v) for v in row] for row in c.execute(statement).fetchall()]
            c.commit()
            return rows
        finally:
            c.close()

    def load_demo(self):
        """Returns (seconds, whether the demo made articles)."""
        helptext = self.cli("demo", "--help").stdout
        with_articles = "--articles" in helptext
        if self.backend == "postgres" and PG_BULK and TICKETS > PG_SEED:
            return self.load_pg_bulk(with_articles), with_articles
        args = ["demo", "--tickets", str(TICKETS)]
        if with_articles:
            args += ["--articles", str(ARTICLES)]
        kept = ""
        if self.backend == "sqlite" and FROM_DB:
            # A demo database loaded before (by this schema); the binary may differ.
            shutil.copyfile(FROM_DB, self.db)
            log(f"demo: copied {FROM_DB}")
            return None, with_articles
        if self.backend == "sqlite" and KEEP:
            os.makedirs(KEEP, exist_ok=True)
            digest = hashlib.sha1(open(BIN, "rb").read()).hexdigest()[:12]
            kept = os.path.join(KEEP, f"search-demo-{digest}-{TICKETS}.db")
            if os.path.exists(kept):
                shutil.copyfile(kept, self.db)
                log(f"demo: reused {kept}")
                return None, with_articles
        log(f"demo: {' '.join(args)}")
        t0 = time.time()
        self.cli(*args)
        took = time.time() - t0
        log(f"demo: loaded in {took:.0f} s")
        if kept:
            shutil.copyfile(self.db, kept)
        return took, with_articles

    def load_pg_bulk(self, with_articles):
        """PostgreSQL: the demo loader takes ~30 minutes for a million tickets here
        (a round trip per statement), so a demo of PG_SEED tickets is made and its
        tickets and their replies and notes are copied by SQL, each copy with its own
        number in its description, then indexed as migration 11 indexes an existing
        desk (one INSERT ... SELECT), and written out (CHECKPOINT: otherwise the load's
        writes go on while the queries are measured). The copies are closed, as nearly
        all of a desk's old tickets are (open ones would each get a service-level check
        to run first).
        Returns the seconds it all took."""
        t0 = time.time()
        args = ["demo", "--tickets", str(PG_SEED)]
        if with_articles:
            args += ["--articles", str(ARTICLES)]
        log(f"demo: {' '.join(args)} (then copies up to {TICKETS:,} by SQL)")
        self.cli(*args)
        copies = TICKETS - PG_SEED
        # Since migration 14 the index holds each ticket's scope (an older
        # binary's schema has no such columns).
        with_scope = bool(self.sql("SELECT 1 FROM information_schema.columns WHERE "
                                   "table_name = 'ticket_search' AND column_name = "
                                   "'requester_id'"))
        scope = ", requester_id, organisation_id" if with_scope else ""
        x_scope = ", x.requester_id, x.organisation_id" if with_scope else ""
        # Since migration 15, its priority too.
        if self.sql("SELECT 1 FROM information_schema.columns WHERE table_name = "
                    "'ticket_search' AND column_name = 'priority'"):
            scope += ", priority"
            x_scope += ", x.priority"
        script = f"""
CREATE TEMP TABLE seed AS SELECT * FROM tickets ORDER BY id;
INSERT INTO tickets (type, channel, impact, criticality, priority, support_level, status,
  status_category, requester_id, organisation_id, assignee_id, group_id, category_id, subject,
  description, created_at, updated_at, resolved_at, closed_at, version)
SELECT s.type, s.channel, s.impact, s.criticality, s.priority, s.support_level, 'closed',
  'closed', s.requester_id, s.organisation_id, s.assignee_id, s.group_id,
  s.category_id, s.subject,
  'Reporte de demostración número ' || ({PG_SEED} + g) ||
  '. Datos ficticios para conocer la mesa de servicio.',
  s.created_at, s.updated_at, COALESCE(s.resolved_at, s.updated_at),
  COALESCE(s.closed_at, s.updated_at), 1
FROM generate_series(1, {copies}) g JOIN seed s ON s.id = 1 + (g % {PG_SEED});
INSERT INTO events (ticket_id, kind, actor_kind, actor_id, internal, body, created_at)
SELECT t.id, e.kind, e.actor_kind, e.actor_id, e.internal, e.body, e.created_at
FROM tickets t JOIN events e ON e.ticket_id = 1 + ((t.id - {PG_SEED}) % {PG_SEED})
WHERE t.id > {PG_SEED} AND e.kind IN ('reply', 'note');
INSERT INTO ticket_search (ticket_id, replies, notes, doc{scope})
SELECT x.id, x.replies, x.notes, sd_ticket_doc(x.subject, x.description, x.replies, x.notes)
  {x_scope}
FROM (SELECT t.id, t.subject, t.description, t.requester_id, t.organisation_id, t.priority,
  right(COALESCE((SELECT string_agg(e.body, E'\\n' ORDER BY e.id) FROM events e
    WHERE e.ticket_id = t.id AND e.kind IN ('reply', 'note') AND e.internal = 0), ''), 100000)
    AS replies,
  right(COALESCE((SELECT string_agg(e.body, E'\\n' ORDER BY e.id) FROM events e
    WHERE e.ticket_id = t.id AND e.kind IN ('reply', 'note') AND e.internal <> 0), ''), 100000)
    AS notes
  FROM tickets t WHERE t.id > {PG_SEED}) x
ON CONFLICT (ticket_id) DO NOTHING;
VACUUM ANALYZE;
CHECKPOINT;
"""
        subprocess.run(["psql", self.db, "-q", "-v", "ON_ERROR_STOP=1"], input=script, text=True,
                       check=True, stdout=subprocess.DEVNULL)
        took = time.time() - t0
        log(f"demo: {TICKETS:,} tickets on PostgreSQL in {took:.0f} s")
        return took

    # ---- server

    def start(self):
        self.logfile = os.path.join(self.work, "serve.log")
        out = open(self.logfile, "w")
        self.proc = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:0"], env=self.env,
                                     stdout=out, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while time.time() < deadline:
            m = re.search(r"listening on http://([0-9.]+):(\d+)", open(self.logfile).read())
            if m:
                self.host, self.port = m.group(1), int(m.group(2))
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError("server did not start: " + open(self.logfile).read()[-2000:])

    def stop(self):
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def rss_mib(self):
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0

    def wait_due_jobs(self, timeout=1800):
        """Waits for the jobs due at start (the demo's sweep and checks), as run.sh does."""
        t0 = time.time()
        while time.time() - t0 < timeout:
            now = int(time.time() * 1000)
            n = int(self.sql("SELECT COUNT(*) FROM jobs WHERE status IN ('queued','running') "
                             f"AND due_at <= {now}")[0][0])
            if n == 0:
                return time.time() - t0
            time.sleep(0.5)
        return time.time() - t0


class Api:
    """One kept-alive connection with a bearer token."""

    def __init__(self, desk, token):
        self.desk = desk
        self.token = token
        self.conn = None

    def call(self, method, path, body=None):
        """(status, parsed body or None, seconds)."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": "Bearer " + self.token}
        if data is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.desk.host, self.desk.port,
                                                       timeout=300)
            try:
                t0 = time.perf_counter()
                self.conn.request(method, API + path, body=data, headers=headers)
                r = self.conn.getresponse()
                raw = r.read()
                took = time.perf_counter() - t0
            except (http.client.HTTPException, ConnectionError, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                continue
            if r.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = None
            return r.status, parsed, took
        raise AssertionError("unreachable")

    def ok(self, method, path, body=None, want=(200, 201)):
        status, parsed, _ = self.call(method, path, body)
        if status not in want:
            raise RuntimeError(f"{method} {path} -> {status}: {json.dumps(parsed)[:300]}")
        return parsed


def query_path(endpoint, q):
    enc = urllib.parse.quote(q, safe="")
    if endpoint == "search":
        return f"/search?q={enc}&limit=20"
    if endpoint == "tickets":
        return f"/tickets?q={enc}&limit=50"
    if endpoint.startswith("tickets&sort="):  # the queue in another order
        return f"/tickets?q={enc}&limit=50&sort={endpoint.split('=', 1)[1]}"
    if endpoint == "suggest":
        return f"/articles/suggestions?text={enc}&limit=5"
    raise ValueError(endpoint)


# --------------------------------------------------------------------------- loading


def make_mid_requester(desk, admin, rng):
    """A requester with MID_TICKETS of the demo requester's tickets, spread over the whole
    desk (a requester or an organisation with thousands, not a sixth of the desk); returns
    that requester's email."""
    email = f"bench.{rare_word(rng, 'm')}@bench.example"
    user = admin.ok("POST", "/users", {"email": email, "name": "Persona Bench Media",
                                       "role": "requester"}, want=(201,))
    demo = desk.sql(f"SELECT id FROM users WHERE email = '{DEMO_REQUESTER}'")[0][0]
    desk.sql(f"UPDATE tickets SET requester_id = {user['id']} WHERE id IN (SELECT id FROM "
             f"tickets WHERE requester_id = {demo} AND id % 61 = 0 ORDER BY id LIMIT "
             f"{MID_TICKETS})")
    return email


def make_token(desk, email):
    r = desk.cli("token", "create", email, "--name", "bench-search", check=False)
    return r.stdout.strip() if r.returncode == 0 else None


def create_articles(desk, token, rng, rare_words):
    """ARTICLES articles through the API with 4 clients; one in 500 holds a rare word."""
    specs = []
    rare_iter = iter(rare_words)
    for i in range(ARTICLES):
        rare = next(rare_iter, None) if i % 500 == 250 else None
        specs.append((article_body(rng, i, rare), rare))
    local = threading.local()
    made_rare = []

    def one(spec):
        if not hasattr(local, "api"):
            local.api = Api(desk, token)
        body, rare = spec
        local.api.ok("POST", "/articles", body, want=(201,))
        if rare:
            made_rare.append(rare)

    t0 = time.time()
    done = 0
    with ThreadPoolExecutor(CLIENTS) as ex:
        for _ in ex.map(one, specs):
            done += 1
            if done % 1000 == 0:
                log(f"articles: {done} of {ARTICLES}")
    took = time.time() - t0
    return took, made_rare


def create_rare_tickets(api, admin, rng):
    """RARE_TICKETS tickets with a made-up word each in subject and description, and a
    requester of our own with five tickets; returns the words and that email."""
    words = []
    for i in range(RARE_TICKETS):
        a, b = rare_word(rng, "zq"), rare_word(rng, "zk")
        api.ok("POST", "/tickets", {
            "type": "incident", "subject": f"Falla {a} en el equipo {i}",
            "description": f"El equipo muestra el código {b} al arrancar.",
            "impact": "not_critical", "criticality": "low"}, want=(201,))
        words += [a, b]
    email = f"bench.{rare_word(rng, 'r')}@bench.example"
    user = admin.ok("POST", "/users", {"email": email, "name": "Persona Bench",
                                       "role": "requester"}, want=(201,))
    for i in range(5):
        api.ok("POST", "/tickets", {
            "type": "information_request", "subject": f"Consulta {i} de la persona bench",
            "description": "Una pregunta.", "impact": "not_critical", "criticality": "low",
            "requester_id": user["id"]}, want=(201,))
    return words, email


# --------------------------------------------------------------------------- measuring


def pct(sorted_values, p):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p))]


class Figures:
    def __init__(self, lat, statuses, items):
        self.lat = sorted(lat)
        self.statuses = statuses
        self.items = items

    def cells(self):
        if not self.lat:
            return ["-", "-", "-", "-"]
        bad = sum(n for s, n in self.statuses.items() if s != 200)
        p50, p99 = pct(self.lat, 0.50) * 1000, pct(self.lat, 0.99) * 1000
        items = statistics.median(self.items) if self.items else 0
        note = f"{items:g}" + (f" ({bad} not 200: {sorted(self.statuses)})" if bad else "")
        return [f"{p50:.2f}", f"{p99:.2f}", f"{self.lat[-1] * 1000:.1f}", note]


def measure(api, endpoint, queries, n=REQUESTS, warm=WARM_UP):
    lat, statuses, items = [], {}, []
    for i in range(warm + n):
        q = queries[i % len(queries)]
        status, body, took = api.call("GET", query_path(endpoint, q))
        if status == 404 and i == 0 and endpoint != "tickets":
            return None  # the route is not there (an older binary)
        if i < warm:
            continue
        lat.append(took)
        statuses[status] = statuses.get(status, 0) + 1
        if status == 200 and isinstance(body, dict):
            items.append(len(body.get("items", [])))
    return Figures(lat, statuses, items)


def measure_concurrent(desk, token, endpoint, queries, clients=CLIENTS, n=REQUESTS):
    results = [None] * clients

    def run(k):
        api = Api(desk, token)
        rotated = queries[k % len(queries):] + queries[:k % len(queries)]
        results[k] = measure(api, endpoint, rotated, n=n, warm=WARM_UP // 2)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.time() - t0
    if any(r is None for r in results):
        return None, 0
    lat = [x for r in results for x in r.lat]
    statuses = {}
    for r in results:
        for s, c in r.statuses.items():
            statuses[s] = statuses.get(s, 0) + c
    return Figures(lat, statuses, [x for r in results for x in r.items]), len(lat) / took


# --------------------------------------------------------------------------- sizes


def index_sizes(desk):
    """[(name, bytes)] of the search structures, and the store's total size."""
    if desk.backend == "postgres":
        rows = desk.sql(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r','m') AND "
            "c.relname ~ '(search|fts|tsv)' ORDER BY 2 DESC")
        rows += desk.sql(
            "SELECT 'index ' || c.relname || ' (' || am.amname || ')', pg_relation_size(c.oid) "
            "FROM pg_class c JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace n ON "
            "n.oid = c.relnamespace WHERE n.nspname = 'public' AND am.amname IN ('gin','gist') "
            "ORDER BY 2 DESC")
        for table, column in desk.sql(
                "SELECT table_name, column_name FROM information_schema.columns WHERE "
                "table_schema = 'public' AND data_type = 'tsvector'"):
            size = desk.sql(f'SELECT COALESCE(SUM(pg_column_size("{column}")), 0) '
                            f'FROM "{table}"')[0][0]
            rows.append([f"column {table}.{column} (tsvector)", size])
        total = int(desk.sql("SELECT pg_database_size(current_database())")[0][0])
        return [(name, int(size)) for name, size in rows], total
    total = sum(os.path.getsize(desk.db + s) for s in ("", "-wal")
                if os.path.exists(desk.db + s))
    virtual = [r[0] for r in desk.sql("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                                      "sql LIKE 'CREATE VIRTUAL TABLE%'")]
    try:
        stats = desk.sql("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")
    except sqlite3.Error as e:
        try:
            out = subprocess.run(["sqlite3", desk.db, "SELECT name, SUM(pgsize) FROM dbstat "
                                  "GROUP BY name"], capture_output=True, text=True, check=True)
            stats = [line.split("|") for line in out.stdout.splitlines()]
        except (OSError, subprocess.CalledProcessError):
            log(f"size: dbstat is not available ({e}); only the file size is reported")
            return [], total
    chosen = []
    for name, size in stats:
        low = name.lower()
        if any(low == v.lower() or low.startswith(v.lower() + "_") for v in virtual) or \
                "search" in low or "fts" in low:
            chosen.append((name, int(size)))
    chosen.sort(key=lambda r: -r[1])
    return chosen, total


def mib(n):
    return f"{n / 1048576:,.1f} MiB" if n >= 1048576 else f"{n / 1024:,.0f} KiB"


# --------------------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    args = ap.parse_args()
    if not os.access(BIN, os.X_OK):
        print(f"search.py: {BIN} is not an executable (set SERVICEDESK_BIN)", file=sys.stderr)
        return 2
    rng = random.Random(20261210)
    work = tempfile.mkdtemp(prefix="sd-bench-search-")
    desk = Desk(work, args.backend)
    try:
        desk.prepare()
        demo_took, demo_articles = desk.load_demo()
        tokens = {who: make_token(desk, email) for who, email in
                  (("agent", AGENT), ("supervisor", SUPERVISOR), ("admin", ADMIN),
                   ("requester", DEMO_REQUESTER))}
        if not tokens["agent"] or not tokens["supervisor"] or not tokens["admin"]:
            raise RuntimeError("could not make the staff tokens")
        desk.start()
        settle = desk.wait_due_jobs()
        log(f"server up on {desk.host}:{desk.port}; due jobs done after {settle:.0f} s")
        agent = Api(desk, tokens["agent"])
        admin = Api(desk, tokens["admin"])

        rare_words, email = create_rare_tickets(agent, admin, rng)
        log(f"tickets: {RARE_TICKETS} with rare words, 5 for {email}")
        mid_email = make_mid_requester(desk, admin, rng)
        tokens["mid"] = make_token(desk, mid_email)
        log(f"tickets: {MID_TICKETS} of {DEMO_REQUESTER}'s now {mid_email}'s")
        article_rare = [rare_word(rng, "zv") for _ in range(ARTICLES // 500 + 1)]
        articles_note = "made by the demo"
        articles_exist = agent.call("GET", "/articles?limit=1")[0] == 200
        found_article_rare = []
        if not articles_exist:
            articles_note = "none: the binary has no /articles"
            log("articles: GET /articles is not there; skipped")
        elif not demo_articles:
            took, found_article_rare = create_articles(desk, tokens["supervisor"], rng,
                                                       article_rare)
            articles_note = (f"{ARTICLES:,} through the API in {took:.0f} s "
                             f"({ARTICLES / took:,.0f}/s, {CLIENTS} clients)")
            log(f"articles: {articles_note}")
        max_id = int(desk.sql("SELECT MAX(id) FROM tickets")[0][0])
        numbers = [f"SD-{rng.randint(1, max_id):06d}" for _ in range(50)]
        bare = [str(rng.randint(1, max_id)) for _ in range(50)]
        rss_before = desk.rss_mib()

        kinds = [
            ("rare word", rare_words),
            ("rare word, in an article", found_article_rare),
            ("common word (every ticket)", COMMON),
            ("two common words", TWO_COMMON),
            ("middling word (1 in 16 tickets)", MIDDLING),
            ("prefix", PREFIXES),
            ("phrase in quotes", PHRASES),
            ("ticket number SD-NNNNNN", numbers),
            ("bare ticket number", bare),
            ("email, a demo requester's (1/6 of tickets)", DEMO_REQUESTER_EMAILS),
            ("email, a requester with 5 tickets", [email]),
        ]
        rows = []
        for label, queries in kinds:
            if not queries:
                continue
            cells = []
            for endpoint in ("search", "tickets"):
                log(f"measure: {label} on /{endpoint}")
                f = measure(agent, endpoint, queries)
                cells += f.cells() if f else ["n/a"] * 4
            rows.append([label, queries[0]] + cells)

        requester_rows = []
        if tokens["requester"]:
            requester = Api(desk, tokens["requester"])
            for label, queries in (("common word", COMMON),
                                   ("rare word (none of them theirs)", rare_words),
                                   ("prefix", PREFIXES)):
                cells = []
                for endpoint in ("search", "tickets"):
                    log(f"measure: requester, {label} on /{endpoint}")
                    f = measure(requester, endpoint, queries)
                    cells += f.cells() if f else ["n/a"] * 4
                requester_rows.append([label, queries[0]] + cells)
        if tokens["mid"]:
            mid = Api(desk, tokens["mid"])
            for label, queries in (("common word", COMMON), ("prefix", PREFIXES)):
                cells = []
                for endpoint in ("search", "tickets"):
                    log(f"measure: requester with {MID_TICKETS}, {label} on /{endpoint}")
                    f = measure(mid, endpoint, queries)
                    cells += f.cells() if f else ["n/a"] * 4
                requester_rows.append([f"{label}, a requester with {MID_TICKETS:,} tickets",
                                       queries[0]] + cells)

        # The queue filter in the orders of the queue's column headers that
        # have an index, and the mid requester's in the portal's order.
        sorted_rows = []
        mid_api = Api(desk, tokens["mid"]) if tokens["mid"] else None
        for who, api_, label, queries in (
                ("agent", agent, "common word", COMMON), ("agent", agent, "prefix", PREFIXES),
                ("agent", agent, "middling word", MIDDLING),
                ("mid", mid_api, "common word", COMMON), ("mid", mid_api, "prefix", PREFIXES)):
            if api_ is None:
                continue
            cells = []
            for order in ("-priority", "-updated_at"):
                log(f"measure: {who}, {label} on /tickets sorted by {order}")
                f = measure(api_, f"tickets&sort={order}", queries)
                cells += f.cells() if f else ["n/a"] * 4
            who_label = "an agent" if who == "agent" else f"a requester with {MID_TICKETS:,}"
            sorted_rows.append([f"{label}, {who_label}", queries[0]] + cells)

        log("measure: suggestions")
        suggest = measure(agent, "suggest", SUGGEST)

        concurrent = []
        for endpoint in ("search", "tickets"):
            log(f"measure: {CLIENTS} clients, common word on /{endpoint}")
            f, rate = measure_concurrent(desk, tokens["agent"], endpoint, COMMON)
            concurrent.append((endpoint, f, rate))
        rss_after = desk.rss_mib()
        sizes, total = index_sizes(desk)
        desk.stop()

        # ---- the figures
        cores = os.cpu_count()
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        print(f"machine: {cores} cores, {mem:.0f} GiB, {os.uname().release}; binary {BIN}")
        print(f"backend: {args.backend}; tickets: {max_id:,} ({TICKETS:,} of the demo) "
              f"(demo load {'reused' if demo_took is None else f'{demo_took:.0f} s'}); "
              f"articles: {articles_note}")
        print(f"{REQUESTS} sequential requests per row and endpoint after {WARM_UP} to warm up, "
              "one kept-alive connection, an agent's token; latency in ms; items = median "
              "length of the page (search limit 20, queue limit 50)\n")
        head = ("| query | e.g. | /search p50 | p99 | max | items | /tickets?q= p50 | p99 | max "
                "| items |")
        print(head)
        print("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|")
        for r in rows:
            print("| " + " | ".join(r) + " |")
        if requester_rows:
            print(f"\nAs a requester ({DEMO_REQUESTER}, who sees only their own tickets; the "
                  f"last rows as one with {MID_TICKETS:,}):\n")
            print(head)
            print("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|")
            for r in requester_rows:
                print("| " + " | ".join(r) + " |")
        if sorted_rows:
            print("\nThe queue filter in another order (/tickets?q=&sort=):\n")
            print("| query | e.g. | by priority p50 | p99 | max | items | by last change p50 "
                  "| p99 | max | items |")
            print("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|")
            for r in sorted_rows:
                print("| " + " | ".join(r) + " |")
        print()
        print("| | p50 | p99 | max | items / rate |")
        print("|---|--:|--:|--:|--:|")
        if suggest:
            print("| suggestions for a subject being typed | " + " | ".join(suggest.cells())
                  + " |")
        for endpoint, f, rate in concurrent:
            if f:
                c = f.cells()
                print(f"| {CLIENTS} clients at once, common word, /{endpoint} | {c[0]} | {c[1]} "
                      f"| {c[2]} | {rate:,.0f} requests/s |")
        print(f"\nserver memory (RSS): {rss_before:.0f} MiB before the queries, "
              f"{rss_after:.0f} MiB after")
        print(f"store: {mib(total)}")
        if sizes:
            print("search structures: " + "; ".join(f"{n} {mib(s)}" for n, s in sizes))
            if args.backend == "sqlite":
                print(f"search structures in all: {mib(sum(s for _, s in sizes))}")
            else:
                print("(a table's size includes its indexes and TOAST; a GIN index or a "
                      "tsvector column may be counted in its table too)")
        else:
            print("search structures: none found by name (no *search*/*fts* tables, "
                  "virtual tables or GIN indexes)")
        return 0
    finally:
        desk.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

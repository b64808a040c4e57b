#!/usr/bin/env python3
"""Service-level figures (issue 8), on SQLite, against the release server:

1. sweep: N open tickets made without a policy (wrk, bench/create.lua), then one policy
   created through the API: the time until the sweep has put every open ticket under it.
2. checks and escalations: the server restarted with its clock two days ahead, so that
   every ticket's four moments are due at once: the time until every check is done,
   events and escalations written per second.
3. delay: tickets with a one-minute first-response target created over a few seconds on a
   server with its default poll (1 s): the delay between each breach's moment (the
   event's new_value) and the event's own time, p50, p99 and max.

Usage: bench/sla.py  (SERVICEDESK_BIN, SD_BENCH_OPEN = how long wrk creates, default 20s,
SD_BENCH_DELAY_TICKETS default 300). Prints the figures; nothing is asserted.
"""

import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("SERVICEDESK_BIN", os.path.join(ROOT, "build/release/src/servicedesk"))
OPEN_FOR = os.environ.get("SD_BENCH_OPEN", "20s")
DELAY_TICKETS = int(os.environ.get("SD_BENCH_DELAY_TICKETS", "300"))
DAY_MS = 86_400_000


def ms(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=timezone.utc).timestamp() * 1000


class Desk:
    def __init__(self, db, env=None):
        self.db = db
        self.env = {**os.environ, "SERVICEDESK_DB": db, **(env or {})}
        self.proc = None
        self.url = None
        self.token = None

    def cli(self, *args):
        return subprocess.run([BIN, *args], env=self.env, check=True, capture_output=True,
                              text=True).stdout.strip()

    def start(self):
        self.log = open(self.db + ".log", "w")
        self.proc = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:0"], env=self.env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(200):
            time.sleep(0.05)
            text = open(self.db + ".log").read()
            m = re.search(r"http://[0-9.:]+", text)
            if m:
                self.url = m.group(0)
                return
        raise RuntimeError("server did not start: " + open(self.db + ".log").read()[-2000:])

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(30)
            self.proc = None

    def call(self, method, path, body=None):
        req = urllib.request.Request(self.url + "/api/v1" + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": "Bearer " + self.token,
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as r:
            text = r.read()
            return json.loads(text) if text else None

    def jobs_left(self, kind):
        page = self.call("GET", f"/admin/jobs?kind={kind}&status=queued,running&limit=1")
        c = self.call("GET", f"/admin/jobs?kind={kind}&status=failed&limit=1")
        if c["items"]:
            raise RuntimeError(f"{kind} failed: {c['items'][0]}")
        return page["items"]

    def wait_jobs(self, kind, due_before_ms=None, timeout=3600):
        start = time.time()
        while time.time() - start < timeout:
            items = self.jobs_left(kind)
            if not items:
                return time.time() - start
            if due_before_ms is not None:
                # checks not yet due do not count
                rows = self.sql(f"SELECT COUNT(*) FROM jobs WHERE kind = '{kind}' AND status IN "
                                f"('queued','running') AND due_at <= {due_before_ms}")
                if rows[0][0] == 0:
                    return time.time() - start
            time.sleep(0.2)
        raise RuntimeError(f"{kind} jobs not done in {timeout} s")

    def sql(self, q):
        c = sqlite3.connect(self.db, timeout=30)
        try:
            return c.execute(q).fetchall()
        finally:
            c.close()


def main():
    work = tempfile.mkdtemp(prefix="sd-bench-sla-")
    db = os.path.join(work, "desk.db")
    desk = Desk(db)
    desk.cli("demo", "--tickets", "300")
    desk.token = desk.cli("token", "create", "admin@demo.example.com", "--name", "bench")
    desk.start()
    print(f"machine: {os.cpu_count()} cores; binary {BIN}")
    for p in desk.call("GET", "/sla-policies")["items"]:
        desk.call("DELETE", f"/sla-policies/{p['id']}")
    desk.wait_jobs("sla.sweep")

    # 1. the sweep
    env = {**os.environ, "SD_TOKEN": desk.token}
    subprocess.run(["wrk", "-t2", "-c64", "-d" + OPEN_FOR, "-s", "bench/create.lua", desk.url],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    open_tickets = desk.sql("SELECT COUNT(*) FROM tickets WHERE status_category IN "
                            "('new','open','waiting')")[0][0]
    t0 = time.time()
    desk.call("POST", "/sla-policies", {"name": "Bench", "first_response_minutes": 60,
                                        "resolution_minutes": 240})
    desk.wait_jobs("sla.sweep")
    sweep = time.time() - t0
    under = desk.sql("SELECT COUNT(*) FROM ticket_slas s JOIN tickets t ON t.id = s.ticket_id "
                     "WHERE s.policy_id IS NOT NULL AND t.status_category IN "
                     "('new','open','waiting')")[0][0]
    print(f"sweep: {open_tickets} open tickets under the new policy in {sweep:.1f} s "
          f"({open_tickets / sweep:,.0f} tickets/s; {under} under it after)")

    # 2. every moment due at once
    desk.stop()
    events_before = desk.sql("SELECT COUNT(*) FROM events")[0][0]
    desk.env["SERVICEDESK_CLOCK_OFFSET_MS"] = str(2 * DAY_MS)
    t0 = time.time()
    desk.start()
    now_ahead = time.time() * 1000 + 2 * DAY_MS
    desk.wait_jobs("sla.check", due_before_ms=now_ahead)
    took = time.time() - t0
    moments = desk.sql("SELECT COUNT(*) FROM events WHERE kind IN ('sla_warning','sla_breach')")[0][0]
    escalations = desk.sql("SELECT COUNT(*) FROM events WHERE kind = 'escalation' AND "
                           "actor_label = 'escalation'")[0][0]
    events = desk.sql("SELECT COUNT(*) FROM events")[0][0] - events_before
    checks = desk.sql("SELECT COUNT(*) FROM jobs WHERE kind = 'sla.check' AND status = 'done'")[0][0]
    print(f"checks: {checks} done in {took:.1f} s ({checks / took:,.0f}/s), writing {moments} "
          f"warnings and breaches and {escalations} escalation events ({escalations / took:,.0f} "
          f"escalations/s; {events} events in all)")
    desk.stop()

    # 3. the delay from a moment to its event, at the default poll
    db2 = os.path.join(work, "delay.db")
    d2 = Desk(db2, {"SERVICEDESK_CLOCK_OFFSET_MS": "0"})
    d2.cli("demo", "--tickets", "0")
    d2.token = d2.cli("token", "create", "admin@demo.example.com", "--name", "bench")
    d2.start()
    for p in d2.call("GET", "/sla-policies")["items"]:
        d2.call("DELETE", f"/sla-policies/{p['id']}")
    d2.call("POST", "/sla-policies", {"name": "One minute", "first_response_minutes": 1,
                                      "resolution_minutes": 600})
    for i in range(DELAY_TICKETS):
        d2.call("POST", "/tickets", {"type": "incident", "subject": f"Delay {i}",
                                     "description": "x", "impact": "not_critical",
                                     "criticality": "low"})
        time.sleep(10 / DELAY_TICKETS)
    time.sleep(70)
    rows = d2.sql("SELECT created_at, new_value FROM events WHERE kind = 'sla_breach'")
    delays = sorted(r[0] - ms(r[1]) for r in rows)
    d2.stop()
    if delays:
        p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
        print(f"delay from a breach's moment to its event ({len(delays)} breaches, poll 1 s): "
              f"p50 {statistics.median(delays):.0f} ms, p99 {p99:.0f} ms, max {delays[-1]:.0f} ms")
    else:
        print("delay: no breach written", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

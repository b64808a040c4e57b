"""Durable jobs and auto-close (docs/api.md, Auto-close and Durable jobs): the policy,
closing resolved tickets when due (the server's clock moved ahead with
SERVICEDESK_CLOCK_OFFSET_MS), crash safety under kill -9, several nodes on one
PostgreSQL, and the admin jobs API."""

import os
import sys
import threading
import time
import unittest
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    API, TIMESTAMP_RE, DeskTestCase, unique, wait_until)

HOUR_MS = 3_600_000
AUTO_CLOSE = "ticket.auto_close"
MAINTENANCE = "maintenance.daily"
DEFAULT_POLICY = {"enabled": True, "after_hours": 72}
FAST = {"SERVICEDESK_JOBS_POLL_MS": "50"}
# Two hours later: an auto-close due one hour after a resolution made now is due.
AHEAD = {"SERVICEDESK_CLOCK_OFFSET_MS": str(2 * HOUR_MS)}
JOB_KEYS = {"id", "kind", "status", "payload", "due_at", "attempts", "max_attempts",
            "last_error", "lease_owner", "lease_expires_at", "created_at", "updated_at",
            "done_at"}
JOB_STATUSES = ("queued", "running", "failed", "done")
WORK_DEADLINE = 30.0  # for every due job to be done


def parse_ts(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def unix_ms(text):
    return round(parse_ts(text).timestamp() * 1000)


def system_closes(events):
    return [e for e in events if e["kind"] == "status_change" and e["new_value"] == "closed"
            and e["actor_type"] == "system"]


def closes(events):
    return [e for e in events if e["kind"] == "status_change" and e["new_value"] == "closed"]


class JobsHelpers:
    """Mixed into DeskTestCase classes."""

    def set_policy(self, enabled=True, after_hours=1, client=None):
        r = (client or self.admin).put(f"{API}/settings/auto-close",
                                       json={"enabled": enabled, "after_hours": after_hours})
        self.assertStatus(r, 200)
        self.assertEqual(r.json(), {"enabled": enabled, "after_hours": after_hours})

    def resolve(self, client, ticket_id):
        client.transition(ticket_id, "in_progress")
        return client.transition(ticket_id, "resolved")

    def jobs(self, client=None, **params):
        return (client or self.admin).list_all(params, path=f"{API}/admin/jobs")

    def jobs_of(self, ticket_id, client=None):
        return [j for j in self.jobs(client, kind=AUTO_CLOSE)
                if j["payload"].get("ticket_id") == ticket_id]

    def resolved_tickets(self, client, n, threads=4):
        """n tickets resolved now through a bearer token, in a few threads."""
        token = client.create_token()
        out, errors, lock = [], [], threading.Lock()

        def worker(k):
            c = client.server.client(bearer=token)
            try:
                for _ in range(k):
                    t = c.create_ticket()
                    t = self.resolve(c, t["id"])
                    with lock:
                        out.append(t)
            except Exception as e:  # noqa: BLE001
                with lock:
                    errors.append(repr(e))

        sizes = [n // threads + (1 if i < n % threads else 0) for i in range(threads)]
        ts = [threading.Thread(target=worker, args=(k,)) for k in sizes]
        for t in ts:
            t.start()
        for t in ts:
            t.join(120)
        self.assertEqual(errors, [], "preparing resolved tickets failed")
        self.assertEqual(len(out), n)
        return out

    def wait_jobs_settled(self, client, kind=AUTO_CLOSE, expected=None, timeout=WORK_DEADLINE):
        """Waits until no job of `kind` is queued or running; fails at once on a failed one."""
        def settled():
            page = client.list_page({"kind": kind, "status": "queued,running,failed",
                                     "limit": 200}, path=f"{API}/admin/jobs")
            failed = [j for j in page["items"] if j["status"] == "failed"]
            if failed:
                self.fail(f"jobs failed: {failed[:3]}")
            return not page["items"]
        wait_until(settled, timeout, f"every {kind} job done", interval=0.05)
        done = self.jobs(client, kind=kind)
        if expected is not None:
            self.assertEqual(len(done), expected, f"number of {kind} jobs")
        return done

    def assertSystemClose(self, events, ticket_id):
        sc = system_closes(events)
        self.assertEqual(len(sc), 1, f"ticket {ticket_id}: want one system close, got {sc}")
        e = sc[0]
        self.assertEqual((e["old_value"], e["new_value"], e["field"]),
                         ("resolved", "closed", "status"), repr(e))
        self.assertIsNone(e["actor_id"], repr(e))
        self.assertEqual(e["actor_name"], "auto_close", repr(e))
        self.assertIs(e["internal"], False, repr(e))
        self.assertEqual(len(closes(events)), 1, f"ticket {ticket_id} closed twice: {events}")
        self.assertEqual(events[-1], e, f"ticket {ticket_id}: events after the close: {events}")

    def assertJobShape(self, j):
        self.assertEqual(set(j), JOB_KEYS, f"job keys: {j}")
        self.assertIsInstance(j["id"], int)
        self.assertIsInstance(j["kind"], str)
        self.assertIn(j["status"], JOB_STATUSES)
        self.assertIsInstance(j["payload"], dict, repr(j))
        for k in ("due_at", "created_at", "updated_at"):
            self.assertRegex(j[k], TIMESTAMP_RE, f"{k} of {j}")
        for k in ("lease_expires_at", "done_at"):
            if j[k] is not None:
                self.assertRegex(j[k], TIMESTAMP_RE, f"{k} of {j}")
        self.assertIsInstance(j["attempts"], int)
        self.assertIsInstance(j["max_attempts"], int)
        self.assertGreaterEqual(j["max_attempts"], 1, repr(j))
        self.assertTrue(0 <= j["attempts"] <= j["max_attempts"], repr(j))
        self.assertIsInstance(j["last_error"], str)
        self.assertTrue(j["lease_owner"] is None or isinstance(j["lease_owner"], str), repr(j))
        self.assertEqual(j["done_at"] is not None, j["status"] == "done", repr(j))
        if j["status"] != "running":
            self.assertIsNone(j["lease_expires_at"], f"lease on a job not running: {j}")


# --------------------------------------------------------------------------- policy


class AutoClosePolicyTests(JobsHelpers, DeskTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # before any test changes it
        cls.initial = cls.admin.get(f"{API}/settings/auto-close")
        cls.requester_user, cls.requester = cls.make_user("requester")

    def policy(self):
        r = self.admin.get(f"{API}/settings/auto-close")
        self.assertStatus(r, 200)
        return r.json()

    def keep_policy(self):
        before = self.policy()
        self.addCleanup(lambda: self.set_policy(**before))
        return before

    def test_default_policy(self):
        self.assertStatus(self.initial, 200)
        self.assertEqual(self.initial.content_type, "application/json")
        self.assertEqual(self.initial.json(), DEFAULT_POLICY)

    def test_admin_sets_the_policy_within_bounds(self):
        self.keep_policy()
        for enabled, hours in ((False, 1), (True, 8760), (True, 1), (True, 72)):
            with self.subTest(enabled=enabled, after_hours=hours):
                self.set_policy(enabled, hours)
                self.assertEqual(self.policy(), {"enabled": enabled, "after_hours": hours})
        _, agent = self.make_user("agent")
        r = agent.get(f"{API}/settings/auto-close")
        self.assertStatus(r, 200)
        self.assertEqual(r.json(), {"enabled": True, "after_hours": 72})

    def test_bad_policies_are_422_per_field_and_change_nothing(self):
        before = self.keep_policy()
        cases = [
            ({"enabled": True, "after_hours": 0}, {"after_hours": "out_of_range"}),
            ({"enabled": True, "after_hours": -5}, {"after_hours": "out_of_range"}),
            ({"enabled": True, "after_hours": 8761}, {"after_hours": "out_of_range"}),
            ({"enabled": True, "after_hours": "72"}, {"after_hours": "invalid_type"}),
            ({"enabled": True, "after_hours": 1.5}, {"after_hours": "invalid_type"}),
            ({"enabled": True, "after_hours": True}, {"after_hours": "invalid_type"}),
            ({"enabled": "yes", "after_hours": 72}, {"enabled": "invalid_type"}),
            ({"enabled": 1, "after_hours": 72}, {"enabled": "invalid_type"}),
            ({"enabled": True, "after_hours": 72, "after_days": 3},
             {"after_days": "unknown_field"}),
            ({"enabled": "no", "after_hours": 0, "extra": 1},
             {"enabled": "invalid_type", "after_hours": "out_of_range", "extra": "unknown_field"}),
            ({"after_hours": 72}, {"enabled": "required"}),
            ({"enabled": False}, {"after_hours": "required"}),
            ({"enabled": None, "after_hours": None},
             {"enabled": "required", "after_hours": "required"}),
            ({}, {"enabled": "required", "after_hours": "required"}),
        ]
        for body, want in cases:
            with self.subTest(body=body):
                r = self.admin.put(f"{API}/settings/auto-close", json=body)
                self.assertProblem(r, 422)
                self.assertErrorFields(r, list(want))
                codes = {e["field"]: e.get("code") for e in r.json()["errors"]}
                self.assertEqual(codes, want, f"field codes of {r!r}")
                self.assertEqual(self.policy(), before, f"{body} changed the policy")
        for raw in ("{", "[1]", '"on"', "null"):
            with self.subTest(raw=raw):
                self.assertProblem(self.admin.put(f"{API}/settings/auto-close", body=raw), 400)
        self.assertEqual(self.policy(), before)

    def test_resolving_enqueues_a_job_due_after_the_policy(self):
        self.keep_policy()
        self.set_policy(True, 5)
        t = self.requester.create_ticket()
        resolved = self.resolve(self.admin, t["id"])
        self.assertEqual(resolved["status_category"], "resolved")
        jobs = self.jobs_of(t["id"])
        self.assertEqual(len(jobs), 1, jobs)
        j = jobs[0]
        self.assertJobShape(j)
        self.assertEqual(j["kind"], AUTO_CLOSE)
        self.assertEqual(j["status"], "queued", repr(j))
        self.assertEqual(j["attempts"], 0, repr(j))
        self.assertEqual(j["payload"], {"ticket_id": t["id"],
                                        "resolved_at": unix_ms(resolved["resolved_at"])})
        self.assertEqual(parse_ts(j["due_at"]),
                         parse_ts(resolved["resolved_at"]) + timedelta(hours=5))

        # A new resolution is a new job; the first stays (it will find nothing to do).
        self.requester.transition(t["id"], "in_progress")
        again = self.admin.transition(t["id"], "resolved")
        self.assertNotEqual(again["resolved_at"], resolved["resolved_at"])
        jobs = self.jobs_of(t["id"])
        self.assertEqual(len(jobs), 2, jobs)
        self.assertEqual(jobs[0]["payload"]["resolved_at"], unix_ms(again["resolved_at"]),
                         "newest job first")

        # Other moves and a disabled policy enqueue nothing.
        self.requester.transition(t["id"], "closed")
        self.set_policy(False, 5)
        t2 = self.requester.create_ticket()
        self.resolve(self.admin, t2["id"])
        self.assertEqual(self.jobs_of(t2["id"]), [])
        self.assertEqual(len(self.jobs_of(t["id"])), 2)


# --------------------------------------------------------------------------- auto-close runs


class AutoCloseTests(JobsHelpers, DeskTestCase):
    server_env = FAST

    def test_resolved_tickets_close_when_due_unless_reopened_or_confirmed(self):
        req_user, req = self.make_user("requester")
        self.set_policy(False, 1)
        untouched_disabled = self.resolve(self.admin, req.create_ticket()["id"])
        self.set_policy(True, 1)
        stays = self.resolve(self.admin, req.create_ticket()["id"])
        reopened = self.resolve(self.admin, req.create_ticket()["id"])
        req.transition(reopened["id"], "in_progress")
        confirmed = self.resolve(self.admin, req.create_ticket()["id"])
        req.transition(confirmed["id"], "closed")
        twice = self.resolve(self.admin, req.create_ticket()["id"])
        req.transition(twice["id"], "in_progress")
        twice = self.admin.transition(twice["id"], "resolved")
        cancelled = req.transition(req.create_ticket()["id"], "cancelled")
        self.assertEqual(len(self.jobs(kind=AUTO_CLOSE, status="queued")), 5)

        # Nothing is due yet: the server's clock says now.
        self.assertEqual(self.admin.ticket(stays["id"])["status"], "resolved")

        self.server.stop()
        self.server.extra_env.update(AHEAD)
        self.server.launch()
        done = self.wait_jobs_settled(self.admin, expected=5)
        for j in done:
            self.assertJobShape(j)
            self.assertEqual(j["status"], "done", repr(j))
            self.assertEqual(j["last_error"], "", repr(j))
            self.assertGreaterEqual(j["attempts"], 1, repr(j))

        # Closed by the desk, seen the same way by staff and the requester.
        t = self.admin.ticket(stays["id"])
        self.assertEqual((t["status"], t["status_category"]), ("closed", "closed"))
        self.assertIsNotNone(t["closed_at"])
        self.assertGreaterEqual(parse_ts(t["closed_at"]),
                                parse_ts(stays["resolved_at"]) + timedelta(hours=1))
        self.assertEqual(t["resolved_at"], stays["resolved_at"])
        for who in (self.admin, req):
            with self.subTest(events_seen_by=who.user["role"]):
                events = who.events(stays["id"])
                self.assertSystemClose(events, stays["id"])
                self.assertEqual(events[-1]["actor_type"], "system")
                self.assertTrue(all(e["actor_type"] == "user" for e in events[:-1]), events)

        # Reopened meanwhile: left alone.
        t = self.admin.ticket(reopened["id"])
        self.assertEqual(t["status"], "in_progress")
        self.assertEqual(system_closes(self.admin.events(reopened["id"])), [])

        # Confirmed by the requester meanwhile: closed once, by the requester.
        events = self.admin.events(confirmed["id"])
        self.assertEqual(self.admin.ticket(confirmed["id"])["status"], "closed")
        self.assertEqual(len(closes(events)), 1, events)
        self.assertEqual((closes(events)[0]["actor_type"], closes(events)[0]["actor_id"]),
                         ("user", req_user["id"]))

        # Resolved twice: the first job finds a newer resolution, the second closes it.
        self.assertEqual(len(self.jobs_of(twice["id"])), 2)
        self.assertSystemClose(self.admin.events(twice["id"]), twice["id"])
        self.assertEqual(self.admin.ticket(twice["id"])["status"], "closed")

        # Resolved while auto-close was off: no job, still resolved.
        self.assertEqual(self.jobs_of(untouched_disabled["id"]), [])
        self.assertEqual(self.admin.ticket(untouched_disabled["id"])["status"], "resolved")
        self.assertEqual(self.admin.ticket(cancelled["id"])["status"], "cancelled")
        self.assertEqual(self.jobs_of(cancelled["id"]), [])

        # A ticket resolved now (clock ahead) is due an hour after that, not before.
        later = self.resolve(self.admin, req.create_ticket()["id"])
        j = self.jobs_of(later["id"])
        self.assertEqual(len(j), 1)
        self.assertEqual(j[0]["status"], "queued")
        self.assertEqual(parse_ts(j[0]["due_at"]),
                         parse_ts(later["resolved_at"]) + timedelta(hours=1))
        self.assertEqual(self.admin.ticket(later["id"])["status"], "resolved")


class AutoClosePolicyChangeTests(JobsHelpers, DeskTestCase):
    """A queued auto-close checks the policy in force when it runs."""

    server_env = FAST

    def relaunch_ahead(self, hours):
        self.server.stop()
        self.server.extra_env["SERVICEDESK_CLOCK_OFFSET_MS"] = str(hours * HOUR_MS)
        self.server.launch()

    def test_disabled_or_longer_delay_since_the_resolution(self):
        self.set_policy(True, 1)
        off = self.resolve(self.admin, self.admin.create_ticket()["id"])
        self.set_policy(False, 1)
        self.relaunch_ahead(2)
        self.wait_jobs_settled(self.admin)
        self.assertEqual(self.admin.ticket(off["id"])["status"], "resolved",
                         "closed although auto-close was disabled before it was due")
        self.assertEqual(system_closes(self.admin.events(off["id"])), [])
        self.assertEqual([j["status"] for j in self.jobs_of(off["id"])], ["done"])

        # Resolved (server clock +2 h) under 1 h; then the delay grows to 3 h.
        self.set_policy(True, 1)
        grew = self.resolve(self.admin, self.admin.create_ticket()["id"])
        self.set_policy(True, 3)
        self.relaunch_ahead(4)  # the first job is due, the new delay is not over

        def rescheduled():
            js = self.jobs_of(grew["id"])
            return js if len(js) == 2 and js[1]["status"] == "done" else None

        jobs = wait_until(rescheduled, WORK_DEADLINE, "the auto-close looked at again later",
                          interval=0.05)
        self.assertEqual(jobs[0]["status"], "queued", repr(jobs))
        self.assertEqual(jobs[0]["payload"], jobs[1]["payload"])
        self.assertEqual(parse_ts(jobs[0]["due_at"]),
                         parse_ts(grew["resolved_at"]) + timedelta(hours=3))
        self.assertEqual(self.admin.ticket(grew["id"])["status"], "resolved")

        self.relaunch_ahead(6)
        self.wait_jobs_settled(self.admin)
        self.assertSystemClose(self.admin.events(grew["id"]), grew["id"])
        # re-enabling does not revive the closing skipped while disabled
        self.assertEqual(self.admin.ticket(off["id"])["status"], "resolved")


# --------------------------------------------------------------------------- crash safety


class CrashSafetyTests(JobsHelpers, DeskTestCase):
    """kill -9 while auto-close jobs run: after restarts every effect happens exactly once."""

    server_env = {"SERVICEDESK_JOBS_LEASE_MS": "1500", "SERVICEDESK_JOBS_POLL_MS": "50"}
    TICKETS = 300
    KILLS = 4       # at least this many kills
    MAX_KILLS = 10  # more while no kill has yet caught a node holding leased jobs

    def job_states(self, pid=None):
        """Auto-close jobs by status; "held" counts the running ones leased by process pid."""
        mine = f"lease_owner LIKE '%:{int(pid)}:%'" if pid else "1 = 0"
        rows = self.server.sql(
            f"SELECT status, CASE WHEN {mine} THEN 1 ELSE 0 END, COUNT(*) FROM jobs "
            f"WHERE kind = '{AUTO_CLOSE}' GROUP BY 1, 2")
        out = {}
        for status, held, count in rows:
            out[status] = out.get(status, 0) + int(count)
            if status == "running" and held == "1":
                out["held"] = out.get("held", 0) + int(count)
        return out

    def test_kill_9_while_jobs_run_then_every_ticket_closes_once(self):
        n = self.TICKETS
        self.set_policy(True, 1)
        tickets = self.resolved_tickets(self.admin, n)
        ids = {t["id"] for t in tickets}
        self.assertEqual(self.job_states(), {"queued": n})

        self.server.stop()
        self.server.extra_env.update(AHEAD)
        kills = []  # per kill: (done before, done after, jobs the killed node held)
        step = n // 10
        while True:
            before = self.job_states().get("done", 0)
            self.server.launch()
            pid = self.server.proc.pid
            if kills:
                # Once some more work is done, kill while this node holds leased jobs (in
                # the middle of a batch), or when everything is done.
                target = min(before + step, n)

                def moment():
                    st = self.job_states(pid)
                    return st.get("done", 0) >= n or (st.get("done", 0) >= target
                                                      and st.get("held", 0) > 0)

                wait_until(moment, WORK_DEADLINE, f"{target} jobs done, more running, before "
                           f"kill {len(kills)}", interval=0.0005)
            # else: kill at once, as soon as the server listens
            rc = self.server.kill()
            self.assertNotEqual(rc, 0, "the server exited by itself")
            st = self.job_states(pid)
            self.assertNotIn("failed", st, f"after kill {len(kills)}: {st}")
            kills.append((before, st.get("done", 0), st.get("held", 0)))
            caught = any(held for *_, held in kills)
            if st.get("done", 0) >= n or len(kills) >= self.MAX_KILLS or (
                    caught and len(kills) >= self.KILLS):
                break
        # Jobs a dead node held wait for their lease to pass, then run on the next one.
        self.assertTrue(any(held for *_, held in kills),
                        f"no kill caught a node holding leased jobs: {kills}")

        self.server.launch()
        self.admin = self.server.admin_client()
        done = self.wait_jobs_settled(self.admin, expected=n)
        self.assertEqual({j["payload"]["ticket_id"] for j in done}, ids, "one job per ticket")
        for j in done:
            self.assertEqual(j["status"], "done", repr(j))
            self.assertTrue(1 <= j["attempts"] <= j["max_attempts"], repr(j))
        self.assertTrue(any(j["attempts"] >= 2 for j in done),
                        f"no job was taken over from a killed node: {kills}")
        counts = self.admin.list_page({"limit": 1}, path=f"{API}/admin/jobs")["counts"]
        self.assertEqual(counts["failed"], 0, counts)
        self.assertEqual(counts["running"], 0, counts)
        self.assertEqual(self.job_states(), {"done": n})

        self.assertEqual(self.admin.list_all({"status": "resolved"}), [], "tickets left resolved")
        events = self.events_of(ids)
        for tid in sorted(ids):
            self.assertSystemClose(events[tid], tid)
        self.assertNotIn('"msg":"job failed"', self.server.log_text())

    def events_of(self, ids, threads=4):
        out, lock = {}, threading.Lock()
        todo = sorted(ids)

        def worker(part):
            c = self.server.admin_client()
            for tid in part:
                ev = c.events(tid)
                with lock:
                    out[tid] = ev

        ts = [threading.Thread(target=worker, args=(todo[i::threads],)) for i in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(120)
        self.assertEqual(set(out), set(ids))
        return out


# --------------------------------------------------------------------------- two nodes


class TwoNodeTests(JobsHelpers, DeskTestCase):
    """Two servers on one PostgreSQL, both with the clock ahead, share the due jobs."""

    server_env = FAST
    TICKETS = 200

    @classmethod
    def setUpClass(cls):
        if (cls.backend or os.environ.get("SD_TEST_BACKEND") or "sqlite").lower() != "postgres":
            raise unittest.SkipTest("several nodes need PostgreSQL (SQLite supports a single node)")
        super().setUpClass()

    def test_each_due_job_takes_effect_once_across_nodes(self):
        n = self.TICKETS
        self.set_policy(True, 1)
        tickets = self.resolved_tickets(self.admin, n)
        ids = {t["id"] for t in tickets}

        # Started together, and the jobs held back until both are up and polling, so
        # that both find the same due jobs: the node that starts first must not drain
        # them alone before the other is there.
        with self.server.rows_locked(f"SELECT id FROM jobs WHERE kind = '{AUTO_CLOSE}' AND "
                                     "status = 'queued'") as held:
            self.assertGreaterEqual(held, n)
            node2 = self.start_two_nodes(AHEAD)
            time.sleep(0.2)
            self.assertEqual(len(self.jobs(kind=AUTO_CLOSE, status="done")), 0,
                             "a held job was run")
        pids = {str(self.server.proc.pid), str(node2.proc.pid)}

        done = self.wait_jobs_settled(self.admin, expected=n)
        self.assertEqual({j["payload"]["ticket_id"] for j in done}, ids)
        owners = {}
        for j in done:
            self.assertEqual(j["status"], "done", repr(j))
            self.assertEqual(j["attempts"], 1, f"a job ran twice: {j}")
            owners.setdefault(j["lease_owner"], 0)
            owners[j["lease_owner"]] += 1
        for owner in owners:
            self.assertTrue(any(f":{pid}:" in f":{owner}:" for pid in pids),
                            f"job done by {owner!r}, not one of the nodes {pids}")
        # Both found due work: the test did exercise two takers.
        self.assertEqual(len(owners), 2, f"jobs done per node: {owners}")

        via2 = node2.admin_client()
        self.assertEqual(via2.list_all({"status": "resolved"}), [])
        for tid in sorted(ids):
            self.assertSystemClose(self.admin.events(tid), tid)

        # Both nodes started on one day: one daily maintenance per UTC date.
        days = [j["due_at"][:10] for j in self.jobs(kind=MAINTENANCE)]
        self.assertEqual(len(days), len(set(days)), f"maintenance jobs per day: {days}")
        self.assertEqual(node2.stop(check=False), 0, "node 2 did not exit 0 on SIGTERM; log:\n"
                         + node2.log_tail())


# --------------------------------------------------------------------------- admin API


class AdminJobsTests(JobsHelpers, DeskTestCase):
    server_env = FAST

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clients = {}
        for role in ("requester", "agent", "supervisor"):
            _, cls.clients[role] = cls.make_user(role)
        # queued auto-close jobs, due in 72 hours: they stay queued during these tests
        cls.tickets = []
        for _ in range(7):
            t = cls.admin.create_ticket()
            cls.admin.transition(t["id"], "in_progress")
            cls.tickets.append(cls.admin.transition(t["id"], "resolved"))

    def job(self, job_id):
        found = [j for j in self.jobs() if j["id"] == job_id]
        self.assertEqual(len(found), 1, f"job {job_id} in the list")
        return found[0]

    def test_list_shape_order_and_counts(self):
        r = self.admin.get(f"{API}/admin/jobs", params={"limit": 200})
        self.assertStatus(r, 200)
        self.assertEqual(r.content_type, "application/json")
        body = r.json()
        self.assertEqual(set(body), {"items", "next_cursor", "counts"})
        self.assertEqual(set(body["counts"]), {"queued", "running", "failed"})
        for v in body["counts"].values():
            self.assertIsInstance(v, int)
        items = body["items"]
        for j in items:
            self.assertJobShape(j)
        got = [j["id"] for j in items]
        self.assertEqual(got, sorted(got, reverse=True), "newest first")
        self.assertIsNone(body["next_cursor"])
        everything = self.jobs()
        for status in ("queued", "running", "failed"):
            self.assertEqual(body["counts"][status],
                             sum(1 for j in everything if j["status"] == status), status)
        mine = {t["id"] for t in self.tickets}
        auto = [j for j in everything if j["kind"] == AUTO_CLOSE]
        self.assertTrue(mine <= {j["payload"]["ticket_id"] for j in auto})

    def test_daily_maintenance_is_enqueued_once_per_utc_day(self):
        def per_day():
            days = {}
            for j in self.jobs(kind=MAINTENANCE):
                self.assertEqual(j["payload"], {}, repr(j))
                days.setdefault(j["due_at"][:10], []).append(j)
            return days

        def started_one_ran():
            d = per_day()
            return d if any(j["status"] == "done" for js in d.values() for j in js) else None

        today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
        days = wait_until(started_one_ran, 10, "the maintenance enqueued at start done",
                          interval=0.05)
        for day, js in days.items():
            self.assertEqual(len(js), 1, f"maintenance jobs due {day}: {js}")
        self.assertTrue(any(day >= today for day in days), days)
        self.assertTrue(any(j["status"] == "queued" for js in days.values() for j in js),
                        f"no next maintenance queued: {days}")
        self.server.restart()
        again = per_day()
        for day, js in again.items():
            self.assertEqual(len(js), 1, f"after a restart, maintenance jobs due {day}: {js}")
        self.assertEqual(set(again) - set(days) - {today}, set(), (days, again))

    def test_filters(self):
        self.server.insert_job("test.unknown", due_in_ms=HOUR_MS * 1000)  # queued, far away
        everything = self.jobs()
        kinds = {j["kind"] for j in everything}
        self.assertTrue({AUTO_CLOSE, MAINTENANCE, "test.unknown"} <= kinds, kinds)
        cases = [
            ({"status": "queued"}, lambda j: j["status"] == "queued"),
            ({"status": "done"}, lambda j: j["status"] == "done"),
            ({"status": "queued,failed"}, lambda j: j["status"] in ("queued", "failed")),
            ({"kind": AUTO_CLOSE}, lambda j: j["kind"] == AUTO_CLOSE),
            ({"kind": MAINTENANCE, "status": "done"},
             lambda j: j["kind"] == MAINTENANCE and j["status"] == "done"),
            ({"kind": "test.unknown"}, lambda j: j["kind"] == "test.unknown"),
            ({"kind": "no.such.kind"}, lambda j: False),
            ({"kind": "ticket"}, lambda j: False),  # exact, not a prefix
        ]
        for params, pred in cases:
            with self.subTest(params=params):
                got = self.jobs(**params)
                want = [j["id"] for j in self.jobs() if pred(j)]
                self.assertEqual([j["id"] for j in got], want)
        for params in ({"status": "bogus"}, {"status": "queued,bogus"}, {"status": ""},
                       {"status": "Queued"}, {"limit": "0"}, {"limit": "201"},
                       {"limit": "ten"}, {"cursor": "not-a-cursor"}, {"kind": "k" * 101},
                       {"sort": "id"}):
            with self.subTest(bad=params):
                self.assertProblem(self.admin.get(f"{API}/admin/jobs", params=params), 400)

    def test_cursor_paging(self):
        expected = [j["id"] for j in self.jobs(kind=AUTO_CLOSE)]
        self.assertGreaterEqual(len(expected), 7)
        seen, cursor, pages = [], None, 0
        while True:
            params = {"kind": AUTO_CLOSE, "limit": 2}
            if cursor is not None:
                params["cursor"] = cursor
            page = self.admin.list_page(params, path=f"{API}/admin/jobs")
            pages += 1
            self.assertLessEqual(len(page["items"]), 2)
            self.assertIn("counts", page)
            seen += [j["id"] for j in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
            self.assertIsInstance(cursor, str)
            self.assertLess(pages, 100, "paging does not end")
        self.assertEqual(seen, expected, "pages of 2 differ from one page")
        full_pages = (len(expected) + 1) // 2
        self.assertIn(pages, (full_pages, full_pages + 1), "a last, empty page at most")

    def test_failed_job_and_retry(self):
        job_id = self.server.insert_job("test.unknown", max_attempts=1,
                                        payload={"probe": unique("probe")})

        def failed():
            j = self.job(job_id)
            return j if j["status"] == "failed" else None

        j = wait_until(failed, 10, f"job {job_id} failed", interval=0.05)
        self.assertJobShape(j)
        self.assertEqual((j["attempts"], j["max_attempts"]), (1, 1), repr(j))
        self.assertIn("no handler for jobs of kind test.unknown", j["last_error"])
        self.assertIsNone(j["done_at"])
        self.assertGreaterEqual(self.admin.list_page({"limit": 1}, path=f"{API}/admin/jobs")
                                ["counts"]["failed"], 1)
        self.assertIn(job_id, [x["id"] for x in self.jobs(status="failed")])
        self.server.wait_for_log(lambda log: any('"msg":"job failed"' in line and
                                                 f'"job_id":{job_id},' in line for line in log),
                                 what=f"the failure of job {job_id} in the log")

        path = f"{API}/admin/jobs/{job_id}/retry"
        for role, c in self.clients.items():
            with self.subTest(role=role):
                self.assertProblem(c.post(path), 403)
        self.assertProblem(self.server.client().post(path), 401)
        self.assertProblem(self.admin.post(path, csrf=False), 403)
        self.assertEqual(self.job(job_id), j, "a refused retry changed the job")

        r = self.admin.post(path)
        self.assertStatus(r, 200)
        self.assertEqual(r.content_type, "application/json")
        retried = r.json()
        self.assertJobShape(retried)
        self.assertEqual((retried["id"], retried["kind"], retried["payload"]),
                         (job_id, "test.unknown", j["payload"]))
        self.assertEqual((retried["status"], retried["attempts"]), ("queued", 0), repr(retried))
        self.assertLessEqual(parse_ts(retried["due_at"]),
                             datetime.now(timezone.utc) + timedelta(seconds=5), "due at once")

        # It runs again (and fails again: still no handler). Told by its attempts, not
        # by its updated_at: the runner, woken by the retry's commit, may claim it and
        # record the failure within the same millisecond.
        def failed_again():
            x = self.job(job_id)
            ran = x["status"] == "failed" and x["attempts"] >= 1
            return x if ran else None

        again = wait_until(failed_again, 10, f"job {job_id} run again", interval=0.05)
        self.assertEqual(again["attempts"], 1, repr(again))

    def test_retry_refuses_jobs_that_have_not_failed(self):
        done = self.jobs(status="done")
        queued = self.jobs(kind=AUTO_CLOSE, status="queued")
        self.assertTrue(done and queued, (done, queued))
        for j in (done[0], queued[0]):
            with self.subTest(status=j["status"]):
                r = self.admin.post(f"{API}/admin/jobs/{j['id']}/retry")
                self.assertProblem(r, 409)
                self.assertEqual(self.job(j["id"])["status"], j["status"])
        top = max(j["id"] for j in self.jobs())
        for bad in (str(top + 1000), "999999999", "0", "abc"):
            with self.subTest(id=bad):
                self.assertProblem(self.admin.post(f"{API}/admin/jobs/{bad}/retry"), 404)
        self.assertProblem(self.admin.get(f"{API}/admin/jobs/{done[0]['id']}/retry"), 405)

    def test_only_admins_see_jobs(self):
        for role, c in self.clients.items():
            with self.subTest(role=role):
                self.assertProblem(c.get(f"{API}/admin/jobs"), 403)
        self.assertProblem(self.server.client().get(f"{API}/admin/jobs"), 401)


if __name__ == "__main__":
    unittest.main()

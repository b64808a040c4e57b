"""Service-level clocks on tickets (issue 8): "sla" in the ticket, first response, pauses,
resolution and reopening, policy changes, the warnings and breaches the desk writes once
each (across restarts, kill -9 and two nodes), the default escalation rules, the
notifications and the outbox, and the due-soonest and breaching-soon queues. Time travels
by relaunching the server with SERVICEDESK_CLOCK_OFFSET_MS."""

import os
import sys
import time
import unittest
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import API, DeskTestCase, unique, unique_email, wait_until  # noqa: E402

FAST = {"SERVICEDESK_JOBS_POLL_MS": "50"}
MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
SLA_KEYS = {"policy_id", "first_response_due_at", "resolution_due_at", "first_response_at",
            "paused", "first_response_breached", "resolution_breached"}


def ms(text):
    return round(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
                 .replace(tzinfo=timezone.utc).timestamp() * 1000)


class ClockHelpers:
    def policy(self, fr=60, res=240, **extra):
        body = {"name": unique("SLA "), "first_response_minutes": fr, "resolution_minutes": res,
                **extra}
        r = self.admin.post(f"{API}/sla-policies", json=body)
        self.assertStatus(r, 201)
        return r.json()

    def sla(self, ticket_id, client=None):
        r = (client or self.agent).get(f"{API}/tickets/{ticket_id}")
        self.assertStatus(r, 200)
        return r.json()["sla"]

    def moments(self, ticket_id):
        return [(e["kind"], e["field"]) for e in self.admin.events(ticket_id)
                if e["kind"] in ("sla_warning", "sla_breach")]

    def relaunch_ahead(self, hours, server=None):
        s = server or self.server
        s.stop()
        s.extra_env["SERVICEDESK_CLOCK_OFFSET_MS"] = str(int(hours * HOUR_MS))
        s.launch()

    def wait_checks_done(self, timeout=30.0):
        def settled():
            page = self.admin.list_page({"kind": "sla.check", "status": "queued,running,failed",
                                         "limit": 200}, path=f"{API}/admin/jobs")
            failed = [j for j in page["items"] if j["status"] == "failed"]
            if failed:
                self.fail(f"checks failed: {failed[:3]}")
            # Checks not yet due stay queued: settled when none is due.
            now = datetime.now(timezone.utc).timestamp() * 1000 + int(
                self.server.extra_env.get("SERVICEDESK_CLOCK_OFFSET_MS", "0"))
            return not [j for j in page["items"] if ms(j["due_at"]) <= now]
        wait_until(settled, timeout, "every due service-level check done", interval=0.05)


class TicketClockTests(ClockHelpers, DeskTestCase):
    server_env = FAST

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent_user, cls.agent = cls.make_user("agent")
        cls.requester_user, cls.requester = cls.make_user("requester")

    def setUp(self):
        # One policy for every ticket of the test, tried first.
        self.pol = self.policy(60, 240, rank=-100 - len(self.id()))

    def tearDown(self):
        self.admin.delete(f"{API}/sla-policies/{self.pol['id']}")
        super().tearDown()

    def test_a_ticket_carries_its_clocks_for_staff_only(self):
        t = self.requester.create_ticket()
        self.assertNotIn("sla", t, "requesters do not see service levels")
        self.assertNotIn("sla", self.requester.ticket(t["id"]))
        s = self.sla(t["id"])
        self.assertTrue(SLA_KEYS <= set(s), s)
        self.assertEqual(s["policy_id"], self.pol["id"])
        created = ms(t["created_at"])
        self.assertEqual(ms(s["first_response_due_at"]), created + 60 * MINUTE_MS)
        self.assertEqual(ms(s["resolution_due_at"]), created + 240 * MINUTE_MS)
        self.assertEqual(ms(s["first_response_warning_at"]), created + 45 * MINUTE_MS)
        self.assertIsNone(s["first_response_at"])
        self.assertFalse(s["paused"] or s["first_response_breached"] or s["resolution_breached"])
        self.assertTrue(3500 <= s["first_response_seconds_left"] <= 3600, s)
        # Lists carry it too, and the requester's list does not.
        row = next(x for x in self.agent.list_all({"status": "open"}) if x["id"] == t["id"])
        self.assertEqual(row["sla"], s)
        mine = self.requester.list_all()
        self.assertTrue(all("sla" not in x for x in mine))

    def test_only_a_public_reply_by_staff_is_a_first_response(self):
        t = self.requester.create_ticket()
        self.requester.comment(t["id"], "¿Alguna novedad?")
        self.agent.comment(t["id"], "Nota interna", internal=True)
        self.assertIsNone(self.sla(t["id"])["first_response_at"])
        reply = self.agent.comment(t["id"], "Lo estamos revisando.")
        s = self.sla(t["id"])
        self.assertEqual(s["first_response_at"], reply["created_at"])
        self.assertTrue(s["first_response_met"])
        self.assertIsNone(s["first_response_seconds_left"])
        self.agent.comment(t["id"], "Segunda respuesta")
        self.assertEqual(self.sla(t["id"])["first_response_at"], reply["created_at"],
                         "the first response stays the first")

    def test_a_pause_status_stops_the_resolution_clock_and_resuming_keeps_the_target(self):
        t = self.requester.create_ticket()
        tid = t["id"]
        self.admin.patch(f"{API}/tickets/{tid}", json={"assignee_id": self.agent_user["id"]})
        self.agent.transition(tid, "in_progress")
        pending = self.agent.transition(tid, "pending")
        s = self.sla(tid)
        self.assertTrue(s["paused"])
        self.assertIsNone(s["resolution_due_at"], "a clock standing still is not due")
        left = s["resolution_seconds_left"]
        self.assertTrue(0 < left <= 240 * 60, s)
        self.assertIsNotNone(s["first_response_due_at"], "a pause does not stop the first response")
        resumed = self.agent.transition(tid, "in_progress")
        s = self.sla(tid)
        self.assertFalse(s["paused"])
        paused_ms = ms(resumed["updated_at"]) - ms(pending["updated_at"])
        self.assertEqual(ms(s["resolution_due_at"]),
                         ms(t["created_at"]) + 240 * MINUTE_MS + paused_ms)

    def test_resolved_stands_still_and_reopened_resumes(self):
        t = self.requester.create_ticket()
        tid = t["id"]
        self.admin.patch(f"{API}/tickets/{tid}", json={"assignee_id": self.agent_user["id"]})
        self.agent.transition(tid, "in_progress")
        resolved = self.agent.transition(tid, "resolved")
        s = self.sla(tid)
        self.assertTrue(s["paused"] and s["resolution_met"], s)
        self.assertIsNone(s["resolution_seconds_left"])
        reopened = self.requester.transition(tid, "in_progress")
        s = self.sla(tid)
        self.assertFalse(s["resolution_met"])
        stood = ms(reopened["updated_at"]) - ms(resolved["updated_at"])
        self.assertEqual(ms(s["resolution_due_at"]), ms(t["created_at"]) + 240 * MINUTE_MS + stood)

    def test_a_change_of_priority_chooses_the_policy_again_from_creation(self):
        urgent = self.policy(15, 60, rank=-1000, match={"priorities": ["critical"]})
        try:
            t = self.requester.create_ticket(impact="not_critical", criticality="low")
            self.assertEqual(self.sla(t["id"])["policy_id"], self.pol["id"])
            r = self.admin.patch(f"{API}/tickets/{t['id']}",
                                 json={"impact": "loss_of_functionality", "criticality": "high"})
            self.assertStatus(r, 200)
            self.assertEqual(r.json()["priority"], "critical")
            s = r.json()["sla"]
            self.assertEqual(s["policy_id"], urgent["id"])
            self.assertEqual(ms(s["resolution_due_at"]), ms(t["created_at"]) + 60 * MINUTE_MS,
                             "the new targets count from creation")
        finally:
            self.admin.delete(f"{API}/sla-policies/{urgent['id']}")

    def test_a_new_policy_reaches_open_tickets_by_the_sweep(self):
        t = self.requester.create_ticket()
        later = self.policy(5, 50, rank=-5000)
        try:
            wait_until(lambda: self.sla(t["id"])["policy_id"] == later["id"], 15,
                       "the sweep put the open ticket under the new policy")
            s = self.sla(t["id"])
            self.assertEqual(ms(s["resolution_due_at"]), ms(t["created_at"]) + 50 * MINUTE_MS)
        finally:
            self.admin.delete(f"{API}/sla-policies/{later['id']}")
        wait_until(lambda: (self.sla(t["id"]) or {}).get("policy_id") == self.pol["id"], 15,
                   "deleting the policy put the ticket back under the other")

    def test_queues_sort_by_due_and_count_what_is_breaching(self):
        a = self.requester.create_ticket()
        b = self.requester.create_ticket()
        # b is answered: only its resolution is due, later than a's first response.
        self.agent.comment(b["id"], "Respuesta")
        rows = self.agent.list_all({"status": "open", "sort": "sla_due"})
        ids = [x["id"] for x in rows]
        self.assertLess(ids.index(a["id"]), ids.index(b["id"]))
        dues = [x["sla"] and x["sla"].get("first_response_seconds_left") for x in rows]
        self.assertTrue(dues, "rows carry their countdown")
        counts = self.agent.get(f"{API}/tickets/counts?sla_window=90").json()
        soon = self.agent.list_all({"status": "open", "sla": "soon", "sla_window": "90"})
        self.assertIn(a["id"], [x["id"] for x in soon])
        self.assertNotIn(b["id"], [x["id"] for x in soon])
        self.assertEqual(counts["sla_soon"], len(soon))
        self.assertEqual(counts["sla_breached"],
                         len(self.agent.list_all({"status": "open", "sla": "breached"})))
        r = self.requester.get(f"{API}/tickets?sort=sla_due")
        self.assertProblem(r, 400)
        r = self.requester.get(f"{API}/tickets?sla=breached")
        self.assertProblem(r, 400)
        self.assertProblem(self.agent.get(f"{API}/tickets?sla=late"), 400)
        self.assertProblem(self.agent.get(f"{API}/tickets/counts?sla_window=0"), 400)


class BreachTests(ClockHelpers, DeskTestCase):
    """The clock moved ahead: warnings and breaches, once each, and what they set off."""

    server_env = dict(FAST)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent_user, cls.agent = cls.make_user("agent")
        cls.requester_user, cls.requester = cls.make_user("requester")
        cls.contacts = {}
        for level in (2, 3, 4):
            r = cls.admin.post(f"{API}/escalation-contacts",
                               json={"level": level, "role": f"Nivel {level}",
                                     "name": f"Contacto {level} {unique()}",
                                     "email": unique_email(f"nivel{level}")})
            assert r.status == 201, r
            cls.contacts[level] = r.json()

    def test_moments_are_written_once_and_the_default_rules_escalate(self):
        self.policy(10, 20, rank=-10)
        t = self.requester.create_ticket()
        tid = t["id"]
        self.admin.patch(f"{API}/tickets/{tid}", json={"assignee_id": self.agent_user["id"]})
        self.assertEqual(self.moments(tid), [])
        self.relaunch_ahead(1)
        wait_until(lambda: len(self.moments(tid)) == 4, 15, "four moments written")
        self.wait_checks_done()
        self.assertEqual(self.moments(tid), [("sla_warning", "first_response"),
                                             ("sla_breach", "first_response"),
                                             ("sla_warning", "resolution"),
                                             ("sla_breach", "resolution")])
        events = self.admin.events(tid)
        moment = next(e for e in events if e["kind"] == "sla_breach")
        self.assertTrue(moment["internal"])
        self.assertEqual(moment["actor_type"], "system")
        self.assertEqual(ms(moment["new_value"]), ms(t["created_at"]) + 10 * MINUTE_MS,
                         "the event says when the target was reached")
        # First response missed: directory level 2; resolution missed: level 3 and
        # support level 3.
        notices = [e for e in events if e["kind"] == "escalation"
                   and e["field"] == "escalation_level"]
        self.assertEqual([e["new_value"] for e in notices], ["2", "3"])
        self.assertIn(self.contacts[2]["name"], notices[0]["body"])
        self.assertIn("first_response breached", notices[0]["body"])
        levels = [e for e in events if e["field"] == "support_level"]
        self.assertEqual([(e["old_value"], e["new_value"]) for e in levels], [("1", "3")])
        self.assertIn("resolution breached", levels[0]["body"])
        self.assertIn("Notified: ", levels[0]["body"], "who was told of the new level")
        ticket = self.admin.ticket(tid)
        self.assertEqual(ticket["support_level"], 3)
        self.assertTrue(ticket["sla"]["resolution_breached"])
        outbox = self.admin.get(f"{API}/admin/outbox").json()["items"]
        mine = [m for m in outbox if m["ticket_id"] == tid and m["kind"] == "escalation_notice"]
        self.assertEqual(sorted(m["to_address"] for m in mine),
                         sorted([self.contacts[2]["email"], self.contacts[3]["email"]]))
        self.assertTrue(all(m["message_id"].startswith(f"sd.{tid}.") for m in mine))
        self.assertTrue(all(t["number"] in m["subject"] for m in mine))
        self.assertProblem(self.agent.get(f"{API}/admin/outbox"), 403)
        # The assignee was told, in the bell.
        n = self.agent.get(f"{API}/notifications").json()
        kinds = [(x["kind"], x["detail"]) for x in n["items"] if x["ticket_id"] == tid]
        self.assertIn(("sla_breach", "first_response"), kinds)
        self.assertIn(("sla_warning", "resolution"), kinds)
        self.assertGreaterEqual(n["unread"], 4)
        first = n["items"][0]["id"]
        self.assertEqual(self.agent.post(f"{API}/notifications/{first}/read").json(),
                         {"marked": 1})
        self.assertEqual(self.agent.post(f"{API}/notifications/read-all").json()["marked"],
                         n["unread"] - 1)
        self.assertEqual(self.agent.get(f"{API}/notifications").json()["unread"], 0)
        # Restarted, nothing is written twice.
        self.server.restart()
        self.wait_checks_done()
        self.assertEqual(len(self.moments(tid)), 4)

    def test_loss_of_functionality_reaches_directory_level_4_at_once(self):
        t = self.requester.create_ticket(impact="loss_of_functionality", criticality="high")
        events = self.admin.events(t["id"])
        notice = [e for e in events if e["field"] == "escalation_level"]
        self.assertEqual([e["new_value"] for e in notice], ["4"])
        self.assertIn(self.contacts[4]["name"], notice[0]["body"])
        outbox = self.admin.get(f"{API}/admin/outbox").json()["items"]
        self.assertIn(self.contacts[4]["email"],
                      [m["to_address"] for m in outbox if m["ticket_id"] == t["id"]])
        # An ordinary ticket sets nothing off.
        plain = self.requester.create_ticket(impact="not_critical", criticality="low")
        self.assertEqual([e for e in self.admin.events(plain["id"])
                          if e["kind"] == "escalation"], [])

    def test_rules_are_configuration(self):
        rules = self.admin.get(f"{API}/escalation-rules").json()["items"]
        defaults = {(r["trigger"], r["target"], r["support_level"], r["directory_level"])
                    for r in rules}
        self.assertLessEqual({("sla_breach", "first_response", None, 2),
                              ("sla_breach", "resolution", 3, 3),
                              ("created", None, None, 4)}, defaults)
        r = self.admin.post(f"{API}/escalation-rules",
                            json={"name": unique("Aviso "), "trigger": "sla_warning",
                                  "target": "resolution", "priority": "high",
                                  "types": ["incident"]})
        self.assertStatus(r, 201)
        rule = r.json()
        self.assertEqual((rule["priority"], rule["types"], rule["active"]),
                         ("high", ["incident"], True))
        r = self.admin.patch(f"{API}/escalation-rules/{rule['id']}", json={"active": False})
        self.assertEqual(r.json()["active"], False)
        self.assertEqual(r.json()["priority"], "high", "what is not given stays")
        before = self.admin.get(f"{API}/escalation-rules").json()
        for bad in ({"name": "x", "trigger": "sla_breach"},  # does nothing
                    {"name": "x", "trigger": "sla_breach", "directory_level": 5},
                    {"name": "x", "trigger": "created", "target": "resolution",
                     "directory_level": 1},
                    {"name": "x", "trigger": "soon", "directory_level": 1},
                    {"name": "x", "trigger": "sla_breach", "target": "later",
                     "directory_level": 1},
                    {"name": "x", "trigger": "sla_breach", "group_id": 999999}):
            self.assertProblem(self.admin.post(f"{API}/escalation-rules", json=bad), 422)
        self.assertProblem(self.agent.post(f"{API}/escalation-rules",
                                           json={"name": "x", "trigger": "sla_breach",
                                                 "directory_level": 1}), 403)
        self.assertEqual(self.admin.get(f"{API}/escalation-rules").json(), before)
        self.assertStatus(self.admin.delete(f"{API}/escalation-rules/{rule['id']}"), 204)
        self.assertProblem(self.admin.get(f"{API}/escalation-rules/{rule['id']}"), 404)


class CrashTests(ClockHelpers, DeskTestCase):
    """kill -9 while breaches are being written: each is written exactly once."""

    server_env = dict(FAST)
    TICKETS = 40

    def test_kill_9_never_writes_a_breach_twice_or_loses_one(self):
        self.agent_user, self.agent = self.make_user("agent")
        self.policy(1, 2, rank=-10)
        token = self.admin.create_token()
        bulk = self.server.client(bearer=token)
        ids = [bulk.create_ticket()["id"] for _ in range(self.TICKETS)]
        self.server.stop()
        self.server.extra_env["SERVICEDESK_CLOCK_OFFSET_MS"] = str(HOUR_MS)
        for delay in (0.05, 0.15, 0.3, 0.5):
            self.server.launch()
            time.sleep(delay)
            self.server.kill()
        self.server.launch()
        wait_until(lambda: all(len(self.moments(i)) == 4 for i in ids), 60,
                   "every moment of every ticket written")
        self.wait_checks_done()
        for i in ids:
            self.assertEqual(sorted(self.moments(i)),
                             sorted([("sla_warning", "first_response"),
                                     ("sla_breach", "first_response"),
                                     ("sla_warning", "resolution"),
                                     ("sla_breach", "resolution")]), f"ticket {i}")


class TwoNodeClockTests(ClockHelpers, DeskTestCase):
    """Two nodes on one PostgreSQL write each moment once."""

    server_env = dict(FAST)
    # Ten claims of 32: more than one node runs in the 50 ms the other may take to
    # poll once the checks are let go.
    TICKETS = 320

    @classmethod
    def setUpClass(cls):
        if (cls.backend or os.environ.get("SD_TEST_BACKEND") or "sqlite").lower() != "postgres":
            raise unittest.SkipTest("several nodes need PostgreSQL (SQLite supports a single node)")
        super().setUpClass()

    def test_each_moment_once_across_nodes(self):
        self.policy(1, 2, rank=-10)
        token = self.admin.create_token()
        bulk = self.server.client(bearer=token)
        ids = [bulk.create_ticket()["id"] for _ in range(self.TICKETS)]
        # The checks are held back until both nodes are up and polling: the node that
        # starts first must not drain them alone before the other is there.
        with self.server.rows_locked("SELECT id FROM jobs WHERE kind = 'sla.check' AND "
                                     "status = 'queued'") as held:
            self.assertGreaterEqual(held, self.TICKETS)
            self.start_two_nodes({"SERVICEDESK_CLOCK_OFFSET_MS": str(HOUR_MS)})
            time.sleep(0.2)
            self.assertEqual(self.moments(ids[0]), [], "the held check is not run")
        wait_until(lambda: all(len(self.moments(i)) == 4 for i in ids), 60,
                   "every moment of every ticket written")
        self.wait_checks_done()
        for i in ids:
            self.assertEqual(len(self.moments(i)), 4, f"ticket {i}: {self.moments(i)}")
        owners = {j["lease_owner"] for j in self.admin.list_all(
            {"kind": "sla.check", "status": "done"}, path=f"{API}/admin/jobs")}
        self.assertGreaterEqual(len(owners), 2, f"checks done by {owners}")


if __name__ == "__main__":
    unittest.main()

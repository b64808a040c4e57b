"""Queue counts, /auth/me group ids, the escalation directory, and the web app's files."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import API, DeskTestCase, unique  # noqa: E402


class QueueCountTests(DeskTestCase):
    def counts(self, client):
        r = client.get(f"{API}/tickets/counts")
        self.assertStatus(r, 200)
        return r.json()

    def test_counts_follow_assignment_groups_and_levels(self):
        agent, agent_client = self.make_user("agent")
        group = self.admin.create_group(support_level=2, member_ids=[agent["id"]])
        me = agent_client.get(f"{API}/auth/me").json()
        self.assertEqual(me["group_ids"], [group["id"]])
        before = self.counts(agent_client)
        self.assertEqual(before["mine"], 0)
        self.assertEqual(before["my_groups"], 0)
        t1 = self.admin.create_ticket(impact="critical", criticality="low")  # level 2
        t2 = self.admin.create_ticket(impact="not_critical", criticality="low")  # level 1
        after = self.counts(agent_client)
        self.assertEqual(after["open"], before["open"] + 2)
        self.assertEqual(after["unassigned"], before["unassigned"] + 2)
        self.assertEqual(after["level_2"], before["level_2"] + 1)
        self.assertEqual(after["level_1"], before["level_1"] + 1)
        self.admin.patch_ticket(t1["id"], assignee_id=agent["id"], group_id=group["id"])
        after = self.counts(agent_client)
        self.assertEqual(after["mine"], 1)
        self.assertEqual(after["my_groups"], 1)
        self.assertEqual(after["unassigned"], before["unassigned"] + 1)
        # Closed work leaves the queues.
        self.admin.transition(t2["id"], "cancelled")
        final = self.counts(agent_client)
        self.assertEqual(final["open"], before["open"] + 1)
        self.assertEqual(final["level_1"], before["level_1"])
        # The counts agree with the lists they count.
        listed = self.admin.list_all({"status": "open", "assignee_id": "none"})
        self.assertEqual(final["unassigned"], len(listed))


class EscalationDirectoryTests(DeskTestCase):
    def test_create_list_update_delete(self):
        made = []
        for level, name in ((3, "Líder de proyecto " + unique()), (1, "Operador " + unique()),
                            (4, "Dirección " + unique()), (2, "Jefatura " + unique())):
            r = self.admin.post(f"{API}/escalation-contacts",
                                json={"level": level, "role": "Rol", "name": name,
                                      "office_phone": "+52 55 0000 0000", "email": "X@Example.com",
                                      "mobile": "ext. 123"})
            self.assertStatus(r, 201)
            self.assertEqual(r.json()["email"], "x@example.com")
            made.append(r.json())
        items = self.admin.get(f"{API}/escalation-contacts").json()["items"]
        levels = [c["level"] for c in items if c["id"] in {m["id"] for m in made}]
        self.assertEqual(levels, [1, 2, 3, 4], "the directory is sorted by level")
        target = made[0]
        r = self.admin.patch(f"{API}/escalation-contacts/{target['id']}", json={"level": 4})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["level"], 4)
        self.assertEqual(r.json()["name"], target["name"])
        r = self.admin.request("DELETE", f"{API}/escalation-contacts/{target['id']}")
        self.assertStatus(r, 204)
        r = self.admin.request("DELETE", f"{API}/escalation-contacts/{target['id']}")
        self.assertProblem(r, 404)
        ids = [c["id"] for c in self.admin.get(f"{API}/escalation-contacts").json()["items"]]
        self.assertNotIn(target["id"], ids)

    def test_invalid_contacts_are_refused(self):
        for body, field in (({"level": 5, "role": "R", "name": "N"}, "level"),
                            ({"level": 0, "role": "R", "name": "N"}, "level"),
                            ({"level": 1, "role": "", "name": "N"}, "role"),
                            ({"level": 1, "role": "R"}, "name"),
                            ({"level": 1, "role": "R", "name": "N", "email": "nope"}, "email")):
            with self.subTest(body=body):
                r = self.admin.post(f"{API}/escalation-contacts", json=body)
                self.assertProblem(r, 422, field=field)


if __name__ == "__main__":
    unittest.main()


class WebAppFilesTests(DeskTestCase):
    """The server serves a built web app from --web-root (here a stand-in folder)."""

    @classmethod
    def setUpClass(cls):
        import tempfile
        cls.web = tempfile.TemporaryDirectory(prefix="sd-web-")
        os.makedirs(os.path.join(cls.web.name, "assets"))
        with open(os.path.join(cls.web.name, "index.html"), "w") as f:
            f.write("<!doctype html><title>desk</title><div id=app></div>")
        with open(os.path.join(cls.web.name, "assets", "app-1234.js"), "w") as f:
            f.write("console.log('desk')")
        cls.previous = os.environ.get("SERVICEDESK_WEB_ROOT")
        os.environ["SERVICEDESK_WEB_ROOT"] = cls.web.name
        try:
            super().setUpClass()
        finally:
            if cls.previous is None:
                del os.environ["SERVICEDESK_WEB_ROOT"]
            else:
                os.environ["SERVICEDESK_WEB_ROOT"] = cls.previous
        cls.addClassCleanup(cls.web.cleanup)

    def test_index_assets_and_client_routes(self):
        anon = self.server.client()
        r = anon.get("/")
        self.assertStatus(r, 200)
        self.assertIn("text/html", r.headers.get("content-type"))
        self.assertIn("<div id=app>", r.text)
        self.assertIn("default-src 'self'", r.headers.get("content-security-policy") or "")
        r = anon.get("/agent/tickets/12")
        self.assertStatus(r, 200)
        self.assertIn("<div id=app>", r.text, "client routes get index.html")
        r = anon.get("/assets/app-1234.js")
        self.assertStatus(r, 200)
        self.assertIn("javascript", r.headers.get("content-type"))
        self.assertIn("immutable", r.headers.get("cache-control"))
        r = anon.get("/assets/missing.js")
        self.assertProblem(r, 404)

    def test_no_escape_from_the_web_root_and_api_stays_api(self):
        anon = self.server.client()
        for path in ("/../../etc/passwd", "/assets/../../etc/passwd", "/%2e%2e/etc/passwd",
                     "/assets/%2e%2e%2f%2e%2e%2fetc%2fpasswd"):
            with self.subTest(path=path):
                r = anon.get(path)
                self.assertNotIn("root:", r.text)
                self.assertNotEqual(r.status, 500)
        r = anon.get(f"{API}/no-such-thing")
        self.assertIn(r.status, (401, 404))
        self.assertIn("problem+json", r.headers.get("content-type"))


class GroupListFilterAndActorNameTests(DeskTestCase):
    def test_group_filter_takes_a_list_and_events_name_their_actor(self):
        g1 = self.admin.create_group(support_level=1)
        g2 = self.admin.create_group(support_level=2)
        g3 = self.admin.create_group(support_level=3)
        tickets = {}
        for g in (g1, g2, g3):
            t = self.admin.create_ticket(impact="not_critical", criticality="low")
            self.admin.patch_ticket(t["id"], group_id=g["id"])
            tickets[g["id"]] = t["id"]
        got = {t["id"] for t in self.admin.list_all({"group_id": f"{g1['id']},{g3['id']}"})}
        self.assertEqual(got, {tickets[g1["id"]], tickets[g3["id"]]})
        r = self.admin.get(f"{API}/tickets?group_id=1,x")
        self.assertProblem(r, 400)
        me = self.admin.get(f"{API}/auth/me").json()
        events = self.admin.events(tickets[g2["id"]])
        self.assertTrue(events)
        for e in events:
            if e["actor_type"] == "system":
                # the routing of the new ticket to the level-1 group: the desk itself
                self.assertEqual((e["kind"], e["actor_id"], e["actor_name"], e["new_value"]),
                                 ("assignment", None, "routing", str(g1["id"])), repr(e))
            else:
                self.assertEqual(e["actor_name"], me["name"])
        self.assertIn(("assignment", "user"), [(e["kind"], e["actor_type"]) for e in events])


class CallerWithoutEmailTests(DeskTestCase):
    def test_phone_callers_may_have_no_email(self):
        _, agent = self.make_user("agent")
        made = []
        for name in ("Caller One " + unique(), "Caller Two " + unique()):
            r = agent.post(f"{API}/users", json={"role": "requester", "name": name,
                                                 "phone": "+52 55 0300 0000"})
            self.assertStatus(r, 201)
            self.assertIsNone(r.json()["email"])
            made.append(r.json())
        found = agent.get(f"{API}/users", params={"role": "requester", "q": made[0]["name"]})
        self.assertEqual([u["id"] for u in found.json()["items"]], [made[0]["id"]])
        r = agent.post(f"{API}/tickets", json={
            "type": "incident", "subject": "Sin red", "description": "Llamó por teléfono.",
            "impact": "critical", "criticality": "medium", "channel": "phone",
            "requester_id": made[0]["id"]})
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["channel"], "phone")

    def test_email_is_required_to_sign_in_or_for_staff(self):
        for body in ({"role": "agent", "name": "No Mail"},
                     {"role": "requester", "name": "No Mail", "password": "a-long-password"}):
            with self.subTest(body=body):
                r = self.admin.post(f"{API}/users", json=body)
                self.assertProblem(r, 422, field="email")

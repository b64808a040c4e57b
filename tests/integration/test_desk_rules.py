"""The desk's rules as its users found them (issue 7, "The web app", server side):
a requester's reply reopens a resolved ticket and a closed one takes a follow-up (2),
search by ticket number, accents, case and phone spacing (3), duplicate callers (4),
routing by support level, returns, assignees cleared and the demo's spread (7), and
"assigned" needs an assignee (11)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import API, DeskTestCase, Server, unique  # noqa: E402

USERS = f"{API}/users"
ROUTING = f"{API}/settings/routing"


class DeskRuleTests(DeskTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent_user, cls.agent = cls.make_user("agent")          # level 1 only
        cls.senior_user, cls.senior = cls.make_user("agent")        # levels 1 and 2
        cls.requester_user, cls.requester = cls.make_user("requester")
        cls.other_user, cls.other = cls.make_user("requester")
        # The first group of each level is the one new tickets go to; none serves level 3.
        cls.level1 = cls.admin.create_group(
            support_level=1, member_ids=[cls.agent_user["id"], cls.senior_user["id"]])
        cls.level2 = cls.admin.create_group(support_level=2, member_ids=[cls.senior_user["id"]])
        cls.admin.create_group(support_level=1)  # a second level-1 group: not chosen

    def kinds(self, ticket_id, client=None):
        return [(e["kind"], e["field"]) for e in (client or self.admin).events(ticket_id)]

    def resolved_ticket(self):
        t = self.requester.create_ticket()
        self.admin.transition(t["id"], "in_progress")
        self.admin.transition(t["id"], "resolved")
        return t

    # ------------------------------------------------------------------ 2. reopen, follow-up

    def test_a_requesters_reply_reopens_a_resolved_ticket(self):
        t = self.resolved_ticket()
        n = len(self.admin.events(t["id"]))
        reply = self.requester.comment(t["id"], "Still broken, sorry " + unique())
        self.assertEqual(reply["kind"], "reply")
        self.assertEqual(self.admin.ticket(t["id"])["status"], "in_progress")
        new = self.requester.events(t["id"])[-2:]
        self.assertEqual([(e["kind"], e["old_value"], e["new_value"]) for e in new],
                         [("reply", "", ""), ("status_change", "resolved", "in_progress")])
        self.assertEqual(new[1]["actor_id"], self.requester_user["id"])
        self.assertIs(new[1]["internal"], False)
        self.assertEqual(len(self.admin.events(t["id"])), n + 2)
        # Staff replying to a resolved ticket leave it resolved.
        self.admin.transition(t["id"], "resolved")
        self.admin.comment(t["id"], "Here is how " + unique())
        self.assertEqual(self.admin.ticket(t["id"])["status"], "resolved")

    def test_a_closed_ticket_takes_a_follow_up_not_a_reply(self):
        t = self.resolved_ticket()
        self.requester.transition(t["id"], "closed")
        before = self.admin.events(t["id"])
        r = self.requester.post(f"{API}/tickets/{t['id']}/comments",
                                json={"body": "one more thing", "internal": False})
        self.assertProblem(r, 409)
        self.assertEqual(self.admin.events(t["id"]), before)
        self.assertEqual(self.admin.ticket(t["id"])["status"], "closed")

        follow = self.requester.create_ticket(follow_up_of=t["id"])
        self.assertEqual(follow["follow_up_of"], t["id"])
        self.assertEqual(follow["status"], "new")
        self.assertEqual(self.requester.ticket(follow["id"])["follow_up_of"], t["id"])
        self.assertEqual(self.admin.ticket(follow["id"])["follow_up_of"], t["id"])
        self.assertIsNone(self.admin.ticket(t["id"])["follow_up_of"])
        # The earlier ticket says where its story goes on, publicly.
        last = self.requester.events(t["id"])[-1]
        self.assertEqual((last["kind"], last["field"], last["new_value"], last["internal"]),
                         ("field_change", "follow_up", str(follow["id"]), False), repr(last))
        self.assertEqual(last["actor_id"], self.requester_user["id"])
        self.assertEqual(self.admin.ticket(t["id"])["status"], "closed")
        # Someone else's ticket, or none, is not found.
        for bad in (t["id"], 999999):
            with self.subTest(follow_up_of=bad):
                r = self.other.post(f"{API}/tickets", json={
                    "type": "incident", "subject": "follow " + unique(), "description": "d",
                    "impact": "not_critical", "criticality": "low", "follow_up_of": bad})
                self.assertProblem(r, 422, field="follow_up_of")
                self.assertEqual(r.json()["errors"][0]["code"], "not_found")
        self.assertEqual(self.requester.events(t["id"])[-1], last)

    # ------------------------------------------------------------------ 3. search

    def test_a_ticket_is_found_by_its_number(self):
        t = self.requester.create_ticket(subject="Impresora " + unique())
        self.admin.create_ticket()
        for q in (t["number"], t["number"].lower(), f"SD-{t['id']}", str(t["id"]),
                  f"  {t['number']} "):
            with self.subTest(q=q):
                found = [x["id"] for x in self.admin.list_page({"q": q, "limit": 200})["items"]]
                self.assertIn(t["id"], found)
                mine = [x["id"] for x in self.requester.list_page({"q": q})["items"]]
                self.assertIn(t["id"], mine)
                # Not to someone who may not see it.
                theirs = [x["id"] for x in self.other.list_page({"q": q})["items"]]
                self.assertNotIn(t["id"], theirs)
        found = self.admin.list_page({"q": t["number"]})["items"]
        self.assertEqual([x["id"] for x in found], [t["id"]], "the number found other tickets")
        # Text still matches as before.
        word = t["subject"].split()[-1]
        self.assertIn(t["id"], [x["id"] for x in self.admin.list_page({"q": word})["items"]])

    def test_tickets_are_found_with_accents_and_case_aside_every_word_counting(self):
        tag = unique("w")
        t = self.requester.create_ticket(subject=f"La línea de TELEFÓNICA no da tono {tag}",
                                         description="Llamó Andrés desde la oficina de Peñasco.")
        other = self.requester.create_ticket(subject=f"Telefonía fija {tag}")
        for q in ("telefonica", "TELEFÓNICA", "Telefonica " + tag, "andres penasco",
                  f"LINEA {tag.upper()}", "peñasco  llamó", "penasco"):
            with self.subTest(q=q):
                found = [x["id"] for x in self.admin.list_page({"q": q, "limit": 200})["items"]]
                self.assertIn(t["id"], found)
                self.assertNotIn(other["id"], found)
                mine = [x["id"] for x in self.requester.list_page({"q": q})["items"]]
                self.assertIn(t["id"], mine)
                theirs = [x["id"] for x in self.other.list_page({"q": q})["items"]]
                self.assertNotIn(t["id"], theirs)
        # Every word must be there, in the subject or the description.
        found = [x["id"] for x in self.admin.list_page({"q": f"telefonica {tag} ausente"})["items"]]
        self.assertEqual(found, [])
        both = [x["id"] for x in self.admin.list_page({"q": f"TELEFON {tag}"})["items"]]
        self.assertEqual(sorted(both), sorted([t["id"], other["id"]]))
        # Odd text is a query like any other, never an error.
        for q in ('"', "%", "_", "\\", "a%b_c", "{x,y}", "' OR 1=1 --", "NEAR(", "*"):
            with self.subTest(q=q):
                r = self.admin.get(f"{API}/tickets", params={"q": q})
                self.assertStatus(r, 200)
        pct = self.requester.create_ticket(subject=f"Descuento 100% {tag}")
        found = [x["id"] for x in self.admin.list_page({"q": f"100% {tag}"})["items"]]
        self.assertEqual(found, [pct["id"]], "a % in the query is the character itself")

    def test_staff_see_which_tickets_changed_since_they_last_read_them(self):
        t = self.requester.create_ticket(subject="Unread " + unique())

        def unread(client):
            page = client.list_page({"q": t["number"]})["items"]
            self.assertEqual([x["id"] for x in page], [t["id"]])
            return page[0].get("unread")

        self.assertIs(unread(self.admin), True, "a new ticket is unread")
        self.assertIs(unread(self.agent), True)
        self.admin.events(t["id"])  # reading the timeline reads the ticket
        self.assertIs(unread(self.admin), False)
        self.assertIs(unread(self.agent), True, "each agent has their own marks")
        self.admin.comment(t["id"], "Looking into it " + unique())
        self.assertIs(unread(self.admin), False, "what I did myself is not news to me")
        self.assertIs(unread(self.agent), True)
        self.requester.comment(t["id"], "Any news? " + unique())
        self.assertIs(unread(self.admin), True, "the requester answered")
        self.admin.ticket(t["id"])
        self.assertIs(unread(self.admin), True,
                      "reading the ticket alone is not reading its timeline")
        self.admin.events(t["id"])
        self.assertIs(unread(self.admin), False)
        # Requesters have no such marks: it is staff's bookkeeping.
        mine = self.requester.list_page({"q": t["number"]})["items"]
        self.assertNotIn("unread", mine[0])
        self.requester.events(t["id"])
        self.assertIs(unread(self.agent), True, "a requester reading changes nothing for staff")

    def test_people_are_found_with_accents_case_and_phone_spacing_aside(self):
        tag = unique("q")
        phone = "+52 55 1234 5678"
        tele = self.agent.post(USERS, json={"name": f"Ana Telefónica {tag}", "role": "requester",
                                            "phone": phone}).json()
        jose = self.agent.post(USERS, json={"name": f"José Pérez {tag}",
                                            "role": "requester"}).json()
        for q, who in (("telefonica", tele), ("TELEFÓNICA", tele), ("Telefonica " + tag, tele),
                       ("JOSE", jose), ("jose perez", jose), ("PÉREZ", jose),
                       ("5512345678", tele), ("55 1234-5678", tele), ("(55) 1234 5678", tele),
                       ("+52 55 1234 5678", tele), ("525512345678", tele)):
            with self.subTest(q=q):
                found = self.agent.list_page({"q": q, "limit": 200}, path=USERS)["items"]
                self.assertIn(who["id"], [u["id"] for u in found])
                other = jose if who is tele else tele
                self.assertNotIn(other["id"], [u["id"] for u in found])

    # ------------------------------------------------------------------ 4. duplicate callers

    def test_a_second_caller_with_the_same_name_and_phone_is_a_conflict(self):
        name = f"Carmen Núñez {unique()}"
        first = self.agent.post(USERS, json={"name": name, "role": "requester",
                                             "phone": "+52 55 0300 1234"})
        self.assertStatus(first, 201)
        first = first.json()
        for body in ({"name": name, "phone": "+52 55 0300 1234"},
                     {"name": name.upper().replace("Ú", "U"), "phone": "+52 5503001234"}):
            with self.subTest(body=body):
                r = self.agent.post(USERS, json={**body, "role": "requester"})
                self.assertProblem(r, 409)
                self.assertEqual(r.json().get("existing_id"), first["id"])
        found = self.agent.list_page({"q": name}, path=USERS)["items"]
        self.assertEqual([u["id"] for u in found], [first["id"]])
        # Meant: a second person of that name at that number.
        r = self.agent.post(USERS, json={"name": name, "role": "requester",
                                         "phone": "+52 55 0300 1234", "allow_duplicate": True})
        self.assertStatus(r, 201)
        self.assertNotEqual(r.json()["id"], first["id"])
        # Another phone is another caller.
        self.assertStatus(self.agent.post(USERS, json={"name": name, "role": "requester",
                                                       "phone": "+52 55 0300 9999"}), 201)

    # ------------------------------------------------------------------ 7. routing

    def test_new_tickets_go_to_a_group_serving_their_level(self):
        for impact, criticality, group in (("not_critical", "low", self.level1),
                                           ("critical", "low", self.level2),
                                           ("not_critical", "medium", self.level2),
                                           ("loss_of_functionality", "low", None)):
            with self.subTest(impact=impact, criticality=criticality):
                r = self.requester.post(f"{API}/tickets", json={
                    "type": "incident", "subject": "route " + unique(), "description": "d",
                    "impact": impact, "criticality": criticality})
                self.assertStatus(r, 201)
                self.assertNotIn("group_id", r.json())
                t = self.admin.ticket(r.json()["id"])
                self.assertEqual(t["group_id"], group and group["id"])
                self.assertIsNone(t["assignee_id"])
                self.assertEqual(t["status"], "new")
                events = self.admin.events(t["id"])
                routed = [e for e in events if e["kind"] == "assignment"]
                if group is None:
                    self.assertEqual(routed, [])
                    continue
                self.assertEqual(len(routed), 1, events)
                e = routed[0]
                self.assertEqual((e["field"], e["old_value"], e["new_value"], e["internal"],
                                  e["actor_type"], e["actor_id"], e["actor_name"]),
                                 ("group_id", "", str(group["id"]), True, "system", None,
                                  "routing"))
                self.assertNotIn("assignment", [x["kind"] for x in self.requester.events(t["id"])])

    def test_routing_is_a_setting_admins_change(self):
        self.assertEqual(self.agent.get(ROUTING).json(), {"group_by_level": True})
        self.assertProblem(self.requester.get(ROUTING), 403)
        self.assertProblem(self.agent.put(ROUTING, json={"group_by_level": False}), 403)
        for bad in ({}, {"group_by_level": "no"}, {"group_by_level": None},
                    {"group_by_level": False, "extra": 1}):
            with self.subTest(body=bad):
                self.assertProblem(self.admin.put(ROUTING, json=bad), 422)
        r = self.admin.put(ROUTING, json={"group_by_level": False})
        self.assertStatus(r, 200)
        self.assertEqual(r.json(), {"group_by_level": False})
        self.addCleanup(self.admin.put, ROUTING, json={"group_by_level": True})
        self.assertEqual(self.agent.get(ROUTING).json(), {"group_by_level": False})
        t = self.admin.create_ticket()
        self.assertIsNone(t["group_id"])
        self.assertEqual(self.kinds(t["id"]), [("created", "status")])
        self.assertStatus(self.admin.put(ROUTING, json={"group_by_level": True}), 200)
        self.assertEqual(self.admin.create_ticket()["group_id"], self.level1["id"])

    def test_moving_down_a_level_is_a_return(self):
        t = self.admin.create_ticket(impact="critical", criticality="low")  # level 2
        self.assertEqual(t["group_id"], self.level2["id"])
        r = self.admin.post(f"{API}/tickets/{t['id']}/escalations",
                            json={"to_level": 1, "reason": "a first-level matter"})
        self.assertStatus(r, 201)
        e = r.json()
        self.assertEqual((e["kind"], e["field"], e["old_value"], e["new_value"], e["internal"],
                          e["body"]), ("return", "support_level", "2", "1", True,
                                       "a first-level matter"))
        after = self.admin.ticket(t["id"])
        self.assertEqual((after["support_level"], after["group_id"]), (1, self.level1["id"]))
        up = self.admin.escalate(t["id"], 2, "after all")
        self.assertEqual(up["kind"], "escalation")
        kinds = [k for k, _ in self.kinds(t["id"])]
        self.assertEqual(kinds.count("return"), 1)
        self.assertEqual(kinds.count("escalation"), 1)
        # Requesters see neither (internal).
        self.assertFalse({"return", "escalation"} & {x["kind"] for x in
                                                     self.admin.events(t["id"])
                                                     if not x["internal"]})

    def test_an_assignee_outside_the_new_levels_group_is_cleared(self):
        # Assigned to an agent of level 1 only: escalated, it waits for level 2 again.
        t = self.admin.create_ticket()
        self.assertEqual(self.admin.patch_ticket(t["id"], assignee_id=self.agent_user["id"])
                         ["status"], "assigned")
        n = len(self.admin.events(t["id"]))
        self.admin.escalate(t["id"], 2)
        after = self.admin.ticket(t["id"])
        self.assertEqual((after["group_id"], after["assignee_id"], after["status"]),
                         (self.level2["id"], None, "new"))
        new = [(e["kind"], e["field"], e["old_value"], e["new_value"])
               for e in self.admin.events(t["id"])[n:]]
        self.assertIn(("assignment", "assignee_id", str(self.agent_user["id"]), ""), new)
        self.assertIn(("status_change", "status", "assigned", "new"), new)
        # Being worked on, it keeps its status but loses the assignee.
        t = self.admin.create_ticket()
        self.admin.patch_ticket(t["id"], assignee_id=self.agent_user["id"])
        self.admin.transition(t["id"], "in_progress")
        self.admin.escalate(t["id"], 2)
        after = self.admin.ticket(t["id"])
        self.assertEqual((after["assignee_id"], after["status"]), (None, "in_progress"))
        # An assignee who is in the new group stays.
        t = self.admin.create_ticket()
        self.admin.patch_ticket(t["id"], assignee_id=self.senior_user["id"])
        n = len(self.admin.events(t["id"]))
        self.admin.escalate(t["id"], 2)
        after = self.admin.ticket(t["id"])
        self.assertEqual((after["group_id"], after["assignee_id"], after["status"]),
                         (self.level2["id"], self.senior_user["id"], "assigned"))
        self.assertNotIn(("assignment", "assignee_id"),
                         [(e["kind"], e["field"]) for e in self.admin.events(t["id"])[n:]])

    # ------------------------------------------------------------------ 11. assigned

    def test_assigned_needs_an_assignee(self):
        t = self.admin.create_ticket()
        before = (self.admin.ticket(t["id"]), self.admin.events(t["id"]))
        r = self.admin.post(f"{API}/tickets/{t['id']}/transitions", json={"to": "assigned"})
        self.assertProblem(r, 409)
        self.assertEqual((self.admin.ticket(t["id"]), self.admin.events(t["id"])), before)
        self.admin.patch_ticket(t["id"], assignee_id=self.agent_user["id"])
        self.admin.transition(t["id"], "new")  # back to the queue, still assigned to them
        self.assertEqual(self.admin.transition(t["id"], "assigned")["status"], "assigned")


class DemoSpreadTests(unittest.TestCase):
    """Item 7: the demo desk looks like a real one: most tickets small (level 1, not
    critical), few for specialists, and an escalation directory for levels 1 to 4."""

    def test_demo_data_has_a_realistic_spread(self):
        # The spread is the demo generator's, the same on either store; on SQLite it
        # loads in a second, on PostgreSQL in ten.
        server = Server("sqlite").prepare_store()
        self.addCleanup(server.close)
        res = server.run_cli(["demo", "--tickets", "2000"], timeout=120)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("demo loaded: 2000 tickets", res.stdout)
        levels = {int(k): int(n) for k, n in server.sql(
            "SELECT support_level, count(*) FROM tickets GROUP BY support_level")}
        self.assertEqual(sum(levels.values()), 2000)
        self.assertGreater(levels.get(1, 0), 1000, f"tickets per level: {levels}")
        self.assertLess(levels.get(3, 0), 400, f"tickets per level: {levels}")
        priorities = dict(server.sql("SELECT priority, count(*) FROM tickets GROUP BY priority"))
        critical = sum(int(n) for p, n in priorities.items() if p in ("critical", "1"))
        self.assertLess(critical, 200, f"tickets per priority: {priorities}")
        impacts = dict(server.sql("SELECT impact, count(*) FROM tickets GROUP BY impact"))
        self.assertGreater(int(impacts.get("not_critical", 0)), 1000, f"per impact: {impacts}")
        contacts = server.sql("SELECT level, name, email FROM escalation_contacts ORDER BY level")
        self.assertEqual({int(c[0]) for c in contacts}, {1, 2, 3, 4}, contacts)
        for level, name, email in contacts:
            self.assertTrue(name.strip(), contacts)
            self.assertRegex(email, r"@([a-z0-9-]+\.)*example\.(com|org|net)$",
                             "a demo contact with a real-looking address")


if __name__ == "__main__":
    unittest.main()

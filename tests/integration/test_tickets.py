"""Tickets: creation, priority matrix, lists (filters, sorts, cursors), edits,
lifecycle, comments, escalations and the event timeline (docs/api.md, Tickets)."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    API, DEFAULT_MATRIX, OPEN_STATUSES, PRIORITY_RANK, STATUS_CATEGORIES, STATUS_CATEGORY,
    STATUSES, TIMESTAMP_RE, DeskTestCase, expected_priority, expected_support_level,
    ticket_payload, unique)

IMPACTS = ("not_critical", "critical", "loss_of_functionality")
CRITICALITIES = ("low", "medium", "high")
SORT_KEYS = ("id", "created_at", "updated_at", "priority", "support_level")


def ids(items):
    return [t["id"] for t in items]


class TicketTests(DeskTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin_user = cls.admin.user
        cls.agent_user, cls.agent = cls.make_user("agent")
        cls.requester_user, cls.requester = cls.make_user("requester")
        cls._fixture = None

    # ------------------------------------------------------------------ helpers

    def ticket_for(self, requester_id, **fields):
        return self.admin.create_ticket(requester_id=requester_id, **fields)

    def event_count(self, ticket_id):
        return len(self.admin.events(ticket_id))

    def new_events(self, ticket_id, before):
        return self.admin.events(ticket_id)[before:]

    def assertTicketShape(self, t):
        for key in ("id", "number", "type", "channel", "impact", "criticality", "priority",
                    "support_level", "status", "status_category", "requester_id",
                    "organisation_id", "assignee_id",
                    "group_id", "category_id", "subject", "description", "created_at",
                    "updated_at", "resolved_at", "closed_at", "allowed_transitions"):
            self.assertIn(key, t, f"ticket lacks {key}: {t}")
        self.assertIsInstance(t["id"], int)
        self.assertRegex(t["number"], r"^SD-\d{6,}$")
        self.assertEqual(t["number"], f"SD-{t['id']:06d}")
        self.assertEqual(t["status_category"], STATUS_CATEGORY[t["status"]], repr(t))
        self.assertRegex(t["created_at"], TIMESTAMP_RE)
        self.assertRegex(t["updated_at"], TIMESTAMP_RE)
        self.assertIsInstance(t["allowed_transitions"], list)

    def assertIllegalMove(self, ticket_id, to):
        before = self.admin.ticket(ticket_id)
        n = self.event_count(ticket_id)
        r = self.admin.post(f"{API}/tickets/{ticket_id}/transitions", json={"to": to})
        self.assertProblem(r, 409)
        after = self.admin.ticket(ticket_id)
        self.assertEqual(after, before, f"illegal move {before['status']} -> {to} changed the ticket")
        self.assertEqual(self.event_count(ticket_id), n, f"illegal move {to} added events")

    # ------------------------------------------------------------------ create and get

    def test_create_returns_new_ticket_with_number_location_and_defaults(self):
        payload = ticket_payload(type="incident", impact="critical", criticality="medium",
                                 description="Line one\nline two")
        r = self.admin.post(f"{API}/tickets", json=payload)
        self.assertStatus(r, 201)
        self.assertEqual(r.content_type, "application/json")
        t = r.json()
        self.assertTicketShape(t)
        self.assertTrue((r.headers.get("Location") or "").endswith(f"{API}/tickets/{t['id']}"),
                        f"Location header {r.headers.get('Location')!r}")
        self.assertEqual(t["status"], "new")
        self.assertEqual(t["priority"], "high")
        self.assertEqual(t["support_level"], 2)
        self.assertEqual(t["type"], "incident")
        self.assertEqual(t["impact"], "critical")
        self.assertEqual(t["criticality"], "medium")
        self.assertEqual(t["subject"], payload["subject"])
        self.assertEqual(t["description"], payload["description"])
        self.assertEqual(t["requester_id"], self.admin_user["id"], "staff requester defaults to self")
        self.assertEqual(t["channel"], "web", "cookie calls default to channel web")
        self.assertIsNone(t["assignee_id"])
        self.assertIsNone(t["group_id"])
        self.assertIsNone(t["category_id"])
        self.assertIsNone(t["resolved_at"])
        self.assertIsNone(t["closed_at"])
        # "assigned" is offered only once someone is assigned (issue 7, web app 11).
        self.assertEqual(set(t["allowed_transitions"]), {"in_progress", "cancelled"})

        got = self.admin.get(f"{API}/tickets/{t['id']}")
        self.assertStatus(got, 200)
        self.assertEqual(got.json(), t)

        events = self.admin.events(t["id"])
        self.assertGreaterEqual(len(events), 1)
        self.assertEqual(events[0]["kind"], "created")
        self.assertEqual(events[0]["ticket_id"], t["id"])

    def test_ticket_numbers_follow_ids(self):
        a = self.admin.create_ticket()
        b = self.admin.create_ticket()
        self.assertGreater(b["id"], a["id"])
        self.assertNotEqual(a["number"], b["number"])
        for t in (a, b):
            self.assertEqual(t["number"], f"SD-{t['id']:06d}")

    def test_priority_and_support_level_for_all_nine_combinations(self):
        for impact in IMPACTS:
            for criticality in CRITICALITIES:
                with self.subTest(impact=impact, criticality=criticality):
                    t = self.admin.create_ticket(impact=impact, criticality=criticality)
                    self.assertEqual(t["priority"], expected_priority(impact, criticality))
                    self.assertEqual(t["support_level"], expected_support_level(impact, criticality))
                    got = self.admin.ticket(t["id"])
                    self.assertEqual(got["priority"], t["priority"])
                    self.assertEqual(got["support_level"], t["support_level"])

    def test_default_priority_matrix_is_served(self):
        r = self.admin.get(f"{API}/settings/priority-matrix")
        self.assertStatus(r, 200)
        self.assertEqual(r.json(), {"matrix": DEFAULT_MATRIX})

    def test_staff_may_create_for_a_requester_and_choose_the_channel(self):
        t = self.ticket_for(self.requester_user["id"], channel="phone", type="complaint")
        self.assertEqual(t["requester_id"], self.requester_user["id"])
        self.assertEqual(t["channel"], "phone")
        self.assertEqual(t["type"], "complaint")
        # the requester now sees it
        r = self.requester.get(f"{API}/tickets/{t['id']}")
        self.assertStatus(r, 200)

    def test_token_calls_default_to_channel_api(self):
        token = self.admin.create_token()
        bot = self.server.client(bearer=token)
        t = bot.create_ticket()
        self.assertEqual(t["channel"], "api")
        self.assertEqual(t["requester_id"], self.admin_user["id"])
        t2 = bot.create_ticket(channel="email")
        self.assertEqual(t2["channel"], "email")

    def test_requester_creates_for_themselves_on_the_web_channel(self):
        t = self.requester.create_ticket(impact="loss_of_functionality", criticality="low")
        self.assertEqual(t["requester_id"], self.requester_user["id"])
        self.assertEqual(t["channel"], "web")
        self.assertEqual(t["status"], "new")
        self.assertEqual(t["priority"], "high")
        self.assertEqual(t["organisation_id"], self.requester_user.get("organisation_id"))
        # staff see the support level the requester does not
        self.assertEqual(self.admin.ticket(t["id"])["support_level"], 3)

    def test_ticket_with_category(self):
        cat = self.admin.create_category()
        t = self.admin.create_ticket(category_id=cat["id"])
        self.assertEqual(t["category_id"], cat["id"])
        self.assertEqual(self.admin.ticket(t["id"])["category_id"], cat["id"])

    # ------------------------------------------------------------------ lists

    @classmethod
    def fixture(cls):
        """A requester with nine tickets spread over every filterable field."""
        if cls._fixture is not None:
            return cls._fixture
        admin = cls.admin
        req, _ = cls.make_user("requester", login=False)
        rid = req["id"]
        group = admin.create_group(support_level=2, member_ids=[cls.agent_user["id"]])
        cat = admin.create_category()
        tok_subject = unique("qsubj").lower()
        tok_desc = unique("qdesc").lower()
        agent_id = cls.agent_user["id"]

        def mk(**f):
            return admin.create_ticket(requester_id=rid, **f)

        a = mk(type="incident", impact="not_critical", criticality="low",
               subject=f"Monitor flickers {tok_subject} at boot")
        b = mk(type="complaint", impact="critical", criticality="medium")
        admin.patch_ticket(b["id"], assignee_id=agent_id)
        admin.patch_ticket(b["id"], group_id=group["id"])
        c = mk(type="observation", impact="loss_of_functionality", criticality="high",
               category_id=cat["id"])
        admin.transition(c["id"], "in_progress")
        d = mk(type="information_request", impact="not_critical", criticality="high",
               description=f"Where is the form {tok_desc} for leave?")
        admin.transition(d["id"], "in_progress")
        admin.transition(d["id"], "pending")
        e = mk(type="change_request", impact="critical", criticality="low", category_id=cat["id"])
        admin.transition(e["id"], "in_progress")
        admin.transition(e["id"], "resolved")
        f = mk(type="incident", impact="loss_of_functionality", criticality="low")
        admin.patch_ticket(f["id"], assignee_id=agent_id)
        admin.transition(f["id"], "in_progress")
        admin.transition(f["id"], "resolved")
        admin.transition(f["id"], "closed")
        g = mk(type="incident", impact="not_critical", criticality="medium")
        admin.transition(g["id"], "cancelled")
        h = mk(type="complaint", impact="loss_of_functionality", criticality="medium")
        admin.patch_ticket(h["id"], group_id=group["id"])
        i = mk(type="change_request", impact="critical", criticality="high")
        tickets = [a, b, c, d, e, f, g, h, i]
        # Touch them newest first so that updated_at order differs from id order.
        for t in reversed(tickets):
            admin.patch_ticket(t["id"], description=(t["description"] + " (seen)"))
        final = {t["id"]: admin.ticket(t["id"]) for t in tickets}
        cls._fixture = {
            "requester_id": rid, "group_id": group["id"], "category_id": cat["id"],
            "agent_id": agent_id, "tok_subject": tok_subject, "tok_desc": tok_desc,
            "tickets": final,
        }
        return cls._fixture

    def filter_cases(self, fx):
        agent_id, group_id, cat_id = fx["agent_id"], fx["group_id"], fx["category_id"]
        return [
            ({"status": "new"}, lambda t: t["status"] == "new"),
            ({"status": "pending"}, lambda t: t["status"] == "pending"),
            ({"status": "new,assigned"}, lambda t: t["status"] in ("new", "assigned")),
            ({"status": "resolved,closed,cancelled"},
             lambda t: t["status"] in ("resolved", "closed", "cancelled")),
            ({"status": "open"}, lambda t: t["status"] in OPEN_STATUSES),
            ({"type": "complaint"}, lambda t: t["type"] == "complaint"),
            ({"type": "incident,observation"}, lambda t: t["type"] in ("incident", "observation")),
            ({"priority": "critical"}, lambda t: t["priority"] == "critical"),
            ({"priority": "low,medium"}, lambda t: t["priority"] in ("low", "medium")),
            ({"support_level": "3"}, lambda t: t["support_level"] == 3),
            ({"support_level": "1,2"}, lambda t: t["support_level"] in (1, 2)),
            ({"assignee_id": str(agent_id)}, lambda t: t["assignee_id"] == agent_id),
            ({"assignee_id": "none"}, lambda t: t["assignee_id"] is None),
            ({"group_id": str(group_id)}, lambda t: t["group_id"] == group_id),
            ({"group_id": "none"}, lambda t: t["group_id"] is None),
            ({"category_id": str(cat_id)}, lambda t: t["category_id"] == cat_id),
            ({"q": fx["tok_subject"]}, lambda t: fx["tok_subject"] in t["subject"] + t["description"]),
            ({"q": fx["tok_desc"]}, lambda t: fx["tok_desc"] in t["subject"] + t["description"]),
            ({"type": "incident", "status": "new"},
             lambda t: t["type"] == "incident" and t["status"] == "new"),
            ({"status": "open", "priority": "high,critical"},
             lambda t: t["status"] in OPEN_STATUSES and t["priority"] in ("high", "critical")),
            ({"status_category": "new"}, lambda t: t["status"] == "new"),
            ({"status_category": "open"}, lambda t: t["status"] in ("assigned", "in_progress")),
            ({"status_category": "waiting"}, lambda t: t["status"] == "pending"),
            ({"status_category": "resolved"}, lambda t: t["status"] == "resolved"),
            ({"status_category": "closed"}, lambda t: t["status"] in ("closed", "cancelled")),
            ({"status_category": "open,waiting"},
             lambda t: t["status"] in ("assigned", "in_progress", "pending")),
            ({"status_category": "new,resolved,closed"},
             lambda t: t["status"] in ("new", "resolved", "closed", "cancelled")),
            ({"status_category": "closed", "type": "incident"},
             lambda t: t["status"] in ("closed", "cancelled") and t["type"] == "incident"),
            ({"status_category": "open", "status": "in_progress,pending"},
             lambda t: t["status"] == "in_progress"),
        ]

    def test_list_filters_with_requester(self):
        fx = self.fixture()
        final = fx["tickets"]
        everything = self.admin.list_all({"requester_id": fx["requester_id"]})
        self.assertEqual(set(ids(everything)), set(final), "requester_id filter")
        for item in everything:
            # Lists add staff's unread mark to the ticket.
            self.assertIn(item.pop("unread"), (True, False))
            self.assertEqual(item, final[item["id"]], "list items are full tickets")
        for params, pred in self.filter_cases(fx):
            with self.subTest(params=params):
                expected = {tid for tid, t in final.items() if pred(t)}
                self.assertTrue(0 < len(expected) < len(final), f"fixture does not exercise {params}")
                got = self.admin.list_all({"requester_id": fx["requester_id"], **params})
                self.assertEqual(set(ids(got)), expected)

    def test_list_filters_alone_return_only_matching_tickets(self):
        fx = self.fixture()
        for params, pred in self.filter_cases(fx):
            with self.subTest(params=params):
                page = self.admin.list_page({**params, "limit": 200})
                self.assertIn("next_cursor", page)
                for item in page["items"]:
                    self.assertTrue(pred(item), f"{params} returned non-matching {item}")
                if len(page["items"]) < 200:
                    self.assertIsNone(page["next_cursor"])
                expected_mine = {tid for tid, t in fx["tickets"].items() if pred(t)}
                # ours are the newest of their kind unless other tests added more
                self.assertTrue(expected_mine & set(ids(page["items"])) or len(page["items"]) == 200,
                                f"none of {expected_mine} in the first page of {params}")

    def test_q_is_a_search_not_a_prefix_or_exact_match(self):
        fx = self.fixture()
        got = self.admin.list_all({"q": fx["tok_subject"]})
        self.assertEqual({t["id"] for t in got},
                         {tid for tid, t in fx["tickets"].items() if fx["tok_subject"] in t["subject"]})
        self.assertEqual(self.admin.list_all({"q": unique("nomatch")}), [])

    def assertOrdered(self, items, key, descending):
        values = [t[key] for t in items]
        if key == "id":
            pairs = list(zip(values, values[1:]))
            ok = all(a > b for a, b in pairs) if descending else all(a < b for a, b in pairs)
            self.assertTrue(ok, f"ids not strictly {'de' if descending else 'in'}creasing: {values}")
            return
        if key == "priority":
            values = [PRIORITY_RANK[v] for v in values]
        pairs = list(zip(values, values[1:]))
        ok = all(a >= b for a, b in pairs) if descending else all(a <= b for a, b in pairs)
        self.assertTrue(ok, f"{key} not sorted {'descending' if descending else 'ascending'}: "
                            f"{[t[key] for t in items]}")

    def test_sort_on_every_field_both_ways_and_pages_agree(self):
        fx = self.fixture()
        base = {"requester_id": fx["requester_id"]}
        all_ids = set(fx["tickets"])
        default = self.admin.list_page({**base, "limit": 200})["items"]
        self.assertOrdered(default, "id", descending=True)
        priority_direction = {}
        for key in SORT_KEYS:
            for descending in (False, True):
                sort = ("-" if descending else "") + key
                with self.subTest(sort=sort):
                    items = self.admin.list_page({**base, "sort": sort, "limit": 200})["items"]
                    self.assertEqual(set(ids(items)), all_ids)
                    if key == "priority":
                        ranks = [PRIORITY_RANK[t["priority"]] for t in items]
                        self.assertGreater(len(set(ranks)), 1)
                        if all(a <= b for a, b in zip(ranks, ranks[1:])):
                            priority_direction[descending] = "urgent-first"
                        elif all(a >= b for a, b in zip(ranks, ranks[1:])):
                            priority_direction[descending] = "urgent-last"
                        else:
                            self.fail(f"sort={sort} is not ordered by priority: "
                                      f"{[t['priority'] for t in items]}")
                    else:
                        self.assertOrdered(items, key, descending)
                    # Walking small pages gives the same sequence: ties break stably.
                    walked = self.admin.list_all({**base, "sort": sort}, limit=3)
                    self.assertEqual(ids(walked), ids(items), f"paged walk of sort={sort}")
        self.assertEqual(len(priority_direction), 2)
        self.assertNotEqual(priority_direction[False], priority_direction[True],
                            "sort=priority and sort=-priority give the same direction")

    def test_sort_on_text_and_name_columns(self):
        fx = self.fixture()
        base = {"requester_id": fx["requester_id"]}
        all_ids = set(fx["tickets"])
        lifecycle = ["new", "assigned", "in_progress", "pending", "resolved", "closed", "cancelled"]
        names = {}

        def name_of(kind, ref):
            if ref is None:
                return ""
            if (kind, ref) not in names:
                names[(kind, ref)] = self.admin.get(f"{API}/{kind}/{ref}").json()["name"]
            return names[(kind, ref)]

        value = {
            "subject": lambda t: t["subject"],
            "type": lambda t: t["type"],
            "status": lambda t: lifecycle.index(t["status"]),
            "assignee": lambda t: name_of("users", t["assignee_id"]),
            "group": lambda t: name_of("groups", t["group_id"]),
            "category": lambda t: name_of("categories", t["category_id"]),
            "requester": lambda t: name_of("users", t["requester_id"]),
        }
        for key, fn in value.items():
            for descending in (False, True):
                sort = ("-" if descending else "") + key
                with self.subTest(sort=sort):
                    items = self.admin.list_page({**base, "sort": sort, "limit": 200})["items"]
                    self.assertEqual(set(ids(items)), all_ids)
                    vals = [(fn(t), t["id"]) for t in items]
                    self.assertEqual(vals, sorted(vals, reverse=descending), f"sort={sort}")
                    walked = self.admin.list_all({**base, "sort": sort}, limit=2)
                    self.assertEqual(ids(walked), ids(items), f"paged walk of sort={sort}")

    def test_descending_priority_is_most_urgent_first_then_oldest(self):
        req, _ = self.make_user("requester", login=False)
        low1 = self.ticket_for(req["id"], impact="not_critical", criticality="low")
        crit1 = self.admin.create_ticket(requester_id=req["id"], impact="loss_of_functionality",
                                         criticality="high")
        low2 = self.ticket_for(req["id"], impact="not_critical", criticality="low")
        crit2 = self.admin.create_ticket(requester_id=req["id"], impact="loss_of_functionality",
                                         criticality="high")
        items = self.admin.list_page({"requester_id": req["id"], "sort": "-priority"})["items"]
        self.assertEqual(ids(items), [crit1["id"], crit2["id"], low1["id"], low2["id"]])
        items = self.admin.list_page({"requester_id": req["id"], "sort": "priority"})["items"]
        self.assertEqual(ids(items), [low2["id"], low1["id"], crit2["id"], crit1["id"]])

    def test_cursor_paging_over_a_known_set(self):
        req, _ = self.make_user("requester", login=False)
        created = [self.ticket_for(req["id"])["id"] for _ in range(23)]
        base = {"requester_id": req["id"], "limit": 7}
        for sort, expected in (("-id", sorted(created, reverse=True)), ("id", sorted(created))):
            with self.subTest(sort=sort):
                sizes, seen, cursor = [], [], None
                for _ in range(10):
                    params = {**base, "sort": sort}
                    if cursor:
                        params["cursor"] = cursor
                    page = self.admin.list_page(params)
                    sizes.append(len(page["items"]))
                    seen.extend(ids(page["items"]))
                    cursor = page["next_cursor"]
                    if cursor is None:
                        break
                    self.assertIsInstance(cursor, str)
                    self.assertTrue(cursor)
                self.assertIsNone(cursor, "paging did not end")
                self.assertEqual(sizes, [7, 7, 7, 2])
                self.assertEqual(seen, expected, "gaps, duplicates or wrong order")

    def test_last_full_page_ends_the_walk(self):
        req, _ = self.make_user("requester", login=False)
        created = sorted(self.ticket_for(req["id"])["id"] for _ in range(6))
        page = self.admin.list_page({"requester_id": req["id"], "sort": "id", "limit": 6})
        self.assertEqual(ids(page["items"]), created)
        if page["next_cursor"] is not None:
            nxt = self.admin.list_page({"requester_id": req["id"], "sort": "id", "limit": 6,
                                        "cursor": page["next_cursor"]})
            self.assertEqual(nxt["items"], [])
            self.assertIsNone(nxt["next_cursor"])

    def test_inserts_during_an_ascending_walk_cause_no_duplicates_or_skips(self):
        req, _ = self.make_user("requester", login=False)
        rid = req["id"]
        created = [self.ticket_for(rid)["id"] for _ in range(15)]
        seen, cursor, pages = [], None, 0
        while True:
            params = {"requester_id": rid, "sort": "id", "limit": 7}
            if cursor:
                params["cursor"] = cursor
            page = self.admin.list_page(params)
            pages += 1
            self.assertLess(pages, 20, "walk does not end")
            seen.extend(ids(page["items"]))
            cursor = page["next_cursor"]
            if cursor is None:
                break
            # new tickets arrive between page fetches (ids above everything seen)
            for _ in range(2):
                created.append(self.ticket_for(rid)["id"])
        self.assertEqual(len(seen), len(set(seen)), f"duplicates in {seen}")
        self.assertEqual(seen, sorted(created), "ascending walk skipped or reordered tickets")

    def test_inserts_during_a_descending_walk_cause_no_duplicates_or_skips(self):
        req, _ = self.make_user("requester", login=False)
        rid = req["id"]
        original = [self.ticket_for(rid)["id"] for _ in range(15)]
        seen, cursor, pages = [], None, 0
        while True:
            params = {"requester_id": rid, "limit": 7}
            if cursor:
                params["cursor"] = cursor
            page = self.admin.list_page(params)
            pages += 1
            self.assertLess(pages, 20, "walk does not end")
            seen.extend(ids(page["items"]))
            cursor = page["next_cursor"]
            if cursor is None:
                break
            for _ in range(3):
                self.ticket_for(rid)
        self.assertEqual(len(seen), len(set(seen)), f"duplicates in {seen}")
        self.assertTrue(all(a > b for a, b in zip(seen, seen[1:])), f"not descending: {seen}")
        self.assertTrue(set(original) <= set(seen), f"skipped {set(original) - set(seen)}")

    # ------------------------------------------------------------------ edits

    def test_patch_fields_records_field_changes(self):
        t = self.admin.create_ticket(type="incident", subject="Old subject " + unique(),
                                     description="Old description")
        cat = self.admin.create_category()
        n = self.event_count(t["id"])
        new_subject = "New subject " + unique()
        r = self.admin.patch(f"{API}/tickets/{t['id']}", json={
            "subject": new_subject, "description": "New description", "type": "complaint",
            "category_id": cat["id"]})
        self.assertStatus(r, 200)
        u = r.json()
        self.assertEqual(u["subject"], new_subject)
        self.assertEqual(u["description"], "New description")
        self.assertEqual(u["type"], "complaint")
        self.assertEqual(u["category_id"], cat["id"])
        self.assertGreaterEqual(u["updated_at"], t["updated_at"])
        self.assertEqual(self.admin.ticket(t["id"]), u)

        changes = {e["field"]: e for e in self.new_events(t["id"], n) if e["kind"] == "field_change"}
        self.assertEqual(changes["subject"]["old_value"], t["subject"])
        self.assertEqual(changes["subject"]["new_value"], new_subject)
        self.assertEqual(changes["description"]["old_value"], "Old description")
        self.assertEqual(changes["description"]["new_value"], "New description")
        self.assertEqual(changes["type"]["old_value"], "incident")
        self.assertEqual(changes["type"]["new_value"], "complaint")
        self.assertIn("category_id", changes)
        self.assertIn(str(cat["id"]), str(changes["category_id"]["new_value"]))
        for e in changes.values():
            self.assertEqual(e["actor_id"], self.admin_user["id"])
            self.assertEqual(e["ticket_id"], t["id"])

        # an unchanged field is no change; only the description is recorded
        n = self.event_count(t["id"])
        self.admin.patch_ticket(t["id"], subject=new_subject, description="Third description")
        later = [e for e in self.new_events(t["id"], n) if e["kind"] == "field_change"]
        self.assertEqual([e["field"] for e in later], ["description"])
        self.assertEqual(later[0]["old_value"], "New description")
        self.assertEqual(later[0]["new_value"], "Third description")

    def test_changing_impact_or_criticality_recomputes_priority(self):
        t = self.admin.create_ticket(impact="not_critical", criticality="low")
        self.assertEqual(t["priority"], "low")
        n = self.event_count(t["id"])
        u = self.admin.patch_ticket(t["id"], impact="loss_of_functionality")
        self.assertEqual(u["impact"], "loss_of_functionality")
        self.assertEqual(u["priority"], "high")
        changes = {e["field"]: e for e in self.new_events(t["id"], n) if e["kind"] == "field_change"}
        self.assertEqual(changes["impact"]["old_value"], "not_critical")
        self.assertEqual(changes["impact"]["new_value"], "loss_of_functionality")
        u = self.admin.patch_ticket(t["id"], criticality="high")
        self.assertEqual(u["priority"], "critical")
        u = self.admin.patch_ticket(t["id"], impact="critical", criticality="low")
        self.assertEqual(u["priority"], "medium")
        self.assertEqual(self.admin.ticket(t["id"])["priority"], "medium")

    def test_assigning_an_agent_to_a_new_ticket_moves_it_to_assigned(self):
        t = self.admin.create_ticket()
        n = self.event_count(t["id"])
        u = self.admin.patch_ticket(t["id"], assignee_id=self.agent_user["id"])
        self.assertEqual(u["assignee_id"], self.agent_user["id"])
        self.assertEqual(u["status"], "assigned")
        self.assertIn("in_progress", u["allowed_transitions"])
        events = self.new_events(t["id"], n)
        kinds = [e["kind"] for e in events]
        self.assertIn("assignment", kinds)
        status_changes = [e for e in events if e["kind"] == "status_change"]
        self.assertEqual(len(status_changes), 1, events)
        self.assertEqual(status_changes[0]["old_value"], "new")
        self.assertEqual(status_changes[0]["new_value"], "assigned")
        self.assertEqual(self.admin.ticket(t["id"])["status"], "assigned")

        # the agent can now see and work it
        self.assertEqual(self.agent.transition(t["id"], "in_progress")["status"], "in_progress")

    def test_assigning_a_ticket_that_is_not_new_keeps_its_status(self):
        t = self.admin.create_ticket()
        self.admin.transition(t["id"], "in_progress")
        u = self.admin.patch_ticket(t["id"], assignee_id=self.agent_user["id"])
        self.assertEqual(u["status"], "in_progress")
        self.assertEqual(u["assignee_id"], self.agent_user["id"])

    def test_group_and_unassignment_are_assignment_events(self):
        group = self.admin.create_group(support_level=1)
        t = self.admin.create_ticket()
        n = self.event_count(t["id"])
        u = self.admin.patch_ticket(t["id"], group_id=group["id"])
        self.assertEqual(u["group_id"], group["id"])
        self.assertIn("assignment", [e["kind"] for e in self.new_events(t["id"], n)])
        self.admin.patch_ticket(t["id"], assignee_id=self.agent_user["id"])
        n = self.event_count(t["id"])
        u = self.admin.patch_ticket(t["id"], assignee_id=None, group_id=None)
        self.assertIsNone(u["assignee_id"])
        self.assertIsNone(u["group_id"])
        self.assertIn("assignment", [e["kind"] for e in self.new_events(t["id"], n)])

    # ------------------------------------------------------------------ lifecycle

    def test_full_lifecycle(self):
        t = self.admin.create_ticket()
        # "assigned" needs someone assigned (not offered, 409 until then); assigning
        # moves it there.
        self.assertNotIn("assigned", t["allowed_transitions"])
        self.assertIllegalMove(t["id"], "assigned")
        current = self.admin.patch_ticket(t["id"], assignee_id=self.agent_user["id"])
        self.assertEqual(current["status"], "assigned")
        for to in ("in_progress", "pending", "in_progress", "resolved", "closed"):
            with self.subTest(frm=current["status"], to=to):
                self.assertIn(to, current["allowed_transitions"])
                n = self.event_count(t["id"])
                r = self.admin.post(f"{API}/tickets/{t['id']}/transitions", json={"to": to})
                self.assertStatus(r, 200)
                nxt = r.json()
                self.assertEqual(nxt["status"], to)
                self.assertEqual(nxt["status_category"], STATUS_CATEGORY[to])
                self.assertEqual(self.admin.ticket(t["id"]), nxt)
                changes = [e for e in self.new_events(t["id"], n) if e["kind"] == "status_change"]
                self.assertEqual(len(changes), 1)
                self.assertEqual(changes[0]["old_value"], current["status"])
                self.assertEqual(changes[0]["new_value"], to)
                self.assertEqual((changes[0]["actor_type"], changes[0]["actor_id"]),
                                 ("user", self.admin_user["id"]))
                current = nxt
            if to == "resolved":
                self.assertIsNotNone(current["resolved_at"])
                self.assertRegex(current["resolved_at"], TIMESTAMP_RE)
        self.assertIsNotNone(current["closed_at"])
        self.assertRegex(current["closed_at"], TIMESTAMP_RE)
        self.assertEqual(current["allowed_transitions"], [])
        for to in STATUSES:
            if to == "closed":
                continue
            with self.subTest(closed_to=to):
                self.assertIllegalMove(t["id"], to)

    def test_reopen_a_resolved_ticket(self):
        t = self.admin.create_ticket()
        self.admin.transition(t["id"], "in_progress")
        resolved = self.admin.transition(t["id"], "resolved")
        self.assertIn("in_progress", resolved["allowed_transitions"])
        self.assertIn("closed", resolved["allowed_transitions"])
        reopened = self.admin.transition(t["id"], "in_progress")
        self.assertEqual(reopened["status"], "in_progress")
        self.assertIsNone(reopened["closed_at"])
        self.admin.transition(t["id"], "resolved")
        self.assertEqual(self.admin.transition(t["id"], "closed")["status"], "closed")

    def test_illegal_moves_are_conflicts_and_change_nothing(self):
        t = self.admin.create_ticket()
        for to in ("closed", "resolved", "pending", "new"):
            with self.subTest(frm="new", to=to):
                self.assertIllegalMove(t["id"], to)
        cancelled = self.admin.transition(t["id"], "cancelled")
        self.assertEqual(cancelled["status"], "cancelled")
        for to in STATUSES:
            if to in cancelled["allowed_transitions"] or to == "cancelled":
                continue
            with self.subTest(frm="cancelled", to=to):
                self.assertIllegalMove(t["id"], to)

    def test_every_move_outside_allowed_transitions_is_refused(self):
        t = self.admin.create_ticket()
        self.admin.transition(t["id"], "in_progress")
        current = self.admin.transition(t["id"], "pending")
        for to in STATUSES:
            if to in current["allowed_transitions"] or to == current["status"]:
                continue
            with self.subTest(frm="pending", to=to):
                self.assertIllegalMove(t["id"], to)

    # ------------------------------------------------------------------ comments

    def test_public_and_internal_comments_are_events(self):
        t = self.admin.create_ticket()
        n = self.event_count(t["id"])
        reply_text = "Please restart the printer " + unique()
        note_text = "Toner is fine " + unique()
        r = self.admin.post(f"{API}/tickets/{t['id']}/comments",
                            json={"body": reply_text, "internal": False})
        self.assertStatus(r, 201)
        reply = r.json()
        self.assertEqual(reply["kind"], "reply")
        self.assertIs(reply["internal"], False)
        self.assertEqual(reply["body"], reply_text)
        self.assertEqual(reply["ticket_id"], t["id"])
        self.assertEqual(reply["actor_id"], self.admin_user["id"])
        self.assertRegex(reply["created_at"], TIMESTAMP_RE)
        note = self.admin.comment(t["id"], note_text, internal=True)
        self.assertEqual(note["kind"], "note")
        self.assertIs(note["internal"], True)
        self.assertEqual(note["body"], note_text)
        events = self.new_events(t["id"], n)
        self.assertEqual([e["id"] for e in events], [reply["id"], note["id"]])
        self.assertEqual(events[0], reply)
        self.assertEqual(events[1], note)

    def test_requester_reply_is_public(self):
        t = self.requester.create_ticket()
        ev = self.requester.comment(t["id"], "It happens again " + unique())
        self.assertEqual(ev["kind"], "reply")
        self.assertIs(ev["internal"], False)
        self.assertEqual(ev["actor_id"], self.requester_user["id"])
        self.assertIn(ev["id"], [e["id"] for e in self.admin.events(t["id"])])

    # ------------------------------------------------------------------ escalations

    def test_escalation_changes_support_level_and_is_an_internal_event(self):
        t = self.admin.create_ticket(impact="not_critical", criticality="low")
        self.assertEqual(t["support_level"], 1)
        reason = "Needs a network specialist " + unique()
        r = self.admin.post(f"{API}/tickets/{t['id']}/escalations",
                            json={"to_level": 2, "reason": reason})
        self.assertStatus(r, 201)
        ev = r.json()
        self.assertEqual(ev["kind"], "escalation")
        self.assertIs(ev["internal"], True)
        self.assertIn(reason, ev["body"])
        self.assertEqual(ev["ticket_id"], t["id"])
        self.assertEqual(self.admin.ticket(t["id"])["support_level"], 2)
        escalations = [e for e in self.admin.events(t["id"]) if e["kind"] == "escalation"]
        self.assertEqual(escalations, [ev])

        before = self.admin.ticket(t["id"])
        n = self.event_count(t["id"])
        same = self.admin.post(f"{API}/tickets/{t['id']}/escalations",
                               json={"to_level": 2, "reason": "again"})
        self.assertProblem(same, 409)
        for bad in (4, 0, -1):
            with self.subTest(to_level=bad):
                r = self.admin.post(f"{API}/tickets/{t['id']}/escalations",
                                    json={"to_level": bad, "reason": "bad level"})
                self.assertProblem(r, 422, field="to_level")
        self.assertEqual(self.admin.ticket(t["id"]), before)
        self.assertEqual(self.event_count(t["id"]), n)

        self.admin.escalate(t["id"], 3, "to the specialists")
        self.assertEqual(self.admin.ticket(t["id"])["support_level"], 3)
        self.admin.escalate(t["id"], 1, "back to the desk")
        self.assertEqual(self.admin.ticket(t["id"])["support_level"], 1)

    def test_escalation_moves_to_a_group_of_the_new_level(self):
        g1 = self.admin.create_group(support_level=1)
        g2 = self.admin.create_group(support_level=2)
        t = self.admin.create_ticket(impact="not_critical", criticality="low")
        self.admin.patch_ticket(t["id"], group_id=g1["id"])
        self.admin.escalate(t["id"], 2)
        u = self.admin.ticket(t["id"])
        self.assertEqual(u["support_level"], 2)
        self.assertNotEqual(u["group_id"], g1["id"], "group of level 1 kept after escalating to level 2")
        self.assertIsNotNone(u["group_id"], "a group serves level 2, yet the ticket has none")
        r = self.admin.request("GET", f"/api/v1/groups/{u['group_id']}")
        self.assertEqual(r.json()["support_level"], 2)
        kinds = [(e["kind"], e["field"]) for e in self.admin.events(t["id"])]
        self.assertIn(("assignment", "group_id"), kinds)

        t2 = self.admin.create_ticket(impact="not_critical", criticality="low")
        self.admin.patch_ticket(t2["id"], group_id=g2["id"])
        self.admin.escalate(t2["id"], 2)
        self.assertEqual(self.admin.ticket(t2["id"])["group_id"], g2["id"],
                         "group of the target level was cleared")

    # ------------------------------------------------------------------ events

    def test_events_are_listed_in_order(self):
        self.admin.create_group(support_level=1)  # so that the new ticket is routed
        t = self.admin.create_ticket(impact="not_critical", criticality="low")
        tid = t["id"]
        self.admin.comment(tid, "public answer")
        self.admin.comment(tid, "private note", internal=True)
        self.admin.patch_ticket(tid, subject="Changed " + unique())
        self.admin.transition(tid, "in_progress")
        self.admin.escalate(tid, 3, "escalated for order test")
        timeline = self.admin.events(tid)
        self.assertTrue(all(a["id"] < b["id"] for a, b in zip(timeline, timeline[1:])),
                        "event ids not increasing")
        self.assertTrue(all(a["created_at"] <= b["created_at"]
                            for a, b in zip(timeline, timeline[1:])), "event times go backwards")
        # The desk routes the new ticket to the level-1 group (an internal assignment by the
        # system "routing") before anyone acts on it.
        routed = timeline[1]
        self.assertEqual((routed["kind"], routed["field"], routed["actor_type"],
                          routed["actor_id"], routed["actor_name"], routed["internal"]),
                         ("assignment", "group_id", "system", None, "routing", True), repr(routed))
        self.assertEqual(routed["new_value"], str(t["group_id"]))
        events = timeline[:1] + timeline[2:]
        self.assertEqual([e["kind"] for e in events[:5]],
                         ["created", "reply", "note", "field_change", "status_change"])
        self.assertIn("escalation", [e["kind"] for e in events[5:]])
        for e in events:
            self.assertEqual(e["ticket_id"], tid)
            self.assertRegex(e["created_at"], TIMESTAMP_RE)
            for key in ("id", "kind", "actor_type", "actor_id", "actor_name", "internal", "body",
                        "field", "old_value", "new_value"):
                self.assertIn(key, e)
            # people act here; only the desk's own automations are "system"
            self.assertEqual(e["actor_type"], "user", repr(e))
            self.assertEqual(e["actor_id"], self.admin_user["id"], repr(e))
            self.assertEqual(e["actor_name"], self.admin_user["name"], repr(e))

    def test_requester_events_name_the_requester_as_a_user(self):
        t = self.requester.create_ticket()
        self.requester.comment(t["id"], "more detail " + unique())
        for e in self.requester.events(t["id"]):
            self.assertEqual((e["actor_type"], e["actor_id"]),
                             ("user", self.requester_user["id"]), repr(e))

    # ------------------------------------------------------------------ statuses

    def test_statuses_lists_every_status_in_lifecycle_order(self):
        want = [{"name": s, "category": STATUS_CATEGORY[s], "open": s in OPEN_STATUSES}
                for s in STATUSES]
        for who in (self.requester, self.agent, self.admin):
            with self.subTest(role=who.user["role"]):
                r = who.get(f"{API}/statuses")
                self.assertStatus(r, 200)
                self.assertEqual(r.content_type, "application/json")
                self.assertEqual(r.json(), {"items": want})
        self.assertEqual({x["category"] for x in want}, set(STATUS_CATEGORIES))
        self.assertProblem(self.server.client().get(f"{API}/statuses"), 401)

    def test_status_category_filter_refuses_unknown_values_and_status_open(self):
        for value in ("bogus", "open,bogus", "", "Open", "open,", "in_progress", "cancelled"):
            with self.subTest(status_category=value):
                r = self.admin.get(f"{API}/tickets", params={"status_category": value})
                self.assertProblem(r, 400)
        for cat in ("open", "resolved"):
            with self.subTest(status="open", status_category=cat):
                r = self.admin.get(f"{API}/tickets",
                                   params={"status": "open", "status_category": cat})
                self.assertProblem(r, 400)

    def test_requester_lists_by_status_category_only_their_own(self):
        mine = self.requester.create_ticket()
        other = self.admin.create_ticket()
        got = {t["id"] for t in self.requester.list_all({"status_category": "new"})}
        self.assertIn(mine["id"], got)
        self.assertNotIn(other["id"], got)
        for t in self.requester.list_all({"status_category": "new,open"}):
            self.assertEqual(t["requester_id"], self.requester_user["id"])
            self.assertIn(t["status_category"], ("new", "open"))
            self.assertNoInternalFields(t)

    # ------------------------------------------------------------------ settings

    def test_priority_matrix_update_applies_to_new_tickets_and_edits(self):
        old = self.admin.ticket(self.admin.create_ticket(impact="not_critical",
                                                         criticality="low")["id"])
        changed = {i: dict(row) for i, row in DEFAULT_MATRIX.items()}
        changed["not_critical"]["low"] = "critical"
        changed["critical"]["high"] = "low"
        self.addCleanup(self.admin.put, f"{API}/settings/priority-matrix",
                        json={"matrix": DEFAULT_MATRIX})
        r = self.admin.put(f"{API}/settings/priority-matrix", json={"matrix": changed})
        self.assertStatus(r, 200)
        self.assertEqual(r.json(), {"matrix": changed})
        self.assertEqual(self.admin.get(f"{API}/settings/priority-matrix").json(),
                         {"matrix": changed})

        t = self.admin.create_ticket(impact="not_critical", criticality="low")
        self.assertEqual(t["priority"], "critical")
        self.assertEqual(t["support_level"], 1, "support level does not come from the matrix")
        t2 = self.admin.create_ticket(impact="critical", criticality="medium")
        self.assertEqual(t2["priority"], "high", "unchanged cell")
        u = self.admin.patch_ticket(t2["id"], criticality="high")
        self.assertEqual(u["priority"], "low", "edits use the stored matrix")
        self.assertEqual(self.admin.ticket(old["id"])["priority"], old["priority"],
                         "existing tickets are not recomputed")

        # an incomplete matrix is refused and changes nothing
        partial = {i: dict(row) for i, row in changed.items()}
        del partial["loss_of_functionality"]["high"]
        r = self.admin.put(f"{API}/settings/priority-matrix", json={"matrix": partial})
        self.assertProblem(r, 422)
        bad = {i: dict(row) for i, row in changed.items()}
        bad["critical"]["low"] = "urgent"
        r = self.admin.put(f"{API}/settings/priority-matrix", json={"matrix": bad})
        self.assertProblem(r, 422)
        self.assertEqual(self.admin.get(f"{API}/settings/priority-matrix").json(),
                         {"matrix": changed})

        r = self.admin.put(f"{API}/settings/priority-matrix", json={"matrix": DEFAULT_MATRIX})
        self.assertStatus(r, 200)
        self.assertEqual(self.admin.create_ticket(impact="not_critical",
                                                  criticality="low")["priority"], "low")


if __name__ == "__main__":
    unittest.main()

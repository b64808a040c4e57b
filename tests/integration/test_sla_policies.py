"""Service-level policies (issue 8, "Policies"): the fixed API shape and its defaults,
what is refused and changes nothing, who may do what, and calendars in use."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import API, DeskTestCase, unique  # noqa: E402

POLICIES = f"{API}/sla-policies"
CALENDARS = f"{API}/calendars"


class SlaPolicyTests(DeskTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent_user, cls.agent = cls.make_user("agent")
        cls.requester_user, cls.requester = cls.make_user("requester")
        cls.org = cls.admin.create_organisation()
        cls.builtin = next(c for c in cls.admin.get(CALENDARS).json()["items"] if c["builtin"])

    def calendar(self):
        r = self.admin.post(CALENDARS, json={"name": unique("Oficina "),
                                             "time_zone": "America/Mexico_City",
                                             "hours": {"mon": [["09:00", "18:00"]]}})
        self.assertStatus(r, 201)
        return r.json()

    def test_create_in_the_fixed_shape_with_its_defaults(self):
        cal = self.calendar()
        body = {"name": unique("Críticos "), "calendar_id": cal["id"], "rank": 10,
                "match": {"types": ["incident", "complaint"], "priorities": ["critical"],
                          "organisation_ids": [self.org["id"]]},
                "first_response_minutes": 30, "resolution_minutes": 240,
                "pause_statuses": ["pending"]}
        r = self.admin.post(POLICIES, json=body)
        self.assertStatus(r, 201)
        p = r.json()
        self.assertEqual(r.headers.get("Location"), f"/api/v1/sla-policies/{p['id']}")
        for k, v in body.items():
            self.assertEqual(p[k], v, k)
        self.assertEqual((p["first_response_warning_percent"], p["resolution_warning_percent"]),
                         (75, 75))
        self.assertEqual(self.agent.get(f"{POLICIES}/{p['id']}").json(), p)
        # The least: a name and two targets; the rest defaults.
        r = self.admin.post(POLICIES, json={"name": unique("Resto "), "first_response_minutes": 240,
                                            "resolution_minutes": 2400})
        self.assertStatus(r, 201)
        least = r.json()
        self.assertEqual(least["calendar_id"], self.builtin["id"], "the 24x7 calendar")
        self.assertEqual(least["rank"], 0)
        self.assertEqual(least["match"], {"types": [], "priorities": [], "organisation_ids": []})
        self.assertEqual(least["pause_statuses"], ["pending"])
        # Listed in the order they are tried: by rank, then id.
        r = self.admin.patch(f"{POLICIES}/{least['id']}", json={"rank": 1000})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["match"], least["match"], "what is not given stays")
        ranks = [(x["rank"], x["id"]) for x in self.agent.get(POLICIES).json()["items"]]
        self.assertEqual(ranks, sorted(ranks))
        # A policy's calendar cannot be deleted under it.
        r = self.admin.delete(f"{CALENDARS}/{cal['id']}")
        self.assertEqual(self.assertProblem(r, 409).get("reason"), "calendar_in_use")
        self.assertStatus(self.admin.delete(f"{POLICIES}/{p['id']}"), 204)
        self.assertProblem(self.agent.get(f"{POLICIES}/{p['id']}"), 404)
        self.assertStatus(self.admin.delete(f"{CALENDARS}/{cal['id']}"), 204)

    def test_what_cannot_run_is_refused_and_changes_nothing(self):
        base = {"name": unique("P "), "first_response_minutes": 60, "resolution_minutes": 480}
        before = self.admin.get(POLICIES).json()
        cases = [
            ({"name": ""}, "name", "required"),
            ({"first_response_minutes": 0}, "first_response_minutes", "out_of_range"),
            ({"resolution_minutes": 5270401}, "resolution_minutes", "out_of_range"),
            ({"resolution_minutes": "480"}, "resolution_minutes", "invalid_type"),
            ({"calendar_id": 999999}, "calendar_id", "not_found"),
            ({"rank": 4294967297}, "rank", "out_of_range"),
            ({"match": {"types": ["incidente"]}}, "match.types", "unknown_value"),
            ({"match": {"priorities": ["low", "low"]}}, "match.priorities", "duplicate"),
            ({"match": {"organisation_ids": [999999]}}, "match.organisation_ids", "not_found"),
            ({"match": {"organisation_ids": ["1"]}}, "match.organisation_ids", "invalid_type"),
            ({"match": {"groups": [1]}}, "match.groups", "unknown_field"),
            ({"match": []}, "match", "invalid_type"),
            ({"pause_statuses": ["resolved"]}, "pause_statuses", "not_pausable"),
            ({"pause_statuses": ["cancelled"]}, "pause_statuses", "not_pausable"),
            ({"pause_statuses": ["paused"]}, "pause_statuses", "unknown_value"),
            ({"first_response_warning_percent": 100}, "first_response_warning_percent",
             "out_of_range"),
        ]
        for change, field, code in cases:
            with self.subTest(change=change):
                r = self.admin.post(POLICIES, json={**base, **change})
                self.assertProblem(r, 422, field)
                self.assertIn((field, code), {(e["field"], e.get("code"))
                                              for e in r.json()["errors"]})
        for missing in ("name", "first_response_minutes", "resolution_minutes"):
            body = dict(base)
            del body[missing]
            self.assertProblem(self.admin.post(POLICIES, json=body), 422, missing)
        self.assertProblem(self.admin.post(POLICIES, json={**base, "paused": True}), 422)
        self.assertEqual(self.admin.get(POLICIES).json(), before, "a refusal changed something")
        p = self.admin.post(POLICIES, json=base).json()
        r = self.admin.patch(f"{POLICIES}/{p['id']}", json={"rank": 7, "resolution_minutes": -1})
        self.assertProblem(r, 422, "resolution_minutes")
        self.assertEqual(self.admin.get(f"{POLICIES}/{p['id']}").json(), p)

    def test_admins_write_staff_read_requesters_nothing(self):
        p = self.admin.post(POLICIES, json={"name": unique("P "), "first_response_minutes": 5,
                                            "resolution_minutes": 50}).json()
        self.assertProblem(self.agent.post(POLICIES, json={"name": "x"}), 403)
        self.assertProblem(self.agent.patch(f"{POLICIES}/{p['id']}", json={"rank": 1}), 403)
        self.assertProblem(self.agent.delete(f"{POLICIES}/{p['id']}"), 403)
        self.assertProblem(self.requester.get(POLICIES), 403)
        self.assertProblem(self.requester.get(f"{POLICIES}/{p['id']}"), 403)
        self.assertEqual(self.agent.get(f"{POLICIES}/{p['id']}").json(), p)

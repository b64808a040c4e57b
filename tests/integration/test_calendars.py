"""Business calendars (issue 8, "Calendars"): the fixed API shape, the built-in 24x7
calendar, what is refused and changes nothing, who may do what, and the demo's
business-hours calendar for Mexico City with its official holidays."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import API, DeskTestCase, Server, unique  # noqa: E402

CALENDARS = f"{API}/calendars"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def office(**over):
    body = {"name": unique("Oficina "), "time_zone": "America/Mexico_City",
            "hours": {"mon": [["09:00", "14:00"], ["15:00", "18:00"]],
                      "tue": [["09:00", "18:00"]], "wed": [["09:00", "18:00"]],
                      "thu": [["09:00", "18:00"]], "fri": [["09:00", "24:00"]], "sat": [],
                      "sun": []},
            "holidays": [{"date": "2027-02-01", "name": "Día de la Constitución"},
                         {"date": "2027-01-01", "name": "Año Nuevo"}]}
    body.update(over)
    return body


class CalendarTests(DeskTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent_user, cls.agent = cls.make_user("agent")
        cls.requester_user, cls.requester = cls.make_user("requester")

    def test_the_built_in_24x7_calendar_is_always_there(self):
        items = self.agent.get(CALENDARS).json()["items"]
        builtin = items[0]
        self.assertIs(builtin["builtin"], True)
        self.assertEqual(builtin["time_zone"], "UTC")
        self.assertEqual(builtin["hours"], {d: [["00:00", "24:00"]] for d in DAYS})
        self.assertEqual(builtin["holidays"], [])
        self.assertEqual([c["id"] for c in items if c["builtin"]], [builtin["id"]])
        # Renamed, yes; changed or deleted, no.
        r = self.admin.patch(f"{CALENDARS}/{builtin['id']}", json={"name": "Siempre abierto"})
        self.assertStatus(r, 200)
        self.addCleanup(self.admin.patch, f"{CALENDARS}/{builtin['id']}", json={"name": "24x7"})
        for change in ({"hours": {"mon": [["09:00", "18:00"]]}}, {"time_zone": "Europe/Madrid"},
                       {"holidays": [{"date": "2027-01-01"}]}):
            with self.subTest(change=change):
                r = self.admin.patch(f"{CALENDARS}/{builtin['id']}", json=change)
                self.assertEqual(self.assertProblem(r, 409).get("reason"), "builtin_calendar")
        self.assertEqual(self.assertProblem(self.admin.delete(f"{CALENDARS}/{builtin['id']}"),
                                            409).get("reason"), "builtin_calendar")
        after = self.agent.get(f"{CALENDARS}/{builtin['id']}").json()
        self.assertEqual(after["hours"], builtin["hours"])

    def test_create_read_change_and_delete_in_the_fixed_shape(self):
        body = office()
        r = self.admin.post(CALENDARS, json=body)
        self.assertStatus(r, 201)
        c = r.json()
        self.assertEqual(r.headers.get("Location"), f"/api/v1/calendars/{c['id']}")
        self.assertEqual(c["name"], body["name"])
        self.assertEqual(c["time_zone"], "America/Mexico_City")
        self.assertIs(c["builtin"], False)
        self.assertEqual(c["hours"], body["hours"], "every day named, as given")
        self.assertEqual(c["holidays"], sorted(body["holidays"], key=lambda h: h["date"]))
        self.assertEqual(self.agent.get(f"{CALENDARS}/{c['id']}").json(), c)
        self.assertIn(c["id"], [x["id"] for x in self.agent.get(CALENDARS).json()["items"]])
        # A day left out is closed; what is given replaces what was there.
        r = self.admin.patch(f"{CALENDARS}/{c['id']}",
                             json={"hours": {"sat": [["10:00", "13:00"]]}, "holidays": []})
        self.assertStatus(r, 200)
        changed = r.json()
        self.assertEqual(changed["hours"], {d: ([["10:00", "13:00"]] if d == "sat" else [])
                                            for d in DAYS})
        self.assertEqual(changed["holidays"], [])
        self.assertEqual(changed["name"], body["name"], "what is not given stays")
        r = self.admin.patch(f"{CALENDARS}/{c['id']}", json={"name": "Sábados"})
        self.assertEqual(r.json()["hours"], changed["hours"])
        self.assertStatus(self.admin.delete(f"{CALENDARS}/{c['id']}"), 204)
        self.assertProblem(self.agent.get(f"{CALENDARS}/{c['id']}"), 404)
        self.assertProblem(self.admin.delete(f"{CALENDARS}/{c['id']}"), 404)

    def test_what_cannot_be_counted_is_refused_and_changes_nothing(self):
        before = self.admin.get(CALENDARS).json()
        cases = [
            ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "unknown_zone"),
            ({"time_zone": "mexico"}, "time_zone", "unknown_zone"),
            ({"hours": {"mon": [["09:00", "13:00"], ["12:00", "18:00"]]}}, "hours.mon", "overlap"),
            ({"hours": {"tue": [["18:00", "09:00"]]}}, "hours.tue", "empty_range"),
            ({"hours": {"wed": [["24:00", "24:00"]]}}, "hours.wed", "invalid_time"),
            ({"hours": {"thu": [["9:00", "18:00"]]}}, "hours.thu", "invalid_time"),
            ({"hours": {"fri": [["09:00", "25:00"]]}}, "hours.fri", "invalid_time"),
            ({"hours": {"fri": [["09:00"]]}}, "hours.fri", "invalid_time"),
            ({"hours": {"fri": "09:00-18:00"}}, "hours.fri", "invalid_type"),
            ({"hours": {"lunes": [["09:00", "18:00"]]}}, "hours.lunes", "unknown_field"),
            ({"hours": [["09:00", "18:00"]]}, "hours", "invalid_type"),
            ({"hours": {"sat": [["00:00", "01:00"]] * 13}}, "hours.sat", "invalid_type"),
            ({"holidays": [{"date": "2027-02-31", "name": "no such day"}]}, "holidays",
             "invalid_date"),
            ({"holidays": [{"date": "2027-05-01"}, {"date": "2027-05-01"}]}, "holidays",
             "duplicate"),
            ({"holidays": [{"date": "2027-05-01", "extra": 1}]}, "holidays", "invalid_type"),
            ({"holidays": ["2027-05-01"]}, "holidays", "invalid_type"),
            ({"name": ""}, "name", "required"),
            ({"name": "x" * 201}, "name", "too_long"),
        ]
        for change, field, code in cases:
            with self.subTest(change=change):
                r = self.admin.post(CALENDARS, json=office(**change))
                self.assertProblem(r, 422, field)
                codes = {(e["field"], e.get("code")) for e in r.json()["errors"]}
                self.assertIn((field, code), codes)
        missing = office()
        del missing["hours"]
        self.assertProblem(self.admin.post(CALENDARS, json=missing), 422, "hours")
        self.assertProblem(self.admin.post(CALENDARS, json={**office(), "color": "red"}), 422)
        self.assertEqual(self.admin.get(CALENDARS).json(), before, "a refusal changed something")
        # The same on a change.
        c = self.admin.post(CALENDARS, json=office()).json()
        r = self.admin.patch(f"{CALENDARS}/{c['id']}", json={"hours": {"mon": [["10:00", "09:00"]]},
                                                             "name": "Cambiado"})
        self.assertProblem(r, 422, "hours.mon")
        self.assertEqual(self.admin.get(f"{CALENDARS}/{c['id']}").json(), c)

    def test_admins_write_staff_read_requesters_nothing(self):
        c = self.admin.post(CALENDARS, json=office()).json()
        self.assertProblem(self.agent.post(CALENDARS, json=office()), 403)
        self.assertProblem(self.agent.patch(f"{CALENDARS}/{c['id']}", json={"name": "x"}), 403)
        self.assertProblem(self.agent.delete(f"{CALENDARS}/{c['id']}"), 403)
        self.assertProblem(self.requester.get(CALENDARS), 403)
        self.assertProblem(self.requester.get(f"{CALENDARS}/{c['id']}"), 403)
        self.assertEqual(self.agent.get(f"{CALENDARS}/{c['id']}").json(), c)


class DemoCalendarTests(unittest.TestCase):
    """The demo ships a business-hours calendar for Mexico City with Mexico's official
    holidays of the current and next year (the demo's clock is the system's)."""

    def test_the_demo_has_office_hours_in_mexico_city_with_official_holidays(self):
        server = Server("sqlite").prepare_store()
        self.addCleanup(server.close)
        res = server.run_cli(["demo", "--tickets", "50"], timeout=120)
        self.assertEqual(res.returncode, 0, res.stderr)
        rows = server.sql("SELECT id, name, time_zone FROM calendars WHERE builtin = 0")
        self.assertEqual(len(rows), 1, rows)
        cid, name, zone = rows[0]
        self.assertIn("Ciudad de México", name)
        self.assertEqual(zone, "America/Mexico_City")
        hours = server.sql(f"SELECT weekday, start_minute, end_minute FROM calendar_hours "
                           f"WHERE calendar_id = {int(cid)} ORDER BY weekday")
        self.assertEqual([tuple(int(x) for x in h) for h in hours],
                         [(d, 540, 1080) for d in range(5)])
        days = {d for (d,) in server.sql(
            f"SELECT day FROM calendar_holidays WHERE calendar_id = {int(cid)}")}
        import datetime
        year = datetime.date.today().year

        def nth_monday(y, month, n):
            d = datetime.date(y, month, 1)
            d += datetime.timedelta(days=(7 - d.weekday()) % 7)
            return (d + datetime.timedelta(weeks=n - 1)).isoformat()

        for y in (year, year + 1):
            wanted = {f"{y}-01-01", nth_monday(y, 2, 1), nth_monday(y, 3, 3), f"{y}-05-01",
                      f"{y}-09-16", nth_monday(y, 11, 3), f"{y}-12-25"}
            if (y - 2024) % 6 == 0:
                wanted.add(f"{y}-10-01")
            with self.subTest(year=y):
                self.assertEqual({d for d in days if d.startswith(str(y))}, wanted)


if __name__ == "__main__":
    unittest.main()

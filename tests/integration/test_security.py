"""Who may see and do what: ticket visibility, internal fields, the role x route
table of docs/api.md, CSRF, bearer tokens, login rate limits, logout, secrets."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    API, DEFAULT_MATRIX, INTERNAL_TICKET_FIELDS, ROLES, SESSION_COOKIE, Client, DeskTestCase,
    doc_routes, new_password, normalize_route, ticket_payload, unique, unique_email)

ANONYMOUS_VARIANTS = ("anonymous", "bad_bearer", "bad_cookie")
PUBLIC_PATHS = ("/healthz", "/readyz")
CREATED = (200, 201)  # docs/api.md names no status for creating organisations, groups, categories


def expect(requester, agent, supervisor, admin, anonymous=401):
    return {"requester": requester, "agent": agent, "supervisor": supervisor, "admin": admin,
            "anonymous": anonymous}


def everyone(status):
    return expect(status, status, status, status)


def calendar_body():
    return {"name": unique("Calendario "), "time_zone": "America/Mexico_City",
            "hours": {"mon": [["09:00", "18:00"]]}}


def policy_body():
    return {"name": unique("Política "), "rank": 50, "first_response_minutes": 60,
            "resolution_minutes": 480}


def staff_only(status, requester=403):
    return expect(requester, status, status, status)


def rule_body():
    return {"name": unique("Regla "), "trigger": "sla_warning", "directory_level": 1}


def admin_only(status):
    return expect(403, 403, 403, status)


def public(status):
    return expect(status, status, status, status, anonymous=status)


class Route:
    """One call of the table. path_id/body are called per (role) so that mutating
    calls get fresh records; client is "role" (the role's session), "fresh" (a new
    unauthenticated client) or "session" (a new session of the role's user)."""

    def __init__(self, method, template, expected, path_id=None, body=None, client="role", name=""):
        self.method = method
        self.template = template
        self.expected = expected
        self.path_id = path_id
        self.body = body
        self.client = client
        self.name = name

    def path(self, role):
        p = self.template
        if "{id}" in p:
            p = p.replace("{id}", str(self.path_id(role)))
        return p if p in PUBLIC_PATHS else API + p

    def __str__(self):
        return f"{self.method} {self.template}" + (f" ({self.name})" if self.name else "")


class SecurityTests(DeskTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.org = cls.admin.create_organisation(shared_tickets=False)
        cls.other_org = cls.admin.create_organisation(shared_tickets=False)
        cls.users, cls.clients = {}, {}
        for role in ROLES:
            org = cls.org["id"] if role == "requester" else None
            cls.users[role], cls.clients[role] = cls.make_user(role, organisation_id=org)
        cls.agent_user = cls.users["agent"]
        cls.group = cls.admin.create_group(support_level=1, member_ids=[cls.agent_user["id"]])
        cls.category = cls.admin.create_category()
        # a ticket of the table's requester: every role can see it
        cls.visible_ticket = cls.admin.create_ticket(requester_id=cls.users["requester"]["id"])

    # ------------------------------------------------------------------ helpers

    def bogus_client(self, variant):
        c = self.server.client()
        if variant == "bad_bearer":
            c.bearer = "sdt_" + unique("bogus")
        elif variant == "bad_cookie":
            c.cookies[SESSION_COOKIE] = "bogus" + unique()
            c.csrf_token = "bogus" + unique()
        return c

    def fresh_ticket(self, owner=None, **fields):
        owner = owner or self.users["requester"]["id"]
        return self.admin.create_ticket(requester_id=owner, impact="not_critical",
                                        criticality="low", **fields)["id"]

    def fresh_user(self, role):
        return self.make_user(role, login=False)[0]["id"]

    def user_id(self, role):
        return self.users.get(role, self.users["requester"])["id"]

    def fresh_contact(self):
        r = self.admin.post(f"{API}/escalation-contacts",
                            json={"level": 1, "role": "Operador", "name": unique("Contacto ")})
        self.assertEqual(r.status, 201, r)
        return r.json()["id"]

    def fresh_calendar(self):
        r = self.admin.post(f"{API}/calendars", json=calendar_body())
        self.assertEqual(r.status, 201, r)
        return r.json()["id"]

    def fresh_policy(self):
        r = self.admin.post(f"{API}/sla-policies", json=policy_body())
        self.assertEqual(r.status, 201, r)
        return r.json()["id"]

    def contract_body(self):
        if not getattr(self, "_contract_org", None):
            self._contract_org = self.admin.create_organisation()["id"]
        return {"organisation_id": self._contract_org, "name": unique("Contrato "),
                "starts_on": "2026-01-01", "ends_on": "2027-12-31"}

    def fresh_contract(self):
        r = self.admin.post(f"{API}/contracts", json=self.contract_body())
        self.assertEqual(r.status, 201, r)
        return r.json()["id"]

    def fresh_mailbox(self):
        r = self.admin.post(f"{API}/mailboxes", json={"address": unique("buzon") + "@desk.test"})
        self.assertEqual(r.status, 201, r)
        return r.json()["id"]

    def fresh_article(self, status="draft", visibility="public"):
        r = self.admin.post(f"{API}/articles", json={
            "title": unique("Artículo "), "body": "Pasos **uno** y dos.", "language": "es-MX",
            "visibility": visibility, "status": status})
        self.assertEqual(r.status, 201, r)
        return r.json()["id"]

    def article_body(self, role):
        return {"title": unique("Borrador "), "body": "Texto", "language": "es-MX",
                "visibility": "internal", "status": "draft"}

    def fresh_rule(self):
        r = self.admin.post(f"{API}/escalation-rules", json=rule_body())
        self.assertEqual(r.status, 201, r)
        return r.json()["id"]

    def own_token_id(self, role):
        """The id of a new token of the role's user (made by the CLI, which any role may
        be given a token by); for the anonymous variants, any id."""
        if role not in ROLES:
            return 1
        name = unique("cli token ")
        res = self.server.run_cli(["token", "create", self.users[role]["email"], "--name", name])
        self.assertEqual(res.returncode, 0, res.stderr)
        listed = self.clients[role].get(f"{API}/tokens")
        self.assertStatus(listed, 200)
        return next(t["id"] for t in listed.json()["items"] if t["name"] == name)

    def login_body(self, role):
        if role in ROLES:
            return {"email": self.users[role]["email"], "password": self.clients[role].password}
        return {"email": unique_email("nobody"), "password": "not-the-password"}

    def assertHidden(self, resp):
        """A record the caller may not see answers 404 like a missing one."""
        self.assertProblem(resp, 404)

    # ------------------------------------------------------------------ the role x route table

    def routes(self):
        t = self
        fresh_ticket = lambda role: t.fresh_ticket()  # noqa: E731
        visible = lambda role: t.visible_ticket["id"]  # noqa: E731
        name_body = lambda role: {"name": unique("Renamed ")}  # noqa: E731

        def new_user_body(new_role):
            return lambda role: {"email": unique_email("made"), "name": "Made " + unique(),
                                 "role": new_role, "password": new_password()}

        return [
            Route("POST", "/auth/login", everyone(200), body=t.login_body, client="fresh"),
            Route("POST", "/auth/logout", everyone(204), client="session"),
            Route("GET", "/auth/me", everyone(200)),
            Route("POST", "/tickets", everyone(201), body=lambda role: ticket_payload()),
            Route("GET", "/tickets", everyone(200)),
            Route("GET", "/tickets/{id}", everyone(200), path_id=visible),
            Route("PATCH", "/tickets/{id}", staff_only(200), path_id=fresh_ticket,
                  body=lambda role: {"subject": unique("Edited ")}),
            Route("POST", "/tickets/{id}/transitions", everyone(200), path_id=fresh_ticket,
                  body=lambda role: {"to": "cancelled"}, name="cancel a new ticket"),
            Route("POST", "/tickets/{id}/transitions", staff_only(200), path_id=fresh_ticket,
                  body=lambda role: {"to": "in_progress"}, name="start work"),
            Route("POST", "/tickets/{id}/comments", everyone(201), path_id=visible,
                  body=lambda role: {"body": "public " + unique(), "internal": False},
                  name="public"),
            Route("POST", "/tickets/{id}/comments", staff_only(201), path_id=visible,
                  body=lambda role: {"body": "note " + unique(), "internal": True},
                  name="internal"),
            Route("POST", "/tickets/{id}/escalations", staff_only(201), path_id=fresh_ticket,
                  body=lambda role: {"to_level": 2, "reason": "table " + unique()}),
            Route("GET", "/tickets/{id}/events", everyone(200), path_id=visible),
            Route("GET", "/users", staff_only(200)),
            Route("POST", "/users", expect(403, 201, 201, 201), body=new_user_body("requester"),
                  name="role requester"),
            Route("POST", "/users", expect(403, 403, 201, 201), body=new_user_body("agent"),
                  name="role agent"),
            Route("POST", "/users", expect(403, 403, 403, 201), body=new_user_body("supervisor"),
                  name="role supervisor"),
            Route("POST", "/users", expect(403, 403, 403, 201), body=new_user_body("admin"),
                  name="role admin"),
            Route("GET", "/users/{id}", everyone(200), path_id=t.user_id, name="self"),
            Route("GET", "/users/{id}", staff_only(200, requester=404),
                  path_id=lambda role: t.fresh_user("requester"), name="another requester"),
            Route("GET", "/users/{id}", staff_only(200, requester=404),
                  path_id=lambda role: t.agent_user["id"], name="an agent"),
            Route("PATCH", "/users/{id}", everyone(200), path_id=t.user_id, body=name_body,
                  name="own name"),
            Route("PATCH", "/users/{id}", expect((403, 404), 200, 200, 200),
                  path_id=lambda role: t.fresh_user("requester"), body=name_body,
                  name="a requester"),
            Route("PATCH", "/users/{id}", expect((403, 404), 403, 200, 200),
                  path_id=lambda role: t.fresh_user("agent"), body=name_body, name="an agent"),
            Route("PATCH", "/users/{id}", expect((403, 404), 403, 403, 200),
                  path_id=lambda role: t.fresh_user("supervisor"), body=name_body,
                  name="a supervisor"),
            Route("PATCH", "/users/{id}", expect((403, 404), 403, 403, 200),
                  path_id=lambda role: t.fresh_user("admin"), body=name_body, name="an admin"),
            Route("PATCH", "/users/{id}", expect((403, 404), 403, None, 200),
                  path_id=lambda role: t.fresh_user("requester"),
                  body=lambda role: {"role": "agent"}, name="raise a requester to agent"),
            Route("PATCH", "/users/{id}", expect((403, 404), 403, 403, 200),
                  path_id=lambda role: t.fresh_user("agent"),
                  body=lambda role: {"role": "admin"}, name="raise an agent to admin"),
            Route("GET", "/organisations", staff_only(200, requester=(200, 403))),
            Route("GET", "/organisations/{id}", everyone(200), path_id=lambda role: t.org["id"],
                  name="the requester's own"),
            Route("GET", "/organisations/{id}", staff_only(200, requester=(403, 404)),
                  path_id=lambda role: t.other_org["id"], name="another"),
            Route("POST", "/organisations", expect(403, 403, CREATED, CREATED),
                  body=lambda role: {"name": unique("Org "), "shared_tickets": False}),
            Route("PATCH", "/organisations/{id}", expect(403, 403, 200, 200),
                  path_id=lambda role: t.admin.create_organisation()["id"], body=name_body),
            Route("GET", "/groups", staff_only(200)),
            Route("GET", "/groups/{id}", staff_only(200), path_id=lambda role: t.group["id"]),
            # Supervisors manage groups too (issue 7, web app 12).
            Route("POST", "/groups", expect(403, 403, CREATED, CREATED),
                  body=lambda role: {"name": unique("Group "), "support_level": 2}),
            Route("PATCH", "/groups/{id}", expect(403, 403, 200, 200),
                  path_id=lambda role: t.admin.create_group()["id"], body=name_body),
            Route("GET", "/categories", everyone(200)),
            Route("GET", "/categories/{id}", everyone(200), path_id=lambda role: t.category["id"]),
            Route("POST", "/categories", admin_only(CREATED),
                  body=lambda role: {"name": unique("Category ")}),
            Route("PATCH", "/categories/{id}", admin_only(200),
                  path_id=lambda role: t.admin.create_category()["id"], body=name_body),
            Route("GET", "/settings/priority-matrix", everyone(200)),
            Route("PUT", "/settings/priority-matrix", admin_only(200),
                  body=lambda role: {"matrix": DEFAULT_MATRIX}),
            Route("GET", "/settings/auto-close", staff_only(200)),
            Route("PUT", "/settings/auto-close", admin_only(200),
                  body=lambda role: {"enabled": True, "after_hours": 72}),
            Route("GET", "/statuses", everyone(200)),
            Route("GET", "/admin/jobs", admin_only(200)),
            Route("POST", "/admin/jobs/{id}/retry", admin_only(200),
                  path_id=lambda role: t.server.insert_job("test.table", status="failed"),
                  name="a failed job"),
            Route("POST", "/tokens", staff_only(201), body=lambda role: {"name": unique("tok ")},
                  name="the default: staff only"),
            Route("GET", "/tokens", everyone(200)),
            Route("DELETE", "/tokens/{id}", everyone(204), path_id=t.own_token_id,
                  name="one's own"),
            Route("GET", "/settings/routing", staff_only(200)),
            Route("PUT", "/settings/routing", admin_only(200),
                  body=lambda role: {"group_by_level": True}),
            Route("GET", "/settings/api-tokens", staff_only(200)),
            Route("PUT", "/settings/api-tokens", admin_only(200),
                  body=lambda role: {"who": "staff"}),
            Route("GET", "/tickets/counts", staff_only(200)),
            Route("GET", "/escalation-contacts", staff_only(200)),
            Route("POST", "/escalation-contacts", admin_only(201),
                  body=lambda role: {"level": 2, "role": "Jefe de mesa", "name": unique("Contacto ")}),
            Route("PATCH", "/escalation-contacts/{id}", admin_only(200),
                  path_id=lambda role: t.fresh_contact(), body=lambda role: {"level": 3}),
            Route("DELETE", "/escalation-contacts/{id}", admin_only(204),
                  path_id=lambda role: t.fresh_contact()),
            Route("GET", "/calendars", staff_only(200)),
            Route("GET", "/calendars/{id}", staff_only(200), path_id=lambda role: 1,
                  name="the built-in"),
            Route("POST", "/calendars", admin_only(201), body=lambda role: calendar_body()),
            Route("PATCH", "/calendars/{id}", admin_only(200),
                  path_id=lambda role: t.fresh_calendar(), body=lambda role: {"holidays": []}),
            Route("DELETE", "/calendars/{id}", admin_only(204),
                  path_id=lambda role: t.fresh_calendar()),
            Route("GET", "/sla-policies", staff_only(200)),
            Route("GET", "/sla-policies/{id}", staff_only(200),
                  path_id=lambda role: t.fresh_policy()),
            Route("POST", "/sla-policies", admin_only(201), body=lambda role: policy_body()),
            Route("PATCH", "/sla-policies/{id}", admin_only(200),
                  path_id=lambda role: t.fresh_policy(), body=lambda role: {"rank": 5}),
            Route("DELETE", "/sla-policies/{id}", admin_only(204),
                  path_id=lambda role: t.fresh_policy()),
            Route("GET", "/escalation-rules", staff_only(200)),
            Route("GET", "/escalation-rules/{id}", staff_only(200),
                  path_id=lambda role: t.fresh_rule()),
            Route("POST", "/escalation-rules", admin_only(201), body=lambda role: rule_body()),
            Route("PATCH", "/escalation-rules/{id}", admin_only(200),
                  path_id=lambda role: t.fresh_rule(), body=lambda role: {"active": False}),
            Route("DELETE", "/escalation-rules/{id}", admin_only(204),
                  path_id=lambda role: t.fresh_rule()),
            Route("GET", "/notifications", staff_only(200)),
            Route("POST", "/notifications/read-all", staff_only(200)),
            Route("POST", "/notifications/{id}/read", staff_only(200), path_id=lambda role: 1,
                  name="someone else's or none: nothing marked"),
            Route("GET", "/admin/outbox", admin_only(200)),
            Route("GET", "/mailboxes", admin_only(200)),
            Route("GET", "/mailboxes/{id}", admin_only(200), path_id=lambda role: t.fresh_mailbox()),
            Route("POST", "/mailboxes", admin_only(201),
                  body=lambda role: {"address": unique("buzon") + "@desk.test"}),
            Route("PATCH", "/mailboxes/{id}", admin_only(200),
                  path_id=lambda role: t.fresh_mailbox(), body=lambda role: {"name": "Otro"}),
            Route("DELETE", "/mailboxes/{id}", admin_only(204),
                  path_id=lambda role: t.fresh_mailbox()),
            Route("GET", "/admin/inbound-mail", admin_only(200)),
            Route("GET", "/admin/inbound-mail/{id}", expect(403, 403, 403, 404),
                  path_id=lambda role: 999999, name="none such"),
            Route("GET", "/admin/inbound-mail/{id}/raw", expect(403, 403, 403, 404),
                  path_id=lambda role: 999999, name="none such"),
            Route("POST", "/admin/inbound-mail/{id}/retry", expect(403, 403, 403, 404),
                  path_id=lambda role: 999999, body=lambda role: {}, name="none such"),
            Route("GET", "/tickets/{id}/mail", staff_only(200), path_id=visible),
            Route("GET", "/tickets/{id}/attachments", everyone(200), path_id=visible),
            Route("GET", "/attachments/{id}", everyone(404), path_id=lambda role: 999999,
                  name="none such"),
            Route("POST", "/uploads", everyone(415), body=lambda role: {"file": "x"},
                  name="JSON, not multipart/form-data"),
            Route("GET", "/contracts", staff_only(200)),
            Route("GET", "/contracts/{id}", staff_only(200), path_id=lambda role: t.fresh_contract()),
            Route("POST", "/contracts", admin_only(201), body=lambda role: t.contract_body()),
            Route("PATCH", "/contracts/{id}", admin_only(200),
                  path_id=lambda role: t.fresh_contract(), body=lambda role: {"name": "Otro"}),
            Route("DELETE", "/contracts/{id}", admin_only(204),
                  path_id=lambda role: t.fresh_contract()),
            Route("GET", "/reports/sla", expect(403, 403, 200, 200)),
            Route("GET", "/reports/knowledge", expect(403, 403, 200, 200)),
            Route("GET", "/articles", everyone(200)),
            Route("POST", "/articles", staff_only(201), body=t.article_body, name="a draft"),
            Route("POST", "/articles/preview", staff_only(200),
                  body=lambda role: {"body": "# Hola"}),
            Route("GET", "/articles/suggestions", everyone(200), name="no text yet"),
            Route("GET", "/articles/{id}", everyone(200),
                  path_id=lambda role: t.fresh_article("published")),
            Route("GET", "/articles/{id}", expect(404, 200, 200, 200),
                  path_id=lambda role: t.fresh_article("published", "internal"),
                  name="internal"),
            Route("PATCH", "/articles/{id}", staff_only(200),
                  path_id=lambda role: t.fresh_article(), body=lambda role: {"title": "Otro"}),
            Route("DELETE", "/articles/{id}", expect(403, 403, 204, 204),
                  path_id=lambda role: t.fresh_article(), name="someone else's draft"),
            Route("GET", "/articles/{id}/versions", staff_only(200),
                  path_id=lambda role: t.fresh_article()),
            Route("POST", "/articles/{id}/votes", everyone(200),
                  path_id=lambda role: t.fresh_article("published"),
                  body=lambda role: {"helpful": True}),
            Route("POST", "/deflections", everyone(201),
                  body=lambda role: {"article_id": t.fresh_article("published")}),
            Route("GET", "/search", everyone(400), name="without words"),
            Route("GET", "/tickets/{id}/suggested-articles", staff_only(200),
                  path_id=lambda role: t.visible_ticket["id"]),
            Route("POST", "/tickets/{id}/solutions", staff_only(201),
                  path_id=lambda role: t.fresh_ticket(),
                  body=lambda role: {"article_id": t.fresh_article("published")}),
            Route("GET", "/tickets/{id}/solutions", everyone(200),
                  path_id=lambda role: t.visible_ticket["id"]),
            Route("POST", "/tickets/{id}/article-draft", staff_only(409),
                  path_id=lambda role: t.fresh_ticket(), name="not solved yet"),
            Route("GET", "/settings/knowledge-base", staff_only(200)),
            Route("PUT", "/settings/knowledge-base", admin_only(200),
                  body=lambda role: {"agents_publish": False}),
            Route("GET", "/live", everyone(426), name="without a WebSocket upgrade"),
            Route("GET", "/healthz", public(200)),
            Route("GET", "/readyz", public(200)),
            Route("GET", "/openapi.json", public(200)),
            # last: when these wrongly succeed they change the table's own users
            Route("PATCH", "/users/{id}", expect(403, 403, 403, None), path_id=t.user_id,
                  body=lambda role: {"role": "admin"}, name="own role"),
            Route("PATCH", "/users/{id}", expect(403, 403, 403, None), path_id=t.user_id,
                  body=lambda role: {"active": False}, name="own active flag"),
        ]

    def test_role_table_covers_every_documented_route(self):
        documented = doc_routes()
        if documented is None:
            self.skipTest("docs/api.md not found next to the tests")
        covered = {(r.method, normalize_route(r.template)) for r in self.routes()}
        self.assertEqual(documented - covered, set(), "documented routes missing from the table")
        self.assertEqual(covered - documented, set(), "table routes not in docs/api.md")

    def test_role_table(self):
        for route in self.routes():
            for who in (*ANONYMOUS_VARIANTS, *ROLES):
                role = who if who in ROLES else "anonymous"
                wanted = route.expected[role]
                if wanted is None:
                    continue
                with self.subTest(route=str(route), who=who):
                    if who in ROLES:
                        if route.client == "fresh":
                            client = self.server.client()
                        elif route.client == "session":
                            client = self.server.client()
                            client.login(self.users[who]["email"], self.clients[who].password)
                        else:
                            client = self.clients[who]
                    else:
                        client = self.bogus_client(who)
                    kwargs = {}
                    if route.body is not None:
                        kwargs["json"] = route.body(who)
                    r = client.request(route.method, route.path(who), **kwargs)
                    self.assertStatus(r, wanted)
                    self.assertTrue(r.request_id, f"no X-Request-Id on {r!r}")
                    if r.status >= 400:
                        self.assertProblem(r, r.status)
                    elif r.status != 204:
                        self.assertEqual(r.content_type, "application/json", repr(r))
                        r.json()

    # ------------------------------------------------------------------ visibility

    def test_requester_cannot_reach_another_requesters_ticket(self):
        u1, c1 = self.make_user("requester")
        u2, c2 = self.make_user("requester")
        mine = c1.create_ticket()
        theirs = c2.create_ticket(subject="Private matter " + unique())
        self.admin.comment(theirs["id"], "reply to owner")
        before = self.admin.ticket(theirs["id"])
        events_before = self.admin.events(theirs["id"])
        base = f"{API}/tickets/{theirs['id']}"
        self.assertHidden(c1.get(base))
        self.assertHidden(c1.patch(base, json={"subject": "hijacked"}))
        self.assertHidden(c1.post(base + "/transitions", json={"to": "cancelled"}))
        self.assertHidden(c1.post(base + "/comments", json={"body": "hi", "internal": False}))
        self.assertProblem(c1.post(base + "/comments", json={"body": "hi", "internal": True}),
                           (403, 404))
        self.assertHidden(c1.get(base + "/events"))
        self.assertProblem(c1.post(base + "/escalations", json={"to_level": 2, "reason": "x"}),
                           (403, 404))
        self.assertEqual(self.admin.ticket(theirs["id"]), before, "hidden ticket was changed")
        self.assertEqual(self.admin.events(theirs["id"]), events_before)

        listed = c1.list_all()
        self.assertIn(mine["id"], [t["id"] for t in listed])
        self.assertNotIn(theirs["id"], [t["id"] for t in listed])
        self.assertTrue(all(t["requester_id"] == u1["id"] for t in listed), listed)
        r = c1.get(f"{API}/tickets", params={"requester_id": u2["id"]})
        if r.status == 200:
            self.assertNotIn(theirs["id"], [t["id"] for t in r.json()["items"]])
        else:
            self.assertProblem(r, 403)
        r = c1.get(f"{API}/tickets", params={"q": theirs["subject"].split()[-1]})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["items"], [])
        # a hidden ticket and a missing one look alike
        missing = c1.get(f"{API}/tickets/{theirs['id'] + 1000000}")
        self.assertHidden(missing)

    def test_shared_organisation_lets_members_see_each_others_tickets(self):
        shared = self.admin.create_organisation(shared_tickets=True)
        private = self.admin.create_organisation(shared_tickets=False)
        a1, ca1 = self.make_user("requester", organisation_id=shared["id"])
        a2, ca2 = self.make_user("requester", organisation_id=shared["id"])
        b1, cb1 = self.make_user("requester", organisation_id=private["id"])
        b2, cb2 = self.make_user("requester", organisation_id=private["id"])
        _, outsider = self.make_user("requester")
        ta = ca1.create_ticket()
        tb = cb1.create_ticket()
        self.assertEqual(ta["organisation_id"], shared["id"])
        self.assertEqual(tb["organisation_id"], private["id"])
        ta_staff = self.admin.create_ticket(requester_id=a1["id"])
        self.assertEqual(ta_staff["organisation_id"], shared["id"])

        for tid in (ta["id"], ta_staff["id"]):
            r = ca2.get(f"{API}/tickets/{tid}")
            self.assertStatus(r, 200)
            self.assertNoInternalFields(r.json(), "in a shared organisation")
            self.assertStatus(ca2.get(f"{API}/tickets/{tid}/events"), 200)
        self.assertTrue({ta["id"], ta_staff["id"]} <= {t["id"] for t in ca2.list_all()})
        self.assertProblem(ca2.patch(f"{API}/tickets/{ta['id']}", json={"subject": "x"}), 403)

        self.assertHidden(cb2.get(f"{API}/tickets/{tb['id']}"))
        self.assertNotIn(tb["id"], {t["id"] for t in cb2.list_all()})
        self.assertHidden(ca2.get(f"{API}/tickets/{tb['id']}"))
        self.assertHidden(cb2.get(f"{API}/tickets/{ta['id']}"))
        self.assertHidden(outsider.get(f"{API}/tickets/{ta['id']}"))
        self.assertNotIn(ta["id"], {t["id"] for t in outsider.list_all()})
        self.assertStatus(cb1.get(f"{API}/tickets/{tb['id']}"), 200)

    # ------------------------------------------------------------------ internal data

    def test_requester_never_receives_internal_fields_or_events(self):
        u, c = self.make_user("requester")
        r = c.post(f"{API}/tickets", json=ticket_payload())
        self.assertStatus(r, 201)
        created = r.json()
        self.assertNoInternalFields(created, "on create")
        tid = created["id"]
        note = "secret note " + unique()
        reason = "secret reason " + unique()
        self.admin.patch_ticket(tid, assignee_id=self.agent_user["id"], group_id=self.group["id"])
        self.admin.comment(tid, note, internal=True)
        self.admin.escalate(tid, 3, reason)
        self.admin.comment(tid, "public answer")
        staff_view = self.admin.ticket(tid)
        self.assertEqual(staff_view["support_level"], 3)

        r = c.get(f"{API}/tickets/{tid}")
        self.assertStatus(r, 200)
        self.assertNoInternalFields(r.json(), "on GET")
        for item in c.list_all():
            self.assertNoInternalFields(item, "in a list")
        r = c.get(f"{API}/tickets/{tid}/events")
        self.assertStatus(r, 200)
        self.assertNotIn(note, r.text)
        self.assertNotIn(reason, r.text)
        events = r.json()["items"]
        self.assertTrue(events)
        for e in events:
            self.assertIs(e["internal"], False, f"requester received internal event {e}")
            self.assertNotIn(e["kind"], ("note", "escalation"))
        self.assertIn("reply", [e["kind"] for e in events])
        staff_events = self.admin.events(tid)
        self.assertIn("note", [e["kind"] for e in staff_events])
        self.assertIn("escalation", [e["kind"] for e in staff_events])

        ev = c.comment(tid, "thanks")
        self.assertIs(ev["internal"], False)

        # transition responses
        self.admin.transition(tid, "in_progress")
        self.admin.transition(tid, "resolved")
        r = c.post(f"{API}/tickets/{tid}/transitions", json={"to": "in_progress"})
        self.assertStatus(r, 200)
        self.assertNoInternalFields(r.json(), "on reopen")
        self.admin.transition(tid, "resolved")
        r = c.post(f"{API}/tickets/{tid}/transitions", json={"to": "closed"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["status"], "closed")
        self.assertNoInternalFields(r.json(), "on confirm")
        other = c.create_ticket()
        r = c.post(f"{API}/tickets/{other['id']}/transitions", json={"to": "cancelled"})
        self.assertStatus(r, 200)
        self.assertNoInternalFields(r.json(), "on cancel")
        for f in INTERNAL_TICKET_FIELDS:
            self.assertIn(f, self.admin.ticket(other["id"]), "staff do get internal fields")

    def test_requester_cannot_write_internal_notes_or_patch(self):
        u, c = self.make_user("requester")
        t = c.create_ticket()
        before = self.admin.ticket(t["id"])
        n = len(self.admin.events(t["id"]))
        r = c.post(f"{API}/tickets/{t['id']}/comments", json={"body": "psst", "internal": True})
        self.assertProblem(r, 403)
        r = c.patch(f"{API}/tickets/{t['id']}", json={"subject": "changed by requester"})
        self.assertProblem(r, 403)
        r = c.patch(f"{API}/tickets/{t['id']}", json={"assignee_id": self.agent_user["id"]})
        self.assertProblem(r, 403)
        r = c.post(f"{API}/tickets/{t['id']}/escalations", json={"to_level": 3, "reason": "now"})
        self.assertProblem(r, 403)
        self.assertEqual(self.admin.ticket(t["id"]), before)
        self.assertEqual(len(self.admin.events(t["id"])), n)

    def test_requester_transitions_are_limited(self):
        u, c = self.make_user("requester")
        t = c.create_ticket()
        tid = t["id"]
        path = f"{API}/tickets/{tid}/transitions"
        for to in ("in_progress", "assigned"):
            with self.subTest(frm="new", to=to):
                self.assertProblem(c.post(path, json={"to": to}), 403)
        self.assertProblem(c.post(path, json={"to": "closed"}), (403, 409))
        self.assertEqual(self.admin.ticket(tid)["status"], "new")
        self.admin.transition(tid, "in_progress")
        for to in ("pending", "resolved", "cancelled"):
            with self.subTest(frm="in_progress", to=to):
                self.assertProblem(c.post(path, json={"to": to}), 403)
        self.assertEqual(self.admin.ticket(tid)["status"], "in_progress")
        self.admin.transition(tid, "resolved")
        self.assertEqual(c.transition(tid, "in_progress")["status"], "in_progress")
        self.admin.transition(tid, "resolved")
        self.assertEqual(c.transition(tid, "closed")["status"], "closed")
        # cancelling is for new tickets only
        t2 = c.create_ticket()
        self.admin.patch_ticket(t2["id"], assignee_id=self.agent_user["id"])
        self.assertProblem(c.post(f"{API}/tickets/{t2['id']}/transitions",
                                  json={"to": "cancelled"}), 403)
        t3 = c.create_ticket()
        self.assertEqual(c.transition(t3["id"], "cancelled")["status"], "cancelled")

    def test_requester_cannot_create_for_someone_else(self):
        u, c = self.make_user("requester")
        other, _ = self.make_user("requester", login=False)
        before = len(self.admin.list_all({"requester_id": other["id"]}))
        r = c.post(f"{API}/tickets", json=ticket_payload(requester_id=other["id"]))
        self.assertProblem(r, 403)
        self.assertEqual(len(self.admin.list_all({"requester_id": other["id"]})), before)
        own = c.create_ticket(requester_id=u["id"])
        self.assertEqual(own["requester_id"], u["id"])

    def test_requester_directory_access(self):
        u, c = self.make_user("requester")
        self.assertProblem(c.get(f"{API}/users"), 403)
        r = c.get(f"{API}/users/{u['id']}")
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["email"], u["email"])
        self.assertHidden(c.get(f"{API}/users/{self.users['agent']['id']}"))
        r = c.patch(f"{API}/users/{u['id']}", json={"role": "admin"})
        self.assertProblem(r, 403)
        me = c.get(f"{API}/auth/me").json()
        self.assertEqual(me["role"], "requester")

    # ------------------------------------------------------------------ CSRF and tokens

    def test_cookie_sessions_need_the_csrf_header(self):
        u, c = self.make_user("agent")
        other_session = self.server.client()
        other_session.login(u["email"], c.password)
        self.assertNotEqual(other_session.csrf_token, c.csrf_token)
        count = lambda: len(self.admin.list_all({"requester_id": u["id"]}))  # noqa: E731
        n = count()
        r = c.post(f"{API}/tickets", json=ticket_payload(), csrf=False)
        self.assertProblem(r, 403)
        for bad in ("wrong-token", other_session.csrf_token, ""):
            with self.subTest(token=bad):
                r = c.post(f"{API}/tickets", json=ticket_payload(), csrf=False,
                           headers={"X-CSRF-Token": bad})
                self.assertProblem(r, 403)
        self.assertEqual(count(), n, "a ticket was created without a valid CSRF token")
        self.assertStatus(c.post(f"{API}/tickets", json=ticket_payload()), 201)
        self.assertEqual(count(), n + 1)

        t = self.admin.create_ticket()
        r = c.patch(f"{API}/tickets/{t['id']}", json={"subject": "no csrf"}, csrf=False)
        self.assertProblem(r, 403)
        self.assertEqual(self.admin.ticket(t["id"])["subject"], t["subject"])
        self.assertStatus(c.patch(f"{API}/tickets/{t['id']}", json={"subject": "with csrf"}), 200)
        r = c.post(f"{API}/tickets/{t['id']}/transitions", json={"to": "in_progress"}, csrf=False)
        self.assertProblem(r, 403)
        r = c.post(f"{API}/tickets/{t['id']}/comments", json={"body": "x", "internal": False},
                   csrf=False)
        self.assertProblem(r, 403)

        r = self.admin.put(f"{API}/settings/priority-matrix", json={"matrix": DEFAULT_MATRIX},
                           csrf=False)
        self.assertProblem(r, 403)
        r = self.admin.put(f"{API}/settings/auto-close", json={"enabled": False, "after_hours": 1},
                           csrf=False)
        self.assertProblem(r, 403)
        self.assertEqual(self.admin.get(f"{API}/settings/auto-close").json()["enabled"], True)
        self.assertStatus(self.admin.put(f"{API}/settings/priority-matrix",
                                         json={"matrix": DEFAULT_MATRIX}), 200)

        r = c.post(f"{API}/auth/logout", csrf=False)
        self.assertProblem(r, 403)
        self.assertStatus(c.get(f"{API}/auth/me"), 200, "session survives a refused logout")
        self.assertStatus(c.get(f"{API}/tickets"), 200, "GET needs no CSRF header")

    def test_bearer_tokens(self):
        u, c = self.make_user("agent")
        name = unique("integration ")
        r = c.post(f"{API}/tokens", json={"name": name})
        self.assertStatus(r, 201)
        body = r.json()
        self.assertEqual(body["name"], name)
        self.assertIsInstance(body["id"], int)
        self.assertIsInstance(body["token"], str)
        self.assertGreaterEqual(len(body["token"]), 20, "token too short to be secret")
        self.assertIn("created_at", body)
        token = body["token"]
        self.assertNotEqual(c.create_token(), token, "tokens are unique")

        bot = self.server.client(bearer=token)
        me = bot.get(f"{API}/auth/me")
        self.assertStatus(me, 200)
        self.assertEqual(me.json()["id"], u["id"])
        r = bot.post(f"{API}/tickets", json=ticket_payload())
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["channel"], "api")
        self.assertStatus(bot.patch(f"{API}/tickets/{r.json()['id']}", json={"subject": "via token"}),
                          200)

        n = len(self.admin.list_all({"requester_id": u["id"]}))
        for bad in (token + "x", token[:-1], "sdt_" + unique(), ""):
            with self.subTest(token=bad[:12]):
                wrong = self.server.client(bearer=bad)
                self.assertProblem(wrong.get(f"{API}/auth/me"), 401)
                self.assertProblem(wrong.post(f"{API}/tickets", json=ticket_payload()), 401)
        for header in (f"Basic {token}", f"bearer{token}", token):
            with self.subTest(authorization=header[:12]):
                anon = self.server.client()
                self.assertProblem(anon.get(f"{API}/auth/me", headers={"Authorization": header}),
                                   401)
        self.assertEqual(len(self.admin.list_all({"requester_id": u["id"]})), n)

        # a requester's token carries a requester's rights (requesters may create tokens
        # only when the desk lets everyone: by default only staff)
        ru, rc = self.make_user("requester")
        self.assertProblem(rc.post(f"{API}/tokens", json={"name": unique("tok ")}), 403)
        self.assertStatus(self.admin.put(f"{API}/settings/api-tokens", json={"who": "everyone"}),
                          200)
        try:
            rtoken = rc.create_token()
        finally:
            self.assertStatus(self.admin.put(f"{API}/settings/api-tokens", json={"who": "staff"}),
                              200)
        rbot = self.server.client(bearer=rtoken)
        t = rbot.create_ticket()
        self.assertNoInternalFields(t, "via a requester token")
        self.assertProblem(rbot.patch(f"{API}/tickets/{t['id']}", json={"subject": "x"}), 403)

    def test_deactivated_user_loses_sessions_and_tokens(self):
        u, c = self.make_user("agent")
        token = c.create_token()
        self.assertStatus(self.admin.patch(f"{API}/users/{u['id']}", json={"active": False}), 200)
        self.assertProblem(c.get(f"{API}/auth/me"), 401)
        self.assertProblem(self.server.client(bearer=token).get(f"{API}/auth/me"), 401)
        r = self.server.client().post(f"{API}/auth/login",
                                      json={"email": u["email"], "password": c.password})
        self.assertProblem(r, 401)

    # ------------------------------------------------------------------ login and logout

    def test_login_sets_a_safe_cookie(self):
        u, _ = self.make_user("requester", login=False)
        pw = self.server.known_passwords[-1]
        c = self.server.client()
        r = c.post(f"{API}/auth/login", json={"email": u["email"], "password": pw})
        self.assertStatus(r, 200)
        body = r.json()
        self.assertEqual(body["user"]["id"], u["id"])
        self.assertIsInstance(body["csrf_token"], str)
        self.assertGreaterEqual(len(body["csrf_token"]), 16)
        cookies = [v for k, v in r.header_pairs if k.lower() == "set-cookie"
                   and v.startswith(SESSION_COOKIE + "=")]
        self.assertEqual(len(cookies), 1, r.header_pairs)
        attrs = [a.strip().lower() for a in cookies[0].split(";")[1:]]
        self.assertIn("httponly", attrs)
        self.assertIn("samesite=lax", attrs)
        self.assertIn("path=/", attrs)
        value = cookies[0].split(";")[0].split("=", 1)[1]
        self.assertGreaterEqual(len(value), 16, "session id too short")
        self.assertNotIn(str(u["id"]), [value], "session id is the user id")

        # a second login is a second session with its own id
        c2 = self.server.client()
        c2.login(u["email"], pw)
        self.assertNotEqual(c2.cookies[SESSION_COOKIE], value)

    def test_wrong_credentials_are_401(self):
        u, c = self.make_user("requester", login=False)
        anon = self.server.client()
        wrong_pw = anon.post(f"{API}/auth/login", json={"email": u["email"], "password": "nope-" + unique()})
        self.assertProblem(wrong_pw, 401)
        no_user = anon.post(f"{API}/auth/login",
                            json={"email": unique_email("ghost"), "password": "whatever-123"})
        self.assertProblem(no_user, 401)
        self.assertEqual(wrong_pw.json()["title"], no_user.json()["title"],
                         "unknown email and wrong password must look alike")
        self.assertNotIn(SESSION_COOKIE, anon.cookies)

    def test_login_rate_limit_per_account(self):
        u, _ = self.make_user("requester", login=False)
        pw = self.server.known_passwords[-1]
        anon = self.server.client()
        login = lambda p: anon.post(f"{API}/auth/login",  # noqa: E731
                                    json={"email": u["email"], "password": p})
        for i in range(5):
            self.assertProblem(login(f"bad-{i}-{unique()}"), 401)
        sixth = login("bad-6-" + unique())
        limited = sixth if sixth.status == 429 else login("bad-7-" + unique())
        self.assertProblem(limited, 429)
        retry = limited.headers.get("Retry-After")
        self.assertIsNotNone(retry, "429 without Retry-After")
        self.assertRegex(retry, r"^\d+$")
        self.assertTrue(1 <= int(retry) <= 300, retry)
        right = login(pw)
        self.assertStatus(right, 429, "correct password accepted while limited")
        self.assertProblem(right, 429)
        self.assertIsNotNone(right.headers.get("Retry-After"))
        self.assertNotIn(SESSION_COOKIE, anon.cookies)
        # the limit is per account: another account logs in from the same address
        other, oc = self.make_user("requester")
        self.assertStatus(oc.get(f"{API}/auth/me"), 200)

    def test_logout_invalidates_the_session(self):
        u, c = self.make_user("agent")
        self.assertStatus(c.get(f"{API}/auth/me"), 200)
        old_cookies, old_csrf = dict(c.cookies), c.csrf_token
        r = c.post(f"{API}/auth/logout")
        self.assertStatus(r, 204)
        self.assertEqual(r.body, b"")
        cleared = [v for k, v in r.header_pairs if k.lower() == "set-cookie"
                   and v.startswith(SESSION_COOKIE + "=")]
        self.assertTrue(cleared, "logout does not clear the cookie")
        self.assertNotIn(SESSION_COOKIE, c.cookies, f"cookie not cleared: {cleared}")
        replay = self.server.client()
        replay.cookies.update(old_cookies)
        replay.csrf_token = old_csrf
        self.assertProblem(replay.get(f"{API}/auth/me"), 401)
        self.assertProblem(replay.post(f"{API}/tickets", json=ticket_payload()), 401)
        self.assertProblem(replay.post(f"{API}/auth/logout"), 401)
        again = self.server.client()
        again.login(u["email"], c.password)
        self.assertStatus(again.get(f"{API}/auth/me"), 200)

    def test_password_change(self):
        u, c = self.make_user("requester")
        new_pw = new_password()
        self.server.known_passwords.append(new_pw)
        r = c.patch(f"{API}/users/{u['id']}",
                    json={"password": new_pw, "current_password": c.password})
        self.assertStatus(r, 200)
        fresh = self.server.client()
        fresh.login(u["email"], new_pw)
        admin_set = new_password()
        self.server.known_passwords.append(admin_set)
        self.assertStatus(self.admin.patch(f"{API}/users/{u['id']}", json={"password": admin_set}),
                          200)
        self.server.client().login(u["email"], admin_set)
        r = self.server.client().post(f"{API}/auth/login",
                                      json={"email": u["email"], "password": new_pw})
        self.assertProblem(r, 401)

    def test_zz_passwords_never_appear_in_any_response(self):
        # runs last in this class (unittest sorts by name): scans everything seen so far
        u = self.admin.create_user(unique_email("pwcheck"), "Password Check", "requester",
                                   password=(pw := new_password()))
        self.server.known_passwords.append(pw)
        self.admin.get(f"{API}/users/{u['id']}")
        self.admin.get(f"{API}/users", params={"q": "pwcheck"})
        self.admin.get(f"{API}/auth/me")
        c = self.server.client()
        c.login(u["email"], pw)
        c.get(f"{API}/auth/me")
        with self.server.transcript_lock:
            transcript = list(self.server.transcript)
        self.assertGreater(len(transcript), 50)
        secrets_ = [p for p in self.server.known_passwords if p]
        for method, path, status, headers, body in transcript:
            blob = body.decode("utf-8", "replace") + "\n".join(f"{k}: {v}" for k, v in headers)
            for p in secrets_:
                self.assertNotIn(p, blob, f"password in the response to {method} {path}")
            if path.startswith(f"{API}/openapi.json"):
                continue  # the schema names its password fields, it holds no values
            if b"password" in body.lower() or b"hash" in body.lower():
                # the only such keys allowed: booleans (User's must_change_password,
                # a mailbox's has_password)
                keys = re.findall(r'"([a-z_]*(?:password|hash)[a-z_]*)"\s*:\s*(\S{0,5})', blob)
                for key, value in keys:
                    self.assertIn(key, ("must_change_password", "has_password"),
                                  f"password-like field in the response to {method} {path}")
                    self.assertRegex(value, r"^(true|false)\b",
                                     f"{key} not a boolean in {method} {path}")
        log = self.server.log_text()
        for p in secrets_:
            self.assertNotIn(p, log, "a password was written to the server log")


class AddressRateLimitTests(DeskTestCase):
    """20 failed logins from one address lock the address (its own server, since the
    lock would break other tests' logins for five minutes)."""

    def test_failures_from_one_address_lock_every_account(self):
        users = [self.make_user("requester", login=False)[0] for _ in range(8)]
        passwords = self.server.known_passwords[-8:]
        anon = self.server.client()
        statuses = []
        for i in range(22):
            u = users[i % 7]  # at most 4 failures per account: below the account limit
            r = anon.post(f"{API}/auth/login", json={"email": u["email"], "password": f"bad{i}"})
            statuses.append(r.status)
            if r.status == 429:
                break
        self.assertEqual(statuses[:20], [401] * 20, statuses)
        self.assertEqual(statuses[-1], 429, f"no 429 after {len(statuses)} failures: {statuses}")
        r = anon.post(f"{API}/auth/login", json={"email": users[7]["email"], "password": passwords[7]})
        self.assertStatus(r, 429, "an untouched account logged in from a locked address")
        self.assertProblem(r, 429)
        self.assertRegex(r.headers.get("Retry-After") or "", r"^\d+$")
        # existing sessions keep working
        self.assertStatus(self.admin.get(f"{API}/auth/me"), 200)


if __name__ == "__main__":
    unittest.main()

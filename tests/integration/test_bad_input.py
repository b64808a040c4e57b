"""Hostile and broken input: every case gets the right problem response, changes
nothing, and leaves the server answering (docs/api.md, Errors)."""

import contextlib
import json
import os
import re
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    API, OMIT, SESSION_COOKIE, DeskTestCase, chunked, raw_request_bytes,
    send_raw, ticket_payload, unique, unique_email, wait_until)

MIB = 1024 * 1024


def status_until_close(sock, timeout=10.0):
    """Reads until the server closes; the status of an HTTP/1.x answer, else None."""
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        pass
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", data)
    return int(m.group(1)) if m else None


class BadInputTests(DeskTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ticket = cls.admin.create_ticket()

    # ------------------------------------------------------------------ helpers

    def count_tickets(self):
        return len(self.admin.list_all())

    def assertServing(self):
        r = self.server.client().get("/healthz", timeout=10)
        self.assertStatus(r, 200, "server stopped answering /healthz")
        self.assertEqual(r.json(), {"status": "ok"})

    @contextlib.contextmanager
    def changes_nothing(self):
        before = self.count_tickets()
        before_events = self.admin.events(self.ticket["id"])
        before_ticket = self.admin.ticket(self.ticket["id"])
        yield
        self.assertServing()
        self.assertEqual(self.count_tickets(), before, "the ticket count changed")
        self.assertEqual(self.admin.ticket(self.ticket["id"]), before_ticket)
        self.assertEqual(self.admin.events(self.ticket["id"]), before_events)

    def post_ticket_bytes(self, body, content_type="application/json"):
        return self.admin.request("POST", f"{API}/tickets", body=body,
                                  headers={"Content-Type": content_type})

    def auth_headers(self):
        return {"Cookie": f"{SESSION_COOKIE}={self.admin.cookies[SESSION_COOKIE]}",
                "X-CSRF-Token": self.admin.csrf_token}

    def assertRawProblem(self, resp, statuses):
        self.assertIsNotNone(resp, "connection closed without a response")
        self.assertIn(resp.status, statuses, repr(resp))
        self.assertEqual(resp.content_type, "application/problem+json", repr(resp))
        body = resp.json()
        self.assertEqual(body.get("status"), resp.status)
        self.assertTrue(body.get("title"))
        self.assertTrue(resp.headers.get("X-Request-Id"), "no X-Request-Id")

    # ------------------------------------------------------------------ bodies

    def test_malformed_json_is_400(self):
        for body in (b'{"subject": ', b"{subject: 1}", b'{"type":"incident",}', b"",
                     b"nul", b'{"a":1}}', b'{"a":1} {"b":2}', b"\x00"):
            with self.subTest(body=body):
                with self.changes_nothing():
                    self.assertProblem(self.post_ticket_bytes(body), 400)

    def test_json_that_is_not_an_object(self):
        for body in (b"[]", b'[{"type":"incident"}]', b'"text"', b"42", b"null", b"true"):
            with self.subTest(body=body):
                with self.changes_nothing():
                    self.assertProblem(self.post_ticket_bytes(body), (400, 422))
                    self.assertProblem(self.admin.request(
                        "PATCH", f"{API}/tickets/{self.ticket['id']}", body=body), (400, 422))

    def test_deeply_nested_json(self):
        for body in (b"[" * 100000, b'{"a":' * 50000 + b"1" + b"}" * 50000):
            with self.subTest(size=len(body)):
                with self.changes_nothing():
                    self.assertProblem(self.post_ticket_bytes(body), (400, 422))

    def test_wrong_types_are_422_naming_the_field(self):
        cases = [
            ("impact", 3), ("criticality", True), ("type", ["incident"]), ("subject", 123),
            ("subject", None), ("description", {"text": "x"}), ("requester_id", "abc"),
            ("category_id", 1.5), ("channel", 7),
        ]
        for field, value in cases:
            with self.subTest(field=field, value=value):
                with self.changes_nothing():
                    r = self.admin.post(f"{API}/tickets", json=ticket_payload(**{field: value}))
                    self.assertProblem(r, 422, field=field)
        with self.changes_nothing():
            r = self.admin.patch(f"{API}/tickets/{self.ticket['id']}", json={"impact": 3})
            self.assertProblem(r, 422, field="impact")
            r = self.admin.post(f"{API}/tickets/{self.ticket['id']}/comments",
                                json={"body": 5, "internal": False})
            self.assertProblem(r, 422, field="body")
            r = self.admin.post(f"{API}/tickets/{self.ticket['id']}/comments",
                                json={"body": "x", "internal": "yes"})
            self.assertProblem(r, 422, field="internal")
            r = self.admin.post(f"{API}/tickets/{self.ticket['id']}/escalations",
                                json={"to_level": "2", "reason": "x"})
            self.assertProblem(r, 422, field="to_level")

    def test_unknown_enum_values_are_422(self):
        for field, value in (("impact", "catastrophic"), ("criticality", "extreme"),
                             ("type", "question"), ("channel", "fax"), ("impact", ""),
                             ("impact", "Critical")):
            with self.subTest(field=field, value=value):
                with self.changes_nothing():
                    r = self.admin.post(f"{API}/tickets", json=ticket_payload(**{field: value}))
                    self.assertProblem(r, 422, field=field)
        with self.changes_nothing():
            r = self.admin.post(f"{API}/tickets/{self.ticket['id']}/transitions",
                                json={"to": "done"})
            self.assertProblem(r, 422, field="to")
            r = self.admin.patch(f"{API}/tickets/{self.ticket['id']}", json={"type": "question"})
            self.assertProblem(r, 422, field="type")

    def test_missing_required_fields_are_422_naming_each(self):
        with self.changes_nothing():
            r = self.admin.post(f"{API}/tickets", json={})
            self.assertProblem(r, 422)
            self.assertErrorFields(r, ["type", "subject", "impact", "criticality"])
        for field in ("type", "subject", "impact", "criticality"):
            with self.subTest(missing=field):
                with self.changes_nothing():
                    r = self.admin.post(f"{API}/tickets", json=ticket_payload(**{field: OMIT}))
                    self.assertProblem(r, 422, field=field)
                    named = {e["field"] for e in r.json()["errors"]}
                    self.assertEqual(named, {field}, "only the missing field is wrong")
        with self.changes_nothing():
            r = self.admin.post(f"{API}/tickets", json=ticket_payload(subject=""))
            self.assertProblem(r, 422, field="subject")
            r = self.admin.post(f"{API}/tickets/{self.ticket['id']}/transitions", json={})
            self.assertProblem(r, 422, field="to")
            r = self.admin.post(f"{API}/tickets/{self.ticket['id']}/comments", json={})
            self.assertProblem(r, 422, field="body")
            r = self.admin.post(f"{API}/tickets/{self.ticket['id']}/escalations", json={})
            self.assertProblem(r, 422, field="to_level")

    def test_description_is_required(self):
        # docs/api.md marks optional body fields with "?"; "description" has none, so a
        # ticket without one is refused ("" is the way to send no description).
        with self.changes_nothing():
            r = self.admin.post(f"{API}/tickets", json={})
            self.assertProblem(r, 422, field="description")
            r = self.admin.post(f"{API}/tickets", json=ticket_payload(description=OMIT))
            self.assertProblem(r, 422, field="description")

    def test_over_long_text_is_422(self):
        for subject in ("s" * 201, "é" * 201, "🙂" * 201):
            with self.subTest(subject=subject[:3] + "..."), self.changes_nothing():
                r = self.admin.post(f"{API}/tickets", json=ticket_payload(subject=subject))
                self.assertProblem(r, 422, field="subject")
        with self.changes_nothing():
            r = self.admin.post(f"{API}/tickets", json=ticket_payload(description="d" * 100001))
            self.assertProblem(r, 422, field="description")
            r = self.admin.patch(f"{API}/tickets/{self.ticket['id']}", json={"subject": "x" * 201})
            self.assertProblem(r, 422, field="subject")

    def test_limits_are_counted_in_characters_and_accepted_at_the_edge(self):
        for subject in ("s" * 200, "é" * 200, "🙂" * 200, "a"):
            with self.subTest(subject=subject[:3] + "..."):
                t = self.admin.create_ticket(subject=subject)
                self.assertEqual(t["subject"], subject)
                self.assertEqual(self.admin.ticket(t["id"])["subject"], subject)
        for blank in ("", "  \n "):
            with self.changes_nothing():
                r = self.admin.post(f"{API}/tickets", json=ticket_payload(description=blank))
                self.assertProblem(r, 422, field="description")
        long_description = ("línea ñ " * 12500)[:100000]
        t = self.admin.create_ticket(description=long_description)
        self.assertEqual(self.admin.ticket(t["id"])["description"], long_description)
        r = self.admin.request("POST", f"{API}/tickets", body=json.dumps(ticket_payload()),
                               headers={"Content-Type": "application/json; charset=utf-8"})
        self.assertStatus(r, 201)

    def test_invalid_utf8_in_the_body_is_400(self):
        template = (b'{"type":"incident","subject":"%s","description":"x",'
                    b'"impact":"not_critical","criticality":"low"}')
        for bad in (b"\xff\xfe", b"\xc0\xaf", b"\xed\xa0\x80", b"abc\x80", b"\xe2\x82",
                    b"\xf4\x90\x80\x80"):
            with self.subTest(bytes=bad):
                with self.changes_nothing():
                    self.assertProblem(self.post_ticket_bytes(template % bad), 400)
        with self.changes_nothing():
            r = self.admin.request("PATCH", f"{API}/tickets/{self.ticket['id']}",
                                   body=b'{"subject":"\xff"}')
            self.assertProblem(r, 400)

    def test_invalid_utf8_in_the_query_is_400(self):
        for q in ("%FF%FE", "%C0%AF", "abc%80", "%ED%A0%80"):
            with self.subTest(q=q):
                with self.changes_nothing():
                    self.assertProblem(self.admin.get(f"{API}/tickets?q={q}"), 400)

    def test_body_over_one_mebibyte_is_413(self):
        payload = json.dumps(ticket_payload(description="a" * (MIB + 1000))).encode()
        for method, path in (("POST", f"{API}/tickets"),
                             ("PATCH", f"{API}/tickets/{self.ticket['id']}")):
            with self.subTest(method=method), self.changes_nothing():
                data = raw_request_bytes(method, path, {**self.auth_headers(),
                                                        "Content-Type": "application/json"},
                                         payload)
                resp = send_raw(self.server.port, chunked(data))
                self.assertRawProblem(resp, (413,))

    def test_wrong_content_type_is_415(self):
        body = json.dumps(ticket_payload())
        for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                      "application/xml"):
            with self.subTest(content_type=ctype), self.changes_nothing():
                self.assertProblem(self.post_ticket_bytes(body, ctype), 415)
                r = self.admin.request("PATCH", f"{API}/tickets/{self.ticket['id']}",
                                       body=json.dumps({"subject": "x"}),
                                       headers={"Content-Type": ctype})
                self.assertProblem(r, 415)
        with self.changes_nothing():
            r = self.admin.request("POST", f"{API}/tickets", body=body,
                                   headers={"Content-Type": None})
            self.assertProblem(r, (400, 415))

    # ------------------------------------------------------------------ query strings

    def test_bad_cursor_is_400(self):
        self.admin.create_ticket()
        self.admin.create_ticket()
        real = self.admin.list_page({"limit": 1})["next_cursor"]
        self.assertIsNotNone(real)
        for cursor in ("not-a-cursor", "!!!", "A" * 600, "%00%01", "eyJ9", "%FF" + real):
            with self.subTest(cursor=cursor[:20]):
                self.assertProblem(self.admin.get(f"{API}/tickets?limit=1&cursor={cursor}"), 400)
        self.assertServing()

    def test_bad_limit_is_400(self):
        for limit in ("0", "1000", "201", "-1", "abc", "1.5", "99999999999999999999"):
            with self.subTest(limit=limit):
                self.assertProblem(self.admin.get(f"{API}/tickets?limit={limit}"), 400)
        for limit in ("1", "200"):
            with self.subTest(limit=limit):
                r = self.admin.get(f"{API}/tickets?limit={limit}")
                self.assertStatus(r, 200)
                self.assertLessEqual(len(r.json()["items"]), int(limit))
        self.assertServing()

    def test_unknown_sort_is_400(self):
        for sort in ("description", "--id", "-status-", "-", "id,priority", "password"):
            with self.subTest(sort=sort):
                self.assertProblem(self.admin.get(f"{API}/tickets", params={"sort": sort}), 400)

    def test_bad_filter_values_are_400(self):
        for key, value in (("status", "bogus"), ("status", "new,bogus"), ("type", "question"),
                           ("priority", "urgent"), ("support_level", "4"),
                           ("support_level", "x"), ("assignee_id", "abc"), ("group_id", "abc"),
                           ("requester_id", "abc"), ("category_id", "abc")):
            with self.subTest(key=key, value=value):
                self.assertProblem(self.admin.get(f"{API}/tickets", params={key: value}), 400)

    # ------------------------------------------------------------------ ids and routes

    def test_unknown_ticket_is_404(self):
        base = f"{API}/tickets/999999999"
        with self.changes_nothing():
            self.assertProblem(self.admin.get(base), 404)
            self.assertProblem(self.admin.patch(base, json={"subject": "x"}), 404)
            self.assertProblem(self.admin.post(base + "/transitions", json={"to": "cancelled"}), 404)
            self.assertProblem(self.admin.post(base + "/comments",
                                               json={"body": "x", "internal": False}), 404)
            self.assertProblem(self.admin.get(base + "/events"), 404)
            self.assertProblem(self.admin.post(base + "/escalations",
                                               json={"to_level": 2, "reason": "x"}), 404)

    def test_non_numeric_ticket_id_is_404(self):
        for tid in ("abc", "1abc", "1.5", "SD-X", "%20", "0x10"):
            with self.subTest(id=tid), self.changes_nothing():
                self.assertProblem(self.admin.get(f"{API}/tickets/{tid}"), 404)
                self.assertProblem(self.admin.patch(f"{API}/tickets/{tid}", json={"subject": "x"}),
                                   404)
                self.assertProblem(self.admin.get(f"{API}/tickets/{tid}/events"), 404)
        self.assertProblem(self.admin.get(f"{API}/tickets/99999999999999999999999"), (400, 404))
        self.assertProblem(self.admin.get(f"{API}/users/abc"), 404)

    def test_unknown_references_are_422(self):
        with self.changes_nothing():
            r = self.admin.post(f"{API}/tickets", json=ticket_payload(requester_id=999999999))
            self.assertProblem(r, 422, field="requester_id")
            r = self.admin.post(f"{API}/tickets", json=ticket_payload(category_id=999999999))
            self.assertProblem(r, 422, field="category_id")
            r = self.admin.patch(f"{API}/tickets/{self.ticket['id']}",
                                 json={"category_id": 999999999})
            self.assertProblem(r, 422, field="category_id")
            r = self.admin.patch(f"{API}/tickets/{self.ticket['id']}",
                                 json={"assignee_id": 999999999})
            self.assertProblem(r, 422, field="assignee_id")
            r = self.admin.patch(f"{API}/tickets/{self.ticket['id']}", json={"group_id": 999999999})
            self.assertProblem(r, 422, field="group_id")

    def test_unknown_route_is_404(self):
        # only under /api: other paths may one day serve the web client
        for path in (f"{API}/nope", "/api/v2/tickets", f"{API}/tickets/1/nope",
                     f"{API}/tickets/1/events/2", f"{API}", f"{API}/ticket"):
            with self.subTest(path=path), self.changes_nothing():
                self.assertProblem(self.admin.get(path), 404)
                self.assertProblem(self.admin.post(path, json={}), 404)

    def test_wrong_method_on_a_known_path_is_405(self):
        tid = self.ticket["id"]
        cases = [
            ("DELETE", f"{API}/tickets"), ("PUT", f"{API}/tickets"),
            ("PUT", f"{API}/tickets/{tid}"), ("DELETE", f"{API}/tickets/{tid}"),
            ("POST", f"{API}/tickets/{tid}"), ("GET", f"{API}/tickets/{tid}/transitions"),
            ("PATCH", f"{API}/tickets/{tid}/events"), ("GET", f"{API}/auth/login"),
            ("POST", "/healthz"), ("PATCH", f"{API}/settings/priority-matrix"),
            ("PUT", f"{API}/tokens"), ("GET", f"{API}/tokens/1"), ("DELETE", f"{API}/users"),
            ("POST", f"{API}/settings/routing"), ("DELETE", f"{API}/settings/api-tokens"),
        ]
        for method, path in cases:
            with self.subTest(method=method, path=path), self.changes_nothing():
                body = b"{}" if method in ("POST", "PUT", "PATCH") else None
                r = self.admin.request(method, path, body=body)
                self.assertProblem(r, 405)
                allow = r.headers.get("Allow")
                if allow is not None:
                    self.assertNotIn(method, [m.strip() for m in allow.split(",")])

    # ------------------------------------------------------------------ the connection

    def test_huge_header_is_refused(self):
        for name, headers in (
                ("one huge header", {"X-Huge": "a" * (256 * 1024)}),
                ("huge cookie", {"Cookie": f"{SESSION_COOKIE}=" + "b" * (256 * 1024)}),
                ("many headers", {f"X-N-{i}": "v" * 40 for i in range(5000)})):
            with self.subTest(case=name), self.changes_nothing():
                data = raw_request_bytes("GET", f"{API}/tickets", headers)
                resp = send_raw(self.server.port, chunked(data, 16384))
                self.assertRawProblem(resp, (400, 413, 431))

    def test_truncated_requests_on_a_raw_socket(self):
        body = json.dumps(ticket_payload()).encode()
        full = raw_request_bytes("POST", f"{API}/tickets",
                                 {**self.auth_headers(), "Content-Type": "application/json"}, body)
        head_end = full.index(b"\r\n\r\n") + 4
        for name, cut in (("inside the body", head_end + len(body) // 2),
                          ("after the headers", head_end),
                          ("inside the headers", head_end // 2),
                          ("inside the request line", 7)):
            with self.subTest(cut=name), self.changes_nothing():
                with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
                    s.sendall(full[:cut])
                    s.shutdown(socket.SHUT_WR)
                    status = status_until_close(s)
                    if status is not None:  # a 400 is fine, a ticket is not
                        self.assertGreaterEqual(status, 400)
        for garbage in (b"HELLO\r\n\r\n", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\0" * 64,
                        b"GET / HTTP/9.9\r\n\r\n", b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"):
            with self.subTest(garbage=garbage[:16]), self.changes_nothing():
                with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
                    s.sendall(garbage)
                    s.shutdown(socket.SHUT_WR)
                    status = status_until_close(s)
                    if status is not None:  # 505 is right for an unknown HTTP version
                        self.assertTrue(400 <= status < 500 or status == 505, status)

    def test_slow_clients_do_not_block_others(self):
        before = self.count_tickets()
        slow = []
        try:
            for i in range(16):
                s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
                slow.append(s)
                partial = raw_request_bytes("POST", f"{API}/tickets",
                                            {**self.auth_headers(), "Content-Type": "application/json"},
                                            json.dumps(ticket_payload()).encode())
                s.sendall(partial[: (len(partial) // 2) if i % 2 else 20])
            fast = self.server.client()
            try:
                for _ in range(5):
                    self.assertStatus(fast.get("/healthz", timeout=5), 200)
                t = self.admin.request("POST", f"{API}/tickets", json=ticket_payload(), timeout=5)
                self.assertStatus(t, 201)
                self.assertEqual(self.count_tickets(), before + 1)
                self.assertStatus(self.admin.get(f"{API}/tickets/{t.json()['id']}", timeout=5), 200)
            except (socket.timeout, TimeoutError):
                self.fail(f"{len(slow)} half-sent requests kept the server from answering "
                          "others within 5 s")
        finally:
            for s in slow:
                s.close()
        self.assertServing()

    # ------------------------------------------------------------------ request ids and log

    def test_every_response_has_a_request_id_logged_once(self):
        anon = self.server.client()
        responses = [
            self.admin.get("/healthz"),
            self.admin.get("/readyz"),
            self.admin.get(f"{API}/tickets/{self.ticket['id']}"),
            self.admin.get(f"{API}/tickets", params={"limit": 2}),
            self.admin.post(f"{API}/tickets", json=ticket_payload()),
            self.admin.get(f"{API}/tickets/999999999"),
            self.admin.request("DELETE", f"{API}/tickets"),
            self.admin.get(f"{API}/tickets?limit=0"),
            self.admin.post(f"{API}/tickets", json={}),
            self.post_ticket_bytes(b"{"),
            self.admin.get(f"{API}/nope"),
            anon.get(f"{API}/auth/me"),
            anon.post(f"{API}/auth/login", json={"email": "ghost@test.example", "password": "x"}),
            self.admin.post(f"{API}/tickets", json=ticket_payload(), csrf=False),
        ]
        ids = []
        for r in responses:
            rid = r.headers.get("X-Request-Id")
            self.assertTrue(rid, f"no X-Request-Id on {r!r}")
            self.assertRegex(rid, r"^[\x21-\x7e]+$")
            ids.append(rid)
        self.assertEqual(len(ids), len(set(ids)), f"request ids repeat: {ids}")

        def token_re(rid):
            return re.compile(r"(?<![\w-])" + re.escape(rid) + r"(?![\w-])")

        wait_until(lambda: all(any(token_re(rid).search(l) for l in self.server.log) for rid in ids),
                   10, "a log line for every request id")
        log = self.server.log
        for rid, r in zip(ids, responses):
            lines = [l for l in log if token_re(rid).search(l)]
            self.assertTrue(lines, f"request {rid} ({r.method} {r.path}) not logged")
            if len(rid) >= 8:  # short ids could also match unrelated numbers
                self.assertEqual(len(lines), 1, f"request {rid} ({r.method} {r.path}) logged "
                                                f"{len(lines)} times: {lines}")


if __name__ == "__main__":
    unittest.main()


class FieldErrorCodeTests(DeskTestCase):
    """Validation errors carry a stable code the web app translates."""

    def codes(self, body):
        r = self.admin.post(f"{API}/tickets", json=body)
        self.assertProblem(r, 422)
        return {e["field"]: e["code"] for e in r.json()["errors"]}

    def test_codes(self):
        self.assertEqual(self.codes({}), {f: "required" for f in
                                          ("type", "subject", "description", "impact",
                                           "criticality")})
        good = ticket_payload()
        self.assertEqual(self.codes({**good, "subject": "x" * 201})["subject"], "too_long")
        self.assertEqual(self.codes({**good, "impact": 3})["impact"], "invalid_type")
        self.assertEqual(self.codes({**good, "impact": "huge"})["impact"], "unknown_value")
        self.assertEqual(self.codes({**good, "colour": "red"})["colour"], "unknown_field")
        self.assertEqual(self.codes({**good, "subject": "a\x07b"})["subject"], "invalid_text")
        self.assertEqual(self.codes({**good, "category_id": 999999})["category_id"], "not_found")

    def test_timezone_must_be_an_iana_zone(self):
        def create(tz):
            return self.admin.post(f"{API}/users", json={
                "email": unique_email("tz"), "name": "Zone " + unique(), "role": "requester",
                "timezone": tz})

        for tz in ("Mars/Olympus", "Mexico City", "europe/madrid", "Europe/Nowhere", "",
                   "../../etc/passwd", "UTC+25"):
            with self.subTest(timezone=tz):
                r = create(tz)
                self.assertProblem(r, 422, field="timezone")
                codes = {e["field"]: e["code"] for e in r.json()["errors"]}
                self.assertEqual(codes, {"timezone": "invalid_format"})
        for tz in ("Europe/Madrid", "UTC", "America/Mexico_City"):
            with self.subTest(timezone=tz):
                r = create(tz)
                self.assertStatus(r, 201)
                self.assertEqual(r.json()["timezone"], tz)

        u = create("UTC").json()
        r = self.admin.patch(f"{API}/users/{u['id']}", json={"timezone": "Mars/Olympus"})
        self.assertProblem(r, 422, field="timezone")
        self.assertEqual(r.json()["errors"][0]["code"], "invalid_format")
        self.assertEqual(self.admin.get(f"{API}/users/{u['id']}").json()["timezone"], "UTC")
        r = self.admin.patch(f"{API}/users/{u['id']}", json={"timezone": "Europe/Madrid"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["timezone"], "Europe/Madrid")

        # a user's own change is checked the same way
        me = self.admin.get(f"{API}/auth/me").json()
        r = self.admin.patch(f"{API}/users/{me['id']}", json={"timezone": "Mexico City"})
        self.assertProblem(r, 422, field="timezone")

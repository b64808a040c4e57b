"""Live channel: GET /api/v1/live as a WebSocket - ticket events per role, presence,
admission (origin, credentials, upgrade) and, on PostgreSQL, delivery across nodes
(docs/api.md, "Planned for the web app")."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    API, INTERNAL_TICKET_FIELDS, SESSION_COOKIE, DeskTestCase, Server, expected_support_level,
    new_password, unique, wait_until)
import wsclient  # noqa: E402

LIVE = f"{API}/live"
DEADLINE = 10.0  # for one message to arrive
EVENT_KEYS = ("id", "ticket_id", "kind", "actor_type", "actor_id", "actor_name", "internal",
              "body", "field", "old_value", "new_value", "created_at")


def cookie_header(client) -> str:
    return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


class LiveTests(DeskTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent_user, cls.agent = cls.make_user("agent")
        cls.agent2_user, cls.agent2 = cls.make_user("agent")
        cls.agent3_user, cls.agent3 = cls.make_user("agent")
        cls.requester_user, cls.requester = cls.make_user("requester")
        cls.requester2_user, cls.requester2 = cls.make_user("requester")
        cls.group = cls.admin.create_group(support_level=1, member_ids=[cls.agent_user["id"]])
        # New tickets are routed to cls.group (the first group of level 1), not to this one.
        cls.other_group = cls.admin.create_group(support_level=1)

    # ------------------------------------------------------------------ helpers

    def connect(self, headers=None, server=None, path=LIVE):
        """The raw outcome of an upgrade: a WebSocket or a wsclient.Refused."""
        server = server or self.server
        result = wsclient.connect("127.0.0.1", server.port, path, headers or {})
        if isinstance(result, wsclient.WebSocket):
            self.addCleanup(result.close)
        return result

    def open_live(self, client=None, server=None, headers=None):
        """An open live channel for client (its session cookie), ready to receive.

        The ping round trip proves the server reads the channel, so it has registered the
        client before anything the test does next."""
        hdrs = {}
        if client is not None:
            hdrs["Cookie"] = cookie_header(client)
        hdrs.update(headers or {})
        ws = self.connect(hdrs, server)
        if not isinstance(ws, wsclient.WebSocket):
            self.fail(f"upgrade of {LIVE} with {sorted(hdrs)} was refused: {ws!r}")
        ws.ping(DEADLINE)
        return ws

    def next_message(self, ws, predicate, what, timeout=DEADLINE):
        """The first message matching predicate, failing on timeout; the skipped ones are
        in the failure message."""
        deadline = time.monotonic() + timeout
        skipped = []
        while True:
            remaining = deadline - time.monotonic()
            try:
                msg = ws.recv_json(max(remaining, 0.001))
            except wsclient.Timeout:
                self.fail(f"timed out after {timeout:.0f}s waiting for {what}; "
                          f"skipped meanwhile: {skipped}")
            except wsclient.ConnectionClosed as e:
                self.fail(f"channel closed ({e}) while waiting for {what}; skipped: {skipped}")
            self.assertIsInstance(msg, dict, f"live message {msg!r}")
            self.assertIn(msg.get("type"), ("event", "presence"), f"live message {msg!r}")
            if msg["type"] == "event":
                self.assertEventMessage(msg)
            else:
                self.assertPresenceMessage(msg)
            if predicate(msg):
                return msg
            skipped.append(msg)

    def next_event(self, ws, ticket_ids, what=None):
        """The next event message about one of ticket_ids (others are skipped)."""
        ids = set(ticket_ids)
        return self.next_message(
            ws, lambda m: m["type"] == "event" and m["event"]["ticket_id"] in ids,
            what or f"an event on ticket(s) {sorted(ids)}")

    def next_about(self, ws, ticket_ids, what):
        """The next presence message, or event on one of ticket_ids: events on other
        tickets may still be fanned out to a channel opened just after they were made."""
        ids = set(ticket_ids)
        return self.next_message(
            ws, lambda m: m["type"] == "presence" or m["event"]["ticket_id"] in ids, what)

    def next_presence(self, ws, ticket_id):
        return self.next_message(
            ws, lambda m: m["type"] == "presence" and m["ticket_id"] == ticket_id,
            f"presence of ticket {ticket_id}")

    def assertEventMessage(self, msg):
        self.assertEqual(set(msg), {"type", "ticket", "event"}, f"event message {msg}")
        t, e = msg["ticket"], msg["event"]
        self.assertIsInstance(t, dict, repr(msg))
        self.assertIsInstance(e, dict, repr(msg))
        for k in EVENT_KEYS:
            self.assertIn(k, e, f"event lacks {k}: {msg}")
        for k in ("id", "number", "subject", "status", "priority", "requester_id"):
            self.assertIn(k, t, f"ticket lacks {k}: {msg}")
        self.assertEqual(e["ticket_id"], t["id"], f"event and ticket disagree: {msg}")

    def assertPresenceMessage(self, msg):
        self.assertEqual(set(msg), {"type", "ticket_id", "viewers"}, f"presence message {msg}")
        self.assertIsInstance(msg["ticket_id"], int, repr(msg))
        self.assertIsInstance(msg["viewers"], list, repr(msg))
        for v in msg["viewers"]:
            self.assertEqual(set(v), {"user_id", "name", "state"}, f"viewer in {msg}")
            self.assertIn(v["state"], ("viewing", "replying"), repr(msg))

    def assertViewers(self, msg, expected):
        """expected: {user: state}; names must be the users' names."""
        got = {v["user_id"]: (v["name"], v["state"]) for v in msg["viewers"]}
        self.assertEqual(len(got), len(msg["viewers"]), f"a viewer listed twice: {msg}")
        want = {u["id"]: (u["name"], state) for u, state in expected}
        self.assertEqual(got, want, f"viewers of ticket {msg['ticket_id']}")

    # ------------------------------------------------------------------ events

    def test_agent_receives_created_event_of_a_requesters_ticket(self):
        ws = self.open_live(self.agent)
        t = self.requester.create_ticket(impact="critical", criticality="medium")
        msg = self.next_event(ws, {t["id"]}, f"the created event of ticket {t['id']}")
        e, ticket = msg["event"], msg["ticket"]
        self.assertEqual(e["kind"], "created", f"first event of a new ticket: {msg}")
        self.assertIs(e["internal"], False, repr(msg))
        self.assertEqual(e["actor_id"], self.requester_user["id"], repr(msg))
        self.assertEqual(ticket["id"], t["id"])
        self.assertEqual(ticket["number"], t["number"])
        self.assertEqual(ticket["subject"], t["subject"])
        self.assertEqual(ticket["requester_id"], self.requester_user["id"])
        self.assertEqual(ticket["status"], "new")
        self.assertEqual(ticket["priority"], "high")
        for f in INTERNAL_TICKET_FIELDS:
            self.assertIn(f, ticket, f"staff ticket lacks {f}: {msg}")
        self.assertEqual(ticket["support_level"], expected_support_level("critical", "medium"))
        self.assertEqual(e, self.agent.events(t["id"])[0], "live event differs from REST")

        # Exactly once: the next event on either ticket is the second ticket's creation.
        t2 = self.requester.create_ticket()
        msg = self.next_event(ws, {t["id"], t2["id"]})
        self.assertEqual((msg["event"]["ticket_id"], msg["event"]["kind"]), (t2["id"], "created"),
                         f"expected ticket {t2['id']} created, got {msg}")

    def test_bearer_token_opens_the_channel(self):
        token = self.agent.create_token()
        ws = self.open_live(headers={"Authorization": f"Bearer {token}"})
        t = self.requester.create_ticket()
        msg = self.next_event(ws, {t["id"]})
        self.assertEqual(msg["event"]["kind"], "created", repr(msg))

    def test_staff_receive_internal_events(self):
        ws = self.open_live(self.agent2)
        t = self.requester.create_ticket()
        note = unique("staff note ")
        self.agent.comment(t["id"], note, internal=True)
        self.agent.patch_ticket(t["id"], group_id=self.other_group["id"])
        got = []
        for _ in range(4):
            msg = self.next_event(ws, {t["id"]})
            e = msg["event"]
            got.append((e["kind"], e["actor_type"]))
            if e["kind"] == "note":
                self.assertEqual(e["body"], note)
                self.assertIs(e["internal"], True)
            if e["kind"] == "assignment":
                self.assertIs(e["internal"], True, repr(msg))
                self.assertEqual(e["field"], "group_id", repr(msg))
            if e["kind"] == "assignment" and e["actor_type"] == "user":
                self.assertEqual(msg["ticket"]["group_id"], self.other_group["id"], repr(msg))
        # The routing of the new ticket to the level-1 group comes right after its creation.
        self.assertEqual(got, [("created", "user"), ("assignment", "system"), ("note", "user"),
                               ("assignment", "user")])

    def test_requester_gets_public_replies_but_never_internal_events(self):
        ws = self.open_live(self.requester)
        t = self.requester.create_ticket()
        first = self.next_about(ws, {t["id"]}, "the requester's created event")
        self.assertEqual((first["type"], first["event"]["ticket_id"], first["event"]["kind"]),
                         ("event", t["id"], "created"), f"first message: {first}")
        self.assertNoInternalFields(first["ticket"], "on the live channel (created)")

        note = unique("secret note ")
        reason = unique("secret reason ")
        reply = unique("public reply ")
        self.agent.comment(t["id"], note, internal=True)
        self.agent.patch_ticket(t["id"], group_id=self.group["id"])
        self.agent.escalate(t["id"], 2, reason)
        self.agent.comment(t["id"], reply)
        staff_kinds = [e["kind"] for e in self.agent.events(t["id"])]
        for kind in ("note", "assignment", "escalation"):
            self.assertIn(kind, staff_kinds, f"staff timeline {staff_kinds}")

        msg = self.next_about(ws, {t["id"]}, "the agent's public reply")
        self.assertEqual(msg["type"], "event", f"next message after the internal events: {msg}")
        e = msg["event"]
        self.assertEqual((e["ticket_id"], e["kind"], e["body"], e["internal"]),
                         (t["id"], "reply", reply, False),
                         f"the requester's next event should be the public reply, got {msg}")
        self.assertEqual(e["actor_id"], self.agent_user["id"])
        self.assertNoInternalFields(msg["ticket"], "on the live channel (reply)")
        for raw in ws.received:
            self.assertNotIn(note, raw, "the internal note reached the requester")
            self.assertNotIn(reason, raw, "the escalation reason reached the requester")

        # Their own replies come back too, still without internal fields.
        own = unique("thanks ")
        self.requester.comment(t["id"], own)
        msg = self.next_about(ws, {t["id"]}, "the requester's own reply")
        self.assertEqual((msg["type"], msg["event"]["kind"], msg["event"]["body"]),
                         ("event", "reply", own), repr(msg))
        self.assertNoInternalFields(msg["ticket"], "on the live channel (own reply)")

    def test_other_requester_hears_nothing_of_a_foreign_ticket(self):
        ws = self.open_live(self.requester2)
        t = self.requester.create_ticket()
        self.agent.comment(t["id"], unique("public reply "))
        self.agent.comment(t["id"], unique("note "), internal=True)
        self.agent.transition(t["id"], "in_progress")
        self.requester.comment(t["id"], unique("requester reply "))
        # Marker: an event on requester2's own ticket, after all of the above.
        own = self.requester2.create_ticket()
        msg = self.next_message(ws, lambda m: True, "requester2's own created event")
        self.assertEqual((msg["type"], msg["event"]["ticket_id"], msg["event"]["kind"]),
                         ("event", own["id"], "created"),
                         f"requester2's first message should be about their own ticket "
                         f"{own['id']}, not {t['id']}: {msg}")
        self.assertNoInternalFields(msg["ticket"], "on the live channel")
        for raw in ws.received:
            self.assertNotIn(t["subject"], raw, "another requester's ticket leaked")

    # ------------------------------------------------------------------ presence

    def test_presence_of_staff_watching_a_ticket(self):
        t = self.admin.create_ticket(requester_id=self.requester_user["id"])
        tid = t["id"]
        a = self.open_live(self.agent)
        b = self.open_live(self.agent2)
        r = self.open_live(self.requester)

        a.send_json({"type": "watch", "ticket_id": tid, "state": "viewing"})
        self.assertViewers(self.next_presence(a, tid), [(self.agent_user, "viewing")])

        b.send_json({"type": "watch", "ticket_id": tid, "state": "replying"})
        both = [(self.agent_user, "viewing"), (self.agent2_user, "replying")]
        self.assertViewers(self.next_presence(b, tid), both)
        self.assertViewers(self.next_presence(a, tid), both)

        # A requester's watch changes nothing: the next change (agent3 joins) lists no
        # requester, and the requester gets no presence at all.
        r.send_json({"type": "watch", "ticket_id": tid, "state": "viewing"})
        r.ping(DEADLINE)  # the server has read the watch
        c = self.open_live(self.agent3)
        c.send_json({"type": "watch", "ticket_id": tid, "state": "viewing"}, fragment_size=7)
        three = both + [(self.agent3_user, "viewing")]
        self.assertViewers(self.next_presence(a, tid), three)
        self.assertViewers(self.next_presence(b, tid), three)
        self.assertViewers(self.next_presence(c, tid), three)
        marker = unique("marker reply ")
        self.admin.comment(tid, marker)
        msg = self.next_message(
            r, lambda m: m["type"] == "presence" or m["event"]["body"] == marker,
            "the marker reply (or a presence) on the requester's channel")
        self.assertEqual((msg["type"], msg.get("event", {}).get("body")), ("event", marker),
                         f"the requester should get no presence, got {msg}")

        # agent3 drops the TCP connection without a close frame.
        c.abort()
        self.assertViewers(self.next_presence(a, tid), both)
        self.assertViewers(self.next_presence(b, tid), both)

        # agent2 unwatches.
        b.send_json({"type": "unwatch", "ticket_id": tid})
        self.assertViewers(self.next_presence(a, tid), [(self.agent_user, "viewing")])

        # agent2 watches again and then closes the channel.
        b.send_json({"type": "watch", "ticket_id": tid, "state": "viewing"})
        self.assertViewers(self.next_presence(a, tid),
                           [(self.agent_user, "viewing"), (self.agent2_user, "viewing")])
        self.assertViewers(self.next_presence(b, tid),
                           [(self.agent_user, "viewing"), (self.agent2_user, "viewing")])
        b.close()
        self.assertViewers(self.next_presence(a, tid), [(self.agent_user, "viewing")])

        # Presence is per ticket: a watcher of another ticket hears nothing of this one.
        other = self.admin.create_ticket()
        d = self.open_live(self.agent2)
        d.send_json({"type": "watch", "ticket_id": other["id"], "state": "viewing"})
        self.assertViewers(self.next_presence(d, other["id"]), [(self.agent2_user, "viewing")])
        a.send_json({"type": "unwatch", "ticket_id": tid})
        a.ping(DEADLINE)  # the server has handled the unwatch
        marker = unique("marker reply ")
        self.admin.comment(other["id"], marker)
        msg = self.next_message(
            d, lambda m: m["type"] == "presence" or m["event"]["body"] == marker,
            "the marker reply (or a presence) on the other ticket's watcher")
        self.assertEqual((msg["type"], msg.get("event", {}).get("body")), ("event", marker),
                         f"a watcher of ticket {other['id']} got presence of {tid}: {msg}")

    # ------------------------------------------------------------------ rights of now

    def expect_closed(self, ws, what, timeout=DEADLINE):
        """Waits for the server to end the channel (messages meanwhile are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                ws.recv_json(max(deadline - time.monotonic(), 0.001))
            except wsclient.ConnectionClosed:
                return
            except wsclient.Timeout:
                self.fail(f"the channel stayed open {timeout:.0f}s after {what}")

    def expect_open(self, ws, client, what):
        """The channel still answers and still delivers: a new ticket's created event."""
        ws.ping(DEADLINE)
        t = self.requester.create_ticket()
        msg = self.next_event(ws, {t["id"]}, f"an event, after {what}")
        self.assertEqual(msg["event"]["kind"], "created")

    def second_session(self, user, client, server=None):
        c = (server or self.server).client()
        c.login(user["email"], client.password)
        return c

    def test_signing_out_closes_that_sessions_channel(self):
        u, c = self.make_user("agent")
        other = self.second_session(u, c)
        ws, ws_other = self.open_live(c), self.open_live(other)
        self.assertStatus(c.post(f"{API}/auth/logout"), 204)
        self.expect_closed(ws, "its session signed out")
        self.expect_open(ws_other, other, "another session of the user signed out")

    def test_own_password_change_closes_the_other_sessions_channels(self):
        u, c = self.make_user("agent")
        other = self.second_session(u, c)
        ws, ws_other = self.open_live(c), self.open_live(other)
        new = new_password()
        self.server.known_passwords.append(new)
        r = c.patch(f"{API}/users/{u['id']}", json={"password": new,
                                                     "current_password": c.password})
        self.assertStatus(r, 200)
        self.expect_closed(ws_other, "the user changed their password in another session")
        self.expect_open(ws, c, "the user changed their password in this session")

    def test_deactivation_role_change_or_password_set_closes_the_users_channels(self):
        for change in ({"active": False}, {"role": "requester"}, {"role": "supervisor"},
                       {"password": new_password()}):
            with self.subTest(change=sorted(change)):
                u, c = self.make_user("agent")
                other = self.second_session(u, c)
                channels = [self.open_live(c), self.open_live(other)]
                self.assertStatus(self.admin.patch(f"{API}/users/{u['id']}", json=change), 200)
                for ws in channels:
                    self.expect_closed(ws, f"an admin's change {sorted(change)}")

    def test_a_channel_follows_its_organisation_turning_off_sharing(self):
        org = self.admin.create_organisation(shared_tickets=True)
        a, ca = self.make_user("requester", organisation_id=org["id"])
        b, cb = self.make_user("requester", organisation_id=org["id"])
        shared = ca.create_ticket()
        own = cb.create_ticket()
        ws = self.open_live(cb)
        first = unique("shared reply ")
        self.agent.comment(shared["id"], first)
        # Events of the ticket made just before the channel opened may still come first.
        msg = self.next_message(
            ws, lambda m: m["type"] == "event" and m["event"]["ticket_id"] == shared["id"]
            and m["event"]["kind"] == "reply", "a reply on a co-member's shared ticket")
        self.assertEqual(msg["event"]["body"], first)

        self.assertStatus(self.admin.patch(f"{API}/organisations/{org['id']}",
                                           json={"shared_tickets": False}), 200)
        self.assertProblem(cb.get(f"{API}/tickets/{shared['id']}"), 404)

        def stopped():
            """One round: a reply on the co-member's ticket, then one on b's own as a
            marker; whether the first reached b before the marker."""
            leak, marker = unique("after "), unique("marker ")
            self.agent.comment(shared["id"], leak)
            self.agent.comment(own["id"], marker)
            got = self.next_message(
                ws, lambda m: m["type"] == "event" and m["event"]["body"] in (leak, marker),
                "the reply on the co-member's ticket or the marker")
            if got["event"]["body"] == leak:
                self.next_message(ws, lambda m: m["type"] == "event"
                                  and m["event"]["body"] == marker, "the marker")
                return False
            return True

        wait_until(stopped, 5.0, "the channel to stop delivering the co-member's ticket",
                   interval=0.2)
        self.assertTrue(stopped(), "delivery of the co-member's ticket resumed")

    def test_channels_close_on_every_node(self):
        if self.server.backend != "postgres":
            self.skipTest("several nodes need PostgreSQL (SQLite supports a single node)")
        node2 = Server(self.server.backend)
        node2.db = self.server.db
        node2.launch()
        self.addCleanup(self._stop_node, node2)
        # Sign-out through node 1 closes that session's channel on node 2.
        u, c = self.make_user("agent")
        other = self.second_session(u, c, server=node2)
        ws, ws_other = self.open_live(c, server=node2), self.open_live(other, server=node2)
        self.assertStatus(c.post(f"{API}/auth/logout"), 204)
        self.expect_closed(ws, "its session signed out on the other node")
        ws_other.ping(DEADLINE)
        # A password change through node 1 closes the other sessions' channels on node 2.
        mine = self.second_session(u, other)
        new = new_password()
        self.server.known_passwords.append(new)
        self.assertStatus(mine.patch(f"{API}/users/{u['id']}", json={
            "password": new, "current_password": other.password}), 200)
        self.expect_closed(ws_other, "a password change on the other node")
        # Deactivation and a role change through node 1 close the channels on node 2.
        for change in ({"active": False}, {"role": "requester"}):
            with self.subTest(change=sorted(change)):
                v, cv = self.make_user("agent")
                ws = self.open_live(cv, server=node2)
                self.assertStatus(self.admin.patch(f"{API}/users/{v['id']}", json=change), 200)
                self.expect_closed(ws, f"{sorted(change)} on the other node")

    # ------------------------------------------------------------------ admission

    def test_foreign_origin_is_refused(self):
        host = f"127.0.0.1:{self.server.port}"
        for origin in ("http://evil.example", f"http://evil.example:{self.server.port}",
                       "http://127.0.0.1:1", "null"):
            with self.subTest(origin=origin):
                r = self.connect({"Cookie": cookie_header(self.agent), "Origin": origin,
                                  "Host": host})
                self.assertIsInstance(r, wsclient.Refused, f"Origin {origin} was upgraded")
                self.assertProblem(r, 403)
        ws = self.open_live(self.agent, headers={"Origin": f"http://{host}", "Host": host})
        ws.close()

    def test_missing_or_bad_credentials_are_401(self):
        for headers in ({}, {"Cookie": f"{SESSION_COOKIE}=not-a-session"},
                        {"Authorization": "Bearer not-a-token"}):
            with self.subTest(headers=sorted(headers)):
                r = self.connect(headers)
                self.assertIsInstance(r, wsclient.Refused, f"{headers} was upgraded")
                self.assertProblem(r, 401)

    def test_plain_get_is_426(self):
        r = self.agent.get(LIVE)
        self.assertStatus(r, 426)
        self.assertEqual(r.content_type, "application/problem+json", repr(r))
        self.assertEqual(r.json().get("status"), 426, repr(r))
        # RFC 9110 15.5.22: a 426 MUST carry Upgrade naming the protocol(s) to use.
        self.assertEqual((r.headers.get("Upgrade") or "").strip().lower(), "websocket",
                         f"426 without 'Upgrade: websocket' (RFC 9110 15.5.22): "
                         f"headers {r.header_pairs}, {r!r}")

    # ------------------------------------------------------------------ several nodes

    def _stop_node(self, node):
        rc = node.stop(check=False)
        self.assertEqual(rc, 0, "second node did not exit 0 on SIGTERM; log tail:\n"
                         + node.log_tail())

    def test_events_reach_clients_of_every_node(self):
        if self.server.backend != "postgres":
            self.skipTest("several nodes need PostgreSQL (SQLite supports a single node)")
        ws1 = self.open_live(self.agent2)
        node2 = Server(self.server.backend)
        node2.db = self.server.db  # same database; no store of its own to prepare or drop
        node2.launch()
        self.addCleanup(self._stop_node, node2)

        # A client of node 2 (with node 1's session cookie), open and answering pings:
        # events committed from now on must reach it.
        ws2 = self.open_live(self.agent, server=node2)
        t = self.requester.create_ticket()  # through node 1
        msg = self.next_event(ws2, {t["id"]}, f"ticket {t['id']} created, on node 2")
        self.assertEqual(msg["event"]["kind"], "created", repr(msg))
        self.assertEqual(msg["ticket"]["subject"], t["subject"])
        self.assertIn("support_level", msg["ticket"])

        # And the other way: a reply made through node 2 reaches node 1's client.
        via2 = node2.client()
        via2.login(self.agent_user["email"], self.agent.password)
        body = unique("reply via node 2 ")
        via2.comment(t["id"], body)
        marker = via2.create_ticket(requester_id=self.requester_user["id"])
        # Each new ticket is routed to the level-1 group right after its creation.
        want = [(t["id"], "created"), (t["id"], "assignment"), (t["id"], "reply"),
                (marker["id"], "created"), (marker["id"], "assignment")]
        for name, ws in (("node 1", ws1), ("node 2", ws2)):
            got = [] if name == "node 1" else [(t["id"], "created")]
            while len(got) < len(want):
                m = self.next_event(ws, {t["id"], marker["id"]},
                                    f"event {len(got) + 1} of {want} on {name} (got {got})")
                got.append((m["event"]["ticket_id"], m["event"]["kind"]))
                if m["event"]["kind"] == "reply":
                    self.assertEqual(m["event"]["body"], body)
            self.assertEqual(got, want, f"events on {name}, each exactly once and in order")

    def test_presence_spans_nodes(self):
        if self.server.backend != "postgres":
            self.skipTest("several nodes need PostgreSQL (SQLite supports a single node)")
        node2 = Server(self.server.backend)
        node2.db = self.server.db
        node2.launch()
        self.addCleanup(self._stop_node, node2)
        tid = self.admin.create_ticket(requester_id=self.requester_user["id"])["id"]
        a = self.open_live(self.agent)                 # node 1
        b = self.open_live(self.agent2, server=node2)  # node 2
        a.send_json({"type": "watch", "ticket_id": tid, "state": "viewing"})
        self.assertViewers(self.next_presence(a, tid), [(self.agent_user, "viewing")])
        b.send_json({"type": "watch", "ticket_id": tid, "state": "replying"})
        both = [(self.agent_user, "viewing"), (self.agent2_user, "replying")]
        # Each side learns of the other through the database, possibly after a
        # first list that holds only what its own node knew.
        for ws, who in ((b, "node 2"), (a, "node 1")):
            while True:
                msg = self.next_presence(ws, tid)
                if len(msg["viewers"]) == 2:
                    break
            self.assertViewers(msg, both)
        # Leaving on node 2 reaches node 1.
        b.send_json({"type": "unwatch", "ticket_id": tid})
        self.assertViewers(self.next_presence(a, tid), [(self.agent_user, "viewing")])


if __name__ == "__main__":
    unittest.main()

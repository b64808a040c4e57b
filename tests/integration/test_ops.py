"""Operations: health, readiness, the OpenAPI document, the CLI, concurrency and a
clean SIGTERM shutdown under load (docs/api.md, Operations)."""

import http.client
import json
import os
import signal
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    API, DeskTestCase, Server, doc_routes, normalize_route, raw_request_bytes, read_raw_response,
    ticket_payload, wait_until)


class OpsTests(DeskTestCase):

    def test_healthz(self):
        r = self.server.client().get("/healthz")
        self.assertStatus(r, 200)
        self.assertEqual(r.content_type, "application/json")
        self.assertEqual(r.json(), {"status": "ok"})
        self.assertTrue(r.request_id)

    def test_readyz(self):
        r = self.server.client().get("/readyz")
        self.assertStatus(r, 200)
        self.assertEqual(r.json(), {"status": "ready"})
        self.assertTrue(r.request_id)

    def test_openapi_document(self):
        r = self.server.client().get(f"{API}/openapi.json")
        self.assertStatus(r, 200)
        self.assertEqual(r.content_type, "application/json")
        doc = r.json()
        self.assertIsInstance(doc, dict)
        self.assertTrue(str(doc.get("openapi", "")).startswith("3.1"), doc.get("openapi"))
        self.assertIsInstance(doc.get("info"), dict)
        paths = doc.get("paths")
        self.assertIsInstance(paths, dict)
        self.assertTrue(paths)
        offered = {(m.upper(), normalize_route(p)) for p, ops in paths.items() for m in ops
                   if m.lower() in ("get", "post", "put", "patch", "delete", "head")}
        documented = doc_routes()
        if documented is None:
            self.skipTest("docs/api.md not found next to the tests")
        missing = {(m, p) for m, p in documented
                   if p not in ("/healthz", "/readyz", "/openapi.json")} - offered
        self.assertEqual(missing, set(), "routes of docs/api.md absent from openapi.json")

    def test_unknown_enum_text_in_the_database_is_a_logged_500(self):
        t = self.admin.create_ticket()
        self.server.sql(f"UPDATE tickets SET status = 'bogus' WHERE id = {int(t['id'])}")
        self.addCleanup(self.server.sql,
                        f"UPDATE tickets SET status = 'new' WHERE id = {int(t['id'])}")
        for path in (f"{API}/tickets/{t['id']}", f"{API}/tickets"):
            with self.subTest(path=path):
                r = self.admin.get(path)
                body = self.assertProblem(r, 500)
                self.assertEqual(set(body) - {"type", "title", "status", "detail"}, set(),
                                 f"extra problem fields: {body}")
                for secret in ("bogus", "tickets.status", "column", "SELECT", "sqlite", "libpq",
                               "unknown value"):
                    self.assertNotIn(secret.lower(), r.text.lower(), f"cause leaked: {r!r}")
                rid = r.request_id
                self.assertTrue(rid)

                def failure_line(log):
                    for line in log:
                        try:
                            entry = json.loads(line)
                        except ValueError:
                            continue
                        if (isinstance(entry, dict) and entry.get("request_id") == rid
                                and entry.get("msg") == "request failed"):
                            return entry
                    return None

                entry = self.server.wait_for_log(failure_line, what=f"the cause of {rid}")
                self.assertEqual(entry.get("level"), "error", repr(entry))
                self.assertEqual(entry.get("status"), 500, repr(entry))
                self.assertIn("unknown value 'bogus' in column tickets.status",
                              str(entry.get("cause")), repr(entry))
        # the rest of the desk keeps answering
        self.assertStatus(self.admin.get(f"{API}/tickets/{self.admin.create_ticket()['id']}"), 200)

    def test_request_ids_are_unique(self):
        c = self.server.client()
        ids = [c.get("/healthz").request_id for _ in range(25)]
        self.assertTrue(all(ids))
        self.assertEqual(len(set(ids)), len(ids))

    def test_keep_alive_connection_serves_several_requests(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        try:
            for _ in range(5):
                conn.request("GET", "/healthz")
                resp = conn.getresponse()
                self.assertEqual(resp.status, 200)
                self.assertEqual(json.loads(resp.read()), {"status": "ok"})
        finally:
            conn.close()

    def test_cli_token_create(self):
        res = self.server.run_cli(["token", "create", self.server.admin_email])
        self.assertEqual(res.returncode, 0, res.stderr)
        words = sorted(set(res.stdout.split()), key=len, reverse=True)
        self.assertTrue(words, "token create printed nothing")
        for word in words:
            r = self.server.client(bearer=word.strip("'\"")).get(f"{API}/auth/me")
            if r.status == 200:
                self.assertEqual(r.json()["email"], self.server.admin_email)
                break
        else:
            self.fail(f"no word of `token create` output authenticates: {res.stdout!r}")

    def test_concurrent_ticket_creation(self):
        token = self.admin.create_token()
        before = len(self.admin.list_all())
        results, errors = [], []
        lock = threading.Lock()

        def worker():
            bot = self.server.client(bearer=token)
            for _ in range(10):
                try:
                    r = bot.post(f"{API}/tickets", json=ticket_payload())
                    with lock:
                        results.append(r)
                except Exception as e:  # noqa: BLE001
                    with lock:
                        errors.append(repr(e))

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertFalse(any(t.is_alive() for t in threads), "requests hung")
        self.assertEqual(errors, [])
        bad = [r for r in results if r.status != 201]
        self.assertEqual(bad, [], "concurrent creates failed")
        created = [r.json() for r in results]
        self.assertEqual(len({t["id"] for t in created}), 80)
        self.assertEqual(len({t["number"] for t in created}), 80)
        self.assertEqual(len(self.admin.list_all()), before + 80)


class ShutdownTests(unittest.TestCase):
    """Each test runs its own server and signals it."""

    def start_server(self):
        srv = Server()
        srv.start()
        self.addCleanup(srv.close, False)
        return srv

    def assertExitsCleanly(self, srv, within=10.0):
        rc = srv.wait_exit(within)
        if rc is None:
            srv.stop(check=False)  # kills it
            self.fail(f"server still running {within:.0f}s after SIGTERM; log tail:\n"
                      + srv.log_tail())
        self.assertEqual(rc, 0, f"exit code after SIGTERM; log tail:\n{srv.log_tail()}")

    def test_sigterm_during_a_burst(self):
        srv = self.start_server()
        admin = srv.admin_client()
        token = admin.create_token()
        port = srv.port
        auth = {"Authorization": f"Bearer {token}"}
        stop = threading.Event()
        lock = threading.Lock()
        outcomes = []  # (kind, op, status, content_type, body, detail)
        oks = [0]

        def one(op):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
            got_status = False
            try:
                if op == 0:
                    conn.request("GET", "/healthz")
                elif op == 1:
                    conn.request("GET", f"{API}/tickets?limit=20", headers=auth)
                else:
                    conn.request("POST", f"{API}/tickets", body=json.dumps(ticket_payload()),
                                 headers={**auth, "Content-Type": "application/json"})
                resp = conn.getresponse()
                got_status = True
                body = resp.read()
                ctype = (resp.getheader("Content-Type") or "").split(";")[0].strip()
                return ("ok", op, resp.status, ctype, body, "")
            except ConnectionRefusedError:
                return ("refused", op, None, None, None, "")
            except (ConnectionError, http.client.RemoteDisconnected) as e:
                return ("partial" if got_status else "no_response", op, None, None, None, repr(e))
            except http.client.IncompleteRead as e:
                return ("partial", op, None, None, None, repr(e))
            except socket.timeout as e:
                return ("timeout", op, None, None, None, repr(e))
            except Exception as e:  # noqa: BLE001
                return ("error", op, None, None, None, repr(e))
            finally:
                conn.close()

        def worker(i):
            n = i
            while not stop.is_set():
                outcome = one(n % 3)
                n += 1
                with lock:
                    outcomes.append(outcome)
                    if outcome[0] == "ok":
                        oks[0] += 1
                if outcome[0] == "refused":
                    return

        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(6)]
        for t in threads:
            t.start()
        wait_until(lambda: oks[0] >= 60, 60, "60 answered requests before SIGTERM")
        srv.signal(signal.SIGTERM)
        try:
            self.assertExitsCleanly(srv)
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        self.assertFalse(any(t.is_alive() for t in threads), "client threads hung")

        with lock:
            done = list(outcomes)
        kinds = {}
        for o in done:
            kinds[o[0]] = kinds.get(o[0], 0) + 1
        broken = [o for o in done if o[0] in ("partial", "timeout", "error")]
        self.assertEqual(broken, [], f"incomplete or failed exchanges; tally {kinds}")
        created = []
        for kind, op, status, ctype, body, _ in done:
            if kind != "ok":
                continue
            self.assertIn(status, (200, 201, 503), body[:300])
            if status == 503:
                self.assertEqual(ctype, "application/problem+json")
            self.assertIn(ctype, ("application/json", "application/problem+json"))
            parsed = json.loads(body.decode("utf-8"))  # a truncated body would not parse
            if op == 2 and status == 201:
                created.append(parsed["id"])
            if op == 1 and status == 200:
                self.assertIn("items", parsed)
        self.assertTrue(created, "no ticket was created during the burst")

        # every ticket that was acknowledged survives the shutdown
        res = srv.run_cli(["migrate"])
        self.assertEqual(res.returncode, 0, f"second migrate failed: {res.stderr}")
        srv.launch()
        admin = srv.admin_client()
        stored = {t["id"] for t in admin.list_all()}
        self.assertEqual(set(created) - stored, set(), "acknowledged tickets were lost")
        for tid in created[-5:]:
            self.assertEqual(admin.get(f"{API}/tickets/{tid}").status, 200)
        srv.stop()

    def test_sigterm_with_idle_and_half_sent_connections(self):
        srv = self.start_server()
        idle = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        half = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        try:
            # a keep-alive connection that has finished one exchange and stays open
            idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            resp = read_raw_response_keepalive(idle)
            self.assertEqual(resp, 200)
            half.sendall(raw_request_bytes("GET", "/healthz")[:20])
            # the server still answers others
            self.assertEqual(srv.client().get("/healthz").status, 200)
            started = time.monotonic()
            srv.signal(signal.SIGTERM)
            self.assertExitsCleanly(srv)
            self.assertLess(time.monotonic() - started, 10.0)
        finally:
            idle.close()
            half.close()

    def test_sigterm_when_idle_and_restart_on_the_same_store(self):
        srv = self.start_server()
        admin = srv.admin_client()
        t = admin.create_ticket()
        srv.restart()  # asserts exit code 0
        admin = srv.admin_client()
        self.assertEqual(admin.ticket(t["id"])["subject"], t["subject"])
        srv.stop()

    def test_sigint_also_stops_cleanly(self):
        srv = self.start_server()
        srv.signal(signal.SIGINT)
        rc = srv.wait_exit(10)
        if rc is None:
            srv.stop(check=False)
            self.fail("server ignored SIGINT for 10 s")
        self.assertIn(rc, (0, 130, -signal.SIGINT))


def read_raw_response_keepalive(sock):
    """Reads one response that carries Content-Length without waiting for close."""
    resp = read_raw_response(sock)
    return resp.status if resp is not None else None


if __name__ == "__main__":
    unittest.main()

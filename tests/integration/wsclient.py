"""A minimal RFC 6455 WebSocket client over a plain socket, standard library only.

    ws = connect("127.0.0.1", port, "/api/v1/live", {"Cookie": "sd_session=..."})
    if isinstance(ws, Refused): ...          # the server answered HTTP instead: ws.status, ws.body
    ws.send_text('{"type":"watch","ticket_id":1}')
    msg = ws.recv_json(timeout=5)            # raises Timeout when nothing arrives in time
    ws.close()

What it does (and checks) on the wire:
- handshake: HTTP/1.1 GET with a random 16-byte Sec-WebSocket-Key; a 101 answer must
  carry `Upgrade: websocket`, `Connection: upgrade` and the matching Sec-WebSocket-Accept;
  any other status is returned as a Refused with its headers and body;
- frames sent are masked (as RFC 6455 requires of clients), optionally fragmented;
- frames received must be unmasked, without RSV bits (no extension is negotiated),
  control frames short and unfragmented; text must be valid UTF-8;
- pings are answered with pongs, fragmented messages are reassembled, a close frame is
  answered once and reported as ConnectionClosed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import socket
import struct
import time
from collections import deque
from email.message import Message
from typing import Any

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA
_CONTROL = (OP_CLOSE, OP_PING, OP_PONG)
_MAX_HEAD = 64 * 1024


class WebSocketError(Exception):
    pass


class ProtocolError(WebSocketError):
    """The server broke RFC 6455 (or the HTTP upgrade)."""


class ConnectionClosed(WebSocketError):
    """The channel is closed: a close frame (code, reason) or the TCP connection ended
    (code 1006)."""

    def __init__(self, code: int | None, reason: str = ""):
        super().__init__(f"websocket closed (code {code}{', ' + reason if reason else ''})")
        self.code = code
        self.reason = reason


class Timeout(WebSocketError, TimeoutError):
    """Nothing (complete) arrived before the deadline; the connection stays usable."""


def accept_for(key: str) -> str:
    return base64.b64encode(hashlib.sha1((key + GUID).encode("ascii")).digest()).decode("ascii")


def _mask(key: bytes, data: bytes) -> bytes:
    n = len(data)
    if n == 0:
        return b""
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


def _headers(pairs: list[tuple[str, str]]) -> Message:
    msg = Message()
    for k, v in pairs:
        msg[k] = v
    return msg


class Refused:
    """The server answered the upgrade with an ordinary HTTP response."""

    def __init__(self, status: int, reason: str, header_pairs: list[tuple[str, str]], body: bytes):
        self.status = status
        self.reason = reason
        self.header_pairs = header_pairs
        self.headers = _headers(header_pairs)  # .get() is case-insensitive
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def __repr__(self) -> str:
        return f"<upgrade refused: {self.status} {self.reason} {self.body[:400]!r}>"


# --------------------------------------------------------------------------- handshake


def _recv_some(sock: socket.socket, deadline: float) -> bytes:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise Timeout("timed out reading the handshake response")
    sock.settimeout(remaining)
    try:
        return sock.recv(65536)
    except socket.timeout:
        raise Timeout("timed out reading the handshake response") from None


def _read_body(sock: socket.socket, headers: Message, rest: bytes, deadline: float) -> bytes:
    length = headers.get("Content-Length")
    if length is not None:
        n = int(length)
        while len(rest) < n:
            chunk = _recv_some(sock, deadline)
            if not chunk:
                raise ProtocolError(f"connection closed after {len(rest)} of {n} body bytes")
            rest += chunk
        return rest[:n]
    if (headers.get("Transfer-Encoding") or "").lower() == "chunked":
        body = b""
        while True:
            while b"\r\n" not in rest:
                chunk = _recv_some(sock, deadline)
                if not chunk:
                    raise ProtocolError("connection closed inside a chunked body")
                rest += chunk
            size_line, rest = rest.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            while len(rest) < size + 2:
                chunk = _recv_some(sock, deadline)
                if not chunk:
                    raise ProtocolError("connection closed inside a chunk")
                rest += chunk
            body += rest[:size]
            rest = rest[size + 2:]
            if size == 0:
                return body
    body = rest
    while True:  # no length: the body ends with the connection
        chunk = _recv_some(sock, deadline)
        if not chunk:
            return body
        body += chunk


def connect(host: str, port: int, path: str = "/", headers: dict | None = None,
            timeout: float = 10.0) -> "WebSocket | Refused":
    """Opens a WebSocket to ws://host:port/path.

    headers are added to the upgrade request; a header given here replaces the default of
    the same name and a value of None removes it (e.g. {"Sec-WebSocket-Key": None}).
    Returns a WebSocket after a valid 101, else a Refused (status, headers, body).
    Raises ProtocolError for a 101 that does not complete the handshake.
    """
    key = base64.b64encode(os.urandom(16)).decode("ascii")
    fields: list[tuple[str, str]] = [
        ("Host", f"{host}:{port}"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Version", "13"),
    ]
    for name, value in (headers or {}).items():
        fields = [(k, v) for k, v in fields if k.lower() != name.lower()]
        if value is not None:
            fields.append((name, value))
    request = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields) + "\r\n"

    deadline = time.monotonic() + timeout
    sock = socket.create_connection((host, port), timeout=timeout)
    ok = False
    try:
        sock.sendall(request.encode("latin-1"))
        buf = b""
        while b"\r\n\r\n" not in buf:
            if len(buf) > _MAX_HEAD:
                raise ProtocolError(f"response head longer than {_MAX_HEAD} bytes")
            chunk = _recv_some(sock, deadline)
            if not chunk:
                raise ProtocolError(f"connection closed before a complete response head: "
                                    f"{buf[:300]!r}")
            buf += chunk
        head, rest = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        m = re.match(r"^HTTP/1\.1 (\d{3})(?: (.*))?$", lines[0])
        if not m:
            raise ProtocolError(f"bad status line {lines[0]!r}")
        status, reason = int(m.group(1)), m.group(2) or ""
        pairs = []
        for line in lines[1:]:
            k, sep, v = line.partition(":")
            if not sep:
                raise ProtocolError(f"bad header line {line!r}")
            pairs.append((k.strip(), v.strip()))
        hdrs = _headers(pairs)

        if status != 101:
            body = _read_body(sock, hdrs, rest, deadline)
            return Refused(status, reason, pairs, body)

        upgrade = (hdrs.get("Upgrade") or "").strip().lower()
        if upgrade != "websocket":
            raise ProtocolError(f"101 with Upgrade: {hdrs.get('Upgrade')!r}")
        tokens = [t.strip().lower() for v in (hdrs.get_all("Connection") or [])
                  for t in v.split(",")]
        if "upgrade" not in tokens:
            raise ProtocolError(f"101 with Connection: {hdrs.get_all('Connection')!r}")
        expected = accept_for(key)
        got = hdrs.get_all("Sec-WebSocket-Accept") or []
        if got != [expected]:
            raise ProtocolError(f"Sec-WebSocket-Accept {got!r}, want {expected!r}")
        if hdrs.get("Sec-WebSocket-Extensions"):
            raise ProtocolError(f"unrequested extensions {hdrs.get('Sec-WebSocket-Extensions')!r}")
        if hdrs.get("Sec-WebSocket-Protocol"):
            raise ProtocolError(f"unrequested subprotocol {hdrs.get('Sec-WebSocket-Protocol')!r}")
        ws = WebSocket(sock, rest, pairs)
        ok = True
        return ws
    finally:
        if not ok:
            sock.close()


# --------------------------------------------------------------------------- connection


class WebSocket:
    """An open client connection. Not thread-safe."""

    def __init__(self, sock: socket.socket, initial: bytes = b"",
                 handshake_headers: list[tuple[str, str]] | None = None):
        self.sock = sock
        self.handshake_headers = _headers(handshake_headers or [])
        self._buf = bytearray(initial)
        self._frag_op: int | None = None
        self._frag: list[bytes] = []
        self._pending: deque[tuple[int, bytes]] = deque()  # data messages read by ping()
        self._close_sent = False
        self._sock_closed = False
        self.closed = False            # a close frame was received (or the TCP stream ended)
        self.close_code: int | None = None
        self.close_reason = ""
        self.received: list[str] = []  # every text message returned, in order
        self.pongs: list[bytes] = []
        self.pings_answered = 0

    # ---- sending

    def _send_frame(self, opcode: int, payload: bytes, fin: bool = True) -> None:
        if self._sock_closed:
            raise ConnectionClosed(self.close_code, "socket already closed")
        head = bytearray([(0x80 if fin else 0) | opcode])
        n = len(payload)
        if n < 126:
            head.append(0x80 | n)
        elif n < 1 << 16:
            head.append(0x80 | 126)
            head += struct.pack("!H", n)
        else:
            head.append(0x80 | 127)
            head += struct.pack("!Q", n)
        key = os.urandom(4)
        self.sock.settimeout(10.0)
        self.sock.sendall(bytes(head) + key + _mask(key, payload))

    def send_text(self, text: str, fragment_size: int | None = None) -> None:
        """Sends one text message; with fragment_size, as several frames of that size."""
        self._send_data(OP_TEXT, text.encode("utf-8"), fragment_size)

    def send_binary(self, data: bytes, fragment_size: int | None = None) -> None:
        self._send_data(OP_BINARY, data, fragment_size)

    def send_json(self, value: Any, fragment_size: int | None = None) -> None:
        self.send_text(json.dumps(value), fragment_size)

    def _send_data(self, opcode: int, data: bytes, fragment_size: int | None) -> None:
        if self._close_sent:
            raise ConnectionClosed(self.close_code, "close already sent")
        if not fragment_size or len(data) <= fragment_size:
            self._send_frame(opcode, data)
            return
        parts = [data[i:i + fragment_size] for i in range(0, len(data), fragment_size)]
        for i, part in enumerate(parts):
            self._send_frame(opcode if i == 0 else OP_CONT, part, fin=i == len(parts) - 1)

    def send_ping(self, payload: bytes = b"") -> None:
        if len(payload) > 125:
            raise ValueError("control frame payloads are at most 125 bytes")
        self._send_frame(OP_PING, payload)

    # ---- receiving

    def _fill(self, n: int, deadline: float) -> None:
        while len(self._buf) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Timeout("no complete message before the deadline")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise Timeout("no complete message before the deadline") from None
            except (ConnectionResetError, BrokenPipeError):
                chunk = b""
            if not chunk:
                self.closed = True
                if self.close_code is None:
                    self.close_code = 1006
                raise ConnectionClosed(1006, "connection ended without a close frame")
            self._buf += chunk

    def _read_frame(self, deadline: float) -> tuple[bool, int, bytes]:
        """One whole frame; bytes stay buffered until the frame is complete, so a
        Timeout never loses data."""
        self._fill(2, deadline)
        b0, b1 = self._buf[0], self._buf[1]
        fin, rsv, opcode = bool(b0 & 0x80), b0 & 0x70, b0 & 0x0F
        masked, n = bool(b1 & 0x80), b1 & 0x7F
        if rsv:
            raise ProtocolError(f"frame with RSV bits {rsv >> 4:03b} (no extension negotiated)")
        if masked:
            raise ProtocolError("server sent a masked frame")
        if opcode not in (OP_CONT, OP_TEXT, OP_BINARY) + _CONTROL:
            raise ProtocolError(f"reserved opcode {opcode:#x}")
        offset = 2
        if n == 126:
            self._fill(4, deadline)
            n = struct.unpack("!H", bytes(self._buf[2:4]))[0]
            offset = 4
        elif n == 127:
            self._fill(10, deadline)
            n = struct.unpack("!Q", bytes(self._buf[2:10]))[0]
            if n >> 63:
                raise ProtocolError("64-bit length with the top bit set")
            offset = 10
        if opcode in _CONTROL and (n > 125 or not fin):
            raise ProtocolError(f"bad control frame (opcode {opcode:#x}, {n} bytes, fin={fin})")
        self._fill(offset + n, deadline)
        payload = bytes(self._buf[offset:offset + n])
        del self._buf[:offset + n]
        return fin, opcode, payload

    def _read_message(self, deadline: float) -> tuple[int, bytes]:
        """Next complete data message, handling control frames on the way."""
        if self._pending:
            return self._pending.popleft()
        if self.closed:
            raise ConnectionClosed(self.close_code, self.close_reason)
        while True:
            fin, opcode, payload = self._read_frame(deadline)
            if opcode == OP_PING:
                if not self._close_sent:
                    self._send_frame(OP_PONG, payload)
                    self.pings_answered += 1
                continue
            if opcode == OP_PONG:
                self.pongs.append(payload)
                continue
            if opcode == OP_CLOSE:
                self._on_close(payload)
            if opcode == OP_CONT:
                if self._frag_op is None:
                    raise ProtocolError("continuation frame without a message to continue")
                self._frag.append(payload)
                if fin:
                    op, data = self._frag_op, b"".join(self._frag)
                    self._frag_op, self._frag = None, []
                    return op, data
                continue
            # OP_TEXT / OP_BINARY
            if self._frag_op is not None:
                raise ProtocolError("new data frame inside a fragmented message")
            if fin:
                return opcode, payload
            self._frag_op, self._frag = opcode, [payload]

    def _on_close(self, payload: bytes) -> None:
        if len(payload) == 1:
            raise ProtocolError("close frame with a 1-byte payload")
        code, reason = None, ""
        if len(payload) >= 2:
            code = struct.unpack("!H", payload[:2])[0]
            try:
                reason = payload[2:].decode("utf-8")
            except UnicodeDecodeError:
                raise ProtocolError("close reason is not UTF-8") from None
        self.closed = True
        self.close_code, self.close_reason = code, reason
        if not self._close_sent:
            try:
                self._send_frame(OP_CLOSE, payload[:2])
            except OSError:
                pass
            self._close_sent = True
        raise ConnectionClosed(code, reason)

    def recv_message(self, timeout: float = 10.0) -> tuple[int, bytes]:
        """(opcode, payload) of the next data message; Timeout / ConnectionClosed."""
        return self._read_message(time.monotonic() + timeout)

    def recv_text(self, timeout: float = 10.0) -> str:
        opcode, data = self.recv_message(timeout)
        if opcode != OP_TEXT:
            raise ProtocolError(f"expected a text message, got opcode {opcode:#x}: {data[:200]!r}")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError(f"text message is not UTF-8: {data[:200]!r}") from None
        self.received.append(text)
        return text

    def recv_json(self, timeout: float = 10.0) -> Any:
        text = self.recv_text(timeout)
        try:
            return json.loads(text)
        except ValueError:
            raise ProtocolError(f"text message is not JSON: {text[:300]!r}") from None

    def ping(self, timeout: float = 10.0, payload: bytes | None = None) -> None:
        """Round trip: sends a ping and waits for its pong. Data messages that arrive
        meanwhile are kept for the next recv_*; raises Timeout without a pong."""
        payload = os.urandom(8) if payload is None else payload
        self.send_ping(payload)
        deadline = time.monotonic() + timeout
        start = len(self.pongs)
        while payload not in self.pongs[start:]:
            # read frames directly: only data messages are queued
            fin, opcode, data = self._read_frame(deadline)
            if opcode == OP_PING:
                self._send_frame(OP_PONG, data)
                self.pings_answered += 1
            elif opcode == OP_PONG:
                self.pongs.append(data)
            elif opcode == OP_CLOSE:
                self._on_close(data)
            elif opcode == OP_CONT:
                if self._frag_op is None:
                    raise ProtocolError("continuation frame without a message to continue")
                self._frag.append(data)
                if fin:
                    self._pending.append((self._frag_op, b"".join(self._frag)))
                    self._frag_op, self._frag = None, []
            else:
                if self._frag_op is not None:
                    raise ProtocolError("new data frame inside a fragmented message")
                if fin:
                    self._pending.append((opcode, data))
                else:
                    self._frag_op, self._frag = opcode, [data]

    # ---- closing

    def close(self, code: int = 1000, reason: str = "", timeout: float = 3.0) -> None:
        """Close handshake: sends a close frame, waits (briefly) for the server's, then
        closes the socket. Safe to call more than once."""
        if self._sock_closed:
            return
        try:
            if not self._close_sent and not self.closed:
                self._close_sent = True
                self._send_frame(OP_CLOSE, struct.pack("!H", code) + reason.encode("utf-8"))
            deadline = time.monotonic() + timeout
            while not self.closed:
                try:
                    fin, opcode, payload = self._read_frame(deadline)
                except (Timeout, ConnectionClosed, ProtocolError):
                    break
                if opcode == OP_CLOSE:
                    self.closed = True
                    if len(payload) >= 2:
                        self.close_code = struct.unpack("!H", payload[:2])[0]
                        self.close_reason = payload[2:].decode("utf-8", errors="replace")
        except OSError:
            pass
        finally:
            self.abort()

    def abort(self) -> None:
        """Drops the TCP connection without a close handshake."""
        if self._sock_closed:
            return
        self._sock_closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def __enter__(self) -> "WebSocket":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

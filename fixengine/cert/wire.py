"""Raw FIX transport for the certification runner.

The runner plays the client side of a certification test, so it must be able to put any
byte on the wire (a wrong BodyLength, a wrong CheckSum, plain garbage) and must show the
server's bytes exactly as they arrived. That is why this module does not use QuickFIX and
does not share code with the simulator's framer: a bug in one framer must not hide the same
bug in the other.

  encode(fields, ...)      -> bytes with 8/9 first and 10 last (optionally wrong on purpose)
  Framer().feed(data)      -> complete inbound frames (FixMessage) and skipped garbage
  FixConnection            -> a TCP or TLS socket with a shared Transcript of every byte
"""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

SOH = "\x01"
SOH_B = b"\x01"
BEGIN_STRING = "FIXT.1.1"
_MAX_BODY = 1 << 20  # a declared BodyLength above 1 MiB is treated as garbage


class Disconnected(Exception):
    """The peer closed the connection (or the socket failed) while the runner waited."""


def checksum(data: bytes) -> str:
    """FIX CheckSum(10): byte sum modulo 256, three digits."""
    return f"{sum(data) % 256:03d}"


def encode(
    fields: list[tuple[int, str]],
    begin_string: str = BEGIN_STRING,
    body_length: int | str | None = None,
    check_sum: str | None = None,
) -> bytes:
    """Encode body `fields` (35 first, header and body, no 8/9/10) into a framed message.

    `body_length` / `check_sum` replace the computed values, for deliberately broken messages.
    """
    body = "".join(f"{tag}={value}{SOH}" for tag, value in fields).encode("utf-8")
    length = str(len(body)) if body_length is None else str(body_length)
    head = f"8={begin_string}{SOH}9={length}{SOH}".encode("utf-8")
    total = head + body
    trailer = checksum(total) if check_sum is None else check_sum
    return total + f"10={trailer}{SOH}".encode("ascii")


def split_fields(raw: bytes) -> list[tuple[int, str]]:
    """(tag, value) pairs in wire order; a field without a numeric tag gets tag -1."""
    out: list[tuple[int, str]] = []
    for part in raw.split(SOH_B):
        if not part:
            continue
        tag, sep, value = part.partition(b"=")
        try:
            number = int(tag) if sep else -1
        except ValueError:
            number = -1
        out.append((number, value.decode("utf-8", "replace") if sep else part.decode("utf-8", "replace")))
    return out


def printable(raw: bytes, soh: str = "|") -> str:
    """Wire bytes as one readable line: SOH shown as `soh`, other control bytes escaped."""
    text = raw.decode("utf-8", "backslashreplace").replace(SOH, soh)
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)


@dataclass(slots=True)
class FixMessage:
    """One framed message: wire bytes, fields, arrival time and any framing problems found."""

    raw: bytes
    fields: list[tuple[int, str]]
    problems: list[str] = field(default_factory=list)  # BodyLength / CheckSum / header order faults
    received_at: float = 0.0  # time.monotonic()

    @classmethod
    def parse(cls, raw: bytes, received_at: float = 0.0) -> FixMessage:
        fields = split_fields(raw)
        return cls(raw=raw, fields=fields, problems=_frame_problems(raw, fields), received_at=received_at)

    def get(self, tag: int, default: str | None = None) -> str | None:
        for number, value in self.fields:
            if number == tag:
                return value
        return default

    def get_all(self, tag: int) -> list[str]:
        return [value for number, value in self.fields if number == tag]

    def has(self, tag: int) -> bool:
        return any(number == tag for number, _ in self.fields)

    @property
    def msg_type(self) -> str:
        return self.get(35, "") or ""

    @property
    def seq_num(self) -> int | None:
        value = self.get(34)
        return int(value) if value is not None and value.isdigit() else None


def _frame_problems(raw: bytes, fields: list[tuple[int, str]]) -> list[str]:
    problems: list[str] = []
    tags = [tag for tag, _ in fields]
    if tags[:3] != [8, 9, 35]:
        problems.append(f"header must start with 8, 9, 35; got {tags[:3]}")
    if not tags or tags[-1] != 10:
        problems.append("CheckSum(10) is not the last field")
        return problems
    body_start = raw.find(SOH_B, raw.find(b"9=")) + 1
    trailer_at = raw.rfind(b"10=")
    declared = dict(fields).get(9, "")
    if declared.isdigit() and int(declared) != trailer_at - body_start:
        problems.append(f"BodyLength(9)={declared} but the body has {trailer_at - body_start} bytes")
    wanted = checksum(raw[:trailer_at])
    if fields[-1][1] != wanted:
        problems.append(f"CheckSum(10)={fields[-1][1]} but the bytes sum to {wanted}")
    if -1 in tags:
        problems.append("a field without a numeric tag")
    return problems


@dataclass(slots=True)
class Garbage:
    """Inbound bytes that were not a FIX message (skipped by the framer)."""

    raw: bytes
    reason: str


class Framer:
    """Splits an inbound byte stream into messages. Framing follows BodyLength; when that is
    unusable it falls back to the ``10=ddd<SOH>`` trailer so a server's wrong BodyLength is
    still shown (with a problem noted) instead of silently eating the stream."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def feed(self, data: bytes, now: float = 0.0) -> list[FixMessage | Garbage]:
        self.buf += data
        out: list[FixMessage | Garbage] = []
        while True:
            item = self._next(now)
            if item is None:
                return out
            out.append(item)

    def _next(self, now: float) -> FixMessage | Garbage | None:
        buf = self.buf
        start = buf.find(b"8=")
        if start < 0:
            return None if len(buf) < 2 else self._cut(len(buf) - 1, "no BeginString(8)")
        if start > 0:
            return self._cut(start, "bytes before BeginString(8)")
        first = buf.find(SOH_B)
        if first < 0:
            return None
        second = buf.find(SOH_B, first + 1)
        if second < 0:
            return None
        length_field = bytes(buf[first + 1 : second])
        if length_field.startswith(b"9=") and length_field[2:].isdigit() and int(length_field[2:]) <= _MAX_BODY:
            end = second + 1 + int(length_field[2:])
            if len(buf) < end + 7:
                return None
            if buf[end : end + 3] == b"10=" and buf[end + 6 : end + 7] == SOH_B:
                return self._take(end + 7, now)
        # BodyLength missing or inconsistent: find the trailer instead
        trailer = buf.find(SOH_B + b"10=", second)
        if trailer < 0 or len(buf) < trailer + 8:
            return None
        close = buf.find(SOH_B, trailer + 1)
        return self._take(close + 1, now)

    def _take(self, end: int, now: float) -> FixMessage:
        raw = bytes(self.buf[:end])
        del self.buf[:end]
        return FixMessage.parse(raw, now)

    def _cut(self, end: int, reason: str) -> Garbage:
        raw = bytes(self.buf[:end])
        del self.buf[:end]
        return Garbage(raw, reason)


@dataclass(slots=True)
class TranscriptEntry:
    index: int
    at: float  # seconds since the transcript started
    wall: datetime
    conn: str
    direction: str  # "out", "in", "note"
    raw: bytes = b""
    text: str = ""  # for notes, or why raw bytes are special (garbage, deliberately broken)


class Transcript:
    """Every byte in both directions plus runner notes, in order, for the evidence report."""

    def __init__(self) -> None:
        self.entries: list[TranscriptEntry] = []
        self._t0 = time.monotonic()

    def add(self, conn: str, direction: str, raw: bytes = b"", text: str = "") -> TranscriptEntry:
        entry = TranscriptEntry(len(self.entries), time.monotonic() - self._t0, datetime.now(timezone.utc),
                                conn, direction, raw, text)
        self.entries.append(entry)
        return entry

    def note(self, conn: str, text: str) -> TranscriptEntry:
        return self.add(conn, "note", text=text)


class FixConnection:
    """One client socket (plain TCP, or TLS when `tls` is an SSLContext) with an inbound queue."""

    def __init__(self, name: str, host: str, port: int, transcript: Transcript,
                 tls: ssl.SSLContext | None = None, server_hostname: str | None = None) -> None:
        self.name = name
        self.host = host
        self.port = port
        self.transcript = transcript
        self.tls = tls
        self.server_hostname = server_hostname or host
        self.sock: socket.socket | None = None
        self.framer = Framer()
        self.inbox: list[FixMessage] = []
        self.closed_by_peer = False

    def connect(self, timeout: float = 5.0) -> None:
        raw = socket.create_connection((self.host, self.port), timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls is not None:
            try:
                raw = self.tls.wrap_socket(raw, server_hostname=self.server_hostname)
            except (ssl.SSLError, OSError):
                raw.close()
                raise
        self.sock = raw
        mode = "TLS" if self.tls is not None else "TCP"
        self.transcript.note(self.name, f"connected ({mode}) to {self.host}:{self.port}")

    @property
    def is_open(self) -> bool:
        return self.sock is not None and not self.closed_by_peer

    def send(self, raw: bytes, note: str = "") -> None:
        if self.sock is None:
            raise Disconnected(f"{self.name}: not connected")
        self.transcript.add(self.name, "out", raw, note)
        try:
            self.sock.sendall(raw)
        except OSError as exc:
            self._mark_closed(f"send failed: {exc}")
            raise Disconnected(f"{self.name}: send failed: {exc}") from None

    def receive(self, timeout: float) -> FixMessage | None:
        """Next inbound message, or None after `timeout` seconds. Raises Disconnected when closed."""
        deadline = time.monotonic() + timeout
        while not self.inbox:
            if self.closed_by_peer or self.sock is None:
                raise Disconnected(f"{self.name}: connection closed by peer")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self._read(remaining)
        return self.inbox.pop(0)

    def _read(self, timeout: float) -> None:
        assert self.sock is not None
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data = self.sock.recv(65536)
        except (socket.timeout, ssl.SSLWantReadError):
            return
        except OSError as exc:
            self._mark_closed(f"connection error: {exc}")
            return
        if not data:
            self._mark_closed("connection closed by peer")
            return
        for item in self.framer.feed(data, time.monotonic()):
            if isinstance(item, Garbage):
                self.transcript.add(self.name, "in", item.raw, f"garbage skipped: {item.reason}")
                continue
            text = "; ".join(item.problems)
            self.transcript.add(self.name, "in", item.raw, f"MALFORMED: {text}" if text else "")
            self.inbox.append(item)

    def _mark_closed(self, why: str) -> None:
        if not self.closed_by_peer:
            self.closed_by_peer = True
            self.transcript.note(self.name, why)

    def close(self) -> None:
        if self.sock is None:
            return
        try:
            if self.tls is not None and not self.closed_by_peer:
                self.sock.settimeout(0.2)
            self.sock.close()
        except OSError:
            pass
        self.sock = None
        if not self.closed_by_peer:
            self.transcript.note(self.name, "disconnected by runner")

"""A tiny raw-FIX client for end-to-end tests: exact bytes in, parsed messages out.

It computes BodyLength and CheckSum correctly unless told not to, so tests can also send
wrong ones. No QuickFIX on this side: what the simulator sends is checked byte for byte.
"""

from __future__ import annotations

import socket
import ssl
import time
from datetime import datetime, timedelta, timezone

from fixengine.auth import sign_logon

SOH = b"\x01"


def ts(moment: datetime | None = None) -> str:
    moment = moment or datetime.now(timezone.utc)
    return moment.strftime("%Y%m%d-%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def frame(body: bytes, body_length: int | None = None, checksum: int | None = None) -> bytes:
    head = b"8=FIXT.1.1\x019=%d\x01" % (len(body) if body_length is None else body_length)
    msg = head + body
    return msg + b"10=%03d\x01" % ((sum(msg) % 256) if checksum is None else checksum)


class Msg:
    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.fields: list[tuple[int, str]] = []
        for part in raw.rstrip(SOH).split(SOH):
            tag, _, value = part.partition(b"=")
            self.fields.append((int(tag), value.decode()))
        self.map: dict[int, str] = {}
        for tag, value in self.fields:
            self.map.setdefault(tag, value)

    @property
    def type(self) -> str:
        return self.map[35]

    def get(self, tag: int, default=None):
        return self.map.get(tag, default)

    def __getitem__(self, tag: int) -> str:
        return self.map[tag]

    def __contains__(self, tag: int) -> bool:
        return tag in self.map

    def __repr__(self) -> str:
        return self.raw.replace(SOH, b"|").decode()


class RawFix:
    def __init__(self, port: int, key_id: str, target: str = "KalshiNR", private_key=None,
                 tls: ssl.SSLContext | None = None, host: str = "127.0.0.1") -> None:
        self.port, self.key_id, self.target, self.private_key = port, key_id, target, private_key
        self.tls, self.host = tls, host
        self.seq = 1
        self.sock: socket.socket | None = None
        self.buf = b""
        self.received: list[Msg] = []

    # ---------------------------------------------------------------- transport
    def connect(self) -> RawFix:
        sock = socket.create_connection((self.host, self.port), timeout=5)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_hostname="localhost")
        self.sock = sock
        return self

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def build(self, msg_type: str, body: list[tuple[int, str]], seq: int | None = None,
              sending_time: str | None = None, sender: str | None = None, target: str | None = None,
              header_extra: list[tuple[int, str]] = ()) -> bytes:
        if seq is None:
            seq, self.seq = self.seq, self.seq + 1
        header = [(35, msg_type), (49, sender or self.key_id), (56, target or self.target), (34, str(seq)),
                  (52, sending_time or ts()), *header_extra]
        text = "\x01".join(f"{t}={v}" for t, v in [*header, *body]) + "\x01"
        return frame(text.encode())

    def send(self, msg_type: str, body: list[tuple[int, str]], **kw) -> None:
        self.send_raw(self.build(msg_type, body, **kw))

    def recv(self, timeout: float = 5.0) -> Msg | None:
        """Next complete message, None on timeout or EOF."""
        deadline = time.monotonic() + timeout
        while True:
            msg = self._take()
            if msg is not None:
                self.received.append(msg)
                return msg
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.sock is None:
                return None
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(65536)
            except (socket.timeout, TimeoutError):
                return None
            except (ConnectionResetError, OSError, ssl.SSLError):
                return None
            if not data:
                self.close()
                return self._take()
            self.buf += data

    def _take(self) -> Msg | None:
        end = self.buf.find(b"\x0110=")
        if end < 0 or len(self.buf) < end + 8:
            return None
        raw, self.buf = self.buf[: end + 8], self.buf[end + 8 :]
        body_len_end = raw.find(SOH, 11)
        body_len = int(raw[raw.find(b"9=") + 2 : body_len_end])
        assert len(raw) - (body_len_end + 1) - 7 == body_len, f"bad BodyLength from server: {raw!r}"
        assert sum(raw[:-7]) % 256 == int(raw[-4:-1]), f"bad CheckSum from server: {raw!r}"
        return Msg(raw)

    def expect(self, msg_type: str, timeout: float = 5.0, skip=("0",)) -> Msg:
        """Next message of `msg_type`, skipping heartbeats; fails on anything else."""
        while True:
            msg = self.recv(timeout)
            assert msg is not None, f"expected 35={msg_type}, got nothing"
            if msg.type in skip and msg_type not in skip:
                continue
            assert msg.type == msg_type, f"expected 35={msg_type}, got {msg!r}"
            return msg

    def collect(self, timeout: float = 0.3) -> list[Msg]:
        out = []
        while (msg := self.recv(timeout)) is not None:
            if msg.type != "0":
                out.append(msg)
        return out

    def closed_by_peer(self, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.sock is None:
                return True
            msg = self.recv(deadline - time.monotonic())
            if msg is None and self.sock is None:
                return True
        return self.sock is None

    # ---------------------------------------------------------------- session
    def logon_message(self, flags: dict[int, str] | None = None, *, reset: bool = True, heartbeat: int = 30,
                      sending_time: str | None = None, signature: str | None = None, with_95: bool = True,
                      extra: list[tuple[int, str]] = (), seq: int | None = None, key=None) -> bytes:
        sending_time = sending_time or ts()
        if reset:
            self.seq = 1
        seq = self.seq if seq is None else seq
        if signature is None:
            signature = sign_logon(key or self.private_key, sending_time, seq, self.key_id, self.target)
        body = [(98, "0"), (108, str(heartbeat))]
        if with_95:
            body.append((95, str(len(signature))))
        body.append((96, signature))
        if reset:
            body.append((141, "Y"))
        body.append((1137, "9"))
        body.extend(sorted((flags or {}).items()))
        body.extend(extra)
        return self.build("A", body, seq=seq, sending_time=sending_time)

    def logon(self, flags: dict[int, str] | None = None, **kw) -> Msg:
        """Connect if needed, log on and return the server's first answer (35=A or 35=5/3)."""
        if self.sock is None:
            self.connect()
        self.send_raw(self.logon_message(flags, **kw))
        self.seq += 1 if kw.get("seq") is None else 0
        return self.recv(5.0)

    def logout(self) -> Msg | None:
        self.send("5", [])
        return self.recv(3.0)


def past(seconds: float) -> str:
    return ts(datetime.now(timezone.utc) - timedelta(seconds=seconds))


# ---------------------------------------------------------------- shared test data
LINEAR = "KXTEST-26DEC31-A"
SUBPENNY = "KXSUB-26DEC31-B"
_ids = __import__("itertools").count(1)


def clid(prefix: str = "o") -> str:
    """A fresh ClOrdID (letters, digits and '-', as Kalshi allows)."""
    import uuid

    return f"{prefix}-{next(_ids)}-{uuid.uuid4().hex[:8]}"

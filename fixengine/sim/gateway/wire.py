"""Raw FIX framing for the logon gate: split a byte stream into messages, parse, encode.

The gate sits in front of QuickFIX and must never trust the peer, so framing here is
strict and allocation-light: a message is ``8=FIXT.1.1<SOH>9=<len><SOH>`` + body of
exactly <len> bytes + ``10=ddd<SOH>``. Anything else is garbage; what to do with it is
the gate's decision (close before logon, skip to the next BeginString after it).
"""

from __future__ import annotations

from datetime import datetime, timezone

SOH = b"\x01"
BEGIN = b"8=FIXT.1.1\x01"
_LEN_PREFIX = b"8=FIXT.1.1\x019="
_TRAILER_LEN = 7  # b"10=ddd\x01"
_MAX_LEN_DIGITS = 7

# FrameReader.next_frame() outcomes besides a message
NEED_MORE = 0
GARBLED = 1  # bytes skipped: not a FIX message, or BodyLength / trailer inconsistent
OVERSIZED = 2  # BodyLength beyond the configured maximum: the connection should be cut


class FrameReader:
    """Accumulates bytes and hands out complete, well-framed FIX messages.

    ``next_frame()`` returns ``bytes`` (one message, checksum not yet verified), or one of
    NEED_MORE / GARBLED / OVERSIZED. After GARBLED the reader has already skipped to the
    next plausible BeginString, so the caller just keeps calling.
    """

    __slots__ = ("buf", "max_body", "garbled")

    def __init__(self, max_body: int) -> None:
        self.buf = bytearray()
        self.max_body = max_body
        self.garbled = 0

    def feed(self, data: bytes) -> None:
        self.buf += data

    def pending(self) -> int:
        return len(self.buf)

    def next_frame(self) -> bytes | int:
        buf = self.buf
        if not buf:
            return NEED_MORE
        if not buf.startswith(_LEN_PREFIX):
            if len(buf) < len(_LEN_PREFIX) and _LEN_PREFIX.startswith(bytes(buf)):
                return NEED_MORE
            return self._skip_garbage(1)
        start = len(_LEN_PREFIX)
        end = buf.find(SOH, start, start + _MAX_LEN_DIGITS + 1)
        if end < 0:
            if len(buf) - start > _MAX_LEN_DIGITS:
                return self._skip_garbage(1)
            return NEED_MORE
        digits = bytes(buf[start:end])
        if not digits.isdigit():
            return self._skip_garbage(1)
        body_len = int(digits)
        if body_len > self.max_body:
            return OVERSIZED
        body_start = end + 1
        total = body_start + body_len + _TRAILER_LEN
        if len(buf) < total:
            # A BodyLength that is too large would swallow the messages behind it. If a complete
            # trailer followed by a new BeginString is already inside the claimed body, the
            # length is wrong: drop this message and resynchronise on the next one.
            nxt = buf.find(_LEN_PREFIX, body_start)
            if nxt >= 0 and buf.rfind(b"\x0110=", body_start, nxt) >= 0:
                return self._skip_garbage(nxt)
            return NEED_MORE
        trailer = body_start + body_len
        if buf[trailer : trailer + 3] != b"10=" or buf[total - 1] != 1 or buf[trailer - 1] != 1:
            return self._skip_garbage(1)
        frame = bytes(buf[:total])
        del buf[:total]
        return frame

    def _skip_garbage(self, offset: int) -> int:
        """Drop bytes up to the next BeginString (or keep a possible partial prefix)."""
        buf = self.buf
        nxt = buf.find(BEGIN, offset)
        if nxt < 0:
            keep = _partial_suffix(buf, BEGIN)
            del buf[: len(buf) - keep]
        else:
            del buf[:nxt]
        self.garbled += 1
        return GARBLED


def _partial_suffix(buf: bytearray, prefix: bytes) -> int:
    """Length of the longest tail of buf that is a proper prefix of `prefix`."""
    for n in range(min(len(prefix) - 1, len(buf)), 0, -1):
        if buf.endswith(prefix[:n]):
            return n
    return 0


def checksum_ok(frame: bytes) -> bool:
    """True when the trailer's CheckSum matches the bytes before it."""
    trailer = len(frame) - _TRAILER_LEN
    digits = frame[trailer + 3 : trailer + 6]
    if not digits.isdigit():
        return False
    return sum(frame[:trailer]) % 256 == int(digits)


def parse_fields(frame: bytes) -> list[tuple[int, str]]:
    """Tag/value pairs in wire order. RawData(96) honours a preceding RawDataLength(95).

    Raises ValueError on a malformed field (no '=', non-numeric tag, non-ASCII).
    """
    fields: list[tuple[int, str]] = []
    pos = 0
    n = len(frame)
    data_len: int | None = None
    while pos < n:
        eq = frame.find(b"=", pos)
        if eq < 0:
            raise ValueError(f"field without '=' at byte {pos}")
        tag_text = frame[pos:eq]
        if not tag_text.isdigit() or len(tag_text) > 9:
            raise ValueError(f"bad tag {tag_text[:20]!r} at byte {pos}")
        tag = int(tag_text)
        if tag == 96 and data_len is not None:
            end = eq + 1 + data_len
            if end >= n or frame[end] != 1:
                raise ValueError("RawData(96) does not match RawDataLength(95)")
        else:
            end = frame.find(SOH, eq + 1)
            if end < 0:
                raise ValueError(f"tag {tag} not terminated")
        value = frame[eq + 1 : end].decode("ascii")
        if tag == 95:
            if not value.isdigit():
                raise ValueError("RawDataLength(95) is not a number")
            data_len = int(value)
        fields.append((tag, value))
        pos = end + 1
    return fields


def encode(msg_type: str, header: list[tuple[int, str]], body: list[tuple[int, str]]) -> bytes:
    """Build a complete FIXT.1.1 message with correct BodyLength and CheckSum.

    `header` holds the standard header fields after 35 (49, 56, 34, 52 ...), in order.
    """
    parts = [f"35={msg_type}"]
    parts.extend(f"{t}={v}" for t, v in header)
    parts.extend(f"{t}={v}" for t, v in body)
    payload = ("\x01".join(parts) + "\x01").encode("ascii")
    head = b"8=FIXT.1.1\x019=" + str(len(payload)).encode() + SOH
    msg = head + payload
    return msg + b"10=%03d\x01" % (sum(msg) % 256)


def utc_timestamp(now: datetime | None = None) -> str:
    """FIX UTCTimestamp with milliseconds, the form Kalshi uses: 20260820-14:30:05.123."""
    now = now or datetime.now(timezone.utc)
    return now.strftime("%Y%m%d-%H:%M:%S.") + f"{now.microsecond // 1000:03d}"


def parse_utc_timestamp(text: str) -> datetime:
    """Parse YYYYMMDD-HH:MM:SS[.sss[sss]] as an aware UTC datetime; ValueError if malformed."""
    if len(text) < 17 or text[8] != "-":
        raise ValueError(f"bad UTCTimestamp {text!r}")
    base, dot, frac = text.partition(".")
    dt = datetime.strptime(base, "%Y%m%d-%H:%M:%S").replace(tzinfo=timezone.utc)
    if dot:
        if not frac.isdigit() or len(frac) > 9:
            raise ValueError(f"bad UTCTimestamp fraction {text!r}")
        dt = dt.replace(microsecond=int((frac + "000000")[:6]))
    return dt

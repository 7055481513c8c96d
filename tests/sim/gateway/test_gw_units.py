"""Fast unit tests of the gateway's pure parts: framing, logon rules, rate limits, price text."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from fixengine.config.types import RateTier, SessionKind
from fixengine.sim.gateway import texts, wire
from fixengine.sim.gateway.encode import price_text
from fixengine.sim.gateway.limits import LogonGuard, MinInterval, RateLimiter, TokenBucket
from fixengine.sim.gateway.logon import LogonFlags, Refusal, check_body, check_sending_time


def msg(body: str, length_delta: int = 0, checksum: int | None = None) -> bytes:
    payload = body.replace("|", "\x01").encode()
    head = b"8=FIXT.1.1\x019=%d\x01" % (len(payload) + length_delta)
    out = head + payload
    return out + b"10=%03d\x01" % ((sum(out) % 256) if checksum is None else checksum)


GOOD = msg("35=0|49=a|56=b|34=2|52=20260101-00:00:00.000|")


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


# ------------------------------------------------------------------ framing


def test_frames_split_across_reads_and_back_to_back():
    reader = wire.FrameReader(1024)
    data = GOOD + GOOD
    for byte in data[:30]:
        reader.feed(bytes([byte]))
        assert reader.next_frame() == wire.NEED_MORE
    reader.feed(data[30:])
    assert reader.next_frame() == GOOD
    assert reader.next_frame() == GOOD
    assert reader.next_frame() == wire.NEED_MORE


def test_garbage_is_skipped_to_next_begin_string():
    reader = wire.FrameReader(1024)
    reader.feed(b"\x00\x01junk 8=FIX.4.4\x01" + GOOD)
    assert reader.next_frame() == wire.GARBLED
    assert reader.next_frame() == GOOD


def test_wrong_body_length_both_ways():
    short = wire.FrameReader(1024)
    short.feed(msg("35=0|49=a|", length_delta=-3) + GOOD)
    assert short.next_frame() == wire.GARBLED
    assert short.next_frame() == GOOD
    long = wire.FrameReader(1024)
    long.feed(msg("35=0|49=a|", length_delta=+40) + GOOD)
    assert long.next_frame() == wire.GARBLED
    assert long.next_frame() == GOOD


def test_oversized_and_bad_length_digits():
    reader = wire.FrameReader(10)
    reader.feed(GOOD)
    assert reader.next_frame() == wire.OVERSIZED
    bad = wire.FrameReader(1024)
    bad.feed(b"8=FIXT.1.1\x019=12x\x01" + GOOD)
    assert bad.next_frame() == wire.GARBLED
    assert bad.next_frame() == GOOD


def test_checksum_and_encode_roundtrip():
    assert wire.checksum_ok(GOOD)
    assert not wire.checksum_ok(msg("35=0|", checksum=7))
    built = wire.encode("5", [(49, "KalshiNR"), (56, "k"), (34, "1")], [(58, "bye")])
    assert wire.checksum_ok(built)
    reader = wire.FrameReader(1024)
    reader.feed(built)
    assert reader.next_frame() == built


def test_parse_fields_honours_raw_data_length():
    frame = msg("35=A|95=5|96=ab\x01cd|141=Y|")
    fields = dict(wire.parse_fields(frame))
    assert fields[96] == "ab\x01cd" and fields[141] == "Y"
    with pytest.raises(ValueError):
        wire.parse_fields(msg("35=A|95=9|96=abc|"))
    with pytest.raises(ValueError):
        wire.parse_fields(b"35=A\x01garbage\x01")


# ------------------------------------------------------------------ logon rules

BASE = {98: "0", 108: "30", 1137: "9", 141: "Y"}


def test_check_body_accepts_and_records_flags():
    flags = check_body({**BASE, 21005: "Y", 8013: "Y", 21003: "Y", 21027: "Y"}, SessionKind.NR, "k", 24)
    assert isinstance(flags, LogonFlags)
    assert flags.use_dollars and flags.cancel_on_disconnect and flags.skip_pending and flags.split_collateral
    rt = check_body({**BASE, 141: "N", 20200: "72"}, SessionKind.RT, "k", 24)
    assert rt.retention_hours == 72 and not rt.reset


@pytest.mark.parametrize("values,kind,text", [
    ({98: "1"}, SessionKind.NR, texts.ENCRYPT_METHOD),
    ({108: "3"}, SessionKind.NR, texts.HEARTBEAT),
    ({108: "x"}, SessionKind.NR, texts.HEARTBEAT),
    ({1137: "7"}, SessionKind.NR, texts.APPL_VER_ID),
    ({141: "N"}, SessionKind.NR, texts.RESET_REQUIRED),
    ({50: "OP"}, SessionKind.RT, texts.SENDER_SUB_ID),
    ({20126: "Y"}, SessionKind.NR, texts.LISTENER_NEEDS_SKIP),
    ({20126: "Y", 21011: "Y", 8013: "Y"}, SessionKind.RT, texts.LISTENER_NO_CANCEL),
    ({20126: "Y", 21011: "Y"}, SessionKind.DC, texts.LISTENER_KIND),
    ({20200: "0"}, SessionKind.RT, texts.RETENTION),
    ({20200: "24"}, SessionKind.NR, texts.RETENTION_KIND),
])
def test_check_body_refusals(values, kind, text):
    outcome = check_body({**BASE, **values}, kind, "k", 24)
    assert isinstance(outcome, Refusal) and outcome.text == text


def test_sending_time_window():
    now = datetime(2026, 8, 20, 14, 30, 5, 123000, tzinfo=timezone.utc)
    assert check_sending_time({52: "20260820-14:30:35.000"}, now, 30) is None
    late = check_sending_time({52: "20260820-14:30:36.000"}, now, 30)
    assert late.sending_time_reject and late.text == texts.SENDING_TIME
    assert check_sending_time({52: "yesterday"}, now, 30).text == texts.BAD_VALUE.format(tag=52)
    assert check_sending_time({}, now, 30).text == texts.MISSING_TAG.format(tag=52)


# ------------------------------------------------------------------ limits


def test_token_bucket_refills_continuously():
    clock = Clock()
    bucket = TokenBucket(100, 200, clock)
    assert sum(bucket.take(10) for _ in range(25)) == 20
    clock.t += 0.11  # 11 tokens back
    assert bucket.take(10) and not bucket.take(10)
    clock.t += 100
    assert sum(bucket.take(10) for _ in range(25)) == 20  # never above capacity


def test_rate_limiter_tiers_and_unmetered_types():
    clock = Clock()
    limiter = RateLimiter({"basic": RateTier.BASIC, "premier": RateTier.PREMIER}, clock)
    assert sum(limiter.allow("basic", "D") for _ in range(15)) == 10  # Basic: capacity 1x budget
    assert sum(limiter.allow("premier", "D") for _ in range(250)) == 200  # 2x budget burst
    assert all(limiter.allow("basic", t) for t in ("0", "1", "5"))  # heartbeat/test/logout not metered
    assert limiter.refused == 55


def test_min_interval_and_logon_guard():
    clock = Clock()
    gate = MinInterval(1.0, clock)
    assert gate.allow("k") and not gate.allow("k") and gate.allow("other")
    clock.t += 1.0
    assert gate.allow("k")
    guard = LogonGuard(max_failures=3, window_s=60, replay_window_s=60, clock=clock)
    for _ in range(3):
        assert not guard.locked_out("k")
        guard.record_failure("k")
    assert guard.locked_out("k")
    clock.t += 61
    assert not guard.locked_out("k")
    assert not guard.is_replay("sig") and guard.is_replay("sig")
    clock.t += 61
    assert not guard.is_replay("sig")


def test_price_text_modes():
    assert price_text(5600, True) == "0.5600"
    assert price_text(5600, False) == "56"
    assert price_text(5650, False) == "56.5"  # sub-cent in cents mode: decimal cents (UNCONFIRMED)
    assert price_text(5625, False) == "56.25"
    assert price_text(0, False) == "0"

"""KalshiMD parsing and the client's book / consistency logic, without sockets."""

from __future__ import annotations

import pytest

from fixengine.md import MarketDataClient, MarketDataParseError, parse_incremental, parse_snapshot
from fixengine.md.wire import dollars_to_units, qty_to_units

T = "KXHIGHNY-26AUG25-B85.5"
# The fact sheet's examples (part2 §6.1), '|' for SOH.
W_EXAMPLE = (f"8=FIXT.1.1|9=234|35=W|49=KalshiMD|56=e9|34=2|52=20260825-15:00:55.010|55={T}|268=2|269=0|270=0.4400|"
             "271=120.00|272=20260825|273=15:00:55.008|269=1|270=0.4700|271=80.00|272=20260825|273=15:00:55.008|10=047|")
X_EXAMPLE = (f"8=FIXT.1.1|9=279|35=X|49=KalshiMD|56=e9|34=3|52=20260825-15:00:56.200|268=2|279=1|55={T}|269=0|"
             f"270=0.4400|271=100.00|272=20260825|273=15:00:56.198|279=0|55={T}|269=2|270=0.4400|271=20.00|"
             "272=20260825|273=15:00:56.198|2446=2|10=211|")


def raw(text: str) -> str:
    return text.replace("|", "\x01")


def test_parse_fact_sheet_examples():
    assert parse_snapshot(raw(W_EXAMPLE)) == (T, [(0, 4400, 12000), (1, 4700, 8000)])
    assert parse_incremental(raw(X_EXAMPLE)) == [(1, T, 0, 4400, 10000, 0), (0, T, 2, 4400, 2000, 2)]


def test_units_and_bad_values():
    assert dollars_to_units("0.4400") == 4400
    assert dollars_to_units("0.005") == 50
    assert dollars_to_units("1") == 10_000
    assert qty_to_units("120.5") == 12050
    for bad in ("0.00001", "-0.1", "abc", "1e-2"):
        with pytest.raises(MarketDataParseError):
            dollars_to_units(bad)
    with pytest.raises(MarketDataParseError):
        qty_to_units("1.001")
    with pytest.raises(MarketDataParseError):
        parse_incremental(raw("35=X|268=1|279=7|55=A|269=0|270=0.5|271=1|10=000|"))


def test_empty_snapshot_of_unknown_ticker():
    assert parse_snapshot(raw("35=W|55=NOPE|268=0|10=000|")) == ("NOPE", [])


class Sent(list):
    def __call__(self, msg):
        self.append(msg.toString().replace("\x01", "|"))
        return True


def test_client_applies_snapshot_and_incrementals_with_callbacks():
    sent = Sent()
    tops, trades = [], []
    client = MarketDataClient(sent, on_top=lambda s, t: tops.append((s, t)), on_trade=trades.append)
    client.subscribe([T])
    assert "263=1" in sent[0] and f"146=1|55={T}" in sent[0]
    client.on_snapshot(raw(W_EXAMPLE))
    assert client.depth.top(T) == (4400, 12000, 4700, 8000)
    assert client.depth.levels(T, "no") == [(5300, 8000)]  # offer at YES 0.47 = NO bid at 0.53
    client.on_incremental(raw(X_EXAMPLE))
    assert client.depth.top(T) == (4400, 10000, 4700, 8000)
    stats = client.markets[T]
    assert (stats.last_price, stats.last_qty, stats.last_aggressor, stats.volume, stats.trades) == (4400, 2000, 2, 2000, 1)
    assert trades[0].price == 4400 and trades[0].aggressor == 2
    assert tops[-1] == (T, (4400, 10000, 4700, 8000)) and len(tops) == 2
    # delete the offer, then a new bid level
    client.on_incremental(raw(f"35=X|268=2|279=2|55={T}|269=1|270=0.4700|271=80.00|279=0|55={T}|269=0|270=0.4500|"
                              "271=5.00|10=000|"))
    assert client.depth.top(T) == (4500, 500, -1, 0)
    assert client.inconsistencies == 0 and len(sent) == 1


def test_inconsistencies_mark_stale_and_resubscribe():
    sent = Sent()
    client = MarketDataClient(sent)
    client.subscribe([T])
    client.on_snapshot(raw(W_EXAMPLE))
    # change of a level that does not exist -> stale, one re-request
    client.on_incremental(raw(f"35=X|268=1|279=1|55={T}|269=0|270=0.3000|271=1.00|10=000|"))
    assert client.markets[T].stale and client.inconsistencies == 1
    assert len(sent) == 2 and "263=1" in sent[1] and f"55={T}" in sent[1]
    # while stale, incrementals are ignored (and do not re-request again)
    client.on_incremental(raw(f"35=X|268=1|279=0|55={T}|269=0|270=0.3000|271=1.00|10=000|"))
    assert client.depth.size_at(T, "yes", 3000) == 0 and len(sent) == 2
    client.on_snapshot(raw(W_EXAMPLE))
    assert not client.markets[T].stale and client.markets[T].resyncs == 1
    # a crossed book (bid above the ask) also triggers a resync
    client.on_incremental(raw(f"35=X|268=1|279=0|55={T}|269=0|270=0.4800|271=1.00|10=000|"))
    assert client.markets[T].stale and len(sent) == 3
    # a session sequence break re-requests every subscribed market
    client.on_snapshot(raw(W_EXAMPLE))
    client.session_break("test")
    assert len(sent) == 4


def test_reject_and_status_callbacks():
    rejects, statuses = [], []
    client = MarketDataClient(Sent(), on_reject=rejects.append, on_status=lambda s, st: statuses.append((s, st)))
    client.on_reject(raw("35=Y|281=2|58=symbol limit exceeded|10=000|"))
    assert rejects[0].reason == "2" and "limit" in rejects[0].text
    client.subscribe_status(T)
    client.on_security_status(raw(f"35=f|55={T}|326=2|10=000|"))
    client.on_security_status(raw(f"35=f|55={T}|326=101|10=000|"))
    assert statuses == [(T, "halted"), (T, "settled")] and T not in client.status_wanted


def test_entries_for_unsubscribed_symbols_are_ignored():
    sent = Sent()
    client = MarketDataClient(sent)
    client.subscribe([T])
    client.on_snapshot(raw(W_EXAMPLE))
    client.unsubscribe([T])
    client.on_incremental(raw(X_EXAMPLE))  # in flight when the unsubscribe went out
    assert client.ignored == 2 and client.inconsistencies == 0 and client.markets[T].trades == 0
    assert len(sent) == 2 and "263=2" in sent[1]

"""KalshiMD end to end: the simulator's live book -> W/X/f/Y over loopback -> the client's numba book."""

from __future__ import annotations

import time

import pytest

from md_helpers import LINEAR, MAX_SYMBOLS, OTHER, md_config
from fixengine.md import MarketDataClient
from fixengine.md.client import market_data_request
from fixengine.md.session import MarketDataSession
from fixengine.model import Side

pytestmark = pytest.mark.slow


def wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()


@pytest.fixture(scope="module")
def md(md_sim, md_keyring, tmp_path_factory):
    tops, trades, statuses, rejects = [], [], [], []
    client = MarketDataClient(on_top=lambda s, t: tops.append((s, t)), on_trade=trades.append,
                              on_status=lambda s, st: statuses.append((s, st)), on_reject=rejects.append)
    cfg = md_config(tmp_path_factory.mktemp("md"), md_keyring, "md", md_sim.ports["MD"])
    session = MarketDataSession(cfg, client)
    session.start()
    session.wait_logon(timeout=10)
    client.recorded = (tops, trades, statuses, rejects)
    yield client, session
    session.stop()


def test_snapshot_then_incrementals_from_the_live_book(md, md_sim):
    client, _ = md
    tops, trades, _, _ = client.recorded
    md_sim.add_liquidity("maker-user", LINEAR, Side.BUY, 4000, 1000)
    md_sim.add_liquidity("maker-user", LINEAR, Side.SELL, 4500, 700)
    client.subscribe([LINEAR])
    assert wait_until(lambda: client.markets[LINEAR].snapshots == 1)
    assert client.depth.top(LINEAR) == (4000, 1000, 4500, 700)
    md_sim.add_liquidity("maker-user", LINEAR, Side.BUY, 4100, 300)  # new best bid
    assert wait_until(lambda: client.depth.top(LINEAR)[0] == 4100)
    md_sim.add_liquidity("maker-user", LINEAR, Side.BUY, 4000, 500)  # change of an existing level
    assert wait_until(lambda: client.depth.size_at(LINEAR, "yes", 4000) == 1500)
    # a sell that crosses: one trade of 3 contracts at 0.41, the 0.41 level is deleted
    md_sim.add_liquidity("md-user", LINEAR, Side.SELL, 4100, 300)  # another user: no self-trade
    assert wait_until(lambda: client.markets[LINEAR].trades == 1)
    stats = client.markets[LINEAR]
    assert (stats.last_price, stats.last_qty, stats.last_aggressor, stats.volume) == (4100, 300, 2, 300)
    assert wait_until(lambda: client.depth.top(LINEAR) == (4000, 1500, 4500, 700))
    assert trades[-1].symbol == LINEAR and tops[-1] == (LINEAR, (4000, 1500, 4500, 700))
    # the client's book equals the exchange's after every change
    book = md_sim.exchange.orderbook(LINEAR)
    assert client.depth.levels(LINEAR, "yes") == list(book.yes)
    assert client.depth.levels(LINEAR, "no") == list(book.no)
    assert client.inconsistencies == 0 and client.parse_errors == 0


def test_unknown_ticker_gets_an_empty_snapshot(md):
    client, _ = md
    client.subscribe(["KXMD-NOSUCH"], updates=False)
    assert wait_until(lambda: client.markets["KXMD-NOSUCH"].snapshots == 1)
    assert client.depth.top("KXMD-NOSUCH") == (-1, 0, -1, 0)
    assert "KXMD-NOSUCH" not in client.wanted


def test_symbol_limit_is_rejected_with_281_2(md):
    client, _ = md
    _, _, _, rejects = client.recorded
    too_many = [f"KXMD-LIM{i}" for i in range(MAX_SYMBOLS + 1)]
    client.subscribe(too_many)
    assert wait_until(lambda: rejects)
    assert rejects[-1].reason == "2" and "limit" in rejects[-1].text
    client.unsubscribe(too_many)


def test_subscription_type_outside_the_dictionary_is_refused(md):
    """263=5 never reaches the publisher over the wire: the Kalshi dictionary's 263 enum (0/1/2)
    makes QuickFIX answer with a session Reject (373=5) first. The publisher's own 281=4 answer is
    covered in test_md_publisher.py."""
    client, session = md
    before = len(session.events.session_rejects)
    session.send_md(market_data_request("5", [OTHER]))
    assert wait_until(lambda: len(session.events.session_rejects) > before)
    reject = session.events.session_rejects[-1]
    assert reject.ref_tag == 263 and reject.ref_msg_type == "V"


def test_security_status_on_halt_resume_determination_settlement(md, md_sim):
    client, _ = md
    _, _, statuses, _ = client.recorded
    client.subscribe_status(OTHER)
    time.sleep(0.2)  # the request must reach the simulator before the status changes
    md_sim.pause(OTHER)
    md_sim.resume(OTHER)
    assert wait_until(lambda: statuses[-2:] == [(OTHER, "halted"), (OTHER, "trading")])
    md_sim.close_market(OTHER)
    md_sim.gateway.call(lambda: md_sim.exchange.determine_market(OTHER, "yes"))
    md_sim.gateway.call(lambda: md_sim.exchange.settle_market(OTHER))
    assert wait_until(lambda: statuses[-1] == (OTHER, "settled"))
    assert (OTHER, "determined") in statuses and client.markets[OTHER].status == "settled"


def test_unsubscribe_stops_updates(md, md_sim):
    client, _ = md
    client.unsubscribe([LINEAR])
    time.sleep(0.2)
    count = client.markets[LINEAR].incrementals
    md_sim.add_liquidity("maker-user", LINEAR, Side.BUY, 3000, 100)
    time.sleep(0.3)
    assert client.markets[LINEAR].incrementals == count
    assert md_sim.gateway.market_data.subscriptions() == {} or all(
        LINEAR not in v["books"] for v in md_sim.gateway.market_data.subscriptions().values())


def test_reconnect_resubscribes_and_resyncs(md, md_sim, md_keyring):
    client, session = md
    client.subscribe([LINEAR])
    assert wait_until(lambda: LINEAR in str(md_sim.gateway.market_data.subscriptions()))
    snaps = client.markets[LINEAR].snapshots
    md_sim.drop_session(md_keyring["md"][0])
    assert wait_until(lambda: client.markets[LINEAR].snapshots > snaps, timeout=10)
    md_sim.add_liquidity("maker-user", LINEAR, Side.BUY, 3500, 100)
    assert wait_until(lambda: client.depth.size_at(LINEAR, "yes", 3500) == 100)
    assert client.depth.levels(LINEAR, "yes") == list(md_sim.exchange.orderbook(LINEAR).yes)


def test_lost_incremental_is_detected_and_the_book_resynced(md, md_sim, md_keyring):
    """The gate drops one X: QuickFIX sees the MsgSeqNum gap, KalshiMD answers the ResendRequest
    with a GapFill (no retransmission), and the client re-requests a snapshot."""
    client, _ = md
    client.subscribe([LINEAR])
    assert wait_until(lambda: not client.markets[LINEAR].stale)
    resyncs = client.markets[LINEAR].resyncs
    md_sim.drop_outbound(md_keyring["md"][0], 1, "X")
    md_sim.add_liquidity("maker-user", LINEAR, Side.BUY, 3300, 100)  # this update is lost
    md_sim.add_liquidity("maker-user", LINEAR, Side.BUY, 3200, 100)  # the gap shows here
    assert wait_until(lambda: client.markets[LINEAR].resyncs > resyncs and not client.markets[LINEAR].stale)
    assert wait_until(lambda: client.depth.levels(LINEAR, "yes") == list(md_sim.exchange.orderbook(LINEAR).yes))
    assert client.depth.size_at(LINEAR, "yes", 3300) == 100


def test_cli_watch_prints_top_of_book(md_sim, md_keyring, tmp_path):
    import argparse
    import io

    from kalshi_test_acceptor import write_client_config

    from fixengine.md import cli

    key_id, priv, _ = md_keyring["md2"]
    path = write_client_config(tmp_path, {"MD": (key_id, priv, {"use_dollars": True}, None)}, store="memory")
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["md", "watch", LINEAR, "--config", str(path), "--port", str(md_sim.ports["MD"]),
                              "--count", "1", "--seconds", "10", "--no-clear"])
    out = io.StringIO()
    assert args.func(args, out=out) == 0
    text = out.getvalue()
    top = md_sim.exchange.orderbook(LINEAR).yes[-1][0]
    assert LINEAR in text and f"{top / 10_000:.4f}" in text
    with pytest.raises(Exception, match="--port"):
        cli.run_watch(parser.parse_args(["md", "watch", LINEAR, "--config", str(path)]))

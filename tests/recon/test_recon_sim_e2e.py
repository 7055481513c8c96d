"""End to end against the simulator: trade through Exchange, journal misses fills, reconcile via REST.

The trading process is "killed" after it journaled its intents: fills arrive while it is down
(the journal never sees them), the listener copy and REST do. The reconciler finds every missed
fill, repair back-fills journal and book, the engine's own replay then matches the exchange, and
a second run is clean. Nothing is counted twice, including a later listener copy of a fill that
was repaired from REST.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from fixengine.engine import journal as J
from fixengine.engine.orders import Order, OrderStatus, OrderTracker
from fixengine.engine.recovery import encode_order, replay
from fixengine.model import ExecType, Side
from fixengine.recon.breaks import BreakType
from fixengine.recon.reconcile import reconcile
from fixengine.recon.repair import book_from_journal, repair
from fixengine.recon.sources import JournalView, ReportSet, RestView
from fixengine.rest import KalshiRestClient
from fixengine.sim.exchange import NewOrder
from fixengine.sim.rest import start_rest_server

from recon_simworld import LINEAR, MM, TAPERED, TRADER, TRADER_KEY, make_exchange, reports_of

pytestmark = pytest.mark.slow


@pytest.fixture
def world(tmp_path):
    exchange, config, keys, clock = make_exchange(tmp_path)
    handle = start_rest_server(exchange, config)
    client = KalshiRestClient(handle.url, key_id=TRADER_KEY, private_key=keys["trader"], tier=None)
    yield exchange, client, clock, tmp_path, keys
    client.close()
    handle.stop()


def _intent(journal: J.Journal, key: str, ticker: str, side: Side, price: int, qty: int, sub: int = 0) -> None:
    order = Order(key, ticker, side, "buy_yes" if side is Side.BUY else "buy_no", price, qty, "1", subaccount=sub)
    journal.append(J.NEW, key, encode_order(order))


def _trade(exchange, clock, key, ticker, side, price, qty, sub=0, user=TRADER, key_id=TRADER_KEY):
    clock.advance(timedelta(minutes=7))
    return exchange.submit(NewOrder(key_id=key_id, user_id=user, cl_ord_id=key, symbol=ticker, side=side,
                                    price=price, qty=qty, subaccount=sub))


def _session(world):
    """Trade a day; the journal sees the first order fully and only the intents of the rest."""
    exchange, client, clock, tmp, _keys = world
    exchange.add_liquidity(MM, LINEAR, Side.SELL, 4500, 1000)
    exchange.add_liquidity(MM, LINEAR, Side.BUY, 4000, 500)
    exchange.add_liquidity(MM, TAPERED, Side.BUY, 950, 1555)
    journal = J.Journal(tmp / "orders.sqlite")
    events = []
    _intent(journal, "t-1", LINEAR, Side.BUY, 4500, 400)
    ev = _trade(exchange, clock, "t-1", LINEAR, Side.BUY, 4500, 400)
    for r in reports_of(ev):
        journal.exec_report(r)
    events += ev
    # kill -9 here: the intents are journaled, nothing that follows is
    _intent(journal, "t-2", LINEAR, Side.BUY, 4500, 1000)
    _intent(journal, "t-3", TAPERED, Side.SELL, 950, 500, sub=1)
    journal.close()
    events += _trade(exchange, clock, "t-2", LINEAR, Side.BUY, 4500, 1000)  # 600 fill, 400 rest
    events += _trade(exchange, clock, "t-3", TAPERED, Side.SELL, 950, 500, sub=1)  # buys NO, fills
    clock.advance(timedelta(minutes=3))
    events += exchange.add_liquidity(MM, LINEAR, Side.SELL, 4500, 300)  # crosses t-2's resting bid
    return tmp / "orders.sqlite", reports_of(events)


def _engine_positions(path) -> dict:
    tracker = OrderTracker()
    nets: dict = {}

    def on_fill(order, fill, report):
        nets[(order.ticker, order.subaccount)] = nets.get((order.ticker, order.subaccount), 0) + (
            fill.qty if order.side is Side.BUY else -fill.qty)

    tracker.fill_listeners.append(on_fill)
    journal = J.Journal(path)
    replay(journal, tracker)
    journal.close()
    return nets, tracker


def test_reconcile_repair_and_clean_rerun_against_simulator(world):
    exchange, client, clock, _, keys = world
    path, listener = _session(world)
    # the listener copy arrives with replays, PossDup copies and a pending report mixed in
    copies = [dataclasses.replace(r, poss_dup=True) for r in listener if r.exec_type is ExecType.TRADE]
    pending = dataclasses.replace(listener[0], exec_id="-1;-1", exec_type=ExecType.PENDING_NEW)
    reports = ReportSet.build([pending] + listener + copies)
    rest = RestView.fetch(client, (0, 1))

    first = reconcile(JournalView.load(path), reports, rest)
    missing = [b for b in first.breaks if b.type is BreakType.FILL_MISSING_IN_JOURNAL]
    assert sorted(b.exec_id for b in missing) == sorted(
        r.exec_id for r in listener if r.exec_type is ExecType.TRADE and r.cl_ord_id != "t-1")
    assert len(missing) == 3
    kinds = {b.type for b in first.breaks}
    assert BreakType.POSITION_MISMATCH in kinds and BreakType.STATUS_MISMATCH in kinds
    assert reports.duplicates == len(copies) and reports.pending_skipped == 1

    book = book_from_journal(path)
    rep = repair(path, first, reports, rest, book=book)
    assert {r.exec_id for r in rep.appended if r.exec_type is ExecType.TRADE} == {b.exec_id for b in missing}
    assert book.positions.position(LINEAR).yes_qty == 400 + 600 + 300
    assert book.positions.position(TAPERED, 1).no_qty == 500

    second = reconcile(JournalView.load(path), reports, rest)
    assert second.clean, [b.to_dict() for b in second.breaks]
    # the engine's own restart replay now agrees with the exchange
    nets, tracker = _engine_positions(path)
    exchange_nets = {(p.symbol, p.subaccount): p.position for p in exchange.positions(TRADER)}
    assert nets == exchange_nets == {(LINEAR, 0): 1300, (TAPERED, 1): -500}
    assert tracker.orders["t-2"].status is OrderStatus.PARTIALLY_FILLED and tracker.orders["t-2"].cum_qty == 900
    assert tracker.orders["t-3"].status is OrderStatus.FILLED
    # repair again: nothing to do, nothing counted twice (journal and book)
    again = repair(path, second, reports, rest, book=book)
    assert again.appended == [] and book.positions.position(LINEAR).yes_qty == 1300
    assert book.apply_exec_reports(rep.appended) == 0


def test_rest_only_repair_then_late_listener_copy_is_not_counted_twice(world):
    exchange, client, clock, _, keys = world
    path, listener = _session(world)
    rest = RestView.fetch(client, (0, 1))
    first = reconcile(JournalView.load(path), None, rest)
    assert sum(b.type is BreakType.FILL_MISSING_IN_JOURNAL for b in first.breaks) == 3
    rep = repair(path, first, None, rest)
    assert all(r.exec_id.startswith("RECON;") for r in rep.appended) and len(rep.appended) == 3
    assert reconcile(JournalView.load(path), None, rest).clean
    # later the drop copy delivers the real reports of the same trades
    reports = ReportSet.build(listener)
    late = reconcile(JournalView.load(path), reports, rest)
    assert late.clean, [b.to_dict() for b in late.breaks]
    again = repair(path, late, reports, rest)
    assert not [r for r in again.appended if r.exec_type is ExecType.TRADE]
    nets, _ = _engine_positions(path)
    assert nets == {(LINEAR, 0): 1300, (TAPERED, 1): -500}


def test_settlement_and_payout_checked_against_rest(world):
    exchange, client, clock, _, keys = world
    path, listener = _session(world)
    exchange.settle_market(TAPERED, "no")
    rest = RestView.fetch(client, (0, 1))
    assert (TAPERED, 1) in rest.settlements
    reports = ReportSet.build(listener)
    first = reconcile(JournalView.load(path), reports, rest)
    settle = [b for b in first.breaks if b.type is BreakType.SETTLEMENT_MISMATCH]
    assert len(settle) == 1 and settle[0].ours == 0 and settle[0].theirs == -500
    repair(path, first, reports, rest)
    assert reconcile(JournalView.load(path), reports, rest).clean


def test_cli_against_simulator_rest_repairs_and_reruns_clean(world, tmp_path, capsys):
    from fixengine.auth import private_key_pem
    from fixengine.cli import main
    from fixengine.recon.sources import write_reports_jsonl

    exchange, client, clock, _, keys = world
    path, listener = _session(world)
    write_reports_jsonl(tmp_path / "listener.jsonl", listener)
    key = tmp_path / "trader.pem"
    key.write_bytes(private_key_pem(keys["trader"]))
    key.chmod(0o600)
    url = client.session.base_url
    args = ["reconcile", "--journal", str(path), "--reports", str(tmp_path / "listener.jsonl"), "--rest-url", url,
            "--key-id", TRADER_KEY, "--key", str(key), "--subaccount", "1", "--out", str(tmp_path / "out")]
    assert main(args) == 1
    assert main(args + ["--repair"]) == 0
    out = capsys.readouterr().out
    assert "appended" in out and "CLEAN" in out
    assert main(args) == 0
    eod = (tmp_path / "out" / "eod.md").read_text()
    assert "| KXHIGHNY-26NOV25-B55.5 | 0 | 13.00 |" in eod and "| 13.00 |" in eod  # exchange net column

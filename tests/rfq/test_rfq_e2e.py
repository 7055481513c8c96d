"""RFQ end to end over real sockets: creator Engine (KalshiRT) + RfqMaker (KalshiRFQ, another user)
against the simulator; the exchange's timers run on a manual clock (no sleeps)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from fixengine.engine.orders import OrderStatus
from fixengine.pricing.ticks import TickGrid
from fixengine.rfq import AcceptStatus, MakerQuoteStatus, Quote, QuoteDecision, QuoteState, RfqStatus
from rfq_world import MARKETS

pytestmark = pytest.mark.slow
_markets = itertools.count()


@pytest.fixture
def market(world):
    """A fresh market per test (an open RFQ blocks a second one on its market)."""
    world.maker.quote_fn = lambda rfq: QuoteDecision(yes_bid="0.45", no_bid="0.52")
    world.maker.confirm_fn = None
    world.maker.validate = True
    world.maker.tick_grids.clear()
    return MARKETS[next(_markets)]


def _open_rfq_with_quote(world, market, qty="10"):
    creator, maker = world.creator, world.maker
    rfq = creator.rfq.create(market, qty=qty)
    assert creator.wait(lambda: rfq.status is RfqStatus.OPEN and rfq.quotes, timeout=5), (rfq, maker.rejects)
    maker_rfq = maker.rfqs[rfq.rfq_id]
    assert maker.wait(lambda: maker_rfq.current_quote.status is MakerQuoteStatus.PENDING)
    return rfq, next(iter(rfq.quotes.values())), maker_rfq


def _execute(world, accept, maker_quote):
    w = world
    assert w.creator.wait(lambda: accept.status is AcceptStatus.ACCEPTED, timeout=5), accept
    assert w.maker.wait(lambda: maker_quote.status is MakerQuoteStatus.CONFIRMED, timeout=5), maker_quote
    w.advance(14.9)
    assert accept.order.status is OrderStatus.PENDING_NEW  # the execution timer (15 s) is not over
    w.advance(0.2)
    assert w.creator.wait(lambda: accept.order.status is OrderStatus.FILLED, timeout=5), accept.order
    assert w.maker_oe.wait(lambda: maker_quote.order is not None and maker_quote.order.status is OrderStatus.FILLED,
                           timeout=5), (maker_quote.order, w.maker_oe.tracker.unknown_reports)


def test_accept_quote_executes_for_both_sides(world, market):
    rfq, quote, maker_rfq = _open_rfq_with_quote(world, market)
    assert (maker_rfq.ticker, maker_rfq.qty, maker_rfq.requester_id is not None) == (market, 1000, True)
    assert (quote.yes_bid, quote.no_bid, quote.qty, quote.yes_size) == (4500, 5200, 1000, 1000)
    assert quote.quoter_id and quote.quoter_id != maker_rfq.requester_id
    accept = world.creator.rfq.accept(quote, "sell_yes")
    maker_quote = maker_rfq.current_quote
    _execute(world, accept, maker_quote)
    assert maker_quote.accepted_side == "2"
    assert accept.order.avg_px == 4500 and accept.order.fills[0].qty == 1000
    assert world.creator.positions.net(market) == -1000  # sold 10 YES
    assert world.maker_oe.positions.net(market) == 1000  # bought 10 YES
    assert world.creator.book.positions.position(market).no_qty == 1000
    assert accept.status is AcceptStatus.EXECUTED and rfq.status is RfqStatus.EXECUTED
    assert quote.state is QuoteState.EXECUTED
    # journaled like any order (the engine writes a report right after delivering it): a restart rebuilds it
    for engine, key in ((world.creator, accept.cl_ord_id), (world.maker_oe, maker_quote.quote_id)):
        assert engine.wait(lambda: "er_wire" in _journal_kinds(engine, key)), _journal_kinds(engine, key)
        assert _journal_kinds(engine, key)[0] == "new"


def _journal_kinds(engine, key):
    with engine._lock:  # the journal's connection is shared with QuickFIX's thread
        return [kind for _, kind, k, _ in engine.journal.records() if k == key]


def test_accept_with_new_order_single_buys_yes_against_the_no_bid(world, market):
    rfq, quote, maker_rfq = _open_rfq_with_quote(world, market, qty="5")
    accept = world.creator.rfq.accept_with_order(quote, "buy_yes")
    maker_quote = maker_rfq.current_quote
    _execute(world, accept, maker_quote)
    assert accept.order.avg_px == 4800  # 1 - the maker's NO bid 0.52
    assert world.creator.positions.net(market) == 500
    assert world.maker_oe.positions.net(market) == -500  # the maker bought 5 NO
    assert maker_quote.accepted_side == "1" and rfq.status is RfqStatus.EXECUTED


def test_cost_sized_rfq_sizes_each_side_by_the_target_cost(world, market):
    rfq = world.creator.rfq.create(market, cost="4.50")
    assert world.creator.wait(lambda: rfq.quotes, timeout=5), rfq
    quote = next(iter(rfq.quotes.values()))
    # selling YES at 0.45 costs 0.55 a contract (8 whole contracts); buying YES at 0.48: 9
    assert (quote.yes_size, quote.no_size, quote.qty) == (800, 900, None)
    world.maker.confirm_fn = lambda q: False  # leave it unconfirmed: only the sizing matters here
    accept = world.creator.rfq.accept(quote, "buy_yes")
    assert accept.qty == 900 and world.creator.wait(lambda: accept.status is AcceptStatus.ACCEPTED)
    world.advance(31)
    assert world.creator.wait(lambda: accept.status is AcceptStatus.VOIDED), accept
    world.creator.rfq.cancel(rfq)


def test_accepting_a_cancelled_quote_is_refused_both_ways(world, market):
    rfq, quote, maker_rfq = _open_rfq_with_quote(world, market)
    maker_quote = maker_rfq.current_quote
    assert world.maker.cancel_quote(maker_quote)
    assert world.maker.wait(lambda: maker_quote.status is MakerQuoteStatus.CANCELLED)
    accept = world.creator.rfq.accept(quote, "sell_yes")
    assert world.creator.wait(lambda: accept.status is AcceptStatus.REJECTED), accept
    assert accept.text == "EXPIRED" and quote.state is QuoteState.UNAVAILABLE
    assert accept.order.status is OrderStatus.REJECTED
    # the D path of a stale quote: 35=8 150=8 103=8 58=EXPIRED
    quote.state = QuoteState.OPEN  # pretend we did not learn it (another process's accept)
    by_order = world.creator.rfq.accept_with_order(quote, "sell_yes")
    assert world.creator.wait(lambda: by_order.status is AcceptStatus.REJECTED), by_order
    assert (by_order.order.reject_code, by_order.order.reject_reason) == (8, "EXPIRED")
    world.creator.rfq.cancel(rfq)


def test_accepting_an_unknown_quote_is_not_found(world, market):
    rfq, quote, _maker_rfq = _open_rfq_with_quote(world, market)
    ghost = Quote("00000000-0000-4000-8000-000000000000", rfq.rfq_id, market, 4500, None, 1000, 1000, None, None)
    world.creator.rfq._quotes[ghost.quote_id] = ghost
    accept = world.creator.rfq.accept(ghost, "sell_yes")
    assert world.creator.wait(lambda: accept.status is AcceptStatus.REJECTED) and accept.text == "NOT_FOUND"
    world.creator.rfq.cancel(rfq)


def test_late_confirm_is_refused_and_the_acceptance_voided(world, market):
    world.maker.confirm_fn = lambda quote: False
    rfq, quote, maker_rfq = _open_rfq_with_quote(world, market)
    accept = world.creator.rfq.accept(quote, "sell_yes")
    maker_quote = maker_rfq.current_quote
    assert world.maker.wait(lambda: maker_quote.status is MakerQuoteStatus.DECLINED)
    world.clock.advance(timedelta(seconds=31))  # window over, no tick yet
    assert world.maker.confirm(maker_quote)  # the exchange voids first, then answers the late U7
    assert world.maker.wait(lambda: maker_quote.status is MakerQuoteStatus.CONFIRM_REJECTED), maker_quote
    assert maker_quote.text == "quote not in accepted state"
    assert world.creator.wait(lambda: accept.status is AcceptStatus.VOIDED), accept
    assert accept.order.is_done and accept.order.cum_qty == 0 and quote.state is QuoteState.UNAVAILABLE
    assert rfq.status is RfqStatus.OPEN  # the RFQ stays open for other quotes
    world.creator.rfq.cancel(rfq)


def test_rfq_cancel_closes_it_for_the_maker(world, market):
    rfq, quote, maker_rfq = _open_rfq_with_quote(world, market)
    maker_quote = maker_rfq.current_quote
    assert world.creator.rfq.cancel(rfq)
    assert world.creator.wait(lambda: rfq.status is RfqStatus.CANCELED), rfq
    assert quote.state is QuoteState.CLOSED
    assert world.maker.wait(lambda: not maker_rfq.is_open), maker_rfq
    assert maker_quote.status is MakerQuoteStatus.CLOSED and maker_rfq.text == "RFQ cancelled by requester"
    assert not world.creator.rfq.cancel(rfq)


def test_second_rfq_on_the_same_market_is_refused_unless_replacing(world, market):
    world.maker.quote_fn = lambda rfq: None
    first = world.creator.rfq.create(market, qty="1")
    assert world.creator.wait(lambda: first.status is RfqStatus.OPEN)
    # the MsgSeqNum QuickFIX stamped is remembered: a 35=3 / 35=j naming only 45 finds the RFQ
    assert ("R", first.client_id) in world.creator.rfq._sent.values()
    second = world.creator.rfq.create(market, qty="2")
    assert world.creator.wait(lambda: second.status is RfqStatus.REJECTED), second
    assert (second.reject_code, second.text) == (3, "RFQ already exists")
    third = world.creator.rfq.create(market, qty="3", replace_existing=True)
    assert world.creator.wait(lambda: third.status is RfqStatus.OPEN), third
    for rfq in (first, third):
        world.creator.rfq.cancel(rfq)
        assert world.creator.wait(lambda: rfq.status is RfqStatus.CANCELED)


def test_quote_fn_declining_sends_no_quote(world, market):
    world.maker.quote_fn = lambda rfq: None
    rfq = world.creator.rfq.create(market, qty="1")
    assert world.maker.wait(lambda: rfq.rfq_id in world.maker.rfqs)
    maker_rfq = world.maker.rfqs[rfq.rfq_id]
    assert world.maker.wait(lambda: False, timeout=0.3) is False
    assert maker_rfq.current_quote is None and rfq.quotes == {}
    world.creator.rfq.cancel(rfq)


def test_bad_quotes_are_refused_locally(world, market):
    creator, maker = world.creator, world.maker
    maker.quote_fn = lambda rfq: QuoteDecision(yes_bid="0.60", no_bid="0.45")  # yes + no > $1
    rfq = creator.rfq.create(market, qty="1")
    assert maker.wait(lambda: rfq.rfq_id in maker.rfqs)
    maker_rfq = maker.rfqs[rfq.rfq_id]
    assert maker.wait(lambda: any(e.step == "invalid_decision" for e in _drain(maker))), "no invalid_decision event"
    assert maker_rfq.current_quote is None  # nothing sent
    maker.set_tick_grid(market, TickGrid.from_structure("linear_cent"))
    with pytest.raises(ValueError, match="tick grid"):
        maker.requote(maker_rfq, QuoteDecision(yes_bid="0.4550"))
    assert rfq.quotes == {}  # the creator never saw a quote
    creator.rfq.cancel(rfq)


def _drain(maker):
    out = []
    while not maker.events.empty():
        out.append(maker.events.get())
    return out


def test_bad_quotes_refused_by_the_exchange(world, market):
    creator, maker = world.creator, world.maker
    maker.quote_fn = lambda rfq: None
    rfq = creator.rfq.create(market, qty="1")
    assert maker.wait(lambda: rfq.rfq_id in maker.rfqs)
    maker_rfq = maker.rfqs[rfq.rfq_id]
    maker.validate = False  # let the exchange judge
    over = maker.requote(maker_rfq, QuoteDecision(yes_bid="0.60", no_bid="0.45"))
    try:
        assert maker.wait(lambda: over.status is MakerQuoteStatus.REJECTED), (over.status, maker.rejects)
        assert over.text == "yes_bid + no_bid must not exceed $1"
        off_grid = maker.requote(maker_rfq, QuoteDecision(yes_bid="0.4550"))
        assert maker.wait(lambda: off_grid.status is MakerQuoteStatus.REJECTED), off_grid
        assert "tick grid" in off_grid.text
        assert rfq.quotes == {}
    finally:
        creator.rfq.cancel(rfq)


def test_cli_maker_and_requester(world, market):
    """`fixengine rfq make` and `fixengine rfq request` against each other (other keys / users); a
    helper thread runs the exchange clock 10x fast so the execution timer passes in ~1.5 s."""
    import io
    import threading

    from rfq_world import CREATOR_LOGON, MAKER_LOGON, client_config

    world.maker.quote_fn = lambda rfq: None  # only the CLI maker quotes
    maker_cfg = client_config(world.tmp, world.ring, "cli_maker", "RFQ", MAKER_LOGON)
    creator_cfg = client_config(world.tmp, world.ring, "cli_creator", "RT", CREATOR_LOGON)
    maker_out = io.StringIO()
    from fixengine.rfq import cli as rfq_cli

    maker_args = rfq_cli_args(["rfq", "make", "--config", str(maker_cfg), "--port", str(world.sim.ports["RFQ"]),
                               "--yes-bid", "0.47", "--no-bid", "0.50", "--seconds", "4"])
    maker_thread = threading.Thread(target=rfq_cli.cmd_make, args=(maker_args, maker_out), daemon=True)
    maker_thread.start()
    stop = threading.Event()

    def run_clock():
        while not stop.wait(0.1):
            world.advance(1.0)

    clock_thread = threading.Thread(target=run_clock, daemon=True)
    try:
        assert wait_for(lambda: "quoting" in maker_out.getvalue(), 10)
        clock_thread.start()
        out = io.StringIO()
        request = rfq_cli_args(["rfq", "request", "--config", str(creator_cfg), "--port", str(world.sim.ports["RT"]),
                                market, "--qty", "2", "--side", "sell_yes", "--quote-wait", "0.5",
                                "--fill-wait", "10"])
        assert rfq_cli.cmd_request(request, out) == 0, (out.getvalue(), maker_out.getvalue())
    finally:
        stop.set()
        maker_thread.join(10)
    text = out.getvalue()
    assert "yes bid 0.4700 x 2.00, no bid 0.5000 x 2.00" in text
    assert "executed" in text and "filled 2.00 @ 0.4700" in text and "position -2.00 YES" in text
    assert "confirmed:" in maker_out.getvalue() and "1 quotes confirmed" in maker_out.getvalue()
    bad = rfq_cli_args(["rfq", "make", "--config", str(maker_cfg), "--yes-bid", "0.70", "--no-bid", "0.40"])
    with pytest.raises(ValueError, match="exceeds"):  # refused before logging on
        rfq_cli.cmd_make(bad, io.StringIO())


def rfq_cli_args(argv):
    """Parse with a parser holding only `fixengine rfq` (the lead adds it to COMMAND_MODULES)."""
    import argparse

    from fixengine.rfq import cli as rfq_cli

    parser = argparse.ArgumentParser(prog="fixengine")
    rfq_cli.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def wait_for(predicate, timeout):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()

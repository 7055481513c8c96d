"""RFQ state across a creator restart, end to end: the creator Engine (KalshiRT) is closed and a new
one started on the same journal and QuickFIX store; KalshiRT resends what it missed, and the RFQ,
its quotes and its accepts carry on. Real sockets, the simulator's timers on a manual clock."""

from __future__ import annotations

import itertools

import pytest

from fixengine.engine import Engine
from fixengine.engine.events import EventKind
from fixengine.engine.orders import OrderStatus
from fixengine.rfq import AcceptStatus, MakerQuoteStatus, QuoteDecision, QuoteState, RfqStatus
from rfq_world import MARKETS

pytestmark = pytest.mark.slow
_markets = itertools.count()


@pytest.fixture
def market(world):
    world.maker.quote_fn = lambda rfq: QuoteDecision(yes_bid="0.45", no_bid="0.52")
    world.maker.confirm_fn = None
    return MARKETS[next(_markets)]


def _open_rfq_with_quote(world, market):
    rfq = world.creator.rfq.create(market, qty="10")
    assert world.creator.wait(lambda: rfq.status is RfqStatus.OPEN and rfq.quotes, timeout=5), rfq
    maker_rfq = world.maker.rfqs[rfq.rfq_id]
    assert world.maker.wait(lambda: maker_rfq.current_quote.status is MakerQuoteStatus.PENDING)
    return rfq, next(iter(rfq.quotes.values())), maker_rfq


def _stop_creator(world) -> object:
    """Close the creator; returns its config (the new Engine uses the same journal and store)."""
    cfg = world.creator.cfg
    world.creator.close()
    world.creator = None  # the old initiator must be freed before a new one claims the session
    return cfg


def _start_creator(world, cfg) -> Engine:
    world.creator = Engine(cfg)
    world.creator.connect()
    return world.creator


def _restored(creator):
    """The requester once something built it (a resent RFQ message does; `rfq` itself would too)."""
    return creator.__dict__.get("_rfq")


def test_accept_a_quote_after_a_restart_with_a_requote_resent(world, market):
    rfq, first, maker_rfq = _open_rfq_with_quote(world, market)
    cfg = _stop_creator(world)
    # while the creator is away the maker improves its quote: KalshiRT keeps the 35=S for the creator
    world.maker.requote(maker_rfq, QuoteDecision(yes_bid="0.47", no_bid="0.50"))
    better = maker_rfq.current_quote
    creator = _start_creator(world, cfg)
    # the resend arrives during logon, before the strategy touches creator.rfq: it must not be dropped
    assert creator.wait(lambda: _restored(creator) is not None
                        and better.quote_id in _restored(creator).get(rfq.rfq_id).quotes, timeout=5)
    restored = creator.rfq.get(rfq.client_id)
    assert restored is creator.rfq.get(rfq.rfq_id) and restored.status is RfqStatus.OPEN
    assert restored.quotes[first.quote_id].state is QuoteState.REPLACED
    assert [r.client_id for r in creator.rfq.open_rfqs()] == [rfq.client_id]
    accept = creator.rfq.accept(better.quote_id, "sell_yes")
    assert creator.wait(lambda: accept.status is AcceptStatus.ACCEPTED, timeout=5), accept
    assert world.maker.wait(lambda: better.status is MakerQuoteStatus.CONFIRMED, timeout=5), better
    world.advance(15.1)
    assert creator.wait(lambda: accept.order.status is OrderStatus.FILLED, timeout=5), accept.order
    assert creator.orders[accept.cl_ord_id] is accept.order and accept.order.avg_px == 4700
    assert creator.positions.net(market) == -1000
    assert accept.status is AcceptStatus.EXECUTED and restored.status is RfqStatus.EXECUTED
    assert creator.rfq.unmatched == [] and creator.tracker.unknown_reports == []
    quote_events = [e for e in _drain(creator) if e.kind is EventKind.RFQ and e.report.step == "quote"]
    assert [e.report.quote.quote_id for e in quote_events] == [better.quote_id]  # once, history not replayed


def _drain(engine):
    out = []
    while not engine.events.empty():
        out.append(engine.events.get())
    return out


def test_cancel_an_rfq_after_a_restart(world, market):
    rfq, quote, maker_rfq = _open_rfq_with_quote(world, market)
    creator = _start_creator(world, _stop_creator(world))
    assert creator.rfq.cancel(rfq.client_id)  # the server id (21023) came back from the journal
    restored = creator.rfq.get(rfq.client_id)
    assert creator.wait(lambda: restored.status is RfqStatus.CANCELED, timeout=5), restored
    assert restored.quotes[quote.quote_id].state is QuoteState.CLOSED and creator.rfq.open_rfqs() == []
    assert world.maker.wait(lambda: maker_rfq.rfq_id not in {r.rfq_id for r in world.maker.open_rfqs()}, timeout=5)
    assert creator.rfq.unmatched == []


def test_fill_while_the_creator_is_down_lands_on_the_restored_accept(world, market):
    rfq, quote, maker_rfq = _open_rfq_with_quote(world, market)
    accept = world.creator.rfq.accept(quote, "sell_yes")
    maker_quote = maker_rfq.current_quote
    assert world.creator.wait(lambda: accept.status is AcceptStatus.ACCEPTED, timeout=5), accept
    assert world.maker.wait(lambda: maker_quote.status is MakerQuoteStatus.CONFIRMED, timeout=5), maker_quote
    cfg = _stop_creator(world)
    world.advance(15.1)  # the execution happens while the creator is away: its 35=8 waits in the RT store
    creator = _start_creator(world, cfg)
    order = creator.orders[accept.cl_ord_id]
    assert creator.wait(lambda: order.status is OrderStatus.FILLED, timeout=5), order
    assert creator.positions.net(market) == -1000
    restored = creator.rfq.get(rfq.rfq_id)
    assert restored.accepts[0].order is order and restored.accepts[0].status is AcceptStatus.EXECUTED
    assert restored.status is RfqStatus.EXECUTED and restored.quotes[quote.quote_id].state is QuoteState.EXECUTED

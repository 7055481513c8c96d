"""RFQ on the exchange core (part2 §5): creator and maker lifecycle, timers on a ManualClock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sim_exchange_helpers import DOLLAR, Harness, cents, contracts, kinds, only

from fixengine.model import Side
from fixengine.sim.config import SimRfq
from fixengine.sim.exchange import OrderAccepted, OrderCanceled, OrderFilled, OrderRejected
from fixengine.sim.exchange.rfq import public_id
from fixengine.sim.exchange.rfq_events import (
    AcceptQuote, CancelQuote, CancelRfq, ConfirmQuote, CreateRfq, QuoteAcceptStatus, QuoteNotice, QuoteStatus,
    RfqAck, RfqBroadcast, RfqCancelStatus, RfqClosed, RfqRejected, SubmitQuote,
)

SEC = timedelta(seconds=1)


class R(Harness):
    """Harness with RFQ short-hands: alice creates, bob / dave quote."""

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.ex.rfq_order_session = lambda user: f"nr-{user}"

    def rfq(self, symbol="LIN", qty=contracts(100), user="alice", client="c-rfq-1", **kw) -> list:
        return self.ex.create_rfq(CreateRfq(user, "key-" + user[0], "rt-" + user, client, symbol, qty=qty, **kw))

    def open_rfq(self, **kw) -> str:
        events = self.rfq(**kw)
        return only(events, RfqAck)[0].rfq_id

    def quote(self, rfq_id, yes=cents(45), no=cents(52), user="bob", quote_id="q1", symbol="LIN", **kw) -> list:
        return self.ex.quote(SubmitQuote(user, "key-" + user[0], "rfq-" + user, quote_id, rfq_id, symbol, yes, no,
                                         **kw))

    def accept(self, quote_id="q1", side=Side.SELL, user="alice", **kw) -> list:
        return self.ex.accept_quote(AcceptQuote(user, "key-" + user[0], "rt-" + user, quote_id, side, **kw))

    def confirm(self, quote_id="q1", user="bob", **kw) -> list:
        return self.ex.confirm_quote(ConfirmQuote(user, "key-" + user[0], "rfq-" + user, quote_id, **kw))

    def tick(self, seconds: float) -> list:
        return self.ex.advance_time(self.clock.advance(timedelta(seconds=seconds)))

    def quoted(self, **kw) -> str:
        rfq_id = self.open_rfq(**kw)
        assert only(self.quote(rfq_id), QuoteStatus)[0].status == 10
        return rfq_id


@pytest.fixture
def r() -> R:
    return R()


# ---------------------------------------------------------------------------- creation

def test_create_acks_and_broadcasts_with_pseudonymous_requester(r):
    events = r.rfq(rest_remainder=True)
    assert kinds(events) == ["RfqAck", "RfqBroadcast"]
    ack, cast = events
    assert (ack.client_rfq_id, ack.symbol, ack.shard, ack.session_id) == ("c-rfq-1", "LIN", 0, "rt-alice")
    assert cast.rfq_id == ack.rfq_id != ack.client_rfq_id
    assert cast.qty == contracts(100) and cast.cash_qty is None and cast.creator_user_id == "alice"
    assert cast.requester_public_id == public_id("alice") != "alice" and len(cast.requester_public_id) == 8
    assert public_id("alice") == public_id("alice") != public_id("bob")
    assert r.ex.rfqs("alice")[0]["status"] == "open"


def test_create_reports_the_markets_exchange_index(r):
    assert only(r.rfq(symbol="TAP"), RfqAck)[0].shard == 2


@pytest.mark.parametrize("kw, reason, text", [
    ({"symbol": "NOPE"}, 1, "MARKET_NOT_FOUND"),
    ({"qty": contracts(1.5)}, 99, "INVALID_QUANTITY"),
    ({"qty": 0}, 99, "INVALID_QUANTITY"),
    ({"qty": None, "cash_qty": None}, 99, "INVALID_QUANTITY"),
    ({"mve_collection": "KXMVE-X"}, 99, "combo (MVE) RFQs are not supported by the simulator"),
    ({"subaccount": 7}, 99, "CUSTOMER_ACCOUNT_NOT_FOUND"),
])
def test_create_rejects(r, kw, reason, text):
    events = r.rfq(**kw)
    assert kinds(events) == ["RfqRejected"]
    assert (events[0].reason, events[0].text, events[0].client_rfq_id) == (reason, text, "c-rfq-1")


def test_create_refused_on_a_closed_market_and_for_restricted_keys(r):
    r.ex.close_market("FREE")
    assert only(r.rfq(symbol="FREE"), RfqRejected)[0].text == "MARKET_ALREADY_CLOSED"
    events = r.ex.create_rfq(CreateRfq("alice", "key-a1", "rt", "c9", "LIN", qty=100, subaccount=1))
    assert only(events, RfqRejected)[0].text == "subaccount-restricted API keys cannot create RFQs"


def test_one_open_rfq_per_market_unless_replace_existing(r):
    first = r.open_rfq()
    events = r.rfq(client="c2")
    assert (events[0].reason, events[0].text) == (3, "RFQ already exists")
    second = only(r.rfq(client="c2", replace_existing=True), RfqAck)[0].rfq_id
    events = r.rfq(client="c3", replace_existing=True)  # the oldest closes: at most two open
    assert kinds(events) == ["RfqCancelStatus", "RfqClosed", "RfqAck", "RfqBroadcast"]
    assert (events[0].status, events[0].rfq_id, events[0].client_rfq_id) == (2, first, "c-rfq-1")
    assert events[1].rfq_id == first and events[1].exclude_user_ids == ("alice",)
    assert [x["id"] for x in r.ex.rfqs("alice", open_only=True)] == [second, events[2].rfq_id]
    assert only(r.rfq(symbol="TAP", client="c4"), RfqAck)  # other markets are independent


def test_open_rfq_limit_per_user():
    r = R(rfq=SimRfq(max_open_per_user=2))
    r.open_rfq(symbol="LIN")
    r.open_rfq(symbol="TAP")
    events = r.rfq(symbol="DECI")
    assert (events[0].reason, events[0].text) == (3, "too many open RFQs")


# ---------------------------------------------------------------------------- quotes

def test_quote_pending_and_creator_notified(r):
    rfq_id = r.open_rfq()
    events = r.quote(rfq_id)
    assert kinds(events) == ["QuoteStatus", "QuoteNotice"]
    ai, note = events
    assert (ai.status, ai.quote_id, ai.rfq_id, ai.session_id) == (10, "q1", rfq_id, "rfq-bob")
    assert (ai.qty, ai.yes_bid, ai.no_bid, ai.yes_size, ai.no_size) == (10000, 4500, 5200, 10000, 10000)
    assert (note.user_id, note.session_id, note.quote_id, note.symbol) == ("alice", "rt-alice", "q1", "LIN")
    assert note.maker_public_id == public_id("bob") and (note.yes_bid, note.no_bid) == (4500, 5200)


def test_one_sided_quote_has_one_size(r):
    rfq_id = r.open_rfq()
    ai = r.quote(rfq_id, yes=0)[0]
    assert (ai.yes_size, ai.no_size) == (None, contracts(100))


@pytest.mark.parametrize("kw, text", [
    ({"yes": 0, "no": 0}, "at least one of BidPx / OfferPx must be non-zero"),
    ({"yes": cents(50), "no": cents(51)}, "yes_bid + no_bid must not exceed $1"),
    ({"yes": 4550}, "BidPx is not on the market's tick grid"),
    ({"no": 4550}, "OfferPx is not on the market's tick grid"),
    ({"symbol": "TAP"}, "Symbol does not match the RFQ"),
    ({"user": "alice"}, "cannot quote your own RFQ"),
    ({"subaccount": 3}, "CUSTOMER_ACCOUNT_NOT_FOUND"),
])
def test_quote_rejects(r, kw, text):
    rfq_id = r.open_rfq()
    events = r.quote(rfq_id, **kw)
    assert kinds(events) == ["QuoteStatus"]
    assert (events[0].status, events[0].quote_id, events[0].text) == (5, "", text)


def test_quote_on_unknown_closed_or_paused_rfq(r):
    assert r.quote("nope")[0].text == "RFQ_NOT_FOUND"
    rfq_id = r.open_rfq()
    r.ex.pause("LIN")
    assert r.quote(rfq_id)[0].text == "TRADING_PAUSED"
    r.ex.resume("LIN")
    r.ex.cancel_rfq(CancelRfq("alice", "key-a", "rt-alice", client_rfq_id="c-rfq-1"))
    assert r.quote(rfq_id)[0].text == "RFQ_CLOSED"


def test_quote_exactly_one_dollar_is_allowed(r):
    rfq_id = r.open_rfq()
    assert r.quote(rfq_id, yes=cents(48), no=cents(52))[0].status == 10


def test_quote_id_of_another_maker_is_refused(r):
    rfq_id = r.open_rfq()
    r.quote(rfq_id)
    assert r.quote(rfq_id, user="dave")[0].text == "QUOTE_ALREADY_EXISTS"


def test_new_quote_replaces_the_makers_previous_one(r):
    rfq_id = r.quoted()
    events = r.quote(rfq_id, quote_id="q2", yes=cents(46))
    assert kinds(events) == ["QuoteStatus", "QuoteStatus", "QuoteNotice"]
    assert (events[0].quote_id, events[0].status) == ("q1", 17)
    assert (events[1].quote_id, events[1].status) == ("q2", 10)
    assert r.accept("q1")[0].text == "EXPIRED"
    assert r.accept("q2")[0].accepted


def test_cancel_quote(r):
    rfq_id = r.quoted()
    events = r.ex.cancel_quote(CancelQuote("bob", "key-b", "rfq-bob", "q1", rfq_id=rfq_id))
    assert kinds(events) == ["QuoteCancelStatus", "QuoteStatus"]
    assert events[0].canceled and events[1].status == 17
    again = r.ex.cancel_quote(CancelQuote("bob", "key-b", "rfq-bob", "q1"))[0]
    assert (again.canceled, again.text) == (False, "quote is not open")
    assert r.accept("q1")[0].text == "EXPIRED"


@pytest.mark.parametrize("user, quote_id, rfq_id", [("bob", "zz", None), ("dave", "q1", None), ("bob", "q1", "x")])
def test_cancel_quote_unknown(r, user, quote_id, rfq_id):
    r.quoted()
    events = r.ex.cancel_quote(CancelQuote(user, "k", "s", quote_id, rfq_id=rfq_id))
    assert kinds(events) == ["QuoteCancelStatus"]
    assert (events[0].canceled, events[0].text) == (False, "NOT_FOUND")


# ---------------------------------------------------------------------------- accept / confirm / execute

def test_accept_answers_creator_and_tells_maker_the_side(r):
    rfq_id = r.quoted()
    events = r.accept(side=Side.SELL, rfq_id=rfq_id, qty=contracts(60), cl_ord_id="cr-1")
    assert kinds(events) == ["QuoteAcceptStatus", "QuoteStatus"]
    uc, ai = events
    assert (uc.accepted, uc.accepted_quote_id, uc.cl_ord_id, uc.session_id) == (True, "q1", "cr-1", "rt-alice")
    assert (ai.status, ai.side, ai.qty, ai.session_id) == (0, Side.SELL, contracts(60), "rfq-bob")


@pytest.mark.parametrize("kw, text", [
    ({"quote_id": "nope"}, "NOT_FOUND"),
    ({"rfq_id": "other"}, "NOT_FOUND"),
    ({"user": "dave"}, "NOT_FOUND"),
    ({"qty": contracts(101)}, "INVALID_QUANTITY"),
    ({"qty": contracts(0.5)}, "INVALID_QUANTITY"),
    ({"cl_ord_id": "bad id!"}, "INVALID_ORDER"),
])
def test_accept_rejects(r, kw, text):
    r.quoted()
    events = r.accept(**kw)
    assert kinds(events) == ["QuoteAcceptStatus"]
    assert (events[0].accepted, events[0].text) == (False, text)


def test_accept_side_the_quote_does_not_price(r):
    rfq_id = r.open_rfq()
    r.quote(rfq_id, yes=0)
    assert r.accept(side=Side.SELL)[0].text == "the quote does not price that side"
    assert r.accept(side=Side.BUY)[0].accepted


def test_accept_needs_the_creators_balance():
    r = R()
    rfq_id = r.open_rfq(user="carol", qty=contracts(100))  # carol has $10
    r.quote(rfq_id)
    assert r.accept(user="carol", side=Side.BUY)[0].text == "INSUFFICIENT_BALANCE"  # 100 x $0.48


def test_one_acceptance_at_a_time(r):
    rfq_id = r.quoted()
    r.quote(rfq_id, user="dave", quote_id="q2")
    r.accept()
    assert r.accept("q2")[0].text == "QUOTE_ALREADY_ACCEPTED"


def test_prefer_better_quote_takes_the_best(r):
    rfq_id = r.quoted()
    r.quote(rfq_id, user="dave", quote_id="q2", yes=cents(47), no=cents(40))
    uc = r.accept("q1", side=Side.SELL, prefer_better=True)[0]
    assert (uc.quote_id, uc.accepted_quote_id) == ("q1", "q2")
    r2 = R()
    rfq2 = r2.quoted()
    r2.quote(rfq2, user="dave", quote_id="q2", yes=cents(47), no=cents(40))
    uc = r2.accept("q1", side=Side.BUY, prefer_better=True)[0]  # buying YES: bob's NO bid 52 is better
    assert uc.accepted_quote_id == "q1"


def test_full_lifecycle_trades_both_orders_and_closes_the_rfq(r):
    rfq_id = r.quoted()
    r.quote(rfq_id, user="dave", quote_id="qd", yes=cents(40), no=cents(40))
    r.accept(side=Side.SELL, cl_ord_id="cr-1")
    r.clock.advance(29 * SEC)
    events = r.confirm(rfq_id=rfq_id)
    assert kinds(events) == ["QuoteConfirmStatus"] and events[0].confirmed
    assert only(r.tick(14.9), OrderAccepted) == []
    events = r.tick(0.1)
    acks = only(events, OrderAccepted)
    maker, creator = acks[0].order, acks[1].order
    assert (maker.user_id, maker.side, maker.price, maker.cl_ord_id, maker.session_id) == (
        "bob", Side.BUY, cents(45), "q1", "nr-bob")
    assert (creator.user_id, creator.side, creator.cl_ord_id, creator.session_id, creator.key_id) == (
        "alice", Side.SELL, "cr-1", "rt-alice", "key-a")
    fills = only(events, OrderFilled)
    assert [(f.fill.user_id, f.fill.price, f.fill.qty) for f in fills] == [
        ("alice", cents(45), contracts(100)), ("bob", cents(45), contracts(100))]
    assert r.position("alice", "LIN") == -contracts(100) and r.position("bob", "LIN") == contracts(100)
    closed = only(events, RfqClosed)[0]
    assert closed.exclude_user_ids == ("alice", "bob") and closed.reason == 99
    assert r.ex.rfqs("alice")[0]["status"] == "closed"
    assert {q["id"]: q["status"] for q in r.ex.quotes("alice")} == {"q1": "executed", "qd": "cancelled"}
    assert r.cash("bob") == 1000 * DOLLAR - 45 * DOLLAR  # maker: 100 x $0.45, no maker fee on this market
    assert r.cash("alice") < 1000 * DOLLAR - 55 * DOLLAR  # creator took: 100 x $0.55 (NO side) plus taker fee


def test_creator_buying_yes_takes_the_no_bid(r):
    r.quoted()
    r.accept(side=Side.BUY, qty=contracts(10))
    r.confirm()
    events = r.tick(15)
    fills = only(events, OrderFilled)
    assert [(f.fill.user_id, f.fill.side, f.fill.price) for f in fills] == [
        ("alice", Side.BUY, cents(48)), ("bob", Side.SELL, cents(48))]
    assert r.position("alice", "LIN") == contracts(10)


def test_no_confirmation_voids_the_acceptance(r):
    rfq_id = r.quoted()
    r.quote(rfq_id, user="dave", quote_id="q2")
    r.accept(cl_ord_id="cr-1")
    events = r.tick(30)
    assert kinds(events) == ["QuoteAcceptStatus", "QuoteStatus"]
    assert (events[0].accepted, events[0].text, events[0].cl_ord_id) == (False, "EXPIRED", "cr-1")
    assert (events[1].quote_id, events[1].status) == ("q1", 17)
    late = r.confirm()[0]
    assert (late.confirmed, late.text) == (False, "quote not in accepted state")
    assert r.accept("q2")[0].accepted  # the RFQ stays open for other quotes


def test_confirm_rejects(r):
    r.quoted()
    assert r.confirm()[0].text == "quote not in accepted state"  # not accepted yet
    r.accept()
    assert r.confirm(user="dave")[0].text == "NOT_FOUND"
    assert r.confirm(rfq_id="other")[0].text == "NOT_FOUND"


def test_high_volatility_market_timers():
    r = R()
    r.ex._markets["LIN"].high_volatility = True
    r.quoted()
    r.accept()
    assert only(r.tick(3), QuoteAcceptStatus)[0].text == "EXPIRED"
    r2 = R()
    r2.ex._markets["LIN"].high_volatility = True
    r2.quoted()
    r2.accept()
    r2.tick(2.9)
    assert r2.confirm()[0].confirmed
    assert only(r2.tick(1), OrderFilled)


def test_configured_timers():
    r = R(rfq=SimRfq(confirm_window_s=5, execution_delay_s=2))
    r.quoted()
    r.accept()
    r.tick(4)
    r.confirm()
    assert not only(r.tick(1.9), OrderFilled)
    assert only(r.tick(0.1), OrderFilled)


def test_rfq_cannot_be_cancelled_once_confirmed(r):
    rfq_id = r.quoted()
    r.accept()
    r.confirm()
    ub = r.ex.cancel_rfq(CancelRfq("alice", "key-a", "rt-alice", rfq_id=rfq_id))[0]
    assert (ub.status, ub.text) == (1, "RFQ is executing")


def test_creator_remainder_rests_only_with_rest_remainder():
    for rest in (False, True):
        r = R()
        r.sell("carol", "LIN", cents(44), contracts(1))  # the maker's post-only 45 bid would cross it
        rfq_id = r.open_rfq(rest_remainder=rest)
        r.quote(rfq_id, post_only=True)
        r.accept(side=Side.SELL)
        r.confirm()
        events = r.tick(15)
        maker_cancel = [e for e in only(events, OrderCanceled) if e.order.user_id == "bob"]
        assert maker_cancel[0].text == "POST_ONLY_CROSS"
        assert only(events, OrderFilled) == []
        creator = r.ex.orders("alice")[0]
        assert creator.is_open is rest and creator.leaves_qty == (contracts(100) if rest else 0)


def test_maker_remainder_rests_only_with_quote_rest_remainder():
    for rest in (False, True):
        r = R()
        r.buy("dave", "LIN", cents(50), contracts(30))  # the creator's sell trades here first
        rfq_id = r.open_rfq()
        r.quote(rfq_id, rest_remainder=rest)
        r.accept(side=Side.SELL)
        r.confirm()
        r.tick(15)
        maker = r.ex.orders("bob")[0]
        assert maker.cum_qty == contracts(70)
        assert maker.is_open is rest


def test_maker_order_refused_when_maker_cannot_pay(r):
    r2 = R()
    rfq_id = r2.open_rfq(qty=contracts(100))
    r2.quote(rfq_id, user="carol", yes=cents(45))  # carol has $10 < 100 x $0.45
    r2.accept(side=Side.SELL)
    assert r2.confirm(user="carol")[0].text == "INSUFFICIENT_BALANCE"


# ---------------------------------------------------------------------------- D + 117

def test_accept_via_new_order_single(r):
    rfq_id = r.quoted()
    events = r.accept(side=Side.SELL, via_order=True, limit_price=cents(45), qty=contracts(100), cl_ord_id="d-1",
                      symbol="LIN", rfq_id=rfq_id)
    assert kinds(events) == ["QuoteAcceptStatus", "QuoteStatus"]
    r.confirm()
    creator = only(r.tick(15), OrderAccepted)[1].order
    assert (creator.cl_ord_id, creator.price) == ("d-1", cents(45))


@pytest.mark.parametrize("quote_id, limit, code, text", [
    ("q1", cents(46), 11, "INVALID_ORDER"),  # selling above the maker's YES bid
    ("nope", cents(45), 8, "NOT_FOUND"),
])
def test_accept_via_new_order_single_rejects(r, quote_id, limit, code, text):
    r.quoted()
    events = r.accept(quote_id, side=Side.SELL, via_order=True, limit_price=limit, qty=contracts(1),
                      cl_ord_id="d-1", symbol="LIN")
    assert kinds(events) == ["OrderRejected"]
    rej = events[0]
    assert (rej.ord_rej_reason, rej.text, rej.request.cl_ord_id, rej.request.session_id) == (code, text, "d-1",
                                                                                              "rt-alice")


def test_accept_via_new_order_single_of_an_expired_quote(r):
    r.quoted()
    r.ex.cancel_quote(CancelQuote("bob", "key-b", "rfq-bob", "q1"))
    rej = r.accept(via_order=True, limit_price=cents(45), qty=contracts(1), cl_ord_id="d-1", symbol="LIN")[0]
    assert isinstance(rej, OrderRejected) and (rej.ord_rej_reason, rej.text) == (8, "EXPIRED")


# ---------------------------------------------------------------------------- RFQ cancel / expiry

def test_cancel_rfq_by_either_id_and_tell_makers(r):
    rfq_id = r.quoted()
    events = r.ex.cancel_rfq(CancelRfq("alice", "key-a", "rt-alice", client_rfq_id="c-rfq-1"))
    assert kinds(events) == ["RfqCancelStatus", "RfqClosed"]
    assert (events[0].status, events[0].client_rfq_id, events[0].rfq_id) == (0, "c-rfq-1", rfq_id)
    assert events[1].text == "RFQ cancelled by requester"
    rfq2 = r.open_rfq(client="c2")
    ub = r.ex.cancel_rfq(CancelRfq("alice", "key-a", "rt-alice", rfq_id=rfq2))[0]
    assert (ub.status, ub.client_rfq_id) == (0, rfq2)


@pytest.mark.parametrize("kw", [{"client_rfq_id": "nope"}, {"rfq_id": "nope"}])
def test_cancel_unknown_rfq(r, kw):
    r.open_rfq()
    events = r.ex.cancel_rfq(CancelRfq("alice", "key-a", "rt-alice", **kw))
    assert kinds(events) == ["RfqCancelStatus"]
    assert (events[0].status, events[0].text) == (1, "NOT_FOUND")
    other = r.ex.cancel_rfq(CancelRfq("bob", "key-b", "rt-bob", client_rfq_id="c-rfq-1"))[0]
    assert other.status == 1  # someone else's RFQ is unknown


def test_rfq_expires_after_its_lifetime():
    r = R(rfq=SimRfq(lifetime_s=3600))
    rfq_id = r.quoted()
    assert r.tick(3599) == []
    events = r.tick(1)
    assert kinds(events) == ["RfqCancelStatus", "RfqClosed"]
    assert (events[0].status, events[0].rfq_id, events[0].session_id) == (2, rfq_id, "rt-alice")
    assert r.accept()[0].text == "EXPIRED"


def test_default_lifetime_is_24_hours(r):
    r.open_rfq()
    assert r.tick(24 * 3600 - 1) == []
    assert kinds(r.tick(1)) == ["RfqCancelStatus", "RfqClosed"]


def test_rfq_of_a_closed_market_is_closed(r):
    r.open_rfq()
    r.ex.close_market("LIN")
    events = r.tick(0.001)  # closed by the next operation / timer tick
    ub = only(events, RfqCancelStatus)[0]
    assert (ub.status, only(events, RfqClosed)[0].text) == (2, "MARKET_ALREADY_CLOSED")


# ---------------------------------------------------------------------------- cost-sized RFQs

def test_cost_sized_rfq_offers_what_the_cost_buys(r):
    events = r.rfq(qty=None, cash_qty=50 * DOLLAR)
    assert only(events, RfqBroadcast)[0].cash_qty == 50 * DOLLAR
    rfq_id = only(events, RfqAck)[0].rfq_id
    ai = r.quote(rfq_id, yes=cents(50), no=cents(25))[0]
    # selling YES at 0.50 costs 0.50 (NO side) per contract -> 100; buying YES at 0.75 -> 66 whole contracts
    assert (ai.qty, ai.yes_size, ai.no_size) == (None, contracts(100), contracts(66))
    note = r.quote(rfq_id, yes=cents(50), no=cents(25))[1]
    assert isinstance(note, QuoteNotice) and note.qty is None


def test_queries_show_both_roles(r):
    r.quoted()
    r.accept(side=Side.BUY)
    mine = r.ex.quotes("bob")[0]
    assert (mine["status"], mine["accepted_side"], mine["creator_id"]) == ("accepted", "no", public_id("bob"))
    assert r.ex.quotes("alice")[0]["subaccount"] is None  # the creator does not see the maker's subaccount
    assert r.ex.quotes("carol") == []
    assert r.ex.rfqs("alice")[0]["accepted_quote_id"] == "q1"


def test_restricted_key_quotes_are_pinned_to_its_subaccount(r):
    rfq_id = r.open_rfq(user="bob")
    pinned = r.ex.quote(SubmitQuote("alice", "key-a1", "rfq-a1", "qa", rfq_id, "LIN", cents(45), cents(52)))[0]
    assert (pinned.status, pinned.subaccount) == (10, 1)
    other = r.ex.quote(SubmitQuote("alice", "key-a1", "rfq-a1", "qb", rfq_id, "LIN", cents(45), cents(52),
                                   subaccount=0))[0]
    assert (other.status, other.text) == (5, "PERMISSION_DENIED_FOR_CUSTOMER_ACCOUNT")
    events = r.ex.accept_quote(AcceptQuote("bob", "key-b", "rt-bob", "qa", Side.SELL))
    assert events[0].accepted
    assert events[1].session_id == "rfq-a1"  # the acceptance goes to the session that created the quote


def test_restricted_key_cannot_accept(r):
    r.quoted()
    uc = r.ex.accept_quote(AcceptQuote("alice", "key-a1", "rt-a1", "q1", Side.SELL))[0]
    assert (uc.accepted, uc.text) == (False, "subaccount-restricted API keys cannot accept quotes")


# ---------------------------------------------------------------------------- configuration

def _config(**overrides):
    from fixengine.sim.config import sim_config_from_mapping

    data = {"users": [{"user_id": "u1", "balance": "100.00",
                       "keys": [{"key_id": "0f8fad5b-d9cb-469f-a165-70867728950e", "public_key": "k.pem"}]}],
            "markets": [{"ticker": "M-1"}, {"ticker": "M-2", "high_volatility": True}]}
    data.update(overrides)
    return sim_config_from_mapping(data)


def test_config_defaults_are_kalshis_documented_values():
    cfg = _config()
    assert cfg.rfq == SimRfq(30.0, 3.0, 15.0, 1.0, 86400.0, 100)
    assert [m.high_volatility for m in cfg.markets] == [False, True]
    from fixengine.sim.exchange import Exchange

    ex = Exchange.from_config(cfg)
    assert ex.rfq_settings == cfg.rfq and ex._markets["M-2"].high_volatility


def test_config_rfq_section():
    cfg = _config(rfq={"confirm_window_s": 10, "execution_delay_hvm_s": "0.5", "lifetime_s": 0,
                       "max_open_per_user": 5})
    assert (cfg.rfq.confirm_window_s, cfg.rfq.execution_delay_hvm_s, cfg.rfq.lifetime_s,
            cfg.rfq.max_open_per_user) == (10.0, 0.5, 0.0, 5)


@pytest.mark.parametrize("rfq, words", [
    ({"confirm_window_s": -1}, "rfq.confirm_window_s"),
    ({"confirm_window_s": True}, "rfq.confirm_window_s"),
    ({"max_open_per_user": 0}, "rfq.max_open_per_user"),
    ({"confirm_window": 3}, "confirm_window"),
])
def test_config_rfq_mistakes_name_the_key(rfq, words):
    from fixengine.sim.config import SimConfigError

    with pytest.raises(SimConfigError) as err:
        _config(rfq=rfq)
    assert words in str(err.value)


def test_zero_lifetime_never_expires():
    r = R(rfq=SimRfq(lifetime_s=0))
    r.open_rfq()
    assert r.tick(30 * 86400) == []


# ---------------------------------------------------------------------------- holds and dropped acceptances

def test_confirmed_maker_cannot_spend_the_held_cost(r):
    r.quoted()
    r.accept(side=Side.SELL)  # bob's order will be a 100 x $0.45 bid
    r.confirm()
    assert r.available("bob") <= 1000 * DOLLAR - 45 * DOLLAR
    spend = r.buy("bob", "FREE", cents(50), contracts(1950))  # $975 would leave too little for the quote
    assert only(spend, OrderRejected)[0].text == "INSUFFICIENT_BALANCE"
    events = r.tick(15)
    assert only(events, OrderRejected) == []
    assert [f.fill.user_id for f in only(events, OrderFilled)] == ["alice", "bob"]
    assert r.ex.quotes("alice")[0]["status"] == "executed"
    assert r.ex.balance("bob").reserved == 0 and r.ex.balance("alice").reserved == 0


def test_acceptance_holds_the_creators_cost_and_clordid(r):
    r.quoted()
    r.accept(side=Side.SELL, cl_ord_id="cr-1")
    held = 1000 * DOLLAR - r.available("alice")
    assert held >= 55 * DOLLAR  # 100 x $0.55 (NO side) plus the fee reserve
    dup = only(r.sell("alice", "TAP", cents(90), contracts(1), cl_ord_id="cr-1"), OrderRejected)[0]
    assert dup.text == "ORDER_ALREADY_EXISTS"
    r.confirm()
    events = r.tick(15)
    creator = only(events, OrderAccepted)[1].order
    assert (creator.cl_ord_id, creator.user_id) == ("cr-1", "alice")
    assert only(r.sell("alice", "TAP", cents(90), contracts(1), cl_ord_id="cr-1"), OrderAccepted)  # filled: free


def test_voided_acceptance_releases_the_creators_hold_and_clordid(r):
    r.quoted()
    r.accept(side=Side.SELL, cl_ord_id="cr-1")
    r.tick(30)
    assert r.available("alice") == 1000 * DOLLAR
    assert only(r.sell("alice", "TAP", cents(90), contracts(1), cl_ord_id="cr-1"), OrderAccepted)


def test_new_order_accept_checks_the_balance_at_its_own_limit(r):
    rfq_id = r.open_rfq(user="carol", qty=contracts(15))  # carol has $10
    r.quote(rfq_id)
    # at the quote's 45 the NO side costs 15 x $0.55; at carol's own 10 limit it is 15 x $0.90 = $13.50
    rej = r.accept(user="carol", side=Side.SELL, via_order=True, limit_price=cents(10), qty=contracts(15),
                   cl_ord_id="d-1", symbol="LIN")[0]
    assert isinstance(rej, OrderRejected) and rej.text == "INSUFFICIENT_BALANCE"
    assert r.accept(user="carol", side=Side.SELL, via_order=True, limit_price=cents(45), qty=contracts(15),
                    cl_ord_id="d-1", symbol="LIN")[0].accepted


def test_rfq_cancel_tells_both_sides_of_an_unconfirmed_acceptance(r):
    rfq_id = r.quoted()
    r.accept(side=Side.SELL, cl_ord_id="cr-1")
    events = r.ex.cancel_rfq(CancelRfq("alice", "key-a", "rt-alice", rfq_id=rfq_id))
    assert kinds(events) == ["RfqCancelStatus", "QuoteAcceptStatus", "QuoteStatus", "RfqClosed"]
    uc, ai = events[1], events[2]
    assert (uc.accepted, uc.text, uc.cl_ord_id, uc.session_id) == (False, "EXPIRED", "cr-1", "rt-alice")
    assert (ai.quote_id, ai.status, ai.session_id) == ("q1", 17, "rfq-bob")
    assert r.available("alice") == 1000 * DOLLAR
    assert r.ex.quotes("alice")[0]["status"] == "cancelled"


def test_rfq_expiry_tells_both_sides_of_an_unconfirmed_acceptance():
    r = R(rfq=SimRfq(lifetime_s=20))
    r.quoted()
    r.tick(10)
    r.accept()
    events = r.tick(10)
    assert kinds(events) == ["QuoteAcceptStatus", "QuoteStatus", "RfqCancelStatus", "RfqClosed"]
    assert (events[0].text, events[1].status, events[2].status) == ("EXPIRED", 17, 2)


def test_refused_execution_is_not_reported_as_executed(r):
    rfq_id = r.quoted()
    r.accept(side=Side.SELL, cl_ord_id="cr-1")
    r.confirm()
    r.ex.pause("LIN")
    events = r.tick(15)
    assert kinds(events) == ["OrderRejected", "QuoteAcceptStatus", "QuoteStatus"]
    assert events[0].request.user_id == "bob" and events[0].text == "TRADING_PAUSED"
    assert (events[1].accepted, events[1].text, events[2].status) == (False, "EXPIRED", 17)
    assert r.ex.quotes("alice")[0]["status"] == "cancelled"
    assert r.ex.rfqs("alice")[0]["status"] == "open" and r.ex.rfqs("alice")[0]["accepted_quote_id"] is None
    assert r.available("alice") == r.available("bob") == 1000 * DOLLAR
    r.ex.resume("LIN")
    r.quote(rfq_id, quote_id="q2")
    assert r.accept("q2", cl_ord_id="cr-1")[0].accepted  # the RFQ and the ClOrdID are free again

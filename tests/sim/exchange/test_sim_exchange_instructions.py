"""Post-only, reduce-only, self-trade prevention (both modes) and MaxExecutionCost."""

from sim_exchange_helpers import DOLLAR, Harness, OrderCanceled, OrderFilled, OrderRejected, cents, contracts, kinds, only

from fixengine.model import OrdStatus, TimeInForce
from fixengine.sim.exchange import STP_MAKER, CancelReason


# ---------------------------------------------------------------- post-only

def test_post_only_that_would_cross_is_canceled(h):
    h.sell("bob", "LIN", cents(40), contracts(1))
    events = h.buy("alice", "LIN", cents(40), contracts(1), post_only=True)
    assert kinds(events) == ["OrderAccepted", "OrderCanceled"]
    assert events[1].text == "POST_ONLY_CROSS" and events[1].reason is CancelReason.POST_ONLY
    assert h.ex.orderbook("LIN").no == ((6000, 100),)  # nothing traded


def test_post_only_that_does_not_cross_rests(h):
    h.sell("bob", "LIN", cents(41), contracts(1))
    events = h.buy("alice", "LIN", cents(40), contracts(1), post_only=True)
    assert kinds(events) == ["OrderAccepted"]


def test_post_only_crossing_own_order_is_also_a_cross(h):
    h.sell("alice", "LIN", cents(40), contracts(1))
    events = h.buy("alice", "LIN", cents(45), contracts(1), post_only=True)
    assert events[-1].text == "POST_ONLY_CROSS"


# ---------------------------------------------------------------- reduce-only

def test_reduce_only_requires_ioc(h):
    events = h.sell("alice", "LIN", cents(40), contracts(1), reduce_only=True)  # GTC
    assert kinds(events) == ["OrderRejected"]
    assert (events[0].text, events[0].ord_rej_reason) == ("INVALID_ORDER", 11)


def test_reduce_only_with_nothing_to_reduce_is_canceled(h):
    h.buy("bob", "LIN", cents(40), contracts(5))
    events = h.sell("alice", "LIN", cents(40), contracts(1), reduce_only=True, tif=TimeInForce.IOC)
    assert kinds(events) == ["OrderAccepted", "OrderCanceled"]
    assert events[1].text == "REDUCE_ONLY"


def test_reduce_only_is_limited_to_the_position(h):
    h.sell("bob", "LIN", cents(40), contracts(2))
    h.buy("alice", "LIN", cents(40), contracts(2))  # alice long 2 YES
    h.buy("dave", "LIN", cents(45), contracts(10))
    events = h.sell("alice", "LIN", cents(45), contracts(5), reduce_only=True, tif=TimeInForce.IOC)
    fills = [e for e in only(events, OrderFilled) if e.order.user_id == "alice"]
    assert sum(f.fill.qty for f in fills) == 200
    assert events[-1].text == "REDUCE_ONLY" and events[-1].order.cum_qty == 200
    assert h.position("alice", "LIN") == 0


def test_reduce_only_short_position_buys_back(h):
    h.buy("bob", "LIN", cents(60), contracts(3))
    h.sell("alice", "LIN", cents(60), contracts(3))  # alice short 3 (NO)
    h.sell("dave", "LIN", cents(55), contracts(1))
    events = h.buy("alice", "LIN", cents(55), contracts(3), reduce_only=True, tif=TimeInForce.IOC)
    assert events[-1].text == "IMMEDIATE_OR_CANCELLED"  # book ran out before the position did
    assert h.position("alice", "LIN") == -200


# ---------------------------------------------------------------- self-trade prevention

def test_stp_taker_at_cross_cancels_incoming_remainder_fills_before_stand(h):
    h.sell("bob", "LIN", cents(40), contracts(1))
    h.sell("alice", "LIN", cents(41), contracts(1), cl_ord_id="own")
    h.sell("dave", "LIN", cents(41), contracts(1))
    events = h.buy("alice", "LIN", cents(41), contracts(3))
    assert kinds(events) == ["OrderAccepted", "OrderFilled", "OrderFilled", "OrderCanceled"]
    cancel = events[-1]
    assert cancel.text == "TAKER_CANCEL_FOR_SELF_TRADE_PREVENTION" and cancel.order.cum_qty == 100
    # the own resting order is untouched, and dave's order behind it was not reached
    assert h.ex.orderbook("LIN").no == ((5900, 200),)


def test_stp_maker_cancels_resting_own_order_and_keeps_matching(h):
    h.sell("alice", "LIN", cents(40), contracts(1), cl_ord_id="own")
    h.sell("bob", "LIN", cents(40), contracts(2))
    events = h.buy("alice", "LIN", cents(40), contracts(2), stp=STP_MAKER)
    assert kinds(events) == ["OrderAccepted", "OrderCanceled", "OrderFilled", "OrderFilled"]
    assert events[1].order.cl_ord_id == "own" and events[1].text == "MAKER_CANCEL_FOR_SELF_TRADE_PREVENTION"
    assert events[1].reason is CancelReason.STP_MAKER
    assert only(events, OrderFilled)[0].order.status is OrdStatus.FILLED


def test_stp_applies_across_subaccounts_of_one_user_by_default(h):
    h.sell("alice", "LIN", cents(40), contracts(1), subaccount=1, key_id="key-a1")
    events = h.buy("alice", "LIN", cents(40), contracts(1))
    assert events[-1].text == "TAKER_CANCEL_FOR_SELF_TRADE_PREVENTION"


def test_stp_scope_subaccount_lets_subaccounts_trade():
    h = Harness(stp_scope="subaccount")
    h.sell("alice", "LIN", cents(40), contracts(1), subaccount=1, key_id="key-a1")
    events = h.buy("alice", "LIN", cents(40), contracts(1))
    assert len(only(events, OrderFilled)) == 2


def test_fok_counts_liquidity_only_before_own_order(h):
    h.sell("bob", "LIN", cents(40), contracts(1))
    h.sell("alice", "LIN", cents(40), contracts(1))
    h.sell("dave", "LIN", cents(40), contracts(1))
    events = h.buy("alice", "LIN", cents(40), contracts(2), tif=TimeInForce.FOK)
    assert kinds(events) == ["OrderAccepted", "OrderCanceled"]
    assert events[1].text == "FOK_INSUFFICIENT_VOLUME"
    events = h.buy("alice", "LIN", cents(40), contracts(2), tif=TimeInForce.FOK, stp=STP_MAKER)
    assert only(events, OrderCanceled)[0].text == "MAKER_CANCEL_FOR_SELF_TRADE_PREVENTION"
    assert sum(e.fill.qty for e in only(events, OrderFilled) if e.fill.aggressor) == 200


# ---------------------------------------------------------------- MaxExecutionCost

def test_max_cost_stops_matching_at_the_cap_and_cancels_rest(h):
    h.sell("bob", "LIN", cents(40), contracts(2))
    h.sell("bob", "LIN", cents(50), contracts(2))
    # cap $1.30: 2 @ 0.40 = 0.80, then 1 @ 0.50 = 1.30, the 4th contract would exceed
    events = h.buy("alice", "LIN", cents(50), contracts(4), max_cost=1_300_000)
    taker = [e for e in only(events, OrderFilled) if e.fill.aggressor]
    assert [f.fill.qty for f in taker] == [200, 100]
    cancel = events[-1]
    assert isinstance(cancel, OrderCanceled) and cancel.reason is CancelReason.MAX_COST
    assert cancel.order.cum_qty == 300


def test_max_cost_excludes_fees_and_uses_no_price_for_offers(h):
    h.buy("bob", "LIN", cents(70), contracts(3))
    # selling YES at 0.70 costs 0.30 (NO) per contract: cap 0.90 buys exactly 3
    events = h.sell("alice", "LIN", cents(70), contracts(3), max_cost=900_000)
    assert not only(events, OrderCanceled)
    assert h.position("alice", "LIN") == -300


def test_max_cost_cancels_a_remainder_that_could_exceed_the_cap_if_it_rested(h):
    events = h.buy("alice", "LIN", cents(40), contracts(3), max_cost=1_000_000)
    assert kinds(events) == ["OrderAccepted", "OrderCanceled"]
    events = h.buy("alice", "LIN", cents(40), contracts(2), max_cost=1_000_000)
    assert kinds(events) == ["OrderAccepted"]  # 2 x 0.40 = 0.80 fits


def test_max_cost_with_fok_needs_the_whole_size_within_the_cap(h):
    h.sell("bob", "LIN", cents(40), contracts(3))
    events = h.buy("alice", "LIN", cents(40), contracts(3), tif=TimeInForce.FOK, max_cost=1_000_000)
    assert events[-1].text == "FOK_INSUFFICIENT_VOLUME"
    assert h.cash("alice") == 1000 * DOLLAR


def test_max_cost_must_be_positive(h):
    events = h.buy("alice", "LIN", cents(40), contracts(1), max_cost=0)
    assert isinstance(events[0], OrderRejected) and events[0].ord_rej_reason == 11


def test_side_enum_is_required(h):
    events = h.order("alice", "LIN", "1", cents(40), contracts(1))  # plain string, not model.Side
    assert isinstance(events[0], OrderRejected) and events[0].text == "INVALID_ORDER"

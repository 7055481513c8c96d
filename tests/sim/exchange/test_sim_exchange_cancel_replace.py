"""Cancel (F), replace (G), queue priority, mass cancel, cancel-on-disconnect, cancel-on-pause."""

from datetime import timedelta

from sim_exchange_helpers import T0, OrderCanceled, OrderFilled, cents, contracts, kinds, only

from fixengine.model import OrdStatus, Side, TimeInForce
from fixengine.sim.exchange import CancelReason, MassCancelReport, OrderReplaced


def rejected(events):
    assert kinds(events) == ["CancelRejected"], events
    e = events[0]
    return e.text, e.cxl_rej_reason, e.response_to


# ---------------------------------------------------------------- cancel

def test_cancel_by_orig_clordid(h):
    h.buy("alice", "LIN", cents(40), contracts(3), cl_ord_id="A")
    events = h.cancel("alice", "A", "LIN", Side.BUY, cl_ord_id="A-x")
    assert kinds(events) == ["OrderCanceled"]
    e = events[0]
    assert e.order.cl_ord_id == "A-x" and e.order.orig_cl_ord_id == "A" and e.request_cl_ord_id == "A-x"
    assert e.reason is CancelReason.REQUEST and e.order.leaves_qty == 0 and e.text is None
    assert h.ex.orderbook("LIN").yes == ()


def test_cancel_with_matching_order_id(h):
    order_id = h.buy("alice", "LIN", cents(40), contracts(3), cl_ord_id="A")[0].order.order_id
    assert rejected(h.cancel("alice", "A", "LIN", Side.BUY, order_id="other")) == ("NOT_FOUND", 1, 1)
    assert kinds(h.cancel("alice", "A", "LIN", Side.BUY, order_id=order_id)) == ["OrderCanceled"]


def test_cancel_unknown_and_mismatched(h):
    h.buy("alice", "LIN", cents(40), contracts(3), cl_ord_id="A")
    assert rejected(h.cancel("alice", "nope", "LIN", Side.BUY)) == ("NOT_FOUND", 1, 1)
    assert rejected(h.cancel("alice", "A", "LIN", Side.SELL)) == ("ORDER_ATTRIBUTES_MISMATCH", 1, 1)
    assert rejected(h.cancel("alice", "A", "TAP", Side.BUY)) == ("ORDER_ATTRIBUTES_MISMATCH", 1, 1)
    assert rejected(h.cancel("alice", "A", "LIN", Side.BUY, subaccount=1)) == ("ORDER_ATTRIBUTES_MISMATCH", 1, 1)
    assert rejected(h.cancel("bob", "A", "LIN", Side.BUY)) == ("NOT_FOUND", 1, 1)  # other users' orders are invisible


def test_cancel_filled_order(h):
    h.sell("bob", "LIN", cents(40), contracts(1))
    h.buy("alice", "LIN", cents(40), contracts(1), cl_ord_id="A")
    events = h.cancel("alice", "A", "LIN", Side.BUY)
    assert rejected(events) == ("CANNOT_UPDATE_FILLED_ORDER", 0, 1)
    assert events[0].order_status is OrdStatus.FILLED and events[0].order_id


def test_cancel_allowed_during_trading_pause_not_during_exchange_pause(h):
    h.buy("alice", "LIN", cents(40), contracts(1), cl_ord_id="A")
    h.buy("alice", "LIN", cents(41), contracts(1), cl_ord_id="B")
    h.ex.pause(None, kind="exchange")
    assert rejected(h.cancel("alice", "A", "LIN", Side.BUY)) == ("EXCHANGE_PAUSED", 99, 1)
    h.ex.resume(None)
    h.ex.pause("LIN")
    assert kinds(h.cancel("alice", "A", "LIN", Side.BUY)) == ["OrderCanceled"]
    assert rejected(h.replace("alice", "B", "LIN", Side.BUY, contracts(2)))[0] == "TRADING_PAUSED"


# ---------------------------------------------------------------- replace

def test_replace_quantity_rules(h):
    h.sell("bob", "LIN", cents(40), contracts(2))
    h.buy("alice", "LIN", cents(40), contracts(5), cl_ord_id="A")  # cum 2, leaves 3
    assert rejected(h.replace("alice", "A", "LIN", Side.BUY, contracts(1))) == ("INVALID_AMEND_QTY_FOR_ORDER", 2, 2)
    events = h.replace("alice", "A", "LIN", Side.BUY, contracts(4), cl_ord_id="A2")
    assert kinds(events) == ["OrderReplaced"]
    view = events[0].order
    assert (view.order_qty, view.cum_qty, view.leaves_qty) == (400, 200, 200)
    assert view.cl_ord_id == "A2" and events[0].prev_cl_ord_id == "A" and view.orig_cl_ord_id == "A"
    events = h.replace("alice", "A2", "LIN", Side.BUY, contracts(2), cl_ord_id="A3")
    assert kinds(events) == ["OrderCanceled"]
    assert events[0].reason is CancelReason.REPLACE_TO_CUM_QTY and events[0].order.cl_ord_id == "A3"
    assert rejected(h.replace("alice", "A", "LIN", Side.BUY, contracts(9)))[1] == 1  # old ClOrdID is gone


def test_replace_filled_order(h):
    h.sell("bob", "LIN", cents(40), contracts(1))
    h.buy("alice", "LIN", cents(40), contracts(1), cl_ord_id="A")
    assert rejected(h.replace("alice", "A", "LIN", Side.BUY, contracts(3))) == ("CANNOT_UPDATE_FILLED_ORDER", 2, 2)


def test_replace_decrease_keeps_priority_increase_loses_it(h):
    h.buy("alice", "LIN", cents(40), contracts(5), cl_ord_id="A")
    h.buy("dave", "LIN", cents(40), contracts(5), cl_ord_id="D")
    h.replace("alice", "A", "LIN", Side.BUY, contracts(4), cl_ord_id="A2")
    events = h.sell("bob", "LIN", cents(40), contracts(1))
    assert [e.order.cl_ord_id for e in only(events, OrderFilled) if not e.fill.aggressor] == ["A2"]
    replaced = h.replace("alice", "A2", "LIN", Side.BUY, contracts(9), cl_ord_id="A3")
    assert replaced[0].lost_priority
    events = h.sell("bob", "LIN", cents(40), contracts(1))
    assert [e.order.cl_ord_id for e in only(events, OrderFilled) if not e.fill.aggressor] == ["D"]


def test_replace_price_change_loses_priority(h):
    h.buy("alice", "LIN", cents(40), contracts(1), cl_ord_id="A")
    h.buy("dave", "LIN", cents(41), contracts(1), cl_ord_id="D")
    h.replace("alice", "A", "LIN", Side.BUY, contracts(1), price=cents(41), cl_ord_id="A2")
    events = h.sell("bob", "LIN", cents(41), contracts(1))
    assert [e.order.cl_ord_id for e in only(events, OrderFilled) if not e.fill.aggressor] == ["D"]


def test_replace_expiry_only_keeps_priority_and_changes_expiry(h):
    h.buy("alice", "LIN", cents(40), contracts(1), cl_ord_id="A")
    h.buy("dave", "LIN", cents(40), contracts(1), cl_ord_id="D")
    deadline = T0 + timedelta(minutes=10)
    events = h.replace("alice", "A", "LIN", Side.BUY, contracts(1), tif=TimeInForce.GTD, expire_time=deadline,
                       cl_ord_id="A2")
    view = events[0].order
    assert view.tif is TimeInForce.GTD and view.expire_time == deadline and not events[0].lost_priority
    fills = h.sell("bob", "LIN", cents(40), contracts(1))
    assert [e.order.cl_ord_id for e in only(fills, OrderFilled) if not e.fill.aggressor] == ["A2"]


def test_replace_tif_rules(h):
    h.buy("alice", "LIN", cents(40), contracts(1), cl_ord_id="A", tif=TimeInForce.GTD,
          expire_time=T0 + timedelta(minutes=1))
    # omitting 59 and 126 keeps the expiry
    keep = h.replace("alice", "A", "LIN", Side.BUY, contracts(1), cl_ord_id="B")[0].order
    assert keep.expire_time == T0 + timedelta(minutes=1)
    # 59=1 removes the expiry; reports show GTC
    gtc = h.replace("alice", "B", "LIN", Side.BUY, contracts(1), tif=TimeInForce.GTC, cl_ord_id="C")[0].order
    assert gtc.expire_time is None and gtc.tif is TimeInForce.GTC
    # 59=0 -> today 23:59:59.999 ET, stored as GTD
    day = h.replace("alice", "C", "LIN", Side.BUY, contracts(1), tif=TimeInForce.DAY, cl_ord_id="D")[0].order
    assert day.tif is TimeInForce.GTD and day.expire_time.hour == 4 and day.expire_time.minute == 59
    # invalid: GTD without 126, past 126, IOC, 126 with 59=1
    for kw in ({"tif": TimeInForce.GTD}, {"tif": TimeInForce.GTD, "expire_time": T0 - timedelta(seconds=1)},
               {"tif": TimeInForce.IOC}, {"tif": TimeInForce.GTC, "expire_time": T0 + timedelta(hours=1)},
               {"expire_time": T0 + timedelta(hours=1)}):
        assert rejected(h.replace("alice", "D", "LIN", Side.BUY, contracts(1), **kw)) == ("INVALID_ORDER", 99, 2)
    # the old GTD deadline no longer expires the order
    assert only(h.ex.advance_time(T0 + timedelta(minutes=2)), OrderCanceled) == []


def test_replace_that_crosses_trades_like_an_aggressive_order(h):
    h.sell("bob", "LIN", cents(45), contracts(2))
    h.buy("alice", "LIN", cents(40), contracts(3), cl_ord_id="A")
    events = h.replace("alice", "A", "LIN", Side.BUY, contracts(3), price=cents(45), cl_ord_id="A2")
    assert kinds(events) == ["OrderReplaced", "OrderFilled", "OrderFilled"]
    taker = events[1]
    assert taker.fill.aggressor and taker.fill.price == 4500 and taker.order.leaves_qty == 100
    assert h.ex.orderbook("LIN").yes == ((4500, 100),)  # remainder rests at the new price


def test_replace_that_would_self_cross_is_refused(h):
    h.sell("alice", "LIN", cents(45), contracts(1))
    h.buy("alice", "LIN", cents(40), contracts(1), cl_ord_id="A")
    assert rejected(h.replace("alice", "A", "LIN", Side.BUY, contracts(1), price=cents(45))) == (
        "SELF_CROSS_ATTEMPT", 18, 2)


def test_replace_off_grid_price_and_bad_clordid(h):
    h.buy("alice", "LIN", cents(40), contracts(1), cl_ord_id="A")
    assert rejected(h.replace("alice", "A", "LIN", Side.BUY, contracts(1), price=4050)) == ("INVALID_ORDER", 99, 2)
    assert rejected(h.replace("alice", "A", "LIN", Side.BUY, contracts(1), cl_ord_id="bad id")) == (
        "INVALID_ORDER", 99, 2)


def test_replace_clordid_must_not_be_an_open_orders(h):
    h.buy("alice", "LIN", cents(40), contracts(1), cl_ord_id="A")
    h.buy("alice", "LIN", cents(30), contracts(1), cl_ord_id="B")
    assert rejected(h.replace("alice", "A", "LIN", Side.BUY, contracts(2), cl_ord_id="B")) == (
        "ORDER_ALREADY_EXISTS", 2, 2)
    assert rejected(h.replace("alice", "A", "LIN", Side.BUY, contracts(2), cl_ord_id="A"))[0] == "ORDER_ALREADY_EXISTS"


def test_replace_increase_needs_balance(h):
    h.buy("carol", "LIN", cents(50), contracts(10), cl_ord_id="C")
    assert rejected(h.replace("carol", "C", "LIN", Side.BUY, contracts(25))) == ("INSUFFICIENT_BALANCE", 2, 2)
    assert kinds(h.replace("carol", "C", "LIN", Side.BUY, contracts(12))) == ["OrderReplaced"]


# ---------------------------------------------------------------- mass cancel / disconnect / pause

def test_mass_cancel_cancels_all_user_orders_on_all_shards(h):
    h.buy("alice", "LIN", cents(40), contracts(1))
    h.buy("alice", "TAP", cents(40), contracts(1), key_id="key-a", session_id="other")
    h.buy("alice", "LIN", cents(30), contracts(1), subaccount=1, key_id="key-a1")
    h.buy("bob", "LIN", cents(30), contracts(1))
    events = h.mass_cancel("alice", cl_ord_id="MC")
    assert isinstance(events[0], MassCancelReport) and events[0].canceled_count == 3 and events[0].accepted
    assert events[0].mass_cancel_id
    cancels = only(events, OrderCanceled)
    assert len(cancels) == 3 and {c.reason for c in cancels} == {CancelReason.MASS_CANCEL}
    assert all(c.request_cl_ord_id == "MC" for c in cancels)
    assert h.ex.orderbook("LIN").yes == ((3000, 100),)  # bob's order is still there


def test_mass_cancel_session_scope():
    from sim_exchange_helpers import Harness

    h = Harness(mass_cancel_scope="session")
    h.buy("alice", "LIN", cents(40), contracts(1), session_id="s1")
    h.buy("alice", "LIN", cents(41), contracts(1), session_id="s2")
    events = h.mass_cancel("alice", session_id="s1")
    assert events[0].canceled_count == 1


def test_cancel_all_for_key_on_disconnect(h):
    h.buy("alice", "LIN", cents(40), contracts(1))
    h.buy("alice", "TAP", cents(40), contracts(1))
    h.buy("alice", "LIN", cents(30), contracts(1), subaccount=1, key_id="key-a1")
    events = h.ex.cancel_all_for_key("key-a")
    assert len(events) == 2 and all(e.reason is CancelReason.DISCONNECT for e in events)
    assert h.ex.orderbook("LIN").yes == ((3000, 100),)


def test_cancel_on_pause_only_for_flagged_orders(h):
    h.buy("alice", "LIN", cents(40), contracts(1), cancel_on_pause=True, cl_ord_id="P")
    h.buy("alice", "LIN", cents(41), contracts(1), cl_ord_id="K")
    h.buy("alice", "TAP", cents(41), contracts(1), cancel_on_pause=True, cl_ord_id="T")
    events = h.ex.pause("LIN")
    cancels = only(events, OrderCanceled)
    assert [c.order.cl_ord_id for c in cancels] == ["P"] and cancels[0].text == "TRADING_PAUSED"
    assert cancels[0].reason is CancelReason.PAUSE
    events = h.ex.pause(None, kind="exchange")
    assert [c.order.cl_ord_id for c in only(events, OrderCanceled)] == ["T"]
    assert only(events, OrderCanceled)[0].text == "EXCHANGE_PAUSED"
    assert h.ex.orderbook("LIN").yes == ((4100, 100),)


def test_orders_query_and_replaced_snapshot(h):
    h.buy("alice", "LIN", cents(40), contracts(2), cl_ord_id="A")
    h.replace("alice", "A", "LIN", Side.BUY, contracts(3), cl_ord_id="A2")
    (view,) = h.ex.orders("alice")
    assert view.cl_ord_id == "A2" and view.order_qty == 300 and view.original_qty == 200
    assert isinstance(h.ex.order(view.order_id), type(view))
    assert h.ex.orders("alice", open_only=True)[0].order_id == view.order_id


def test_replaced_event_carries_previous_clordid_and_live_status(h):
    h.sell("bob", "LIN", cents(40), contracts(1))
    h.buy("alice", "LIN", cents(40), contracts(3), cl_ord_id="A")
    (event,) = h.replace("alice", "A", "LIN", Side.BUY, contracts(2), cl_ord_id="A2")
    assert isinstance(event, OrderReplaced) and event.prev_cl_ord_id == "A"
    assert event.order.status is OrdStatus.PARTIALLY_FILLED and event.exec_id == event.order.exec_id

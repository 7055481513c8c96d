"""Order state machine: replay hand-built ExecutionReport sequences (part 1 §4.10)."""

from __future__ import annotations

from fixengine.engine.events import EventKind
from fixengine.engine.orders import Order, OrderStatus, OrderTracker, PendingRequest
from fixengine.engine.positions import PositionBook
from fixengine.model import ExecReport, ExecType, OrdStatus, Side
from fixengine.session.records import BusinessReject, CancelReject

T = "KXTEST-1"


def er(exec_id, cl, et, os_, qty, leaves, cum, *, orig=None, last_px=None, last_qty=None, price=5600,
       order_id="OID-1", text=None, fee=None, side=Side.BUY):
    return ExecReport(exec_id=exec_id, order_id=order_id, cl_ord_id=cl, exec_type=et, ord_status=os_, side=side,
                      symbol=T, order_qty=qty, leaves_qty=leaves, cum_qty=cum, price=price, orig_cl_ord_id=orig,
                      last_px=last_px, last_qty=last_qty, text=text, fee=fee, avg_px=last_px)


def new_order(tracker, key="c1", qty=1000, side=Side.BUY, user_side="buy_yes", price=5600):
    order = Order(key, T, side, user_side, price, qty, "1")
    tracker.add(order)
    return order


def kinds(events):
    return [e.kind for e in events]


def test_rest_then_partial_then_full_fill():
    tr = OrderTracker()
    o = new_order(tr)
    assert kinds(tr.apply_report(er("-1;-1", "c1", ExecType.PENDING_NEW, OrdStatus.PENDING_NEW, 1000, 1000, 0))) == []
    assert o.status is OrderStatus.PENDING_NEW
    assert kinds(tr.apply_report(er("1;1", "c1", ExecType.NEW, OrdStatus.NEW, 1000, 1000, 0))) == [EventKind.ACK]
    assert o.status is OrderStatus.WORKING and o.order_id == "OID-1"
    ev = tr.apply_report(er("1;2", "c1", ExecType.TRADE, OrdStatus.PARTIALLY_FILLED, 1000, 600, 400, last_px=5500, last_qty=400))
    assert kinds(ev) == [EventKind.PARTIAL]
    assert (o.cum_qty, o.leaves_qty, o.status) == (400, 600, OrderStatus.PARTIALLY_FILLED)
    ev = tr.apply_report(er("1;3", "c1", ExecType.TRADE, OrdStatus.FILLED, 1000, 0, 1000, last_px=5600, last_qty=600))
    assert kinds(ev) == [EventKind.FILL, EventKind.DONE]
    assert o.status is OrderStatus.FILLED and [f.qty for f in o.fills] == [400, 600]
    assert not tr.open


def test_folded_ack_in_first_trade_report():
    tr = OrderTracker()
    o = new_order(tr)
    ev = tr.apply_report(er("2;1", "c1", ExecType.TRADE, OrdStatus.FILLED, 1000, 0, 1000, last_px=5600, last_qty=1000))
    assert kinds(ev) == [EventKind.ACK, EventKind.FILL, EventKind.DONE]
    assert ev[0].folded is True


def test_duplicate_exec_id_is_applied_once():
    tr = OrderTracker()
    o = new_order(tr)
    r = er("3;1", "c1", ExecType.TRADE, OrdStatus.PARTIALLY_FILLED, 1000, 500, 500, last_px=5600, last_qty=500)
    tr.apply_report(r)
    dup = er("3;1", "c1", ExecType.TRADE, OrdStatus.PARTIALLY_FILLED, 1000, 500, 500, last_px=5600, last_qty=500)
    dup.poss_dup = True
    assert tr.apply_report(dup) == []
    assert o.cum_qty == 500 and len(o.fills) == 1


def test_replace_chain_and_fill_on_new_clordid():
    tr = OrderTracker()
    o = new_order(tr)
    tr.apply_report(er("4;1", "c1", ExecType.NEW, OrdStatus.NEW, 1000, 1000, 0))
    tr.add_request(o, PendingRequest("replace", "c2", "c1", price=5500, qty=1500))
    assert o.pending_replace
    ev = tr.apply_report(er("4;2", "c2", ExecType.REPLACED, OrdStatus.NEW, 1500, 1500, 0, orig="c1", price=5500))
    assert kinds(ev) == [EventKind.REPLACE]
    assert (o.cl_ord_id, o.chain, o.price, o.qty, o.pending_replace) == ("c2", ["c1", "c2"], 5500, 1500, False)
    ev = tr.apply_report(er("4;3", "c2", ExecType.TRADE, OrdStatus.PARTIALLY_FILLED, 1500, 1000, 500, last_px=5500, last_qty=500))
    assert kinds(ev) == [EventKind.PARTIAL] and o.cum_qty == 500
    # cancel goes out against the replace's ClOrdID
    tr.add_request(o, PendingRequest("cancel", "c3", "c2"))
    ev = tr.apply_report(er("4;4", "c3", ExecType.CANCELED, OrdStatus.CANCELED, 500, 0, 500, orig="c2"))
    assert kinds(ev) == [EventKind.CANCEL, EventKind.DONE]
    assert o.status is OrderStatus.CANCELED and o.cl_ord_id == "c3" and o.cum_qty == 500


def test_preserve_original_qty_does_not_change_state():
    """21008=Y keeps 38 at the original size on a cancel; cum/leaves decide the state either way."""
    tr = OrderTracker()
    o = new_order(tr)
    tr.apply_report(er("5;1", "c1", ExecType.TRADE, OrdStatus.PARTIALLY_FILLED, 1000, 700, 300, last_px=5600, last_qty=300))
    tr.add_request(o, PendingRequest("cancel", "c9", "c1"))
    tr.apply_report(er("5;2", "c9", ExecType.CANCELED, OrdStatus.CANCELED, 1000, 0, 300, orig="c1"))
    assert (o.qty, o.cum_qty, o.leaves_qty) == (1000, 300, 0)


def test_cancel_reject_clears_pending_and_keeps_order_alive():
    tr = OrderTracker()
    o = new_order(tr)
    tr.apply_report(er("6;1", "c1", ExecType.NEW, OrdStatus.NEW, 1000, 1000, 0))
    tr.add_request(o, PendingRequest("replace", "c2", "c1", price=5000, qty=1000))
    ev = tr.apply_cancel_reject(CancelReject("c2", "c1", "OID-1", "0", "2", 2, "INVALID_AMEND_QTY_FOR_ORDER"))
    assert kinds(ev) == [EventKind.REPLACE_REJECT] and ev[0].text == "INVALID_AMEND_QTY_FOR_ORDER"
    assert not o.pending and o.status is OrderStatus.WORKING and o.price == 5600


def test_unsolicited_cancels_and_expiry():
    tr = OrderTracker()
    a = new_order(tr, "a")
    ev = tr.apply_report(er("7;1", "a", ExecType.CANCELED, OrdStatus.CANCELED, 0, 0, 0, text="POST_ONLY_CROSS"))
    assert kinds(ev) == [EventKind.CANCEL, EventKind.DONE] and ev[0].text == "POST_ONLY_CROSS"
    b = new_order(tr, "b")
    tr.apply_report(er("7;2", "b", ExecType.NEW, OrdStatus.NEW, 1000, 1000, 0, order_id="OID-B"))
    ev = tr.apply_report(er("7;3", "b", ExecType.EXPIRED, OrdStatus.EXPIRED, 1000, 0, 0, order_id="OID-B"))
    assert kinds(ev) == [EventKind.EXPIRE, EventKind.DONE] and b.status is OrderStatus.EXPIRED


def test_exchange_reject_and_rate_limit_reject():
    tr = OrderTracker()
    a = new_order(tr, "a")
    r = er("0", "a", ExecType.REJECTED, OrdStatus.REJECTED, 1000, 0, 0, text="INSUFFICIENT_BALANCE", order_id="NONE")
    r.ord_rej_reason = 3
    ev = tr.apply_report(r)
    assert kinds(ev) == [EventKind.REJECT, EventKind.DONE]
    assert (a.reject_reason, a.reject_code, a.order_id) == ("INSUFFICIENT_BALANCE", 3, None)
    b = new_order(tr, "b")
    ev = tr.apply_business_reject(BusinessReject(5, "D", "b", 8, "rate limit exceeded"))
    assert kinds(ev) == [EventKind.REJECT, EventKind.DONE] and b.status is OrderStatus.REJECTED


def test_ioc_partial_then_remainder_cancel():
    tr = OrderTracker()
    o = new_order(tr)
    ev = tr.apply_report(er("8;1", "c1", ExecType.TRADE, OrdStatus.PARTIALLY_FILLED, 1000, 600, 400, last_px=5600, last_qty=400))
    assert kinds(ev) == [EventKind.ACK, EventKind.PARTIAL]
    ev = tr.apply_report(er("8;2", "c1", ExecType.CANCELED, OrdStatus.CANCELED, 400, 0, 400, text="IMMEDIATE_OR_CANCELLED"))
    assert kinds(ev) == [EventKind.CANCEL, EventKind.DONE] and o.cum_qty == 400


def test_unknown_report_is_recorded():
    tr = OrderTracker()
    ev = tr.apply_report(er("9;1", "zzz", ExecType.NEW, OrdStatus.NEW, 100, 100, 0, order_id="OTHER"))
    assert kinds(ev) == [EventKind.UNKNOWN_REPORT] and len(tr.unknown_reports) == 1


def test_positions_net_yes_and_no_with_realized_pnl():
    book = PositionBook()
    p = book.get(T)
    p.apply(True, 4000, 1000, 0)  # buy 10 YES @ 0.40
    assert p.net == 1000 and p.open_value == 4_000_000
    realized = p.apply(False, 6000, 400, 10_000)  # sell 4 YES @ 0.60 (fee 0.01)
    assert realized == (6000 - 4000) * 400 - 10_000
    assert p.net == 600
    p.apply(False, 5000, 1000, 0)  # sell 10 more: close 6, open 4 NO (short YES @ 0.50)
    assert p.net == -400 and p.open_value == 5000 * 400
    assert p.no_qty == 400 and p.yes_qty == 0

"""ExecutionReport and settlement feeds: lifecycle, idempotence on ExecID, adoption, bad reports."""

from __future__ import annotations

import pytest

from fixengine.book import Book, ReferenceBook
from fixengine.book.layout import E_BAD_REPORT, E_OVERFILL, E_UNKNOWN_ORDER
from fixengine.model import (
    PENDING_EXEC_ID, ExecReport, ExecType, OrdStatus, SettlementParty, SettlementReport, Side,
)


def er(exec_id, kind, status, *, cl="c1", oid="o1", qty=1_000, leaves=1_000, cum=0, price=5600, side=Side.BUY,
       last_px=None, last_qty=None, fee=None, orig=None, symbol="M", sub=0, session=None) -> ExecReport:
    return ExecReport(exec_id=exec_id, order_id=oid, cl_ord_id=cl, exec_type=kind, ord_status=status, side=side,
                      symbol=symbol, order_qty=qty, leaves_qty=leaves, cum_qty=cum, price=price, last_px=last_px,
                      last_qty=last_qty, fee=fee, orig_cl_ord_id=orig, subaccount=sub, session=session)


@pytest.fixture(params=[Book, ReferenceBook], ids=["numba", "reference"])
def book(request):
    b = request.param(max_markets=4, max_orders=8, max_subaccounts=4)
    b.add_market("M")
    return b


def test_engine_order_lifecycle(book):
    slot = book.orders.add("M", Side.BUY, 5600, 1_000, cl_ord_id="c1")
    book.apply_exec_report(er(PENDING_EXEC_ID, ExecType.PENDING_NEW, OrdStatus.PENDING_NEW, oid="NONE"))
    book.apply_exec_report(er("1;1", ExecType.NEW, OrdStatus.NEW))
    assert book.orders.find(order_id="o1") == slot and book.orders.get(slot).status == OrdStatus.NEW
    book.apply_exec_report(er("1;2", ExecType.TRADE, OrdStatus.PARTIALLY_FILLED, leaves=400, cum=600,
                              last_px=5500, last_qty=600, fee=4_200))
    view = book.orders.get(slot)
    assert (view.open_qty, view.filled_qty, view.status) == (400, 600, OrdStatus.PARTIALLY_FILLED)
    assert view.avg_fill_price == 5500
    book.apply_exec_report(er("1;3", ExecType.TRADE, OrdStatus.FILLED, leaves=0, cum=1_000, last_px=5600,
                              last_qty=400, fee=2_800))
    assert book.orders.get(slot) is None and book.orders.find(order_id="o1") is None
    p = book.positions.position("M")
    assert (p.yes_qty, p.yes_cost, p.fees) == (1_000, 600 * 5500 + 400 * 5600, 7_000)
    assert book.errors.count == 0


def test_replays_from_any_session_never_double_count(book):
    book.orders.add("M", Side.BUY, 5600, 1_000, cl_ord_id="c1")
    fill = er("7;1", ExecType.TRADE, OrdStatus.PARTIALLY_FILLED, leaves=500, cum=500, last_px=5600, last_qty=500)
    for session in ("KalshiNR", "KalshiRT-listener", "KalshiDC"):
        fill.session = session
        book.apply_exec_report(fill)
    book.apply_exec_reports([fill, fill])
    assert book.positions.position("M").yes_qty == 500 and book.duplicates == 4


def test_pending_exec_id_is_not_a_dedup_key(book):
    slot = book.orders.add("M", Side.BUY, 5600, 1_000, cl_ord_id="c1")
    book.apply_exec_report(er(PENDING_EXEC_ID, ExecType.PENDING_CANCEL, OrdStatus.PENDING_CANCEL))
    assert book.orders.get(slot).status == OrdStatus.PENDING_CANCEL
    book.apply_exec_report(er("2;1", ExecType.NEW, OrdStatus.NEW))
    book.apply_exec_report(er(PENDING_EXEC_ID, ExecType.PENDING_REPLACE, OrdStatus.PENDING_REPLACE))
    assert book.orders.get(slot).status == OrdStatus.PENDING_REPLACE and book.duplicates == 0


def test_listener_adopts_orders_placed_elsewhere(book):
    book.apply_exec_report(er("3;1", ExecType.NEW, OrdStatus.NEW, cl="other", oid="o9", side=Side.SELL, sub=2))
    slot = book.orders.find(order_id="o9")
    assert book.orders.get(slot).subaccount == 2 and book.orders.open_qty_at("M", Side.SELL, 5600) == 1_000
    # a fill of an order never seen: position, plus the rest of the order
    book.apply_exec_report(er("3;2", ExecType.TRADE, OrdStatus.PARTIALLY_FILLED, cl="x", oid="o8", qty=300, leaves=100,
                              cum=200, last_px=5000, last_qty=200))
    adopted = book.orders.get(book.orders.find(order_id="o8"))
    assert (adopted.open_qty, adopted.filled_qty) == (100, 200)
    assert book.positions.position("M").yes_qty == 200


def test_cancel_replace_reject_and_expiry(book):
    a = book.orders.add("M", Side.BUY, 5600, 1_000, cl_ord_id="c1")
    book.apply_exec_report(er("4;1", ExecType.REPLACED, OrdStatus.NEW, cl="c2", orig="c1", qty=800, leaves=800,
                              price=5500))
    view = book.orders.get(a)
    assert (view.price, view.orig_qty) == (5500, 800) and book.orders.find(cl_ord_id="c2") == a
    book.apply_exec_report(er("4;2", ExecType.CANCELED, OrdStatus.CANCELED, cl="c3", orig="c2", oid="?", leaves=0))
    assert book.orders.get(a) is None
    b = book.orders.add("M", Side.SELL, 4000, 10, cl_ord_id="c4")
    book.apply_exec_report(er("4;3", ExecType.REJECTED, OrdStatus.REJECTED, cl="c4", oid="", leaves=0))
    assert book.orders.get(b) is None
    book.apply_exec_report(er("4;4", ExecType.REJECTED, OrdStatus.REJECTED, cl="zz", oid="", leaves=0))
    assert book.rejects == 1
    c = book.orders.add("M", Side.SELL, 4000, 10, cl_ord_id="c5")
    book.apply_exec_report(er("4;5", ExecType.EXPIRED, OrdStatus.EXPIRED, cl="c5", oid="o5", leaves=0))
    assert book.orders.get(c) is None and book.orders.working_count == 0
    assert book.errors.count == 0


def test_bad_reports_are_counted_and_change_nothing(book):
    book.orders.add("M", Side.BUY, 5600, 100, cl_ord_id="c1")
    before = book.snapshot()
    book.apply_exec_reports([
        er("5;1", ExecType.CANCELED, OrdStatus.CANCELED, cl="nope", oid="nope"),
        er("5;2", ExecType.REPLACED, OrdStatus.NEW, cl="n2", orig="nope", oid="nope"),
        er("5;3", ExecType.TRADE, OrdStatus.FILLED, last_px=5600, last_qty=101, leaves=0, cum=101),
        er("5;4", ExecType.TRADE, OrdStatus.FILLED, last_px=None, last_qty=None),
    ])
    after = book.snapshot()
    assert after.pop("errors") == (4, {E_UNKNOWN_ORDER: 2, E_OVERFILL: 1, E_BAD_REPORT: 1})
    before.pop("errors")
    assert after == before


def test_unknown_orders_are_errors_when_adoption_is_off():
    b = Book(max_markets=2, max_orders=4, max_subaccounts=1, adopt_unknown_orders=False)
    b.add_market("M")
    b.apply_exec_report(er("6;1", ExecType.TRADE, OrdStatus.FILLED, last_px=5600, last_qty=10, leaves=0, cum=10))
    assert b.errors.by_code == {E_UNKNOWN_ORDER: 1} and b.positions.position("M").yes_qty == 0


def test_batch_equals_one_by_one():
    reports = [er("8;1", ExecType.NEW, OrdStatus.NEW),
               er("8;2", ExecType.TRADE, OrdStatus.PARTIALLY_FILLED, leaves=700, cum=300, last_px=5600, last_qty=300),
               er("8;3", ExecType.REPLACED, OrdStatus.PARTIALLY_FILLED, cl="c2", orig="c1", qty=900, leaves=600,
                  cum=300, price=5700),
               er("8;4", ExecType.TRADE, OrdStatus.FILLED, cl="c2", leaves=0, cum=900, last_px=5700, last_qty=600),
               er("8;4", ExecType.TRADE, OrdStatus.FILLED, cl="c2", leaves=0, cum=900, last_px=5700, last_qty=600)]
    one, many = Book(max_markets=2, max_orders=4), Book(max_markets=2, max_orders=4)
    for r in reports:
        one.apply_exec_report(r)
    many.positions.apply_exec_reports(reports)
    assert one.snapshot() == many.snapshot()
    assert one.positions.position("M").yes_qty == 900 and one.duplicates == 1


def test_settlement_party_mapping_and_unknown_market_autoadd():
    b = Book(max_markets=2, max_orders=4, max_subaccounts=4, party_subaccount={"uuid-a": 3})
    b.positions.apply_fill("M", Side.BUY, 5000, 100, subaccount=3)  # unknown ticker: error, no position
    assert b.errors.count == 1
    b.apply_exec_report(er("9;1", ExecType.TRADE, OrdStatus.FILLED, oid="q", last_px=5000, last_qty=100, leaves=0,
                           cum=100, sub=3))  # reports add the market with the default grid
    rep = SettlementReport("s1", "M", "20260826", "yes", 10_000,
                           parties=[SettlementParty("uuid-a", 100, 0, payout=1_000_000, fee=0)])
    assert b.positions.apply_settlement(rep) == 1
    p = b.positions.position("M", 3)
    assert (p.yes_qty, p.realized_pnl, p.payout) == (0, 100 * 5000, 1_000_000) and b.errors.count == 1


def test_ack_after_fill_keeps_partial_state_and_queries_on_unknown_markets(book):
    slot = book.orders.add("M", Side.BUY, 5600, 1_000, cl_ord_id="c1")
    book.apply_exec_report(er("10;1", ExecType.TRADE, OrdStatus.PARTIALLY_FILLED, leaves=900, cum=100, last_px=5600,
                              last_qty=100))
    book.apply_exec_report(er("10;0", ExecType.NEW, OrdStatus.NEW))  # a late ack, delivered after the fill
    assert book.orders.get(slot).status == OrdStatus.PARTIALLY_FILLED
    assert book.depth.levels("NOPE", "yes") == [] and book.orders.own_levels("NOPE", Side.BUY) == []
    assert book.positions.position("NOPE").exposure == 0 and book.positions.position("M", 99).yes_qty == 0
    assert not book.orders.would_self_cross("NOPE", Side.BUY, 5000)

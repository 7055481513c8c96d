"""Journal write/replay: the rebuilt tracker equals the live one; unanswered intents are reported."""

from __future__ import annotations

from fixengine.engine import journal as J
from fixengine.engine.orders import Order, OrderStatus, OrderTracker, PendingRequest
from fixengine.engine.positions import PositionBook
from fixengine.engine.recovery import encode_order, encode_request, replay
from fixengine.model import ExecReport, ExecType, OrdStatus, Side, TimeInForce
from fixengine.session.records import CancelReject

T = "KXJ-1"


def er(exec_id, cl, et, os_, leaves, cum, **kw):
    return ExecReport(exec_id=exec_id, order_id="OID-" + cl[0], cl_ord_id=cl, exec_type=et, ord_status=os_,
                      side=Side.BUY, symbol=T, order_qty=leaves + cum, leaves_qty=leaves, cum_qty=cum, price=4000, **kw)


def live_session(journal):
    """Drive a tracker live while journaling exactly as the engine does."""
    tracker, book = OrderTracker(), PositionBook()
    tracker.fill_listeners.append(lambda o, f, r: book.get(o.ticker).apply(o.side is Side.BUY, f.price, f.qty, f.fee))

    def add(order):
        tracker.add(order)
        journal.append(J.NEW, order.key, encode_order(order))

    def report(r):
        journal.exec_report(r)
        tracker.apply_report(r)

    a = Order("a1", T, Side.BUY, "buy_yes", 4000, 1000, "1")
    b = Order("b1", T, Side.BUY, "sell_no", 4000, 500, "6", expire_time="20261126-04:59:00.000")
    c = Order("c1", T, Side.BUY, "buy_yes", 4000, 200, "1")
    for o in (a, b, c):
        add(o)
    report(er("1;1", "a1", ExecType.NEW, OrdStatus.NEW, 1000, 0))
    report(er("1;2", "a1", ExecType.TRADE, OrdStatus.PARTIALLY_FILLED, 700, 300, last_px=3900, last_qty=300,
              fee=5_000, time_in_force=TimeInForce.GTC))
    report(er("1;3", "b1", ExecType.TRADE, OrdStatus.FILLED, 0, 500, last_px=4000, last_qty=500))
    req = PendingRequest("replace", "a2", "a1", price=4100, qty=1000)
    tracker.add_request(a, req)
    journal.append(J.REPLACE, "a1", encode_request(a, req))
    rej = CancelReject("a2", "a1", "OID-a", "1", "2", 2, "INVALID_AMEND_QTY_FOR_ORDER")
    journal.cancel_reject(rej)
    tracker.apply_cancel_reject(rej)
    cancel = PendingRequest("cancel", "a3", "a1")
    tracker.add_request(a, cancel)
    journal.append(J.CANCEL, "a1", encode_request(a, cancel))  # sent, then the process died
    return tracker, book


def snapshot(tracker):
    return {k: (o.status, o.cum_qty, o.leaves_qty, o.price, o.cl_ord_id, len(o.fills), sorted(o.pending))
            for k, o in tracker.orders.items()}


def test_replay_rebuilds_orders_fills_positions(tmp_path):
    journal = J.Journal(tmp_path / "j.sqlite")
    live, live_book = live_session(journal)
    journal.close()

    reopened = J.Journal(tmp_path / "j.sqlite")
    tracker, book = OrderTracker(), PositionBook()
    tracker.fill_listeners.append(lambda o, f, r: book.get(o.ticker).apply(o.side is Side.BUY, f.price, f.qty, f.fee))
    report = replay(reopened, tracker)
    assert snapshot(tracker) == snapshot(live)
    assert book.get(T).net == live_book.get(T).net == 800
    assert report.orders == 3 and report.fills == 2 and report.open_orders == 2
    kinds = sorted(u.kind for u in report.unaccounted)
    assert kinds == ["cancel_no_answer", "new_no_answer"]  # a3 unanswered; c1 never acknowledged
    assert tracker.orders["a1"].status is OrderStatus.PARTIALLY_FILLED
    assert tracker.orders["b1"].expire_time == "20261126-04:59:00.000"
    # a report resent after the restart is not applied twice
    assert tracker.apply_report(er("1;2", "a1", ExecType.TRADE, OrdStatus.PARTIALLY_FILLED, 700, 300,
                                   last_px=3900, last_qty=300)) == []


def test_local_reject_and_send_failure_replay(tmp_path):
    journal = J.Journal(tmp_path / "j.sqlite")
    o = Order("x1", T, Side.SELL, "buy_no", 6000, 100, "3")
    journal.append(J.NEW, "x1", encode_order(o))
    journal.append(J.LOCAL_REJECT, "x1", ["x1", "RISK_MAX_ORDER_QTY: too big", None])
    p = Order("y1", T, Side.SELL, "sell_yes", 6000, 100, "1")
    journal.append(J.NEW, "y1", encode_order(p))
    journal.append(J.SEND_FAILED, "y1", ["y1", "SESSION_DOWN", None])
    tracker = OrderTracker()
    report = replay(journal, tracker)
    assert tracker.orders["x1"].status is OrderStatus.REJECTED and tracker.orders["x1"].local_reject
    assert tracker.orders["y1"].reject_reason == "SESSION_DOWN"
    assert report.unaccounted == [] and report.open_orders == 0
    assert journal.count(J.NEW) == 2


def test_second_engine_cannot_open_a_journal_in_use(tmp_path):
    import pytest

    first = J.Journal(tmp_path / "j.sqlite")
    first.append(J.MASS_CANCEL, "m1", ["m1"])
    with pytest.raises(J.JournalError, match="another engine"):
        J.Journal(tmp_path / "j.sqlite")
    first.close()
    again = J.Journal(tmp_path / "j.sqlite")  # released on close (and by the OS on kill -9)
    assert again.count() == 1


def test_wire_reports_replay_through_the_parser(tmp_path):
    journal = J.Journal(tmp_path / "j.sqlite")
    o = Order("w1", T, Side.BUY, "buy_yes", 4000, 300, "1")
    journal.append(J.NEW, "w1", encode_order(o))
    wire = ("8=FIXT.1.1|9=10|35=8|34=7|49=KalshiNR|52=20261125-16:00:00.000|56=K|6=0.4000|11=w1|14=1.00|17=9;1|"
            "31=0.4000|32=1.00|37=OID-W|38=3.00|39=1|44=0.4000|54=1|55=KXJ-1|60=20261125-16:00:00.000|136=1|"
            "137=0.0100|150=F|151=2.00|10=000|").replace("|", "\x01")
    report = J.decode_wire_exec_report("D" + wire)
    journal.exec_report(report, wire, use_dollars=True)
    tracker = OrderTracker()
    replay(journal, tracker)
    order = tracker.orders["w1"]
    assert (order.status, order.cum_qty, order.leaves_qty, order.fees) == (OrderStatus.PARTIALLY_FILLED, 100, 200, 10_000)
    assert journal.count(J.EXEC_REPORT_WIRE) == 1


def test_journal_cli_prints_recovery(tmp_path, capsys):
    import sys
    import uuid
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent.parent / "session"))
    from kalshi_test_acceptor import write_client_config

    from fixengine.config import load_config
    from fixengine.engine.cli import _cmd_journal
    from fixengine.engine.engine import default_journal_path

    key_id = str(uuid.uuid4())
    cfg_path = write_client_config(tmp_path, {"NR": (key_id, tmp_path / "k.pem", {"use_dollars": True}, None)})
    path = default_journal_path(load_config(cfg_path), load_config(cfg_path).session("NR").kind)
    journal = J.Journal(path)
    journal.append(J.NEW, "q1", encode_order(Order("q1", T, Side.BUY, "buy_yes", 4000, 300, "1")))
    journal.close()

    class Args:
        config = str(cfg_path)
        session = None

    assert _cmd_journal(Args()) == 0
    out = capsys.readouterr().out
    assert "UNACCOUNTED new_no_answer q1" in out and "open orders (1)" in out
    assert "q1" in out and "0.4000" in out

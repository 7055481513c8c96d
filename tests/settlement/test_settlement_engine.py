"""An Engine on KalshiRT with 20127=Y runs the same settlement code: journal, book, batch events.

Pages are handed to the engine's handler entry points directly (no exchange needed); the
end-to-end path over a real RT session is in test_settlement_e2e.py.
"""

from __future__ import annotations

import gc
import sys
import uuid
from pathlib import Path

import pytest

from fixengine.auth import write_key_pair
from fixengine.config import load_config
from fixengine.engine import Engine, EventKind
from fixengine.model import ExecReport, ExecType, OrdStatus, Side
from fixengine.session.parse import parse_settlement_report_text
from fixengine.settlement import SettlementBatch, SettlementClient, SettlementError
from ums_examples import SCALAR_7, SOH, TWO_PAGE_1, TWO_PAGE_2, YES_100

sys.path.insert(0, str(Path(__file__).parent.parent / "session"))
from kalshi_test_acceptor import write_client_config  # noqa: E402

HIGH = "KXHIGHNY-26AUG25-B85.5"


def rt_config(tmp_path: Path, kind: str = "RT", logon: dict | None = None):
    tmp_path.mkdir(parents=True, exist_ok=True)
    priv, pub = tmp_path / "k.key.pem", tmp_path / "k.pub.pem"
    if not priv.exists():
        write_key_pair(priv, pub)
    logon = {"use_dollars": True, "receive_settlement_reports": True} if logon is None else logon
    path = write_client_config(tmp_path, {kind: (str(uuid.uuid4()), priv, logon, None)})
    return load_config(path).with_endpoints(ports={kind: 1})


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    """One engine for the module (building one costs ~1 s); tests use distinct pages."""
    eng = Engine(rt_config(tmp_path_factory.mktemp("rt")))
    yield eng
    eng.close()
    gc.collect()


def settlement_events(engine):
    out = []
    while not engine.events.empty():
        event = engine.events.get()
        if event.kind is EventKind.SETTLEMENT:
            out.append(event)
    return out


def test_engine_reassembles_pages_into_one_event(engine):
    settlement_events(engine)
    engine.on_settlement_wire("KalshiRT", TWO_PAGE_1)
    assert settlement_events(engine) == []
    engine.on_settlement_wire("KalshiRT", TWO_PAGE_2)
    [event] = settlement_events(engine)
    batch = event.report
    assert isinstance(batch, SettlementBatch) and batch.pages == 2 and len(batch.parties) == 3
    assert event.text == f"{HIGH} settled yes"
    stored = engine.settlements.journal.batches(HIGH)[-1]
    assert stored.report_ids == batch.report_ids and stored.batch_id == batch.batch_id
    pages = {p.report.report_id: p for p in engine.settlements.journal.pages(HIGH)}
    assert pages[batch.report_ids[0]].raw == TWO_PAGE_1


def test_engine_ignores_a_resent_page(engine):
    settlement_events(engine)
    duplicates, journaled = engine.settlements.duplicates, engine.journal.count("settlement")
    paid = engine.book.positions.position(HIGH).payout
    engine.on_settlement_wire("KalshiRT", YES_100)
    resent = YES_100.replace(f"{SOH}34=2{SOH}", f"{SOH}34=7{SOH}43=Y{SOH}")
    engine.on_settlement_wire("KalshiRT", resent)
    engine.on_settlement_report(parse_settlement_report_text(YES_100))  # the report-only entry point too
    assert len(settlement_events(engine)) == 1
    assert engine.settlements.duplicates == duplicates + 2
    assert engine.book.positions.position(HIGH).payout == paid + 100_000_000  # booked once
    assert engine.journal.count("settlement") == journaled + 1  # the order journal (recovery) has it once


def test_engine_keeps_a_malformed_page_raw(engine):
    bad = YES_100.replace("730=100.00", "730=oops")
    engine.on_settlement_wire("KalshiRT", bad)
    assert settlement_events(engine) == [] and "730" in engine.parse_errors[-1]
    kept = engine.settlements.journal.rejected()[-1]
    assert kept.raw == bad and "730" in kept.error


@pytest.mark.slow
def test_engine_realized_pnl_and_restart(tmp_path):
    cfg = rt_config(tmp_path)
    eng = Engine(cfg)
    try:
        eng.on_exec_report(ExecReport(exec_id="e1", order_id="o1", cl_ord_id="c1", exec_type=ExecType.TRADE,
                                      ord_status=OrdStatus.FILLED, side=Side.BUY, symbol="KXCPIYOY-26JUL-T3.0",
                                      order_qty=700, leaves_qty=0, cum_qty=700, price=2_500, last_px=2_500,
                                      last_qty=700))
        eng.on_settlement_wire("KalshiRT", SCALAR_7.replace("8d7c6b5a-4e3f-4a2b-9c1d-0e9f8a7b6c5d", "0"))
        [event] = settlement_events(eng)
        assert event.report.realized_pnl == 700 * (3_060 - 2_500)
    finally:
        eng.close()
    del eng, event
    gc.collect()
    again = Engine(cfg)
    try:
        pos = again.book.positions.position("KXCPIYOY-26JUL-T3.0")
        assert pos.yes_qty == 0 and pos.payout == 2_140_000  # rebuilt from the order journal
        again.on_settlement_wire("KalshiRT", SCALAR_7.replace("8d7c6b5a-4e3f-4a2b-9c1d-0e9f8a7b6c5d", "0"))
        assert settlement_events(again) == [] and again.settlements.duplicates == 1  # known from the journal
        assert [b.realized_pnl for b in again.settlements.journal.batches()] == [700 * 560]
    finally:
        again.close()


def test_settlement_client_refuses_sessions_without_reports(tmp_path):
    with pytest.raises(SettlementError, match="20127=N"):
        SettlementClient(rt_config(tmp_path / "pt", "PT", {"use_dollars": True, "receive_settlement_reports": False}))
    with pytest.raises(SettlementError, match="20127=Y"):
        SettlementClient(rt_config(tmp_path / "rt", "RT", {"use_dollars": True}), kind="RT")
    with pytest.raises(SettlementError, match="not on NR"):
        SettlementClient(rt_config(tmp_path / "nr", "NR", {"use_dollars": True}), kind="NR")


def test_pt_client_refuses_an_engine_that_already_gets_settlements(engine, tmp_path):
    pt_cfg = rt_config(tmp_path / "pt", "PT", {"use_dollars": True})
    with pytest.raises(SettlementError, match="already receives settlement reports"):
        SettlementClient(pt_cfg, engine=engine)


@pytest.mark.slow
def test_settlement_closes_risk_positions_and_a_restart_settles_the_same_subaccount(tmp_path):
    """The engine's risk positions (max position, daily loss) close with the book, and the page is
    journaled as the book got it: after a restart subaccount 2 - known here only by holding, the
    party id being a UUID - is flat again, not reopened with the payout booked to subaccount 0."""
    from fixengine.engine import journal as J
    from fixengine.engine.orders import Order
    from fixengine.engine.recovery import encode_order

    cpi = "KXCPIYOY-26JUL-T3.0"
    cfg = rt_config(tmp_path)
    eng = Engine(cfg)
    try:
        order = Order(key="c-sub2", ticker=cpi, side=Side.BUY, user_side="buy_yes", price=2_500, qty=700, tif="1",
                      subaccount=2)
        with eng._lock:
            eng.tracker.add(order)
            eng.journal.append(J.NEW, order.key, encode_order(order))
        eng.on_exec_report(ExecReport(exec_id="e2", order_id="o2", cl_ord_id="c-sub2", exec_type=ExecType.TRADE,
                                      ord_status=OrdStatus.FILLED, side=Side.BUY, symbol=cpi, order_qty=700,
                                      leaves_qty=0, cum_qty=700, price=2_500, last_px=2_500, last_qty=700,
                                      subaccount=2))
        assert eng.positions.net(cpi, 2) == 700 and eng.risk.daily_pnl == 0
        eng.on_settlement_wire("KalshiRT", SCALAR_7)  # party id is a UUID
        assert eng.positions.net(cpi, 2) == 0 and eng.positions.total_abs() == 0
        assert eng.risk.daily_pnl == 700 * (3_060 - 2_500) - 2_000  # settlement P&L net of the 0.002 fee
        assert eng.book.positions.position(cpi, 2).yes_qty == 0
    finally:
        eng.close()
    del eng
    gc.collect()
    again = Engine(cfg)
    try:
        assert again.book.positions.position(cpi, 2).yes_qty == 0
        assert again.book.positions.position(cpi, 0).payout == 0  # not booked to the primary account
        assert again.positions.net(cpi, 2) == 0 and again.positions.total_abs() == 0
    finally:
        again.close()

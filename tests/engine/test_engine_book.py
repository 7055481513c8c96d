"""The engine's fills and settlements flow into the numba book, and survive a restart."""

from __future__ import annotations

import gc

import pytest

from fixengine.engine import Engine, EventKind, OrderStatus
from fixengine.session.parse import MessageParseError, parse_settlement_report_text
from engine_helpers import LINEAR, engine_config

SOH = "\x01"


def ums(symbol: str, report_id: str, result: str, price: str, parties: list[tuple], last: str = "Y") -> str:
    """A MarketSettlementReport in wire order (part 2 §4.2): parties nest 1703 and 136 groups."""
    body = [f"35=UMS", f"20105={report_id}", f"55={symbol}", "715=20261125", f"20107={result}", f"730={price}",
            f"20108={len(parties)}"]
    for party_id, yes, no, payout, fee in parties:
        body += [f"20109={party_id}", "20110=24", f"704={yes}", f"705={no}", "1703=1", f"1704={payout}",
                 "1705=PAYOUT", "136=1", f"137={fee}", "138=USD", "139=4", "891=0"]
    body.append(f"893={last}")
    return SOH.join(["8=FIXT.1.1", "9=0"] + body + ["10=000"]) + SOH


def test_settlement_report_parses_nested_party_groups():
    wire = ums("KXCPI-T3.0", "r-1", "scalar", "30.60", [("0", "7.00", "0.00", "2.14", "0.002"),
                                                     ("party-B", "0.00", "5.00", "3.47", "0.00")], last="N")
    report = parse_settlement_report_text(wire)
    assert report.symbol == "KXCPI-T3.0" and report.result == "scalar"
    assert report.settlement_price_cents_x100 == 3060  # 30.60 cents == $0.3060
    assert report.last_fragment is False
    assert [(p.party_id, p.long_qty, p.short_qty, p.payout, p.fee) for p in report.parties] == [
        ("0", 700, 0, 2_140_000, 2_000), ("party-B", 0, 500, 3_470_000, 0)]


def test_settlement_report_without_symbol_is_a_parse_error():
    wire = ums("", "r-2", "yes", "100.00", [])
    with pytest.raises(MessageParseError, match="55"):
        parse_settlement_report_text(wire)


@pytest.mark.slow
def test_fills_and_settlement_reach_the_book_and_survive_restart(sim, keyring, tmp_path):
    trader_cfg = engine_config(tmp_path / "t", keyring, "trader_b")
    maker_cfg = engine_config(tmp_path / "m", keyring, "maker")
    ports = {"NR": sim.ports["NR"]}
    trader = Engine.from_config(trader_cfg, ports=ports)
    maker = Engine.from_config(maker_cfg, ports=ports)
    try:
        trader.connect()
        maker.connect()
        offer = maker.new_order(LINEAR, "sell_yes", "0.30", "6", tif="gtc")
        assert maker.wait(lambda: offer.status is OrderStatus.WORKING)
        lift = trader.new_order(LINEAR, "buy_yes", "0.30", "6", tif="ioc")
        assert trader.wait(lambda: lift.is_done) and lift.status is OrderStatus.FILLED
        # the order handle flips to FILLED a moment before the same report reaches the book
        assert trader.wait(lambda: trader.book.positions.position(LINEAR).yes_qty == 600), trader.book.errors
        book_pos = trader.book.positions.position(LINEAR)
        assert book_pos.no_qty == 0
        assert book_pos.fees == lift.fees > 0

        # A YES result pays $1 per YES contract; the book closes the position at the settlement value.
        trader.on_settlement_report(parse_settlement_report_text(
            ums(LINEAR, "settle-1", "yes", "100.00", [("0", "6.00", "0.00", "6.00", "0.00")])))
        settled = trader.book.positions.position(LINEAR)
        assert settled.yes_qty == 0 and settled.payout == 6_000_000
        assert any(e.kind is EventKind.SETTLEMENT for e in _drain(trader))
        fees = lift.fees
    finally:
        trader.close()
        maker.close()
    # QuickFIX registers sessions process-wide: the old initiator must be gone before a new one.
    del trader, maker, lift, offer
    gc.collect()

    # Restart on the same journal: the book is rebuilt with the fill and the settlement, counted once.
    again = Engine.from_config(trader_cfg, ports=ports)
    try:
        rebuilt = again.book.positions.position(LINEAR)
        assert rebuilt.yes_qty == 0 and rebuilt.payout == 6_000_000 and rebuilt.fees == fees
        assert again.recovery.settlements == 1
    finally:
        again.close()


def _drain(engine):
    out = []
    while not engine.events.empty():
        out.append(engine.events.get())
    return out

"""Every UMS example of part 2 §4.5 through the processor: parse, book, journal, batches, dedup."""

from __future__ import annotations

import pytest

from fixengine.book import Book
from fixengine.model import ExecReport, ExecType, OrdStatus, Side
from fixengine.settlement import SettlementJournal, SettlementProcessor
from fixengine.settlement.batches import BatchAssembler
from fixengine.session.parse import MessageParseError, parse_settlement_report_text
from ums_examples import NO_40, SCALAR_7, SOH, TWO_PAGE_1, TWO_PAGE_2, YES_100

PARTY = "8d7c6b5a-4e3f-4a2b-9c1d-0e9f8a7b6c5d"
HIGH = "KXHIGHNY-26AUG25-B85.5"


def processor(tmp_path, book=None, name="s.sqlite"):
    proc = SettlementProcessor(SettlementJournal(tmp_path / name), book=book, event_queue=True)
    seen = []
    proc.on_batch(seen.append)
    return proc, seen


def fill(symbol: str, side: Side, price: int, qty: int, exec_id: str, fee: int = 0) -> ExecReport:
    """A complete fill of a fresh order (what the trading session would have reported)."""
    return ExecReport(exec_id=exec_id, order_id=f"o-{exec_id}", cl_ord_id=f"c-{exec_id}", exec_type=ExecType.TRADE,
                      ord_status=OrdStatus.FILLED, side=side, symbol=symbol, order_qty=qty, leaves_qty=0,
                      cum_qty=qty, price=price, last_px=price, last_qty=qty, fee=fee)


def test_yes_example_pays_one_dollar_per_yes_contract(tmp_path):
    proc, seen = processor(tmp_path)
    outcome = proc.process_wire(YES_100, "KalshiPT")
    assert outcome.status == "applied"
    [batch] = seen
    assert (batch.symbol, batch.result, batch.settlement_price) == (HIGH, "yes", 10_000)
    assert batch.clearing_date == "20260826"
    assert (batch.long_qty, batch.short_qty, batch.payout, batch.fee) == (10_000, 0, 100_000_000, 0)
    assert batch.parties[0].party_id == PARTY and batch.pages == 1 and batch.complete
    assert proc.batches.get_nowait() is batch


def test_no_example_pays_the_no_contracts(tmp_path):
    proc, seen = processor(tmp_path)
    proc.process_wire(NO_40)
    [batch] = seen
    assert (batch.result, batch.settlement_price, batch.short_qty, batch.payout) == ("no", 0, 4_000, 40_000_000)


def test_scalar_example_keeps_the_rounding_fee_exactly(tmp_path):
    proc, seen = processor(tmp_path)
    proc.process_wire(SCALAR_7)
    [batch] = seen
    assert batch.result == "scalar" and batch.settlement_price == 3_060  # 30.60 cents = $0.3060
    # 7 x $0.306 = $2.142 unrounded = payout 2.14 + fee 0.002, in $0.000001 units
    assert (batch.payout, batch.fee) == (2_140_000, 2_000)
    assert batch.payout + batch.fee == 700 * 3_060  # qty units x price units = money units


def test_two_page_batch_is_delivered_once_when_the_last_page_arrives(tmp_path):
    proc, seen = processor(tmp_path)
    first = proc.process_wire(TWO_PAGE_1)
    assert first.status == "applied" and first.batches == [] and seen == []
    assert [b.pages for b in proc.pending()] == [1]
    proc.process_wire(TWO_PAGE_2)
    [batch] = seen
    assert batch.report_ids == ("11111111-2222-4333-8444-555555555555", "66666666-7777-4888-9999-aaaaaaaaaaaa")
    assert [p.party_id for p in batch.parties] == ["party-A", "party-B", "party-C"]
    assert (batch.long_qty, batch.short_qty, batch.payout) == (3_500, 500, 35_000_000)
    assert batch.total_reports == 2 and proc.pending() == []
    stored = proc.journal.batches()
    assert [(b.symbol, b.report_ids, b.complete) for b in stored] == [(HIGH, batch.report_ids, True)]


def test_a_resent_page_is_not_applied_twice(tmp_path):
    book = Book()
    book.apply_exec_report(fill(HIGH, Side.BUY, 6_000, 10_000, "f1"))
    proc, seen = processor(tmp_path, book)
    proc.process_wire(YES_100)
    resent = YES_100.replace(f"{SOH}34=2{SOH}", f"{SOH}34=9{SOH}43=Y{SOH}")
    again = proc.process_wire(resent)
    assert again.status == "duplicate" and proc.duplicates == 1 and len(seen) == 1
    pos = book.positions.position(HIGH)
    assert pos.payout == 100_000_000 and pos.realized_pnl == 100 * 1_000_000 - 60 * 1_000_000
    assert proc.journal.counts()["pages"] == 1


def test_a_resent_first_page_of_an_open_batch_is_a_duplicate(tmp_path):
    proc, seen = processor(tmp_path)
    proc.process_wire(TWO_PAGE_1)
    assert proc.process_wire(TWO_PAGE_1).status == "duplicate"
    proc.process_wire(TWO_PAGE_2)
    assert len(seen) == 1 and len(seen[0].parties) == 3


def test_book_closes_position_and_reports_realized_pnl(tmp_path):
    book = Book()
    book.apply_exec_report(fill("KXCPIYOY-26JUL-T3.0", Side.BUY, 2_500, 700, "f1", fee=20_000))
    proc, seen = processor(tmp_path, book)
    proc.process_wire(SCALAR_7.replace(PARTY, "0"))
    [batch] = seen
    party = batch.parties[0]
    cost = 700 * 2_500  # 7 contracts at $0.25
    assert party.cost == cost and party.subaccount == 0
    assert party.realized_pnl == 700 * 3_060 - cost  # settlement value - cost
    assert party.realized_pnl == party.payout + party.fee - cost  # = payout - cost before the rounding fee
    pos = book.positions.position("KXCPIYOY-26JUL-T3.0")
    assert (pos.yes_qty, pos.no_qty, pos.yes_cost) == (0, 0, 0)
    assert pos.payout == 2_140_000 and pos.fees == 20_000 + 2_000


def test_realized_pnl_is_unknown_when_the_book_did_not_hold_the_position(tmp_path):
    proc, seen = processor(tmp_path, Book())
    proc.process_wire(YES_100)
    assert seen[0].parties[0].realized_pnl is None and seen[0].realized_pnl is None


def test_party_ids_map_to_subaccounts(tmp_path):
    book = Book(party_subaccount={"party-A": 1, "party-B": 2, "party-C": 3})
    proc, seen = processor(tmp_path, book)
    proc.process_wire(TWO_PAGE_1)
    proc.process_wire(TWO_PAGE_2)
    assert [p.subaccount for p in seen[0].parties] == [1, 2, 3]
    assert book.positions.position(HIGH, 1).payout == 10_000_000
    assert book.positions.position(HIGH, 3).payout == 25_000_000


def test_uuid_party_ids_are_placed_by_the_subaccount_holding_them(tmp_path):
    book = Book()
    yes10 = fill(HIGH, Side.BUY, 4_000, 1_000, "a")
    no5 = fill(HIGH, Side.SELL, 4_000, 500, "b")
    yes10.subaccount, no5.subaccount = 1, 2
    book.apply_exec_reports([yes10, no5])
    proc, seen = processor(tmp_path, book)
    proc.process_wire(TWO_PAGE_1)
    proc.process_wire(TWO_PAGE_2)
    a, b, c = seen[0].parties
    assert (a.subaccount, b.subaccount, c.subaccount) == (1, 2, 0)  # party-C: nobody held 25 YES
    assert a.realized_pnl == 1_000 * (10_000 - 4_000) and b.realized_pnl == -500 * 6_000 and c.realized_pnl is None
    assert book.positions.position(HIGH, 1).yes_qty == 0 and book.positions.position(HIGH, 2).no_qty == 0
    assert book.positions.position(HIGH, 1).payout == 10_000_000
    proc.close()
    # after a restart the learned ids survive (from the journal) and the book is rebuilt per subaccount
    fresh = Book()
    again = SettlementProcessor(SettlementJournal(tmp_path / "s.sqlite"), book=fresh, restore_book=True)
    assert again.parties.learned == {"party-A": 1, "party-B": 2}
    assert fresh.positions.position(HIGH, 1).payout == 10_000_000
    assert fresh.positions.position(HIGH, 0).payout == 25_000_000


def test_explicit_party_mapping_wins(tmp_path):
    book = Book()
    proc = SettlementProcessor(SettlementJournal(tmp_path / "s.sqlite"), book=book,
                               party_subaccount={PARTY: 5})
    outcome = proc.process_wire(YES_100)
    assert outcome.report.parties[0].party_id == PARTY
    assert book.positions.position(HIGH, 5).payout == 100_000_000
    assert proc.journal.pages()[0].parties[0].subaccount == 5


@pytest.mark.parametrize("mangle, tag", [
    (lambda w: w.replace(f"{SOH}55=KXHIGHNY-26AUG25-B85.5", ""), "55"),
    (lambda w: w.replace("730=100.00", "730=abc"), "730"),
    (lambda w: w.replace("730=100.00", "730=100.01"), "730"),
    (lambda w: w.replace("704=100.00", "704=1e3"), "20108"),
    (lambda w: w.replace("20108=1", "20108=2"), "20108"),
    (lambda w: w.replace("20107=yes", "20107=maybe"), "20107"),
])
def test_malformed_pages_are_kept_raw_and_never_raise(tmp_path, mangle, tag):
    proc, seen = processor(tmp_path)
    bad = mangle(YES_100)
    outcome = proc.process_wire(bad, "KalshiPT")
    assert outcome.status == "rejected" and f"tag {tag}" in outcome.error
    [kept] = proc.journal.rejected()
    assert kept.raw == bad and kept.session == "KalshiPT" and tag in kept.error
    assert seen == [] and proc.journal.counts()["pages"] == 0


def test_old_capitalised_result_is_accepted():
    assert parse_settlement_report_text(YES_100.replace("20107=yes", "20107=Yes")).result == "yes"


def test_bad_page_count_is_a_parse_error():
    with pytest.raises(MessageParseError, match="20106"):
        parse_settlement_report_text(TWO_PAGE_1.replace("20106=2", "20106=two"))


def test_last_page_with_pages_missing_waits_for_them():
    assembler = BatchAssembler()
    p1, p2 = parse_settlement_report_text(TWO_PAGE_1), parse_settlement_report_text(TWO_PAGE_2)
    assert assembler.add(p2, []) == []  # the last page first (a gap being resent)
    [batch] = assembler.add(p1, [])
    assert batch.complete and set(batch.report_ids) == {p1.report_id, p2.report_id}


def test_absent_last_fragment_means_last_page():
    report = parse_settlement_report_text(YES_100.replace(f"893=Y{SOH}", ""))
    assert report.last_fragment and len(BatchAssembler().add(report, [])) == 1


def test_a_page_of_another_result_closes_the_open_batch_incomplete():
    assembler = BatchAssembler()
    assembler.add(parse_settlement_report_text(TWO_PAGE_1), [])
    other = parse_settlement_report_text(NO_40.replace("KXHIGHNY-26AUG25-B87.5", HIGH))
    closed = assembler.add(other, [])
    assert [(b.complete, b.result) for b in closed] == [(False, "yes"), (True, "no")]
    assert assembler.errors


def test_journal_survives_restart_and_resumes_an_open_batch(tmp_path):
    proc, _ = processor(tmp_path)
    proc.process_wire(YES_100)
    proc.process_wire(TWO_PAGE_1)
    proc.close()
    book = Book()
    again = SettlementProcessor(SettlementJournal(tmp_path / "s.sqlite"), book=book, restore_book=True)
    seen = []
    again.on_batch(seen.append)
    assert again.process_wire(YES_100).status == "duplicate"  # known from the journal
    assert again.process_wire(TWO_PAGE_1).status == "duplicate"
    again.process_wire(TWO_PAGE_2)
    [batch] = seen
    assert batch.pages == 2 and [p.party_id for p in batch.parties] == ["party-A", "party-B", "party-C"]
    assert book.positions.position("KXHIGHNY-26AUG25-B85.5", 0).payout > 0  # restored pages re-applied
    [page] = again.journal.pages(symbol="KXHIGHNY-26AUG25-B87.5") or [None]
    assert page is None
    first = again.journal.pages(symbol=HIGH)[0]
    assert first.raw == YES_100 and first.msg_seq_num == 2 and first.sending_time == "20260826-13:05:12.331"

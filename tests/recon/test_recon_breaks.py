"""Every break class from hand-built journals, reports and REST records."""

from __future__ import annotations

import dataclasses

import pytest

from fixengine.model import SettlementParty, SettlementReport, Side
from fixengine.recon.breaks import BreakType, Severity
from fixengine.recon.reconcile import reconcile
from fixengine.recon.sources import JournalView, ReportSet, RestView

from recon_helpers import (
    MKT, MKT2, cancel, fill, new_ack, order, rest_fill, rest_order, rest_position, rest_settlement, write_journal,
)


def _view(tmp_path, orders, reports):
    return JournalView.load(write_journal(tmp_path / "j.sqlite", orders, reports))


def _types(result):
    return sorted(b.type.value for b in result.breaks)


@pytest.fixture
def a():
    return order("a")


def test_clean_three_way(tmp_path, a):
    rs = [new_ack(a, "1;1", "OA"), fill(a, "2;2", "OA", 400, 400), fill(a, "3;3", "OA", 600, 1000)]
    rest = RestView.build([rest_fill(r) for r in rs[1:]], [rest_order(a, "OA", "executed", 1000)],
                          {(MKT, 0): rest_position(MKT, 1000)})
    result = reconcile(_view(tmp_path, [a], rs), ReportSet.build(rs), rest)
    assert result.clean and result.stats["matched_journal_reports"] == 2 and result.stats["matched_journal_rest"] == 2


def test_fill_missing_in_journal_from_reports_is_repairable(tmp_path, a):
    rs = [new_ack(a, "1;1", "OA"), fill(a, "2;2", "OA", 400, 400)]
    result = reconcile(_view(tmp_path, [a], rs[:1]), ReportSet.build(rs))
    miss = [b for b in result.breaks if b.type is BreakType.FILL_MISSING_IN_JOURNAL]
    assert len(miss) == 1
    b = miss[0]
    assert (b.exec_id, b.ours, b.theirs, b.diff, b.severity, b.repairable) == ("2;2", 0, 400, 400,
                                                                               Severity.CRITICAL, True)
    assert [c.report.exec_id for c in result.candidates] == ["2;2"]
    # the order-level consequences are reported too
    assert BreakType.QTY_MISMATCH in {x.type for x in result.breaks}


def test_fill_missing_in_journal_from_rest_only(tmp_path, a):
    rs = [new_ack(a, "1;1", "OA"), fill(a, "2;2", "OA", 400, 400)]
    rest = RestView.build([rest_fill(rs[1])], [rest_order(a, "OA", "resting", 400)], {(MKT, 0): rest_position(MKT, 400)})
    result = reconcile(_view(tmp_path, [a], rs[:1]), None, rest)
    miss = [b for b in result.breaks if b.type is BreakType.FILL_MISSING_IN_JOURNAL]
    assert len(miss) == 1 and miss[0].theirs_source == "rest" and miss[0].repairable
    pos = [b for b in result.breaks if b.type is BreakType.POSITION_MISMATCH]
    assert pos[0].ours == 0 and pos[0].theirs == 400 and pos[0].diff == 400


def test_fill_missing_in_reports_only_inside_their_exec_id_range(tmp_path, a):
    journal = [new_ack(a, "1;1", "OA"), fill(a, "2;2", "OA", 100, 100), fill(a, "5;5", "OA", 100, 200),
               fill(a, "9;9", "OA", 100, 300)]
    listener = [journal[0], journal[2]] + [new_ack(order("zz"), "10;10", "OZ")]  # covers 1;1 .. 10;10
    dc = ReportSet.build([journal[2]])  # a replay of just 5;5: covers nothing else
    view = _view(tmp_path, [a, order("zz")], journal)
    flagged = [b.exec_id for b in reconcile(view, ReportSet.build(listener)).breaks
               if b.type is BreakType.FILL_MISSING_IN_REPORTS]
    assert sorted(flagged) == ["2;2", "9;9"]
    assert not [b for b in reconcile(view, dc).breaks if b.type is BreakType.FILL_MISSING_IN_REPORTS]


def test_fill_missing_in_reports_severity_depends_on_rest(tmp_path, a):
    journal = [new_ack(a, "1;1", "OA"), fill(a, "2;2", "OA", 100, 100), fill(a, "3;3", "OA", 100, 200)]
    reports = ReportSet.build([journal[0], journal[2]] + [new_ack(order("q"), "4;4", "OQ")])
    view = _view(tmp_path, [a, order("q")], journal)
    confirmed = RestView.build([rest_fill(journal[1]), rest_fill(journal[2])])
    unconfirmed = RestView.build([rest_fill(journal[2])])

    def severity(rest):
        return [b.severity for b in reconcile(view, reports, rest).breaks
                if b.type is BreakType.FILL_MISSING_IN_REPORTS]

    assert severity(confirmed) == [Severity.LOW]
    assert severity(unconfirmed) == [Severity.HIGH]
    assert severity(None) == [Severity.MEDIUM]


def test_fill_missing_in_rest(tmp_path, a):
    journal = [new_ack(a, "1;1", "OA"), fill(a, "2;2", "OA", 100, 100)]
    result = reconcile(_view(tmp_path, [a], journal), None, RestView.build([], [rest_order(a, "OA", "resting", 100)],
                                                                           {(MKT, 0): rest_position(MKT, 100)}))
    assert _types(result) == ["fill_missing_in_rest"]


@pytest.mark.parametrize("field,change,kind", [
    ("last_qty", 300, BreakType.QTY_MISMATCH),
    ("last_px", 4600, BreakType.PRICE_MISMATCH),
    ("fee", 9000, BreakType.FEE_MISMATCH),
    ("side", Side.SELL, BreakType.FILL_FIELD_MISMATCH),
    ("symbol", MKT2, BreakType.FILL_FIELD_MISMATCH),
])
def test_fill_field_mismatches(tmp_path, a, field, change, kind):
    mine = fill(a, "2;2", "OA", 400, 400)
    theirs = dataclasses.replace(mine, **{field: change})
    result = reconcile(_view(tmp_path, [a], [mine]), ReportSet.build([theirs]))
    hits = [b for b in result.breaks if b.type is kind]
    assert len(hits) == 1 and hits[0].exec_id == "2;2"
    if kind in (BreakType.QTY_MISMATCH, BreakType.PRICE_MISMATCH, BreakType.FEE_MISMATCH):
        expected = {"last_qty": 400, "last_px": 4500, "fee": 7000}[field]
        assert hits[0].ours == expected and hits[0].theirs == change and hits[0].diff == change - expected


def test_fill_mismatch_against_rest_by_order_and_trade_id(tmp_path, a):
    mine = fill(a, "2;2", "OA", 400, 400)
    theirs = rest_fill(dataclasses.replace(mine, fee=12_000))
    result = reconcile(_view(tmp_path, [a], [mine]), None, RestView.build([theirs]))
    fee = [b for b in result.breaks if b.type is BreakType.FEE_MISMATCH]
    assert len(fee) == 1 and fee[0].theirs_source == "rest" and fee[0].diff == 5_000


def test_unknown_orders_from_each_source(tmp_path, a):
    stranger = order("x")
    theirs = [fill(stranger, "7;7", "OX", 100, 100)]
    rest = RestView.build([], [rest_order(order("y"), "OY", "resting", 0)])
    journal = [new_ack(a, "1;1", "OA"), new_ack(order("z"), "2;2", "OZ")]  # "z" has no intent
    result = reconcile(_view(tmp_path, [a], journal), ReportSet.build(theirs + journal), rest)
    unknown = {(b.order_id, b.theirs_source) for b in result.breaks if b.type is BreakType.UNKNOWN_ORDER}
    assert unknown == {("OX", "reports"), ("OY", "rest"), ("OZ", "journal")}
    missing = [b for b in result.breaks if b.type is BreakType.FILL_MISSING_IN_JOURNAL]
    assert missing and not missing[0].repairable and not result.candidates


def test_order_missing_at_exchange(tmp_path, a):
    b = order("b")
    result = reconcile(_view(tmp_path, [a, b], [new_ack(a, "1;1", "OA")]), None,
                       RestView.build([], [rest_order(a, "OA", "resting", 0)]))
    assert [(x.type, x.cl_ord_id) for x in result.breaks] == [(BreakType.ORDER_MISSING_AT_EXCHANGE, "b")]


def test_status_mismatch(tmp_path, a):
    journal = [new_ack(a, "1;1", "OA")]
    result = reconcile(_view(tmp_path, [a], journal), ReportSet.build(journal + [cancel(a, "2;2", "OA", 0)]),
                       RestView.build([], [rest_order(a, "OA", "canceled", 0)]))
    status = [(b.theirs_source, b.ours, b.theirs) for b in result.breaks if b.type is BreakType.STATUS_MISMATCH]
    assert sorted(status) == [("reports", "open", "canceled"), ("rest", "open", "canceled")]


def test_position_mismatch_per_market_and_subaccount(tmp_path):
    a, s = order("a"), order("s", sub=3)
    journal = [fill(a, "1;1", "OA", 1000, 1000), fill(s, "2;2", "OS", 1000, 1000)]
    rest = RestView.build([rest_fill(r) for r in journal], [rest_order(a, "OA", "executed", 1000),
                                                            rest_order(s, "OS", "executed", 1000)],
                          {(MKT, 0): rest_position(MKT, 1000), (MKT, 3): rest_position(MKT, 700),
                           (MKT2, 0): rest_position(MKT2, -200)})
    result = reconcile(_view(tmp_path, [a, s], journal), None, rest)
    pos = sorted((b.ticker, b.subaccount, b.ours, b.theirs, b.diff) for b in result.breaks
                 if b.type is BreakType.POSITION_MISMATCH)
    assert pos == sorted([(MKT, 3, 1000, 700, -300), (MKT2, 0, 0, -200, -200)])


def test_position_from_long_short_qty_when_no_rest(tmp_path, a):
    journal = [fill(a, "1;1", "OA", 400, 400, net=400)]
    theirs = [journal[0], fill(a, "2;2", "OA", 100, 500, net=900)]  # exchange says 9 contracts after 2;2
    result = reconcile(_view(tmp_path, [a], journal), ReportSet.build(theirs))
    pos = [b for b in result.breaks if b.type is BreakType.POSITION_MISMATCH]
    assert len(pos) == 1 and (pos[0].ours, pos[0].theirs) == (400, 900)


def test_settlement_and_payout_mismatch(tmp_path, a):
    journal = [fill(a, "1;1", "OA", 1000, 1000)]  # 10 YES held
    view = _view(tmp_path, [a], journal)
    # exchange settled 10 YES at $1 and paid $10.00: clean
    ok = RestView.build([rest_fill(journal[0])], [rest_order(a, "OA", "executed", 1000)], {},
                        {(MKT, 0): rest_settlement(MKT, 1000, 0, 1000, "yes", 100)})
    assert reconcile(view, None, ok).clean
    bad = RestView.build([rest_fill(journal[0])], [rest_order(a, "OA", "executed", 1000)], {},
                         {(MKT, 0): rest_settlement(MKT, 800, 0, 700, "yes", 100)})
    result = reconcile(view, None, bad)
    settle = [b for b in result.breaks if b.type is BreakType.SETTLEMENT_MISMATCH]
    payout = [b for b in result.breaks if b.type is BreakType.PAYOUT_MISMATCH]
    assert (settle[0].ours, settle[0].theirs, settle[0].diff) == (1000, 800, -200)
    assert (payout[0].ours, payout[0].theirs, payout[0].diff) == (10_000_000, 7_000_000, -3_000_000)


def test_payout_rounding_to_the_cent_is_not_a_break(tmp_path):
    a = order("a", price=3333, qty=333)
    journal = [fill(a, "1;1", "OA", 333, 333)]
    view = _view(tmp_path, [a], journal)
    # scalar settlement at $0.3060: 3.33 x 0.3060 = $1.018980 -> paid $1.01 (rounded down to the cent)
    rest = RestView.build([rest_fill(journal[0])], [rest_order(a, "OA", "executed", 333)], {},
                          {(MKT, 0): rest_settlement(MKT, 333, 0, 101, "scalar", None)})
    rest.settlements[(MKT, 0)] = dataclasses.replace(rest.settlements[(MKT, 0)], value_cents=None)
    ums = [SettlementReport("r1", MKT, "20261125", "scalar", 3060,
                            parties=[SettlementParty("0", 333, 0, 1_010_000, 8_980)])]
    result = reconcile(view, None, None, ums)
    assert result.clean
    short = [SettlementReport("r2", MKT, "20261125", "scalar", 3060,
                              parties=[SettlementParty("0", 333, 0, 1_000_000, 0)])]
    payout = [b for b in reconcile(view, None, None, short).breaks if b.type is BreakType.PAYOUT_MISMATCH]
    assert payout and payout[0].diff == 1_000_000 - 1_018_980


def test_break_keys_are_stable_and_distinct(tmp_path, a):
    rs = [new_ack(a, "1;1", "OA"), fill(a, "2;2", "OA", 400, 400), fill(a, "3;3", "OA", 100, 500)]
    view = _view(tmp_path, [a], rs[:1])
    k1 = [b.key for b in reconcile(view, ReportSet.build(rs)).breaks]
    k2 = [b.key for b in reconcile(view, ReportSet.build(rs)).breaks]
    assert k1 == k2 and len(set(k1)) == len(k1)


def test_reports_older_than_the_journal_are_not_a_status_break(tmp_path, a):
    journal = [new_ack(a, "1;1", "OA"), cancel(a, "2;2", "OA", 0)]
    assert reconcile(_view(tmp_path, [a], journal), ReportSet.build(journal[:1])).clean
    # but a newer report the journal never saw is
    result = reconcile(_view(tmp_path / "x", [a], journal[:1]), ReportSet.build(journal))
    assert [b.type for b in result.breaks] == [BreakType.STATUS_MISMATCH]

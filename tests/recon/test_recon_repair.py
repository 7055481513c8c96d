"""Repair: back-fill into journal and book, replay-correct, idempotent, then a clean second run."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from fixengine.engine import journal as J
from fixengine.engine.orders import OrderStatus
from fixengine.model import ExecType, OrdStatus
from fixengine.recon.reconcile import reconcile
from fixengine.recon.repair import book_from_journal, repair
from fixengine.recon.sources import JournalView, ReportSet, RestView

from recon_helpers import (
    MKT, cancel, fill, new_ack, order, rest_fill, rest_order, rest_position, write_journal,
)


def test_repair_backfills_then_second_run_is_clean_and_nothing_twice(tmp_path):
    a, b = order("a"), order("b", price=4000, qty=500, sub=2)
    rs = [new_ack(a, "1;1", "OA"), fill(a, "2;2", "OA", 400, 400), new_ack(b, "3;3", "OB"),
          fill(a, "4;4", "OA", 600, 1000), fill(b, "5;5", "OB", 500, 500)]
    path = write_journal(tmp_path / "j.sqlite", [a, b], rs[:3])
    reports = ReportSet.build(rs)
    first = reconcile(JournalView.load(path), reports)
    assert not first.clean
    book = book_from_journal(path)
    assert book.positions.position(MKT).yes_qty == 400
    rep = repair(path, first, reports, book=book)
    assert [r.exec_id for r in rep.appended] == ["4;4", "5;5"]
    assert all(r.session.startswith("recon:") for r in rep.appended)
    assert {(p.ticker, p.subaccount, p.before, p.after) for p in rep.positions} == {(MKT, 0, 400, 1000),
                                                                                    (MKT, 2, 0, 500)}
    assert book.positions.position(MKT).yes_qty == 1000 and book.positions.position(MKT, 2).yes_qty == 500
    assert any("appended 2" in line for line in rep.lines())
    view = JournalView.load(path)
    assert reconcile(view, reports).clean
    assert view.tracker.orders["a"].status is OrderStatus.FILLED and view.positions.net(MKT) == 1000
    # second repair: nothing appended; the book ignores the same reports again
    again = repair(path, reconcile(view, reports), reports, book=book)
    assert again.appended == [] and not again.positions
    assert book.apply_exec_reports(rep.appended) == 0 and book.positions.position(MKT).yes_qty == 1000
    journal = J.Journal(path)
    assert journal.count(J.EXEC_REPORT) == 5
    journal.close()


def test_missed_partial_fill_of_an_order_the_journal_closed_keeps_it_closed(tmp_path):
    a = order("a")
    rs = [new_ack(a, "1;1", "OA"), fill(a, "2;2", "OA", 300, 300), cancel(a, "3;3", "OA", 300)]
    path = write_journal(tmp_path / "j.sqlite", [a], [rs[0], rs[2]])
    reports = ReportSet.build(rs)
    rep = repair(path, reconcile(JournalView.load(path), reports), reports)
    assert len(rep.appended) == 1
    fixed = rep.appended[0]
    assert fixed.exec_type is ExecType.TRADE and fixed.ord_status is OrdStatus.CANCELED and fixed.leaves_qty == 0
    view = JournalView.load(path)
    order_a = view.tracker.orders["a"]
    assert order_a.status is OrderStatus.CANCELED and not order_a.is_open and view.positions.net(MKT) == 300
    assert reconcile(view, reports).clean


def test_missed_cancel_is_backfilled_so_status_agrees(tmp_path):
    a = order("a")
    rs = [new_ack(a, "1;1", "OA"), cancel(a, "2;2", "OA", 0)]
    path = write_journal(tmp_path / "j.sqlite", [a], rs[:1])
    reports = ReportSet.build(rs)
    rest = RestView.build([], [rest_order(a, "OA", "canceled", 0)])
    assert not reconcile(JournalView.load(path), reports, rest).clean
    repair(path, reconcile(JournalView.load(path), reports, rest), reports, rest)
    assert reconcile(JournalView.load(path), reports, rest).clean


def test_rest_only_fills_become_synthetic_reports_in_time_order(tmp_path):
    a = order("a")
    f1, f2 = fill(a, "2;2", "OA", 300, 300), fill(a, "3;3", "OA", 700, 1000)
    path = write_journal(tmp_path / "j.sqlite", [a], [new_ack(a, "1;1", "OA")])
    r1, r2 = rest_fill(f1), rest_fill(f2)
    r2 = dataclasses.replace(r2, created_time=r1.created_time + timedelta(seconds=5))
    rest = RestView.build([r2, r1], [rest_order(a, "OA", "executed", 1000)], {(MKT, 0): rest_position(MKT, 1000)})
    rep = repair(path, reconcile(JournalView.load(path), None, rest), None, rest)
    assert [(r.last_qty, r.cum_qty, r.ord_status) for r in rep.appended] == [
        (300, 300, OrdStatus.PARTIALLY_FILLED), (700, 1000, OrdStatus.FILLED)]
    assert rep.appended[0].exec_id == f"RECON;OA;{f1.trd_match_id}"
    assert reconcile(JournalView.load(path), None, rest).clean
    assert repair(path, reconcile(JournalView.load(path), None, rest), None, rest).appended == []

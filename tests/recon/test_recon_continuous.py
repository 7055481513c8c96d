"""Continuous mode: reports checked as they arrive, the journal read incrementally."""

from __future__ import annotations

import dataclasses

from fixengine.engine import journal as J
from fixengine.model import ExecType
from fixengine.recon.breaks import BreakType
from fixengine.recon.continuous import Reconciler

from recon_helpers import fill, new_ack, order, write_journal


def test_feed_checks_each_fill_and_waits_for_the_journal(tmp_path):
    a = order("a")
    rs = [new_ack(a, "1;1", "OA"), fill(a, "2;2", "OA", 400, 400), fill(a, "3;3", "OA", 600, 1000)]
    path = write_journal(tmp_path / "j.sqlite", [a], rs[:2])
    seen = []
    rec = Reconciler(path, grace=1, on_break=seen.append)
    assert rec.feed(rs[0]) == [] and rec.feed(rs[1]) == []
    bad = dataclasses.replace(rs[2], last_px=4600)
    assert rec.feed(bad) == []  # not in the journal yet: pending, not a break
    assert rec.pending == ["3;3"]
    assert rec.check().clean  # within the grace period the young fill is not counted
    result = rec.check()  # still absent one check later: now it is a break
    assert BreakType.FILL_MISSING_IN_JOURNAL in {b.type for b in result.breaks}
    # the engine journals it (late); the next check compares it and finds the price break
    journal = J.Journal(path)
    journal.exec_report(rs[2])
    journal.close()
    rec.check()
    assert rec.pending == [] and [b.type for b in seen] == [BreakType.PRICE_MISMATCH]
    assert (seen[0].ours, seen[0].theirs) == (4500, 4600)


def test_feed_dedupes_and_flags_conflicting_copies(tmp_path):
    a = order("a")
    r = fill(a, "2;2", "OA", 400, 400)
    path = write_journal(tmp_path / "j.sqlite", [a], [r])
    rec = Reconciler(path)
    assert rec.feed(r) == [] and rec.feed(dataclasses.replace(r, poss_dup=True)) == []
    assert rec.feed(dataclasses.replace(r, exec_id="-1;-1", exec_type=ExecType.PENDING_NEW)) == []
    conflict = rec.feed(dataclasses.replace(r, last_qty=999))
    assert [b.type for b in conflict] == [BreakType.DUPLICATE_CONFLICT]
    assert (rec.received, rec.duplicates, rec.pending_skipped) == (4, 2, 1)
    assert rec.feed(dataclasses.replace(r, exec_id="5;5", trd_match_id="t-5")) == []  # not journaled: waits
    assert rec.check().clean and len(rec.check().breaks) > 0


def test_shares_a_running_engines_journal_object(tmp_path):
    a = order("a")
    rs = [new_ack(a, "1;1", "OA"), fill(a, "2;2", "OA", 400, 400)]
    path = write_journal(tmp_path / "j.sqlite", [a], rs[:1])
    journal = J.Journal(path)  # held open (and locked) as the engine holds it
    try:
        rec = Reconciler(journal, grace=0)
        rec.feed_many(rs)
        assert rec.pending == ["2;2"]
        journal.exec_report(rs[1])  # the engine writes it
        assert rec.check().clean and rec.pending == [] and rec.breaks == []
    finally:
        journal.close()

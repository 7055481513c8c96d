"""De-duplication on ExecID: replays, PossDup copies, pending ids, journal copies; fast == naive."""

from __future__ import annotations

import dataclasses
import random

from fixengine.engine import journal as J
from fixengine.model import ExecType
from fixengine.recon.breaks import BreakType
from fixengine.recon.fills import FillSet, load_journal_fills
from fixengine.recon.matching import compare_fills, naive_compare
from fixengine.recon.reconcile import reconcile
from fixengine.recon.sources import JournalView, ReportSet

from recon_helpers import fill, new_ack, order, write_journal


def test_replays_possdup_and_pending_are_counted_once(tmp_path):
    a = order("a")
    rs = [new_ack(a, "1;1", "OA"), fill(a, "2;2", "OA", 400, 400), fill(a, "3;3", "OA", 600, 1000)]
    pending = dataclasses.replace(rs[0], exec_id="-1;-1", exec_type=ExecType.PENDING_NEW)
    replayed = rs + [dataclasses.replace(r, poss_dup=True) for r in rs] + rs[1:] + [pending, pending]
    reports = ReportSet.build(replayed)
    assert (reports.received, reports.duplicates, reports.pending_skipped) == (len(replayed), 5, 2)
    assert len(reports.reports) == 3 and len(reports.fills) == 2 and reports.fills.duplicates == 4
    assert int(reports.fills.qty.sum()) == 1000
    result = reconcile(JournalView.load(write_journal(tmp_path / "j.sqlite", [a], rs + rs[1:2])), reports)
    assert result.clean


def test_pending_exec_id_is_never_a_key():
    a = order("a")
    p1 = dataclasses.replace(fill(a, "-1;-1", "OA", 100, 100))
    p2 = dataclasses.replace(fill(a, "-1;-1", "OA", 200, 300))
    assert len(FillSet.from_reports("reports", [p1, p2])) == 0


def test_conflicting_copies_of_one_exec_id_are_a_break(tmp_path):
    a = order("a")
    good = fill(a, "2;2", "OA", 400, 400)
    bad = dataclasses.replace(good, last_qty=500, poss_dup=True)
    result = reconcile(JournalView.load(write_journal(tmp_path / "j.sqlite", [a], [good])),
                       ReportSet.build([good, bad]))
    assert [b.type for b in result.breaks] == [BreakType.DUPLICATE_CONFLICT]


def test_journal_copies_dedupe_like_the_engine_replay(tmp_path):
    a = order("a")
    r = fill(a, "2;2", "OA", 400, 400)
    path = write_journal(tmp_path / "j.sqlite", [a], [r, r, dataclasses.replace(r, poss_dup=True)])
    fills = load_journal_fills(path)
    assert len(fills) == 1 and fills.duplicates == 2
    view = JournalView.load(path)
    assert view.positions.net(a.ticker) == 400  # the tracker applied it once too
    journal = J.Journal(path)
    assert journal.count(J.EXEC_REPORT) == 3
    journal.close()


def _random_reports(n: int, seed: int):
    rng = random.Random(seed)
    orders = [order(f"o{i}", price=rng.randrange(100, 9900, 100)) for i in range(20)]
    out = []
    for i in range(n):
        o = rng.choice(orders)
        out.append(fill(o, f"{i + 1};{i + 1}", f"ID-{o.key}", rng.randrange(1, 50) * 100, 0,
                        px=rng.randrange(100, 9900, 100), fee=rng.randrange(0, 20_000)))
    return out


def test_fast_path_finds_exactly_what_the_naive_comparison_finds(tmp_path):
    ours = _random_reports(400, 1)
    rng = random.Random(2)
    theirs = []
    for r in ours:
        roll = rng.random()
        if roll < 0.05:
            continue  # missing at the exchange side
        if roll < 0.10:
            r = dataclasses.replace(r, last_qty=r.last_qty + 100)
        elif roll < 0.13:
            r = dataclasses.replace(r, last_px=r.last_px + 100, fee=r.fee + 1)
        theirs.append(r)
    theirs += _random_reports(430, 3)[400:]  # ExecIDs the journal never saw
    path = write_journal(tmp_path / "j.sqlite", [], ours)
    fast = compare_fills(load_journal_fills(path), FillSet.from_reports("reports", theirs))
    slow, only_ours, only_theirs = naive_compare(ours, theirs)

    def key(b):
        return (b.exec_id, b.type.value, b.field, b.ours, b.theirs, b.diff)

    assert sorted(map(key, fast.breaks)) == sorted(map(key, slow)) and len(slow) > 20
    assert sorted(fast.ours.exec_id[i] for i in fast.only_ours) == sorted(only_ours) and len(only_ours) > 10
    assert sorted(fast.theirs.exec_id[i] for i in fast.only_theirs) == sorted(only_theirs) == [
        f"{i};{i}" for i in range(401, 431)]


WIRE = ("8=FIXT.1.1|9=462|35=8|49=KalshiNR|56=0f8fad5b-d9cb-469f-a165-70867728950e|34=5|52=20260820-14:32:00.512|"
        "37=1a2b3c4d-0000-4e2c-8f61-0a9b8c7d6e5f|11=c9a0d3e4-1111-4a2b-9c3d-5e6f7a8b9c0d|17=812351;4|150=F|39=2|54=1|"
        "55=KXHIGHNY-26AUG21-B85.5|38=4.00|44=0.6100|31=0.6000|32=4.00|151=0.00|14=4.00|6=0.6000|"
        "60=20260820-14:32:00.510|30=0|715=20260820|880=7d1e2f3a-aaaa-4bbb-8ccc-1234567890ab|1057=Y|704=4.00|"
        "705=0.00|136=1|137=0.0700|138=USD|139=4|891=0|1703=1|1704=-2.4700|1705=BALANCE|10=151|").replace("|", "\x01")


def test_wire_recorded_reports_are_read_like_parsed_ones(tmp_path):
    from fixengine.session.parse import parse_exec_report_text

    r = parse_exec_report_text(WIRE, use_dollars=True)
    path = tmp_path / "j.sqlite"
    journal = J.Journal(path)
    journal.exec_report(r, wire=WIRE)
    journal.exec_report(r, wire=WIRE)  # a resent copy
    journal.close()
    view = JournalView.load(path)
    assert "812351;4" in view.exec_ids
    fills = view.fills
    assert len(fills) == 1 and fills.duplicates == 1
    assert (fills.exec_id[0], int(fills.qty[0]), int(fills.price[0]), int(fills.fee[0])) == ("812351;4", 400,
                                                                                              6000, 70_000)
    result = reconcile(view, ReportSet.build([r, dataclasses.replace(r, poss_dup=True)]))
    assert result.stats["matched_journal_reports"] == 1
    assert not [b for b in result.breaks if b.exec_id == "812351;4"]


def test_columnar_jsonl_path_equals_the_object_path(tmp_path):
    from fixengine.recon.sources import read_report_dicts_jsonl, write_reports_jsonl

    a = order("a")
    rs = [new_ack(a, "1;1", "OA"), fill(a, "2;2", "OA", 400, 400), fill(a, "3;3", "OA", 600, 1000)]
    rs += [dataclasses.replace(rs[1], poss_dup=True), dataclasses.replace(rs[2], fee=1),
           dataclasses.replace(rs[0], exec_id="-1;-1", exec_type=ExecType.PENDING_NEW)]
    write_reports_jsonl(tmp_path / "r.jsonl", rs)
    by_dict = FillSet.from_dicts("reports", read_report_dicts_jsonl([tmp_path / "r.jsonl"]))
    by_obj = FillSet.from_reports("reports", rs)
    for name in ("exec_id", "order_id", "symbol", "match_id"):
        assert getattr(by_dict, name) == getattr(by_obj, name)
    for name in ("qty", "price", "fee", "side", "subaccount"):
        assert getattr(by_dict, name).tolist() == getattr(by_obj, name).tolist()
    assert (by_dict.duplicates, len(by_dict.conflicts)) == (by_obj.duplicates, len(by_obj.conflicts)) == (2, 1)

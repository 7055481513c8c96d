"""Benchmark: reconcile N execution reports against an order journal of N trade reports.

    .venv/bin/python bench/reconcile.py            # N = 1,000,000 (a couple of minutes, ~3 GB RAM)
    .venv/bin/python bench/reconcile.py --quick    # N = 100,000
    .venv/bin/python bench/reconcile.py --n 250000

The journal is a real SQLite order journal (fixengine.engine.journal schema, one ExecutionReport
record per fill); the reports are ExecReport objects as the listener / drop copy delivers them, with
1 % PossDup copies, 0.1 % fills the journal lacks, 0.1 % the reports lack and 0.1 % with a
quantity, price or fee difference. Both comparisons run in the same process on the same data:

* naive: decode every journal record with Journal.records() + decode_exec_report and every
  report line into an ExecReport (read_reports_jsonl), then compare record by record in Python
  dicts keyed on ExecID (matching.naive_compare);
* fast: SQLite cuts the journal records down to the compared fields, both sides are decoded with
  one json.loads each straight into columns (no record objects), joined through one hashed ExecID
  index and compared with NumPy (fills.load_journal_fills, FillSet.from_dicts,
  matching.compare_fills);
* a third row shows the fast path when the reports are ExecReport objects already (in memory).

Both sides are files, as `fixengine reconcile --journal ... --reports ...` reads them: the
journal in SQLite, the reports as JSONL.

Throughput = N reports / seconds, end to end (journal load + report ingest + compare) and for the
compare step alone. Both must find the same breaks (checked). Goal: fast >= 100,000 reports/s.
Not a test: it reports, it does not assert the goal.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from _common import machine_lines, markdown_table, ratio
from fixengine.engine import journal as J
from fixengine.model import ExecReport, ExecType, OrdStatus, Side
from fixengine.recon.fills import FillSet, load_journal_fills
from fixengine.recon.matching import compare_fills, naive_compare
from fixengine.recon.sources import read_report_dicts_jsonl, read_reports_jsonl, write_reports_jsonl

GOAL = 100_000
SYMBOLS = [f"KXBENCH-26NOV25-T{i:03d}" for i in range(200)]
STAMP = "20261125-15:00:00.000"


def make_reports(n: int, seed: int = 7) -> list[ExecReport]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        qty = rng.randrange(1, 100) * 100
        px = rng.randrange(1, 100) * 100
        oid = f"{i // 4:08x}-0000-4000-8000-000000000000"
        out.append(ExecReport(f"{1_700_000_000_000_000 + i};{i + 1}", oid, f"c-{i // 4}", ExecType.TRADE,
                              OrdStatus.PARTIALLY_FILLED, Side.BUY if i & 1 else Side.SELL, SYMBOLS[i % 200],
                              10_000, 5_000, qty, avg_px=px, price=px, last_px=px, last_qty=qty,
                              fee=rng.randrange(0, 50_000), transact_time=STAMP, trd_match_id=f"m{i}"))
    return out


def perturb(reports: list[ExecReport], seed: int = 11) -> tuple[list[ExecReport], list[ExecReport], dict]:
    """(journal side, exchange side, counts of what was planted)."""
    rng = random.Random(seed)
    n = len(reports)
    journal = list(reports)
    theirs = []
    planted = {"missing_in_journal": 0, "missing_in_reports": 0, "field": 0, "possdup": 0}
    drop_journal = set(rng.sample(range(n), n // 1000))
    drop_theirs = set(rng.sample(range(n), n // 1000)) - drop_journal
    change = set(rng.sample(range(n), n // 1000)) - drop_journal - drop_theirs
    for i, r in enumerate(reports):
        if i in drop_theirs:
            planted["missing_in_reports"] += 1
            continue
        if i in change:
            planted["field"] += 1
            r = ExecReport(**{f: getattr(r, f) for f in J.ER_FIELDS})
            r.last_qty += 100
        theirs.append(r)
        if rng.random() < 0.01:
            planted["possdup"] += 1
            theirs.append(r)
    planted["missing_in_journal"] = len(drop_journal)
    journal = [r for i, r in enumerate(journal) if i not in drop_journal]
    return journal, theirs, planted


def write_journal(path: Path, reports: list[ExecReport]) -> None:
    """The journal's own schema and record encoding, written in one transaction (the engine commits
    each record; that is its durability cost, not the reconciler's)."""
    J.Journal(path).close()
    db = sqlite3.connect(str(path))
    now = time.time_ns()
    fields = J.ER_FIELDS
    with db:
        db.executemany("INSERT INTO journal (ts_ns, kind, key, data) VALUES (?, ?, ?, ?)",
                       ((now, J.EXEC_REPORT, r.cl_ord_id,
                         json.dumps([_plain(getattr(r, f)) for f in fields], separators=(",", ":")))
                        for r in reports))
    db.close()


def _collect() -> None:
    gc.enable()
    gc.collect()
    gc.disable()


def _plain(v):
    return v.value if hasattr(v, "value") else v


def run_naive(path: Path, jsonl: Path) -> tuple[dict, tuple]:
    t0 = time.perf_counter()
    journal = J.Journal(path)
    mine = [J.decode_exec_report(data) for _s, kind, _k, data in journal.records() if kind == J.EXEC_REPORT]
    journal.close()
    t1 = time.perf_counter()
    theirs = read_reports_jsonl([jsonl])
    t2 = time.perf_counter()
    breaks, only_ours, only_theirs = naive_compare(mine, theirs)
    t3 = time.perf_counter()
    return {"load": t1 - t0, "ingest": t2 - t1, "compare": t3 - t2, "total": t3 - t0}, (breaks, only_ours,
                                                                                         only_theirs)


def run_fast(path: Path, jsonl: Path) -> tuple[dict, tuple]:
    t0 = time.perf_counter()
    mine = load_journal_fills(path)
    t1 = time.perf_counter()
    other = FillSet.from_dicts("reports", read_report_dicts_jsonl([jsonl]))
    t2 = time.perf_counter()
    m = compare_fills(mine, other)
    t3 = time.perf_counter()
    result = (m.breaks, [mine.exec_id[i] for i in m.only_ours], [other.exec_id[i] for i in m.only_theirs])
    return {"load": t1 - t0, "ingest": t2 - t1, "compare": t3 - t2, "total": t3 - t0}, result


def run_fast_objects(path: Path, theirs: list[ExecReport]) -> dict:
    """The fast path when the reports are already ExecReport objects in memory (listener callback)."""
    t0 = time.perf_counter()
    mine = load_journal_fills(path)
    t1 = time.perf_counter()
    other = FillSet.from_reports("reports", theirs)
    t2 = time.perf_counter()
    compare_fills(mine, other)
    t3 = time.perf_counter()
    return {"load": t1 - t0, "ingest": t2 - t1, "compare": t3 - t2, "total": t3 - t0}


def same(a: tuple, b: tuple) -> bool:
    def keys(breaks):
        return sorted((x.exec_id, x.field, x.ours, x.theirs) for x in breaks)
    return keys(a[0]) == keys(b[0]) and sorted(a[1]) == sorted(b[1]) and sorted(a[2]) == sorted(b[2])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 100,000")
    parser.add_argument("--n", type=int, default=None, help="reports on each side (default 1,000,000)")
    args = parser.parse_args(argv)
    n = args.n or (100_000 if args.quick else 1_000_000)
    print(f"# Reconciliation: {n:,} execution reports vs a journal of {n:,}\n")
    print(machine_lines() + "\n")
    t = time.perf_counter()
    base = make_reports(n)
    journal_side, theirs, planted = perturb(base)
    del base
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "orders.sqlite"
        jsonl = Path(tmp) / "reports.jsonl"
        write_journal(path, journal_side)
        write_reports_jsonl(jsonl, theirs)
        del journal_side
        gc.collect()
        print(f"setup {time.perf_counter() - t:.1f} s; planted: {planted}; reports incl. copies: {len(theirs):,}\n")
        gc.disable()  # both paths allocate heavily; collection pauses would be charged at random
        try:
            fast_t, fast_r = run_fast(path, jsonl)
            _collect()
            objects_t = run_fast_objects(path, theirs)
            _collect()
            naive_t, naive_r = run_naive(path, jsonl)
        finally:
            gc.enable()
    rows = []
    for name, tm in (("naive: decode records, compare in dicts", naive_t),
                     ("fast: columns + hashed ExecID + NumPy", fast_t),
                     ("fast, reports already ExecReport objects", objects_t)):
        rows.append([name, f"{tm['load']:.2f}", f"{tm['ingest']:.2f}", f"{tm['compare']:.2f}", f"{tm['total']:.2f}",
                     f"{n / tm['total']:,.0f}", f"{n / tm['compare']:,.0f}"])
    print(markdown_table(["path", "journal load s", "reports ingest s", "compare s", "total s",
                          "reports/s end to end", "reports/s compare"], rows))
    print()
    print(f"speed-up end to end: {ratio(naive_t['total'], fast_t['total'])}; journal load: "
          f"{ratio(naive_t['load'], fast_t['load'])}; reports ingest: {ratio(naive_t['ingest'], fast_t['ingest'])}; "
          f"compare: {ratio(naive_t['compare'], fast_t['compare'])}")
    agree = same(fast_r, naive_r)
    print(f"same breaks found by both: {agree} ({len(fast_r[0])} field breaks, {len(fast_r[1])} missing in reports, "
          f"{len(fast_r[2])} missing in journal)")
    for label, tm in (("reports from JSONL files", fast_t), ("reports in memory", objects_t)):
        rate = n / tm["total"]
        print(f"goal >= {GOAL:,} reports/s end to end, {label}: {'met' if rate >= GOAL else 'NOT met'} "
              f"({rate:,.0f}); compare step alone {n / tm['compare']:,.0f}/s")
    return 0 if agree else 1


if __name__ == "__main__":
    raise SystemExit(main())

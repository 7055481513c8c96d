"""bench/rfq_settlement.py: its helpers, its argument checks, and one tiny run against the simulator."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))
import rfq_settlement as B  # noqa: E402
from run_all import bench_scripts  # noqa: E402


def test_marks_keep_the_first_time_and_wake_a_waiter():
    marks = B.Marks()
    got = []
    waiter = threading.Thread(target=lambda: got.append(marks.wait("x", timeout=5)))
    waiter.start()
    marks.mark("x")
    first = marks.at["x"]
    marks.mark("x")  # a repeat (e.g. a resent message) does not move the stamp
    waiter.join(5)
    assert got == [first] and marks.at["x"] == first
    marks.reset()
    with pytest.raises(TimeoutError, match="no 'x' within"):
        marks.wait("x", timeout=0.01)


def test_series_reports_nearest_rank_percentiles_in_us():
    series = B.Series()
    for ns in range(1_000, 101_000, 1_000):  # 1..100 us
        series.add("a", ns)
    assert series.stats("a") == (100, 50.0, 90.0, 99.0)
    assert series.stats("missing") == (0, 0.0, 0.0, 0.0)
    rows = B._rows(series, ["a"], "a")
    assert rows == [["a", "100", "50.0", "90.0", "99.0", "-", "-"]]


def test_arguments_are_checked_and_quick_is_small():
    quick = B.parse_args(["--quick"])
    full = B.parse_args([])
    assert quick.n < full.n and quick.parties < full.parties == 64 and quick.rounds < full.rounds
    for bad in (["--parties", "65"], ["--parties", "0"], ["--n", "0"], ["--page-size", "0"]):
        with pytest.raises(SystemExit):
            B.parse_args(bad)


def test_run_all_picks_the_script_up():
    assert "rfq_settlement.py" in [p.name for p in bench_scripts()]


ROW = re.compile(r"^\| (?P<name>[^|]+?) +\| +(?P<n>[\d,]+) \| +(?P<p50>[\d.]+) \| +(?P<p90>[\d.]+) \|"
                 r" +(?P<p99>[\d.]+) \| +(?P<r50>[\d.]+x|-) \|", re.M)


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_tiny_run_measures_every_flow_against_its_baseline():
    cmd = [sys.executable, str(BENCH / "rfq_settlement.py"), "--quick", "--n", "6", "--warmup", "2", "--rounds", "2",
           "--parties", "6", "--page-size", "4", "--replays", "3"]
    proc = subprocess.run(cmd, cwd=BENCH.parent, capture_output=True, text=True, timeout=150)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    rows = {m["name"]: m for m in ROW.finditer(out)}
    expected = {B.BASE: 6, "group: UOG create -> UOH": 6, "group: UOG reset -> UOH": 6, "rfq: R -> b": 6,
                "rfq: R -> quote seen by creator": 6, "rfq: UA -> UC": 6, "rfq: maker U7 -> U8": 6,
                "settle e2e: admin settle -> batch delivered": 2,
                "settle page: parse+book+journal (not closing)": 3,  # 6 parties, 4 a page: 2 pages
                "settle page: closing page -> batch delivered": 3, "settle batch: all pages -> batch delivered": 3}
    for name, n in expected.items():
        assert name in rows, (name, out)
        row = rows[name]
        assert int(row["n"].replace(",", "")) == n, (name, row["n"])
        assert 0 < float(row["p50"]) <= float(row["p90"]) <= float(row["p99"]), row.group(0)
        assert row["r50"] == "-" if name in (B.BASE, B.ER_BASE) else row["r50"].endswith("x")
    assert int(rows[B.ER_BASE]["n"]) >= 200
    # a quote reaches the creator only through the maker, after the RFQ's own ack
    assert float(rows["rfq: R -> quote seen by creator"]["p50"]) > float(rows["rfq: R -> b"]["p50"])
    assert "(2 pages of <= 4 parties, 3 replays" in out
    assert "matched to the book's holdings (cost and realized P&L known): 48 of 48" in out  # (5 + 3) x 6
    assert "- quickfix: 1.16.0" in out and "callback errors 0" in out
    assert "local Write-bucket waits 0, 380=8 from the exchange 0," in out

"""Bench scripts: shared helpers, discovery by run_all.py, and each script run in its quickest mode."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))
from _common import (  # noqa: E402
    Recorder,
    markdown_table,
    percentile,
    pin_to,
    ratio,
    run_block,
    run_interleaved,
    summarize_ns,
)
from run_all import bench_scripts  # noqa: E402
from run_all import main as run_all_main  # noqa: E402


def test_percentile_is_nearest_rank():
    values = list(range(1, 1001))  # 1..1000
    assert percentile(values, 50) == 500
    assert percentile(values, 99) == 990
    assert percentile(values, 99.9) == 999
    assert percentile(values, 100) == 1000
    assert percentile(values, 0) == 1
    assert percentile([7], 99.9) == 7
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile(values, 101)


def test_summarize_converts_ns_to_us_and_ignores_input_order():
    s = summarize_ns([3_000, 1_000, 2_000, 10_000])
    assert (s.n, s.p50, s.max) == (4, 2.0, 10.0)
    assert s.mean == pytest.approx(4.0)
    assert s.cells() == ["2.0", "10.0", "10.0"]


def test_markdown_table_aligns_numbers_right_and_checks_widths():
    text = markdown_table(["case", "p50"], [["a", "12.5"], ["long name", "3.0"]])
    lines = text.splitlines()
    assert lines[0] == "| case      |  p50 |"
    assert lines[1] == "|-----------|-----:|"
    assert lines[3] == "| long name |  3.0 |"
    with pytest.raises(ValueError):
        markdown_table(["a", "b"], [["only one"]])
    assert ratio(12.0, 10.0) == "1.20x" and ratio(1.0, 0.0) == "-"


class FakeClient:
    """Answers every order at once from inside send(), like a counterparty with zero latency."""

    def __init__(self, name: str, total: int, poll_mode: bool, log: list, answer: bool = True) -> None:
        self.name, self.poll_mode, self.log, self.answer = name, poll_mode, log, answer
        self.rec = Recorder(total, threaded=not poll_mode)
        self.polls = 0

    def poll(self) -> None:
        self.polls += 1

    def send(self, i: int) -> None:
        assert self.rec.cur == i
        self.log.append((self.name, i))
        if self.answer:
            self.rec.ack[i] = self.rec.fill[i] = 1
            self.rec.finish(i)


class FakeCase:
    def __init__(self, client) -> None:
        self.client, self.next_index = client, 0


def test_interleaved_driver_runs_every_order_once_and_never_a_case_twice_in_a_row():
    log: list = []
    cases = [FakeCase(FakeClient(name, 50, name == "p", log)) for name in ("t", "p", "x")]
    run_interleaved(cases, warmup=5, n=45, block=10, interval_ns=0, seed=1)
    for case in cases:
        sent = [i for name, i in log if name == case.client.name]
        assert sent == list(range(50))
        assert all(case.client.rec.done) and not case.client.rec.failures
        assert all(case.client.rec.t0[i] > 0 for i in range(50))
    blocks = [log[k][0] for k in range(0, len(log), 10)]  # every block is 10 orders of one case
    assert all(a != b for a, b in zip(blocks, blocks[1:]))


@pytest.mark.parametrize("poll_mode", [True, False])
def test_driver_records_an_order_that_is_never_answered(poll_mode):
    client = FakeClient("mute", 2, poll_mode, [], answer=False)
    run_block(client, 0, 2, interval_ns=0, timeout_s=0.01)
    assert client.rec.done == [False, False]
    assert len(client.rec.failures) == 2 and "no fill" in client.rec.failures[0]
    assert (client.polls > 0) == poll_mode


def test_pinning_accepts_known_cpus_only():
    import os

    before = os.sched_getaffinity(0)
    try:
        assert pin_to(before) is True
        assert os.sched_getaffinity(0) == before
        assert pin_to({os.cpu_count() + 5}) is False
        assert pin_to(set()) is False
    finally:
        os.sched_setaffinity(0, before)


def test_run_all_finds_every_script_but_helpers(tmp_path):
    for name in ("book.py", "roundtrip.py", "_common.py", "run_all.py", "notes.txt"):
        (tmp_path / name).write_text("")
    assert [p.name for p in bench_scripts(tmp_path)] == ["book.py", "roundtrip.py"]
    assert "roundtrip.py" in [p.name for p in bench_scripts()]


def test_run_all_refuses_an_unknown_script(capsys):
    assert run_all_main(["--only", "no_such_bench"]) == 2
    assert "no bench script named no_such_bench" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.timeout(400)
@pytest.mark.parametrize("script", bench_scripts(), ids=lambda p: p.stem)
def test_bench_script_quick_mode_runs(script):
    proc = subprocess.run([sys.executable, str(script), "--quick"], cwd=BENCH.parent, capture_output=True,
                          text=True, timeout=360)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.stdout.strip()
    if script.stem == "roundtrip":
        _check_roundtrip_output(proc.stdout)


def _check_roundtrip_output(out: str) -> None:
    assert "- quickfix: 1.16.0" in out and "- cpus:" in out
    rows = re.findall(r"^\| \((a|b|c)\) [^|]+\| (threaded|poll) +\| (order->ack|order->fill) +\| +([\d,]+) \|"
                      r" +([\d.]+) \| +([\d.]+) \| +([\d.]+) \|", out, re.M)
    assert len(rows) == 12, out  # 3 cases x 2 modes x (ack, fill)
    for _, _, _, n, p50, p99, p999 in rows:
        assert int(n.replace(",", "")) >= 990  # --quick measures 1,000 orders; <1 % may fail
        assert 0 < float(p50) <= float(p99) <= float(p999)
    by = {(case, mode, measure): float(p50) for case, mode, measure, _, p50, _, _ in rows}
    for case in "abc":
        for mode in ("threaded", "poll"):
            assert by[(case, mode, "order->ack")] <= by[(case, mode, "order->fill")]
    ratios = re.findall(r"^\| (threaded|poll) +\| order->fill +\| +([\d.]+)x \|", out, re.M)
    assert {mode for mode, _ in ratios} == {"threaded", "poll"}
    assert "## README table" in out and "Engine.new_order" in out

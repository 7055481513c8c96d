"""Helpers shared by the bench scripts: percentiles, Markdown tables, machine facts, CPU pinning,
helper processes (a counterparty on its own CPU and GIL) and a ping-pong latency driver.

Every bench script in this folder is run by `bench/run_all.py` with `--quick`; the helpers here
keep their output uniform (latencies in microseconds, tables in Markdown so they paste into the
README as they are).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import queue
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter_ns


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of values sorted ascending.

    Nearest rank, not interpolation: p99.9 of 20,000 samples is the 19,980th value, a latency
    that was actually observed.
    """
    if not sorted_values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0..100")
    rank = max(1, -(-len(sorted_values) * q // 100))  # ceil(n * q / 100), at least the first value
    return sorted_values[int(rank) - 1]


@dataclass(frozen=True, slots=True)
class Summary:
    """Latency summary in microseconds."""

    n: int
    p50: float
    p99: float
    p999: float
    mean: float
    max: float

    def cells(self) -> list[str]:
        return [f"{self.p50:.1f}", f"{self.p99:.1f}", f"{self.p999:.1f}"]


def summarize_ns(samples_ns: Iterable[int]) -> Summary:
    """p50 / p99 / p99.9 / mean / max in µs of nanosecond samples."""
    values = sorted(samples_ns)
    if not values:
        raise ValueError("no samples to summarize")
    us = [v / 1000.0 for v in values]
    return Summary(len(us), percentile(us, 50), percentile(us, 99), percentile(us, 99.9),
                   sum(us) / len(us), us[-1])


def ratio(value: float, reference: float) -> str:
    """'1.23x' (or '-' when there is no reference)."""
    if reference <= 0:
        return "-"
    return f"{value / reference:.2f}x"


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table; numeric-looking columns are right-aligned."""
    rows = [[str(cell) for cell in row] for row in rows]
    for row in rows:
        if len(row) != len(headers):
            raise ValueError(f"row {row} has {len(row)} cells for {len(headers)} headers")
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    numeric = [bool(rows) and all(_looks_numeric(r[i]) for r in rows) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        parts = [c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, numeric)]
        return "| " + " | ".join(parts) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if num else ("-" * (w + 2)) for w, num in zip(widths, numeric)) + "|"
    return "\n".join([line(list(headers)), rule, *(line(r) for r in rows)])


def _looks_numeric(cell: str) -> bool:
    text = cell.rstrip("x%").replace(",", "").replace(".", "", 1).lstrip("-")
    return text.isdigit() or cell == "-"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine_info() -> dict[str, str]:
    """The facts a reader needs to compare figures between machines."""
    try:
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "unknown"
    return {
        "cpus": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "python": f"{platform.python_implementation()} {sys.version.split()[0]}",
        "quickfix": _version("quickfix"),
        "os": f"{platform.system()} {platform.release()}",
        "load average (1/5/15 min)": load,
    }


def machine_lines() -> str:
    return "\n".join(f"- {key}: {value}" for key, value in machine_info().items())


# --------------------------------------------------------------------- helper processes
# A bench that needs a counterparty on its own CPU and GIL (an exchange simulator, an acceptor)
# runs it as `<script> --serve KIND --spec FILE`: the child prints one READY line with a JSON
# object (ports ...) on stdout, serves, and stops when the parent closes its stdin.

READY = "READY "


def pin_to(cpus: Iterable[int]) -> bool:
    """Pin the calling thread (and the threads it starts later) to `cpus`; False where unsupported.

    A round trip on one box has both ends competing for CPUs that, in production, live on
    different machines: a spinning client gets preempted by the counterparty it just woke up.
    Pinning client and counterparty to different CPUs keeps that artefact out of the figures.
    """
    wanted = set(cpus)  # not checked against our own mask: a child pinned elsewhere inherits its parent's
    try:
        if not wanted or max(wanted) >= (os.cpu_count() or 1):
            return False
        os.sched_setaffinity(0, wanted)
    except (AttributeError, OSError):
        return False
    return True


def announce_ready(info: dict) -> None:
    """Child side: tell the parent we are serving (nothing else may go to stdout before this)."""
    sys.stdout.write(READY + json.dumps(info) + "\n")
    sys.stdout.flush()


def wait_for_parent() -> None:
    """Child side: block until the parent closes our stdin (or dies)."""
    sys.stdin.readline()


class ServerProcess:
    """Parent side: start `script --serve kind --spec <json>` and read its READY object (`info`)."""

    def __init__(self, script: str | Path, kind: str, spec: dict, folder: Path) -> None:
        path = Path(folder) / f"{kind}-{uuid.uuid4().hex[:8]}.json"
        path.write_text(json.dumps(spec))
        self.kind = kind
        self.proc = subprocess.Popen([sys.executable, str(script), "--serve", kind, "--spec", str(path)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith(READY):
            self.stop()
            raise RuntimeError(f"{kind} helper process did not start (exit {self.proc.returncode}): {line!r}")
        self.info: dict = json.loads(line[len(READY):])

    def stop(self, timeout_s: float = 15.0) -> None:
        if self.proc.poll() is not None:
            return
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=timeout_s)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


# --------------------------------------------------------------------- ping-pong latency driver
# One order in flight per client. A client has `rec` (a Recorder), `poll_mode`, `poll()` (one
# non-blocking step of its event loop) and `send(i)`; its callbacks stamp rec.ack / rec.fill at
# the order rec.cur and call rec.finish(i) when the order is done (filled or not).


class Recorder:
    """Per-order timestamps (ns) written by callbacks; one order is in flight at a time."""

    def __init__(self, total: int, threaded: bool) -> None:
        self.cur = 0
        self.threaded = threaded
        self.t0 = [0] * total
        self.handoff = [0] * total  # when the message reaches QuickFIX's Session.send
        self.ret = [0] * total  # when the send call returned
        self.ack = [0] * total
        self.fill = [0] * total
        self.done = [False] * total
        self.wake: queue.SimpleQueue[int] = queue.SimpleQueue()
        self.failures: list[str] = []

    def finish(self, i: int) -> None:
        self.done[i] = True
        if self.threaded:
            self.wake.put(i)


def run_block(client, start: int, count: int, interval_ns: int, timeout_s: float = 2.0) -> None:
    """Send `count` orders one after another, each when the previous one is done (and paced)."""
    rec, polled = client.rec, client.poll_mode
    poll, send, wake = client.poll, client.send, rec.wake
    timeout_ns = int(timeout_s * 1e9)
    next_at = perf_counter_ns()
    for i in range(start, start + count):
        if polled:
            while perf_counter_ns() < next_at:
                poll()
        else:
            while not wake.empty():  # a report that arrived after its order timed out
                wake.get_nowait()
            gap = next_at - perf_counter_ns()
            if gap > 0:
                time.sleep(gap / 1e9)
        rec.cur = i
        t0 = perf_counter_ns()
        send(i)
        rec.ret[i] = perf_counter_ns()
        rec.t0[i] = t0
        if polled:
            while not rec.done[i]:
                poll()
                if perf_counter_ns() - t0 > timeout_ns:
                    break
        else:
            try:
                wake.get(timeout=timeout_s)
            except queue.Empty:
                pass
        if not rec.done[i]:
            rec.failures.append(f"order {i}: no fill within {timeout_s} s")
        next_at = t0 + interval_ns


def run_interleaved(cases: list, warmup: int, n: int, block: int, interval_ns: int, seed: int) -> None:
    """Run every case's orders 0..warmup+n-1 in blocks, shuffled per round, never the same case twice
    in a row (so a rate-limited account always rests between its blocks). A case has `.client`
    (see run_block) and `.next_index`."""
    total = warmup + n
    rng = random.Random(seed)
    last = None
    while any(c.next_index < total for c in cases):
        order = [c for c in cases if c.next_index < total]
        rng.shuffle(order)
        if order[0] is last and len(order) > 1:
            order[0], order[-1] = order[-1], order[0]
        for case in order:
            count = min(block, total - case.next_index)
            run_block(case.client, case.next_index, count, interval_ns)
            case.next_index += count
        last = order[-1]

"""Finds scenario files, runs them one after another against a target, writes the evidence."""

from __future__ import annotations

import fnmatch
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TextIO

from fixengine.cert.report import failure_block, progress_line, summary_line, write_reports
from fixengine.cert.runner import ERROR, FAIL, ScenarioResult, ScenarioRunner
from fixengine.cert.scenario import Scenario, load_scenario
from fixengine.cert.target import Target
from fixengine.errors import FixEngineError
from fixengine.fix.spec import SPEC_DIR

DEFAULT_SCENARIO_DIR = SPEC_DIR / "cert"


class SuiteError(FixEngineError):
    """The suite cannot run at all (no scenarios, unreadable files): exit code 2."""


def discover(directory: Path = DEFAULT_SCENARIO_DIR, patterns: list[str] | None = None) -> list[Scenario]:
    """All *.yaml scenarios in `directory` (sorted by file name) whose name or file matches a pattern."""
    if not directory.is_dir():
        raise SuiteError(f"scenario directory {directory} does not exist")
    files = sorted(directory.glob("*.yaml"))
    chosen = []
    for path in files:
        if patterns and not any(fnmatch.fnmatch(path.stem, p) or fnmatch.fnmatch(path.name, p) for p in patterns):
            continue
        chosen.append(load_scenario(path))
    if not chosen:
        wanted = f" matching {', '.join(patterns)}" if patterns else ""
        raise SuiteError(f"no scenarios{wanted} in {directory}")
    return chosen


@dataclass(slots=True)
class SuiteRun:
    results: list[ScenarioResult] = field(default_factory=list)
    seconds: float = 0.0
    reports: tuple[Path, ...] = ()

    @property
    def exit_code(self) -> int:
        return 1 if any(r.verdict in (FAIL, ERROR) for r in self.results) else 0


def run_suite(scenarios: list[Scenario], target: Target, report_dir: Path | None = None,
              out: TextIO | None = None, verbose: bool = False,
              on_result: Callable[[ScenarioResult], None] | None = None) -> SuiteRun:
    out = out if out is not None else sys.stdout  # looked up per call: callers may redirect stdout
    run = SuiteRun()
    started = time.monotonic()
    total = len(scenarios)
    for position, scenario in enumerate(scenarios, 1):
        if target.prepare is not None and all(target.has(r) for r in scenario.requires):
            target.prepare()
        result = ScenarioRunner(scenario, target).run()
        if target.cleanup is not None and result.transcript.entries:
            result.transcript.note("cleanup", target.cleanup())
        run.results.append(result)
        print(progress_line(result, position, total), file=out, flush=True)
        if verbose and result.verdict in (FAIL, ERROR):
            print(failure_block(result), file=out, flush=True)
        if on_result is not None:
            on_result(result)
    run.seconds = time.monotonic() - started
    failed = [r for r in run.results if r.verdict in (FAIL, ERROR)]
    if failed and not verbose:
        print("", file=out)
        for result in failed:
            print(failure_block(result) + "\n", file=out)
    print(summary_line(run.results, run.seconds), file=out, flush=True)
    if report_dir is not None:
        run.reports = write_reports(run.results, report_dir, target.name, run.seconds)
        print(f"reports: {run.reports[0]}  {run.reports[1]}", file=out, flush=True)
    return run

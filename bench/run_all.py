"""Run every bench script in this folder in turn (what `make bench` does).

A bench script is any `bench/*.py` except this runner and modules whose name starts with an
underscore (shared helpers such as `_common.py`). Each one is run in its own interpreter with
`--quick` (or without it under `--full`); the exit status is non-zero when any script failed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def bench_scripts(folder: Path = BENCH_DIR) -> list[Path]:
    """The bench scripts in `folder`, sorted by name."""
    return sorted(p for p in folder.glob("*.py") if p.name != "run_all.py" and not p.name.startswith("_"))


def run_script(script: Path, full: bool, timeout_s: float) -> tuple[int, float]:
    """Run one script with the same interpreter; its output streams through. Returns (status, seconds)."""
    cmd = [sys.executable, str(script)] + ([] if full else ["--quick"])
    print(f"\n===== {script.name}: {' '.join(cmd[1:])}", flush=True)
    started = time.monotonic()
    try:
        status = subprocess.run(cmd, cwd=BENCH_DIR.parent, timeout=timeout_s, check=False).returncode
    except subprocess.TimeoutExpired:
        print(f"===== {script.name}: timed out after {timeout_s:.0f} s", flush=True)
        status = 124
    return status, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="run each script at its default size, not --quick")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run only this script (file name with or without .py; repeatable)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds per script (default: 300 with --quick, 900 with --full)")
    args = parser.parse_args(argv)
    scripts = bench_scripts()
    if args.only:
        wanted = {name.removesuffix(".py") for name in args.only}
        unknown = wanted - {p.stem for p in scripts}
        if unknown:
            print(f"no bench script named {', '.join(sorted(unknown))}; have {', '.join(p.stem for p in scripts)}")
            return 2
        scripts = [p for p in scripts if p.stem in wanted]
    if not scripts:
        print(f"no bench scripts in {BENCH_DIR}")
        return 1
    timeout_s = args.timeout or (900.0 if args.full else 300.0)
    results = [(script.name, *run_script(script, args.full, timeout_s)) for script in scripts]
    print("\n===== summary")
    for name, status, seconds in results:
        print(f"  {'ok    ' if status == 0 else 'FAILED'} {name} ({seconds:.1f} s, exit {status})")
    return 0 if all(status == 0 for _, status, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())

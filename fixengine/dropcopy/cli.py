"""`fixengine dropcopy`: replay ExecID ranges from KalshiDC, or record a listener session, to JSONL.

The JSONL (one fixengine.model.ExecReport a line) is what `fixengine reconcile --reports` reads.
Exit codes: 0 done, 2 could not run (bad config, logon refused, U3 reject, timeout).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from fixengine.config import load_config
from fixengine.config.types import EngineConfig, SessionKind
from fixengine.dropcopy.client import DropCopyClient, ListenerClient
from fixengine.errors import UserInputError
from fixengine.recon.sources import read_reports_jsonl, write_reports_jsonl

EPILOG = """\
ranges: ExecIDs are clock;event on exchange index 0 and clock;event;index elsewhere; a range stays
  on one index (give --range once per index). Without an end the replay runs to the newest event
  of your history on that index. KalshiDC keeps 3 hours: an older begin is rejected (21004=3).
  Rate-limit (1) and server-error (2) rejects are retried with backoff (--retries).
output: --out FILE receives every replayed report (JSONL); --append keeps what the file holds and
  skips ExecIDs already in it, so repeated runs never duplicate a report.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("dropcopy", help="KalshiDC replay / listener capture to JSONL for reconcile",
                              description=__doc__.splitlines()[0], epilog=EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="dropcopy_command", metavar="ACTION")
    sub.required = True
    r = sub.add_parser("replay", help="replay ExecID ranges from KalshiDC", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    _common(r)
    r.add_argument("--range", dest="ranges", action="append", required=True, metavar="BEGIN[..END]",
                   help="ExecID range, e.g. 8812000;1..8812034;57 or 90211;4;1 (open-ended)")
    r.add_argument("--retries", type=int, default=3, help="retries of rate-limit / server-error rejects")
    r.set_defaults(func=cmd_replay)
    lst = sub.add_parser("listen", help="record a listener session (20126=Y) for a while")
    _common(lst)
    lst.add_argument("--session", default="NR", choices=["NR", "RT"], help="session kind to listen on")
    lst.add_argument("--seconds", type=float, required=True, help="how long to listen")
    lst.set_defaults(func=cmd_listen)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", required=True, metavar="FILE", help="client config (YAML) with the session's key")
    p.add_argument("--port", type=int, metavar="N", help="override the session port (local simulator 'auto')")
    p.add_argument("--out", required=True, metavar="FILE", help="JSONL output")
    p.add_argument("--append", action="store_true", help="add to --out, skipping ExecIDs it already holds")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for logon / each answer")
    p.add_argument("--logout-timeout", type=float, default=2.0, help="seconds to wait for the Logout answer")


def _config(args: argparse.Namespace, kind: SessionKind) -> EngineConfig:
    cfg = load_config(args.config)
    if args.port is not None:
        cfg = cfg.with_endpoints(ports={kind: args.port})
    elif cfg.session(kind).port_is_auto:
        raise UserInputError(f"{args.config}: session {kind.value} port is 'auto': give --port")
    return cfg


def parse_range(text: str) -> tuple[str, str | None]:
    begin, sep, end = text.partition("..")
    if not begin or (sep and not end):
        raise UserInputError(f"--range {text!r}: expected BEGIN or BEGIN..END (ExecIDs)")
    return begin, (end or None)


def _write(args: argparse.Namespace, reports: list) -> tuple[int, int]:
    """(written, skipped as already present)."""
    out = Path(args.out)
    kept = read_reports_jsonl([out]) if args.append and out.exists() else []
    seen = {r.exec_id for r in kept}
    fresh = []
    for r in reports:
        if r.exec_id not in seen:
            seen.add(r.exec_id)
            fresh.append(r)
    write_reports_jsonl(out, kept + fresh)
    return len(fresh), len(reports) - len(fresh)


def cmd_replay(args: argparse.Namespace, out=None) -> int:
    out = out or sys.stdout
    ranges = [parse_range(t) for t in args.ranges]
    cfg = _config(args, SessionKind.DC)
    reports = []
    dc = DropCopyClient(cfg, retries=args.retries, logout_timeout=args.logout_timeout)
    try:
        dc.connect(args.timeout)
        for begin, end in ranges:
            replay = dc.request(begin, end, args.timeout)
            print(f"{begin}..{end or '(latest)'}: {replay.count} reports", file=out)
            reports += replay.reports
    finally:
        dc.close()
    written, skipped = _write(args, reports)
    print(f"wrote {written} reports to {args.out}" + (f" ({skipped} already there)" if skipped else ""), file=out)
    return 0


def cmd_listen(args: argparse.Namespace, out=None) -> int:
    out = out or sys.stdout
    kind = SessionKind(args.session)
    cfg = _config(args, kind)
    listener = ListenerClient(cfg, kind, logout_timeout=args.logout_timeout)
    try:
        listener.connect(args.timeout)
        time.sleep(max(0.0, args.seconds))
        reports = list(listener.reports)
    finally:
        listener.close()
    written, skipped = _write(args, reports)
    print(f"listened {args.seconds:g} s on Kalshi{kind.value}: wrote {written} reports to {args.out}"
          + (f" ({skipped} already there)" if skipped else ""), file=out)
    return 0

"""`fixengine reconcile`: compare the order journal with execution reports and REST, report, repair.

Exit code 0 = clean, 1 = breaks found (after repair, when --repair), 2 = could not run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from fixengine.errors import UserInputError
from fixengine.model import SettlementParty, SettlementReport
from fixengine.recon.eod import write_eod
from fixengine.recon.output import EXIT_BREAKS, EXIT_CLEAN, exit_code, summary_table, write_csv, write_json
from fixengine.recon.reconcile import ReconResult, reconcile
from fixengine.recon.repair import book_from_journal, repair
from fixengine.recon.sources import JournalView, ReportSet, RestView, iter_jsonl_lines, read_reports_jsonl
from fixengine.recon.store import ReconStore

EPILOG = """\
sources:
  the journal is always read (the engine's own view, rebuilt exactly as a restart would);
  --reports adds execution reports from the listener / drop copy (JSONL, one ExecReport a line,
  field names of fixengine.model.ExecReport); REST is read with --rest-config (client config: its
  rest_base_url, tier and the key of --session) or --rest-url + --key-id + --key.
outputs (in --out): breaks.csv, breaks.json, eod.md + eod.svg (end-of-day report), and the
  terminal summary; every run and break is kept in --store (runs, breaks, resolved flags).
repair (--repair): appends every missed execution report (and a synthetic report per fill only
  REST shows) to the journal, applies them to a book rebuilt from the journal, prints what
  changed, then reconciles again; the exit code is the second run's.
exit codes: 0 clean, 1 breaks, 2 could not run.
the order journal admits one user at a time (the engine locks it): run this while the engine is
  stopped (it replays the repaired journal on restart), or reconcile continuously inside the
  engine's process with fixengine.recon.Reconciler(engine.journal).
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("reconcile", help="reconcile the order journal with drop copy / listener and REST",
                              description=__doc__.splitlines()[0], epilog=EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--journal", required=True, metavar="PATH", help="the engine's order journal (SQLite)")
    p.add_argument("--reports", nargs="+", default=[], metavar="FILE",
                   help="execution reports from the listener / drop copy, JSONL (replays and PossDup copies "
                        "are de-duplicated on ExecID)")
    p.add_argument("--settlements", nargs="+", default=[], metavar="FILE",
                   help="MarketSettlementReports (UMS) as JSONL: report_id, symbol, clearing_date, result, "
                        "settlement_price_cents_x100, parties[{party_id,long_qty,short_qty,payout,fee}]")
    rest = p.add_argument_group("REST (optional)")
    rest.add_argument("--rest-config", metavar="FILE", help="client config with rest_base_url and a session key")
    rest.add_argument("--session", metavar="KIND", help="which session's API key to use with --rest-config")
    rest.add_argument("--rest-url", metavar="URL", help="REST base URL ending in /trade-api/v2")
    rest.add_argument("--key-id", metavar="ID", help="API key id for --rest-url")
    rest.add_argument("--key", metavar="PATH", help="private key PEM for --rest-url")
    rest.add_argument("--subaccount", type=int, action="append", default=[], metavar="N",
                      help="also read positions/settlements of subaccount N (those seen anywhere are read anyway)")
    p.add_argument("--out", metavar="DIR", default="recon-out", help="where CSV / JSON / EOD files go "
                                                                     "(default: ./recon-out)")
    p.add_argument("--store", metavar="PATH",
                   help="run/break store (default: recon.sqlite next to the journal)")
    p.add_argument("--repair", action="store_true", help="back-fill missed fills into journal and book, re-run")
    p.add_argument("--no-eod", action="store_true", help="skip the end-of-day Markdown/SVG report")
    p.add_argument("--limit", type=int, default=25, metavar="N", help="break rows in the terminal table")
    p.add_argument("--json", action="store_true", help="print the result as JSON instead of the table")
    p.set_defaults(func=cmd_reconcile)


def cmd_reconcile(args: argparse.Namespace, out=None) -> int:
    out = out or sys.stdout
    journal = Path(args.journal)
    reports = ReportSet.build(read_reports_jsonl(args.reports)) if args.reports else None
    settlements = read_settlements_jsonl(args.settlements)
    view = JournalView.load(journal)
    rest = _fetch_rest(args, view, reports)
    store_path = Path(args.store) if args.store else journal.with_name("recon.sqlite")
    out_dir = Path(args.out)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserInputError(f"cannot create output directory {out_dir}: {exc}") from exc
    result = reconcile(view, reports, rest, settlements)
    repair_lines: list[str] | None = None
    with ReconStore(store_path) as store:
        run = store.record(result, str(journal), exit_code(result))
        if args.repair:
            first = result
            rep = repair(journal, result, reports, rest, book=book_from_journal(journal))
            repair_lines = rep.lines()
            if not args.json:
                print(summary_table(first, args.limit), file=out)
                print("\n".join(repair_lines), file=out)
            if rep.appended:
                if not args.json:
                    print(f"(run {run} stored in {store_path}; reconciling again after the repair)\n", file=out)
                view = JournalView.load(journal)
                result = reconcile(view, reports, rest, settlements)
                run = store.record(result, str(journal), exit_code(result), repaired=len(rep.appended))
    _write_outputs(out_dir, view, result, rest, run, repair_lines, args.no_eod)
    if args.json:
        from fixengine.recon.output import result_dict
        print(json.dumps(result_dict(result, run, repair_lines), indent=2, default=str), file=out)
    else:
        print(summary_table(result, args.limit), file=out)
        print(f"run {run} stored in {store_path}; files in {out_dir}", file=out)
    return EXIT_CLEAN if result.clean else EXIT_BREAKS


def _write_outputs(out_dir: Path, view, result: ReconResult, rest, run: int, repair_lines, no_eod: bool) -> None:
    try:
        write_csv(out_dir / "breaks.csv", result.breaks)
        write_json(out_dir / "breaks.json", result, run, repair_lines)
        if not no_eod:
            write_eod(out_dir, view, result, rest)
    except OSError as exc:
        raise UserInputError(f"cannot write reconciliation files in {out_dir}: {exc}") from exc


def _fetch_rest(args: argparse.Namespace, view: JournalView, reports: ReportSet | None) -> RestView | None:
    client = _rest_client(args)
    if client is None:
        return None
    subs = set(args.subaccount) | {0} | {k[1] for k in view.positions.positions}
    if reports is not None:
        subs |= {r.subaccount for r in reports.reports}
    with client:
        return RestView.fetch(client, subs)


def _rest_client(args: argparse.Namespace):
    from fixengine.rest import KalshiRestClient

    if args.rest_config and args.rest_url:
        raise UserInputError("give either --rest-config or --rest-url, not both")
    if args.rest_config:
        from fixengine.config import load_config
        return KalshiRestClient.from_config(load_config(args.rest_config), session=args.session)
    if args.rest_url:
        if not (args.key_id and args.key):
            raise UserInputError("--rest-url needs --key-id and --key (portfolio endpoints are signed)")
        from fixengine.auth import load_private_key
        return KalshiRestClient(args.rest_url, key_id=args.key_id, private_key=load_private_key(args.key))
    if args.key_id or args.key:
        raise UserInputError("--key-id / --key need --rest-url")
    return None


def read_settlements_jsonl(paths) -> list[SettlementReport]:
    out: list[SettlementReport] = []
    for path, n, line in iter_jsonl_lines(paths, "settlements"):
        try:
            data = json.loads(line)
            parties = [SettlementParty(**p) for p in data.pop("parties", [])]
            out.append(SettlementReport(**data, parties=parties))
        except (json.JSONDecodeError, TypeError, AttributeError) as exc:
            raise UserInputError(f"{path}:{n}: not a settlement report: {exc}") from exc
    return out


"""`fixengine settlements`: listen on KalshiPT for settlement reports, list and show the journal.

Money prints as dollars with 4 decimals (more only when a value needs them to stay exact),
contracts with 2, the settlement price as the YES value in dollars with 4.
Exit codes: 0 done, 2 could not run (bad config, logon refused, no journal).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from fixengine.config import load_config
from fixengine.config.types import EngineConfig, SessionKind
from fixengine.errors import UserInputError
from fixengine.pricing.units import format_money, format_price_dollars, format_qty
from fixengine.settlement.batches import SettlementBatch
from fixengine.settlement.client import SettlementClient, default_settlement_journal
from fixengine.settlement.journal import SettlementJournal
from fixengine.settlement.processor import beside_order_journal

EPILOG = """\
journal: `listen` writes settlements-<key>-PT.sqlite under storage.journal_dir (or --journal);
  `list`/`show` read it, or with --session RT the journal an Engine on KalshiRT with
  receive_settlement_reports: true keeps next to its order journal.
KalshiPT needs an API key of its own (one live connection per key). Pages missed while away are
  resent after the next logon (reset_on_logon: false keeps the sequence numbers) and never
  applied twice.
realized P&L: settlement value minus cost, known when the book held the settled position
  (listen alone sees no fills: '-').
"""

COLUMNS = ("date", "symbol", "result", "price", "long", "short", "payout", "fee", "realized P&L", "pages")
NUMERIC = frozenset({"price", "long", "short", "payout", "fee", "realized P&L", "cost", "net P&L"})
#: `listen` prints rows as they come, so its columns have fixed (minimum) widths.
STREAM_WIDTHS = (8, 30, 6, 6, 10, 10, 12, 10, 12, 5)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("settlements", help="market settlement reports (KalshiPT): listen, list, show",
                              description=__doc__.splitlines()[0], epilog=EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="settlements_command", metavar="ACTION")
    sub.required = True
    lst = sub.add_parser("listen", help="log on to KalshiPT and print settlement batches as they arrive")
    lst.add_argument("--config", required=True, metavar="FILE", help="client config (YAML) with a PT session")
    lst.add_argument("--session", default="PT", choices=["PT", "RT"], help="session kind (RT needs 20127=Y)")
    lst.add_argument("--port", type=int, metavar="N", help="override the session port (local simulator 'auto')")
    lst.add_argument("--journal", metavar="PATH", help="settlement journal (default under storage.journal_dir)")
    lst.add_argument("--count", type=int, metavar="N", help="stop after N batches")
    lst.add_argument("--timeout", type=float, metavar="S", help="stop after S seconds")
    lst.add_argument("--logon-timeout", type=float, default=10.0, help="seconds to wait for the logon")
    lst.add_argument("--json", action="store_true", help="one JSON object per batch")
    lst.set_defaults(func=cmd_listen)
    ls = sub.add_parser("list", help="settlement batches in the journal")
    _source(ls)
    ls.add_argument("--symbol", help="only this market")
    ls.add_argument("--json", action="store_true", help="a JSON array")
    ls.set_defaults(func=cmd_list)
    show = sub.add_parser("show", help="one market's settlement: parties and pages")
    show.add_argument("symbol")
    _source(show)
    show.add_argument("--json", action="store_true", help="JSON")
    show.set_defaults(func=cmd_show)


def _source(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--journal", metavar="PATH", help="settlement journal file")
    group.add_argument("--config", metavar="FILE", help="client config: its default settlement journal")
    p.add_argument("--session", choices=["PT", "RT"], help="whose journal with --config (default PT if configured)")


# ---------------------------------------------------------------------------- formatting


def money(units: int | None) -> str:
    return "-" if units is None else format_money(units, 4)


def batch_row(b: SettlementBatch) -> tuple[str, ...]:
    pages = f"{b.pages}/{b.total_reports}" if b.total_reports else str(b.pages)
    return (b.clearing_date, b.symbol, b.result + ("" if b.complete else " (incomplete)"),
            format_price_dollars(b.settlement_price), format_qty(b.long_qty), format_qty(b.short_qty),
            money(b.payout), money(b.fee), money(b.realized_pnl), pages)


def line(cells: tuple[str, ...], widths, header: tuple[str, ...]) -> str:
    return "  ".join(c.rjust(w) if h in NUMERIC else c.ljust(w) for c, w, h in zip(cells, widths, header)).rstrip()


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(x) for x in col) for col in zip(header, *rows)]
    return "\n".join([line(header, widths, header)] + [line(r, widths, header) for r in rows])


def batch_json(b: SettlementBatch) -> dict:
    return {
        "symbol": b.symbol, "result": b.result, "settlement_price": format_price_dollars(b.settlement_price),
        "clearing_date": b.clearing_date, "complete": b.complete, "pages": b.pages, "total_reports": b.total_reports,
        "report_ids": list(b.report_ids), "long_qty": format_qty(b.long_qty), "short_qty": format_qty(b.short_qty),
        "payout": money(b.payout), "fee": money(b.fee),
        "realized_pnl": None if b.realized_pnl is None else money(b.realized_pnl),
        "parties": [{"party_id": p.party_id, "subaccount": p.subaccount, "report_id": p.report_id,
                     "long_qty": format_qty(p.long_qty), "short_qty": format_qty(p.short_qty),
                     "payout": money(p.payout), "fee": money(p.fee),
                     "cost": None if p.cost is None else money(p.cost),
                     "realized_pnl": None if p.realized_pnl is None else money(p.realized_pnl)} for p in b.parties],
    }


# ---------------------------------------------------------------------------- commands


def _config(args: argparse.Namespace, kind: SessionKind) -> EngineConfig:
    cfg = load_config(args.config)
    if getattr(args, "port", None) is not None:
        cfg = cfg.with_endpoints(ports={kind: args.port})
    elif cfg.session(kind).port_is_auto:
        raise UserInputError(f"{args.config}: session {kind.value} port is 'auto': give --port")
    return cfg


def _journal_path(args: argparse.Namespace) -> Path:
    if args.journal:
        path = Path(args.journal)
    else:
        cfg = load_config(args.config)
        kind = SessionKind(args.session or ("PT" if SessionKind.PT in cfg.sessions else "RT"))
        if kind is SessionKind.PT:
            path = default_settlement_journal(cfg, kind)
        else:
            from fixengine.engine.engine import default_journal_path

            path = Path(beside_order_journal(default_journal_path(cfg, kind)))
    if not path.is_file():
        raise UserInputError(f"no settlement journal at {path}")
    return path


def cmd_listen(args: argparse.Namespace) -> int:
    kind = SessionKind(args.session)
    cfg = _config(args, kind)
    if args.count is not None and args.count < 1:
        raise UserInputError("--count must be at least 1")
    client = SettlementClient(cfg, kind=kind, journal_path=args.journal)
    seen = 0
    try:
        client.connect(args.logon_timeout)
        print(f"listening on {cfg.session(kind).target_comp_id}; journal {client.journal.path}", file=sys.stderr)
        if not args.json:
            print(line(COLUMNS, STREAM_WIDTHS, COLUMNS), flush=True)
        deadline = None if args.timeout is None else time.monotonic() + args.timeout
        while args.count is None or seen < args.count:
            wait = 0.5 if deadline is None else min(0.5, deadline - time.monotonic())
            if wait <= 0:
                break
            batch = client.next_batch(wait)
            if batch is None:
                continue
            seen += 1
            text = json.dumps(batch_json(batch)) if args.json else line(batch_row(batch), STREAM_WIDTHS, COLUMNS)
            print(text, flush=True)
    except KeyboardInterrupt:  # Ctrl-C is how an open-ended listen ends: log out cleanly, then summarise
        print("interrupted: logging out", file=sys.stderr)
    finally:
        client.close()
    stats = client.stats
    print(f"{seen} batch(es); {stats['pages']} page(s), {stats['duplicates']} duplicate(s), "
          f"{stats['rejected']} unparseable", file=sys.stderr)
    return 0


def _batches(args: argparse.Namespace, symbol: str | None) -> list[SettlementBatch]:
    journal = SettlementJournal(_journal_path(args))
    try:
        return journal.batches(symbol)
    finally:
        journal.close()


def cmd_list(args: argparse.Namespace) -> int:
    batches = _batches(args, args.symbol)
    if args.json:
        print(json.dumps([batch_json(b) for b in batches], indent=2))
    elif not batches:
        print("no settlements", file=sys.stderr)
    else:
        print(table(COLUMNS, [batch_row(b) for b in batches]))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    path = _journal_path(args)
    journal = SettlementJournal(path)
    try:
        batches = journal.batches(args.symbol)
        pages = journal.pages(args.symbol)
    finally:
        journal.close()
    if not batches:
        raise UserInputError(f"no settlement of {args.symbol} in {path}")
    if args.json:
        print(json.dumps({"batches": [batch_json(b) for b in batches],
                          "pages": [{"report_id": p.report.report_id, "msg_seq_num": p.msg_seq_num,
                                     "sending_time": p.sending_time, "poss_dup": p.poss_dup, "session": p.session,
                                     "raw": (p.raw or "").replace("\x01", "|")} for p in pages]}, indent=2))
        return 0
    for b in batches:
        print(table(COLUMNS, [batch_row(b)]))
        header = ("party", "subaccount", "long", "short", "payout", "fee", "cost", "realized P&L", "net P&L", "page")
        print()
        print(table(header, [(p.party_id, str(p.subaccount), format_qty(p.long_qty), format_qty(p.short_qty),
                              money(p.payout), money(p.fee), money(p.cost), money(p.realized_pnl), money(p.net_pnl),
                              p.report_id) for p in b.parties]))
        print()
    print(table(("page", "seq", "sending time", "possdup", "session"),
                [(p.report.report_id, str(p.msg_seq_num or "-"), p.sending_time or "-", "Y" if p.poss_dup else "N",
                  p.session or "-") for p in pages]))
    return 0

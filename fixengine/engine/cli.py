"""`fixengine journal`: what the order journal says, without connecting (e.g. after a crash).

    fixengine journal --config config/local-sim.yaml [--session NR]

Replays the journal exactly as the engine does at start-up and prints open orders, positions and
everything it cannot account for. Refuses (one line, exit 2) while an engine holds the journal.
"""

from __future__ import annotations

import argparse

from fixengine.config import load_config
from fixengine.config.types import SessionKind
from fixengine.engine import journal as J
from fixengine.engine.engine import default_journal_path
from fixengine.engine.orders import OrderTracker
from fixengine.engine.positions import PositionBook
from fixengine.engine.recovery import replay
from fixengine.errors import FixEngineError
from fixengine.pricing.units import format_money, format_price_dollars, format_qty


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("journal", help="show orders, positions and unaccounted intents from the order journal")
    parser.add_argument("--config", required=True, help="client config (YAML)")
    parser.add_argument("--session", default=None, help="order-entry session kind: NR or RT (default: NR if configured)")
    parser.set_defaults(func=_cmd_journal)


def _cmd_journal(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    if args.session:
        kind = SessionKind(args.session.upper().removeprefix("KALSHI"))
    else:
        kind = SessionKind.NR if SessionKind.NR in cfg.sessions else SessionKind.RT
    path = default_journal_path(cfg, kind)
    if not path.is_file():
        raise FixEngineError(f"no order journal at {path}")
    journal = J.Journal(path)
    tracker, book = OrderTracker(), PositionBook()
    tracker.fill_listeners.append(
        lambda o, f, r: book.get(o.ticker, o.subaccount).apply(o.side.value == "1", f.price, f.qty, f.fee))
    try:
        report = replay(journal, tracker)
    finally:
        journal.close()
    print(report)
    print(f"\nopen orders ({len(tracker.open)}):")
    for o in tracker.open.values():
        print(f"  {o.key:<22} {o.ticker:<32} {o.user_side:<8} {format_price_dollars(o.user_price)} "
              f"qty {format_qty(o.qty)} filled {format_qty(o.cum_qty)} {o.status.value}")
    print("\npositions:")
    for p in book.nonzero():
        print(f"  {p.ticker:<32} sub {p.subaccount:<2} net {format_qty(p.net):>9} "
              f"realized {format_money(p.realized)} fees {format_money(p.fees)}")
    return 0

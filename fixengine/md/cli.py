"""`fixengine md watch TICKER...`: a live top-of-book view of KalshiMD in the terminal.

Subscribes (snapshot + updates, and SecurityStatus) on the configured MD session and redraws a
table whenever a top of book, a trade or a status changes (at most `--fps` times a second).
`--count N` exits after N redraws, `--seconds S` after S seconds (both for scripts and tests).
On a terminal the screen is cleared before each redraw; otherwise tables are printed one after
another. Prices are YES prices in dollars (4 decimals), sizes in contracts (2 decimals).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time

from fixengine.errors import UserInputError
from fixengine.pricing import format_price_dollars, format_qty

CLEAR = "\x1b[H\x1b[2J"


def register(subparsers: argparse._SubParsersAction) -> None:
    md = subparsers.add_parser("md", help="KalshiMD market data")
    sub = md.add_subparsers(dest="md_command", metavar="SUBCOMMAND")
    sub.required = True
    watch = sub.add_parser("watch", help="live top of book for one or more markets")
    watch.add_argument("tickers", nargs="+", metavar="TICKER")
    watch.add_argument("--config", required=True, help="client config (YAML) with an MD session")
    watch.add_argument("--port", type=int, default=None, help="KalshiMD port (for a local simulator's 'auto' port)")
    watch.add_argument("--count", type=int, default=None, help="exit after N redraws")
    watch.add_argument("--seconds", type=float, default=None, help="exit after S seconds")
    watch.add_argument("--fps", type=float, default=10.0, help="maximum redraws per second (default 10)")
    watch.add_argument("--no-clear", action="store_true", help="never clear the screen between redraws")
    watch.set_defaults(func=run_watch)


def run_watch(args: argparse.Namespace, out=None) -> int:
    from fixengine.config import load_config
    from fixengine.config.types import SessionKind
    from fixengine.md.client import MarketDataClient
    from fixengine.md.session import MarketDataSession

    out = out or sys.stdout
    if args.count is not None and args.count < 1:
        raise UserInputError(f"--count must be at least 1, got {args.count}")
    cfg = load_config(args.config)
    if SessionKind.MD not in cfg.sessions:
        raise UserInputError(f"{args.config}: no MD session configured (sessions.MD)")
    if args.port is not None:
        cfg = cfg.with_endpoints(ports={"MD": args.port})
    elif cfg.session(SessionKind.MD).port_is_auto:
        raise UserInputError("the MD port is 'auto' in the config: give --port (the simulator's KalshiMD port)")
    changed = threading.Event()
    client = MarketDataClient(on_top=lambda s, t: changed.set(), on_trade=lambda t: changed.set(),
                              on_status=lambda s, st: changed.set(), on_reject=lambda r: changed.set())
    session = MarketDataSession(cfg, client)
    clear = out.isatty() and not args.no_clear if hasattr(out, "isatty") else False
    try:
        session.start()
        session.wait_logon(timeout=15)
        client.subscribe(args.tickers)
        for ticker in args.tickers:
            client.subscribe_status(ticker)
        _loop(args, client, changed, out, clear)
    finally:
        session.stop()
    return 0


def _loop(args, client, changed: threading.Event, out, clear: bool) -> None:
    deadline = time.monotonic() + args.seconds if args.seconds is not None else None
    interval = 1.0 / max(args.fps, 0.1)
    redraws = 0
    while True:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            return
        if not changed.wait(timeout=min(left, 1.0) if left is not None else 1.0):
            continue
        changed.clear()
        with client.lock:
            text = render(client, args.tickers)
        out.write((CLEAR if clear else "") + text + "\n")
        out.flush()
        redraws += 1
        if args.count is not None and redraws >= args.count:
            return
        time.sleep(interval)


def render(client, tickers: list[str]) -> str:
    header = f"{'TICKER':<32} {'BID SZ':>10} {'BID':>7} {'ASK':>7} {'ASK SZ':>10} {'LAST':>7} {'VOLUME':>10} STATUS"
    lines = [time.strftime("%H:%M:%S") + " KalshiMD top of book", header]
    for ticker in tickers:
        stats = client.markets.get(ticker)
        if stats is None:
            continue
        bid, bid_qty, ask, ask_qty = stats.top
        last = format_price_dollars(stats.last_price) if stats.last_price is not None else "-"
        lines.append(f"{ticker:<32} {_qty(bid_qty, bid):>10} {_px(bid):>7} {_px(ask):>7} {_qty(ask_qty, ask):>10} "
                     f"{last:>7} {format_qty(stats.volume):>10} {stats.status or ('resync' if stats.stale else '-')}")
    for reject in client.rejects[-3:]:
        lines.append(f"rejected (281={reject.reason}): {reject.text}")
    return "\n".join(lines)


def _px(price: int) -> str:
    return format_price_dollars(price) if price >= 0 else "-"


def _qty(qty: int, price: int) -> str:
    return format_qty(qty) if price >= 0 else "-"

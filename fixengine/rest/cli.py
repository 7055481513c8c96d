"""`fixengine markets list|show` and `fixengine orderbook` over the REST API.

Each takes ``--config FILE`` (the client config's REST base URL and rate-limit tier) or
``--base-url URL`` (e.g. a local simulator's printed URL, or the demo/prod hosts).
Dollars print with 4 decimals, counts with 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from fixengine.errors import UserInputError
from fixengine.pricing import format_price_dollars as dollars
from fixengine.pricing import format_qty as count
from fixengine.rest.client import KalshiRestClient
from fixengine.rest.markets import Market, Orderbook

STATUS_CHOICES = ("unopened", "open", "paused", "closed", "settled")


def register(subparsers: argparse._SubParsersAction) -> None:
    markets = subparsers.add_parser("markets", help="list or show markets over REST")
    msub = markets.add_subparsers(dest="markets_command", metavar="SUBCOMMAND")
    msub.required = True
    lst = msub.add_parser("list", help="list markets (all pages)")
    _add_source(lst)
    lst.add_argument("--series", help="series ticker filter, e.g. KXHIGHNY")
    lst.add_argument("--event", help="event ticker filter")
    lst.add_argument("--status", choices=STATUS_CHOICES, help="market status filter")
    lst.add_argument("--max", type=int, default=0, metavar="N", help="stop after N markets")
    lst.set_defaults(func=cmd_markets_list)
    show = msub.add_parser("show", help="one market with its tick grid")
    _add_source(show)
    show.add_argument("ticker")
    show.set_defaults(func=cmd_markets_show)
    book = subparsers.add_parser("orderbook", help="depth table of one market over REST")
    _add_source(book)
    book.add_argument("ticker")
    book.add_argument("--depth", type=int, default=0, help="best N levels per side (0 = all)")
    book.set_defaults(func=cmd_orderbook)


def _add_source(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--config", metavar="FILE", help="client config (uses its REST base URL)")
    group.add_argument("--base-url", metavar="URL", help="REST base URL ending in /trade-api/v2")


def client_from_args(args: argparse.Namespace) -> KalshiRestClient:
    if args.base_url:
        # No key here, so the client paces itself at the public budget (<= 10 req/s).
        return KalshiRestClient(_checked_url(args.base_url), tier="basic")
    from fixengine.config import load_config
    config = load_config(args.config)
    if not config.rest_base_url:
        raise UserInputError(f"{args.config}: rest_base_url is 'auto' (the local simulator assigns it); "
                             "pass --base-url with the URL the simulator printed")
    tier = getattr(config.rate_limit.tier, "value", "basic")
    return KalshiRestClient(_checked_url(config.rest_base_url), tier=str(tier))


def _checked_url(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise UserInputError(f"REST base URL {url!r} must start with http:// or https://")
    return url


# ---------------------------------------------------------------------------- commands


def cmd_markets_list(args: argparse.Namespace, out: TextIO | None = None) -> int:
    with client_from_args(args) as client:
        rows = []
        for market in client.markets(status=args.status, series_ticker=args.series,
                                     event_ticker=args.event, limit=1000):
            rows.append(market)
            if args.max and len(rows) >= args.max:
                break
    (out or sys.stdout).write(format_market_table(rows))
    return 0


def cmd_markets_show(args: argparse.Namespace, out: TextIO | None = None) -> int:
    with client_from_args(args) as client:
        market = client.market(args.ticker)
    (out or sys.stdout).write(format_market_detail(market))
    return 0


def cmd_orderbook(args: argparse.Namespace, out: TextIO | None = None) -> int:
    if not 0 <= args.depth <= 100:
        raise UserInputError(f"--depth {args.depth}: must be 0 (all) to 100")
    with client_from_args(args) as client:
        book = client.orderbook(args.ticker, args.depth)
    (out or sys.stdout).write(format_orderbook(book))
    return 0


# ---------------------------------------------------------------------------- formatting


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        parts = [c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(cells, widths))]
        return "  ".join(parts).rstrip()
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]) + "\n"


def format_market_table(markets: list[Market]) -> str:
    header = ["TICKER", "STATUS", "YES BID", "YES ASK", "LAST", "VOLUME", "OPEN INT", "TICKS"]
    rows = [[m.ticker, m.status, dollars(m.yes_bid), dollars(m.yes_ask), dollars(m.last_price),
             count(m.volume), count(m.open_interest), m.price_level_structure] for m in markets]
    return _table(header, rows, {2, 3, 4, 5, 6}) + f"{len(markets)} market(s)\n"


def format_market_detail(m: Market) -> str:
    grid = m.tick_grid()
    lines = [
        ("ticker", m.ticker), ("event", m.event_ticker), ("series", m.series_ticker),
        ("title", m.title), ("yes label", m.yes_sub_title), ("status", m.status),
        ("result", m.result or "-"), ("open", m.open_time.isoformat()),
        ("close", m.close_time.isoformat()),
        ("yes bid", f"{dollars(m.yes_bid)} x {count(m.yes_bid_size)}"),
        ("yes ask", f"{dollars(m.yes_ask)} x {count(m.yes_ask_size)}"),
        ("no bid", dollars(m.no_bid)), ("no ask", dollars(m.no_ask)),
        ("last", dollars(m.last_price)), ("volume", count(m.volume)),
        ("volume 24h", count(m.volume_24h)), ("open interest", count(m.open_interest)),
        ("price levels", f"{m.price_level_structure} ({grid.num_levels} valid prices, "
                         f"{dollars(grid.min_price)} to {dollars(grid.max_price)})"),
    ]
    if m.settlement_value is not None:
        lines.append(("settlement value", dollars(m.settlement_value)))
    width = max(len(k) for k, _ in lines)
    text = "".join(f"{k.ljust(width)}  {v}\n" for k, v in lines)
    for r in m.price_ranges:
        text += f"{'band'.ljust(width)}  {dollars(r.start)} - {dollars(r.end)} step {dollars(r.step)}\n"
    return text


def format_orderbook(book: Orderbook) -> str:
    """YES bids and NO bids side by side, best first, then the implied asks."""
    yes = list(reversed(book.yes_bids))
    no = list(reversed(book.no_bids))
    header = ["YES BID", "SIZE", "|", "NO BID", "SIZE"]
    rows = []
    for i in range(max(len(yes), len(no))):
        left = [dollars(yes[i][0]), count(yes[i][1])] if i < len(yes) else ["", ""]
        right = [dollars(no[i][0]), count(no[i][1])] if i < len(no) else ["", ""]
        rows.append(left + ["|"] + right)
    text = f"{book.ticker}\n" + _table(header, rows, {0, 1, 3, 4})
    if not rows:
        text += "(empty book)\n"
    yes_ask = book.yes_asks[0] if book.yes_asks else None
    no_ask = book.no_asks[0] if book.no_asks else None
    text += f"implied YES ask: {_level(yes_ask)}\n"
    text += f"implied NO ask:  {_level(no_ask)}\n"
    return text


def _level(level: tuple[int, int] | None) -> str:
    return f"{dollars(level[0])} x {count(level[1])}" if level else "none"

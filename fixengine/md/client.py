"""KalshiMD client state: subscriptions, depth book, trades, consistency, strategy callbacks.

Transport-free: `MarketDataClient(send=...)` takes a function that puts a quickfix Message on the
KalshiMD session (False when it is down); the session (session.py) feeds raw W/X/Y/f text in.

Depth goes into the numba book (`fixengine.book.Book().depth`): a bid (269=0) at YES price p is a
YES bid at p; an offer (269=1) at YES price p is stored as a NO bid at 10_000 - p. A snapshot
replaces the market's depth; each X is applied as one batch kernel call (absolute sizes).

Consistency. After every batch the market is checked: a crossed or locked book (YES bid >= YES
ask), a level the book refused (negative / off-grid size, counted by the book's error log), a
`new` for a level that exists or a `change`/`delete` for one that does not, or a sequence break on
the session (possdup / gap fill / MsgSeqNum jump, reported by session.py) marks the market stale:
its incrementals are ignored and the symbol is re-requested with 263=1, whose snapshot replaces
the book. Kalshi documents no MDReqID, so a re-request of a subscribed symbol is how a client gets
a fresh snapshot; the server keeps the subscription.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np
import quickfix as fix

from fixengine.book import Book
from fixengine.errors import UserInputError
from fixengine.md import wire

log = logging.getLogger(__name__)

SNAPSHOT, SUBSCRIBE, UNSUBSCRIBE = "0", "1", "2"
STATUS_TEXT = {"2": "halted", "3": "trading", "100": "determined", "101": "settled"}
_YES, _NO = 0, 1


@dataclass(slots=True)
class Trade:
    symbol: str
    price: int  # YES price, $0.0001 units
    qty: int  # 0.01 contract units
    aggressor: int  # 2446: 1 buy, 2 sell, 0 unknown


@dataclass(slots=True)
class MarketStats:
    symbol: str
    last_price: int | None = None
    last_qty: int = 0
    last_aggressor: int = 0
    volume: int = 0  # traded qty seen on this session, 0.01 contract units
    trades: int = 0
    status: str | None = None  # from SecurityStatus: halted / trading / determined / settled
    snapshots: int = 0
    incrementals: int = 0
    stale: bool = False  # waiting for a fresh snapshot after an inconsistency
    resyncs: int = 0
    top: tuple[int, int, int, int] = (-1, 0, -1, 0)


@dataclass(slots=True)
class Reject:
    reason: str  # 281
    text: str  # 58


class MarketDataClient:
    def __init__(self, send: Callable[[fix.Message], bool] | None = None, book: Book | None = None, *,
                 grids: dict | None = None,
                 on_top: Callable[[str, tuple[int, int, int, int]], None] | None = None,
                 on_trade: Callable[[Trade], None] | None = None,
                 on_status: Callable[[str, str], None] | None = None,
                 on_reject: Callable[[Reject], None] | None = None) -> None:
        self.send = send if send is not None else (lambda msg: False)
        self.book = book or Book(max_markets=256, max_orders=16, max_subaccounts=1)
        self.depth = self.book.depth
        self.grids = dict(grids or {})  # ticker -> TickGrid / structure label (default linear_cent)
        # Stored apart from the on_* methods the session calls (on_reject is both a callback and a method).
        self._cb_top, self._cb_trade, self._cb_status, self._cb_reject = on_top, on_trade, on_status, on_reject
        self.markets: dict[str, MarketStats] = {}
        self.wanted: set[str] = set()  # symbols subscribed with updates (restored after a reconnect)
        self.status_wanted: set[str] = set()
        self.rejects: list[Reject] = []
        self.parse_errors = 0
        self.inconsistencies = 0
        self.ignored = 0  # entries for symbols not subscribed (in flight after an unsubscribe)
        self.lock = threading.RLock()

    # ------------------------------------------------------------------ requests
    def subscribe(self, symbols: Iterable[str], updates: bool = True) -> bool:
        symbols = _symbols(symbols)
        with self.lock:
            for s in symbols:
                self._market(s)
            if updates:
                self.wanted.update(symbols)
        return self.send(market_data_request(SUBSCRIBE if updates else SNAPSHOT, symbols))

    def unsubscribe(self, symbols: Iterable[str] | None = None) -> bool:
        """Listed symbols, or every symbol (146 omitted) when None."""
        with self.lock:
            if symbols is None:
                self.wanted.clear()
                return self.send(market_data_request(UNSUBSCRIBE, None))
            symbols = _symbols(symbols)
            self.wanted.difference_update(symbols)
        return self.send(market_data_request(UNSUBSCRIBE, symbols))

    def subscribe_status(self, symbol: str) -> bool:
        self.status_wanted.add(symbol)
        return self.send(security_status_request(symbol, True))

    def unsubscribe_status(self, symbol: str) -> bool:
        self.status_wanted.discard(symbol)
        return self.send(security_status_request(symbol, False))

    def resubscribe_all(self) -> None:
        """After a (re)logon: the server forgot our subscriptions (141=Y); ask again."""
        with self.lock:
            for symbol in self.wanted:
                self._market(symbol).stale = True
            wanted, status = sorted(self.wanted), sorted(self.status_wanted)
        if wanted:
            self.send(market_data_request(SUBSCRIBE, wanted))
        for symbol in status:
            self.send(security_status_request(symbol, True))

    def resync(self, symbol: str, why: str) -> None:
        stats = self._market(symbol)
        self.inconsistencies += 1
        if stats.stale:
            return
        stats.stale = True
        stats.resyncs += 1
        log.warning("KalshiMD %s inconsistent (%s): re-requesting a snapshot", symbol, why)
        self.send(market_data_request(SUBSCRIBE if symbol in self.wanted else SNAPSHOT, [symbol]))

    def session_break(self, why: str) -> None:
        """Sequence trouble on the session: every subscribed market may have missed updates."""
        for symbol in sorted(self.wanted):
            self.resync(symbol, why)

    # ------------------------------------------------------------------ inbound
    def on_snapshot(self, raw: str) -> None:
        try:
            symbol, levels = wire.parse_snapshot(raw)
        except wire.MarketDataParseError:
            self.parse_errors += 1
            raise
        with self.lock:
            stats = self._market(symbol)
            yes = [(p, q) for k, p, q in levels if k == wire.BID]
            no = [(10_000 - p, q) for k, p, q in levels if k == wire.OFFER]
            errors = self.depth.load_snapshot(symbol, yes, no)
            stats.snapshots += 1
            stats.stale = False
            if errors:
                log.warning("KalshiMD snapshot %s: %d levels refused by the book", symbol, errors)
            self._after_change(symbol, stats)

    def on_incremental(self, raw: str) -> None:
        try:
            entries = wire.parse_incremental(raw)
        except wire.MarketDataParseError:
            self.parse_errors += 1
            raise
        with self.lock:
            self.apply_entries(entries)

    def apply_entries(self, entries: list[tuple[int, str, int, int, int, int]]) -> None:
        """One X's entries: trades to stats / callbacks, levels to the book in one batch per call."""
        markets, sides, prices, sizes, symbols = [], [], [], [], {}
        depth = self.depth
        wanted = self.wanted
        for action, symbol, kind, price, size, aggressor in entries:
            if symbol not in wanted:
                self.ignored += 1
                continue
            stats = self.markets.get(symbol) or self._market(symbol)
            if stats.stale:
                continue
            if kind == wire.TRADE:
                self._trade(stats, price, size, aggressor)
                continue
            side = _YES if kind == wire.BID else _NO
            book_price = price if side == _YES else 10_000 - price
            present = depth.size_at(symbol, "yes" if side == _YES else "no", book_price) > 0
            if (action == wire.NEW) == present:  # new on an existing level / change or delete of a missing one
                self.resync(symbol, f"{('new', 'change', 'delete')[action]} at {price} but level "
                                    f"{'exists' if present else 'is missing'}")
                continue
            markets.append(self.book.market_id(symbol))
            sides.append(side)
            prices.append(book_price)
            sizes.append(0 if action == wire.DELETE else size)
            symbols[symbol] = stats
        if not markets:
            return
        errors_before = self.book.errors.count
        depth.apply_batch(np.array(markets, np.int64), np.array(sides, np.int64), np.array(prices, np.int64),
                          np.array(sizes, np.int64), absolute=True)
        refused = self.book.errors.count != errors_before
        for symbol, stats in symbols.items():
            stats.incrementals += 1
            if refused:
                self.resync(symbol, f"book refused an update: {self.book.errors.last[-1].detail}")
            self._after_change(symbol, stats)

    def on_reject(self, raw: str) -> None:
        fields = wire.fields_of(raw)
        reject = Reject(fields.get("281", ""), fields.get("58", ""))
        self.rejects.append(reject)
        log.warning("KalshiMD request rejected (281=%s): %s", reject.reason, reject.text)
        if self._cb_reject is not None:
            self._cb_reject(reject)

    def on_security_status(self, raw: str) -> None:
        fields = wire.fields_of(raw)
        symbol, code = fields.get("55", ""), fields.get("326", "")
        status = STATUS_TEXT.get(code, code)
        with self.lock:
            self._market(symbol).status = status
            if code == "101":  # settled: the server drops the subscription
                self.status_wanted.discard(symbol)
        if self._cb_status is not None:
            self._cb_status(symbol, status)

    # ------------------------------------------------------------------ helpers
    def _market(self, symbol: str) -> MarketStats:
        stats = self.markets.get(symbol)
        if stats is None:
            if self.book.market_id(symbol) is None:
                self.book.add_market(symbol, self.grids.get(symbol))
            stats = self.markets[symbol] = MarketStats(symbol)
        return stats

    def _trade(self, stats: MarketStats, price: int, qty: int, aggressor: int) -> None:
        stats.last_price, stats.last_qty, stats.last_aggressor = price, qty, aggressor
        stats.volume += qty
        stats.trades += 1
        if self._cb_trade is not None:
            self._cb_trade(Trade(stats.symbol, price, qty, aggressor))

    def _after_change(self, symbol: str, stats: MarketStats) -> None:
        top = self.depth.top(symbol)
        bid, _, ask, _ = top
        if bid >= 0 and ask >= 0 and bid >= ask and not stats.stale:
            self.resync(symbol, f"crossed book: bid {bid} >= ask {ask}")
        if top != stats.top:
            stats.top = top
            if self._cb_top is not None and not stats.stale:
                self._cb_top(symbol, top)


def _symbols(symbols: Iterable[str]) -> list[str]:
    out = list(dict.fromkeys(symbols))
    if not out or any(not s or "\x01" in s or "=" in s for s in out):
        raise UserInputError(f"market data symbols must be non-empty tickers, got {out!r}")
    return out


def market_data_request(kind: str, symbols: list[str] | None) -> fix.Message:
    """V: 263 + (146 + repeating 55). No MDReqID is documented; symbols key the subscription."""
    msg = fix.Message()
    msg.getHeader().setField(35, "V")
    msg.setField(263, kind)
    for symbol in symbols or ():
        row = fix.Group(146, 55)
        row.setField(55, symbol)
        msg.addGroup(row)
    return msg


def security_status_request(symbol: str, subscribe: bool) -> fix.Message:
    msg = fix.Message()
    msg.getHeader().setField(35, "e")
    msg.setField(263, "1" if subscribe else "2")
    msg.setField(55, symbol)
    return msg

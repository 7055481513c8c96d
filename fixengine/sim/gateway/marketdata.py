"""KalshiMD on the simulator: subscriptions, snapshots (W), incrementals (X), status (f), rejects (Y).

Facts: part2 §6.1. Subscriptions are keyed by Symbol (no MDReqID is documented):
  V 263=0 snapshot only, 263=1 snapshot + updates, 263=2 unsubscribe (listed symbols, or all
  when 146 is absent); any other 263 -> Y 281=4. Unknown tickers get an empty snapshot, never a
  reject. Over the per-session symbol limit -> Y 281=2 (insufficient bandwidth incl. limits).
  e 263=1/2 subscribes / unsubscribes SecurityStatus f for one symbol; f carries changes only:
  326=2 halt, 3 resume/activation, 100 determined, 101 settled (the subscription then ends).

Book semantics: the exchange keeps YES bids and YES offers (REST shows the offers as NO bids);
the feed publishes bids as 269=0 and offers as 269=1, both at the YES price in dollars. Whether
Kalshi's offers are native or derived NO bids is UNCONFIRMED; the prices are the same either way.

Incrementals are computed by diffing the exchange's aggregated levels before/after every event
batch the gateway routes (orders, fills, cancels, expiry, admin), so every book change and every
trade reaches subscribers. Trades come first in an X (they happened before the book settled),
one 269=2 entry per trade with 2446 AggressorSide = the taker's side. REST-entered orders are
not routed through the gateway; their book effect is published with the symbol's next change.

Everything runs under the order handler's lock, so a snapshot and the following incrementals of
a symbol can never interleave with a book change.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterable

import quickfix as fix

from fixengine.model import Side
from fixengine.pricing import format_price_dollars, format_qty
from fixengine.sim.exchange.events import (
    ExchangeStatusChanged,
    MarketStatusChanged,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderReplaced,
)
from fixengine.sim.gateway.registry import SessionEntry

log = logging.getLogger(__name__)

SOH = "\x01"
BID, OFFER, TRADE = "0", "1", "2"
NEW, CHANGE, DELETE = "0", "1", "2"
REJ_BANDWIDTH = "2"  # MDReqRejReason: insufficient bandwidth (incl. symbol limits)
REJ_UNSUPPORTED_TYPE = "4"  # MDReqRejReason: unsupported SubscriptionRequestType
HALT, RESUME, DETERMINED, SETTLED = "2", "3", "100", "101"
#: Per-session cap on subscribed symbols. Kalshi's number is UNCONFIRMED; configurable.
DEFAULT_MAX_SYMBOLS = 500


@dataclass(eq=False)
class _Subscriber:
    entry: SessionEntry
    conn_id: int  # the logon the subscriptions belong to (a new logon starts empty: 141=Y)
    books: set[str] = field(default_factory=set)
    status: set[str] = field(default_factory=set)


class MarketDataPublisher:
    def __init__(self, exchange, clock: Callable[[], datetime], lock: threading.RLock,
                 max_symbols: int = DEFAULT_MAX_SYMBOLS) -> None:
        self.exchange = exchange
        self.clock = clock
        self.lock = lock
        self.max_symbols = max_symbols
        self._subs: dict[str, _Subscriber] = {}  # session name -> subscriber
        self._published: dict[str, dict[tuple[str, int], int]] = {}  # symbol -> {(269, price): size}
        self.sent = 0
        self.rejects = 0

    # ------------------------------------------------------------------ inbound (V / e)
    def handle(self, entry: SessionEntry, msg: fix.Message) -> None:
        fields = _fields(msg.toString())
        msg_type = msg.getHeader().getField(35)
        with self.lock:
            sub = self._subscriber(entry)
            if msg_type == "V":
                self._market_data_request(sub, fields)
            else:
                self._status_request(sub, fields)

    def _market_data_request(self, sub: _Subscriber, fields: list[tuple[str, str]]) -> None:
        values = dict(fields)
        kind = values.get("263", "")
        symbols = [v for t, v in fields if t == "55"]
        req_id = values.get("262")
        if kind == "2":
            dropped = set(symbols) if "146" in values else set(sub.books)
            sub.books -= dropped
            return
        if kind not in ("0", "1"):
            self._reject(sub, req_id, REJ_UNSUPPORTED_TYPE, f"Unsupported SubscriptionRequestType {kind!r}")
            return
        if kind == "1":
            wanted = sub.books | set(symbols)
            if len(wanted) > self.max_symbols:
                self._reject(sub, req_id, REJ_BANDWIDTH,
                             f"symbol limit exceeded: {len(wanted)} > {self.max_symbols} subscribed symbols")
                return
        for symbol in dict.fromkeys(symbols):
            levels = self._levels(symbol)
            if kind == "1":
                if symbol not in self._published or not self._has_book_subscribers(symbol):
                    self._published[symbol] = levels
                sub.books.add(symbol)
            self._send(sub, self._snapshot(symbol, levels, req_id))

    def _status_request(self, sub: _Subscriber, fields: list[tuple[str, str]]) -> None:
        values = dict(fields)
        symbol = values.get("55", "")
        if values.get("263") == "1":
            sub.status.add(symbol)
        elif values.get("263") == "2":
            sub.status.discard(symbol)
        else:
            self._reject(sub, None, REJ_UNSUPPORTED_TYPE, f"Unsupported SubscriptionRequestType {values.get('263')!r}")

    # ------------------------------------------------------------------ exchange events
    def on_events(self, events: Iterable) -> None:
        """Called by the router (under the handler lock) for every routed event batch."""
        if not self._subs:
            return
        trades: dict[str, list] = {}
        touched: dict[str, None] = {}
        for event in events:
            if isinstance(event, OrderFilled):
                touched[event.fill.symbol] = None
                if event.fill.aggressor:
                    trades.setdefault(event.fill.symbol, []).append(event.fill)
            elif isinstance(event, (OrderAccepted, OrderCanceled, OrderReplaced)):
                touched[event.order.symbol] = None
            elif isinstance(event, MarketStatusChanged):
                touched[event.symbol] = None
                self._market_status(event)
            elif isinstance(event, ExchangeStatusChanged):
                self._exchange_status(event)
        for symbol in touched:
            self._publish_changes(symbol, trades.get(symbol, ()))

    def _publish_changes(self, symbol: str, trades) -> None:
        audience = [s for s in self._live() if symbol in s.books]
        if not audience:
            self._published.pop(symbol, None)
            return
        before = self._published.get(symbol, {})
        after = self._levels(symbol)
        self._published[symbol] = after
        now = self.clock()
        date, time_ = _date_time(now)
        entries: list[list[tuple[int, str]]] = []
        for fill in trades:
            # AggressorSide: the taker's side of the YES book (1 buy, 2 sell).
            entries.append([(279, NEW), (55, symbol), (269, TRADE), (270, format_price_dollars(fill.price)),
                            (271, format_qty(fill.qty)), (272, date), (273, time_),
                            (2446, "1" if fill.side is Side.BUY else "2")])
        for key, size in after.items():
            old = before.get(key)
            if old != size:
                entries.append(_level_entry(CHANGE if old is not None else NEW, symbol, key, size, date, time_))
        for key, size in before.items():
            if key not in after:
                entries.append(_level_entry(DELETE, symbol, key, size, date, time_))
        if not entries:
            return
        msg = _message("X", [], entries)
        for sub in audience:
            self._send(sub, fix.Message(msg))

    def _market_status(self, event: MarketStatusChanged) -> None:
        code = {"paused": HALT, "determined": DETERMINED, "settled": SETTLED}.get(event.status)
        if event.status == "open":
            code = RESUME
        if code is None:  # scheduled opens/closes are not reported (part2 §6.1)
            return
        for sub in self._live():
            if event.symbol in sub.status:
                self._send(sub, _message("f", [(55, event.symbol), (326, code)], []))
                if code == SETTLED:
                    sub.status.discard(event.symbol)

    def _exchange_status(self, event: ExchangeStatusChanged) -> None:
        """An exchange-wide pause halts every market: tell each status subscription."""
        code = RESUME if event.status == "open" else HALT
        for sub in self._live():
            for symbol in sorted(sub.status):
                self._send(sub, _message("f", [(55, symbol), (326, code)], []))

    # ------------------------------------------------------------------ helpers
    def _subscriber(self, entry: SessionEntry) -> _Subscriber:
        sub = self._subs.get(entry.name)
        if sub is None or sub.conn_id != entry.conn_id:
            sub = self._subs[entry.name] = _Subscriber(entry, entry.conn_id)
        return sub

    def _live(self) -> list[_Subscriber]:
        """Subscribers whose logon is still current; stale ones (logged out / relogged) are dropped."""
        out = []
        for name, sub in list(self._subs.items()):
            entry = sub.entry
            if not entry.logged_on or entry.conn_id != sub.conn_id or entry.session is None:
                del self._subs[name]
                continue
            out.append(sub)
        return out

    def _has_book_subscribers(self, symbol: str) -> bool:
        return any(symbol in s.books for s in self._live())

    def _levels(self, symbol: str) -> dict[tuple[str, int], int]:
        view = self.exchange.orderbook(symbol)
        levels = {(BID, p): q for p, q in view.yes}
        levels.update({(OFFER, 10_000 - p): q for p, q in view.no})
        return levels

    def _snapshot(self, symbol: str, levels: dict[tuple[str, int], int], req_id: str | None) -> fix.Message:
        date, time_ = _date_time(self.clock())
        ordered = sorted(levels.items(), key=lambda kv: (kv[0][0], -kv[0][1] if kv[0][0] == BID else kv[0][1]))
        entries = [[(269, side), (270, format_price_dollars(price)), (271, format_qty(size)), (272, date),
                    (273, time_)] for (side, price), size in ordered]
        top = [(262, req_id)] if req_id else []
        return _message("W", top + [(55, symbol)], entries)

    def _reject(self, sub: _Subscriber, req_id: str | None, reason: str, text: str) -> None:
        self.rejects += 1
        top = [(262, req_id)] if req_id else []
        self._send(sub, _message("Y", top + [(281, reason), (58, text)], []))

    def _send(self, sub: _Subscriber, msg: fix.Message) -> None:
        session = sub.entry.session
        if session is not None and sub.entry.logged_on:
            session.send(msg)
            self.sent += 1

    def subscriptions(self) -> dict[str, dict[str, list[str]]]:
        """Admin/test view: session name -> {"books": [...], "status": [...]}."""
        with self.lock:
            return {s.entry.name: {"books": sorted(s.books), "status": sorted(s.status)} for s in self._live()}


def _level_entry(action: str, symbol: str, key: tuple[str, int], size: int, date: str, time_: str):
    side, price = key
    return [(279, action), (55, symbol), (269, side), (270, format_price_dollars(price)), (271, format_qty(size)),
            (272, date), (273, time_)]


def _message(msg_type: str, top: list[tuple[int, str]], entries: list[list[tuple[int, str]]]) -> fix.Message:
    """A message with top-level fields and NoMDEntries(268) rows (each row's first tag is the
    group delimiter; QuickFIX writes the rest of a row in ascending tag order)."""
    msg = fix.Message()
    msg.getHeader().setField(35, msg_type)
    for tag, value in top:
        msg.setField(tag, value)
    for entry in entries:
        row = fix.Group(268, entry[0][0])
        for tag, value in entry:
            row.setField(tag, value)
        msg.addGroup(row)
    if not entries and msg_type in ("W", "X"):
        msg.setField(268, "0")
    return msg


def _fields(raw: str) -> list[tuple[str, str]]:
    out = []
    for part in raw.split(SOH):
        tag, sep, value = part.partition("=")
        if sep:
            out.append((tag, value))
    return out


def _date_time(now: datetime) -> tuple[str, str]:
    return now.strftime("%Y%m%d"), now.strftime("%H:%M:%S.") + f"{now.microsecond // 1000:03d}"

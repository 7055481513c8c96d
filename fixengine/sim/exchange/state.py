"""The exchange's state and the primitives every operation uses (emit, cancel, rest, reserve).

Split from exchange.py so that each file stays small: `ExchangeState` holds the data,
`trading.py` matches, `admin.py` runs market lifecycle and time, `queries.py` reads.
Nothing here takes the lock: public methods in exchange.py do.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections import defaultdict
from datetime import datetime
from typing import Iterable

from fixengine.sim.exchange.accounts import Account, ReserveBucket
from fixengine.sim.exchange.clock import Clock, as_utc, system_clock
from fixengine.sim.exchange.events import (
    HISTORY_EVENTS,
    CancelReason,
    Fill,
    OrderAccepted,
    OrderCanceled,
    SettlementEntry,
)
from fixengine.sim.exchange.ids import ExecIdSequencer, IdGenerator
from fixengine.sim.exchange.markets import Market
from fixengine.sim.exchange.orders import Order

#: Who counts as "self" for self-trade prevention. Kalshi says "the same user"; subaccounts
#: belong to one user, so trades between a user's own subaccounts are prevented too (the
#: conservative reading; "subaccount" limits STP to the same user AND subaccount).
STP_SCOPES = ("user", "subaccount")
#: Which orders an OrderMassCancelRequest cancels (UNCONFIRMED, part1 §4.7): every open order
#: of the user (default), of the API key, or of the FIX session that sent it.
MASS_CANCEL_SCOPES = ("user", "key", "session")


class ExchangeState:
    """All mutable state of the simulated exchange."""

    def __init__(self, markets: Iterable[Market], accounts: Iterable[Account], *, clock: Clock = system_clock,
                 id_seed: int = 0, stp_scope: str = "user", mass_cancel_scope: str = "user",
                 exec_clock_base: int | None = None) -> None:
        if stp_scope not in STP_SCOPES:
            raise ValueError(f"stp_scope must be one of {STP_SCOPES}")
        if mass_cancel_scope not in MASS_CANCEL_SCOPES:
            raise ValueError(f"mass_cancel_scope must be one of {MASS_CANCEL_SCOPES}")
        self._lock = threading.RLock()
        self._clock = clock
        self._last_now: datetime | None = None
        self.stp_scope = stp_scope
        self.mass_cancel_scope = mass_cancel_scope
        self._markets: dict[str, Market] = {m.ticker: m for m in markets}
        self._accounts: dict[str, Account] = {a.user_id: a for a in accounts}
        self._key_owner: dict[str, str] = {k: a.user_id for a in self._accounts.values() for k in a.keys}
        self._orders: dict[str, Order] = {}
        self._open_by_cl: dict[tuple[str, str], Order] = {}  # (user, ClOrdID) -> open order
        self._last_by_cl: dict[tuple[str, str], Order] = {}  # (user, ClOrdID) -> latest order that used it
        self._open_by_market: dict[tuple[str, int, str], ReserveBucket] = {}
        start = as_utc(clock())
        # ExecID clocks and OrderIDs depend on the start time: reproducible under a fixed clock,
        # never repeating a previous run's ids under the wall clock. The ExecID clock starts at
        # the start time in microseconds: an earlier run would have needed more than one
        # operation per microsecond to get past it.
        micros = int(start.timestamp()) * 1_000_000 + start.microsecond
        base = micros if exec_clock_base is None else exec_clock_base
        self._seq = ExecIdSequencer(clock_base=base)
        self._ids = IdGenerator(id_seed * 1_000_003 + micros)
        self._priority = itertools.count(1)
        self._expiries: list[tuple[datetime, int, int, str]] = []  # (deadline, priority, version, order_id)
        self._exchange_pause: str | None = None  # None | "trading" | "exchange"
        self._history: dict[str, list] = defaultdict(list)
        self._fills: dict[str, list[Fill]] = defaultdict(list)
        self._settlements: dict[str, list[SettlementEntry]] = defaultdict(list)
        self._trades: list[tuple[str, str, int, int, bool, datetime]] = []  # public tape

    # ------------------------------------------------------------------ time and ops

    def _now(self) -> datetime:
        """The clock, never going backwards."""
        now = as_utc(self._clock())
        if self._last_now is not None and now < self._last_now:
            now = self._last_now
        self._last_now = now
        return now

    def _begin(self) -> tuple[datetime, list]:
        """Start an operation: new ExecID clock tick, then anything that became due."""
        self._seq.begin_operation()
        now = self._now()
        events: list = []
        self._run_due(now, events)  # admin.AdminMixin: Day/GTD expiry, scheduled market closes
        return now, events

    # ------------------------------------------------------------------ emission

    def _record(self, event, events: list) -> None:
        events.append(event)
        if isinstance(event, HISTORY_EVENTS):
            self._history[event.user_id].append(event)

    def _emit_accepted(self, order: Order, now: datetime, events: list) -> None:
        self._record(OrderAccepted(order.view(self._seq.next(order.shard), now)), events)

    def _cancel(self, order: Order, now: datetime, text: str | None, reason: CancelReason,
                request_cl_ord_id: str | None, events: list) -> None:
        """Cancel the remainder of `order` (resting or in flight) and emit OrderCanceled."""
        market = self._markets[order.symbol]
        market.book.remove(order)
        self._unindex(order)
        order.close(now)
        self._refresh_reserve(order.user_id, order.subaccount, order.symbol)
        view = order.view(self._seq.next(order.shard), now)
        self._record(OrderCanceled(view, text, reason, request_cl_ord_id), events)

    # ------------------------------------------------------------------ order indexes

    def _register(self, order: Order) -> None:
        self._orders[order.order_id] = order
        self._open_by_cl[(order.user_id, order.cl_ord_id)] = order
        self._last_by_cl[(order.user_id, order.cl_ord_id)] = order

    def _rename(self, order: Order, new_cl_ord_id: str) -> None:
        """A replace / cancel request gives the order a new ClOrdID; the old one is freed."""
        self._open_by_cl.pop((order.user_id, order.cl_ord_id), None)
        order.orig_cl_ord_id = order.cl_ord_id
        order.cl_ord_id = new_cl_ord_id
        self._last_by_cl[(order.user_id, new_cl_ord_id)] = order
        if order.is_open:
            self._open_by_cl[(order.user_id, new_cl_ord_id)] = order

    def _rest(self, order: Order) -> None:
        """Put an open order on the book (back of its level) and reserve its collateral."""
        order.priority = next(self._priority)
        self._markets[order.symbol].book.add(order)
        self._bucket(order).add(order)
        self._refresh_reserve(order.user_id, order.subaccount, order.symbol)
        if order.expire_time is not None:
            order.expiry_version += 1
            heapq.heappush(self._expiries, (order.expire_time, order.priority, order.expiry_version, order.order_id))

    def _unindex(self, order: Order) -> None:
        self._open_by_cl.pop((order.user_id, order.cl_ord_id), None)
        bucket = self._open_by_market.get((order.user_id, order.subaccount, order.symbol))
        if bucket is not None:
            bucket.remove(order)

    def _bucket(self, order: Order) -> ReserveBucket:
        key = (order.user_id, order.subaccount, order.symbol)
        bucket = self._open_by_market.get(key)
        if bucket is None:
            bucket = self._open_by_market[key] = ReserveBucket(self._markets[order.symbol].fees)
        return bucket

    def _open_orders(self, predicate=None) -> list[Order]:
        """Open orders (in the book) in time priority, optionally filtered."""
        orders = [o for o in self._orders.values() if o.is_open and o.priority]
        if predicate is not None:
            orders = [o for o in orders if predicate(o)]
        orders.sort(key=lambda o: o.priority)
        return orders

    # ------------------------------------------------------------------ collateral

    def _refresh_reserve(self, user_id: str, subaccount: int, symbol: str) -> None:
        account = self._accounts[user_id]
        sub = account.subaccounts[subaccount]
        bucket = self._open_by_market.get((user_id, subaccount, symbol))
        new = bucket.total(account.held(subaccount, symbol)) if bucket else 0
        old = sub.reserves.get(symbol, 0)
        if new:
            sub.reserves[symbol] = new
        else:
            sub.reserves.pop(symbol, None)
        sub.reserved += new - old

    def _extra_reserve(self, order: Order, replacing: Order | None = None) -> int:
        """Additional collateral needed if `order` joined (or replaced `replacing` in) its market bucket."""
        account = self._accounts[order.user_id]
        held = account.held(order.subaccount, order.symbol)
        needed = self._bucket(order).total(held, extra=order, without=replacing)
        return needed - account.subaccounts[order.subaccount].reserves.get(order.symbol, 0)

    def _is_self(self, a: Order, b: Order) -> bool:
        if a.user_id != b.user_id:
            return False
        return self.stp_scope == "user" or a.subaccount == b.subaccount

"""What the REST face needs from the simulated exchange: a small read-only view.

The JSON shaping is written against these records so it does not depend on the
exchange's internals; ``exchange_view.ExchangeAdapter`` maps the real
``fixengine.sim.exchange.Exchange`` onto this protocol, and ``MemoryExchangeView`` serves fixed reference data (tests,
a REST-only simulator). Orders and fills reuse the exchange's own published records
(``OrderView``, ``Fill`` from ``fixengine.sim.exchange.events``).

Units: price $0.0001, qty 0.01 contract, money $0.000001.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Protocol

from fixengine.sim.exchange.events import Fill, OrderView

EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True, slots=True)
class MarketInfo:
    """Reference data and trading statistics of one market."""

    ticker: str
    event_ticker: str
    status: str  # Kalshi Market.status: initialized/inactive/active/closed/determined/...
    price_ranges: tuple[tuple[int, int, int], ...]  # (start, end, step) price units
    price_level_structure: str = "linear_cent"
    title: str = ""
    yes_sub_title: str = ""
    no_sub_title: str | None = None  # None = same as yes_sub_title (Kalshi's usual)
    created_time: datetime = EPOCH
    open_time: datetime = EPOCH
    close_time: datetime = EPOCH
    latest_expiration_time: datetime | None = None  # None = close_time
    updated_time: datetime | None = None  # None = created_time
    result: str = ""  # "", "yes", "no", "scalar"
    settlement_value: int | None = None  # YES payout, price units, once determined
    settled_time: datetime | None = None
    exchange_index: int = 0
    last_price: int = 0
    volume: int = 0
    volume_24h: int = 0
    open_interest: int = 0
    strike_type: str | None = None
    floor_strike: Decimal | None = None
    cap_strike: Decimal | None = None
    rules_primary: str = ""
    rules_secondary: str = ""
    early_close_condition: str | None = None
    can_close_early: bool = True
    settlement_timer_seconds: int = 60

    @property
    def series_ticker(self) -> str:
        return self.event_ticker.split("-", 1)[0]


@dataclass(frozen=True, slots=True)
class EventInfo:
    event_ticker: str
    series_ticker: str
    title: str = ""
    sub_title: str = ""
    mutually_exclusive: bool = False
    category: str = ""
    strike_date: datetime | None = None
    last_updated: datetime = EPOCH
    exchange_index: int = 0


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    ticker: str
    title: str = ""
    frequency: str = "custom"
    category: str = ""
    tags: tuple[str, ...] = ()
    fee_type: str = "quadratic"
    fee_multiplier: Decimal = Decimal(1)
    last_updated: datetime = EPOCH
    exchange_index: int = 0


@dataclass(frozen=True, slots=True)
class BookDepth:
    """Aggregated bids per side, ascending by price (best = last), as Kalshi serves them."""

    yes_bids: tuple[tuple[int, int], ...] = ()
    no_bids: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class PositionInfo:
    ticker: str
    event_ticker: str
    position: int  # signed qty: + YES, - NO
    total_traded: int  # money
    market_exposure: int  # money
    realized_pnl: int  # money
    fees_paid: int  # money
    last_updated: datetime
    exchange_index: int = 0
    subaccount: int = 0


@dataclass(frozen=True, slots=True)
class BalanceInfo:
    balance: int  # available, money units
    portfolio_value: int  # money units
    updated: datetime
    by_shard: tuple[tuple[int, int], ...] = ()  # (exchange_index, money)


@dataclass(frozen=True, slots=True)
class SettlementInfo:
    ticker: str
    event_ticker: str
    market_result: str
    yes_count: int
    yes_total_cost: int  # money
    no_count: int
    no_total_cost: int  # money
    revenue: int  # money
    settled_time: datetime
    fee_cost: int  # money
    value: int | None  # YES payout per contract, price units
    exchange_index: int = 0
    subaccount: int = 0


class ExchangeView(Protocol):
    """Read-only queries the REST face makes; all must be safe to call from any thread."""

    def markets(self) -> Sequence[MarketInfo]: ...
    def market(self, ticker: str) -> MarketInfo | None: ...
    def events(self) -> Sequence[EventInfo]: ...
    def series(self) -> Sequence[SeriesInfo]: ...
    def orderbook(self, ticker: str) -> BookDepth: ...
    def exchange_state(self) -> tuple[bool, bool]: ...  # (exchange_active, trading_active)
    def orders(self, user_id: str) -> Sequence[OrderView]: ...
    def fills(self, user_id: str) -> Sequence[Fill]: ...
    def positions(self, user_id: str) -> Sequence[PositionInfo]: ...
    def balance(self, user_id: str, subaccount: int = 0) -> BalanceInfo: ...
    def settlements(self, user_id: str) -> Sequence[SettlementInfo]: ...


@dataclass
class MemoryExchangeView:
    """An ExchangeView over plain in-memory records (fixed reference data, tests)."""

    market_list: list[MarketInfo] = field(default_factory=list)
    event_list: list[EventInfo] = field(default_factory=list)
    series_list: list[SeriesInfo] = field(default_factory=list)
    books: dict[str, BookDepth] = field(default_factory=dict)
    user_orders: dict[str, list[OrderView]] = field(default_factory=dict)
    user_fills: dict[str, list[Fill]] = field(default_factory=dict)
    user_positions: dict[str, list[PositionInfo]] = field(default_factory=dict)
    user_balances: dict[str, BalanceInfo] = field(default_factory=dict)
    user_settlements: dict[str, list[SettlementInfo]] = field(default_factory=dict)
    exchange_open: bool = True  # False = maintenance: /exchange/status answers 503
    active: bool = True  # trading active
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def markets(self) -> Sequence[MarketInfo]:
        with self.lock:
            return list(self.market_list)

    def market(self, ticker: str) -> MarketInfo | None:
        with self.lock:
            return next((m for m in self.market_list if m.ticker == ticker), None)

    def events(self) -> Sequence[EventInfo]:
        with self.lock:
            known = {e.event_ticker for e in self.event_list}
            derived = derive_events(m for m in self.market_list if m.event_ticker not in known)
            return list(self.event_list) + derived

    def series(self) -> Sequence[SeriesInfo]:
        with self.lock:
            known = {s.ticker for s in self.series_list}
            derived = derive_series(m for m in self.market_list if m.series_ticker not in known)
            return list(self.series_list) + derived

    def orderbook(self, ticker: str) -> BookDepth:
        with self.lock:
            return self.books.get(ticker, BookDepth())

    def exchange_state(self) -> tuple[bool, bool]:
        return self.exchange_open, self.exchange_open and self.active

    def orders(self, user_id: str) -> Sequence[OrderView]:
        with self.lock:
            return list(self.user_orders.get(user_id, ()))

    def fills(self, user_id: str) -> Sequence[Fill]:
        with self.lock:
            return list(self.user_fills.get(user_id, ()))

    def positions(self, user_id: str) -> Sequence[PositionInfo]:
        with self.lock:
            return list(self.user_positions.get(user_id, ()))

    def balance(self, user_id: str, subaccount: int = 0) -> BalanceInfo:
        with self.lock:
            if subaccount:
                return BalanceInfo(0, 0, EPOCH)
            return self.user_balances.get(user_id, BalanceInfo(0, 0, EPOCH))

    def settlements(self, user_id: str) -> Sequence[SettlementInfo]:
        with self.lock:
            return list(self.user_settlements.get(user_id, ()))


def derive_events(markets) -> list[EventInfo]:
    """One EventInfo per distinct event ticker, for exchanges that only know markets."""
    out: dict[str, EventInfo] = {}
    for m in markets:
        if m.event_ticker not in out:
            out[m.event_ticker] = EventInfo(m.event_ticker, m.series_ticker, title=m.event_ticker,
                                            last_updated=m.updated_time or m.created_time,
                                            exchange_index=m.exchange_index)
    return list(out.values())


def derive_series(markets) -> list[SeriesInfo]:
    out: dict[str, SeriesInfo] = {}
    for m in markets:
        if m.series_ticker not in out:
            out[m.series_ticker] = SeriesInfo(m.series_ticker, title=m.series_ticker,
                                              exchange_index=m.exchange_index)
    return list(out.values())

"""Typed reference data: markets, order books, events, series, exchange status/schedule, cutoff.

Frozen dataclasses with integer fixed-point fields (prices in $0.0001, counts in 0.01
contract). Each class has ``from_json`` that checks the fields the official 3.34 SDK
treats as required and reads the optional ones when present. ``raw`` keeps the server's
object (not compared, not hashed) so the cache can store it verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from fixengine.pricing import ONE_DOLLAR, TickGrid, format_price_dollars
from fixengine.rest.fields import Fields


def _raw() -> Any:
    return field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class PriceRange:
    """One band of a market's tick grid, in price units."""

    start: int
    end: int
    step: int

    @classmethod
    def from_json(cls, data: Any) -> PriceRange:
        f = Fields(data, "price_range")
        return cls(f.price("start"), f.price("end"), f.price("step"))

    def to_json(self) -> dict[str, str]:
        return {"start": format_price_dollars(self.start), "end": format_price_dollars(self.end),
                "step": format_price_dollars(self.step)}


@dataclass(frozen=True, slots=True)
class Market:
    ticker: str
    event_ticker: str
    market_type: str
    status: str
    yes_sub_title: str
    no_sub_title: str
    created_time: datetime
    updated_time: datetime
    open_time: datetime
    close_time: datetime
    latest_expiration_time: datetime
    settlement_timer_seconds: int
    yes_bid: int
    yes_bid_size: int
    yes_ask: int
    yes_ask_size: int
    no_bid: int
    no_ask: int
    last_price: int
    volume: int
    volume_24h: int
    open_interest: int
    notional_value: int
    previous_yes_bid: int
    previous_yes_ask: int
    previous_price: int
    result: str
    can_close_early: bool
    settlement_bounds_type: str
    expiration_value: str
    rules_primary: str
    rules_secondary: str
    price_level_structure: str
    price_ranges: tuple[PriceRange, ...]
    title: str = ""
    subtitle: str = ""
    expected_expiration_time: datetime | None = None
    expiration_time: datetime | None = None
    settlement_value: int | None = None
    settlement_ts: datetime | None = None
    settlement_floor: int | None = None
    occurrence_datetime: datetime | None = None
    early_close_condition: str = ""
    strike_type: str | None = None
    floor_strike: Decimal | None = None
    cap_strike: Decimal | None = None
    exchange_index: int | None = None
    raw: dict | None = _raw()

    @classmethod
    def from_json(cls, data: Any) -> Market:
        f = Fields(data, "market")
        ranges = tuple(PriceRange.from_json(r) for r in f.list("price_ranges"))
        return cls(
            ticker=f.str("ticker"), event_ticker=f.str("event_ticker"),
            market_type=f.str("market_type"), status=f.str("status"),
            yes_sub_title=f.str("yes_sub_title"), no_sub_title=f.str("no_sub_title"),
            created_time=f.time("created_time"), updated_time=f.time("updated_time"),
            open_time=f.time("open_time"), close_time=f.time("close_time"),
            latest_expiration_time=f.time("latest_expiration_time"),
            settlement_timer_seconds=f.int("settlement_timer_seconds"),
            yes_bid=f.price("yes_bid_dollars"), yes_bid_size=f.qty("yes_bid_size_fp"),
            yes_ask=f.price("yes_ask_dollars"), yes_ask_size=f.qty("yes_ask_size_fp"),
            no_bid=f.price("no_bid_dollars"), no_ask=f.price("no_ask_dollars"),
            last_price=f.price("last_price_dollars"),
            volume=f.qty("volume_fp"), volume_24h=f.qty("volume_24h_fp"),
            open_interest=f.qty("open_interest_fp"),
            notional_value=f.price("notional_value_dollars"),
            previous_yes_bid=f.price("previous_yes_bid_dollars"),
            previous_yes_ask=f.price("previous_yes_ask_dollars"),
            previous_price=f.price("previous_price_dollars"),
            result=f.str("result"), can_close_early=f.bool("can_close_early"),
            settlement_bounds_type=f.str("settlement_bounds_type"),
            expiration_value=f.str("expiration_value"),
            rules_primary=f.str("rules_primary"), rules_secondary=f.str("rules_secondary"),
            price_level_structure=f.str("price_level_structure"),
            price_ranges=ranges,
            title=f.text("title"), subtitle=f.text("subtitle"),
            expected_expiration_time=f.time("expected_expiration_time", False),
            expiration_time=f.time("expiration_time", False),
            settlement_value=f.price("settlement_value_dollars", False),
            settlement_ts=f.time("settlement_ts", False),
            settlement_floor=f.price("settlement_floor_dollars", False),
            occurrence_datetime=f.time("occurrence_datetime", False),
            early_close_condition=f.text("early_close_condition"),
            strike_type=f.str("strike_type", False),
            floor_strike=f.number("floor_strike"), cap_strike=f.number("cap_strike"),
            exchange_index=f.int("exchange_index", False),
            raw=data,
        )

    @property
    def series_ticker(self) -> str:
        """The part of the event ticker before the first '-' (REST §8)."""
        return self.event_ticker.split("-", 1)[0]

    def tick_grid(self) -> TickGrid:
        """The market's authoritative tick grid (from ``price_ranges``, never the label)."""
        return TickGrid.from_price_ranges([r.to_json() for r in self.price_ranges],
                                          name=self.price_level_structure)


@dataclass(frozen=True, slots=True)
class Orderbook:
    """Bids on both sides, ascending by price as on the wire (best bid = last)."""

    ticker: str
    yes_bids: tuple[tuple[int, int], ...]
    no_bids: tuple[tuple[int, int], ...]

    @classmethod
    def from_json(cls, ticker: str, data: Any) -> Orderbook:
        book = Fields(Fields(data, "orderbook response").obj("orderbook_fp", True), "orderbook_fp")
        return cls(ticker, _levels(book, "yes_dollars"), _levels(book, "no_dollars"))

    @property
    def best_yes_bid(self) -> tuple[int, int] | None:
        return self.yes_bids[-1] if self.yes_bids else None

    @property
    def best_no_bid(self) -> tuple[int, int] | None:
        return self.no_bids[-1] if self.no_bids else None

    @property
    def yes_asks(self) -> tuple[tuple[int, int], ...]:
        """Implied YES offers (1 - NO bid), best (lowest) first."""
        return tuple((ONE_DOLLAR - p, q) for p, q in reversed(self.no_bids))

    @property
    def no_asks(self) -> tuple[tuple[int, int], ...]:
        """Implied NO offers (1 - YES bid), best (lowest) first."""
        return tuple((ONE_DOLLAR - p, q) for p, q in reversed(self.yes_bids))


def _levels(book: Fields, key: str) -> tuple[tuple[int, int], ...]:
    levels = []
    for i, level in enumerate(book.list(key)):
        if not (isinstance(level, list) and len(level) == 2):
            raise book.error(f"{key}[{i}]", "expected a [price, size] pair")
        pair = Fields({"price": level[0], "size": level[1]}, f"orderbook_fp.{key}[{i}]")
        levels.append((pair.price("price"), pair.qty("size")))
    return tuple(levels)


@dataclass(frozen=True, slots=True)
class Event:
    event_ticker: str
    series_ticker: str
    title: str
    sub_title: str
    collateral_return_type: str
    mutually_exclusive: bool
    category: str = ""
    strike_date: datetime | None = None
    strike_period: str | None = None
    last_updated_ts: datetime | None = None
    exchange_index: int | None = None
    markets: tuple[Market, ...] = ()
    raw: dict | None = _raw()

    @classmethod
    def from_json(cls, data: Any) -> Event:
        f = Fields(data, "event")
        return cls(
            event_ticker=f.str("event_ticker"), series_ticker=f.str("series_ticker"),
            title=f.str("title"), sub_title=f.str("sub_title"),
            collateral_return_type=f.str("collateral_return_type"),
            mutually_exclusive=f.bool("mutually_exclusive"),
            category=f.text("category"), strike_date=f.time("strike_date", False),
            strike_period=f.str("strike_period", False),
            last_updated_ts=f.time("last_updated_ts", False),
            exchange_index=f.int("exchange_index", False),
            markets=tuple(Market.from_json(m) for m in f.list("markets", False)),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class Series:
    ticker: str
    frequency: str
    title: str
    category: str
    categories: tuple[str, ...]
    contract_url: str
    contract_terms_url: str
    fee_type: str
    fee_multiplier: Decimal
    tags: tuple[str, ...] = ()
    additional_prohibitions: tuple[str, ...] = ()
    volume: int | None = None
    last_updated_ts: datetime | None = None
    exchange_index: int | None = None
    raw: dict | None = _raw()

    @classmethod
    def from_json(cls, data: Any) -> Series:
        f = Fields(data, "series")
        return cls(
            ticker=f.str("ticker"), frequency=f.str("frequency"), title=f.str("title"),
            category=f.str("category"), categories=tuple(f.list("categories")),
            contract_url=f.str("contract_url"), contract_terms_url=f.str("contract_terms_url"),
            fee_type=f.str("fee_type"), fee_multiplier=f.number("fee_multiplier", True),
            tags=tuple(f.list("tags", False)),
            additional_prohibitions=tuple(f.list("additional_prohibitions", False)),
            volume=f.qty("volume_fp", False),
            last_updated_ts=f.time("last_updated_ts", False),
            exchange_index=f.int("exchange_index", False),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class IndexStatus:
    exchange_index: int
    description: str
    exchange_active: bool
    trading_active: bool
    intra_exchange_transfers_active: bool | None


@dataclass(frozen=True, slots=True)
class ExchangeStatus:
    exchange_active: bool
    trading_active: bool
    intra_exchange_transfers_active: bool | None = None
    exchange_estimated_resume_time: datetime | None = None
    index_statuses: tuple[IndexStatus, ...] = ()

    @classmethod
    def from_json(cls, data: Any) -> ExchangeStatus:
        f = Fields(data, "exchange_status")
        indexes = []
        for item in f.list("exchange_index_statuses", False):
            g = Fields(item, "exchange_index_status")
            indexes.append(IndexStatus(g.int("exchange_index"), g.text("description"),
                                       g.bool("exchange_active"), g.bool("trading_active"),
                                       g.bool("intra_exchange_transfers_active", False)))
        return cls(f.bool("exchange_active"), f.bool("trading_active"),
                   f.bool("intra_exchange_transfers_active", False),
                   f.time("exchange_estimated_resume_time", False), tuple(indexes))


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True, slots=True)
class WeeklySchedule:
    """Sessions per weekday as ("HH:MM", "HH:MM") in US Eastern time."""

    start_time: datetime
    end_time: datetime
    days: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]

    def sessions(self, weekday: str) -> tuple[tuple[str, str], ...]:
        return dict(self.days).get(weekday, ())


@dataclass(frozen=True, slots=True)
class Schedule:
    standard_hours: tuple[WeeklySchedule, ...]
    maintenance_windows: tuple[tuple[datetime, datetime], ...]

    @classmethod
    def from_json(cls, data: Any) -> Schedule:
        f = Fields(Fields(data, "schedule response").obj("schedule", True), "schedule")
        weeks = []
        for item in f.list("standard_hours"):
            w = Fields(item, "standard_hours")
            days = []
            for day in WEEKDAYS:
                spans = []
                for span in w.list(day, False):
                    s = Fields(span, f"standard_hours.{day}")
                    spans.append((s.str("open_time"), s.str("close_time")))
                days.append((day, tuple(spans)))
            weeks.append(WeeklySchedule(w.time("start_time"), w.time("end_time"), tuple(days)))
        windows = []
        for item in f.list("maintenance_windows", False):
            m = Fields(item, "maintenance_window")
            windows.append((m.time("start_datetime"), m.time("end_datetime")))
        return cls(tuple(weeks), tuple(windows))


@dataclass(frozen=True, slots=True)
class HistoricalCutoff:
    market_settled_ts: datetime
    trades_created_ts: datetime
    orders_updated_ts: datetime
    market_positions_last_updated_ts: datetime | None = None

    @classmethod
    def from_json(cls, data: Any) -> HistoricalCutoff:
        f = Fields(data, "historical_cutoff")
        return cls(f.time("market_settled_ts"), f.time("trades_created_ts"),
                   f.time("orders_updated_ts"), f.time("market_positions_last_updated_ts", False))

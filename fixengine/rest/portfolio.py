"""Typed portfolio records: balance, positions, fills, orders, settlements.

Money fields (``*_dollars``, ``fee_cost``) may carry 6 decimals since March 2026, so they
become money units ($0.000001); prices stay in price units ($0.0001); counts in 0.01
contract. A few legacy fields are still integer cents on the wire (``balance``,
``portfolio_value``, settlement ``revenue``/``value``) and keep that unit, named ``_cents``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fixengine.rest.fields import Fields


@dataclass(frozen=True, slots=True)
class Balance:
    balance: int  # money units, from balance_dollars (exact)
    balance_cents: int  # legacy integer cents (truncated)
    portfolio_value_cents: int
    updated_ts: int  # unix seconds
    breakdown: tuple[tuple[int, int], ...] = ()  # (exchange_index, money units)

    @classmethod
    def from_json(cls, data: Any) -> Balance:
        f = Fields(data, "balance")
        parts = []
        for item in f.list("balance_breakdown", False):
            g = Fields(item, "balance_breakdown")
            parts.append((g.int("exchange_index"), g.money("balance")))
        return cls(f.money("balance_dollars"), f.int("balance"), f.int("portfolio_value"),
                   f.int("updated_ts"), tuple(parts))


@dataclass(frozen=True, slots=True)
class MarketPosition:
    ticker: str
    exchange_index: int
    total_traded: int  # money
    position: int  # signed qty: + YES, - NO
    market_exposure: int
    realized_pnl: int
    fees_paid: int
    last_updated_ts: datetime

    @classmethod
    def from_json(cls, data: Any) -> MarketPosition:
        f = Fields(data, "market_position")
        return cls(f.str("ticker"), f.int("exchange_index"), f.money("total_traded_dollars"),
                   f.signed_qty("position_fp"), f.money("market_exposure_dollars"),
                   f.money("realized_pnl_dollars"), f.money("fees_paid_dollars"),
                   f.time("last_updated_ts"))


@dataclass(frozen=True, slots=True)
class EventPosition:
    event_ticker: str
    total_cost: int
    total_cost_shares: int  # qty
    event_exposure: int
    realized_pnl: int
    fees_paid: int

    @classmethod
    def from_json(cls, data: Any) -> EventPosition:
        f = Fields(data, "event_position")
        return cls(f.str("event_ticker"), f.money("total_cost_dollars"),
                   f.signed_qty("total_cost_shares_fp"), f.money("event_exposure_dollars"),
                   f.money("realized_pnl_dollars"), f.money("fees_paid_dollars"))


@dataclass(frozen=True, slots=True)
class Positions:
    """One page of GET /portfolio/positions."""

    market_positions: tuple[MarketPosition, ...]
    event_positions: tuple[EventPosition, ...]


@dataclass(frozen=True, slots=True)
class Fill:
    fill_id: str
    order_id: str
    ticker: str
    exchange_index: int
    outcome_side: str
    book_side: str
    count: int
    yes_price: int
    no_price: int
    is_taker: bool
    fee_cost: int  # money
    side: str | None = None
    action: str | None = None
    created_time: datetime | None = None
    subaccount_number: int | None = None
    ts: int | None = None

    @classmethod
    def from_json(cls, data: Any) -> Fill:
        f = Fields(data, "fill")
        return cls(
            fill_id=f.str("fill_id"), order_id=f.str("order_id"), ticker=f.str("ticker"),
            exchange_index=f.int("exchange_index"), outcome_side=f.str("outcome_side"),
            book_side=f.str("book_side"), count=f.qty("count_fp"),
            yes_price=f.price("yes_price_dollars"), no_price=f.price("no_price_dollars"),
            is_taker=f.bool("is_taker"), fee_cost=f.money("fee_cost"),
            side=f.str("side", False), action=f.str("action", False),
            created_time=f.time("created_time", False),
            subaccount_number=f.int("subaccount_number", False), ts=f.int("ts", False),
        )


@dataclass(frozen=True, slots=True)
class Order:
    order_id: str
    user_id: str
    client_order_id: str
    ticker: str
    outcome_side: str
    book_side: str
    type: str
    status: str
    yes_price: int
    no_price: int
    fill_count: int
    remaining_count: int
    initial_count: int
    taker_fill_cost: int  # money
    maker_fill_cost: int
    taker_fees: int
    maker_fees: int
    side: str | None = None
    action: str | None = None
    expiration_time: datetime | None = None
    created_time: datetime | None = None
    last_update_time: datetime | None = None
    self_trade_prevention_type: str | None = None
    order_group_id: str | None = None
    cancel_order_on_pause: bool | None = None
    subaccount_number: int | None = None
    exchange_index: int | None = None

    @classmethod
    def from_json(cls, data: Any) -> Order:
        f = Fields(data, "order")
        return cls(
            order_id=f.str("order_id"), user_id=f.str("user_id"),
            client_order_id=f.str("client_order_id"), ticker=f.str("ticker"),
            outcome_side=f.str("outcome_side"), book_side=f.str("book_side"),
            type=f.str("type"), status=f.str("status"),
            yes_price=f.price("yes_price_dollars"), no_price=f.price("no_price_dollars"),
            fill_count=f.qty("fill_count_fp"), remaining_count=f.qty("remaining_count_fp"),
            initial_count=f.qty("initial_count_fp"),
            taker_fill_cost=f.money("taker_fill_cost_dollars"),
            maker_fill_cost=f.money("maker_fill_cost_dollars"),
            taker_fees=f.money("taker_fees_dollars"), maker_fees=f.money("maker_fees_dollars"),
            side=f.str("side", False), action=f.str("action", False),
            expiration_time=f.time("expiration_time", False),
            created_time=f.time("created_time", False),
            last_update_time=f.time("last_update_time", False),
            self_trade_prevention_type=f.str("self_trade_prevention_type", False),
            order_group_id=f.str("order_group_id", False),
            cancel_order_on_pause=f.bool("cancel_order_on_pause", False),
            subaccount_number=f.int("subaccount_number", False),
            exchange_index=f.int("exchange_index", False),
        )


@dataclass(frozen=True, slots=True)
class Settlement:
    ticker: str
    exchange_index: int
    event_ticker: str
    market_result: str
    yes_count: int
    yes_total_cost: int  # money
    no_count: int
    no_total_cost: int
    revenue_cents: int
    settled_time: datetime
    fee_cost: int  # money
    value_cents: int | None = None

    @classmethod
    def from_json(cls, data: Any) -> Settlement:
        f = Fields(data, "settlement")
        return cls(f.str("ticker"), f.int("exchange_index"), f.str("event_ticker"),
                   f.str("market_result"), f.qty("yes_count_fp"), f.money("yes_total_cost_dollars"),
                   f.qty("no_count_fp"), f.money("no_total_cost_dollars"), f.int("revenue"),
                   f.time("settled_time"), f.money("fee_cost"), f.int("value", False))

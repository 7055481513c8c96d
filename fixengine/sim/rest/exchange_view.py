"""``ExchangeAdapter``: the simulator's ``Exchange`` seen through the REST face's ExchangeView.

Every call is one of the exchange's read-only queries (each takes the exchange lock and
returns immutable snapshots), so the REST threads never see half-applied state.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any

from fixengine.sim.rest.protocol import (
    BalanceInfo, BookDepth, EventInfo, MarketInfo, PositionInfo, SeriesInfo, SettlementInfo,
)

# Simulator trading states -> Kalshi Market.status values (REST §4.3). The simulator's
# "inactive" is a market not yet open (Kalshi "initialized"); its "paused" is Kalshi's
# "inactive"; "settled" is Kalshi's "finalized".
STATUS_MAP = {
    "inactive": "initialized",
    "open": "active",
    "paused": "inactive",
    "closed": "closed",
    "determined": "determined",
    "settled": "finalized",
}


def _decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


class ExchangeAdapter:
    """Read-only ExchangeView over ``fixengine.sim.exchange.Exchange``."""

    def __init__(self, exchange: Any, listed: datetime | None = None) -> None:
        self.exchange = exchange
        # The simulator's markets carry no listing/open times; they were "listed" when the
        # REST face started, and close a year later unless configured.
        now = listed or datetime.now(timezone.utc)
        self.listed = now.replace(microsecond=0)

    # ------------------------------------------------------------------ reference data

    def _info(self, m) -> MarketInfo:
        close = m.close_time or self.listed + timedelta(days=365)
        return MarketInfo(
            ticker=m.ticker, event_ticker=m.event_ticker,
            status=STATUS_MAP.get(m.status, m.status),
            price_ranges=tuple(m.price_ranges), price_level_structure=m.price_level_structure,
            title=m.title, created_time=self.listed, open_time=self.listed, close_time=close,
            latest_expiration_time=close, result=m.result or "",
            settlement_value=m.settlement_price, settled_time=m.settled_time,
            exchange_index=m.shard, last_price=m.last_price or 0, volume=m.volume,
            volume_24h=m.volume, open_interest=m.open_interest,
        )

    def markets(self) -> list[MarketInfo]:
        return [self._info(m) for m in self.exchange.markets()]

    def market(self, ticker: str) -> MarketInfo | None:
        m = self.exchange.market(ticker)
        return self._info(m) if m is not None else None

    def events(self) -> list[EventInfo]:
        out: dict[str, EventInfo] = {}
        for m in self.exchange.markets():
            if m.event_ticker not in out:
                out[m.event_ticker] = EventInfo(m.event_ticker, m.series_ticker, title=m.title,
                                                last_updated=self.listed, exchange_index=m.shard)
        return list(out.values())

    def series(self) -> list[SeriesInfo]:
        out: dict[str, SeriesInfo] = {}
        for m in self.exchange.markets():
            if m.series_ticker not in out:
                out[m.series_ticker] = SeriesInfo(
                    m.series_ticker, title=m.series_ticker, fee_type=m.fee_type,
                    fee_multiplier=_decimal(Fraction(m.fee_multiplier)),
                    last_updated=self.listed, exchange_index=m.shard)
        return list(out.values())

    def orderbook(self, ticker: str) -> BookDepth:
        book = self.exchange.orderbook(ticker)
        return BookDepth(tuple(book.yes), tuple(book.no))

    def exchange_state(self) -> tuple[bool, bool]:
        """An exchange-wide pause of kind "exchange" is maintenance; "trading" halts trading only."""
        pause = self.exchange.paused()
        return pause != "exchange", pause is None

    # ------------------------------------------------------------------ portfolio

    def orders(self, user_id: str):
        return self.exchange.orders(user_id)

    def fills(self, user_id: str):
        return self.exchange.fills(user_id)

    def positions(self, user_id: str) -> list[PositionInfo]:
        events = {m.ticker: m.event_ticker for m in self.exchange.markets()}
        return [PositionInfo(
            ticker=p.symbol, event_ticker=events.get(p.symbol, p.symbol.rsplit("-", 1)[0]),
            position=p.position, total_traded=p.total_traded, market_exposure=p.market_exposure,
            realized_pnl=p.realized_pnl, fees_paid=p.fees_paid,
            last_updated=p.updated_time or self.listed, exchange_index=p.shard,
            subaccount=p.subaccount) for p in self.exchange.positions(user_id)]

    def balance(self, user_id: str, subaccount: int = 0) -> BalanceInfo:
        b = self.exchange.balance(user_id, subaccount)
        now = datetime.now(timezone.utc)
        if b is None:
            return BalanceInfo(0, 0, now)
        # The simulator does not split cash per shard: all of it is on exchange index 0.
        return BalanceInfo(b.available, b.portfolio_value, now, ((0, b.available),))

    def settlements(self, user_id: str) -> list[SettlementInfo]:
        values = {m.ticker: m.settlement_price for m in self.exchange.markets()}
        return [SettlementInfo(
            ticker=s.symbol, event_ticker=s.event_ticker, market_result=s.result,
            yes_count=s.long_qty, yes_total_cost=s.yes_total_cost, no_count=s.short_qty,
            no_total_cost=s.no_total_cost, revenue=s.payout, settled_time=s.settled_time,
            fee_cost=s.fee, value=values.get(s.symbol), exchange_index=s.shard,
            subaccount=s.subaccount) for s in self.exchange.settlements(user_id)]

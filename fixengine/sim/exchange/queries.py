"""Read-only views of the exchange for the REST face, drop copy and admin commands.

All views are immutable snapshots taken under the exchange lock; units as everywhere
(price $0.0001, qty 0.01 contract, money $0.000001).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from fixengine.model import Side
from fixengine.sim.exchange.events import Fill, OrderView, SettlementEntry
from fixengine.sim.exchange.ids import exec_id_key, parse_exec_id


@dataclass(frozen=True, slots=True)
class MarketView:
    ticker: str
    event_ticker: str
    series_ticker: str
    title: str
    status: str
    price_ranges: tuple[tuple[int, int, int], ...]  # (start, end, step) price units
    price_level_structure: str
    fractional: bool
    fee_type: str
    fee_multiplier: Fraction
    shard: int
    close_time: datetime | None
    result: str
    settlement_price: int | None
    last_price: int | None
    volume: int
    open_interest: int
    yes_bid: int | None  # best YES bid
    yes_bid_size: int
    yes_ask: int | None  # best YES ask (= 1 - best NO bid)
    yes_ask_size: int
    settled_time: datetime | None


@dataclass(frozen=True, slots=True)
class OrderbookView:
    """Kalshi REST orderbook_fp shape: YES bids and NO bids, each ascending, best last."""

    ticker: str
    yes: tuple[tuple[int, int], ...]  # (YES price, qty)
    no: tuple[tuple[int, int], ...]  # (NO price, qty)


@dataclass(frozen=True, slots=True)
class PositionView:
    symbol: str
    subaccount: int
    shard: int
    position: int  # signed: + YES, - NO
    long_qty: int
    short_qty: int
    market_exposure: int  # money paid for the held contracts
    realized_pnl: int
    fees_paid: int
    total_traded: int
    updated_time: datetime | None


@dataclass(frozen=True, slots=True)
class BalanceView:
    user_id: str
    subaccount: int
    cash: int  # money units
    reserved: int  # collateral held by open orders
    available: int  # cash - reserved (Kalshi "balance")
    portfolio_value: int  # market exposure of open positions


class QueriesMixin:
    """Read-only queries (needs ExchangeState)."""

    def markets(self) -> list[MarketView]:
        with self._lock:
            return [self._market_view(m) for m in self._markets.values()]

    def market(self, ticker: str) -> MarketView | None:
        with self._lock:
            market = self._markets.get(ticker)
            return self._market_view(market) if market else None

    def _market_view(self, m) -> MarketView:
        bids, asks = m.book.depth(Side.BUY), m.book.depth(Side.SELL)
        return MarketView(
            ticker=m.ticker, event_ticker=m.event_ticker, series_ticker=m.series_ticker, title=m.title,
            status=m.status, price_ranges=m.grid.bands, price_level_structure=m.price_level_structure,
            fractional=m.fractional, fee_type=m.fees.fee_type, fee_multiplier=m.fees.multiplier, shard=m.shard,
            close_time=m.close_time, result=m.result, settlement_price=m.settlement_price,
            last_price=m.last_price, volume=m.volume, open_interest=m.open_interest,
            yes_bid=bids[0][0] if bids else None, yes_bid_size=bids[0][1] if bids else 0,
            yes_ask=asks[0][0] if asks else None, yes_ask_size=asks[0][1] if asks else 0,
            settled_time=m.settled_time,
        )

    def orderbook(self, ticker: str, depth: int = 0) -> OrderbookView:
        """YES-bid and NO-bid levels like Kalshi REST; unknown ticker -> both empty (as observed live)."""
        with self._lock:
            market = self._markets.get(ticker)
            if market is None:
                return OrderbookView(ticker, (), ())
            yes, no = market.book.rest_levels()
            if depth > 0:
                yes, no = yes[-depth:], no[-depth:]
            return OrderbookView(ticker, tuple(yes), tuple(no))

    def orders(self, user_id: str, symbol: str | None = None, subaccount: int | None = None,
               open_only: bool = False) -> list[OrderView]:
        """Every order of the user (newest first), as of its last event."""
        with self._lock:
            now = self._now()
            picked = [
                (o.created_time, i, o) for i, o in enumerate(self._orders.values())
                if o.user_id == user_id and (symbol is None or o.symbol == symbol)
                and (subaccount is None or o.subaccount == subaccount) and (not open_only or o.is_open)
            ]
            picked.sort(key=lambda t: (t[0], t[1]), reverse=True)
            return [o.view(o.exec_id, o.updated_time or now) for _, _, o in picked]

    def order(self, order_id: str) -> OrderView | None:
        with self._lock:
            o = self._orders.get(order_id)
            return o.view(o.exec_id, o.updated_time or o.created_time) if o else None

    def positions(self, user_id: str, subaccount: int | None = None, include_flat: bool = False) -> list[PositionView]:
        with self._lock:
            account = self._accounts.get(user_id)
            if account is None:
                return []
            return [
                PositionView(p.symbol, p.subaccount, p.shard, p.qty, p.long_qty, p.short_qty, p.cost,
                             p.realized_pnl, p.fees_paid, p.total_traded, p.updated_time)
                for (sub, _), p in sorted(account.positions.items())
                if (subaccount is None or sub == subaccount) and (include_flat or p.qty != 0)
            ]

    def balance(self, user_id: str, subaccount: int = 0) -> BalanceView | None:
        with self._lock:
            account = self._accounts.get(user_id)
            if account is None or subaccount not in account.subaccounts:
                return None
            sub = account.subaccounts[subaccount]
            exposure = sum(p.cost for (s, _), p in account.positions.items() if s == subaccount)
            return BalanceView(user_id, subaccount, sub.cash, sub.reserved, sub.available, exposure)

    def fills(self, user_id: str, symbol: str | None = None, subaccount: int | None = None) -> list[Fill]:
        with self._lock:
            return [f for f in self._fills.get(user_id, ())
                    if (symbol is None or f.symbol == symbol) and (subaccount is None or f.subaccount == subaccount)]

    def settlements(self, user_id: str, subaccount: int | None = None) -> list[SettlementEntry]:
        with self._lock:
            return [s for s in self._settlements.get(user_id, ()) if subaccount is None or s.subaccount == subaccount]

    def history(self, user_id: str, since: datetime | None = None, shard: int | None = None) -> list:
        """Execution history of a user (events with a real ExecID), oldest first (drop copy, REST)."""
        with self._lock:
            events = self._history.get(user_id, ())
            return [e for e in events
                    if (since is None or _event_time(e) >= since)
                    and (shard is None or parse_exec_id(e.exec_id)[2] == shard)]

    def history_range(self, user_id: str, begin_exec_id: str, end_exec_id: str | None = None,
                      lookback: timedelta = timedelta(hours=3)) -> list:
        """Drop-copy replay: events of BeginExecID's shard with Begin <= ExecID <= End, within `lookback`."""
        begin = exec_id_key(begin_exec_id)
        end = exec_id_key(end_exec_id) if end_exec_id else None
        if end is not None and end[0] != begin[0]:
            raise ValueError("BeginExecID and EndExecID must be on the same exchange index")
        with self._lock:
            cutoff = self._now() - lookback
            out = []
            for event in self._history.get(user_id, ()):
                key = exec_id_key(event.exec_id)
                if key[0] == begin[0] and key >= begin and (end is None or key <= end) and _event_time(e := event) >= cutoff:
                    out.append(e)
            return out

    def last_exec_id(self, shard: int = 0) -> str | None:
        with self._lock:
            return self._seq.last(shard)

    def trades(self, symbol: str | None = None) -> list[tuple[str, str, int, int, bool, datetime]]:
        """Public tape: (trade_id, ticker, YES price, qty, taker bought YES, time)."""
        with self._lock:
            return [t for t in self._trades if symbol is None or t[1] == symbol]

    def paused(self) -> str | None:
        """Exchange-wide pause in force: None, "trading" or "exchange"."""
        with self._lock:
            return self._exchange_pause


def _event_time(event) -> datetime:
    return event.order.transact_time

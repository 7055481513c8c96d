"""Market lifecycle and time: expiry, pauses, close, determination, settlement, funding.

* Day / GTD orders expire at their deadline (reason EXPIRY); GTC and every other open order
  is canceled when its market closes (reason CLOSE). The gateway maps both to 150=4 or, with
  UseExpiredOrdStatus(21012)=Y, to 150=C.
* A market whose close_time has passed closes on the next operation or advance_time.
* Pauses (part1 §2.6): a trading pause refuses new orders and amends but allows cancels; an
  exchange pause refuses cancels too. Orders entered with CancelOrderOnPause(21006)=Y are
  canceled when a pause starts (Text TRADING_PAUSED / EXCHANGE_PAUSED: UNCONFIRMED).
* Settlement (part2 §4.3, fee_rounding): YES pays the settlement value per contract, NO pays
  1 - value; only net positions settle; the payout is rounded down to whole cents and the
  remainder is the settlement fee.
"""

from __future__ import annotations

import heapq
from datetime import datetime

from fixengine.errors import UserInputError
from fixengine.pricing import ONE_DOLLAR
from fixengine.sim.exchange.clock import as_utc, clearing_date
from fixengine.sim.exchange.events import (
    CancelReason,
    ExchangeStatusChanged,
    MarketSettled,
    MarketStatusChanged,
    SettlementEntry,
)
from fixengine.sim.exchange.fees import settlement_rounding
from fixengine.sim.exchange.markets import CLOSED, DETERMINED, FINISHED, OPEN, PAUSED, SETTLED, Market

RESULTS = ("yes", "no", "scalar")


class ExchangeAdminError(UserInputError):
    """An admin action that cannot be done (unknown market, bad result, overdraft)."""


class AdminMixin:
    """Time, pauses and market lifecycle (needs ExchangeState)."""

    # ------------------------------------------------------------------ time

    def advance_time(self, now: datetime | None = None) -> list:
        """Move the clock to `now` (if it is settable) and run everything that became due."""
        with self._lock:
            if now is not None and hasattr(self._clock, "set"):
                self._clock.set(as_utc(now))
            self._seq.begin_operation()
            moment = self._now()
            if now is not None and as_utc(now) > moment:
                moment = self._last_now = as_utc(now)  # fixed clocks: trust the caller's time
            events: list = []
            self._run_due(moment, events)
            return events

    def _run_due(self, now: datetime, events: list) -> None:
        for market in self._markets.values():
            if market.close_time is not None and market.close_time <= now and market.status in (OPEN, PAUSED):
                self._expire_due(market.close_time, events)
                self._close(market, now, events)
        self._expire_due(now, events)
        self._rfq_run_due(now, events)  # rfq.RfqMixin: confirmation / execution / expiry timers

    def _expire_due(self, now: datetime, events: list) -> None:
        while self._expiries and self._expiries[0][0] <= now:
            _, _, version, order_id = heapq.heappop(self._expiries)
            order = self._orders.get(order_id)
            if order is None or not order.is_open or order.expiry_version != version:
                continue  # filled, canceled or re-timed since it was scheduled
            self._cancel(order, now, None, CancelReason.EXPIRY, None, events)

    # ------------------------------------------------------------------ pauses

    def pause(self, symbol: str | None = None, kind: str = "trading") -> list:
        """Start a trading pause (or `kind="exchange"`: full exchange pause) on one market or everywhere."""
        if kind not in ("trading", "exchange"):
            raise ExchangeAdminError(f"pause kind must be 'trading' or 'exchange', got {kind!r}")
        with self._lock:
            now, events = self._begin()
            text = "EXCHANGE_PAUSED" if kind == "exchange" else "TRADING_PAUSED"
            if symbol is None:
                self._set_exchange_pause(kind, now, events)
                scope = lambda o: o.cancel_on_pause  # noqa: E731
            else:
                market = self._market_or_error(symbol)
                if market.status == OPEN:
                    self._set_status(market, PAUSED, now, events)
                scope = lambda o: o.cancel_on_pause and o.symbol == symbol  # noqa: E731
            for order in self._open_orders(scope):
                self._cancel(order, now, text, CancelReason.PAUSE, None, events)
            return events

    def resume(self, symbol: str | None = None) -> list:
        with self._lock:
            now, events = self._begin()
            if symbol is None:
                self._set_exchange_pause(None, now, events)
            else:
                market = self._market_or_error(symbol)
                if market.status == PAUSED:
                    self._set_status(market, OPEN, now, events)
            return events

    def _set_exchange_pause(self, kind: str | None, now: datetime, events: list) -> None:
        names = {None: "open", "trading": "trading_paused", "exchange": "exchange_paused"}
        previous, self._exchange_pause = self._exchange_pause, kind
        if previous != kind:
            events.append(ExchangeStatusChanged(names[kind], names[previous], now))

    def open_market(self, symbol: str) -> list:
        """Activate an inactive market (admin)."""
        with self._lock:
            now, events = self._begin()
            market = self._market_or_error(symbol)
            if market.status in ("inactive", PAUSED):
                self._set_status(market, OPEN, now, events)
            return events

    # ------------------------------------------------------------------ lifecycle

    def close_market(self, symbol: str) -> list:
        with self._lock:
            now, events = self._begin()
            market = self._market_or_error(symbol)
            if not market.is_finished:
                self._close(market, now, events)
            return events

    def determine_market(self, symbol: str, result: str, price: int | None = None) -> list:
        """Close (if needed) and record the result; `price` = YES value in price units (scalar)."""
        with self._lock:
            now, events = self._begin()
            market = self._market_or_error(symbol)
            self._determine(market, result, price, now, events)
            return events

    def settle_market(self, symbol: str, result: str | None = None, price: int | None = None) -> list:
        """Determine (if not yet) and pay out every net position; emits MarketSettled."""
        with self._lock:
            now, events = self._begin()
            market = self._market_or_error(symbol)
            if market.status == SETTLED:
                return events
            if market.status != DETERMINED and result is None:
                raise ExchangeAdminError(f"market {symbol} is not determined yet: give a result (yes, no or scalar)")
            if market.status != DETERMINED or result is not None:
                self._determine(market, result or market.result, price, now, events)
            self._settle(market, now, events)
            return events

    def _close(self, market: Market, now: datetime, events: list) -> None:
        for order in self._open_orders(lambda o: o.symbol == market.ticker):
            self._cancel(order, now, None, CancelReason.CLOSE, None, events)
        self._set_status(market, CLOSED, now, events)

    def _determine(self, market: Market, result: str, price: int | None, now: datetime, events: list) -> None:
        if result not in RESULTS:
            raise ExchangeAdminError(f"result must be one of {', '.join(RESULTS)}, got {result!r}")
        if result == "scalar":
            if price is None or not 0 <= price <= ONE_DOLLAR:
                raise ExchangeAdminError("a scalar result needs a YES value between $0 and $1")
        else:
            price = ONE_DOLLAR if result == "yes" else 0
        if market.status not in FINISHED:
            self._close(market, now, events)
        market.result = result
        market.settlement_price = price
        if market.status != DETERMINED:
            self._set_status(market, DETERMINED, now, events)

    def _settle(self, market: Market, now: datetime, events: list) -> None:
        value = market.settlement_price if market.settlement_price is not None else 0
        date = clearing_date(now)
        entries = []
        for account in self._accounts.values():
            for (sub, symbol), pos in sorted(account.positions.items()):
                if symbol != market.ticker or pos.qty == 0:
                    continue
                long_qty, short_qty = pos.long_qty, pos.short_qty
                raw = value * long_qty + (ONE_DOLLAR - value) * short_qty
                payout, fee = settlement_rounding(raw)
                entry = SettlementEntry(
                    user_id=account.user_id, subaccount=sub, symbol=market.ticker,
                    event_ticker=market.event_ticker, shard=market.shard, result=market.result,
                    long_qty=long_qty, short_qty=short_qty, payout=payout, fee=fee,
                    yes_total_cost=pos.cost if long_qty else 0, no_total_cost=pos.cost if short_qty else 0,
                    settled_time=now, clearing_date=date,
                )
                account.subaccounts[sub].cash += payout
                pos.realized_pnl += payout - pos.cost
                pos.fees_paid += fee
                pos.qty = 0
                pos.cost = 0
                pos.updated_time = now
                self._settlements[account.user_id].append(entry)
                entries.append(entry)
        market.open_interest = 0
        market.settled_time = now
        self._set_status(market, SETTLED, now, events)
        events.append(MarketSettled(
            symbol=market.ticker, event_ticker=market.event_ticker, shard=market.shard, result=market.result,
            settlement_price=value, clearing_date=date, settled_time=now, report_id=self._ids.uuid(),
            entries=tuple(entries),
        ))

    def _set_status(self, market: Market, status: str, now: datetime, events: list) -> None:
        previous, market.status = market.status, status
        market.updated_time = now
        events.append(MarketStatusChanged(market.ticker, status, previous, now))

    # ------------------------------------------------------------------ funding

    def deposit(self, user_id: str, amount: int, subaccount: int = 0) -> int:
        """Add (or with a negative amount, withdraw) cash; returns the new available balance."""
        with self._lock:
            account = self._accounts.get(user_id)
            if account is None or subaccount not in account.subaccounts:
                raise ExchangeAdminError(f"unknown account {user_id!r} subaccount {subaccount}")
            sub = account.subaccounts[subaccount]
            if amount < 0 and -amount > sub.available:
                raise ExchangeAdminError("withdrawal larger than the available balance")
            sub.cash += amount
            return sub.available

    def _market_or_error(self, symbol: str) -> Market:
        market = self._markets.get(symbol)
        if market is None:
            raise ExchangeAdminError(f"unknown market {symbol!r}")
        return market

"""Helpers for the exchange-core tests: a small exchange built in code with a manual clock.

A uniquely named module (not conftest) so that `from sim_exchange_helpers import ...` cannot
resolve to another directory's conftest when the whole suite runs.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timezone
from fractions import Fraction

from fixengine.model import Side, TimeInForce
from fixengine.pricing import TickGrid
from fixengine.sim.config import SimApiKey
from fixengine.sim.exchange import (
    CancelOrder,
    Exchange,
    ManualClock,
    MassCancel,
    NewOrder,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    ReplaceOrder,
)
from fixengine.sim.exchange.accounts import Account
from fixengine.sim.exchange.fees import FeeSchedule
from fixengine.sim.exchange.markets import Market

T0 = datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc)  # 10:00 America/New_York
DOLLAR = 1_000_000  # money units


def cents(value: float | int) -> int:
    """Price units from cents (accepts 72.5 for sub-cent tests; exact for the values used)."""
    return int(round(value * 100))


def contracts(value: float | int) -> int:
    return int(round(value * 100))


def make_market(ticker: str, structure: str = "linear_cent", *, shard: int = 0, fractional: bool = False,
                fee_type: str = "quadratic", multiplier: Fraction = Fraction(1), status: str = "open",
                close_time=None) -> Market:
    return Market(ticker, event_ticker=ticker + "-E", series_ticker="S" + ticker, title=ticker, status=status,
                  grid=TickGrid.from_structure(structure), price_level_structure=structure, fractional=fractional,
                  fees=FeeSchedule(fee_type, multiplier), shard=shard, close_time=close_time)


def key(key_id: str, subaccount: int | None = None) -> SimApiKey:
    from pathlib import Path

    return SimApiKey(key_id=key_id, public_key=Path("/nonexistent.pem"), scopes=frozenset({"read", "write"}),
                     subaccount=subaccount)


class Harness:
    """An exchange plus short-hand helpers; every helper returns the event list."""

    def __init__(self, **options) -> None:
        self.clock = ManualClock(T0)
        markets = [
            make_market("LIN"),
            make_market("TAP", "tapered_deci_cent", shard=2),
            make_market("DECI", "deci_cent", shard=1),
            make_market("FRAC", fractional=True, fee_type="quadratic_with_maker_fees"),
            make_market("FREE", fee_type="quadratic", multiplier=Fraction(0)),
        ]
        accounts = [
            Account("alice", subaccounts={0: 1000 * DOLLAR, 1: 100 * DOLLAR},
                    keys=(key("key-a"), key("key-a1", subaccount=1))),
            Account("bob", subaccounts={0: 1000 * DOLLAR}, keys=(key("key-b"),)),
            Account("carol", subaccounts={0: 10 * DOLLAR}, keys=(key("key-c"),)),
            Account("dave", subaccounts={0: 1000 * DOLLAR}, direct_member=True, keys=(key("key-d"),)),
        ]
        self.ex = Exchange(markets, accounts, clock=self.clock, **options)
        self._ids = itertools.count(1)

    def cl(self) -> str:
        return f"c{next(self._ids)}"

    def buy(self, user: str, symbol: str, price: int, qty: int, **kw) -> list:
        return self.order(user, symbol, Side.BUY, price, qty, **kw)

    def sell(self, user: str, symbol: str, price: int, qty: int, **kw) -> list:
        return self.order(user, symbol, Side.SELL, price, qty, **kw)

    def order(self, user: str, symbol: str, side: Side, price: int, qty: int, **kw) -> list:
        kw.setdefault("cl_ord_id", self.cl())
        kw.setdefault("key_id", "key-" + user[0])
        kw.setdefault("tif", TimeInForce.GTC)
        kw.setdefault("session_id", "s-" + user)
        return self.ex.submit(NewOrder(user_id=user, symbol=symbol, side=side, price=price, qty=qty, **kw))

    def cancel(self, user: str, orig: str, symbol: str, side: Side, **kw) -> list:
        kw.setdefault("cl_ord_id", self.cl())
        kw.setdefault("key_id", "key-" + user[0])
        return self.ex.cancel(CancelOrder(user_id=user, orig_cl_ord_id=orig, symbol=symbol, side=side, **kw))

    def replace(self, user: str, orig: str, symbol: str, side: Side, qty: int, **kw) -> list:
        kw.setdefault("cl_ord_id", self.cl())
        kw.setdefault("key_id", "key-" + user[0])
        return self.ex.replace(ReplaceOrder(user_id=user, orig_cl_ord_id=orig, symbol=symbol, side=side, qty=qty,
                                            **kw))

    def mass_cancel(self, user: str, **kw) -> list:
        kw.setdefault("cl_ord_id", self.cl())
        kw.setdefault("key_id", "key-" + user[0])
        return self.ex.mass_cancel(MassCancel(user_id=user, **kw))

    def cash(self, user: str, sub: int = 0) -> int:
        return self.ex.balance(user, sub).cash

    def available(self, user: str, sub: int = 0) -> int:
        return self.ex.balance(user, sub).available

    def position(self, user: str, symbol: str, sub: int = 0) -> int:
        for p in self.ex.positions(user, sub):
            if p.symbol == symbol:
                return p.position
        return 0


def kinds(events: list) -> list[str]:
    return [type(e).__name__ for e in events]


def only(events: list, cls: type) -> list:
    return [e for e in events if isinstance(e, cls)]


__all__ = ["Harness", "T0", "DOLLAR", "cents", "contracts", "kinds", "only", "OrderAccepted", "OrderCanceled",
           "OrderFilled", "OrderRejected"]

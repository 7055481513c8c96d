"""Users, subaccounts, cash, collateral reservations and netted positions.

Kalshi netting (part1 §4.1): a position is one signed number per market and subaccount
(+ YES, - NO). Buying YES while holding NO closes NO first: each closed pair pays $1
at once, so the buyer pays p and immediately receives $1 back per closed contract.

Collateral: a resting or incoming order reserves what it could cost, at its limit:
p per contract for a bid, 1 - p for an offer, except the contracts that would close an
existing opposite position (they release money instead). The credit of an existing
position goes to the most aggressive orders first (the ones that would fill first).
Each order also reserves its worst-case taker trade fee at its limit rounded up to a
cent, so fees cannot overdraw the account in normal use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from fixengine.config.types import RateTier
from fixengine.model import Side
from fixengine.sim.config import SimApiKey, SimUser
from fixengine.sim.exchange.fees import MONEY_CENT, FeeSchedule, balance_precision
from fixengine.sim.exchange.orders import Order, unit_cost


@dataclass(slots=True)
class Position:
    """Netted position of one subaccount in one market."""

    symbol: str
    subaccount: int
    shard: int
    qty: int = 0  # signed: + YES contracts, - NO contracts (qty units)
    cost: int = 0  # money paid for the contracts still held (market exposure)
    realized_pnl: int = 0
    fees_paid: int = 0
    total_traded: int = 0  # money value of all fills (unit cost x qty)
    updated_time: datetime | None = None

    @property
    def long_qty(self) -> int:
        return max(self.qty, 0)

    @property
    def short_qty(self) -> int:
        return max(-self.qty, 0)


@dataclass(slots=True)
class SubAccount:
    number: int
    cash: int = 0  # money units, after fees
    reserved: int = 0  # sum of reservations of open orders
    reserves: dict[str, int] = field(default_factory=dict)  # per market symbol

    @property
    def available(self) -> int:
        return self.cash - self.reserved


class Account:
    """One exchange user (a Kalshi member account) with its subaccounts and keys."""

    def __init__(self, user_id: str, *, tier: RateTier = RateTier.PREMIER, fix_entitled: bool = True,
                 direct_member: bool = False, subaccounts: dict[int, int] | None = None,
                 keys: tuple[SimApiKey, ...] = ()) -> None:
        self.user_id = user_id
        self.tier = tier
        self.fix_entitled = fix_entitled
        self.direct_member = direct_member
        self.subaccounts = {n: SubAccount(n, cash) for n, cash in (subaccounts or {0: 0}).items()}
        self.subaccounts.setdefault(0, SubAccount(0))
        self.keys = {k.key_id: k for k in keys}
        self.positions: dict[tuple[int, str], Position] = {}

    @classmethod
    def from_config(cls, cfg: SimUser) -> Account:
        balances = {n: 0 for n in cfg.subaccounts}
        balances.update(cfg.subaccount_balances)
        balances[0] = cfg.balance
        return cls(cfg.user_id, tier=cfg.tier, fix_entitled=cfg.fix_entitled, direct_member=cfg.direct_member,
                   subaccounts=balances, keys=cfg.keys)

    @property
    def precision(self) -> int:
        return balance_precision(self.direct_member)

    def position(self, subaccount: int, symbol: str, shard: int) -> Position:
        key = (subaccount, symbol)
        pos = self.positions.get(key)
        if pos is None:
            pos = self.positions[key] = Position(symbol, subaccount, shard)
        return pos

    def held(self, subaccount: int, symbol: str) -> int:
        pos = self.positions.get((subaccount, symbol))
        return pos.qty if pos else 0


def order_fee_reserve(order_side_price: int, leaves: int, fees: FeeSchedule) -> int:
    """Worst-case taker trade fee for `leaves` at the limit, rounded up to a whole cent."""
    fee = fees.trade_fee(order_side_price, leaves, True)
    return -((-fee) // MONEY_CENT) * MONEY_CENT


class ReserveBucket:
    """Open orders of one subaccount in one market, with running sums for O(1) reservations.

    Each order's contribution (price cost of its leaves, fee reserve) is remembered on the
    order when added, so removing it subtracts exactly what was added. Only when the
    subaccount holds an opposite position do we walk that side's orders to apply the credit.
    """

    __slots__ = ("orders", "cost", "fee", "fees")

    def __init__(self, fees: FeeSchedule) -> None:
        self.orders: dict[str, Order] = {}
        self.cost = {Side.BUY: 0, Side.SELL: 0}
        self.fee = 0
        self.fees = fees

    def __len__(self) -> int:
        return len(self.orders)

    def values(self):
        return self.orders.values()

    def get(self, order_id: str, default=None):
        return self.orders.get(order_id, default)

    def _contribution(self, order: Order) -> tuple[int, int]:
        return unit_cost(order.side, order.price) * order.leaves_qty, order_fee_reserve(
            order.price, order.leaves_qty, self.fees)

    def add(self, order: Order) -> None:
        self.remove(order)
        cost, fee = self._contribution(order)
        order.reserved = (cost, fee)
        self.cost[order.side] += cost
        self.fee += fee
        self.orders[order.order_id] = order

    def remove(self, order: Order) -> None:
        if self.orders.pop(order.order_id, None) is None:
            return
        cost, fee = order.reserved
        self.cost[order.side] -= cost
        self.fee -= fee
        order.reserved = (0, 0)

    def touch(self, order: Order) -> None:
        """Re-count an order whose leaves changed (a partial fill); drop it when done."""
        if order.order_id in self.orders:
            if order.leaves_qty > 0:
                self.add(order)
            else:
                self.remove(order)

    def total(self, position_qty: int, extra: Order | None = None, without: Order | None = None) -> int:
        """Collateral needed given the position; optionally with `extra` added / `without` left out."""
        cost = dict(self.cost)
        fee = self.fee
        if without is not None and without.order_id in self.orders:
            c, f = without.reserved
            cost[without.side] -= c
            fee -= f
        if extra is not None:
            c, f = self._contribution(extra)
            cost[extra.side] += c
            fee += f
        for side, credit in ((Side.BUY, max(-position_qty, 0)), (Side.SELL, max(position_qty, 0))):
            if credit and cost[side]:
                cost[side] -= self._credited(side, credit, extra, without)
        return cost[Side.BUY] + cost[Side.SELL] + fee

    def _credited(self, side: Side, credit: int, extra: Order | None, without: Order | None) -> int:
        """Price cost of the contracts that would close the opposite position (most aggressive first)."""
        orders = [o for o in self.orders.values() if o.side is side and o is not without]
        if extra is not None and extra.side is side:
            orders.append(extra)
        orders.sort(key=lambda o: (-o.price if side is Side.BUY else o.price, o.priority))
        value = 0
        for order in orders:
            if credit <= 0:
                break
            covered = min(order.leaves_qty, credit)
            credit -= covered
            value += unit_cost(side, order.price) * covered
        return value


def market_reserve(orders: list[Order], position_qty: int, fees: FeeSchedule) -> int:
    """Collateral the open `orders` of one subaccount in one market need (reference computation)."""
    bucket = ReserveBucket(fees)
    for order in orders:
        bucket.add(order)
    return bucket.total(position_qty)

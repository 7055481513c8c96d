"""Read-only records the books return, and the canonical snapshot both books produce."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from fixengine.book.layout import ONE_DOLLAR
from fixengine.model import OrdStatus, Side, TimeInForce


@dataclass(frozen=True, slots=True)
class OrderView:
    slot: int
    ticker: str
    subaccount: int
    side: Side
    price: int  # YES limit price
    orig_qty: int
    open_qty: int
    filled_qty: int
    time_in_force: TimeInForce
    group: str | None
    status: OrdStatus
    queue_ahead: int | None  # estimated qty ahead at the order's level; None = depth unknown
    fill_cost: int  # sum of fill qty x YES fill price, money units

    @property
    def avg_fill_price(self) -> Fraction | None:
        return Fraction(self.fill_cost, self.filled_qty) if self.filled_qty else None


@dataclass(frozen=True, slots=True)
class PositionView:
    """One market / subaccount, or totals (ticker None). Money fields in $0.000001."""

    ticker: str | None
    subaccount: int | None
    yes_qty: int
    no_qty: int
    yes_cost: int
    no_cost: int
    realized_pnl: int  # before fees
    fees: int
    payout: int
    volume: int

    @property
    def exposure(self) -> int:
        """Max loss: what was paid for the contracts still held (both sides can expire worthless)."""
        return self.yes_cost + self.no_cost

    @property
    def net_pnl(self) -> int:
        return self.realized_pnl - self.fees

    @property
    def avg_yes_price(self) -> Fraction | None:
        return Fraction(self.yes_cost, self.yes_qty) if self.yes_qty else None

    @property
    def avg_no_price(self) -> Fraction | None:
        return Fraction(self.no_cost, self.no_qty) if self.no_qty else None


@dataclass(frozen=True, slots=True)
class Walk:
    """Result of walking the book to buy a quantity."""

    filled_qty: int
    cost: int  # money units
    worst_price: int | None  # price paid for the last contract, in the bought side's own price


def mid_of(top: tuple[int, int, int, int]) -> Decimal | None:
    """Mid of the YES bid and YES ask in price units (exact, may end in .5)."""
    bid, _, ask, _ = top
    if bid < 0 or ask < 0:
        return None
    return Decimal(bid + ask) / 2


def implied_probability_of(top: tuple[int, int, int, int]) -> Decimal | None:
    """The YES mid as a probability (0..1); a one-sided book uses its one side; None when empty."""
    bid, _, ask, _ = top
    if bid >= 0 and ask >= 0:
        return Decimal(bid + ask) / (2 * ONE_DOLLAR)
    if bid >= 0 or ask >= 0:
        return Decimal(max(bid, ask)) / ONE_DOLLAR
    return None


class TopOfBookMixin:
    """Best bid / ask, spread, mid and implied probability, all derived from ``top(ticker)``.

    Both depth books (numba and reference) share these; they differ only in how ``top`` is found.
    """

    def best_bid(self, ticker: str, side: str = "yes") -> tuple[int, int] | None:
        """Best bid on `side` in that side's price, with its size."""
        bid, bid_qty, ask, ask_qty = self.top(ticker)
        if side == "yes":
            return (bid, bid_qty) if bid >= 0 else None
        return (ONE_DOLLAR - ask, ask_qty) if ask >= 0 else None

    def best_ask(self, ticker: str, side: str = "yes") -> tuple[int, int] | None:
        """Best ask on `side` in that side's price: the YES ask is 1 - best NO bid."""
        bid, bid_qty, ask, ask_qty = self.top(ticker)
        if side == "yes":
            return (ask, ask_qty) if ask >= 0 else None
        return (ONE_DOLLAR - bid, bid_qty) if bid >= 0 else None

    def spread(self, ticker: str) -> int | None:
        bid, _, ask, _ = self.top(ticker)
        return ask - bid if bid >= 0 and ask >= 0 else None

    def mid(self, ticker: str) -> Decimal | None:
        return mid_of(self.top(ticker))

    def implied_probability(self, ticker: str) -> Decimal | None:
        return implied_probability_of(self.top(ticker))

"""Net positions and realized P&L per (market, subaccount), built from our own fills.

Kalshi nets YES and NO holdings per market (part 1 §4.1): a bid fill adds YES, an offer fill
(== buy NO) subtracts YES. `net` is signed in qty units (+ long YES, - long NO). `open_value`
is the YES-price value of the open lots in money units; closing trades realize
(exit - entry) x qty on the YES price for longs and the reverse for shorts. All integers.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Position:
    ticker: str
    subaccount: int = 0
    net: int = 0  # qty units: + YES, - NO
    open_value: int = 0  # money units, YES-price basis of the open lots
    realized: int = 0  # money units, before fees
    fees: int = 0  # money units
    bought: int = 0  # qty units bought YES (bids filled)
    sold: int = 0  # qty units sold YES (offers filled == NO bought)

    @property
    def yes_qty(self) -> int:
        return max(self.net, 0)

    @property
    def no_qty(self) -> int:
        return max(-self.net, 0)

    @property
    def pnl(self) -> int:
        """Realized P&L net of fees (money units)."""
        return self.realized - self.fees

    def apply(self, buy: bool, price: int, qty: int, fee: int) -> int:
        """Apply one fill; returns the P&L it realized net of its fee (money units)."""
        self.fees += fee
        if buy:
            self.bought += qty
        else:
            self.sold += qty
        signed = qty if buy else -qty
        realized = 0
        if self.net == 0 or (self.net > 0) == buy:
            self.open_value += price * qty
            self.net += signed
            return -fee
        size = abs(self.net)
        closing = min(qty, size)
        basis = self.open_value * closing // size
        realized = price * closing - basis if self.net > 0 else basis - price * closing
        self.open_value -= basis
        self.net += closing if buy else -closing
        rest = qty - closing
        if rest:
            self.open_value = price * rest
            self.net = rest if buy else -rest
        self.realized += realized
        return realized - fee


class PositionBook:
    def __init__(self) -> None:
        self.positions: dict[tuple[str, int], Position] = {}

    def get(self, ticker: str, subaccount: int = 0) -> Position:
        key = (ticker, subaccount)
        pos = self.positions.get(key)
        if pos is None:
            pos = self.positions[key] = Position(ticker, subaccount)
        return pos

    def net(self, ticker: str, subaccount: int = 0) -> int:
        pos = self.positions.get((ticker, subaccount))
        return 0 if pos is None else pos.net

    def total_abs(self) -> int:
        return sum(abs(p.net) for p in self.positions.values())

    def total_pnl(self) -> int:
        return sum(p.pnl for p in self.positions.values())

    def nonzero(self) -> list[Position]:
        return [p for p in self.positions.values() if p.net or p.realized or p.fees]

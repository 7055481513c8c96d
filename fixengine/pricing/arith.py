"""Exact money arithmetic on integer units.

price unit ($0.0001) x qty unit (0.01 contract) == money unit ($0.000001), so a
notional is a plain integer product and never needs rounding. Rounding only
happens where the exchange publishes a coarser number (an average price, a fee
rounded to a cent); `div_round` does that with an explicit, named mode.
"""

from __future__ import annotations

from fixengine.pricing.units import MONEY_SCALE, ONE_CENT, ONE_DOLLAR

ROUND_DOWN = "down"  # toward -infinity
ROUND_UP = "up"  # toward +infinity
ROUND_HALF_UP = "half_up"  # ties away from zero
ROUND_HALF_EVEN = "half_even"  # ties to the even neighbour (banker's)
ROUND_TOWARD_ZERO = "toward_zero"
_MODES = (ROUND_DOWN, ROUND_UP, ROUND_HALF_UP, ROUND_HALF_EVEN, ROUND_TOWARD_ZERO)

#: money units in one cent / one dollar
MONEY_PER_CENT = MONEY_SCALE // 100
MONEY_PER_DOLLAR = MONEY_SCALE


def no_price(yes_price: int) -> int:
    """The NO price that complements a YES price: both sides of a match add up to $1."""
    return ONE_DOLLAR - yes_price


def notional(price: int, qty: int) -> int:
    """price units x qty units -> money units, exactly."""
    return price * qty


def payout(qty: int) -> int:
    """Money paid for `qty` winning contracts ($1 each)."""
    return ONE_DOLLAR * qty


def order_cost(side: str, yes_price: int, qty: int) -> int:
    """Money at risk for an order: a bid on YES pays the YES price, an offer on YES buys NO.

    `side` is FIX Side(54): "1"/Side.BUY (bid YES) or "2"/Side.SELL (offer YES == buy NO).
    """
    if side == "1":
        return yes_price * qty
    if side == "2":
        return (ONE_DOLLAR - yes_price) * qty
    raise ValueError(f"unknown side {side!r}")


def settlement_value(yes_value: int, long_qty: int, short_qty: int) -> int:
    """Money a position receives at settlement; `yes_value` is the YES contract's value in price units."""
    return yes_value * long_qty + (ONE_DOLLAR - yes_value) * short_qty


def div_round(numerator: int, denominator: int, mode: str = ROUND_HALF_EVEN) -> int:
    """Integer division with an explicit rounding mode (exact; no floats)."""
    if denominator == 0:
        raise ZeroDivisionError("div_round by zero")
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    quotient, remainder = divmod(numerator, denominator)  # floor division: 0 <= remainder < d
    if remainder == 0 or mode == ROUND_DOWN:
        return quotient
    if mode == ROUND_UP:
        return quotient + 1
    if mode == ROUND_TOWARD_ZERO:
        return quotient + 1 if numerator < 0 else quotient
    twice = 2 * remainder
    if mode == ROUND_HALF_UP:
        if twice > denominator or (twice == denominator and numerator >= 0):
            return quotient + 1
        return quotient
    if mode == ROUND_HALF_EVEN:
        if twice > denominator or (twice == denominator and quotient % 2 == 1):
            return quotient + 1
        return quotient
    raise ValueError(f"unknown rounding mode {mode!r}; expected one of {_MODES}")


def average_price(total_notional: int, total_qty: int, mode: str = ROUND_HALF_EVEN) -> int:
    """Volume-weighted average price in price units from summed notional (money) and qty.

    AvgPx(6) on the wire has 4 decimals, so a true average may need rounding;
    the exchange's rounding rule is not documented, hence the explicit mode.
    """
    if total_qty <= 0:
        raise ValueError("average_price needs a positive total quantity")
    return div_round(total_notional, total_qty, mode)


def money_to_cents(money: int, mode: str = ROUND_HALF_EVEN) -> int:
    """Money units -> whole cents with an explicit rounding mode."""
    return div_round(money, MONEY_PER_CENT, mode)


def cents_to_money(cents: int) -> int:
    """Whole cents (REST integer-cent fields such as balance) -> money units."""
    return cents * MONEY_PER_CENT


def price_to_money(price: int) -> int:
    """A price for exactly one contract, as money (e.g. a settlement value per contract)."""
    return price * 100


def cents_to_price(cents: int) -> int:
    """Whole cents -> price units."""
    return cents * ONE_CENT

"""Kalshi trading fees and fee rounding, in exact integer money units ($0.000001).

Fee model (Kalshi fee schedule as published by Kalshi and restated by third parties;
the REST Series object carries `fee_type` and `fee_multiplier`):

    trade fee = rate x fee_multiplier x C x P x (1 - P)      C contracts, P price in dollars
    taker rate 0.07; maker rate 0.0175

* ``quadratic``: takers pay, makers pay nothing.
* ``quadratic_with_maker_fees``: takers and makers pay (maker at 0.0175).
* ``quadratic_with_combo_maker_fees``: treated like quadratic_with_maker_fees
  (UNCONFIRMED: the docs only name it; combos are not simulated separately).
* ``flat``: UNCONFIRMED (no public formula found). The simulator charges a configured
  ``flat_fee`` per contract to takers and makers alike.

Rounding (docs.kalshi.com/getting_started/fee_rounding, newest version):
1. the trade fee is rounded UP to $0.0001;
2. balance_change = revenue - trade_fee (revenue signed, negative for buyers);
3. balance_change is floored (toward -inf) to the user's target precision:
   $0.01 for non-direct members, $0.0001 for direct members;
4. rounding_fee = balance_change - floor(balance_change);
5. a per-order accumulator sums rounding fees; once it exceeds $0.01 a $0.01 rebate is
   issued and the accumulator drops by $0.01 (it carries across taker and maker fills).
Net fee = trade fee + rounding fee - rebate (>= 0). The balance moves by
revenue - net fee = floor(balance_change) + rebate. (The docs' worked-example table
lists the pre-rebate floor in its "balance change" column; the accounting here keeps
balance change == revenue - net fee exactly.) "Exceeds" is taken literally (> $0.01).
Because the docs also state the net fee is never negative, a rebate is deferred when this
fill's trade fee + rounding fee is below $0.01 (only possible on zero-fee maker fills).

Settlement (same page): payouts are rounded down to whole cents; the remainder is a
settlement fee.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from fixengine.pricing import ONE_DOLLAR

TAKER_RATE = Fraction(7, 100)
MAKER_RATE = Fraction(175, 10_000)

MONEY_CENTICENT = 100  # $0.0001 in money units
MONEY_CENT = 10_000  # $0.01 in money units

#: fee types that charge makers
_MAKER_FEE_TYPES = frozenset({"quadratic_with_maker_fees", "quadratic_with_combo_maker_fees"})


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """A market's fee parameters (from its series)."""

    fee_type: str = "quadratic"
    multiplier: Fraction = Fraction(1)
    maker_multiplier: Fraction | None = None  # None = same as multiplier
    flat_fee: int = 0  # money per contract, fee_type "flat" only

    def trade_fee(self, price: int, qty: int, is_taker: bool) -> int:
        """Trade fee in money units, already rounded up to $0.0001 (step 1)."""
        return trade_fee(self, price, qty, is_taker)


def trade_fee(schedule: FeeSchedule, price: int, qty: int, is_taker: bool) -> int:
    """rate x multiplier x C x P x (1-P), in money units, rounded up to $0.0001 (pure integer math)."""
    if qty <= 0:
        return 0
    if schedule.fee_type == "flat":
        # flat_fee is money per contract; qty units are 0.01 contract
        return -(-(schedule.flat_fee * qty) // (100 * MONEY_CENTICENT)) * MONEY_CENTICENT
    if is_taker:
        multiplier = schedule.multiplier
        num, den = TAKER_RATE.numerator * multiplier.numerator, TAKER_RATE.denominator * multiplier.denominator
    elif schedule.fee_type in _MAKER_FEE_TYPES:
        multiplier = schedule.maker_multiplier if schedule.maker_multiplier is not None else schedule.multiplier
        num, den = MAKER_RATE.numerator * multiplier.numerator, MAKER_RATE.denominator * multiplier.denominator
    else:
        return 0
    # dollars = rate * (qty/100) * (price/1e4) * ((1e4-price)/1e4); money = dollars * 1e6
    #         = rate * qty * price * (1e4 - price) / 1e4
    numerator = num * qty * price * (ONE_DOLLAR - price)
    denominator = den * ONE_DOLLAR * MONEY_CENTICENT
    return -(-numerator // denominator) * MONEY_CENTICENT


@dataclass(frozen=True, slots=True)
class FillCharge:
    """Outcome of charging one fill."""

    trade_fee: int
    rounding_fee: int
    rebate: int
    net_fee: int  # MiscFeeAmt(137)
    balance_change: int  # revenue - net_fee; aligned to the user's precision
    accumulator: int  # the order's accumulator after this fill


def charge_fill(revenue: int, trade_fee_money: int, precision: int, accumulator: int) -> FillCharge:
    """Apply steps 2-5 of the rounding rules to one fill of one order."""
    change = revenue - trade_fee_money
    floored = (change // precision) * precision  # floor toward -infinity
    rounding = change - floored
    accumulator += rounding
    rebate = 0
    # The docs state the net fee is always >= 0: a rebate larger than this fill's own fee +
    # rounding (possible when a maker pays no trade fee) waits for a later fill.
    if accumulator > MONEY_CENT and trade_fee_money + rounding >= MONEY_CENT:
        rebate = MONEY_CENT
        accumulator -= MONEY_CENT
    net_fee = trade_fee_money + rounding - rebate
    return FillCharge(trade_fee_money, rounding, rebate, net_fee, floored + rebate, accumulator)


def balance_precision(direct_member: bool) -> int:
    """Target balance precision in money units: $0.0001 for direct members, else $0.01."""
    return MONEY_CENTICENT if direct_member else MONEY_CENT


def settlement_rounding(raw_payout: int) -> tuple[int, int]:
    """(payout rounded down to whole cents, settlement fee = the remainder)."""
    payout = (raw_payout // MONEY_CENT) * MONEY_CENT
    return payout, raw_payout - payout

"""Exact money arithmetic and explicit rounding."""

import pytest

from fixengine.model import Side
from fixengine.pricing import (
    ROUND_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_TOWARD_ZERO,
    ROUND_UP,
    average_price,
    cents_to_money,
    div_round,
    format_money,
    money_to_cents,
    no_price,
    notional,
    order_cost,
    parse_price_dollars,
    parse_qty,
    payout,
    settlement_value,
)


def test_no_price_complements_yes():
    assert no_price(5600) == 4400
    assert no_price(1) == 9999
    assert no_price(no_price(1234)) == 1234


def test_notional_is_exact_money():
    # 10 contracts at $0.56 -> $5.60
    assert notional(parse_price_dollars("0.56"), parse_qty("10")) == 5_600_000
    # 0.01 contract at $0.0001 -> $0.000001, the smallest money unit
    assert notional(1, 1) == 1
    assert format_money(notional(parse_price_dollars("0.0950"), parse_qty("3.33"))) == "0.31635"


def test_order_cost_by_side():
    assert order_cost(Side.BUY, 5600, 1000) == 5_600_000
    assert order_cost(Side.SELL, 5600, 1000) == 4_400_000
    assert order_cost("1", 5600, 100) == 560_000
    with pytest.raises(ValueError):
        order_cost("3", 5600, 100)


def test_payout_and_settlement_value():
    assert payout(100) == 1_000_000  # one contract pays $1
    assert settlement_value(10_000, 300, 0) == 3_000_000
    assert settlement_value(0, 300, 200) == 2_000_000
    # scalar result 30.60 cents: YES worth 0.3060, NO worth 0.6940
    assert settlement_value(3060, 100, 100) == 1_000_000


@pytest.mark.parametrize(
    "n, d, mode, expected",
    [
        (7, 2, ROUND_DOWN, 3),
        (7, 2, ROUND_UP, 4),
        (7, 2, ROUND_HALF_UP, 4),
        (7, 2, ROUND_HALF_EVEN, 4),
        (5, 2, ROUND_HALF_EVEN, 2),
        (5, 2, ROUND_HALF_UP, 3),
        (-5, 2, ROUND_HALF_UP, -3),
        (-5, 2, ROUND_HALF_EVEN, -2),
        (-7, 2, ROUND_DOWN, -4),
        (-7, 2, ROUND_UP, -3),
        (-7, 2, ROUND_TOWARD_ZERO, -3),
        (7, 2, ROUND_TOWARD_ZERO, 3),
        (7, -2, ROUND_DOWN, -4),
        (10, 3, ROUND_HALF_EVEN, 3),
        (11, 3, ROUND_HALF_EVEN, 4),
        (6, 3, ROUND_UP, 2),
    ],
)
def test_div_round(n, d, mode, expected):
    assert div_round(n, d, mode) == expected


def test_div_round_errors():
    with pytest.raises(ZeroDivisionError):
        div_round(1, 0)
    with pytest.raises(ValueError):
        div_round(1, 3, "sideways")


def test_average_price():
    # 60 @ 0.70 and 40 @ 0.60 -> 0.66 (the S9 example)
    total = notional(7000, 6000) + notional(6000, 4000)
    assert average_price(total, 10_000) == 6600
    # 1 @ 0.01 + 2 @ 0.02 -> 0.016666.. -> 0.0167 half-even
    total = notional(100, 100) + notional(200, 200)
    assert average_price(total, 300) == 167
    assert average_price(total, 300, ROUND_DOWN) == 166
    with pytest.raises(ValueError):
        average_price(1, 0)


def test_cents_conversions():
    assert cents_to_money(1234) == 12_340_000
    assert money_to_cents(12_345_000) == 1234  # half-even: 1234.5 -> 1234
    assert money_to_cents(12_345_000, ROUND_UP) == 1235

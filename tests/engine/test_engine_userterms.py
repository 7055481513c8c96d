"""User terms -> wire terms: sides, NO-price complement, exact numbers, no silent floats."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fixengine.engine import userterms as U
from fixengine.errors import UserInputError
from fixengine.model import Side, TimeInForce


@pytest.mark.parametrize("side,price,wire_side,wire_price", [
    ("buy_yes", "0.30", Side.BUY, 3000),
    ("sell_yes", "0.30", Side.SELL, 3000),
    ("buy_no", "0.30", Side.SELL, 7000),  # buy NO @ 0.30 == offer YES @ 0.70
    ("sell_no", "0.30", Side.BUY, 7000),
    ("Buy-No", Decimal("0.0950"), Side.SELL, 9050),
    ("buy", 1234, Side.BUY, 1234),
])
def test_side_and_price_to_wire(side, price, wire_side, wire_price):
    got_side, is_no, _ = U.parse_side(side)
    assert got_side is wire_side
    assert U.wire_price(U.parse_user_price(price), is_no) == wire_price


@pytest.mark.parametrize("bad", [0.3, 1.0, True, "1.00", "0", "-0.1", "0.12345", [1], None])
def test_bad_prices_are_refused(bad):
    with pytest.raises(UserInputError):
        U.parse_user_price(bad)
    U.parse_user_price(1)  # an int of the same value as 1.0 must not make 1.0 acceptable
    with pytest.raises(UserInputError):
        U.parse_user_price(1.0)


def test_quantities_money_tif_expiry_stp():
    assert U.parse_user_qty("10") == 1000 and U.parse_user_qty("2.50") == 250 and U.parse_user_qty(150) == 150
    with pytest.raises(UserInputError):
        U.parse_user_qty("2.5", False)  # market without fractional trading
    with pytest.raises(UserInputError):
        U.parse_user_qty(2.5)
    assert U.parse_user_money("2.50") == 2_500_000
    assert U.parse_tif(None, None) is TimeInForce.GTC
    assert U.parse_tif(None, "20261126-04:59:00.000") is TimeInForce.GTD
    assert U.parse_tif("IOC", None) is TimeInForce.IOC
    with pytest.raises(UserInputError):
        U.parse_tif("gtx", None)
    when = dt.datetime(2026, 11, 25, 23, 0, 0, 123456, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert U.format_expire_time(when) == "20261126-04:00:00.123"
    with pytest.raises(UserInputError):
        U.format_expire_time(dt.datetime(2026, 11, 25))  # naive
    assert U.parse_stp("maker") == 2 and U.parse_stp(None) is None
    with pytest.raises(UserInputError):
        U.parse_side("short")

"""Parse/format of prices, quantities and money: exact values and every error class."""

import pytest

from fixengine.errors import FixEngineError, UserInputError
from fixengine.pricing import (
    InvalidMoneyError,
    InvalidPriceError,
    InvalidQtyError,
    Money,
    NotWholeCentError,
    Price,
    PriceOutOfRangeError,
    PricingError,
    Qty,
    format_money,
    format_price,
    format_price_cents,
    format_price_dollars,
    format_qty,
    parse_money,
    parse_order_price,
    parse_order_price_dollars,
    parse_order_qty,
    parse_price,
    parse_price_cents,
    parse_price_cents_lenient,
    parse_price_dollars,
    parse_qty,
)


@pytest.mark.parametrize(
    "text, units",
    [
        ("0.56", 5600),
        ("0.5600", 5600),
        ("0.0950", 950),
        ("0.0001", 1),
        ("0.9999", 9999),
        ("0.725", 7250),
        ("0.7250", 7250),
        ("0.5", 5000),
        ("0.56000", 5600),  # trailing zeros past 4 dp carry no information
        ("1.0000", 10_000),
        ("0", 0),
        ("00.5000", 5000),
    ],
)
def test_parse_price_dollars_values(text, units):
    assert parse_price_dollars(text) == units


@pytest.mark.parametrize(
    "units, text", [(5600, "0.5600"), (1, "0.0001"), (950, "0.0950"), (10_000, "1.0000"), (0, "0.0000"), (-25, "-0.0025")]
)
def test_format_price_dollars(units, text):
    assert format_price_dollars(units) == text


BAD_NUMBERS = [
    ("", "empty"),
    (" ", "not a plain decimal"),
    (" 0.5", "not a plain decimal"),
    ("0.5 ", "expected digits"),
    ("0.5\n", "expected digits"),
    ("nan", "not a plain decimal"),
    ("NaN", "not a plain decimal"),
    ("inf", "not a plain decimal"),
    ("-inf", "negative"),
    ("1e-2", "not a plain decimal"),
    ("5E1", "not a plain decimal"),
    ("0.5e0", "expected digits"),
    ("+0.5", "leading '+'"),
    ("-0.5", "negative"),
    (".5", "not a plain decimal"),
    ("5.", "expected digits"),
    ("0..5", "expected digits"),
    ("0.5.0", "expected digits"),
    ("1_000", "not a plain decimal"),
    ("0x10", "not a plain decimal"),
    ("٠.٥", "non-ASCII"),  # Arabic-Indic digits: str.isdigit() would accept these
    ("０.５", "non-ASCII"),  # full-width digits
    ("0.5²", "non-ASCII"),
    ("1" * 40, "longer than"),
]


@pytest.mark.parametrize("text, reason", BAD_NUMBERS)
def test_parse_price_rejects_malformed(text, reason):
    with pytest.raises(InvalidPriceError) as info:
        parse_price_dollars(text)
    assert reason in str(info.value)
    assert info.value.text == text


def test_parse_price_rejects_too_many_decimals():
    with pytest.raises(InvalidPriceError, match="more than 4 decimal places"):
        parse_price_dollars("0.56001")


@pytest.mark.parametrize("value", [None, 0.56, 5600, b"0.56"])
def test_parse_rejects_non_text(value):
    with pytest.raises(InvalidPriceError, match="expected text"):
        parse_price_dollars(value)


def test_errors_are_user_input_errors_and_carry_text():
    with pytest.raises(UserInputError) as info:
        parse_qty("ten")
    assert isinstance(info.value, FixEngineError)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, PricingError)
    assert info.value.text == "ten"
    assert "'ten'" in str(info.value)


def test_error_message_truncates_huge_text():
    text = "9" * 10_000
    with pytest.raises(InvalidQtyError) as info:
        parse_qty(text)
    assert len(str(info.value)) < 150


@pytest.mark.parametrize("text, units", [("0.01", 100), ("0.5", 5000), ("0.9999", 9999), ("0.0950", 950)])
def test_order_price_dollars_accepts_inside_unit_interval(text, units):
    assert parse_order_price_dollars(text) == units


@pytest.mark.parametrize("text", ["0", "0.0000", "1", "1.0000", "1.5", "12"])
def test_order_price_dollars_rejects_out_of_range(text):
    with pytest.raises(PriceOutOfRangeError) as info:
        parse_order_price_dollars(text)
    assert info.value.text == text


def test_order_price_dollars_rejects_malformed_before_range():
    with pytest.raises(InvalidPriceError):
        parse_order_price_dollars("-0.5")


@pytest.mark.parametrize("text, units", [("1", 100), ("72", 7200), ("99", 9900), ("05", 500)])
def test_parse_price_cents(text, units):
    assert parse_price_cents(text) == units


@pytest.mark.parametrize("text", ["0", "100", "150"])
def test_parse_price_cents_range(text):
    with pytest.raises(PriceOutOfRangeError):
        parse_price_cents(text)


@pytest.mark.parametrize("text", ["72.0", "72.5", "0.72", "-5", "", "7 2", "+7"])
def test_parse_price_cents_rejects_non_integers(text):
    with pytest.raises(InvalidPriceError):
        parse_price_cents(text)


@pytest.mark.parametrize("text, units", [("66", 6600), ("30.60", 3060), ("72.5", 7250), ("0.01", 1), ("100", 10_000)])
def test_parse_price_cents_lenient(text, units):
    assert parse_price_cents_lenient(text) == units


def test_parse_price_cents_lenient_rejects_sub_hundredth_cent():
    with pytest.raises(InvalidPriceError, match="more than 2 decimal places"):
        parse_price_cents_lenient("72.505")


def test_format_price_cents():
    assert format_price_cents(7200) == "72"
    assert format_price_cents(100) == "1"
    with pytest.raises(NotWholeCentError) as info:
        format_price_cents(7250)
    assert info.value.text == "0.7250"


def test_session_mode_dispatch():
    assert parse_price("0.7250", use_dollars=True) == 7250
    assert parse_price("72.5", use_dollars=False) == 7250
    assert parse_order_price("0.72", use_dollars=True) == 7200
    assert parse_order_price("72", use_dollars=False) == 7200
    assert format_price(7200, use_dollars=True) == "0.7200"
    assert format_price(7200, use_dollars=False) == "72"
    with pytest.raises(PriceOutOfRangeError):
        parse_order_price("100", use_dollars=False)


@pytest.mark.parametrize(
    "text, units",
    [("10", 1000), ("10.00", 1000), ("100.0000", 10_000), ("0.01", 1), ("0.5", 50), ("0", 0), ("72612.49", 7_261_249)],
)
def test_parse_qty(text, units):
    assert parse_qty(text) == units


@pytest.mark.parametrize("text, reason", BAD_NUMBERS)
def test_parse_qty_rejects_malformed(text, reason):
    with pytest.raises(InvalidQtyError) as info:
        parse_qty(text)
    assert reason in str(info.value)


def test_parse_qty_rejects_sub_hundredth():
    with pytest.raises(InvalidQtyError, match="more than 2 decimal places"):
        parse_qty("1.001")


def test_parse_order_qty():
    assert parse_order_qty("2.5") == 250
    assert parse_order_qty("3", fractional=False) == 300
    with pytest.raises(InvalidQtyError, match="positive"):
        parse_order_qty("0.00")
    with pytest.raises(InvalidQtyError, match="fractional"):
        parse_order_qty("2.5", fractional=False)


@pytest.mark.parametrize("units, text", [(1000, "10.00"), (1, "0.01"), (0, "0.00"), (7_261_249, "72612.49"), (-150, "-1.50")])
def test_format_qty(units, text):
    assert format_qty(units) == text


@pytest.mark.parametrize(
    "text, units",
    [
        ("0.00006", 60),
        ("0.000001", 1),
        ("1.5", 1_500_000),
        ("-0.35", -350_000),
        ("-0", 0),
        ("123.456789", 123_456_789),
        ("0.0700000", 70_000),
    ],
)
def test_parse_money(text, units):
    assert parse_money(text) == units


def test_parse_money_rejects_seven_decimals_and_plus():
    with pytest.raises(InvalidMoneyError, match="more than 6 decimal places"):
        parse_money("0.0000001")
    with pytest.raises(InvalidMoneyError, match="'\\+'"):
        parse_money("+1.00")
    with pytest.raises(InvalidMoneyError, match="not a plain decimal"):
        parse_money("--1")


@pytest.mark.parametrize(
    "units, places, text",
    [
        (1_500_000, 4, "1.5000"),
        (60, 4, "0.00006"),  # never rounds: extends past `places` when needed
        (60, 6, "0.000060"),
        (-350_000, 2, "-0.35"),
        (1_000_000, 0, "1"),
        (1_230_000, 0, "1.23"),
        (0, 4, "0.0000"),
    ],
)
def test_format_money(units, places, text):
    assert format_money(units, places) == text


def test_format_money_rejects_bad_places():
    with pytest.raises(ValueError):
        format_money(1, 7)


def test_formatters_accept_numpy_ints_and_reject_floats():
    import numpy as np

    assert format_price_dollars(np.int64(5600)) == "0.5600"
    assert format_qty(np.int32(250)) == "2.50"
    with pytest.raises(TypeError):
        format_price_dollars(0.56)
    with pytest.raises(TypeError):
        format_money(1.0)


def test_readable_int_subclasses():
    price, qty, money = Price.parse("0.56"), Qty.parse("10"), Money.parse("0.00006")
    assert price == 5600 and str(price) == "0.5600" and repr(price) == "Price(0.5600)"
    assert qty == 1000 and str(qty) == "10.00"
    assert money == 60 and str(money) == "0.00006"
    assert price * qty == 5_600_000  # plain int arithmetic: price x qty is money
    assert type(price + 1) is int


def test_memo_cache_never_skips_validation():
    for _ in range(2):
        assert parse_price_dollars("1.0000") == 10_000
        with pytest.raises(PriceOutOfRangeError):
            parse_order_price_dollars("1.0000")
        with pytest.raises(InvalidPriceError):
            parse_price_dollars("0.5x")
        assert parse_qty("100.0000") == 10_000
        with pytest.raises(InvalidQtyError):
            parse_order_qty("0")
        assert format_price_dollars(5600) == "0.5600"

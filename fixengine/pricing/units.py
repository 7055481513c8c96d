"""Exact fixed-point conversion between wire text and integer units.

Units (fixed for the whole project):
  price -> int, units of $0.0001 (PRICE_SCALE per dollar); always the YES price
  qty   -> int, units of 0.01 contract (QTY_SCALE per contract)
  money -> int, units of $0.000001 (MONEY_SCALE per dollar) == price unit x qty unit

The parsers run once per FIX field, so they use only str methods and one int()
call: no float, no Decimal. They are deliberately strict about syntax (no sign
unless allowed, no '+', no exponent, no whitespace, no nan/inf, ASCII digits
only, digits on both sides of a decimal point) so that a malformed field is an
error instead of a silently different number. Trailing zeros beyond the unit's
precision are accepted ("100.0000" is a valid quantity) because Kalshi emits
such values; a non-zero digit beyond the precision is an error, never rounded.
"""

from __future__ import annotations

import operator

from fixengine.pricing.errors import (
    InvalidMoneyError,
    InvalidPriceError,
    InvalidQtyError,
    NotWholeCentError,
    PriceOutOfRangeError,
    PricingError,
)

PRICE_SCALE = 10_000
QTY_SCALE = 100
MONEY_SCALE = 1_000_000
ONE_DOLLAR = PRICE_SCALE
ONE_CENT = PRICE_SCALE // 100
ONE_CONTRACT = QTY_SCALE

PRICE_PLACES = 4
QTY_PLACES = 2
MONEY_PLACES = 6

# Longer numeric fields are not plausible on this exchange; refusing them keeps
# int() from doing quadratic work on hostile input.
_MAX_TEXT_LEN = 32


# Memo tables for the per-field hot path. Only successfully parsed/formatted
# values are stored (so a cache hit can never skip validation), keyed by exact
# str/int type, and each table stops growing at _CACHE_LIMIT entries: a few
# thousand distinct prices and sizes cover a trading day.
_CACHE_LIMIT = 1 << 15
_PRICE_TEXT_CACHE: dict[str, int] = {}
_QTY_TEXT_CACHE: dict[str, int] = {}
_PRICE_UNITS_CACHE: dict[int, str] = {}


def _to_units(text: str, places: int, signed: bool, error: type[PricingError]) -> int:
    """Parse a plain decimal into an integer count of 10**-places."""
    if type(text) is not str:
        raise error(text, f"expected text, got {type(text).__name__}")
    if not text:
        raise error(text, "empty")
    if len(text) > _MAX_TEXT_LEN:
        raise error(text, f"longer than {_MAX_TEXT_LEN} characters")
    if not text.isascii():
        raise error(text, "contains non-ASCII characters")
    negative = False
    body = text
    first = text[0]
    if first == "-":
        if not signed:
            raise error(text, "negative values are not allowed")
        negative = True
        body = text[1:]
    elif first == "+":
        raise error(text, "a leading '+' is not allowed")
    whole, dot, frac = body.partition(".")
    if not whole.isdigit():
        raise error(text, "not a plain decimal number")
    if dot:
        if not frac.isdigit():
            raise error(text, "expected digits after the decimal point")
        if len(frac) > places:
            extra = frac[places:]
            if extra.strip("0"):
                raise error(text, f"more than {places} decimal places")
            frac = frac[:places]
        digits = whole + frac + "0" * (places - len(frac))
    else:
        digits = whole + "0" * places
    value = int(digits)
    return -value if negative else value


def _format_units(units: int, scale: int, places: int) -> str:
    """Render an integer count of 10**-places with exactly `places` decimals."""
    if units < 0:
        return "-" + _format_units(-units, scale, places)
    whole, frac = divmod(units, scale)
    return f"{whole}.{frac:0{places}d}"


def _as_int(units: object, what: str) -> int:
    """Accept int and numpy integers (numpy arrays and numba hand those out); refuse floats outright."""
    if type(units) is int:
        return units
    try:
        return operator.index(units)
    except TypeError:
        raise TypeError(f"{what} must be an integer count of units, got {type(units).__name__}") from None


# ---------------------------------------------------------------------------- prices, dollars


def parse_price_dollars(text: str) -> int:
    """Any non-negative dollar price with up to 4 decimals (AvgPx, LastPx, bands): "0.5600" -> 5600."""
    if type(text) is str:
        value = _PRICE_TEXT_CACHE.get(text)
        if value is not None:
            return value
    value = _to_units(text, PRICE_PLACES, False, InvalidPriceError)
    if len(_PRICE_TEXT_CACHE) < _CACHE_LIMIT:
        _PRICE_TEXT_CACHE[text] = value
    return value


def parse_order_price_dollars(text: str) -> int:
    """A dollar order price, which must lie strictly inside (0, 1): "0.0950" -> 950."""
    value = parse_price_dollars(text)
    if not 0 < value < ONE_DOLLAR:
        raise PriceOutOfRangeError(text, "order prices must be strictly between 0 and 1 dollar")
    return value


def format_price_dollars(units: int) -> str:
    """Price units as dollars with exactly 4 decimals, the form Kalshi writes: 5600 -> "0.5600"."""
    text = _PRICE_UNITS_CACHE.get(units) if type(units) is int else None
    if text is None:
        text = _format_units(_as_int(units, "price"), PRICE_SCALE, PRICE_PLACES)
        if len(_PRICE_UNITS_CACHE) < _CACHE_LIMIT:
            _PRICE_UNITS_CACHE[int(units)] = text
    return text


# ---------------------------------------------------------------------------- prices, cents


def parse_price_cents(text: str) -> int:
    """A cents-mode order price: a whole number of cents 1..99 -> price units ("72" -> 7200)."""
    if type(text) is str and "." in text:
        raise InvalidPriceError(text, "cents-mode prices are whole numbers of cents")
    cents = _to_units(text, 0, False, InvalidPriceError)
    if not 1 <= cents <= 99:
        raise PriceOutOfRangeError(text, "cents-mode order prices must be 1 to 99")
    return cents * ONE_CENT


def parse_price_cents_lenient(text: str) -> int:
    """A cents-mode report field (AvgPx, SettlementPrice) that may carry up to 2 decimals of a cent.

    "66" -> 6600, "30.60" -> 3060, "72.5" -> 7250. Not range-checked.
    """
    return _to_units(text, 2, False, InvalidPriceError)


def format_price_cents(units: int) -> str:
    """Price units as whole cents ("72"); a sub-cent price cannot be written in cents mode."""
    units = _as_int(units, "price")
    cents, rest = divmod(units, ONE_CENT)
    if rest:
        raise NotWholeCentError(format_price_dollars(units), "not a whole number of cents")
    return str(cents)


def parse_price(text: str, use_dollars: bool) -> int:
    """A report price in the session's format (UseDollars(21005)=Y or cents)."""
    return parse_price_dollars(text) if use_dollars else parse_price_cents_lenient(text)


def parse_order_price(text: str, use_dollars: bool) -> int:
    """An order price in the session's format, range-checked to (0, 1) dollar."""
    return parse_order_price_dollars(text) if use_dollars else parse_price_cents(text)


def format_price(units: int, use_dollars: bool) -> str:
    """A price in the session's format."""
    return format_price_dollars(units) if use_dollars else format_price_cents(units)


# ---------------------------------------------------------------------------- quantities


def parse_qty(text: str) -> int:
    """A non-negative contract count with up to 2 decimals: "10" / "10.00" / "100.0000" -> units of 0.01."""
    if type(text) is str:
        value = _QTY_TEXT_CACHE.get(text)
        if value is not None:
            return value
    value = _to_units(text, QTY_PLACES, False, InvalidQtyError)
    if len(_QTY_TEXT_CACHE) < _CACHE_LIMIT:
        _QTY_TEXT_CACHE[text] = value
    return value


def parse_order_qty(text: str, fractional: bool = True) -> int:
    """An order size: strictly positive; whole contracts only when the market is not fractional."""
    value = _to_units(text, QTY_PLACES, False, InvalidQtyError)
    if value <= 0:
        raise InvalidQtyError(text, "order quantity must be positive")
    if not fractional and value % ONE_CONTRACT:
        raise InvalidQtyError(text, "fractional contracts are not allowed on this market")
    return value


def format_qty(units: int) -> str:
    """Qty units as contracts with exactly 2 decimals: 1000 -> "10.00"."""
    units = _as_int(units, "quantity")
    return _format_units(units, QTY_SCALE, QTY_PLACES)


# ---------------------------------------------------------------------------- money


def parse_money(text: str) -> int:
    """A signed dollar amount with up to 6 decimals: "0.00006" -> 60 (units of $0.000001)."""
    return _to_units(text, MONEY_PLACES, True, InvalidMoneyError)


def format_money(units: int, places: int = 4) -> str:
    """Money units as dollars with at least `places` decimals, more only when needed to stay exact.

    format_money(1_500_000) -> "1.5000"; format_money(60) -> "0.00006"; never rounds.
    """
    units = _as_int(units, "money")
    if not 0 <= places <= MONEY_PLACES:
        raise ValueError(f"places must be 0..{MONEY_PLACES}, got {places}")
    if units < 0:
        return "-" + format_money(-units, places)
    whole, frac = divmod(units, MONEY_SCALE)
    digits = f"{frac:06d}".rstrip("0")
    if len(digits) < places:
        digits += "0" * (places - len(digits))
    return f"{whole}.{digits}" if digits else str(whole)


"""The strategy's terms -> wire terms: side, price, quantity, time in force, expiry.

Kalshi has one YES book per market (part 1 §4.1): buying YES is a bid (54=1); buying NO is an
offer of YES (54=2) at the complementary price. So `buy_no @ 0.30` goes out as 54=2, 44=0.70, and
`sell_no @ 0.30` as 54=1, 44=0.70. Numbers are never binary floats: a price is text in dollars
("0.30", "0.0950") or an int in price units ($0.0001); a quantity is text in contracts ("10",
"2.50") or an int in qty units (0.01 contract); money is text in dollars or int money units.
A float raises UserInputError instead of being rounded silently.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache

from fixengine.errors import UserInputError
from fixengine.model import Side, TimeInForce
from fixengine.pricing.units import ONE_DOLLAR, parse_money, parse_order_qty, parse_price_dollars

#: user side -> (wire side, price is the NO price)
SIDES = {
    "buy_yes": (Side.BUY, False),
    "buy": (Side.BUY, False),
    "sell_yes": (Side.SELL, False),
    "sell": (Side.SELL, False),
    "buy_no": (Side.SELL, True),
    "sell_no": (Side.BUY, True),
}
CANONICAL_SIDE = {"buy": "buy_yes", "sell": "sell_yes"}

TIFS = {
    "day": TimeInForce.DAY,
    "gtc": TimeInForce.GTC,
    "ioc": TimeInForce.IOC,
    "fok": TimeInForce.FOK,
    "gtd": TimeInForce.GTD,
}

STP = {"taker": 1, "taker_at_cross": 1, "maker": 2, 1: 1, 2: 2}


def _cached(function):
    """Memoise a pure parser. typed=True so that 1 and 1.0 never share an entry (a float must
    still be refused); unhashable input is a user error, not a TypeError."""
    memo = lru_cache(maxsize=4096, typed=True)(function)

    def parse(*args):
        try:
            return memo(*args)
        except TypeError as exc:
            if "unhashable" not in str(exc):
                raise
            raise UserInputError(f"{args[0]!r}: expected text or an int") from None

    parse.__doc__ = function.__doc__
    parse.__name__ = function.__name__
    return parse


def _no_float(value: object, what: str) -> None:
    if isinstance(value, float):
        raise UserInputError(f"{what} {value!r} is a binary float; pass text like '0.30' or integer units")
    if isinstance(value, bool):
        raise UserInputError(f"{what} {value!r} is not a number")


def _text(value: object) -> str | None:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, Decimal):
        return format(value, "f")
    return None


@_cached
def parse_side(side: object) -> tuple[Side, bool, str]:
    """-> (wire side, price given as NO price, canonical user side)."""
    if isinstance(side, Side):
        return side, False, "buy_yes" if side is Side.BUY else "sell_yes"
    key = str(side).strip().lower().replace("-", "_").replace(" ", "_")
    if key not in SIDES:
        raise UserInputError(f"unknown side {side!r} (use buy_yes, sell_yes, buy_no or sell_no)")
    wire, is_no = SIDES[key]
    return wire, is_no, CANONICAL_SIDE.get(key, key)


@_cached  # strategies repeat the same few price texts; parsing is pure
def parse_user_price(price: object) -> int:
    """Price units from '0.30' / Decimal('0.30') / int units; range (0, 1) dollar exclusive."""
    _no_float(price, "price")
    text = _text(price)
    units = parse_price_dollars(text) if text is not None else price
    if not isinstance(units, int):
        raise UserInputError(f"price {price!r}: expected dollars as text or int units of $0.0001")
    if not 0 < units < ONE_DOLLAR:
        raise UserInputError(f"price {price!r} must be strictly between 0 and 1 dollar")
    return int(units)


def wire_price(user_price: int, is_no: bool) -> int:
    """The YES price to send: NO prices are complemented (buy NO @ 0.30 == offer YES @ 0.70)."""
    return ONE_DOLLAR - user_price if is_no else user_price


@_cached
def parse_user_qty(qty: object, fractional: bool = True) -> int:
    _no_float(qty, "qty")
    text = _text(qty)
    if text is not None:
        return parse_order_qty(text, fractional)
    if not isinstance(qty, int) or qty <= 0:
        raise UserInputError(f"qty {qty!r}: expected contracts as text or a positive int of 0.01-contract units")
    if not fractional and qty % 100:
        raise UserInputError(f"qty {qty!r} units: fractional contracts are not allowed on this market")
    return int(qty)


def parse_user_money(value: object) -> int:
    _no_float(value, "amount")
    text = _text(value)
    if text is not None:
        units = parse_money(text)
    elif isinstance(value, int):
        units = value
    else:
        raise UserInputError(f"amount {value!r}: expected dollars as text or int units of $0.000001")
    if units <= 0:
        raise UserInputError(f"amount {value!r} must be positive")
    return int(units)


def parse_tif(tif: object, expire_time: object) -> TimeInForce:
    if expire_time is None and type(tif) is str:
        return _parse_tif_text(tif)
    return _parse_tif(tif, expire_time)


@_cached
def _parse_tif_text(tif: str) -> TimeInForce:
    return _parse_tif(tif, None)


def _parse_tif(tif: object, expire_time: object) -> TimeInForce:
    if tif is None:
        return TimeInForce.GTD if expire_time is not None else TimeInForce.GTC
    if isinstance(tif, TimeInForce):
        return tif
    key = str(tif).strip().lower()
    if key not in TIFS:
        raise UserInputError(f"unknown time in force {tif!r} (use day, gtc, ioc, fok or gtd)")
    return TIFS[key]


def format_expire_time(value: object) -> str:
    """UTCTimestamp text YYYYMMDD-HH:MM:SS.mmm from an aware datetime (or such text, checked)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise UserInputError(f"expire_time {value!r} has no time zone; pass an aware datetime")
        utc = value.astimezone(dt.timezone.utc)
        return utc.strftime("%Y%m%d-%H:%M:%S.") + f"{utc.microsecond // 1000:03d}"
    if isinstance(value, str):
        try:
            dt.datetime.strptime(value, "%Y%m%d-%H:%M:%S.%f" if "." in value else "%Y%m%d-%H:%M:%S")
        except ValueError:
            raise UserInputError(f"expire_time {value!r}: expected YYYYMMDD-HH:MM:SS.mmm (UTC)") from None
        return value
    raise UserInputError(f"expire_time {value!r}: expected an aware datetime or UTCTimestamp text")


def parse_stp(stp: object) -> int | None:
    if stp is None:
        return None
    key = stp.strip().lower() if isinstance(stp, str) else stp
    if key not in STP:
        raise UserInputError(f"unknown self-trade prevention {stp!r} (use 'taker' or 'maker')")
    return STP[key]

"""Readers that turn one JSON field into an exact typed value, or say which field was bad.

Kalshi sends money and counts as decimal strings (FixedPointDollars / FixedPointCount);
they go through fixengine.pricing so a value is an exact integer or an error, never a
float. JSON numbers (strikes, fee multipliers) are decoded as Decimal by the client
(``json.loads(parse_float=Decimal)``) for the same reason.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from fixengine.pricing import parse_money, parse_price_dollars, parse_qty
from fixengine.pricing.errors import PricingError
from fixengine.rest.errors import RestResponseError

_MISSING = object()


class Fields:
    """Typed access to one JSON object; errors name the object kind and the key."""

    __slots__ = ("data", "kind")

    def __init__(self, data: Any, kind: str) -> None:
        if not isinstance(data, dict):
            raise RestResponseError(f"{kind}: expected a JSON object, got {type(data).__name__}")
        self.data = data
        self.kind = kind

    def error(self, key: str, why: str) -> RestResponseError:
        return RestResponseError(f"{self.kind}.{key}: {why}")

    def _get(self, key: str, required: bool) -> Any:
        value = self.data.get(key, _MISSING)
        if value is _MISSING or value is None:
            if required:
                raise self.error(key, "required field missing")
            return None
        return value

    def _typed(self, key: str, required: bool, types: tuple[type, ...], name: str) -> Any:
        value = self._get(key, required)
        if value is None:
            return None
        # bool is an int subclass; an int field holding true/false is a shape error.
        if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
            raise self.error(key, f"expected {name}, got {type(value).__name__}")
        return value

    def str(self, key: str, required: bool = True) -> str | None:
        return self._typed(key, required, (str,), "a string")

    def text(self, key: str) -> str:
        """An optional string that reads as "" when absent."""
        return self._typed(key, False, (str,), "a string") or ""

    def int(self, key: str, required: bool = True) -> int | None:
        return self._typed(key, required, (int,), "an integer")

    def bool(self, key: str, required: bool = True) -> bool | None:
        return self._typed(key, required, (bool,), "a boolean")

    def number(self, key: str, required: bool = False) -> Decimal | None:
        value = self._typed(key, required, (int, Decimal, float), "a number")
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))

    def list(self, key: str, required: bool = True) -> list:
        value = self._typed(key, required, (list,), "a list")
        return [] if value is None else value

    def obj(self, key: str, required: bool = False) -> dict | None:
        return self._typed(key, required, (dict,), "an object")

    def _fixed(self, key: str, required: bool, parse) -> int | None:
        value = self.str(key, required)
        if value is None:
            return None
        try:
            return parse(value)
        except PricingError as exc:
            raise self.error(key, exc.reason + f" ({value!r})") from None

    def price(self, key: str, required: bool = True) -> int | None:
        """FixedPointDollars price -> units of $0.0001."""
        return self._fixed(key, required, parse_price_dollars)

    def qty(self, key: str, required: bool = True) -> int | None:
        """FixedPointCount -> units of 0.01 contract."""
        return self._fixed(key, required, parse_qty)

    def signed_qty(self, key: str, required: bool = True) -> int | None:
        """Signed FixedPointCount (positions: + YES, - NO)."""
        return self._fixed(key, required, parse_signed_qty)

    def money(self, key: str, required: bool = True) -> int | None:
        """FixedPointDollars amount (up to 6 dp) -> units of $0.000001."""
        return self._fixed(key, required, parse_money)

    def time(self, key: str, required: bool = True) -> datetime | None:
        value = self.str(key, required)
        if value is None:
            return None
        try:
            return parse_time(value)
        except ValueError:
            raise self.error(key, f"not an RFC 3339 date-time ({value!r})") from None


def parse_signed_qty(text: str) -> int:
    if text.startswith("-"):
        return -parse_qty(text[1:])
    return parse_qty(text)


def parse_time(text: str) -> datetime:
    """RFC 3339 UTC with or without fractional seconds ("...Z" or "+00:00")."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError("no time zone")
    return value


def loads_exact(text: str | bytes):
    """JSON with non-integer numbers as Decimal (never float)."""
    import json
    return json.loads(text, parse_float=Decimal)


def dumps_exact(value: Any) -> str:
    """Compact JSON that writes Decimal numbers digit for digit (json.dumps would need floats)."""
    import json
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot write {value} as JSON")
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(str(k)) + ":" + dumps_exact(v) for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps_exact(v) for v in value) + "]"
    return json.dumps(value)

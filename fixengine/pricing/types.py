"""Optional int subclasses that print themselves readably.

They behave exactly like int (arithmetic returns plain int), so they can be
passed anywhere a unit count is expected; they exist for logs, reprs and CLI
output. Hot paths should keep using plain ints.
"""

from __future__ import annotations

from fixengine.pricing.units import (
    format_money,
    format_price_dollars,
    format_qty,
    parse_money,
    parse_price_dollars,
    parse_qty,
)


class Price(int):
    """A YES price in units of $0.0001; str() gives dollars with 4 decimals."""

    __slots__ = ()

    @classmethod
    def parse(cls, text: str) -> Price:
        return cls(parse_price_dollars(text))

    def __str__(self) -> str:
        return format_price_dollars(int(self))

    def __repr__(self) -> str:
        return f"Price({format_price_dollars(int(self))})"


class Qty(int):
    """A quantity in units of 0.01 contract; str() gives contracts with 2 decimals."""

    __slots__ = ()

    @classmethod
    def parse(cls, text: str) -> Qty:
        return cls(parse_qty(text))

    def __str__(self) -> str:
        return format_qty(int(self))

    def __repr__(self) -> str:
        return f"Qty({format_qty(int(self))})"


class Money(int):
    """Money in units of $0.000001; str() gives dollars with 4 (or more, if needed) decimals."""

    __slots__ = ()

    @classmethod
    def parse(cls, text: str) -> Money:
        return cls(parse_money(text))

    def __str__(self) -> str:
        return format_money(int(self))

    def __repr__(self) -> str:
        return f"Money({format_money(int(self))})"

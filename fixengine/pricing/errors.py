"""Errors raised by the pricing package.

Every error keeps the offending text in ``.text`` (shortened, so that a hostile
peer cannot make a log line huge) and the human reason in ``.reason``.
"""

from __future__ import annotations

from fixengine.errors import UserInputError

_MAX_SHOWN = 48


def _shown(text: object) -> str:
    """The offending input as it is quoted in messages (repr, truncated)."""
    if not isinstance(text, str):
        return f"<{type(text).__name__}>"
    if len(text) > _MAX_SHOWN:
        return repr(text[:_MAX_SHOWN]) + "..."
    return repr(text)


class PricingError(UserInputError):
    """Base class: a number, price or grid that cannot be used."""

    kind = "value"

    def __init__(self, text: object, reason: str) -> None:
        self.text = text if isinstance(text, str) else repr(text)
        self.reason = reason
        super().__init__(f"invalid {self.kind} {_shown(text)}: {reason}")


class InvalidPriceError(PricingError):
    """Price text that is not a well-formed decimal of the expected precision."""

    kind = "price"


class InvalidQtyError(PricingError):
    """Quantity text that is malformed, negative, too precise, or not allowed."""

    kind = "quantity"


class InvalidMoneyError(PricingError):
    """Money text that is malformed or carries more than 6 decimals."""

    kind = "money amount"


class PriceOutOfRangeError(PricingError):
    """A price outside (0, 1) dollars or outside a market's tick grid."""

    kind = "price"


class OffGridPriceError(PricingError):
    """A price inside the range that is not a multiple of its band's step."""

    kind = "price"


class NotWholeCentError(PricingError):
    """A price that a cents-mode session cannot carry (not a whole cent)."""

    kind = "price"


class InvalidTickGridError(PricingError):
    """``price_ranges`` bands that are empty, overlapping, gapped or misaligned."""

    kind = "tick grid"


class UnknownPriceStructureError(PricingError):
    """A ``price_level_structure`` label this version does not know."""

    kind = "price level structure"

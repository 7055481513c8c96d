"""Exact prices, quantities and money as integers, and per-market tick grids.

  price -> int, units of $0.0001 (PRICE_SCALE == 10_000 per dollar), the YES price
  qty   -> int, units of 0.01 contract (QTY_SCALE == 100 per contract)
  money -> int, units of $0.000001 (MONEY_SCALE == 1_000_000 per dollar)

price x qty == money exactly, so no arithmetic in the engine ever rounds except
where a coarser published number demands it (see arith.div_round).
"""

from fixengine.pricing.arith import (
    MONEY_PER_CENT,
    MONEY_PER_DOLLAR,
    ROUND_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_TOWARD_ZERO,
    ROUND_UP,
    average_price,
    cents_to_money,
    cents_to_price,
    div_round,
    money_to_cents,
    no_price,
    notional,
    order_cost,
    payout,
    price_to_money,
    settlement_value,
)
from fixengine.pricing.errors import (
    InvalidMoneyError,
    InvalidPriceError,
    InvalidQtyError,
    InvalidTickGridError,
    NotWholeCentError,
    OffGridPriceError,
    PriceOutOfRangeError,
    PricingError,
    UnknownPriceStructureError,
)
from fixengine.pricing.ticks import DOCUMENTED_STRUCTURES, TickGrid
from fixengine.pricing.types import Money, Price, Qty
from fixengine.pricing.units import (
    MONEY_PLACES,
    MONEY_SCALE,
    ONE_CENT,
    ONE_CONTRACT,
    ONE_DOLLAR,
    PRICE_PLACES,
    PRICE_SCALE,
    QTY_PLACES,
    QTY_SCALE,
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

__all__ = [name for name in dir() if not name.startswith("_")]

"""Business validation of NewOrderSingle requests: Kalshi reject Text(58) and OrdRejReason(103).

Order of checks (first failure wins): ClOrdID syntax, account/subaccount, symbol and
shard, market status and pauses, duplicate open ClOrdID, quantity, price grid, order
attributes (TIF/expiry, reduce-only, STP, max cost), order group. Balance is checked
by the exchange afterwards (it needs the reservation arithmetic).

Choices where the fact sheets say UNCONFIRMED (documented-safe picks):
* off-grid / out-of-range price -> INVALID_ORDER, 103=11;
* bad quantity (<= 0, fractional on a whole-contract market) -> INVALID_ORDER, 103=13;
* ExDestination naming a shard that does not hold the market -> MARKET_NOT_FOUND, 103=1;
* STP values other than 1/2 -> INVALID_ORDER, 103=11;
* ClOrdID reuse is refused only among the user's OPEN orders (part1 §4.2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from fixengine.model import Side, TimeInForce
from fixengine.pricing import ONE_CONTRACT
from fixengine.sim.exchange.markets import CLOSED, DETERMINED, INACTIVE, PAUSED, SETTLED, Market
from fixengine.sim.exchange.requests import NewOrder

# OrdRejReason(103)
UNKNOWN_SYMBOL = 1
EXCHANGE_CLOSED = 2
ORDER_EXCEEDS_LIMIT = 3
TOO_LATE = 4
DUPLICATE_ORDER = 6
UNSUPPORTED_CHARACTERISTIC = 11
INCORRECT_QUANTITY = 13
UNKNOWN_ACCOUNT = 15
OTHER = 99

# CxlRejReason(102)
CXL_TOO_LATE = 0
CXL_UNKNOWN_ORDER = 1
CXL_BROKER = 2
CXL_INVALID_PRICE_INCREMENT = 18
CXL_OTHER = 99

CLORDID_MAX = 64
_CLORDID = re.compile(r"^[\-\w:+=/]*$", re.ASCII)


@dataclass(frozen=True, slots=True)
class Refusal:
    code: int  # 103 for new orders, 102 for cancel/replace
    text: str


def clordid_problem(cl_ord_id: str) -> bool:
    """True when a ClOrdID breaks Kalshi's rule: 1-64 chars of ^[-\\w:+=/]*$ (ASCII)."""
    return not cl_ord_id or len(cl_ord_id) > CLORDID_MAX or not _CLORDID.match(cl_ord_id)


def market_status_refusal(market: Market, exchange_paused: str | None) -> Refusal | None:
    """Whether a market accepts new orders / amends right now."""
    if market.status in (CLOSED, DETERMINED, SETTLED):
        return Refusal(EXCHANGE_CLOSED, "MARKET_ALREADY_CLOSED")
    if market.status == INACTIVE:
        return Refusal(EXCHANGE_CLOSED, "MARKET_INACTIVE")
    if exchange_paused == "exchange":
        return Refusal(EXCHANGE_CLOSED, "EXCHANGE_PAUSED")
    if exchange_paused == "trading" or market.status == PAUSED:
        return Refusal(EXCHANGE_CLOSED, "TRADING_PAUSED")
    return None


def qty_refusal(qty: int, market: Market) -> Refusal | None:
    if qty <= 0:
        return Refusal(INCORRECT_QUANTITY, "INVALID_ORDER")
    if not market.fractional and qty % ONE_CONTRACT:
        return Refusal(INCORRECT_QUANTITY, "INVALID_ORDER")
    return None


def price_refusal(price: int, market: Market) -> Refusal | None:
    if not market.grid.is_on_grid(price):
        return Refusal(UNSUPPORTED_CHARACTERISTIC, "INVALID_ORDER")
    return None


def attribute_refusal(req: NewOrder, now: datetime) -> Refusal | None:
    """TIF / expiry / ExecInst / STP / MaxExecutionCost consistency."""
    invalid = Refusal(UNSUPPORTED_CHARACTERISTIC, "INVALID_ORDER")
    if not isinstance(req.side, Side) or not isinstance(req.tif, TimeInForce):
        return invalid
    if req.tif is TimeInForce.GTD and req.expire_time is None:
        return invalid  # ExpireTime(126) is required with 59=6
    if req.tif is not TimeInForce.GTD and req.expire_time is not None:
        return invalid  # ExpireTime only means something on GTD orders
    if req.reduce_only and req.tif is not TimeInForce.IOC:
        return invalid  # event contracts: reduce-only is IOC only (part1 §4.2)
    if req.stp not in (1, 2):
        return invalid
    if req.max_cost is not None and req.max_cost <= 0:
        return invalid
    return None

"""Requests the simulated exchange accepts (what the FIX gateway / REST face build from the wire).

All numbers are already parsed into the project's integer units (see fixengine.model):
price = $0.0001 units (YES price), qty = 0.01-contract units, money = $0.000001 units.
The gateway does the wire-level validation (tags present, formats); the exchange does
every business rule (ticker, grid, balance, ClOrdID uniqueness, ...), so a request
with an odd value is still a valid request object here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fixengine.model import Side, TimeInForce

#: SelfTradePreventionType(2964) values.
STP_TAKER_AT_CROSS = 1
STP_MAKER = 2


@dataclass(slots=True, frozen=True)
class NewOrder:
    """NewOrderSingle (35=D)."""

    key_id: str  # API key (SenderCompID) that sent it
    user_id: str
    cl_ord_id: str
    symbol: str
    side: Side
    price: int  # YES limit price, $0.0001 units
    qty: int  # OrderQty, 0.01-contract units
    tif: TimeInForce = TimeInForce.GTC
    expire_time: datetime | None = None  # ExpireTime(126), timezone-aware UTC; required for GTD
    post_only: bool = False  # ExecInst 6
    reduce_only: bool = False  # ExecInst E
    stp: int = STP_TAKER_AT_CROSS  # SelfTradePreventionType(2964)
    max_cost: int | None = None  # MaxExecutionCost(21009), money units
    subaccount: int = 0  # AllocAccount(79)
    order_group: str | None = None  # SecondaryClOrdID(526) / OrderGroupID(20130)
    cancel_on_pause: bool = False  # CancelOrderOnPause(21006)
    shard: int | None = None  # ExDestination(100); None or -1 = route by symbol
    session_id: str = ""  # opaque id of the session that sent it (for scoping / routing reports)


@dataclass(slots=True, frozen=True)
class CancelOrder:
    """OrderCancelRequest (35=F)."""

    key_id: str
    user_id: str
    cl_ord_id: str  # id of this cancel request
    orig_cl_ord_id: str  # ClOrdID of the order's current state
    symbol: str
    side: Side
    order_id: str | None = None
    subaccount: int = 0
    shard: int | None = None
    session_id: str = ""


@dataclass(slots=True, frozen=True)
class ReplaceOrder:
    """OrderCancelReplaceRequest (35=G).

    qty is the new TOTAL size including what has already filled. price None keeps the
    current price. tif None and expire_time None keep the current expiry (Kalshi's
    convention); tif DAY / GTC / GTD(+future expire_time) change it (part1 §4.5).
    """

    key_id: str
    user_id: str
    cl_ord_id: str  # new ClOrdID
    orig_cl_ord_id: str
    symbol: str
    side: Side
    qty: int
    price: int | None = None
    tif: TimeInForce | None = None
    expire_time: datetime | None = None
    order_id: str | None = None
    subaccount: int = 0
    shard: int | None = None
    session_id: str = ""


@dataclass(slots=True, frozen=True)
class MassCancel:
    """OrderMassCancelRequest (35=q, 530=6)."""

    key_id: str
    user_id: str
    cl_ord_id: str
    session_id: str = ""


Request = NewOrder | CancelOrder | ReplaceOrder | MassCancel

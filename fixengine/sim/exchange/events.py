"""Events the simulated exchange emits, in the order they happen.

Every Exchange method returns ``list[Event]``. The FIX gateway turns each event into
ExecutionReports / OrderCancelRejects / OrderMassCancelReports; the REST face and drop
copy read the same records from the exchange's per-user history.

Contract with the gateway (fixed):
* For every accepted order the FIRST event is ``OrderAccepted`` even when the order
  trades (or is canceled) in the same call. The gateway folds it into the first trade
  report (Kalshi default) or emits it (AlwaysEmitNewBeforeTrade 21026=Y).
* An IOC / FOK / post-only / reduce-only / STP / max-cost remainder is ALWAYS emitted as
  ``OrderCanceled`` with the Kalshi Text; the gateway decides per session flag
  (EnableIocCancelReport 21007) how to present it.
* Expiry and close cancels carry ``reason`` EXPIRY / CLOSE so the gateway can choose
  150=4 or 150=C (UseExpiredOrdStatus 21012).
* Each event has ``exec_id`` (``clock;event`` on shard 0, ``clock;event;shard`` elsewhere),
  ``user_id`` and ``key_id`` (the key that owns the order). Rejects carry ``-1;-1``
  (they have no valid ExecID; drop copy never replays them).

Units: price $0.0001, qty 0.01 contract, money $0.000001 (fixengine.model).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from fixengine.model import PENDING_EXEC_ID, OrdStatus, Side, TimeInForce
from fixengine.sim.exchange.requests import CancelOrder, MassCancel, NewOrder, ReplaceOrder

#: ExecID carried by reject events (no valid ExecID exists for them; see part2 §3.4).
REJECT_EXEC_ID = PENDING_EXEC_ID


class CancelReason(str, Enum):
    """Why an order stopped; the gateway maps EXPIRY/CLOSE to 150=C when 21012=Y."""

    REQUEST = "request"  # OrderCancelRequest (35=F)
    REPLACE_TO_CUM_QTY = "replace_to_cum_qty"  # 35=G with OrderQty == CumQty
    IOC = "ioc"  # IMMEDIATE_OR_CANCELLED
    FOK = "fok"  # FOK_INSUFFICIENT_VOLUME
    POST_ONLY = "post_only"  # POST_ONLY_CROSS
    REDUCE_ONLY = "reduce_only"  # REDUCE_ONLY (nothing / nothing more to reduce)
    STP_TAKER = "stp_taker"  # TAKER_CANCEL_FOR_SELF_TRADE_PREVENTION
    STP_MAKER = "stp_maker"  # MAKER_CANCEL_FOR_SELF_TRADE_PREVENTION
    MAX_COST = "max_cost"  # MaxExecutionCost(21009) could not be met
    MASS_CANCEL = "mass_cancel"  # OrderMassCancelRequest (35=q)
    DISCONNECT = "disconnect"  # CancelOrdersOnDisconnect (8013=Y)
    PAUSE = "pause"  # CancelOrderOnPause (21006=Y) when a pause starts
    EXPIRY = "expiry"  # Day / GTD deadline reached ("OrderExpiryCancel")
    CLOSE = "close"  # market closed ("CloseCancel")
    ORDER_GROUP = "order_group"  # ORDER_GROUP_CANCEL
    SETTLEMENT = "settlement"  # market determined/settled with the order still open
    ADMIN = "admin"  # operator action on the simulator


@dataclass(slots=True, frozen=True)
class OrderView:
    """Immutable snapshot of one order at the moment of an event."""

    order_id: str
    cl_ord_id: str  # ClOrdID of the last request that changed the order (D, G or F)
    orig_cl_ord_id: str | None  # previous ClOrdID (on replaced / canceled-by-request snapshots)
    user_id: str
    key_id: str
    session_id: str
    subaccount: int
    symbol: str
    side: Side
    price: int  # current YES limit price
    order_qty: int  # current total size (CumQty + LeavesQty while live; shrinks after cancels)
    original_qty: int  # size as first entered (PreserveOriginalOrderQty 21008)
    cum_qty: int
    leaves_qty: int
    cum_cost: int  # sum of fill price x fill qty (money units); AvgPx = cum_cost / cum_qty
    tif: TimeInForce  # as entered (Day stays DAY here; replace reports show 6/1, see has_expiry)
    expire_time: datetime | None  # effective deadline (Day: 23:59:59.999 ET), None = no expiry
    shard: int
    status: OrdStatus  # NEW, PARTIALLY_FILLED, FILLED, CANCELED
    exec_id: str  # ExecID of the event this snapshot belongs to
    transact_time: datetime
    created_time: datetime
    post_only: bool = False
    reduce_only: bool = False
    stp: int = 1
    cancel_on_pause: bool = False
    order_group: str | None = None
    max_cost: int | None = None
    fees_paid: int = 0  # total fees charged on this order's fills (money units)
    maker_fees: int = 0
    taker_fees: int = 0
    maker_fill_cost: int = 0
    taker_fill_cost: int = 0

    @property
    def avg_px(self) -> int | None:
        """Average YES fill price in price units, rounded half up; None before any fill."""
        if self.cum_qty <= 0:
            return None
        return (2 * self.cum_cost + self.cum_qty) // (2 * self.cum_qty)

    @property
    def has_expiry(self) -> bool:
        return self.expire_time is not None

    @property
    def is_open(self) -> bool:
        return self.leaves_qty > 0 and self.status in (OrdStatus.NEW, OrdStatus.PARTIALLY_FILLED)


@dataclass(slots=True, frozen=True)
class Fill:
    """One side of one trade (each trade produces one Fill per participating order)."""

    exec_id: str
    trade_id: str  # TrdMatchID(880), shared by both sides of the trade
    order_id: str
    user_id: str
    subaccount: int
    symbol: str
    side: Side
    price: int  # LastPx: YES price of the trade (the resting order's price)
    qty: int  # LastQty
    fee: int  # MiscFeeAmt(137), money units, >= 0
    aggressor: bool  # AggressorIndicator(1057): True = taker
    long_qty: int  # LongQty(704): net YES after the fill
    short_qty: int  # ShortQty(705): net NO after the fill
    collateral_change: int  # CollateralAmountChange(1704) BALANCE delta, money units (negative = paid;
    #                         the sign convention is UNCONFIRMED in the fact sheets)
    collateral_return: int  # SingleMarketCollateralReturn(21030): $1 per contract closed against the
    #                         opposite position, part of collateral_change (decomposition UNCONFIRMED)
    clearing_date: str  # ClearingBusinessDate(715), YYYYMMDD, US/Eastern date of the trade
    shard: int
    time: datetime


@dataclass(slots=True, frozen=True)
class OrderAccepted:
    order: OrderView
    exec_id: str = ""
    user_id: str = ""
    key_id: str = ""

    def __post_init__(self) -> None:
        _stamp(self, self.order)


@dataclass(slots=True, frozen=True)
class OrderFilled:
    order: OrderView  # snapshot after the fill
    fill: Fill
    exec_id: str = ""
    user_id: str = ""
    key_id: str = ""

    def __post_init__(self) -> None:
        _stamp(self, self.order)


@dataclass(slots=True, frozen=True)
class OrderCanceled:
    order: OrderView  # snapshot after the cancel (leaves_qty 0, status CANCELED)
    text: str | None  # Kalshi Text(58), e.g. IMMEDIATE_OR_CANCELLED; None for a requested cancel
    reason: CancelReason
    request_cl_ord_id: str | None = None  # ClOrdID of the F / G / q that caused it
    exec_id: str = ""
    user_id: str = ""
    key_id: str = ""

    def __post_init__(self) -> None:
        _stamp(self, self.order)

    @property
    def reason_kind(self) -> CancelReason:
        return self.reason


@dataclass(slots=True, frozen=True)
class OrderReplaced:
    order: OrderView  # snapshot after the replace (cl_ord_id = new id)
    prev_cl_ord_id: str
    lost_priority: bool = False
    exec_id: str = ""
    user_id: str = ""
    key_id: str = ""

    def __post_init__(self) -> None:
        _stamp(self, self.order)


@dataclass(slots=True, frozen=True)
class OrderRejected:
    """NewOrderSingle refused: ExecutionReport 150=8 with OrdRejReason(103) and Text(58)."""

    request: NewOrder
    ord_rej_reason: int
    text: str
    transact_time: datetime
    exec_id: str = REJECT_EXEC_ID
    user_id: str = ""
    key_id: str = ""

    def __post_init__(self) -> None:
        _stamp_from_request(self)


@dataclass(slots=True, frozen=True)
class CancelRejected:
    """Cancel / replace refused: OrderCancelReject (35=9)."""

    request: CancelOrder | ReplaceOrder
    order_status: OrdStatus | None  # current status of the target; None if the order is unknown
    cxl_rej_reason: int  # CxlRejReason(102)
    text: str
    response_to: int  # CxlRejResponseTo(434): 1 = cancel, 2 = replace
    transact_time: datetime
    order_id: str | None = None  # the target's OrderID when known
    exec_id: str = REJECT_EXEC_ID
    user_id: str = ""
    key_id: str = ""

    def __post_init__(self) -> None:
        _stamp_from_request(self)


@dataclass(slots=True, frozen=True)
class MassCancelReport:
    """OrderMassCancelReport (35=r); the per-order OrderCanceled events follow it."""

    request: MassCancel
    mass_cancel_id: str  # OrderID(37) of the mass-cancel operation
    canceled_count: int
    transact_time: datetime
    accepted: bool = True  # MassCancelResponse 6 (True) / 0 (False)
    reject_text: str | None = None
    exec_id: str = REJECT_EXEC_ID
    user_id: str = ""
    key_id: str = ""

    def __post_init__(self) -> None:
        _stamp_from_request(self)


@dataclass(slots=True, frozen=True)
class SettlementEntry:
    """One party of a market settlement (one UMS 20108 entry; one REST settlement record)."""

    user_id: str
    subaccount: int
    symbol: str
    event_ticker: str
    shard: int
    result: str  # "yes" | "no" | "scalar"
    long_qty: int  # net YES held at settlement (qty units)
    short_qty: int  # net NO held at settlement
    payout: int  # money units, rounded down to whole cents (CollateralAmountChange, PAYOUT)
    fee: int  # rounding residue: payout + fee == unrounded value (MiscFeeAmt)
    yes_total_cost: int  # money paid for the YES position still held (REST yes_total_cost_dollars)
    no_total_cost: int
    settled_time: datetime
    clearing_date: str


@dataclass(slots=True, frozen=True)
class MarketSettled:
    """A market settled: one entry per user+subaccount that held a position."""

    symbol: str
    event_ticker: str
    shard: int
    result: str
    settlement_price: int  # value of one YES contract, price units ($0.0001); 730 = this / 100 cents
    clearing_date: str
    settled_time: datetime
    report_id: str
    entries: tuple[SettlementEntry, ...] = field(default_factory=tuple)
    exec_id: str = ""
    user_id: str = ""  # empty: concerns every party listed in entries
    key_id: str = ""


@dataclass(slots=True, frozen=True)
class MarketStatusChanged:
    """Trading status of a market changed (for KalshiMD SecurityStatus and REST)."""

    symbol: str
    status: str  # open | paused | closed | determined | settled
    previous: str
    time: datetime
    exec_id: str = ""
    user_id: str = ""
    key_id: str = ""


@dataclass(frozen=True, slots=True)
class ExchangeStatusChanged:
    """Exchange-wide trading state changed: "open", "trading_paused" or "exchange_paused"."""

    status: str
    previous: str
    time: datetime
    exec_id: str = ""
    user_id: str = ""
    key_id: str = ""


Event = (
    OrderAccepted
    | OrderFilled
    | OrderCanceled
    | OrderReplaced
    | OrderRejected
    | CancelRejected
    | MassCancelReport
    | MarketSettled
    | MarketStatusChanged
    | ExchangeStatusChanged
)

#: Events that go into the per-user execution history (drop copy / REST): valid ExecIDs only.
HISTORY_EVENTS = (OrderAccepted, OrderFilled, OrderCanceled, OrderReplaced)


def _stamp_from_request(event: object) -> None:
    """Reject / mass-cancel events: user_id and key_id are those of the request answered."""
    object.__setattr__(event, "user_id", event.request.user_id)  # type: ignore[attr-defined]
    object.__setattr__(event, "key_id", event.request.key_id)  # type: ignore[attr-defined]


def _stamp(event: object, order: OrderView) -> None:
    """Fill exec_id / user_id / key_id from the order snapshot when not given explicitly."""
    if not event.exec_id:  # type: ignore[attr-defined]
        object.__setattr__(event, "exec_id", order.exec_id)
    object.__setattr__(event, "user_id", order.user_id)
    object.__setattr__(event, "key_id", order.key_id)

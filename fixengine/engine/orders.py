"""Order handles and the order state machine driven by ExecutionReports.

One Order per NewOrderSingle intent, identified by its first ClOrdID (`key`). Cancels and
replaces get their own ClOrdIDs; every ClOrdID of the chain maps back to the order, and the
exchange OrderID is learned from the first report. Reports are applied through
`OrderTracker.apply_report`, which returns the strategy events in order, handles:

* folded acks (a Trade report arriving while the order is still pending new, part 1 §4.10),
* partial fills, with CumQty/LeavesQty taken from the report (monotonic) so that the
  PreserveOriginalOrderQty(21008) choice does not matter,
* replace chains (11 = new ClOrdID, 41 = previous) and cancels answered on the request id,
* Expired (150=C, 21012=Y),
* duplicates: a report is applied once per (ExecID, ClOrdID) - RT resends, listener copies and
  journal replays all reuse the same ExecID; pending reports (-1;-1) are never dedup keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from fixengine.engine.events import Event, EventKind
from fixengine.model import PENDING_EXEC_ID, ExecReport, ExecType, OrdStatus, Side
from fixengine.pricing.units import ONE_DOLLAR
from fixengine.session.records import BusinessReject, CancelReject


class OrderStatus(str, Enum):
    PENDING_NEW = "pending_new"
    WORKING = "working"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"


TERMINAL = frozenset({OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED})

_BY_ORD_STATUS = {
    OrdStatus.FILLED: OrderStatus.FILLED,
    OrdStatus.CANCELED: OrderStatus.CANCELED,
    OrdStatus.EXPIRED: OrderStatus.EXPIRED,
    OrdStatus.REJECTED: OrderStatus.REJECTED,
    OrdStatus.PARTIALLY_FILLED: OrderStatus.PARTIALLY_FILLED,
}


@dataclass(slots=True)
class Fill:
    exec_id: str
    price: int  # YES price units (LastPx is always the YES price)
    qty: int
    fee: int  # money units
    aggressor: bool | None
    trd_match_id: str | None
    transact_time: str | None


@dataclass(slots=True)
class PendingRequest:
    kind: str  # "cancel" | "replace"
    cl_ord_id: str
    orig_cl_ord_id: str
    price: int | None = None  # replace: new YES price
    qty: int | None = None  # replace: new total qty
    tif: str | None = None
    expire_time: str | None = None


@dataclass(slots=True, eq=False)
class Order:
    """A strategy's handle on one order. Read it; change it only through the Engine."""

    key: str  # first ClOrdID: the order's identity for its whole life
    ticker: str
    side: Side  # wire side: BUY = bid YES, SELL = offer YES (== buy NO)
    user_side: str  # "buy_yes" | "sell_yes" | "buy_no" | "sell_no"
    price: int  # YES limit price units (wire)
    qty: int  # current total order size (qty units)
    tif: str
    expire_time: str | None = None
    subaccount: int = 0
    post_only: bool = False
    reduce_only: bool = False
    stp: int | None = None
    max_cost: int | None = None
    order_group: str | None = None
    status: OrderStatus = OrderStatus.PENDING_NEW
    cl_ord_id: str = ""  # ClOrdID of the order's current (last accepted) state
    order_id: str | None = None
    chain: list[str] = field(default_factory=list)  # accepted ClOrdIDs, oldest first
    cum_qty: int = 0
    leaves_qty: int = 0
    avg_px: int | None = None
    fees: int = 0
    fills: list[Fill] = field(default_factory=list)
    pending: dict[str, PendingRequest] = field(default_factory=dict)
    reject_reason: str | None = None  # Text(58) or the local rule that blocked it
    reject_code: int | None = None  # OrdRejReason(103) / CxlRejReason(102) / 380
    last_text: str | None = None
    local_reject: bool = False
    long_qty: int | None = None  # exchange-reported net position after the last fill
    short_qty: int | None = None

    def __post_init__(self) -> None:
        if not self.cl_ord_id:
            self.cl_ord_id = self.key
        if not self.chain:
            self.chain.append(self.key)
        if self.status is OrderStatus.PENDING_NEW and not self.leaves_qty:
            self.leaves_qty = self.qty

    @property
    def is_open(self) -> bool:
        return self.status not in TERMINAL

    @property
    def is_done(self) -> bool:
        return self.status in TERMINAL

    @property
    def pending_cancel(self) -> bool:
        return any(r.kind == "cancel" for r in self.pending.values())

    @property
    def pending_replace(self) -> bool:
        return any(r.kind == "replace" for r in self.pending.values())

    @property
    def user_price(self) -> int:
        """Limit price in the user's terms: the NO price for *_no orders."""
        return ONE_DOLLAR - self.price if self.user_side.endswith("_no") else self.price

    def __repr__(self) -> str:
        return (f"Order({self.key}, {self.ticker} {self.user_side} {self.qty}@{self.price} "
                f"{self.status.value} cum={self.cum_qty} leaves={self.leaves_qty})")


class OrderTracker:
    """All orders of one engine and the rules that move them between states."""

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}  # by key
        self.by_cl_ord_id: dict[str, Order] = {}  # every ClOrdID we ever sent -> order
        self.by_order_id: dict[str, Order] = {}
        self.open: dict[str, Order] = {}  # non-terminal orders by key (risk scans only these)
        self.seen: set[tuple[str, str]] = set()  # (ExecID, ClOrdID) already applied
        self.unknown_reports: list[ExecReport] = []
        self.fill_listeners: list = []  # callables(order, fill, report) - positions, risk

    # ------------------------------------------------------------------ registration
    def add(self, order: Order) -> None:
        self.orders[order.key] = order
        self.by_cl_ord_id[order.key] = order
        if order.status not in TERMINAL:
            self.open[order.key] = order

    def add_request(self, order: Order, request: PendingRequest) -> None:
        order.pending[request.cl_ord_id] = request
        self.by_cl_ord_id[request.cl_ord_id] = order

    def open_orders(self) -> list[Order]:
        return list(self.open.values())

    def find(self, cl_ord_id: str | None, orig: str | None = None, order_id: str | None = None) -> Order | None:
        order = self.by_cl_ord_id.get(cl_ord_id) if cl_ord_id else None
        if order is None and orig:
            order = self.by_cl_ord_id.get(orig)
        if order is None and order_id:
            order = self.by_order_id.get(order_id)
        return order

    # ------------------------------------------------------------------ execution reports
    def apply_report(self, r: ExecReport) -> list[Event]:
        if r.exec_id != PENDING_EXEC_ID:
            dedup_key = (r.exec_id, r.cl_ord_id)
            if dedup_key in self.seen:
                return []
            self.seen.add(dedup_key)
        order = self.find(r.cl_ord_id, r.orig_cl_ord_id, r.order_id)
        if order is None:
            self.unknown_reports.append(r)
            return [Event(EventKind.UNKNOWN_REPORT, None, r, r.text)]
        if order.order_id is None and r.order_id and r.exec_type is not ExecType.REJECTED:
            order.order_id = r.order_id
            self.by_order_id[r.order_id] = order
        if r.text:
            order.last_text = r.text
        if r.long_qty is not None:
            order.long_qty, order.short_qty = r.long_qty, r.short_qty
        handler = _HANDLERS.get(r.exec_type)
        return handler(self, order, r)

    def _ack_events(self, order: Order, r: ExecReport, folded: bool) -> list[Event]:
        if order.status is not OrderStatus.PENDING_NEW:
            return []
        order.status = OrderStatus.WORKING
        return [Event(EventKind.ACK, order, r, r.text, folded=folded)]

    def _on_pending_new(self, order: Order, r: ExecReport) -> list[Event]:
        return []

    def _on_new(self, order: Order, r: ExecReport) -> list[Event]:
        self._take_quantities(order, r)
        return self._ack_events(order, r, folded=False)

    def _on_trade(self, order: Order, r: ExecReport) -> list[Event]:
        events = self._ack_events(order, r, folded=True)
        previous_cum = order.cum_qty
        self._take_quantities(order, r)
        qty = r.last_qty if r.last_qty is not None else order.cum_qty - previous_cum
        price = r.last_px if r.last_px is not None else order.price
        fill = Fill(r.exec_id, price, qty, r.fee or 0, r.aggressor, r.trd_match_id, r.transact_time)
        order.fills.append(fill)
        order.fees += fill.fee
        for listener in self.fill_listeners:
            listener(order, fill, r)
        status = _BY_ORD_STATUS.get(r.ord_status)
        if status is None or status is OrderStatus.REJECTED:
            status = OrderStatus.FILLED if order.leaves_qty == 0 else OrderStatus.PARTIALLY_FILLED
        if status is OrderStatus.FILLED:
            order.status = OrderStatus.FILLED
            events.append(Event(EventKind.FILL, order, r))
            return events + self._done(order, r)
        events.append(Event(EventKind.PARTIAL, order, r))
        if status in TERMINAL:  # e.g. IOC remainder canceled in the same report
            order.status = status
            kind = EventKind.EXPIRE if status is OrderStatus.EXPIRED else EventKind.CANCEL
            events.append(Event(kind, order, r, r.text))
            return events + self._done(order, r)
        order.status = OrderStatus.PARTIALLY_FILLED
        return events

    def _on_canceled(self, order: Order, r: ExecReport) -> list[Event]:
        events = self._ack_events(order, r, folded=True) if r.cum_qty else []
        self._take_quantities(order, r)
        order.leaves_qty = 0
        order.status = OrderStatus.CANCELED
        request = order.pending.get(r.cl_ord_id)
        if request is not None and request.kind == "cancel":
            self._accept_chain(order, r.cl_ord_id)
        events.append(Event(EventKind.CANCEL, order, r, r.text))
        return events + self._done(order, r)

    def _on_expired(self, order: Order, r: ExecReport) -> list[Event]:
        self._take_quantities(order, r)
        order.leaves_qty = 0
        order.status = OrderStatus.EXPIRED
        return [Event(EventKind.EXPIRE, order, r, r.text)] + self._done(order, r)

    def _on_rejected(self, order: Order, r: ExecReport) -> list[Event]:
        request = order.pending.pop(r.cl_ord_id, None)
        if request is not None:  # a refused cancel/replace reported as an ER (unusual)
            kind = EventKind.CANCEL_REJECT if request.kind == "cancel" else EventKind.REPLACE_REJECT
            return [Event(kind, order, r, r.text)]
        if order.status in TERMINAL:
            return []
        order.status = OrderStatus.REJECTED
        order.leaves_qty = 0
        order.reject_reason = r.text
        order.reject_code = r.ord_rej_reason
        return [Event(EventKind.REJECT, order, r, r.text)] + self._done(order, r)

    def _on_replaced(self, order: Order, r: ExecReport) -> list[Event]:
        request = order.pending.get(r.cl_ord_id)
        self._take_quantities(order, r)
        if r.price is not None:
            order.price = r.price
        elif request is not None and request.price is not None:
            order.price = request.price
        # The new total size: what we asked for; else CumQty + LeavesQty (true under both 21008 modes).
        order.qty = request.qty if request is not None and request.qty is not None else r.cum_qty + r.leaves_qty
        if r.time_in_force is not None:
            order.tif = r.time_in_force.value
        if r.expire_time is not None or r.time_in_force is not None:
            order.expire_time = r.expire_time
        self._accept_chain(order, r.cl_ord_id)
        events = self._ack_events(order, r, folded=True)
        status = _BY_ORD_STATUS.get(r.ord_status)
        if status in TERMINAL:
            order.status = status
            events.append(Event(EventKind.REPLACE, order, r, r.text))
            return events + self._done(order, r)
        order.status = OrderStatus.PARTIALLY_FILLED if order.cum_qty else OrderStatus.WORKING
        events.append(Event(EventKind.REPLACE, order, r, r.text))
        return events

    def _on_pending_cancel(self, order: Order, r: ExecReport) -> list[Event]:
        return [Event(EventKind.PENDING_CANCEL, order, r)]

    def _on_pending_replace(self, order: Order, r: ExecReport) -> list[Event]:
        return [Event(EventKind.PENDING_REPLACE, order, r)]

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _take_quantities(order: Order, r: ExecReport) -> None:
        if r.cum_qty >= order.cum_qty:
            order.cum_qty = r.cum_qty
            order.leaves_qty = r.leaves_qty
            if r.avg_px is not None and r.cum_qty:
                order.avg_px = r.avg_px

    @staticmethod
    def _accept_chain(order: Order, cl_ord_id: str) -> None:
        """`cl_ord_id` (a cancel or replace request) is now the order's current ClOrdID."""
        order.pending.pop(cl_ord_id, None)
        if order.cl_ord_id != cl_ord_id:
            order.cl_ord_id = cl_ord_id
            order.chain.append(cl_ord_id)

    def _done(self, order: Order, r: object) -> list[Event]:
        order.pending.clear()
        self.open.pop(order.key, None)
        return [Event(EventKind.DONE, order, r)]

    # ------------------------------------------------------------------ other answers
    def apply_cancel_reject(self, rej: CancelReject) -> list[Event]:
        order = self.find(rej.cl_ord_id, rej.orig_cl_ord_id, rej.order_id)
        kind = EventKind.REPLACE_REJECT if rej.is_replace else EventKind.CANCEL_REJECT
        if order is None:
            return [Event(EventKind.UNKNOWN_REPORT, None, rej, rej.text)]
        order.pending.pop(rej.cl_ord_id, None)
        order.reject_code = rej.reason
        order.last_text = rej.text
        return [Event(kind, order, rej, rej.text)]

    def apply_business_reject(self, bmr: BusinessReject) -> list[Event]:
        """35=j naming one of our ClOrdIDs: the request was never applied."""
        order = self.by_cl_ord_id.get(bmr.ref_id) if bmr.ref_id else None
        if order is None:
            return []
        text = bmr.text or f"BusinessMessageReject 380={bmr.reason}"
        request = order.pending.pop(bmr.ref_id, None)
        if request is not None:
            kind = EventKind.CANCEL_REJECT if request.kind == "cancel" else EventKind.REPLACE_REJECT
            return [Event(kind, order, bmr, text)]
        if bmr.ref_id == order.key and order.status is OrderStatus.PENDING_NEW:
            order.status = OrderStatus.REJECTED
            order.leaves_qty = 0
            order.reject_reason = text
            order.reject_code = bmr.reason
            return [Event(EventKind.REJECT, order, bmr, text)] + self._done(order, bmr)
        return []

    def cancel_locally(self, order: Order, reason: str) -> list[Event]:
        """Mark an order canceled without a report (CancelOrdersOnDisconnect on a session with no resend)."""
        order.status = OrderStatus.CANCELED
        order.leaves_qty = 0
        order.last_text = reason
        return [Event(EventKind.CANCEL, order, None, reason)] + self._done(order, None)

    def reject_locally(self, order: Order, reason: str) -> list[Event]:
        """Refuse an order before it is sent (risk rule, rate limit, session down)."""
        order.status = OrderStatus.REJECTED
        order.local_reject = True
        order.leaves_qty = 0
        order.reject_reason = reason
        return [Event(EventKind.REJECT, order, None, reason)] + self._done(order, None)


_HANDLERS = {
    ExecType.PENDING_NEW: OrderTracker._on_pending_new,
    ExecType.NEW: OrderTracker._on_new,
    ExecType.TRADE: OrderTracker._on_trade,
    ExecType.CANCELED: OrderTracker._on_canceled,
    ExecType.EXPIRED: OrderTracker._on_expired,
    ExecType.REJECTED: OrderTracker._on_rejected,
    ExecType.REPLACED: OrderTracker._on_replaced,
    ExecType.PENDING_CANCEL: OrderTracker._on_pending_cancel,
    ExecType.PENDING_REPLACE: OrderTracker._on_pending_replace,
}

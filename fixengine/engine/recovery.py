"""Rebuild orders, fills and positions from the journal after a crash, and say what is unknown.

Replay feeds the journal's records, in write order, through the same OrderTracker that handled
them live, so the rebuilt state is exactly what the live engine had at its last committed write.
What the journal cannot settle is reported, never guessed: an intent with no answer (the NOS may
or may not have reached the exchange), a cancel/replace with no answer, reports for orders we have
no intent for. On KalshiRT the session then resends what was missed while down (QuickFIX FileStore
keeps the sequence numbers) and those reports clear the list; on KalshiNR nothing is resent, so
the list is what a strategy must reconcile (listener session, drop copy or REST).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fixengine.engine import journal as J
from fixengine.engine.orders import Order, OrderStatus, OrderTracker, PendingRequest
from fixengine.model import Side

ORDER_FIELDS = ("key", "ticker", "side", "user_side", "price", "qty", "tif", "expire_time", "subaccount",
                "post_only", "reduce_only", "stp", "max_cost", "order_group")


def encode_order(order: Order) -> list:
    return [getattr(order, f) for f in ORDER_FIELDS]


def decode_order(values: list) -> Order:
    data = dict(zip(ORDER_FIELDS, values))
    data["side"] = Side(data["side"])
    return Order(**data)


def encode_request(order: Order, req: PendingRequest) -> list:
    return [order.key, req.kind, req.cl_ord_id, req.orig_cl_ord_id, req.price, req.qty, req.tif, req.expire_time]


@dataclass(slots=True)
class Unaccounted:
    kind: str  # "new_no_answer" | "cancel_no_answer" | "replace_no_answer" | "unknown_report"
    cl_ord_id: str
    detail: str


@dataclass(slots=True)
class RecoveryReport:
    records: int = 0
    orders: int = 0
    open_orders: int = 0
    fills: int = 0
    settlements: int = 0
    settlement_pages: list = field(default_factory=list)  # SettlementReport pages, as the book got them
    unaccounted: list[Unaccounted] = field(default_factory=list)
    groups: dict[str, dict] = field(default_factory=dict)  # order group id -> last journaled snapshot
    rfq: list[dict] = field(default_factory=list)  # RFQ requester snapshots in write order (rfq/journal_codec.py)

    def __str__(self) -> str:
        lines = [f"journal: {self.records} records, {self.orders} orders ({self.open_orders} open), "
                 f"{self.fills} fills, {self.settlements} settlement reports, {sum(1 for d in self.groups.values() if 'request' not in d)} order groups, "
                 f"{len(self.rfq)} RFQ records"]
        lines += [f"  UNACCOUNTED {u.kind} {u.cl_ord_id}: {u.detail}" for u in self.unaccounted]
        return "\n".join(lines)


def replay(journal: J.Journal, tracker: OrderTracker, book=None) -> RecoveryReport:
    """Apply every journal record to `tracker` (whose fill listeners rebuild positions) and, when
    given, to the numba `book` (orders, positions, settlements)."""
    report = RecoveryReport()
    for _seq, kind, _key, data in journal.records():
        report.records += 1
        if kind == J.NEW:
            tracker.add(decode_order(data))
        elif kind in (J.LOCAL_REJECT, J.SEND_FAILED):
            _replay_refusal(tracker, data)
        elif kind == J.DISCONNECT_CANCEL:
            for key in data[1]:
                order = tracker.orders.get(key)
                if order is not None and order.is_open:
                    tracker.cancel_locally(order, data[0])
        elif kind in (J.CANCEL, J.REPLACE):
            order = tracker.orders.get(data[0])
            if order is not None:
                tracker.add_request(order, PendingRequest(*data[1:]))
        elif kind in (J.EXEC_REPORT, J.EXEC_REPORT_WIRE):
            er = J.decode_exec_report(data) if kind == J.EXEC_REPORT else J.decode_wire_exec_report(data)
            tracker.apply_report(er)
            if book is not None:
                book.apply_exec_report(er)
        elif kind == J.SETTLEMENT:
            report.settlements += 1
            page = J.decode_settlement(data)
            report.settlement_pages.append(page)
            if book is not None:
                book.apply_settlement(page)
        elif kind == J.GROUP:
            report.groups[data["group_id"]] = data
        elif kind == J.RFQ:
            report.rfq.append(data)
        elif kind == J.CANCEL_REJECT:
            tracker.apply_cancel_reject(J.decode_cancel_reject(data))
        elif kind == J.BUSINESS_REJECT:
            tracker.apply_business_reject(J.decode_business_reject(data))
    report.orders = len(tracker.orders)
    report.open_orders = len(tracker.open)
    report.fills = sum(len(o.fills) for o in tracker.orders.values())
    report.unaccounted = unaccounted(tracker)
    return report


def _replay_refusal(tracker: OrderTracker, data: list) -> None:
    """[order key, reason, request ClOrdID or None]: an intent that never left the engine."""
    key, reason, request_id = data
    order = tracker.orders.get(key)
    if order is None:
        return
    if request_id:
        order.pending.pop(request_id, None)
    elif order.is_open:
        tracker.reject_locally(order, reason)


def unaccounted(tracker: OrderTracker) -> list[Unaccounted]:
    """Everything whose outcome the engine does not know."""
    out: list[Unaccounted] = []
    for order in tracker.open.values():
        if order.status is OrderStatus.PENDING_NEW:
            out.append(Unaccounted("new_no_answer", order.key,
                                   f"{order.ticker} {order.user_side} sent, no report received"))
        for req in order.pending.values():
            out.append(Unaccounted(f"{req.kind}_no_answer", req.cl_ord_id,
                                   f"{req.kind} of {order.key} sent, no answer received"))
    for r in tracker.unknown_reports:
        out.append(Unaccounted("unknown_report", r.cl_ord_id,
                               f"ExecID {r.exec_id} {r.symbol} 150={r.exec_type.value} for no known intent"))
    return out

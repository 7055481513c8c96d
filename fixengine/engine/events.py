"""Events the engine delivers to strategies (callbacks and/or a queue)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fixengine.engine.orders import Order


class EventKind(str, Enum):
    ACK = "ack"  # exchange accepted the order (150=0, or folded into the first fill)
    PARTIAL = "partial"  # a fill that leaves quantity open
    FILL = "fill"  # the fill that completes the order
    CANCEL = "cancel"  # order canceled (by request, IOC/FOK remainder, post-only cross, STP, ...)
    REJECT = "reject"  # order refused: by the exchange, a 35=j, or locally by risk / rate limit
    REPLACE = "replace"  # cancel/replace accepted
    EXPIRE = "expire"  # Day/GTD expiry or market close (150=C, or 150=4 with an expiry text)
    DONE = "done"  # the order reached a terminal state (always follows the event that ended it)
    PENDING_CANCEL = "pending_cancel"
    PENDING_REPLACE = "pending_replace"
    CANCEL_REJECT = "cancel_reject"  # 35=9 answering our cancel
    REPLACE_REJECT = "replace_reject"  # 35=9 answering our replace
    MASS_CANCEL = "mass_cancel"  # 35=r
    UNKNOWN_REPORT = "unknown_report"  # a report for no order we know (another session, or lost intent)
    SESSION = "session"  # logon / logout / logon refused / session reject: see `text`
    RISK = "risk"  # kill switch engaged / daily loss limit reached
    SETTLEMENT = "settlement"  # a MarketSettlementReport page (35=UMS): positions closed at the result
    ORDER_GROUP = "order_group"  # an order group changed (UOH answer, 35=j refusal, inferred trigger)
    RFQ = "rfq"  # requester side of an RFQ: ack, quote received, accept status, cancel / expiry


@dataclass(slots=True)
class Event:
    kind: EventKind
    order: Order | None = None
    report: Any = None  # ExecReport, CancelReject, BusinessReject, MassCancelReport or None
    text: str | None = None
    folded: bool = False  # ACK derived from a Trade report (no separate 150=0 was sent)

    def __repr__(self) -> str:
        key = self.order.key if self.order is not None else None
        return f"Event({self.kind.value}, order={key}, text={self.text!r})"

"""Records for the non-ExecutionReport messages an order-entry session receives.

ExecutionReport itself is fixengine.model.ExecReport (shared with the book and the journal);
these are the session-specific answers: OrderCancelReject (35=9), OrderMassCancelReport (35=r),
BusinessMessageReject (35=j) and session-level Reject (35=3).
"""

from __future__ import annotations

from dataclasses import dataclass

#: CxlRejResponseTo(434)
RESPONSE_TO_CANCEL = "1"
RESPONSE_TO_REPLACE = "2"

#: BusinessRejectReason(380) for "rate limit exceeded" (part 1 §5.3)
BUSINESS_REJECT_RATE_LIMIT = 8

#: MassCancelResponse(531): 6 = all orders cancelled, 0 = rejected
MASS_CANCEL_ACCEPTED = "6"
MASS_CANCEL_REJECTED = "0"


@dataclass(slots=True)
class CancelReject:
    """OrderCancelReject (35=9): a cancel (434=1) or replace (434=2) that the exchange refused."""

    cl_ord_id: str
    orig_cl_ord_id: str | None
    order_id: str | None
    ord_status: str | None
    response_to: str  # "1" cancel, "2" replace
    reason: int | None  # CxlRejReason(102)
    text: str | None
    session: str | None = None

    @property
    def is_replace(self) -> bool:
        return self.response_to == RESPONSE_TO_REPLACE


@dataclass(slots=True)
class MassCancelReport:
    """OrderMassCancelReport (35=r); per-order 150=4 reports follow separately."""

    cl_ord_id: str
    order_id: str | None
    response: str  # MassCancelResponse(531)
    reject_reason: str | None  # MassCancelRejectReason(532)
    text: str | None
    session: str | None = None

    @property
    def accepted(self) -> bool:
        return self.response != MASS_CANCEL_REJECTED


@dataclass(slots=True)
class BusinessReject:
    """BusinessMessageReject (35=j): refused before exchange handling (rate limit, listener, ...)."""

    ref_seq_num: int | None
    ref_msg_type: str | None
    ref_id: str | None  # BusinessRejectRefID(379), normally our ClOrdID
    reason: int  # BusinessRejectReason(380)
    text: str | None
    session: str | None = None

    @property
    def is_rate_limit(self) -> bool:
        return self.reason == BUSINESS_REJECT_RATE_LIMIT


@dataclass(slots=True)
class SessionReject:
    """Reject (35=3): a malformed message of ours. A client bug, never retried blindly."""

    ref_seq_num: int | None
    ref_msg_type: str | None
    ref_tag: int | None
    reason: int | None  # SessionRejectReason(373)
    text: str | None
    session: str | None = None
    ref_cl_ord_id: str | None = None  # ClOrdID of the rejected message, when it was one of our orders

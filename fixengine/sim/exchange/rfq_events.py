"""RFQ (request for quote) requests the exchange accepts and events it emits (part2 §5).

Requests are built by the FIX gateway (fixengine/sim/gateway/rfq_wire.py) from the wire,
already in the project's integer units: price $0.0001 (YES price, 0 = "side not quoted"),
qty 0.01 contract, money $0.000001.

Every event says who receives it:
* ``user_id`` / ``key_id`` / ``session_id`` name the recipient (the session that asked, or the
  session that created the RFQ / quote). The gateway's RFQ desk looks the session up by name.
* ``RfqBroadcast`` and ``RfqClosed`` go to makers: every logged-on KalshiRFQ session of a user
  other than the creator (and other than ``exclude_user_ids`` for RfqClosed); their user_id /
  key_id are empty because there is no single recipient.

Who gets what (wire message in brackets):
  RfqAck [35=b] / RfqRejected [35=AG]            creator, answer to 35=R
  RfqBroadcast [35=R]                             makers, new RFQ
  RfqCancelStatus [35=UB]                         creator, answer to 35=UE, or unsolicited 21013=2
  RfqClosed [35=AG 658=99]                        makers, the RFQ they saw is closed
  QuoteStatus [35=AI]                             maker: PENDING / REJECTED / ACCEPTED / CANCELLED
  QuoteNotice [35=S]                              creator, a maker quoted its RFQ
  QuoteCancelStatus [35=U9]                       maker, answer to 35=Z
  QuoteAcceptStatus [35=UC]                       creator, answer to 35=UA (or 35=D+117), or voided
  QuoteConfirmStatus [35=U8]                      maker, answer to 35=U7
A refused 35=D+117 is an ordinary events.OrderRejected (35=8 150=8 103=8 58=EXPIRED).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fixengine.model import Side

# QuoteStatus(297) values used by Kalshi
QUOTE_ACCEPTED = 0
QUOTE_REJECTED = 5
QUOTE_PENDING = 10
QUOTE_CANCELLED = 17

# QuoteRequestRejectReason(658)
REJECT_UNKNOWN_SYMBOL = 1
REJECT_EXCEEDS_LIMIT = 3
REJECT_INSUFFICIENT_CREDIT = 11
REJECT_OTHER = 99

# RFQCancelStatus(21013)
RFQ_CANCELED = 0
RFQ_CANCEL_REJECTED = 1
RFQ_EXPIRED = 2

# Documented UC / D-accept reject texts (part2 §5.4, since 2026-07-02)
TEXT_NOT_FOUND = "NOT_FOUND"
TEXT_EXPIRED = "EXPIRED"


# ---------------------------------------------------------------------------- requests


@dataclass(slots=True, frozen=True)
class CreateRfq:
    """QuoteRequest (35=R) from a creator on KalshiRT."""

    user_id: str
    key_id: str
    session_id: str
    client_rfq_id: str  # QuoteReqID(131), echoed on 35=b
    symbol: str  # "" for a combo (MVE) RFQ
    qty: int | None = None  # OrderQty(38), qty units
    cash_qty: int | None = None  # CashOrderQty(152), money units (target cost)
    rest_remainder: bool = False  # RestRemainder(21015) inside the group
    replace_existing: bool = False  # ReplaceExisting(21016) inside the group
    subaccount: int = 0  # AllocAccount(79)
    mve_collection: str | None = None  # MultivariateCollectionTicker(20180): combos are not modelled


@dataclass(slots=True, frozen=True)
class CancelRfq:
    """RFQCancel (35=UE): one of client_rfq_id (131) / rfq_id (21023)."""

    user_id: str
    key_id: str
    session_id: str
    client_rfq_id: str | None = None
    rfq_id: str | None = None


@dataclass(slots=True, frozen=True)
class SubmitQuote:
    """Quote (35=S) from a maker on KalshiRFQ."""

    user_id: str
    key_id: str
    session_id: str
    quote_id: str  # QuoteID(117), maker-assigned
    rfq_id: str  # QuoteReqID(131) = server RFQ id
    symbol: str
    yes_bid: int  # BidPx(132), price units; 0 = YES side not quoted
    no_bid: int  # OfferPx(133): the maker's bid for NO, in NO price units; 0 = not quoted
    post_only: bool = False  # ExecInst(18)=6
    rest_remainder: bool = False  # RestRemainder(21015)
    subaccount: int | None = None  # AllocAccount(79); None = the key's subaccount (or 0)


@dataclass(slots=True, frozen=True)
class CancelQuote:
    """QuoteCancel (35=Z)."""

    user_id: str
    key_id: str
    session_id: str
    quote_id: str
    rfq_id: str | None = None  # RfqId(21023): if present the quote must belong to it


@dataclass(slots=True, frozen=True)
class AcceptQuote:
    """AcceptQuote (35=UA), or a NewOrderSingle carrying QuoteID(117) (``limit_price`` set).

    side BUY (54=1) takes the maker's NO bid: the creator buys YES at 1 - no_bid.
    side SELL (54=2) takes the maker's YES bid: the creator sells YES at yes_bid.
    """

    user_id: str
    key_id: str
    session_id: str
    quote_id: str
    side: Side
    rfq_id: str | None = None
    symbol: str = ""  # Symbol(55) of a D-accept (echoed on its 35=8 reject)
    qty: int | None = None  # OrderQty(38); None = the full size
    cl_ord_id: str | None = None  # ClOrdID(11): echoed on UC and used for the creator's order
    prefer_better: bool = False  # PreferBetterQuote(21022)
    limit_price: int | None = None  # Price(44) of a D-accept (YES price); None on UA
    via_order: bool = False  # True for the 35=D path (rejects are 35=8 150=8)


@dataclass(slots=True, frozen=True)
class ConfirmQuote:
    """QuoteConfirm (35=U7)."""

    user_id: str
    key_id: str
    session_id: str
    quote_id: str
    rfq_id: str | None = None


# ---------------------------------------------------------------------------- events


@dataclass(slots=True, frozen=True)
class RfqAck:
    """QuoteRequestAck (35=b) to the creator."""

    user_id: str
    key_id: str
    session_id: str
    client_rfq_id: str
    rfq_id: str  # RfqId(21023)
    symbol: str
    shard: int  # ExDestination(100)
    time: datetime


@dataclass(slots=True, frozen=True)
class RfqRejected:
    """QuoteRequestReject (35=AG) to the creator: the RFQ was not created."""

    user_id: str
    key_id: str
    session_id: str
    client_rfq_id: str
    reason: int  # QuoteRequestRejectReason(658)
    text: str
    time: datetime


@dataclass(slots=True, frozen=True)
class RfqBroadcast:
    """QuoteRequest (35=R) to every maker session of another user."""

    rfq_id: str  # sent as QuoteReqID(131)
    symbol: str
    qty: int | None  # OrderQty(38), qty units
    cash_qty: int | None  # CashOrderQty(152), money units
    requester_public_id: str  # PartyID(448): pseudonymous, stable per user
    creator_user_id: str  # never sent to the creator itself
    time: datetime
    user_id: str = ""
    key_id: str = ""
    session_id: str = ""


@dataclass(slots=True, frozen=True)
class RfqClosed:
    """QuoteRequestReject (35=AG 658=99) to makers: an RFQ they were shown is closed."""

    rfq_id: str
    reason: int
    text: str
    creator_user_id: str
    exclude_user_ids: tuple[str, ...]  # creator (and the executed maker): not told
    time: datetime
    user_id: str = ""
    key_id: str = ""
    session_id: str = ""


@dataclass(slots=True, frozen=True)
class RfqCancelStatus:
    """RFQCancelStatus (35=UB) to the creator."""

    user_id: str
    key_id: str
    session_id: str
    client_rfq_id: str  # QuoteReqID(131): the id the UE used (the creator's id when known)
    status: int  # RFQCancelStatus(21013): 0 canceled, 1 rejected, 2 expired (unsolicited)
    rfq_id: str | None  # RfqId(21023), always on status 2
    text: str | None
    time: datetime


@dataclass(slots=True, frozen=True)
class QuoteStatus:
    """QuoteStatusReport (35=AI) to the maker."""

    user_id: str
    key_id: str
    session_id: str
    quote_id: str  # "" on REJECTED
    rfq_id: str
    status: int  # QuoteStatus(297)
    qty: int | None = None  # OrderQty(38): the RFQ size (accepted size on ACCEPTED)
    yes_bid: int = 0  # BidPx(132), price units
    no_bid: int = 0  # OfferPx(133), NO price units
    yes_size: int | None = None  # BidSize(134)
    no_size: int | None = None  # OfferSize(135)
    side: Side | None = None  # AcceptedSide(54) on ACCEPTED: echoes the creator's 54
    subaccount: int = 0  # AllocAccount(79) when non-zero
    text: str | None = None  # Text(58) on REJECTED
    time: datetime | None = None


@dataclass(slots=True, frozen=True)
class QuoteNotice:
    """Quote (35=S) to the creator: a maker quoted its RFQ (prices always in dollars)."""

    user_id: str
    key_id: str
    session_id: str
    quote_id: str
    rfq_id: str
    symbol: str
    yes_bid: int  # 0 = absent
    no_bid: int  # 0 = absent
    qty: int | None
    yes_size: int | None
    no_size: int | None
    maker_public_id: str  # PartyID(448) with PartyRole(452)=35
    time: datetime


@dataclass(slots=True, frozen=True)
class QuoteCancelStatus:
    """QuoteCancelStatus (35=U9) to the maker."""

    user_id: str
    key_id: str
    session_id: str
    quote_id: str
    canceled: bool  # 298=0 / 298=1
    text: str | None
    time: datetime


@dataclass(slots=True, frozen=True)
class QuoteAcceptStatus:
    """AcceptQuoteStatus (35=UC) to the creator."""

    user_id: str
    key_id: str
    session_id: str
    quote_id: str
    accepted: bool  # 21025=0 / 21025=1
    accepted_quote_id: str | None  # AcceptedQuoteId(21024) on success
    cl_ord_id: str | None  # ClOrdID(11) echo
    text: str | None
    time: datetime


@dataclass(slots=True, frozen=True)
class QuoteConfirmStatus:
    """QuoteConfirmStatus (35=U8) to the maker."""

    user_id: str
    key_id: str
    session_id: str
    quote_id: str
    confirmed: bool  # 21010=0 / 21010=1
    text: str | None
    time: datetime


RfqEvent = (
    RfqAck | RfqRejected | RfqBroadcast | RfqClosed | RfqCancelStatus | QuoteStatus | QuoteNotice
    | QuoteCancelStatus | QuoteAcceptStatus | QuoteConfirmStatus
)
RFQ_EVENTS = (RfqAck, RfqRejected, RfqBroadcast, RfqClosed, RfqCancelStatus, QuoteStatus, QuoteNotice,
              QuoteCancelStatus, QuoteAcceptStatus, QuoteConfirmStatus)

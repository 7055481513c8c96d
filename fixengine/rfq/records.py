"""State records of the RFQ requester (creator) side: Rfq, Quote (as the creator sees it), Accept.

Prices are int units of $0.0001, quantities int units of 0.01 contract, cost int units of
$0.000001. A maker quote carries two bids: `yes_bid` (what the maker pays per YES contract) and
`no_bid` (per NO contract). The creator takes one of them:

    creator side (user terms)   wire AcceptQuote 54   takes the maker's   creator's YES price
    buy_yes  / sell_no          1                     NO bid              1 - no_bid
    sell_yes / buy_no           2                     YES bid             yes_bid

(REST's accepted_side=yes is 54=2, accepted_side=no is 54=1.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from fixengine.pricing.units import ONE_DOLLAR

if TYPE_CHECKING:
    from fixengine.engine.orders import Order

ACCEPT_NO_BID = "1"
ACCEPT_YES_BID = "2"


class RfqStatus(str, Enum):
    PENDING = "pending"  # 35=R sent, no 35=b yet
    OPEN = "open"  # acknowledged (35=b): makers may quote
    REJECTED = "rejected"  # 35=AG (or 35=j / 35=3, or not sent)
    CANCEL_PENDING = "cancel_pending"  # 35=UE sent
    CANCELED = "canceled"  # 35=UB 21013=0
    EXPIRED = "expired"  # unsolicited 35=UB 21013=2
    EXECUTED = "executed"  # an accepted quote filled: Kalshi closes the RFQ


RFQ_CLOSED = frozenset({RfqStatus.REJECTED, RfqStatus.CANCELED, RfqStatus.EXPIRED, RfqStatus.EXECUTED})


class QuoteState(str, Enum):
    OPEN = "open"  # received, acceptable
    ACCEPT_PENDING = "accept_pending"  # our 35=UA / 35=D is out
    ACCEPTED = "accepted"  # 35=UC 21025=0: waiting for the maker's confirm and the execution timer
    EXECUTED = "executed"  # the accept's order filled
    UNAVAILABLE = "unavailable"  # an accept was refused (EXPIRED / NOT_FOUND): the quote is gone
    REPLACED = "replaced"  # the same maker quoted again: Kalshi cancels the previous quote
    CLOSED = "closed"  # the RFQ closed


class AcceptStatus(str, Enum):
    PENDING = "pending"
    ACCEPTED = "accepted"  # 35=UC 21025=0 (UA path) - the order follows after confirm + timer
    EXECUTED = "executed"  # a fill arrived on the accept's order
    REJECTED = "rejected"  # 35=UC 21025=1, 35=8 150=8 (D path), 35=j / 35=3, or not sent
    VOIDED = "voided"  # the order ended without any fill (e.g. the maker never confirmed)


@dataclass(slots=True, eq=False)
class Quote:
    """A maker's quote on one of our RFQs, from the 35=S notification."""

    quote_id: str
    rfq_id: str  # server RFQ ID
    ticker: str | None
    yes_bid: int | None  # None = side not quoted
    no_bid: int | None
    qty: int | None
    yes_size: int | None
    no_size: int | None
    quoter_id: str | None  # maker's public communications ID (452=35)
    state: QuoteState = QuoteState.OPEN
    text: str | None = None

    def wire_price(self, wire_side: str) -> int | None:
        """The creator's YES price when taking this quote with AcceptQuote Side `wire_side`."""
        if wire_side == ACCEPT_YES_BID:
            return self.yes_bid
        return None if self.no_bid is None else ONE_DOLLAR - self.no_bid

    def size_for(self, wire_side: str) -> int | None:
        size = self.yes_size if wire_side == ACCEPT_YES_BID else self.no_size
        return size if size is not None else self.qty


@dataclass(slots=True, eq=False)
class Accept:
    """One attempt to take a quote (35=UA, or 35=D carrying 117)."""

    cl_ord_id: str
    quote: Quote
    side: str  # user side: buy_yes / sell_yes / buy_no / sell_no
    wire_side: str  # "1" / "2"
    qty: int
    price: int  # the creator's YES price
    via: str  # "UA" | "D"
    order: Order
    prefer_better: bool = False
    status: AcceptStatus = AcceptStatus.PENDING
    accepted_quote_id: str | None = None  # 21024: differs when PreferBetterQuote picked another
    text: str | None = None


@dataclass(slots=True, eq=False)
class Rfq:
    """One of our RFQs."""

    client_id: str  # QuoteReqID(131) we assigned
    ticker: str
    qty: int | None
    cost: int | None
    rest_remainder: bool
    replace_existing: bool
    subaccount: int
    status: RfqStatus = RfqStatus.PENDING
    rfq_id: str | None = None  # server RFQ ID (21023 on 35=b)
    ex_destination: int | None = None  # exchange index (100 on 35=b)
    reject_code: int | None = None  # 658 on 35=AG, 380 / 373 on 35=j / 35=3
    text: str | None = None
    quotes: dict[str, Quote] = field(default_factory=dict)  # by QuoteID, arrival order
    accepts: list[Accept] = field(default_factory=list)
    mve_collection: str | None = None  # combo RFQ: collection ticker; `ticker` comes from the 35=b
    mve_legs: tuple[tuple[str, str, str], ...] = ()  # (event ticker, market ticker, "yes"/"no")
    mve_reason: str | None = None  # 20187 on a refused combo
    offending_legs: tuple[str, ...] = ()  # 20186 entries on a refused combo

    @property
    def is_open(self) -> bool:
        return self.status not in RFQ_CLOSED

    def open_quotes(self) -> list[Quote]:
        return [q for q in self.quotes.values() if q.state is QuoteState.OPEN]

    def best_quote(self, wire_side: str) -> Quote | None:
        """The open quote giving the creator the best price for AcceptQuote Side `wire_side`:
        highest YES bid to sell YES into ("2"), highest NO bid to buy YES against ("1")."""
        best, best_key = None, None
        for q in self.open_quotes():
            bid = q.yes_bid if wire_side == ACCEPT_YES_BID else q.no_bid
            if bid is not None and (best_key is None or bid > best_key):
                best, best_key = q, bid
        return best


@dataclass(slots=True)
class RfqUpdate:
    """What an EventKind.RFQ event carries in `report`."""

    step: str  # sent / ack / rejected / quote / accept_sent / accepted / accept_rejected / executed /
    #            voided / cancel_sent / canceled / cancel_rejected / cancel_lost / expired
    rfq: Rfq | None
    quote: Quote | None = None
    accept: Accept | None = None
    message: Any = None  # the parsed record (rfq.parse) or reject that caused the step

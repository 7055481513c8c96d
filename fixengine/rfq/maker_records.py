"""Maker-side records and the local quote checks (part2 §5): MakerRfq, MakerQuote, QuoteDecision,
MakerEvent, validate_decision. Prices are int units of $0.0001, quantities int units of 0.01
contract; a decision's prices may be given as dollar text ("0.45") or int units, never floats."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from fixengine.engine import userterms as U
from fixengine.errors import UserInputError
from fixengine.pricing.errors import PricingError
from fixengine.pricing.ticks import TickGrid
from fixengine.pricing.units import ONE_CENT, ONE_DOLLAR, format_price_dollars


class MakerQuoteStatus(str, Enum):
    SENT = "sent"  # 35=S out, no 35=AI yet
    PENDING = "pending"  # AI 297=10: live, the creator sees it
    REJECTED = "rejected"  # AI 297=5 (or 35=j / 35=3, or not sent)
    ACCEPTED = "accepted"  # AI 297=0: confirm within the window
    DECLINED = "declined"  # accepted, but confirm_fn said no: left to lapse
    CONFIRM_SENT = "confirm_sent"  # 35=U7 out
    CONFIRMED = "confirmed"  # U8 21010=0: orders enter the book after the execution timer
    CONFIRM_REJECTED = "confirm_rejected"  # U8 21010=1 (late: acceptance voided)
    CANCEL_PENDING = "cancel_pending"  # 35=Z out
    CANCELLED = "cancelled"  # U9 298=0 / AI 297=17
    REPLACED = "replaced"  # a newer quote on the same RFQ replaced it (the exchange cancels it)
    CLOSED = "closed"  # the RFQ closed (35=AG) while this quote was live
    # The session dropped while a 35=S or 35=U7 was unanswered; KalshiRFQ never resends, so the
    # answer is lost: the exchange may or may not hold the quote (or the confirm). cancel_quote()
    # still works on it (35=Z makes sure it is gone); a later 35=AI on it is applied as usual.
    UNKNOWN = "unknown"


LIVE = frozenset({MakerQuoteStatus.SENT, MakerQuoteStatus.PENDING, MakerQuoteStatus.CANCEL_PENDING,
                  MakerQuoteStatus.UNKNOWN})


@dataclass(slots=True)
class QuoteDecision:
    """What the strategy quotes: dollars as text ("0.45") or int price units; None/0 = that side
    not quoted. yes_bid = price paid per YES contract, no_bid = price paid per NO contract."""

    yes_bid: object = None
    no_bid: object = None
    post_only: bool = False  # ExecInst(18)=6: never take resting liquidity
    rest_remainder: bool | None = None  # RestRemainder(21015); None = not sent (exchange default N)
    subaccount: int | None = None  # AllocAccount(79); None = the key's default


@dataclass(slots=True, eq=False)
class MakerQuote:
    quote_id: str
    rfq_id: str  # server RFQ ID
    ticker: str
    yes_bid: int  # price units; 0 = not quoted
    no_bid: int
    post_only: bool = False
    subaccount: int | None = None
    rest_remainder: bool | None = None
    status: MakerQuoteStatus = MakerQuoteStatus.SENT
    text: str | None = None
    qty: int | None = None  # 38 on AI (the RFQ size; the accepted size on ACCEPTED)
    yes_size: int | None = None
    no_size: int | None = None
    accepted_side: str | None = None  # 54 on AI ACCEPTED, raw (its meaning: RfqMaker.accepted_side_semantics)
    accepted_bid: str | None = None  # "yes" / "no": which of our bids the creator took, read from 54
    accepted_at: float | None = None  # time.monotonic() of the AI ACCEPTED
    confirm_deadline: float | None = None  # monotonic; the exchange voids the acceptance after it
    order: Any = None  # engine Order expecting this quote's execution (RfqMaker(engine=...))
    _before_cancel: MakerQuoteStatus | None = None


@dataclass(slots=True, eq=False)
class MakerRfq:
    rfq_id: str  # server RFQ ID (131 on the broadcast)
    ticker: str
    qty: int | None
    cost: int | None  # CashOrderQty, money units, when the creator sized by cost
    requester_id: str | None  # creator's pseudonymous public ID (448)
    mve_collection: str | None = None
    is_open: bool = True
    close_reason: int | None = None  # 658 on the AG that closed it
    text: str | None = None
    quotes: dict[str, MakerQuote] = field(default_factory=dict)

    @property
    def current_quote(self) -> MakerQuote | None:
        """The newest quote that is not replaced."""
        for quote in reversed(list(self.quotes.values())):
            if quote.status is not MakerQuoteStatus.REPLACED:
                return quote
        return None


@dataclass(slots=True)
class MakerEvent:
    step: str  # rfq / declined / invalid_decision / quote_fn_error / quote_sent / pending / rejected /
    #            accepted / confirm_sent / declined_confirm / confirmed / confirm_rejected / cancel_sent /
    #            cancelled / cancel_rejected / rfq_closed / session / session_lost
    rfq: MakerRfq | None = None
    quote: MakerQuote | None = None
    message: Any = None
    text: str | None = None

    def __repr__(self) -> str:
        qid = self.quote.quote_id if self.quote else None
        rid = self.rfq.rfq_id if self.rfq else None
        return f"MakerEvent({self.step}, rfq={rid}, quote={qid}, text={self.text!r})"


def validate_decision(decision: QuoteDecision, *, grid: TickGrid | None = None, use_dollars: bool = True,
                      check_sum: bool = True) -> tuple[int, int]:
    """(yes_bid, no_bid) in price units, or UserInputError naming the broken rule."""
    yes = _side_price(decision.yes_bid, "yes_bid")
    no = _side_price(decision.no_bid, "no_bid")
    if not yes and not no:
        raise UserInputError("a quote must price at least one side (yes_bid or no_bid)")
    if check_sum and yes + no > ONE_DOLLAR:
        raise UserInputError(f"yes_bid {format_price_dollars(yes)} + no_bid {format_price_dollars(no)} exceeds "
                             "$1.0000: Kalshi rejects such quotes")
    for name, price in (("yes_bid", yes), ("no_bid", no)):
        if not price:
            continue
        if not use_dollars and price % ONE_CENT:
            raise UserInputError(f"{name} {format_price_dollars(price)} is not a whole cent: this session quotes "
                                 "in cents (log on with use_dollars for sub-penny prices)")
        if grid is not None:
            try:
                grid.validate(price if name == "yes_bid" else ONE_DOLLAR - price)
            except PricingError as exc:
                raise UserInputError(f"{name} {format_price_dollars(price)} is off the market's tick grid: {exc}") \
                    from None
    if decision.subaccount is not None and not 0 <= int(decision.subaccount) <= 63:
        raise UserInputError(f"subaccount {decision.subaccount!r} must be 0-63")
    return yes, no


def _side_price(value: object, name: str) -> int:
    if value is None or value == 0 or value == "0":
        return 0
    try:
        return U.parse_user_price(value)
    except UserInputError as exc:
        raise UserInputError(f"{name}: {exc}") from None

"""Parse RFQ messages (part2 §5.4) from their wire text into typed records.

Every RFQ message is read from the FIX text (SOH- or '|'-separated) rather than through QuickFIX's
field API: QuoteRequest carries the NoRelatedSym(146) group with Symbol as its delimiter and the
quote notification a Parties(453) group, and a data dictionary would hide those fields from
top-level getField. Reading the text keeps group order (21015/21016 belong INSIDE 146) visible.

Units: prices -> int units of $0.0001, quantities -> int units of 0.01 contract, money (152) ->
int units of $0.000001. Never floats.

Price format. Maker-side messages are documented in integer cents ("45") unless the session logged
on with UseDollars(21005)=Y; the creator's quote notification is documented in dollars ("0.4500")
whatever its 21005 says (UNCONFIRMED which one a live session follows). `parse_quote_price` reads
both without a flag: RFQ prices lie strictly inside (0, 1) dollar, so a text below 1 with a
decimal point is dollars and anything else is cents ("45", or "45.00"). Zero or absent = that
side is not quoted (None).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from fixengine.fix import tags as T
from fixengine.pricing.errors import PricingError
from fixengine.pricing.units import ONE_CENT, parse_money, parse_price_dollars, parse_qty
from fixengine.session.parse import MessageParseError

Fields = list[tuple[int, str]]

# Tags of the QuoteRequest's NoRelatedSym(146) group entry (part2 §5.4), Parties nested in it.
_R_GROUP_TAGS = frozenset({T.SYMBOL, T.ORDER_QTY, T.CASH_ORDER_QTY, T.REST_REMAINDER, T.REPLACE_EXISTING,
                           T.NO_PARTY_IDS, T.PARTY_ID, T.PARTY_ROLE})
PARTY_ROLE_CUSTOMER = 24  # FCM subtrader on creator messages
PARTY_ROLE_LIQUIDITY_PROVIDER = 35  # quoter identity on the creator's quote notification


class RfqParseError(MessageParseError):
    """An RFQ message lacks a required tag or carries a value we cannot read."""


# ------------------------------------------------------------------ wire text


def split_fields(raw: str) -> Fields:
    """[(tag, value), ...] in wire order; accepts SOH or '|' separators."""
    sep = "\x01" if "\x01" in raw else "|"
    out: Fields = []
    for part in raw.split(sep):
        if not part:
            continue
        tag, eq, value = part.partition("=")
        if not eq or not tag.isdigit():
            raise RfqParseError("?", 0, part, "not a tag=value field")
        out.append((int(tag), value))
    return out


def msg_type_of(fields: Fields) -> str:
    for tag, value in fields:
        if tag == T.MSG_TYPE:
            return value
    raise RfqParseError("?", T.MSG_TYPE, None, "MsgType missing")


class _Reader:
    """First-occurrence lookup over the body plus typed conversions that name the tag on failure."""

    def __init__(self, fields: Fields, msg_type: str) -> None:
        self.fields = fields
        self.msg_type = msg_type
        self.first: dict[int, str] = {}
        for tag, value in fields:
            self.first.setdefault(tag, value)

    def opt(self, tag: int) -> str | None:
        value = self.first.get(tag)
        return value if value != "" else None

    def req(self, tag: int) -> str:
        value = self.first.get(tag)
        if value is None or value == "":
            raise RfqParseError(self.msg_type, tag, value, "required tag missing")
        return value

    def int_(self, tag: int, required: bool = False) -> int | None:
        text = self.req(tag) if required else self.opt(tag)
        if text is None:
            return None
        try:
            return int(text)
        except ValueError:
            raise RfqParseError(self.msg_type, tag, text, "not an integer") from None

    def qty(self, tag: int) -> int | None:
        text = self.opt(tag)
        if text is None:
            return None
        try:
            return parse_qty(text)
        except PricingError as exc:
            raise RfqParseError(self.msg_type, tag, text, str(exc)) from None

    def money(self, tag: int) -> int | None:
        text = self.opt(tag)
        if text is None:
            return None
        try:
            return parse_money(text)
        except PricingError as exc:
            raise RfqParseError(self.msg_type, tag, text, str(exc)) from None

    def price(self, tag: int) -> int | None:
        text = self.opt(tag)
        if text is None:
            return None
        try:
            return parse_quote_price(text)
        except ValueError as exc:
            raise RfqParseError(self.msg_type, tag, text, str(exc)) from None

    def flag(self, tag: int) -> bool | None:
        text = self.opt(tag)
        if text is None:
            return None
        if text not in ("Y", "N"):
            raise RfqParseError(self.msg_type, tag, text, "expected Y or N")
        return text == "Y"

    def party(self, role: int | None = None) -> str | None:
        """PartyID(448) of the first Parties entry (with PartyRole `role` when given)."""
        current: str | None = None
        for tag, value in self.fields:
            if tag == T.PARTY_ID:
                if current is not None and role is None:
                    return current
                current = value
            elif tag == T.PARTY_ROLE and current is not None:
                if role is None or value == str(role):
                    return current
                current = None
        return current if role is None else None


def parse_quote_price(text: str) -> int | None:
    """'0.4500' (dollars) or '45' / '45.00' (cents) -> 4500 price units; '0' -> None (side not quoted)."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"price {text!r} is not a number") from None
    if value < 0:
        raise ValueError(f"price {text!r} is negative")
    if value == 0:
        return None
    if value < 1 and "." in text:
        return parse_price_dollars(text)
    units = value * ONE_CENT
    if units != units.to_integral_value():
        raise ValueError(f"price {text!r} cents is finer than $0.0001")
    return int(units)


# ------------------------------------------------------------------ records


@dataclass(slots=True)
class QuoteRequestMsg:
    """35=R: the creator's request (131 = client RFQ ID) or a maker broadcast (131 = server RFQ ID)."""

    quote_req_id: str
    symbol: str | None  # absent on a creator's combo (MVE) request
    qty: int | None
    cash: int | None  # CashOrderQty(152), money units
    rest_remainder: bool | None
    replace_existing: bool | None
    party_id: str | None  # broadcast: requester's public ID; creator: FCM subtrader
    subaccount: int | None
    mve_collection: str | None = None
    mve_legs: tuple[tuple[str, str, str], ...] = ()  # (event ticker, market ticker, yes/no)
    misplaced: tuple[int, ...] = ()  # 21015/21016 found OUTSIDE the 146 group (Kalshi drops them)


@dataclass(slots=True)
class QuoteRequestAckMsg:
    """35=b."""

    quote_req_id: str  # client RFQ ID echoed
    request_type: int
    rfq_id: str | None  # server RFQ ID (21023)
    symbol: str | None  # resolved combo ticker
    ex_destination: int | None  # exchange index (100)
    text: str | None


@dataclass(slots=True)
class QuoteRequestRejectMsg:
    """35=AG: creation refused (to the creator) or RFQ closed (to makers)."""

    quote_req_id: str
    reason: int  # 658: 1 unknown symbol, 3 exceeds limit, 11 insufficient credit, 99 other
    text: str | None
    mve_reason: str | None = None  # 20187
    offending_legs: tuple[str, ...] = ()  # 20186 entries


@dataclass(slots=True)
class QuoteMsg:
    """35=S: a maker's quote, or its notification to the creator (prices as YES/NO bids in units)."""

    quote_id: str
    rfq_id: str  # QuoteReqID(131) = server RFQ ID
    symbol: str | None
    yes_bid: int | None  # BidPx: price the maker pays per YES contract
    no_bid: int | None  # OfferPx: price the maker pays per NO contract
    qty: int | None
    yes_size: int | None  # BidSize(134)
    no_size: int | None  # OfferSize(135)
    quoter_id: str | None  # 448 with 452=35 on the creator's notification
    post_only: bool = False  # ExecInst(18)=6
    subaccount: int | None = None
    rest_remainder: bool | None = None


@dataclass(slots=True)
class QuoteStatusReportMsg:
    """35=AI to the maker: 0 accepted, 5 rejected, 10 pending, 17 cancelled."""

    quote_id: str | None  # empty on REJECTED
    rfq_id: str | None
    status: int
    qty: int | None
    yes_bid: int | None
    no_bid: int | None
    yes_size: int | None
    no_size: int | None
    accepted_side: str | None  # 54 on ACCEPTED (echoes the creator's AcceptQuote side)
    subaccount: int | None
    text: str | None


@dataclass(slots=True)
class QuoteCancelMsg:
    """35=Z."""

    quote_id: str
    rfq_id: str | None


@dataclass(slots=True)
class QuoteCancelStatusMsg:
    """35=U9: 0 canceled, 1 rejected."""

    quote_id: str
    status: int
    text: str | None


@dataclass(slots=True)
class QuoteConfirmMsg:
    """35=U7."""

    quote_id: str
    rfq_id: str | None


@dataclass(slots=True)
class QuoteConfirmStatusMsg:
    """35=U8: 0 accepted, 1 rejected (21010; legacy 297 before v1.0.17)."""

    quote_id: str
    status: int
    text: str | None


@dataclass(slots=True)
class AcceptQuoteMsg:
    """35=UA."""

    quote_id: str
    rfq_id: str | None
    side: str  # "1" accepts the maker's NO bid (creator buys YES); "2" accepts the YES bid
    qty: int | None
    cl_ord_id: str | None
    prefer_better: bool | None


@dataclass(slots=True)
class AcceptQuoteStatusMsg:
    """35=UC: 0 accepted, 1 rejected (58 NOT_FOUND / EXPIRED ...)."""

    quote_id: str
    status: int
    accepted_quote_id: str | None
    cl_ord_id: str | None
    text: str | None


@dataclass(slots=True)
class RfqCancelMsg:
    """35=UE."""

    quote_req_id: str | None
    rfq_id: str | None


@dataclass(slots=True)
class RfqCancelStatusMsg:
    """35=UB: 0 canceled, 1 rejected, 2 expired (unsolicited). The sheet guarantees only RfqId(21023)
    on an unsolicited EXPIRED, so either id may be absent - never both."""

    quote_req_id: str | None
    status: int
    rfq_id: str | None
    text: str | None


# ------------------------------------------------------------------ parsers


def _quote_request(r: _Reader) -> QuoteRequestMsg:
    in_group: dict[int, str] = {}
    misplaced: list[int] = []
    inside = False
    for tag, value in r.fields:
        if tag == T.NO_RELATED_SYM:
            inside = True
            continue
        if inside and tag in _R_GROUP_TAGS:
            in_group.setdefault(tag, value)
            continue
        inside = False
        if tag in (T.REST_REMAINDER, T.REPLACE_EXISTING):
            misplaced.append(tag)
    legs = tuple(zip((v for t, v in r.fields if t == T.MULTIVARIATE_SELECTED_EVENT_TICKER),
                     (v for t, v in r.fields if t == T.MULTIVARIATE_SELECTED_MARKET_TICKER),
                     (v for t, v in r.fields if t == T.MULTIVARIATE_SELECTED_SIDE)))
    grp = _Reader([(t, v) for t, v in in_group.items()], "R")
    return QuoteRequestMsg(
        quote_req_id=r.req(T.QUOTE_REQ_ID), symbol=grp.opt(T.SYMBOL), qty=grp.qty(T.ORDER_QTY),
        cash=grp.money(T.CASH_ORDER_QTY), rest_remainder=grp.flag(T.REST_REMAINDER),
        replace_existing=grp.flag(T.REPLACE_EXISTING), party_id=r.party(), subaccount=r.int_(T.ALLOC_ACCOUNT),
        mve_collection=r.opt(T.MULTIVARIATE_COLLECTION_TICKER), mve_legs=legs, misplaced=tuple(misplaced))


def _ack(r: _Reader) -> QuoteRequestAckMsg:
    return QuoteRequestAckMsg(r.req(T.QUOTE_REQ_ID), r.int_(T.QUOTE_REQUEST_TYPE, True), r.opt(T.RFQ_ID),
                              r.opt(T.SYMBOL), r.int_(T.EX_DESTINATION), r.opt(T.TEXT))


def _reject(r: _Reader) -> QuoteRequestRejectMsg:
    legs = tuple(v for t, v in r.fields if t == T.MVE_OFFENDING_MARKET_TICKER)
    return QuoteRequestRejectMsg(r.req(T.QUOTE_REQ_ID), r.int_(T.QUOTE_REQUEST_REJECT_REASON, True), r.opt(T.TEXT),
                                 r.opt(T.MVE_VALIDATION_REASON_CODE), legs)


def _quote(r: _Reader) -> QuoteMsg:
    return QuoteMsg(
        quote_id=r.req(T.QUOTE_ID), rfq_id=r.req(T.QUOTE_REQ_ID), symbol=r.opt(T.SYMBOL), yes_bid=r.price(T.BID_PX),
        no_bid=r.price(T.OFFER_PX), qty=r.qty(T.ORDER_QTY), yes_size=r.qty(T.BID_SIZE), no_size=r.qty(T.OFFER_SIZE),
        quoter_id=r.party(PARTY_ROLE_LIQUIDITY_PROVIDER) or r.party(), post_only=r.opt(T.EXEC_INST) == "6",
        subaccount=r.int_(T.ALLOC_ACCOUNT), rest_remainder=r.flag(T.REST_REMAINDER))


def _status_report(r: _Reader) -> QuoteStatusReportMsg:
    return QuoteStatusReportMsg(
        quote_id=r.opt(T.QUOTE_ID), rfq_id=r.opt(T.QUOTE_REQ_ID), status=r.int_(T.QUOTE_STATUS, True),
        qty=r.qty(T.ORDER_QTY), yes_bid=r.price(T.BID_PX), no_bid=r.price(T.OFFER_PX), yes_size=r.qty(T.BID_SIZE),
        no_size=r.qty(T.OFFER_SIZE), accepted_side=r.opt(T.SIDE), subaccount=r.int_(T.ALLOC_ACCOUNT),
        text=r.opt(T.TEXT))


def _confirm_status(r: _Reader) -> QuoteConfirmStatusMsg:
    status = r.int_(T.QUOTE_CONFIRM_STATUS)
    if status is None:  # before v1.0.17 the status travelled in QuoteStatus(297)
        status = r.int_(T.QUOTE_STATUS)
    if status is None:
        raise RfqParseError("U8", T.QUOTE_CONFIRM_STATUS, None, "neither 21010 nor legacy 297 present")
    return QuoteConfirmStatusMsg(r.req(T.QUOTE_ID), status, r.opt(T.TEXT))


def _cancel_status(r: _Reader) -> RfqCancelStatusMsg:
    client_id, server_id = r.opt(T.QUOTE_REQ_ID), r.opt(T.RFQ_ID)
    if client_id is None and server_id is None:  # nothing to find the RFQ by
        raise RfqParseError("UB", T.QUOTE_REQ_ID, None, "neither 131 QuoteReqID nor 21023 RfqId present")
    return RfqCancelStatusMsg(client_id, r.int_(T.RFQ_CANCEL_STATUS, True), server_id, r.opt(T.TEXT))


def _accept(r: _Reader) -> AcceptQuoteMsg:
    return AcceptQuoteMsg(r.req(T.QUOTE_ID), r.opt(T.RFQ_ID), r.req(T.SIDE), r.qty(T.ORDER_QTY), r.opt(T.CL_ORD_ID),
                          r.flag(T.PREFER_BETTER_QUOTE))


_PARSERS = {
    "R": _quote_request,
    "b": _ack,
    "AG": _reject,
    "S": _quote,
    "AI": _status_report,
    "Z": lambda r: QuoteCancelMsg(r.req(T.QUOTE_ID), r.opt(T.RFQ_ID)),
    "U9": lambda r: QuoteCancelStatusMsg(r.req(T.QUOTE_ID), r.int_(T.QUOTE_CANCEL_STATUS, True), r.opt(T.TEXT)),
    "U7": lambda r: QuoteConfirmMsg(r.req(T.QUOTE_ID), r.opt(T.RFQ_ID)),
    "U8": _confirm_status,
    "UA": _accept,
    "UC": lambda r: AcceptQuoteStatusMsg(r.req(T.QUOTE_ID), r.int_(T.ACCEPT_QUOTE_STATUS, True),
                                         r.opt(T.ACCEPTED_QUOTE_ID), r.opt(T.CL_ORD_ID), r.opt(T.TEXT)),
    "UE": lambda r: RfqCancelMsg(r.opt(T.QUOTE_REQ_ID), r.opt(T.RFQ_ID)),
    "UB": _cancel_status,
}

RFQ_MSG_TYPES = frozenset(_PARSERS)


def parse_rfq_message(raw: str):
    """(MsgType, record) of one RFQ message's wire text; RfqParseError when it is not readable."""
    fields = split_fields(raw)
    msg_type = msg_type_of(fields)
    parser = _PARSERS.get(msg_type)
    if parser is None:
        raise RfqParseError(msg_type, T.MSG_TYPE, msg_type, "not an RFQ message type")
    return msg_type, parser(_Reader(fields, msg_type))

"""RFQ wire format (part2 §5.4): inbound messages -> exchange requests, RFQ events -> messages.

Decoding: a missing tag Kalshi requires (the dictionary already checks some; S 131/55 and Z 117
it does not) or a missing conditionally required one (R: 38 or 152, 55 or 20180; UE: 131 or
21023) raises decode.SessionReject and the desk answers Reject 35=3 373=1 naming the tag itself
(QuickFIX would turn a FieldNotFound raised in fromApp into 35=j 380=5); a value Kalshi's format forbids
raises `fix.IncorrectTagValue` -> 35=3 373=5. Business rules stay with the exchange.

Units on the wire:
* maker-side prices (35=S in, 35=AI out) are cents unless the maker's session logged on with
  UseDollars(21005)=Y; AI prices are "integer cents, integer part only" as documented;
* the creator's quote notification (35=S out) is always in dollars with 4 decimals, as documented
  (whether it follows the creator's 21005 is UNCONFIRMED);
* 133 OfferPx is the maker's NO bid (a NO price), 132 BidPx its YES bid;
* quantities carry 2 decimals, CashOrderQty(152) is dollars.
"""

from __future__ import annotations

import quickfix as fix

from fixengine.pricing import PricingError, format_money, format_price_dollars, format_qty, parse_money
from fixengine.sim.exchange.rfq_events import (
    QUOTE_ACCEPTED, QUOTE_REJECTED, AcceptQuote, CancelQuote, CancelRfq, ConfirmQuote, CreateRfq,
    QuoteAcceptStatus, QuoteCancelStatus, QuoteConfirmStatus, QuoteNotice, QuoteStatus, RfqAck, RfqBroadcast,
    RfqCancelStatus, RfqClosed, RfqRejected, SubmitQuote,
)
from fixengine.sim.gateway.decode import _int, _require, _yes, get, price_of, qty_of, side_of
from fixengine.sim.gateway.decode import SessionReject
from fixengine.sim.gateway.encode import _new
from fixengine.sim.gateway.registry import SessionEntry

#: PartyRole(452) of the quoter on the creator's notification (Liquidity Provider).
ROLE_LIQUIDITY_PROVIDER = "35"
REQUIRED_TAG_MISSING = 1  # SessionRejectReason(373)


def _missing(tag: int) -> SessionReject:
    """A tag Kalshi requires is absent: the gateway answers Reject 35=3 373=1 naming it."""
    return SessionReject(tag, REQUIRED_TAG_MISSING, f"Required tag missing: {tag}")


def _required(msg: fix.Message, tag: int) -> str:
    if not msg.isSetField(tag):
        raise _missing(tag)
    return msg.getField(tag)


# ---------------------------------------------------------------------------- decode

def _related_sym(msg: fix.Message) -> fix.Group:
    """The single NoRelatedSym(146) entry of a QuoteRequest."""
    if _require(msg, 146) != "1":
        raise fix.IncorrectTagValue(146)  # Kalshi: exactly one entry
    group = fix.Group(146, 55)
    msg.getGroup(1, group)
    return group


def _cash(group: fix.Group) -> int | None:
    text = get(group, 152)
    if text is None:
        return None
    try:
        return parse_money(text)
    except PricingError:
        raise fix.IncorrectTagValue(152) from None


def create_rfq(msg: fix.Message, entry: SessionEntry) -> CreateRfq:
    client_id = _required(msg, 131)
    group = _related_sym(msg)
    mve = get(msg, 20180)
    symbol = get(group, 55)
    if symbol is None and mve is None:
        raise _missing(55)
    qty = qty_of(group, 38) if group.isSetField(38) else None
    cash = _cash(group)
    if qty is None and cash is None:
        raise _missing(38)  # OrderQty is required unless CashOrderQty is given
    return CreateRfq(entry.user_id, entry.key_id, entry.name, client_id, symbol or "", qty=qty, cash_qty=cash,
                     rest_remainder=_yes(group, 21015), replace_existing=_yes(group, 21016),
                     subaccount=_int(msg, 79, 0), mve_collection=mve)


def cancel_rfq(msg: fix.Message, entry: SessionEntry) -> CancelRfq:
    client_id, rfq_id = get(msg, 131), get(msg, 21023)
    if not client_id and not rfq_id:
        raise _missing(131)  # one of QuoteReqID / RfqId is required
    return CancelRfq(entry.user_id, entry.key_id, entry.name, client_rfq_id=client_id or None,
                     rfq_id=rfq_id or None)


def _maker_price(msg: fix.Message, tag: int, dollars: bool) -> int:
    return price_of(msg, tag, dollars) if msg.isSetField(tag) else 0


def submit_quote(msg: fix.Message, entry: SessionEntry) -> SubmitQuote:
    exec_inst = get(msg, 18)
    if exec_inst is not None and exec_inst != "6":
        raise fix.IncorrectTagValue(18)  # only 6 (post-only) exists for quotes
    dollars = entry.flags.use_dollars
    return SubmitQuote(entry.user_id, entry.key_id, entry.name, _required(msg, 117), _required(msg, 131),
                       _required(msg, 55), _maker_price(msg, 132, dollars), _maker_price(msg, 133, dollars),
                       post_only=exec_inst == "6", rest_remainder=_yes(msg, 21015), subaccount=_int(msg, 79))


def cancel_quote(msg: fix.Message, entry: SessionEntry) -> CancelQuote:
    return CancelQuote(entry.user_id, entry.key_id, entry.name, _required(msg, 117), rfq_id=get(msg, 21023))


def confirm_quote(msg: fix.Message, entry: SessionEntry) -> ConfirmQuote:
    return ConfirmQuote(entry.user_id, entry.key_id, entry.name, _required(msg, 117), rfq_id=get(msg, 21023))


def accept_quote(msg: fix.Message, entry: SessionEntry) -> AcceptQuote:
    qty = qty_of(msg, 38) if msg.isSetField(38) else None
    if qty is not None and qty <= 0:
        raise fix.IncorrectTagValue(38)
    return AcceptQuote(entry.user_id, entry.key_id, entry.name, _required(msg, 117), side_of(msg),
                       rfq_id=get(msg, 21023), qty=qty, cl_ord_id=get(msg, 11), prefer_better=_yes(msg, 21022))


def accept_by_order(msg: fix.Message, entry: SessionEntry, order) -> AcceptQuote:
    """A NewOrderSingle carrying QuoteID(117): side as on UA, Price(44) a limit, OrderQty the size."""
    return AcceptQuote(entry.user_id, entry.key_id, entry.name, _required(msg, 117), order.side,
                       rfq_id=get(msg, 21023), symbol=order.symbol, qty=order.qty, cl_ord_id=order.cl_ord_id,
                       limit_price=order.price, via_order=True)


# ---------------------------------------------------------------------------- encode

def _cents(price: int, dollars: bool) -> str:
    """Maker-side price: integer cents (integer part only, as documented) or 4-decimal dollars."""
    return format_price_dollars(price) if dollars else str(price // 100)


def _party(msg: fix.FieldMap, party_id: str, role: str | None = None) -> None:
    """One NoPartyIDs(453) entry on `msg` (a message, or a group such as NoRelatedSym)."""
    party = fix.Group(453, 448)
    party.setField(448, party_id)
    if role is not None:
        party.setField(452, role)
    msg.addGroup(party)


def rfq_ack(event: RfqAck) -> fix.Message:
    msg = _new("b")
    msg.setField(131, event.client_rfq_id)
    msg.setField(303, "1")  # MANUAL
    msg.setField(21023, event.rfq_id)
    msg.setField(100, str(event.shard))
    return msg


def rfq_rejected(event: RfqRejected) -> fix.Message:
    return _quote_request_reject(event.client_rfq_id, event.reason, event.text)


def rfq_closed(event: RfqClosed) -> fix.Message:
    return _quote_request_reject(event.rfq_id, event.reason, event.text)


def _quote_request_reject(rfq_id: str, reason: int, text: str) -> fix.Message:
    msg = _new("AG")
    msg.setField(131, rfq_id)
    msg.setField(658, str(reason))
    msg.setField(58, text)
    return msg


def rfq_broadcast(event: RfqBroadcast) -> fix.Message:
    msg = _new("R")
    msg.setField(131, event.rfq_id)
    group = fix.Group(146, 55)
    group.setField(55, event.symbol)
    if event.qty is not None:
        group.setField(38, format_qty(event.qty))
    if event.cash_qty is not None:
        group.setField(152, format_money(event.cash_qty))
    _party(group, event.requester_public_id)
    msg.addGroup(group)
    return msg


def rfq_cancel_status(event: RfqCancelStatus) -> fix.Message:
    msg = _new("UB")
    msg.setField(131, event.client_rfq_id)
    msg.setField(21013, str(event.status))
    if event.rfq_id is not None:
        msg.setField(21023, event.rfq_id)
    if event.text:
        msg.setField(58, event.text)
    return msg


def quote_status(event: QuoteStatus, dollars: bool, empty_reject_id: bool = False) -> fix.Message:
    """35=AI. Kalshi documents 117 as required and *empty* on REJECTED, but a standard engine
    (QuickFIX: "Tag specified without a value", 373=4) drops a message with an empty field, and
    the dictionary does not require 117 on AI: so 117 is left out on REJECTED unless
    `empty_reject_id` asks for the literal `117=`."""
    msg = _new("AI")
    if event.quote_id or empty_reject_id:
        msg.setField(117, event.quote_id)
    msg.setField(131, event.rfq_id)
    if event.subaccount:
        msg.setField(79, str(event.subaccount))
    msg.setField(297, str(event.status))
    if event.status == QUOTE_REJECTED:
        msg.setField(58, event.text or "")
        return msg
    if event.side is not None and event.status == QUOTE_ACCEPTED:
        msg.setField(54, event.side.value)
    if event.qty is not None:
        msg.setField(38, format_qty(event.qty))
    _prices_and_sizes(msg, event, lambda price: _cents(price, dollars))
    return msg


def _prices_and_sizes(msg: fix.Message, event, price_text) -> None:
    if event.yes_bid:
        msg.setField(132, price_text(event.yes_bid))
    if event.no_bid:
        msg.setField(133, price_text(event.no_bid))
    if event.yes_size is not None:
        msg.setField(134, format_qty(event.yes_size))
    if event.no_size is not None:
        msg.setField(135, format_qty(event.no_size))


def quote_notice(event: QuoteNotice) -> fix.Message:
    msg = _new("S")
    msg.setField(117, event.quote_id)
    msg.setField(131, event.rfq_id)
    msg.setField(55, event.symbol)
    if event.qty is not None:
        msg.setField(38, format_qty(event.qty))
    _prices_and_sizes(msg, event, format_price_dollars)
    _party(msg, event.maker_public_id, ROLE_LIQUIDITY_PROVIDER)
    return msg


def quote_cancel_status(event: QuoteCancelStatus) -> fix.Message:
    return _quote_answer("U9", event.quote_id, 298, event.canceled, (58, event.text))


def quote_accept_status(event: QuoteAcceptStatus) -> fix.Message:
    return _quote_answer("UC", event.quote_id, 21025, event.accepted, (21024, event.accepted_quote_id),
                         (11, event.cl_ord_id), (58, event.text))


def quote_confirm_status(event: QuoteConfirmStatus) -> fix.Message:
    return _quote_answer("U8", event.quote_id, 21010, event.confirmed, (58, event.text))


def _quote_answer(msg_type: str, quote_id: str, status_tag: int, ok: bool,
                  *optional: tuple[int, str | None]) -> fix.Message:
    """U9 / UC / U8: QuoteID(117), a status tag that is 0 on success and 1 on refusal, then each
    optional (tag, text) that has a value."""
    msg = _new(msg_type)
    msg.setField(117, quote_id)
    msg.setField(status_tag, "0" if ok else "1")
    for tag, text in optional:
        if text:
            msg.setField(tag, text)
    return msg

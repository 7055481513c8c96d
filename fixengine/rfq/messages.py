"""Build the outbound RFQ messages (part2 §5.4) from integer units.

Creator side (KalshiRT): QuoteRequest 35=R, AcceptQuote 35=UA, RFQCancel 35=UE (the NewOrderSingle
accept path is a normal 35=D carrying 117/21023: session.templates.OrderFields.quote_id).
Maker side (KalshiRFQ): Quote 35=S, QuoteCancel 35=Z, QuoteConfirm 35=U7.

Numbers arrive as int units and are formatted exactly: quantities with 2 dp (0.01 contracts are
allowed since 2026-06-11), CashOrderQty in dollars, maker prices in the maker session's mode
(whole cents by default, dollars with 4 dp under UseDollars(21005)=Y).
"""

from __future__ import annotations

import quickfix as fix

from fixengine.fix import msgtypes as MT
from fixengine.fix import tags as T
from fixengine.pricing.units import format_money, format_price, format_qty

#: AcceptQuote Side(54): "1" accepts the maker's NO bid (the creator buys YES), "2" accepts the
#: maker's YES bid (the creator sells YES, i.e. buys NO).
ACCEPT_NO_BID = "1"
ACCEPT_YES_BID = "2"
EXEC_INST_POST_ONLY = "6"


def _message(msg_type: str) -> fix.Message:
    msg = fix.Message()
    msg.getHeader().setField(T.MSG_TYPE, msg_type)
    return msg


def _yn(flag: bool) -> str:
    return "Y" if flag else "N"


def quote_request(client_rfq_id: str, symbol: str, *, qty: int | None = None, cash: int | None = None,
                  rest_remainder: bool = False, replace_existing: bool = False, subaccount: int = 0) -> fix.Message:
    """35=R for one market: exactly one of `qty` (qty units) / `cash` (money units).

    Symbol, size, RestRemainder and ReplaceExisting go INSIDE the NoRelatedSym(146) group, Symbol
    first (its delimiter): Kalshi silently drops 21015/21016 placed outside it. RestRemainder is
    always sent (REST makes it required); ReplaceExisting only when asked for.
    """
    msg = _quote_request_head(client_rfq_id, qty, cash, subaccount)
    # Group(146, 55): the delimiter first, then the other fields in tag order (38, 152, 21015,
    # 21016) - the order Kalshi documents.
    entry = fix.Group(T.NO_RELATED_SYM, T.SYMBOL)
    entry.setField(T.SYMBOL, symbol)
    _size_and_flags(entry, qty, cash, rest_remainder, replace_existing)
    msg.addGroup(entry)
    return msg


def _quote_request_head(client_rfq_id: str, qty: int | None, cash: int | None, subaccount: int) -> fix.Message:
    """A 35=R with QuoteReqID(131) and AllocAccount(79); ValueError unless exactly one size is given."""
    if (qty is None) == (cash is None):
        raise ValueError("a QuoteRequest carries exactly one of OrderQty(38) and CashOrderQty(152)")
    msg = _message(MT.QUOTE_REQUEST)
    msg.setField(T.QUOTE_REQ_ID, client_rfq_id)
    if subaccount:
        msg.setField(T.ALLOC_ACCOUNT, str(subaccount))
    return msg


def _size_and_flags(entry: fix.Group, qty: int | None, cash: int | None, rest_remainder: bool,
                    replace_existing: bool) -> None:
    """The NoRelatedSym(146) entry's size (38 or 152), RestRemainder and ReplaceExisting."""
    if qty is not None:
        entry.setField(T.ORDER_QTY, format_qty(qty))
    else:
        entry.setField(T.CASH_ORDER_QTY, format_money(cash, 2))
    entry.setField(T.REST_REMAINDER, _yn(rest_remainder))
    if replace_existing:
        entry.setField(T.REPLACE_EXISTING, "Y")


def combo_quote_request(client_rfq_id: str, collection: str, legs: list[tuple[str, str, str]], *,
                        qty: int | None = None, cash: int | None = None, rest_remainder: bool = False,
                        replace_existing: bool = False, subaccount: int = 0) -> fix.Message:
    """35=R for a combo (multivariate, MVE) RFQ: no Symbol; the size field is the 146 group's
    delimiter (38, or 152 when sized by cost); MultivariateCollectionTicker(20180) and the legs
    (20181 group: event ticker, market ticker, yes/no) go in the body. Kalshi answers with the
    resolved combo ticker in 55 on the 35=b."""
    msg = _quote_request_head(client_rfq_id, qty, cash, subaccount)  # checks the size first
    if not legs:
        raise ValueError("a combo RFQ needs at least one leg")
    entry = fix.Group(T.NO_RELATED_SYM, T.ORDER_QTY if qty is not None else T.CASH_ORDER_QTY)
    _size_and_flags(entry, qty, cash, rest_remainder, replace_existing)
    msg.addGroup(entry)
    msg.setField(T.MULTIVARIATE_COLLECTION_TICKER, collection)
    for event_ticker, market_ticker, side in legs:
        leg = fix.Group(T.NO_MULTIVARIATE_SELECTED_LEGS, T.MULTIVARIATE_SELECTED_EVENT_TICKER)
        leg.setField(T.MULTIVARIATE_SELECTED_EVENT_TICKER, event_ticker)
        leg.setField(T.MULTIVARIATE_SELECTED_MARKET_TICKER, market_ticker)
        leg.setField(T.MULTIVARIATE_SELECTED_SIDE, side)
        msg.addGroup(leg)
    return msg


def accept_quote(quote_id: str, side: str, *, rfq_id: str | None = None, qty: int | None = None,
                 cl_ord_id: str | None = None, prefer_better: bool = False) -> fix.Message:
    """35=UA; `side` is the wire value (ACCEPT_NO_BID / ACCEPT_YES_BID)."""
    if side not in (ACCEPT_NO_BID, ACCEPT_YES_BID):
        raise ValueError(f"AcceptQuote Side must be 1 or 2, not {side!r}")
    msg = _message(MT.ACCEPT_QUOTE)
    msg.setField(T.QUOTE_ID, quote_id)
    if rfq_id:
        msg.setField(T.RFQ_ID, rfq_id)  # Kalshi asks for it; expected to become mandatory
    msg.setField(T.SIDE, side)
    if qty is not None:
        msg.setField(T.ORDER_QTY, format_qty(qty))
    if cl_ord_id:
        msg.setField(T.CL_ORD_ID, cl_ord_id)
    if prefer_better:
        msg.setField(T.PREFER_BETTER_QUOTE, "Y")
    return msg


def rfq_cancel(client_rfq_id: str | None = None, rfq_id: str | None = None) -> fix.Message:
    """35=UE naming the RFQ by the creator's 131, the server's 21023, or both."""
    if not client_rfq_id and not rfq_id:
        raise ValueError("RFQCancel needs QuoteReqID(131) or RfqId(21023)")
    msg = _message(MT.RFQ_CANCEL)
    if client_rfq_id:
        msg.setField(T.QUOTE_REQ_ID, client_rfq_id)
    if rfq_id:
        msg.setField(T.RFQ_ID, rfq_id)
    return msg


def quote(quote_id: str, rfq_id: str, symbol: str, yes_bid: int, no_bid: int, *, use_dollars: bool,
          post_only: bool = False, subaccount: int | None = None, rest_remainder: bool | None = None) -> fix.Message:
    """35=S answering broadcast `rfq_id` (the SERVER RFQ ID from the maker's 35=R).

    `yes_bid` / `no_bid`: price units the maker pays per YES / NO contract; 0 = side not quoted
    (sent as "0", as documented).
    """
    msg = _message(MT.QUOTE)
    msg.setField(T.QUOTE_ID, quote_id)
    msg.setField(T.QUOTE_REQ_ID, rfq_id)
    msg.setField(T.SYMBOL, symbol)
    msg.setField(T.BID_PX, format_price(yes_bid, use_dollars) if yes_bid else "0")
    msg.setField(T.OFFER_PX, format_price(no_bid, use_dollars) if no_bid else "0")
    if post_only:
        msg.setField(T.EXEC_INST, EXEC_INST_POST_ONLY)
    if subaccount is not None:
        msg.setField(T.ALLOC_ACCOUNT, str(subaccount))
    if rest_remainder is not None:
        msg.setField(T.REST_REMAINDER, _yn(rest_remainder))
    return msg


def quote_cancel(quote_id: str, rfq_id: str | None = None) -> fix.Message:
    return _about_quote(MT.QUOTE_CANCEL, quote_id, rfq_id)


def quote_confirm(quote_id: str, rfq_id: str | None = None) -> fix.Message:
    return _about_quote(MT.QUOTE_CONFIRM, quote_id, rfq_id)


def _about_quote(msg_type: str, quote_id: str, rfq_id: str | None) -> fix.Message:
    """35=Z / 35=U7: the maker's QuoteID(117), and RfqId(21023) when known."""
    msg = _message(msg_type)
    msg.setField(T.QUOTE_ID, quote_id)
    if rfq_id:
        msg.setField(T.RFQ_ID, rfq_id)
    return msg

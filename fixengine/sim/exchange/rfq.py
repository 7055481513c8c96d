"""RFQ (request for quote) on the simulated exchange: creator and maker lifecycle (part2 §5).

    RFQ open ──(UE / execution / expiry / market finished)──> closed
    quote open ──Z / replaced──> cancelled
      └─UA / D+117──> accepted ──U7 within the confirmation window──> confirmed
            │ no U7 in time: voided (cancelled)     └─execution delay──> executed
Timers (config `rfq:`): confirmation 30 s (3 s on a high-volatility market), execution 15 s (1 s),
RFQ lifetime 24 h (UNCONFIRMED). They run from `_run_due`, i.e. on every exchange operation and
on `advance_time`, so a ManualClock drives them deterministically.

At execution both orders are entered on the public book like any order: first the maker's at
its quote price (post-only if the quote was), then the creator's crossing it (IOC, or GTC when
the RFQ asked RestRemainder). The maker's remainder rests only if its quote asked for it.

Choices where Kalshi's behaviour is UNCONFIRMED (documented-safe picks):
* a voided acceptance (no U7 in time) cancels the quote for good (it is not offered again): the
  creator gets UC 21025=1 58=EXPIRED, the maker AI 297=17; the RFQ stays open for other quotes;
* a quote replaced by a new S of the same maker gets AI 297=17 when the new quote id differs;
* one acceptance at a time per RFQ (another UA meanwhile: UC 58=QUOTE_ALREADY_ACCEPTED);
* the D+117 path answers UC on success; its refusals are 35=8 150=8 (103=8 for NOT_FOUND/EXPIRED);
  its Price(44) is a limit the quote must meet (else 103=11 INVALID_ORDER);
* the maker's order uses ClOrdID = QuoteID when that is a valid, unused ClOrdID, and reports
  on the maker's order-entry session found by `rfq_order_session(user_id)` (set by the gateway);
* cost-sized RFQs (152): offered sizes are what the creator's cost buys at each side's price;
* combo (MVE) RFQs are not modelled: AG 658=99.

Holds ("neither side can back out now", part2 §5.2): the creator's cost is held from its acceptance
and the maker's from its U7, each at the price its order will be entered at, as the full price cost
plus the worst-case fee reserve (no credit for an opposite position, which may shrink meanwhile);
the creator's ClOrdID is held too, so a plain order reusing it is refused ORDER_ALREADY_EXISTS.
Both are released just before the orders are entered, so execution cannot fail for balance. An
acceptance that dies (no U7 in time, the RFQ closed, an order refused at execution) releases them
and tells the creator UC 21025=1 58=EXPIRED and the maker AI 297=17; a refused execution is never
reported as executed.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from fixengine.model import Side, TimeInForce
from fixengine.pricing import ONE_CONTRACT, ONE_DOLLAR
from fixengine.sim.config import SimRfq
from fixengine.sim.exchange import validation as v
from fixengine.sim.exchange.accounts import order_fee_reserve
from fixengine.sim.exchange.events import CancelReason, OrderRejected
from fixengine.sim.exchange.markets import FINISHED, Market
from fixengine.sim.exchange.orders import unit_cost
from fixengine.sim.exchange.requests import NewOrder
from fixengine.sim.exchange.rfq_events import (
    QUOTE_ACCEPTED, QUOTE_CANCELLED, QUOTE_PENDING, QUOTE_REJECTED, REJECT_EXCEEDS_LIMIT, REJECT_OTHER,
    REJECT_UNKNOWN_SYMBOL, RFQ_CANCEL_REJECTED, RFQ_CANCELED, RFQ_EXPIRED, TEXT_EXPIRED, TEXT_NOT_FOUND,
    AcceptQuote, CancelQuote, CancelRfq, ConfirmQuote, CreateRfq, QuoteAcceptStatus, QuoteCancelStatus,
    QuoteConfirmStatus, QuoteNotice, QuoteStatus, RfqAck, RfqBroadcast, RfqCancelStatus, RfqClosed, RfqRejected,
    SubmitQuote,
)

OPEN, ACCEPTED, CONFIRMED, EXECUTED, CANCELLED = "open", "accepted", "confirmed", "executed", "cancelled"
LIVE = (OPEN, ACCEPTED, CONFIRMED)
TEXT_RFQ_EXISTS = "RFQ already exists"
TEXT_TOO_MANY = "too many open RFQs"
TEXT_NOT_ACCEPTED = "quote not in accepted state"
TEXT_ALREADY_ACCEPTED = "QUOTE_ALREADY_ACCEPTED"
TEXT_CANCELED_BY_REQUESTER = "RFQ cancelled by requester"
TEXT_EXECUTED = "RFQ closed: a quote was executed"
TEXT_RFQ_EXPIRED = "RFQ expired"
TEXT_REPLACED = "RFQ replaced by a newer RFQ"
STALE_ORDER = 8  # OrdRejReason(103) on a D-accept of an unknown / expired quote (part2 §5.6)


def public_id(user_id: str) -> str:
    """A user's pseudonymous public communications id (PartyID 448): stable, not the user id."""
    return hashlib.sha256(b"kalshi-sim-rfq:" + user_id.encode()).hexdigest()[:8]


@dataclass(slots=True)
class Rfq:
    rfq_id: str
    client_rfq_id: str
    user_id: str
    key_id: str
    session_id: str
    symbol: str
    shard: int
    qty: int | None
    cash_qty: int | None
    rest_remainder: bool
    subaccount: int
    created: datetime
    expires: datetime | None
    seq: int
    open: bool = True
    accepted_quote: str | None = None  # quote in accepted / confirmed state
    quotes: dict = field(default_factory=dict)  # maker user_id -> its live quote id


@dataclass(slots=True)
class Quote:
    quote_id: str
    rfq_id: str
    user_id: str
    key_id: str
    session_id: str
    subaccount: int
    yes_bid: int
    no_bid: int  # NO price the maker pays
    post_only: bool
    rest_remainder: bool
    created: datetime
    state: str = OPEN
    accept: AcceptQuote | None = None
    accepted_qty: int = 0
    deadline: datetime | None = None  # confirmation deadline while accepted
    execute_at: datetime | None = None  # while confirmed
    holds: list = field(default_factory=list)  # (user_id, subaccount, money) held until execution


class RfqMixin:
    """RFQ state and operations (needs ExchangeState, TradingMixin)."""

    def _rfq_init(self, settings: SimRfq | None) -> None:
        self.rfq_settings = settings or SimRfq()
        self._rfqs: dict[str, Rfq] = {}
        self._rfqs_open: dict[str, Rfq] = {}  # open ones only: _run_due scans these on every operation
        self._quotes: dict[str, Quote] = {}
        self._rfq_timers: list = []  # (when, seq, kind, id)
        self._rfq_seq = itertools.count(1)
        # (user, ClOrdID) of accepted quotes until their order is entered: no other order may take it
        self._held_cl_ord_ids: set[tuple[str, str]] = set()
        # user_id -> session name the maker's RFQ orders report to ("" = none); the gateway sets it
        self.rfq_order_session: Callable[[str], str] = lambda user_id: ""

    # ------------------------------------------------------------------ creator: 35=R / 35=UE

    def create_rfq(self, req: CreateRfq) -> list:
        """[RfqAck, RfqBroadcast] (after closing replaced RFQs) or [RfqRejected]."""
        with self._lock:
            now, events = self._begin()
            older = self._open_rfqs(req.user_id, req.symbol)
            problem = self._rfq_problem(req, len(older) if not req.replace_existing else 0)
            if problem is not None:
                events.append(RfqRejected(req.user_id, req.key_id, req.session_id, req.client_rfq_id, *problem, now))
                return events
            if req.replace_existing:  # keep the newest existing one: at most two stay open
                for rfq in older[:-1]:
                    if not self._rfq_executing(rfq):
                        self._rfq_close(rfq, now, events, RFQ_EXPIRED, TEXT_REPLACED)
            self._rfq_open(req, now, events)
            return events

    def _rfq_problem(self, req: CreateRfq, same_market: int) -> tuple[int, str] | None:
        if req.mve_collection is not None:
            return REJECT_OTHER, "combo (MVE) RFQs are not supported by the simulator"
        refusal = self._account_refusal(req.user_id, req.key_id, req.subaccount)
        if refusal is not None:
            return REJECT_OTHER, refusal.text
        if self._key_subaccount(req.user_id, req.key_id) is not None:
            return REJECT_OTHER, "subaccount-restricted API keys cannot create RFQs"
        market = self._markets.get(req.symbol)
        if market is None:
            return REJECT_UNKNOWN_SYMBOL, "MARKET_NOT_FOUND"
        refusal = v.market_status_refusal(market, self._exchange_pause)
        if refusal is not None:
            return REJECT_OTHER, refusal.text
        if req.qty is not None and v.qty_refusal(req.qty, market) is not None:
            return REJECT_OTHER, "INVALID_QUANTITY"
        if req.qty is None and (req.cash_qty is None or req.cash_qty <= 0):
            return REJECT_OTHER, "INVALID_QUANTITY"
        if len(self._open_rfqs(req.user_id)) >= self.rfq_settings.max_open_per_user:
            return REJECT_EXCEEDS_LIMIT, TEXT_TOO_MANY
        if same_market:
            return REJECT_EXCEEDS_LIMIT, TEXT_RFQ_EXISTS
        return None

    def _rfq_open(self, req: CreateRfq, now: datetime, events: list) -> None:
        market = self._markets[req.symbol]
        lifetime = self.rfq_settings.lifetime_s
        rfq = Rfq(self._ids.uuid(), req.client_rfq_id, req.user_id, req.key_id, req.session_id, req.symbol,
                  market.shard, req.qty, None if req.qty is not None else req.cash_qty, req.rest_remainder,
                  req.subaccount, now, now + timedelta(seconds=lifetime) if lifetime > 0 else None,
                  next(self._rfq_seq))
        self._rfqs[rfq.rfq_id] = self._rfqs_open[rfq.rfq_id] = rfq
        if rfq.expires is not None:
            self._rfq_schedule(rfq.expires, "expire", rfq.rfq_id)
        events.append(RfqAck(req.user_id, req.key_id, req.session_id, req.client_rfq_id, rfq.rfq_id, rfq.symbol,
                             rfq.shard, now))
        events.append(RfqBroadcast(rfq.rfq_id, rfq.symbol, rfq.qty, rfq.cash_qty, public_id(rfq.user_id),
                                   rfq.user_id, now))

    def cancel_rfq(self, req: CancelRfq) -> list:
        """[RfqCancelStatus(0), RfqClosed] or [RfqCancelStatus(1)]."""
        with self._lock:
            now, events = self._begin()
            echo = req.client_rfq_id or req.rfq_id or ""
            rfq = self._find_rfq(req)
            if rfq is None or self._rfq_executing(rfq):
                text = TEXT_NOT_FOUND if rfq is None else "RFQ is executing"
                events.append(RfqCancelStatus(req.user_id, req.key_id, req.session_id, echo, RFQ_CANCEL_REJECTED,
                                              rfq.rfq_id if rfq else None, text, now))
                return events
            events.append(RfqCancelStatus(req.user_id, req.key_id, req.session_id, echo, RFQ_CANCELED,
                                          rfq.rfq_id, None, now))
            self._rfq_close(rfq, now, events, None, TEXT_CANCELED_BY_REQUESTER)
            return events

    def _find_rfq(self, req: CancelRfq) -> Rfq | None:
        for rfq in self._open_rfqs(req.user_id):
            if (req.rfq_id is None or rfq.rfq_id == req.rfq_id) and (
                    req.client_rfq_id is None or rfq.client_rfq_id == req.client_rfq_id):
                return rfq
        return None

    def _rfq_close(self, rfq: Rfq, now: datetime, events: list, creator_status: int | None, text: str,
                   exclude: tuple[str, ...] = ()) -> None:
        """Close an RFQ: its live quotes die, makers get AG, the creator an unsolicited UB if asked."""
        rfq.open = False
        rfq.accepted_quote = None
        self._rfqs_open.pop(rfq.rfq_id, None)
        for quote_id in rfq.quotes.values():
            quote = self._quotes.get(quote_id)
            if quote is not None and quote.state == ACCEPTED:
                self._drop_acceptance(quote, now, events)  # it would otherwise die silently
            elif quote is not None and quote.state == OPEN:
                quote.state = CANCELLED
        if creator_status is not None:
            events.append(RfqCancelStatus(rfq.user_id, rfq.key_id, rfq.session_id, rfq.client_rfq_id,
                                          creator_status, rfq.rfq_id, None, now))
        events.append(RfqClosed(rfq.rfq_id, REJECT_OTHER, text, rfq.user_id, (rfq.user_id, *exclude), now))

    def _open_rfqs(self, user_id: str, symbol: str | None = None) -> list[Rfq]:
        """The user's open RFQs (on one market if given), oldest first."""
        return sorted((r for r in self._rfqs_open.values()
                       if r.user_id == user_id and (symbol is None or r.symbol == symbol)), key=lambda r: r.seq)

    def _rfq_executing(self, rfq: Rfq) -> bool:
        quote = self._quotes.get(rfq.accepted_quote or "")
        return quote is not None and quote.state == CONFIRMED

    # ------------------------------------------------------------------ maker: 35=S / 35=Z

    def quote(self, req: SubmitQuote) -> list:
        """[QuoteStatus(PENDING), QuoteNotice] (after cancelling the maker's previous quote) or [REJECTED]."""
        with self._lock:
            now, events = self._begin()
            rfq = self._rfqs.get(req.rfq_id)
            subaccount = self._quote_subaccount(req)
            text = self._quote_problem(req, rfq, subaccount)
            if text is not None:
                events.append(QuoteStatus(req.user_id, req.key_id, req.session_id, "", req.rfq_id, QUOTE_REJECTED,
                                          subaccount=subaccount, text=text, time=now))
                return events
            previous = self._quotes.get(rfq.quotes.get(req.user_id, ""))
            if previous is not None and previous.state == OPEN:
                previous.state = CANCELLED
                if previous.quote_id != req.quote_id:
                    events.append(self._quote_status(previous, QUOTE_CANCELLED, now))
            quote = Quote(req.quote_id, rfq.rfq_id, req.user_id, req.key_id, req.session_id, subaccount, req.yes_bid,
                          req.no_bid, req.post_only, req.rest_remainder, now)
            self._quotes[quote.quote_id] = quote
            rfq.quotes[req.user_id] = quote.quote_id
            events.append(self._quote_status(quote, QUOTE_PENDING, now))
            yes_size, no_size = self._sizes(rfq, quote)
            events.append(QuoteNotice(rfq.user_id, rfq.key_id, rfq.session_id, quote.quote_id, rfq.rfq_id, rfq.symbol,
                                      quote.yes_bid, quote.no_bid, rfq.qty, yes_size, no_size,
                                      public_id(quote.user_id), now))
            return events

    def _quote_subaccount(self, req: SubmitQuote) -> int:
        pinned = self._key_subaccount(req.user_id, req.key_id)
        if req.subaccount is None:
            return pinned or 0
        return req.subaccount

    def _quote_problem(self, req: SubmitQuote, rfq: Rfq | None, subaccount: int) -> str | None:
        if rfq is None:
            return "RFQ_NOT_FOUND"
        if not rfq.open:
            return "RFQ_CLOSED"
        if rfq.user_id == req.user_id:
            return "cannot quote your own RFQ"
        if req.symbol != rfq.symbol:
            return "Symbol does not match the RFQ"
        refusal = self._account_refusal(req.user_id, req.key_id, subaccount)
        if refusal is not None:
            return refusal.text
        market = self._markets[rfq.symbol]
        refusal = v.market_status_refusal(market, self._exchange_pause)
        if refusal is not None:
            return refusal.text
        price_text = self._quote_price_problem(req, market)
        if price_text is not None:
            return price_text
        existing = self._quotes.get(req.quote_id)
        if existing is not None and existing.state in LIVE and (
                existing.user_id != req.user_id or existing.rfq_id != req.rfq_id):
            return "QUOTE_ALREADY_EXISTS"
        mine = self._quotes.get(rfq.quotes.get(req.user_id, ""))
        if mine is not None and mine.state in (ACCEPTED, CONFIRMED):
            return TEXT_ALREADY_ACCEPTED
        return None

    @staticmethod
    def _quote_price_problem(req: SubmitQuote, market: Market) -> str | None:
        if req.yes_bid == 0 and req.no_bid == 0:
            return "at least one of BidPx / OfferPx must be non-zero"
        if req.yes_bid < 0 or req.no_bid < 0 or req.yes_bid + req.no_bid > ONE_DOLLAR:
            return "yes_bid + no_bid must not exceed $1"
        if req.yes_bid and not market.grid.is_on_grid(req.yes_bid):
            return "BidPx is not on the market's tick grid"
        if req.no_bid and not market.grid.is_on_grid(ONE_DOLLAR - req.no_bid):
            return "OfferPx is not on the market's tick grid"
        return None

    def _sizes(self, rfq: Rfq, quote: Quote) -> tuple[int | None, int | None]:
        """(BidSize 134, OfferSize 135): what the creator can take on each quoted side."""
        return (self._side_size(rfq, quote, Side.SELL) if quote.yes_bid else None,
                self._side_size(rfq, quote, Side.BUY) if quote.no_bid else None)

    def _side_size(self, rfq: Rfq, quote: Quote, creator_side: Side) -> int:
        if rfq.qty is not None:
            return rfq.qty
        qty = rfq.cash_qty // unit_cost(creator_side, self._trade_price(quote, creator_side))
        if not self._markets[rfq.symbol].fractional:
            qty -= qty % ONE_CONTRACT
        return qty

    @staticmethod
    def _trade_price(quote: Quote, creator_side: Side) -> int:
        """YES price of the trade: the creator sells at the YES bid or buys at 1 - NO bid."""
        return quote.yes_bid if creator_side is Side.SELL else ONE_DOLLAR - quote.no_bid

    def _quote_status(self, quote: Quote, status: int, now: datetime, qty: int | None = None,
                      side: Side | None = None) -> QuoteStatus:
        rfq = self._rfqs[quote.rfq_id]
        yes_size, no_size = self._sizes(rfq, quote)
        return QuoteStatus(quote.user_id, quote.key_id, quote.session_id, quote.quote_id, quote.rfq_id, status,
                           qty if qty is not None else rfq.qty, quote.yes_bid, quote.no_bid, yes_size, no_size,
                           side, quote.subaccount, None, now)

    def cancel_quote(self, req: CancelQuote) -> list:
        """[QuoteCancelStatus(ok), QuoteStatus(CANCELLED)] or [QuoteCancelStatus(rejected)]."""
        with self._lock:
            now, events = self._begin()
            quote = self._own_quote(req.user_id, req.quote_id, req.rfq_id)
            text = TEXT_NOT_FOUND if quote is None else (None if quote.state == OPEN else "quote is not open")
            events.append(QuoteCancelStatus(req.user_id, req.key_id, req.session_id, req.quote_id, text is None,
                                            text, now))
            if text is None:
                quote.state = CANCELLED
                rfq = self._rfqs[quote.rfq_id]
                rfq.quotes.pop(quote.user_id, None)
                events.append(self._quote_status(quote, QUOTE_CANCELLED, now))
            return events

    def _own_quote(self, user_id: str, quote_id: str, rfq_id: str | None) -> Quote | None:
        quote = self._quotes.get(quote_id)
        if quote is None or quote.user_id != user_id or (rfq_id is not None and rfq_id != quote.rfq_id):
            return None
        return quote

    # ------------------------------------------------------------------ creator: 35=UA / 35=D+117

    def accept_quote(self, req: AcceptQuote) -> list:
        """[QuoteAcceptStatus(ok), QuoteStatus(ACCEPTED)] or a refusal (UC 21025=1, or 35=8 on the D path)."""
        with self._lock:
            now, events = self._begin()
            quote, refusal = self._acceptable(req)
            if refusal is not None:
                events.append(self._accept_refusal(req, refusal, now))
                return events
            rfq = self._rfqs[quote.rfq_id]
            qty = req.qty if req.qty is not None else self._side_size(rfq, quote, req.side)
            quote.state, quote.accept, quote.accepted_qty = ACCEPTED, req, qty
            market = self._markets[rfq.symbol]
            window = (self.rfq_settings.confirm_window_hvm_s if market.high_volatility
                      else self.rfq_settings.confirm_window_s)
            quote.deadline = now + timedelta(seconds=window)
            rfq.accepted_quote = quote.quote_id
            self._rfq_schedule(quote.deadline, "void", quote.quote_id)
            self._hold(quote, req.user_id, rfq.subaccount, self._order_need(
                rfq.symbol, req.side, self._creator_price(quote, req), qty))
            if req.cl_ord_id is not None:
                self._held_cl_ord_ids.add((req.user_id, req.cl_ord_id))
            events.append(QuoteAcceptStatus(req.user_id, req.key_id, req.session_id, req.quote_id, True,
                                            quote.quote_id, req.cl_ord_id, None, now))
            events.append(self._quote_status(quote, QUOTE_ACCEPTED, now, qty=qty, side=req.side))
            return events

    def _acceptable(self, req: AcceptQuote) -> tuple[Quote | None, v.Refusal | None]:
        """The quote to take (PreferBetterQuote may pick a better one), or why not (103 code + Text)."""
        quote = self._quotes.get(req.quote_id)
        rfq = self._rfqs.get(quote.rfq_id) if quote is not None else None
        if rfq is None or rfq.user_id != req.user_id or (req.rfq_id is not None and req.rfq_id != rfq.rfq_id):
            return None, v.Refusal(STALE_ORDER, TEXT_NOT_FOUND)  # quotes are private: others' are unknown
        if not rfq.open or quote.state not in LIVE:
            return None, v.Refusal(STALE_ORDER, TEXT_EXPIRED)
        if rfq.accepted_quote is not None:
            return None, v.Refusal(v.UNSUPPORTED_CHARACTERISTIC, TEXT_ALREADY_ACCEPTED)
        if req.prefer_better:
            quote = self._best_quote(rfq, quote, req.side)
        return quote, self._accept_problem(req, rfq, quote)

    def _best_quote(self, rfq: Rfq, named: Quote, side: Side) -> Quote:
        best = named
        for quote_id in rfq.quotes.values():
            quote = self._quotes.get(quote_id)
            if quote is None or quote.state != OPEN or not (quote.yes_bid if side is Side.SELL else quote.no_bid):
                continue
            if unit_cost(side, self._trade_price(quote, side)) < unit_cost(side, self._trade_price(best, side)):
                best = quote  # cheaper for the creator = strictly better
        return best

    def _accept_problem(self, req: AcceptQuote, rfq: Rfq, quote: Quote) -> v.Refusal | None:
        invalid = v.Refusal(v.UNSUPPORTED_CHARACTERISTIC, "INVALID_ORDER")
        if not (quote.yes_bid if req.side is Side.SELL else quote.no_bid):
            return v.Refusal(v.UNSUPPORTED_CHARACTERISTIC, "the quote does not price that side")
        if self._key_subaccount(req.user_id, req.key_id) is not None:
            return v.Refusal(v.UNKNOWN_ACCOUNT, "subaccount-restricted API keys cannot accept quotes")
        market = self._markets[rfq.symbol]
        refusal = v.market_status_refusal(market, self._exchange_pause)
        if refusal is not None:
            return refusal
        size = self._side_size(rfq, quote, req.side)
        if req.qty is not None and (req.qty > size or v.qty_refusal(req.qty, market) is not None):
            return v.Refusal(v.INCORRECT_QUANTITY, "INVALID_QUANTITY")
        if size <= 0:
            return v.Refusal(v.INCORRECT_QUANTITY, "INVALID_QUANTITY")
        if req.cl_ord_id is not None and v.clordid_problem(req.cl_ord_id):
            return invalid
        if req.cl_ord_id is not None and self._cl_ord_id_taken(req.user_id, req.cl_ord_id):
            return v.Refusal(v.DUPLICATE_ORDER, "ORDER_ALREADY_EXISTS")
        price = self._trade_price(quote, req.side)
        if req.limit_price is not None and (not market.grid.is_on_grid(req.limit_price) or (
                req.limit_price < price if req.side is Side.BUY else req.limit_price > price)):
            return invalid
        qty = req.qty if req.qty is not None else size
        need = self._order_need(rfq.symbol, req.side, self._creator_price(quote, req), qty)
        if need > self._accounts[req.user_id].subaccounts[rfq.subaccount].available:
            return v.Refusal(v.ORDER_EXCEEDS_LIMIT, "INSUFFICIENT_BALANCE")
        return None

    def _accept_refusal(self, req: AcceptQuote, refusal: v.Refusal, now: datetime):
        if not req.via_order:
            return QuoteAcceptStatus(req.user_id, req.key_id, req.session_id, req.quote_id, False, None,
                                     req.cl_ord_id, refusal.text, now)
        order = NewOrder(key_id=req.key_id, user_id=req.user_id, cl_ord_id=req.cl_ord_id or "", symbol=req.symbol,
                         side=req.side, price=req.limit_price or 0, qty=req.qty or 0, session_id=req.session_id)
        return OrderRejected(order, refusal.code, refusal.text, now)

    # ------------------------------------------------------------------ maker: 35=U7

    def confirm_quote(self, req: ConfirmQuote) -> list:
        """[QuoteConfirmStatus(ok)] (the execution timer starts) or [QuoteConfirmStatus(rejected)]."""
        with self._lock:
            now, events = self._begin()
            quote = self._own_quote(req.user_id, req.quote_id, req.rfq_id)
            text = TEXT_NOT_FOUND if quote is None else (None if quote.state == ACCEPTED else TEXT_NOT_ACCEPTED)
            need = self._maker_need(quote) if text is None else 0
            if text is None and need > self._accounts[quote.user_id].subaccounts[quote.subaccount].available:
                text = "INSUFFICIENT_BALANCE"
            events.append(QuoteConfirmStatus(req.user_id, req.key_id, req.session_id, req.quote_id, text is None,
                                             text, now))
            if text is None:
                market = self._markets[self._rfqs[quote.rfq_id].symbol]
                delay = (self.rfq_settings.execution_delay_hvm_s if market.high_volatility
                         else self.rfq_settings.execution_delay_s)
                quote.state, quote.execute_at = CONFIRMED, now + timedelta(seconds=delay)
                self._rfq_schedule(quote.execute_at, "execute", quote.quote_id)
                self._hold(quote, quote.user_id, quote.subaccount, need)
            return events

    def _maker_need(self, quote: Quote) -> int:
        side = quote.accept.side
        maker_side = Side.BUY if side is Side.SELL else Side.SELL
        symbol = self._rfqs[quote.rfq_id].symbol
        return self._order_need(symbol, maker_side, self._trade_price(quote, side), quote.accepted_qty)

    # ------------------------------------------------------------------ holds

    def _creator_price(self, quote: Quote, acc: AcceptQuote) -> int:
        """The limit the creator's order is entered at: its own Price(44) on the D path, else the quote's."""
        return acc.limit_price if acc.limit_price is not None else self._trade_price(quote, acc.side)

    def _order_need(self, symbol: str, side: Side, price: int, qty: int) -> int:
        """What an RFQ order can need at entry: price cost plus fee reserve, no position credit."""
        return unit_cost(side, price) * qty + order_fee_reserve(price, qty, self._markets[symbol].fees)

    def _hold(self, quote: Quote, user_id: str, subaccount: int, amount: int) -> None:
        self._accounts[user_id].subaccounts[subaccount].reserved += amount
        quote.holds.append((user_id, subaccount, amount))

    def _release(self, quote: Quote) -> None:
        """Give back the money and the creator's ClOrdID held for the quote's execution."""
        for user_id, subaccount, amount in quote.holds:
            self._accounts[user_id].subaccounts[subaccount].reserved -= amount
        quote.holds.clear()
        acc = quote.accept
        if acc is not None and acc.cl_ord_id is not None:
            self._held_cl_ord_ids.discard((acc.user_id, acc.cl_ord_id))

    def _drop_acceptance(self, quote: Quote, now: datetime, events: list) -> None:
        """An acceptance that will not execute: release its holds, tell the creator (UC) and the maker (AI)."""
        self._release(quote)
        quote.state = CANCELLED
        acc = quote.accept
        events.append(QuoteAcceptStatus(acc.user_id, acc.key_id, acc.session_id, acc.quote_id, False, None,
                                        acc.cl_ord_id, TEXT_EXPIRED, now))
        events.append(self._quote_status(quote, QUOTE_CANCELLED, now))

    # ------------------------------------------------------------------ timers

    def _rfq_schedule(self, when: datetime, kind: str, ident: str) -> None:
        heapq.heappush(self._rfq_timers, (when, next(self._rfq_seq), kind, ident))

    def _rfq_run_due(self, now: datetime, events: list) -> None:
        """Voided acceptances, executions, RFQ expiries and RFQs of finished markets (from _run_due)."""
        timers = self._rfq_timers
        while timers and timers[0][0] <= now:
            when, _, kind, ident = heapq.heappop(timers)
            if kind == "expire":
                rfq = self._rfqs.get(ident)
                if rfq is not None and rfq.open and rfq.expires == when and not self._rfq_executing(rfq):
                    self._rfq_close(rfq, now, events, RFQ_EXPIRED, TEXT_RFQ_EXPIRED)
                continue
            quote = self._quotes.get(ident)
            if quote is None:
                continue
            if kind == "void" and quote.state == ACCEPTED and quote.deadline == when:
                self._void(quote, now, events)
            elif kind == "execute" and quote.state == CONFIRMED and quote.execute_at == when:
                self._execute(quote, now, events)
        for rfq in [r for r in self._rfqs_open.values() if self._markets[r.symbol].status in FINISHED]:
            if not self._rfq_executing(rfq):
                self._rfq_close(rfq, now, events, RFQ_EXPIRED, "MARKET_ALREADY_CLOSED")

    def _void(self, quote: Quote, now: datetime, events: list) -> None:
        """No U7 within the confirmation window (or an execution refused): the acceptance and quote are void."""
        rfq = self._rfqs[quote.rfq_id]
        rfq.accepted_quote = None
        rfq.quotes.pop(quote.user_id, None)
        self._drop_acceptance(quote, now, events)

    def _execute(self, quote: Quote, now: datetime, events: list) -> None:
        """Execution timer elapsed: maker's order, then the creator's crossing it; the RFQ closes."""
        rfq, acc = self._rfqs[quote.rfq_id], quote.accept
        self._release(quote)  # the orders below reserve the same money themselves
        price = self._trade_price(quote, acc.side)
        maker_side = Side.BUY if acc.side is Side.SELL else Side.SELL
        maker_cl = quote.quote_id
        if v.clordid_problem(maker_cl) or self._cl_ord_id_taken(quote.user_id, maker_cl):
            maker_cl = f"rfq-{self._ids.uuid()}"
        maker = self._enter(NewOrder(
            key_id=quote.key_id, user_id=quote.user_id, cl_ord_id=maker_cl, symbol=rfq.symbol, side=maker_side,
            price=price, qty=quote.accepted_qty, post_only=quote.post_only, subaccount=quote.subaccount,
            session_id=self.rfq_order_session(quote.user_id)), now, events)
        creator = None if maker is None else self._enter(NewOrder(
            key_id=acc.key_id, user_id=rfq.user_id, cl_ord_id=acc.cl_ord_id or f"rfq-{self._ids.uuid()}",
            symbol=rfq.symbol, side=acc.side, price=self._creator_price(quote, acc),
            qty=quote.accepted_qty, tif=TimeInForce.GTC if rfq.rest_remainder else TimeInForce.IOC,
            subaccount=rfq.subaccount, session_id=acc.session_id), now, events)
        if maker is not None and maker.is_open and (creator is None or not quote.rest_remainder):
            self._cancel(maker, now, "IMMEDIATE_OR_CANCELLED", CancelReason.IOC, None, events)
        if creator is None:  # an order was refused (market closed or paused meanwhile, ...): not executed
            self._void(quote, now, events)
            if rfq.open and rfq.expires is not None and rfq.expires <= now:  # its expiry was skipped
                self._rfq_close(rfq, now, events, RFQ_EXPIRED, TEXT_RFQ_EXPIRED)
            return
        quote.state = EXECUTED
        rfq.quotes.pop(quote.user_id, None)
        self._rfq_close(rfq, now, events, None, TEXT_EXECUTED, exclude=(quote.user_id,))

    # ------------------------------------------------------------------ read queries

    def rfqs(self, user_id: str, open_only: bool = False) -> list[dict]:
        """The user's RFQs, oldest first (REST-like fields; qty/money in project units)."""
        with self._lock:
            return [{"id": r.rfq_id, "client_rfq_id": r.client_rfq_id, "market_ticker": r.symbol,
                     "status": "open" if r.open else "closed", "contracts": r.qty, "target_cost": r.cash_qty,
                     "rest_remainder": r.rest_remainder, "subaccount": r.subaccount, "created_time": r.created,
                     "accepted_quote_id": r.accepted_quote}
                    for r in sorted(self._rfqs.values(), key=lambda r: r.seq)
                    if r.user_id == user_id and (r.open or not open_only)]

    def quotes(self, user_id: str) -> list[dict]:
        """Quotes the user made, and quotes on the user's RFQs (REST-like fields)."""
        with self._lock:
            out = []
            for q in self._quotes.values():
                rfq = self._rfqs[q.rfq_id]
                if user_id not in (q.user_id, rfq.user_id):
                    continue
                out.append({"id": q.quote_id, "rfq_id": q.rfq_id, "market_ticker": rfq.symbol, "status": q.state,
                            "yes_bid": q.yes_bid, "no_bid": q.no_bid, "creator_id": public_id(q.user_id),
                            "rfq_creator_id": public_id(rfq.user_id), "accepted_side": (
                                None if q.accept is None else ("no" if q.accept.side is Side.BUY else "yes")),
                            "accepted_qty": q.accepted_qty or None, "subaccount": q.subaccount if q.user_id == user_id
                            else None, "created_time": q.created})
            return out

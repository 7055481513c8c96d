"""The RFQ creator ("requester") on an Engine's KalshiRT session (part2 §5).

    rfq = engine.rfq.create("KXHIGHNY-26AUG25-B85.5", qty="100")      # 35=R -> 35=b
    engine.wait(lambda: rfq.open_quotes())                              # 35=S notifications
    accept = engine.rfq.accept(rfq.best_quote("2"), "sell_yes")         # 35=UA -> 35=UC
    engine.wait(lambda: accept.order.is_done, timeout=20)               # 35=8 after the timers
    engine.rfq.cancel(rfq)                                              # 35=UE -> 35=UB

Only KalshiRT carries the creator side; on any other session `engine.rfq` raises RfqError.
Each step is published as an EventKind.RFQ event (report = records.RfqUpdate). An accept is an
Order the engine tracks under the accept's ClOrdID (risk-checked, journaled), so the execution
reports the exchange sends once the maker confirmed and the execution timer elapsed update fills,
positions, the book and the journal like any other order.

Restarts: every state change is journaled (engine journal, record kind RFQ: snapshots of the
RFQ, quote and accept it touched, see journal_codec.py) and an Engine started on the same journal
rebuilds `engine.rfq` from them - RFQs with their server ids, quotes, accepts (on the engine's own
replayed orders) - so what KalshiRT resends after the restart, and the strategy's accept / cancel,
find their RFQ. A message applied before (a PossDup resend) changes nothing and publishes nothing.

Session loss: KalshiRT resends what a disconnect lost, so by default in-flight requests keep
waiting. Configured with reset_on_logon (141=Y) nothing comes back: at logout a pending cancel
reverts (step cancel_lost; cancel again) and a create or accept still unanswered is refused with
SESSION_LOST (steps rejected / accept_rejected), journaled like any other change.

Thread model: inbound handlers run on QuickFIX's thread (or the poll thread); state changes take
this object's lock, which is never held while sending or publishing. Journal writes happen under
this lock (then the engine's), so the records are in state order.
"""

from __future__ import annotations

import logging
import threading
import uuid

from fixengine.config.types import SessionKind
from fixengine.engine import journal as J
from fixengine.engine import userterms as U
from fixengine.engine.events import Event, EventKind
from fixengine.engine.orders import Order, OrderStatus
from fixengine.errors import FixEngineError, UserInputError
from fixengine.fix import tags as T
from fixengine.model import Side
from fixengine.rfq import journal_codec as C
from fixengine.rfq import messages as M
from fixengine.rfq import parse as P
from fixengine.rfq.records import (ACCEPT_YES_BID, Accept, AcceptStatus, Quote, QuoteState, Rfq,
                                   RfqStatus, RfqUpdate)
from fixengine.session.kinds import resets_on_logon
from fixengine.session.templates import OrderFields

log = logging.getLogger(__name__)

UNAVAILABLE_TEXTS = ("EXPIRED", "NOT_FOUND")


class RfqError(FixEngineError):
    """An RFQ request cannot be made (wrong session, RFQ or quote not in a usable state)."""


def _new_id() -> str:
    return str(uuid.uuid4())


def _before_cancel(rfq: Rfq) -> RfqStatus:
    """The status a 35=UE left: cancel() takes only a pending or open RFQ, and it is open once
    its 35=b (the server id) arrived - also when that came while the cancel was pending."""
    return RfqStatus.OPEN if rfq.rfq_id else RfqStatus.PENDING


def _seq_of(message) -> int | None:
    """MsgSeqNum QuickFIX stamped into the message while sending (to match a 35=3 later)."""
    try:
        return int(message.getHeader().getField(T.MSG_SEQ_NUM))
    except Exception:  # noqa: BLE001 - not stamped (send refused): no correlation possible
        return None


class RfqRequester:
    def __init__(self, engine) -> None:
        if engine.kind is not SessionKind.RT:
            raise RfqError(f"RFQs are created on KalshiRT only; this engine's session is "
                           f"{engine.session_cfg.target_comp_id} (configure an RT session)")
        self.engine = engine
        self._lock = threading.RLock()
        self.rfqs: dict[str, Rfq] = {}  # by our QuoteReqID
        self._by_server_id: dict[str, Rfq] = {}
        self._quotes: dict[str, Quote] = {}
        self._accepts: dict[str, Accept] = {}  # by ClOrdID (= order key)
        self._sent: dict[int, tuple[str, str]] = {}  # MsgSeqNum -> (MsgType, our id) for 35=3
        self.unmatched: list = []  # inbound records naming nothing we know
        self.duplicates = 0  # inbound messages already applied (KalshiRT PossDup resends)
        self._restoring = False  # True while settling restored accepts: no events for history
        self._restore(engine.recovery.rfq)
        for msg_type in ("b", "AG", "S", "UC", "UB"):
            engine.add_message_handler(msg_type, self._on_message)
        for msg_type in ("R", "UA", "UE"):
            engine.add_reject_handler(msg_type, self._on_reject)
        engine.on_event(self._on_engine_event)

    # ------------------------------------------------------------------ queries
    def get(self, rfq_id: str) -> Rfq | None:
        """An RFQ by our QuoteReqID or by the server's RfqId."""
        with self._lock:
            return self.rfqs.get(rfq_id) or self._by_server_id.get(rfq_id)

    def quote(self, quote_id: str) -> Quote | None:
        with self._lock:
            return self._quotes.get(quote_id)

    def open_rfqs(self) -> list[Rfq]:
        with self._lock:
            return [r for r in self.rfqs.values() if r.is_open]

    # ------------------------------------------------------------------ requests
    def create(self, ticker: str, qty: object = None, cost: object = None, *, rest_remainder: bool = False,
               replace_existing: bool = False, subaccount: int = 0) -> Rfq:
        """Ask makers for quotes on `ticker`, sized by contracts (`qty`) or target cost in dollars
        (`cost`). Returns the Rfq (status pending; rejected at once when the session is down)."""
        if not isinstance(ticker, str) or not ticker:
            raise UserInputError(f"ticker {ticker!r}: expected a market ticker")
        rfq = self._new_rfq(ticker, qty, cost, rest_remainder, replace_existing, subaccount)
        return self._send_request(rfq, M.quote_request(
            rfq.client_id, ticker, qty=rfq.qty, cash=rfq.cost, rest_remainder=rfq.rest_remainder,
            replace_existing=rfq.replace_existing, subaccount=rfq.subaccount))

    def create_combo(self, collection: str, legs, qty: object = None, cost: object = None, *,
                     rest_remainder: bool = False, replace_existing: bool = False, subaccount: int = 0) -> Rfq:
        """A combo (multivariate) RFQ: `legs` = [(event ticker, market ticker, "yes" | "no"), ...].
        The Rfq's ticker is the combo market Kalshi resolves and returns on the 35=b."""
        if not isinstance(collection, str) or not collection:
            raise UserInputError(f"collection {collection!r}: expected a multivariate collection ticker")
        checked = []
        for leg in legs or ():
            if len(leg) != 3 or not all(isinstance(x, str) and x for x in leg) or leg[2] not in ("yes", "no"):
                raise UserInputError(f"combo leg {leg!r}: expected (event ticker, market ticker, 'yes' or 'no')")
            checked.append((leg[0], leg[1], leg[2]))
        if not checked:
            raise UserInputError("a combo RFQ needs at least one leg")
        rfq = self._new_rfq("", qty, cost, rest_remainder, replace_existing, subaccount)
        rfq.mve_collection, rfq.mve_legs = collection, tuple(checked)
        return self._send_request(rfq, M.combo_quote_request(
            rfq.client_id, collection, checked, qty=rfq.qty, cash=rfq.cost, rest_remainder=rfq.rest_remainder,
            replace_existing=rfq.replace_existing, subaccount=rfq.subaccount))

    def _new_rfq(self, ticker: str, qty, cost, rest_remainder, replace_existing, subaccount) -> Rfq:
        if (qty is None) == (cost is None):
            raise UserInputError("an RFQ is sized by exactly one of qty (contracts) and cost (dollars)")
        units = None if qty is None else U.parse_user_qty(qty, self.engine.fractional.get(ticker, True))
        money = None if cost is None else U.parse_user_money(cost)
        if not 0 <= int(subaccount) <= 63:
            raise UserInputError(f"subaccount {subaccount!r} must be 0-63")
        return Rfq(_new_id(), ticker, units, money, bool(rest_remainder), bool(replace_existing), int(subaccount))

    def _send_request(self, rfq: Rfq, message) -> Rfq:
        self.engine._take_token_or_raise()  # RFQ messages spend Write-bucket tokens (part2 §5.1)
        with self._lock:
            self.rfqs[rfq.client_id] = rfq
            self._save(rfq)  # the intent, before it can reach the exchange: its 35=b must find it
        if not self._send(message, "R", rfq.client_id):
            with self._lock:
                rfq.status, rfq.text = RfqStatus.REJECTED, self._down_text()
                self._save(rfq)
            self._publish("rejected", rfq, text=rfq.text)
            return rfq
        self._publish("sent", rfq)
        return rfq

    def cancel(self, rfq: Rfq | str) -> bool:
        """35=UE; False when the RFQ is already closed or a cancel is pending."""
        rfq = self._rfq(rfq)
        with self._lock:
            if not rfq.is_open or rfq.status is RfqStatus.CANCEL_PENDING:
                return False
            previous, rfq.status = rfq.status, RfqStatus.CANCEL_PENDING
        try:
            self.engine._take_token_or_raise()
        except BaseException:
            with self._lock:
                rfq.status = previous
            raise
        with self._lock:
            self._save(rfq)
        if not self._send(M.rfq_cancel(rfq.client_id, rfq.rfq_id), "UE", rfq.client_id):
            with self._lock:
                rfq.status = previous
                self._save(rfq)
            raise RfqError(self._down_text())
        self._publish("cancel_sent", rfq)
        return True

    def accept(self, quote: Quote | str, side: object, qty: object = None, *, prefer_better: bool = False) -> Accept:
        """Take `quote` with AcceptQuote (35=UA). `side` in user terms: buy_yes / sell_no take the
        maker's NO bid (54=1), sell_yes / buy_no take its YES bid (54=2). `qty` defaults to the
        size quoted for that side. The Accept's `order` fills after the maker confirms."""
        accept = self._prepare(quote, side, qty, "UA", prefer_better)
        message = M.accept_quote(accept.quote.quote_id, accept.wire_side, rfq_id=accept.quote.rfq_id,
                                 qty=accept.qty, cl_ord_id=accept.cl_ord_id, prefer_better=prefer_better)
        return self._submit(accept, message)

    def accept_with_order(self, quote: Quote | str, side: object, qty: object = None) -> Accept:
        """Take `quote` with a NewOrderSingle carrying QuoteID(117) + RfqId(21023) (the alternative
        path; Side/Price semantics UNCONFIRMED - sent as for UA, Price = the implied YES price, no
        TimeInForce, like Kalshi's example). A stale quote comes back as 35=8 58=EXPIRED 103=8."""
        accept = self._prepare(quote, side, qty, "D", False)  # checks the price is sendable first
        fields = OrderFields(accept.cl_ord_id, accept.order.ticker, accept.wire_side, accept.price, accept.qty, "",
                             subaccount=accept.order.subaccount,
                             quote_id=accept.quote.quote_id, rfq_id=accept.quote.rfq_id)
        try:
            message = self.engine.templates.quote_accept_order(fields)
            message.removeField(T.TIME_IN_FORCE)
        except Exception as exc:
            # The accept is journaled and the quote marked ACCEPT_PENDING: nothing was sent, so end
            # it (journaled) and free the quote - else it stays pending forever and blocks a retry.
            self._abandon(accept, f"NOT_SENT: the 35=D could not be built: {exc}")
            raise
        return self._submit(accept, message)

    # ------------------------------------------------------------------ request helpers
    def _prepare(self, quote: Quote | str, side: object, qty: object, via: str, prefer_better: bool) -> Accept:
        quote = self._quote_of(quote)
        wire, _is_no, user_side = U.parse_side(side)
        price = quote.wire_price(wire.value)
        if price is None:
            bid = "YES" if wire.value == ACCEPT_YES_BID else "NO"
            raise UserInputError(f"quote {quote.quote_id} has no {bid} bid: cannot {user_side} against it")
        if via == "D":  # the 35=D carries 44: a sub-penny quote cannot be sent on a cents-mode session
            self._check_sendable_price(quote, price)
        rfq = self._rfq_of(quote)
        fractional = self.engine.fractional.get(quote.ticker or "", True)
        units = U.parse_user_qty(qty, fractional) if qty is not None else quote.size_for(wire.value)
        if units is None and rfq is not None:
            units = rfq.qty
        if units is None:
            raise UserInputError(f"quote {quote.quote_id} states no size: pass qty")
        with self._lock:
            if quote.state is not QuoteState.OPEN:
                raise RfqError(f"quote {quote.quote_id} is {quote.state.value}: cannot accept it")
            if rfq is not None and not rfq.is_open:
                raise RfqError(f"RFQ {rfq.client_id} is {rfq.status.value}: cannot accept its quotes")
            cl_ord_id = _new_id()
            tif = "1" if rfq is not None and rfq.rest_remainder else "3"
            ticker = quote.ticker or (rfq.ticker if rfq else "")
            order = Order(cl_ord_id, ticker, Side(wire.value), user_side, price, units, tif,
                          subaccount=rfq.subaccount if rfq else 0)
            accept = Accept(cl_ord_id, quote, user_side, wire.value, units, price, via, order, prefer_better)
            quote.state = QuoteState.ACCEPT_PENDING
            self._accepts[cl_ord_id] = accept
            if rfq is not None:
                rfq.accepts.append(accept)
            self._save(quote, accept)  # before the order is tracked and sent (journal order = intent first)
        return accept

    def _check_sendable_price(self, quote: Quote, price: int) -> None:
        try:
            self.engine.templates.price_text(price)
        except UserInputError as exc:
            raise UserInputError(f"quote {quote.quote_id}: {exc} - this session sends prices in whole "
                                 "cents (log on with use_dollars, or accept with AcceptQuote)") from None

    def _abandon(self, accept: Accept, reason: str) -> None:
        """End an accept whose order never reached the engine (not tracked, nothing sent)."""
        order = accept.order
        order.status, order.leaves_qty, order.reject_reason, order.local_reject = (OrderStatus.REJECTED, 0, reason,
                                                                                   True)
        self._end_accept(accept, AcceptStatus.REJECTED, reason, None)

    def _submit(self, accept: Accept, message) -> Accept:
        sent = self.engine.submit_tracked(accept.order, message)
        if sent:
            self._remember(message, accept.via, accept.cl_ord_id)
        else:
            self._end_accept(accept, AcceptStatus.REJECTED, accept.order.reject_reason, None)
            return accept
        self._publish("accept_sent", self._rfq_of(accept.quote), accept.quote, accept)
        return accept

    def _send(self, message, msg_type: str, our_id: str) -> bool:
        if not self.engine.send_message(message):
            return False
        self._remember(message, msg_type, our_id)
        return True

    def _remember(self, message, msg_type: str, our_id: str) -> None:
        """MsgSeqNum -> what we sent under it: a 35=3 (and a 35=j without RefID) names only that."""
        seq = _seq_of(message)
        if seq is None:
            return
        with self._lock:
            self._sent.pop(seq, None)
            self._sent[seq] = (msg_type, our_id)
            if len(self._sent) > C.SENT_KEEP:
                del self._sent[next(iter(self._sent))]
            self._journal(C.sent_record(seq, msg_type, our_id))

    def _down_text(self) -> str:
        return f"SESSION_DOWN: {self.engine.session_cfg.target_comp_id} is not logged on; nothing was sent"

    def _rfq(self, rfq: Rfq | str) -> Rfq:
        found = rfq if isinstance(rfq, Rfq) else self.get(rfq)
        if found is None:
            raise RfqError(f"unknown RFQ {rfq!r}")
        return found

    def _quote_of(self, quote: Quote | str) -> Quote:
        found = quote if isinstance(quote, Quote) else self.quote(quote)
        if found is None:
            raise RfqError(f"unknown quote {quote!r}")
        return found

    def _rfq_of(self, quote: Quote) -> Rfq | None:
        with self._lock:
            return self._by_server_id.get(quote.rfq_id)

    def _publish(self, step: str, rfq: Rfq | None, quote: Quote | None = None, accept: Accept | None = None,
                 message=None, text: str | None = None) -> None:
        if self._restoring:  # rebuilt history is not news
            return
        update = RfqUpdate(step, rfq, quote, accept, message)
        name = rfq.client_id if rfq is not None else "?"
        detail = f" {text}" if text else ""
        order = accept.order if accept is not None else None
        self.engine.publish([Event(EventKind.RFQ, order, update, f"{step}: rfq {name}{detail}")])

    # ------------------------------------------------------------------ inbound (QuickFIX thread)
    def _on_message(self, message) -> None:
        self.handle_raw(message.toString())

    def handle_raw(self, raw: str) -> None:
        """Apply one inbound b / AG / S / UC / UB given as wire text (SOH or '|')."""
        msg_type, record = P.parse_rfq_message(raw)
        handler = {"b": self._on_ack, "AG": self._on_creation_reject, "S": self._on_quote,
                   "UC": self._on_accept_status, "UB": self._on_cancel_status}[msg_type]
        handler(record)

    def _on_ack(self, ack: P.QuoteRequestAckMsg) -> None:
        with self._lock:
            rfq = self.rfqs.get(ack.quote_req_id)
            if rfq is None:
                self.unmatched.append(ack)
                return
            if rfq.rfq_id is not None and rfq.rfq_id == ack.rfq_id:
                self.duplicates += 1
                return
            rfq.rfq_id = ack.rfq_id
            rfq.ex_destination = ack.ex_destination
            if ack.symbol:
                rfq.ticker = ack.symbol
            if ack.rfq_id:
                self._by_server_id[ack.rfq_id] = rfq
            if rfq.status is RfqStatus.PENDING:
                rfq.status = RfqStatus.OPEN
            self._save(rfq)
        self._publish("ack", rfq, message=ack, text=f"server id {ack.rfq_id}")

    def _on_creation_reject(self, rej: P.QuoteRequestRejectMsg) -> None:
        with self._lock:
            rfq = self.get(rej.quote_req_id)
            if rfq is None:
                self.unmatched.append(rej)
                return
            if rfq.status is RfqStatus.REJECTED and rfq.reject_code == rej.reason:
                self.duplicates += 1
                return
            rfq.status, rfq.reject_code, rfq.text = RfqStatus.REJECTED, rej.reason, rej.text
            rfq.mve_reason, rfq.offending_legs = rej.mve_reason, rej.offending_legs
            self._save(rfq, *self._close_quotes(rfq))
        self._publish("rejected", rfq, message=rej, text=f"658={rej.reason} {rej.text or ''}".strip())

    def _on_quote(self, msg: P.QuoteMsg) -> None:
        with self._lock:
            if msg.quote_id in self._quotes:  # a KalshiRT resend (PossDup) of a notice we applied
                self.duplicates += 1
                return
            rfq = self._by_server_id.get(msg.rfq_id)
            quote = Quote(msg.quote_id, msg.rfq_id, msg.symbol, msg.yes_bid, msg.no_bid, msg.qty, msg.yes_size,
                          msg.no_size, msg.quoter_id)
            replaced = []
            if rfq is None:
                self.unmatched.append(msg)
            else:
                if msg.quoter_id is not None:  # a maker's new quote replaces its previous one
                    for old in rfq.quotes.values():
                        if old.quoter_id == msg.quoter_id and old.state is QuoteState.OPEN:
                            old.state = QuoteState.REPLACED
                            replaced.append(old)
                rfq.quotes[quote.quote_id] = quote
            self._quotes[quote.quote_id] = quote
            self._save(*replaced, quote)
        self._publish("quote", rfq, quote, message=msg, text=f"quote {quote.quote_id}")

    def _on_accept_status(self, msg: P.AcceptQuoteStatusMsg) -> None:
        with self._lock:
            accept = self._accepts.get(msg.cl_ord_id or "") or self._pending_accept_for(msg.quote_id)
        if accept is None:
            self.unmatched.append(msg)
            return
        if msg.status == 0 and accept.status is not AcceptStatus.PENDING:
            with self._lock:
                self.duplicates += 1  # this acceptance was applied already (a resend)
            return
        if msg.status != 0:  # after an earlier UC 21025=0 it means the maker never confirmed in time
            voided = accept.status is AcceptStatus.ACCEPTED
            self._end_accept(accept, AcceptStatus.VOIDED if voided else AcceptStatus.REJECTED,
                             msg.text or "AcceptQuote rejected", msg)
            return
        with self._lock:
            accept.status = AcceptStatus.ACCEPTED
            accept.accepted_quote_id = msg.accepted_quote_id or msg.quote_id
            taken = self._quotes.get(accept.accepted_quote_id, accept.quote)
            taken.state = QuoteState.ACCEPTED
            if taken is not accept.quote:  # PreferBetterQuote took another one: its price applies
                if accept.quote.state is QuoteState.ACCEPT_PENDING:
                    accept.quote.state = QuoteState.OPEN
                better = taken.wire_price(accept.wire_side)
                if better is not None:
                    accept.price = accept.order.price = better
            self._save(accept.quote, taken, accept)
        self._publish("accepted", self._rfq_of(accept.quote), taken, accept, msg)

    def _pending_accept_for(self, quote_id: str) -> Accept | None:
        for accept in reversed(list(self._accepts.values())):
            if accept.quote.quote_id == quote_id and accept.status is AcceptStatus.PENDING:
                return accept
        return None

    def _on_cancel_status(self, msg: P.RfqCancelStatusMsg) -> None:
        with self._lock:
            rfq = (self.get(msg.quote_req_id) if msg.quote_req_id else None) or \
                (self.get(msg.rfq_id) if msg.rfq_id else None)
            if rfq is None:
                self.unmatched.append(msg)
                return
            # A resend of an answer applied before: the RFQ is closed already, or (a refused
            # cancel) no cancel is pending any more. Nothing changes, nothing is published.
            if (rfq.status is not RfqStatus.CANCEL_PENDING) if msg.status == 1 else not rfq.is_open:
                self.duplicates += 1
                return
            closed: list[Quote] = []
            if msg.status == 1:
                rfq.status = RfqStatus.OPEN
                rfq.text = msg.text
                step = "cancel_rejected"
            else:
                rfq.status = RfqStatus.EXPIRED if msg.status == 2 else RfqStatus.CANCELED
                rfq.text = msg.text
                closed = self._close_quotes(rfq)
                step = "expired" if msg.status == 2 else "canceled"
            self._save(rfq, *closed)
        self._publish(step, rfq, message=msg, text=msg.text)

    @staticmethod
    def _close_quotes(rfq: Rfq) -> list[Quote]:
        closed = []
        for quote in rfq.quotes.values():
            if quote.state in (QuoteState.OPEN, QuoteState.ACCEPT_PENDING):
                quote.state = QuoteState.CLOSED
                closed.append(quote)
        return closed

    def _on_reject(self, reject) -> bool:
        """35=j / 35=3 answering one of our R / UA / UE: find what it refused by its RefID, the
        ClOrdID the session matched, or the MsgSeqNum we sent it under."""
        with self._lock:
            sent = self._sent.get(reject.ref_seq_num) if reject.ref_seq_num is not None else None
            ref = getattr(reject, "ref_id", None) or getattr(reject, "ref_cl_ord_id", None)
            ref = ref or (sent[1] if sent else None)
        text = reject.text or f"{type(reject).__name__} {reject.reason}"
        kind = reject.ref_msg_type or (sent[0] if sent else None)  # 372 is optional on 35=3
        if kind == "UA":
            accept = self._accepts.get(ref or "") or self._pending_accept_for(ref or "")
            if accept is None:
                return False
            self._end_accept(accept, AcceptStatus.REJECTED, text, reject)
            return True
        rfq = self.get(ref) if ref else None
        if rfq is None:
            return False
        with self._lock:
            if kind == "R":
                rfq.status, rfq.reject_code, rfq.text = RfqStatus.REJECTED, reject.reason, text
                step = "rejected"
            else:
                if rfq.status is RfqStatus.CANCEL_PENDING:
                    rfq.status = RfqStatus.OPEN
                rfq.text, step = text, "cancel_rejected"
            self._save(rfq)
        self._publish(step, rfq, message=reject, text=text)
        return True

    # ------------------------------------------------------------------ accept outcomes
    def _end_accept(self, accept: Accept, status: AcceptStatus, text: str | None, message) -> None:
        """An accept failed (UC reject, order reject, not sent) or its order ended without a fill.
        The quote is gone after EXPIRED / NOT_FOUND or a voided acceptance; otherwise (a local
        refusal, a rate limit) it can be taken again."""
        with self._lock:
            if accept.status in (AcceptStatus.REJECTED, AcceptStatus.VOIDED, AcceptStatus.EXECUTED):
                return
            if status is AcceptStatus.VOIDED and accept.order.cum_qty:
                return  # filled: a late cancel of the remainder is no void
            accept.status, accept.text = status, text
            quote = accept.quote
            if quote.state in (QuoteState.ACCEPT_PENDING, QuoteState.ACCEPTED):
                gone = status is AcceptStatus.VOIDED or (text is not None and any(t in text for t in UNAVAILABLE_TEXTS))
                quote.state = QuoteState.UNAVAILABLE if gone else QuoteState.OPEN
                quote.text = text
            self._save(quote, accept)
        if accept.order.is_open:
            self._reject_order(accept.order, f"ACCEPT_{status.name}: {text}")
        step = "accept_rejected" if status is AcceptStatus.REJECTED else "voided"
        self._publish(step, self._rfq_of(accept.quote), accept.quote, accept, message, text)

    def _reject_order(self, order: Order, reason: str) -> None:
        """End an accept's tracked order. While restoring, the same journaled state change without
        the engine's events: settling an earlier run's accept is history, not news."""
        if not self._restoring:
            self.engine.reject_tracked(order, reason)
            return
        with self.engine._lock:
            if order.is_done:
                return
            self.engine.journal.append(J.LOCAL_REJECT, order.key, [order.key, reason, None])
            self.engine.tracker.reject_locally(order, reason)  # its events are dropped on purpose
            order.local_reject = False  # as reject_tracked: the exchange refused it, not a local check

    def _on_engine_event(self, event: Event) -> None:
        """Engine order events on an accept's order: fills execute it, a reject / cancel without
        fill ends it. Session events: see _on_session_lost."""
        if event.kind is EventKind.SESSION:
            if (event.text or "").startswith("logout") and not self._resends_missed():
                self._on_session_lost()
            return
        if event.kind is EventKind.RFQ or event.order is None:
            return
        accept = self._accepts.get(event.order.key)
        if accept is None:
            return
        if event.kind in (EventKind.FILL, EventKind.PARTIAL):
            self._executed(accept, event.report)
        elif event.kind is EventKind.REJECT and not event.order.local_reject:
            self._end_accept(accept, AcceptStatus.REJECTED, event.text, event.report)
        elif event.kind in (EventKind.CANCEL, EventKind.EXPIRE) and event.order.cum_qty == 0:
            self._end_accept(accept, AcceptStatus.VOIDED, event.text, event.report)

    def _resends_missed(self) -> bool:
        """KalshiRT keeps its messages and resends what a disconnect lost - unless this session logs
        on with ResetSeqNumFlag(141)=Y, which starts afresh: then nothing missed ever comes back."""
        return not resets_on_logon(self.engine.kind, self.engine.session_cfg.reset_on_logon)

    def _on_session_lost(self) -> None:
        """Logout on a session without resend: answers to requests still in flight are lost for
        good. A pending cancel goes back to the state it left (the RFQ may be cancelled again); a
        create or accept still unanswered fails with SESSION_LOST (the exchange may or may not have
        applied it - an RFQ it did create closes by expiry, an accept's fills still reach the order)."""
        lost = ("SESSION_LOST: no answer before logout and this session does not resend (141=Y); "
                "the exchange may or may not have applied it")
        updates: list[tuple[str, Rfq]] = []
        with self._lock:
            for rfq in self.rfqs.values():
                if rfq.status is RfqStatus.CANCEL_PENDING:
                    rfq.status = _before_cancel(rfq)
                    rfq.text = "SESSION_LOST: the cancel was not answered before logout; cancel again"
                    self._save(rfq)
                    updates.append(("cancel_lost", rfq))
                if rfq.status is RfqStatus.PENDING:
                    rfq.status, rfq.text = RfqStatus.REJECTED, lost
                    self._save(rfq)
                    updates.append(("rejected", rfq))
            accepts = [a for a in self._accepts.values() if a.status is AcceptStatus.PENDING]
        for step, rfq in updates:
            self._publish(step, rfq, text=rfq.text)
        for accept in accepts:
            self._end_accept(accept, AcceptStatus.REJECTED, lost, None)

    def _executed(self, accept: Accept, report) -> None:
        with self._lock:
            if accept.status is AcceptStatus.EXECUTED:
                return
            accept.status = AcceptStatus.EXECUTED
            taken = self._quotes.get(accept.accepted_quote_id or "", accept.quote)
            taken.state = QuoteState.EXECUTED
            rfq = self._rfq_of(accept.quote)
            closed: list = []
            if rfq is not None and rfq.is_open:
                rfq.status = RfqStatus.EXECUTED
                closed = [rfq, *self._close_quotes(rfq)]
            self._save(taken, accept, *closed)
        self._publish("executed", rfq, taken, accept, report)

    # ------------------------------------------------------------------ journal and restart
    def _save(self, *items) -> None:
        """Journal snapshots of the RFQs / quotes / accepts a state change touched (lock held)."""
        for item in dict.fromkeys(items):  # each once, in order
            if isinstance(item, Rfq):
                self._journal(C.rfq_record(item))
            elif isinstance(item, Quote):
                owner = self._by_server_id.get(item.rfq_id)
                self._journal(C.quote_record(item, owner.client_id if owner is not None else None))
            else:
                owner = self._by_server_id.get(item.quote.rfq_id)
                self._journal(C.accept_record(item, owner.client_id if owner is not None else None))

    def _journal(self, data: dict) -> None:
        with self.engine._lock:  # the journal's connection is shared with the engine's writers
            self.engine.journal.append(J.RFQ, C.record_key(data), data)

    def _restore(self, records: list[dict]) -> None:
        """Rebuild the state of an earlier run from its journal snapshots, then settle accepts whose
        order the engine's replay shows finished (fills or an end the requester never saw)."""
        if not records:
            return
        state = C.restore(records, self.engine.tracker.orders)
        with self._lock:
            self.rfqs, self._quotes, self._accepts, self._sent = state.rfqs, state.quotes, state.accepts, state.sent
            self._by_server_id = state.by_server_id
            self._restoring = True  # the settling below is journaled, not published (it is history)
            try:
                for accept in state.unsent_accepts:
                    self._end_accept(accept, AcceptStatus.REJECTED, C.NOT_SENT, None)
                for accept in list(self._accepts.values()):
                    self._settle_restored(accept)
            finally:
                self._restoring = False

    def _settle_restored(self, accept: Accept) -> None:
        """What the live engine events would have done, for an accept still in flight at the stop."""
        order = accept.order
        if accept.status in (AcceptStatus.REJECTED, AcceptStatus.VOIDED):
            if order.is_open and not order.cum_qty:  # stopped between the accept's end and its order's
                self._reject_order(order, f"ACCEPT_{accept.status.name}: {accept.text}")
            return
        if accept.status not in (AcceptStatus.PENDING, AcceptStatus.ACCEPTED):
            return
        if accept.status is AcceptStatus.ACCEPTED and order.price != accept.price:
            order.price = accept.price  # a PreferBetterQuote improvement (the order record has the asked price)
        if order.cum_qty:
            self._executed(accept, None)
        elif order.is_done:
            status = AcceptStatus.REJECTED if order.status.value == "rejected" else AcceptStatus.VOIDED
            self._end_accept(accept, status, order.reject_reason or order.last_text, None)

"""The RFQ market maker on its own KalshiRFQ session (part2 §5): quote, requote, pull, confirm.

    def quote_fn(rfq: MakerRfq) -> QuoteDecision | None:       # strategy hook, per broadcast
        return QuoteDecision(yes_bid="0.45", no_bid="0.52")     # None = do not quote
    with RfqMaker(cfg, quote_fn) as maker:                      # cfg: an RFQ session, its own key
        maker.wait(lambda: maker.confirmed(), timeout=60)

Flow: a 35=R broadcast (131 = server RFQ ID) becomes a MakerRfq and is offered to `quote_fn`;
its decision (YES bid / NO bid in user price terms - what the maker pays per YES / NO contract)
is validated locally (at least one side, each inside (0, 1), yes + no <= $1, on the market's tick
grid when known, whole cents unless the session logged on with UseDollars) and sent as 35=S.
35=AI moves the quote (10 pending, 5 rejected, 0 accepted, 17 cancelled). On ACCEPTED,
`confirm_fn(quote)` (default: yes) decides and 35=U7 goes out at once - the exchange voids an
acceptance not confirmed within 30 s (3 s on high-volatility markets). 35=U8 answers the confirm,
35=U9 a 35=Z; 35=AG means the RFQ closed: its open quotes are dropped.

KalshiRFQ never resends: at logout a quote or confirm still unanswered becomes UNKNOWN (event
session_lost; cancel_quote() still works on it) and a pending cancel reverts to what it left.
How 54 on an accepted quote's 35=AI is read is configurable (accepted_side_semantics; UNCONFIRMED).

Every step is a MakerEvent, delivered to `on_event` callbacks and the `events` queue. Callbacks
(quote_fn, confirm_fn, on_event) run on QuickFIX's thread: keep them short. The maker's fills,
when the orders hit the book, are ordinary ExecutionReports on the maker user's order-entry or
listener sessions (KalshiRFQ carries none, UNCONFIRMED); any that do arrive here are kept in
`reports`. Pass `engine=` (the maker user's order-entry Engine, its own key) and every confirmed
quote becomes an Order that engine expects, so the fills update its orders, positions and book.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterable

from fixengine.config.types import EngineConfig, SessionKind
from fixengine.engine.orders import Order
from fixengine.errors import FixEngineError, UserInputError
from fixengine.fanout import fan_out
from fixengine.model import Side
from fixengine.pricing.ticks import TickGrid
from fixengine.pricing.units import ONE_DOLLAR
from fixengine.rfq import messages as M
from fixengine.rfq import parse as P
from fixengine.rfq.maker_records import (LIVE, MakerEvent, MakerQuote, MakerQuoteStatus, MakerRfq, QuoteDecision,
                                         validate_decision)
from fixengine.session.app import KalshiSessionApp
from fixengine.session.connection import FixConnection

log = logging.getLogger(__name__)

RFQ = SessionKind.RFQ
CONFIRM_WINDOW_S = 30.0  # accept -> U7 deadline on a standard market (part2 §5.2)
CONFIRM_WINDOW_HVM_S = 3.0  # ... on a high-volatility (all combo) market
MAKER_MSG_TYPES = frozenset({"R", "AI", "U9", "U8", "AG"})
# AI 54 (AcceptedSide) on ACCEPTED: the fact sheet's table says 1=Yes 2=No, Kalshi's example echoes
# the creator's AcceptQuote 54 (1 = took our NO bid, 2 = took our YES bid). Which one Kalshi sends
# is UNCONFIRMED (part2 §5.4); "echo" follows the example (and the simulator), "accepted_side" the table.
ACCEPTED_SIDE_BIDS = {"echo": {"1": "no", "2": "yes"}, "accepted_side": {"1": "yes", "2": "no"}}
SESSION_LOST = ("SESSION_LOST: no answer before the session dropped and KalshiRFQ never resends; "
                "the exchange may or may not hold it")


class RfqMakerError(FixEngineError):
    """A maker request cannot be made (session down, quote not in a usable state)."""


class _MakerApp(KalshiSessionApp):
    """KalshiSessionApp that hands the RFQ message types to the maker."""

    def __init__(self, states, handler, supervisor, maker: RfqMaker) -> None:
        super().__init__(states, handler, supervisor)
        self.maker = maker

    def from_app(self, message, session_id) -> None:
        msg_type = message.getHeader().getField(35)
        if msg_type not in MAKER_MSG_TYPES:
            super().from_app(message, session_id)
            return
        raw = message.toString()
        try:
            self.maker.handle_raw(raw)
        except P.RfqParseError as exc:
            self.handler.on_parse_error(RFQ, exc, raw.replace("\x01", "|"))


class _SessionEvents:
    """The SessionHandler of the maker's connection (lifecycle, rejects, stray reports)."""

    def __init__(self, maker: RfqMaker) -> None:
        self.maker = maker

    def on_session_event(self, kind, event: str, text: str | None) -> None:
        self.maker._deliver([MakerEvent("session", text=f"{event}: {text}" if text else event)])
        if event == "logout":
            self.maker._on_session_lost()

    def on_exec_report(self, report, wire=None) -> None:
        self.maker.reports.append(report)

    def on_cancel_reject(self, reject) -> None:
        log.warning("KalshiRFQ: unexpected OrderCancelReject %s", reject)

    def on_mass_cancel_report(self, report) -> None:
        log.warning("KalshiRFQ: unexpected OrderMassCancelReport %s", report)

    def on_business_reject(self, reject) -> None:
        self.maker._on_reject(reject)

    def on_session_reject(self, reject) -> None:
        self.maker._on_reject(reject)

    def on_parse_error(self, kind, error: Exception, raw: str) -> None:
        self.maker.parse_errors.append(f"{error} :: {raw[:200]}")
        log.error("KalshiRFQ: unparseable message %s: %s", error, raw[:200])


class RfqMaker:
    def __init__(self, cfg: EngineConfig, quote_fn: Callable[[MakerRfq], QuoteDecision | None],
                 confirm_fn: Callable[[MakerQuote], bool] | None = None, *,
                 on_event: Callable[[MakerEvent], None] | None = None, event_queue: bool = True,
                 poll_mode: bool = False, dictionaries: tuple | None = None,
                 tick_grids: dict[str, TickGrid] | None = None, validate: bool = True,
                 hvm_markets: Iterable[str] = (), confirm_window_s: float = CONFIRM_WINDOW_S,
                 hvm_confirm_window_s: float = CONFIRM_WINDOW_HVM_S, engine=None,
                 accepted_side_semantics: str = "echo") -> None:
        if accepted_side_semantics not in ACCEPTED_SIDE_BIDS:
            raise UserInputError(f"accepted_side_semantics {accepted_side_semantics!r}: expected one of "
                                 f"{', '.join(ACCEPTED_SIDE_BIDS)}")
        self.accepted_side_semantics = accepted_side_semantics
        self.cfg = cfg
        self.session_cfg = cfg.session(RFQ)  # ConfigError when no RFQ session is configured
        self.use_dollars = bool(self.session_cfg.logon.use_dollars)
        self.quote_fn = quote_fn
        self.confirm_fn = confirm_fn
        self.validate = validate  # False only to exercise the exchange's own checks (tests)
        self.tick_grids = dict(tick_grids or {})
        self.hvm_markets = set(hvm_markets)
        self.confirm_window_s = confirm_window_s
        self.hvm_confirm_window_s = hvm_confirm_window_s
        self.poll_mode = poll_mode
        self.engine = engine  # the maker user's order-entry Engine: confirmed quotes become tracked orders
        self._lock = threading.RLock()
        self._callbacks: list[Callable[[MakerEvent], None]] = [on_event] if on_event else []
        self.events: queue.SimpleQueue[MakerEvent] | None = queue.SimpleQueue() if event_queue else None
        self.rfqs: dict[str, MakerRfq] = {}  # by server RFQ ID
        self.quotes: dict[str, MakerQuote] = {}
        self._sent: dict[int, tuple[str, str]] = {}  # MsgSeqNum -> (MsgType, QuoteID) for 35=3
        self.reports: list = []
        self.rejects: list = []
        self.parse_errors: list[str] = []
        self.callback_errors = 0
        self.unmatched: list = []
        self.session_events = _SessionEvents(self)
        self.conn = FixConnection(cfg, self.session_events, [RFQ], poll_mode=poll_mode, dictionaries=dictionaries,
                                  app_factory=lambda states, handler, conn: _MakerApp(states, handler, conn, self))

    # ------------------------------------------------------------------ lifecycle
    def connect(self, timeout: float = 10.0) -> RfqMaker:
        self.conn.start()
        self.conn.wait_logon(RFQ, timeout)
        return self

    def close(self) -> None:
        self.conn.stop()

    def __enter__(self) -> RfqMaker:
        return self.connect()

    def __exit__(self, *exc) -> None:
        self.close()

    def poll(self) -> None:
        self.conn.poll()

    @property
    def logged_on(self) -> bool:
        return self.conn.is_logged_on(RFQ)

    def wait(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Wait (or poll, in poll mode) until predicate() is true; returns its final value."""
        return self.conn.wait_until(predicate, timeout, sleep_s=0.002)

    def on_event(self, callback: Callable[[MakerEvent], None]) -> None:
        self._callbacks.append(callback)

    def set_tick_grid(self, ticker: str, grid: TickGrid) -> None:
        self.tick_grids[ticker] = grid

    # ------------------------------------------------------------------ views
    def open_rfqs(self) -> list[MakerRfq]:
        with self._lock:
            return [r for r in self.rfqs.values() if r.is_open]

    def confirmed(self) -> list[MakerQuote]:
        with self._lock:
            return [q for q in self.quotes.values() if q.status is MakerQuoteStatus.CONFIRMED]

    # ------------------------------------------------------------------ requests
    def requote(self, rfq: MakerRfq | str, decision: QuoteDecision) -> MakerQuote:
        """Send a (new) quote on `rfq`; it replaces this maker's previous quote there."""
        rfq = self._rfq(rfq)
        if not rfq.is_open:
            raise RfqMakerError(f"RFQ {rfq.rfq_id} is closed: cannot quote it")
        yes, no = self._validated(decision, rfq.ticker)
        return self._send_quote(rfq, decision, yes, no)

    quote = requote  # a first quote and a requote are the same message

    def cancel_quote(self, quote: MakerQuote | str) -> bool:
        """35=Z; False when the quote is not live."""
        quote = self._quote(quote)
        with self._lock:
            if quote.status not in (MakerQuoteStatus.SENT, MakerQuoteStatus.PENDING, MakerQuoteStatus.UNKNOWN):
                return False
            quote._before_cancel, quote.status = quote.status, MakerQuoteStatus.CANCEL_PENDING
        if not self._send(M.quote_cancel(quote.quote_id, quote.rfq_id), "Z", quote.quote_id):
            with self._lock:
                quote.status = quote._before_cancel
            raise RfqMakerError(self._down_text())
        self._deliver([MakerEvent("cancel_sent", self.rfqs.get(quote.rfq_id), quote)])
        return True

    def confirm(self, quote: MakerQuote | str) -> bool:
        """35=U7 for an accepted quote (also after confirm_fn declined); False if not accepted."""
        quote = self._quote(quote)
        with self._lock:
            if quote.status not in (MakerQuoteStatus.ACCEPTED, MakerQuoteStatus.DECLINED):
                return False
            quote.status = MakerQuoteStatus.CONFIRM_SENT
            late = quote.confirm_deadline is not None and time.monotonic() > quote.confirm_deadline
        if not self._send(M.quote_confirm(quote.quote_id, quote.rfq_id), "U7", quote.quote_id):
            with self._lock:
                quote.status = MakerQuoteStatus.ACCEPTED
            raise RfqMakerError(self._down_text())
        text = "after the confirmation window: the exchange will most likely refuse it" if late else None
        self._deliver([MakerEvent("confirm_sent", self.rfqs.get(quote.rfq_id), quote, text=text)])
        return True

    # ------------------------------------------------------------------ request helpers
    def _validated(self, decision: QuoteDecision, ticker: str) -> tuple[int, int]:
        if not isinstance(decision, QuoteDecision):
            raise UserInputError(f"quote_fn must return a QuoteDecision or None, not {type(decision).__name__}")
        if not self.validate:  # formatting still needs valid prices
            return validate_decision(decision, use_dollars=self.use_dollars, check_sum=False)
        return validate_decision(decision, grid=self.tick_grids.get(ticker), use_dollars=self.use_dollars)

    def _send_quote(self, rfq: MakerRfq, decision: QuoteDecision, yes: int, no: int) -> MakerQuote:
        quote = MakerQuote(str(uuid.uuid4()), rfq.rfq_id, rfq.ticker, yes, no, decision.post_only,
                           decision.subaccount, decision.rest_remainder)
        with self._lock:
            replaced = [(old, old.status) for old in rfq.quotes.values() if old.status in LIVE]
            for old, _ in replaced:
                old.status = MakerQuoteStatus.REPLACED
            rfq.quotes[quote.quote_id] = quote
            self.quotes[quote.quote_id] = quote
        message = M.quote(quote.quote_id, rfq.rfq_id, rfq.ticker, yes, no, use_dollars=self.use_dollars,
                          post_only=quote.post_only, subaccount=quote.subaccount,
                          rest_remainder=quote.rest_remainder)
        if not self._send(message, "S", quote.quote_id):
            with self._lock:
                quote.status, quote.text = MakerQuoteStatus.REJECTED, self._down_text()
                for old, status in replaced:  # nothing reached the exchange: the old quotes still stand
                    if old.status is MakerQuoteStatus.REPLACED:
                        old.status = status
            self._deliver([MakerEvent("rejected", rfq, quote, text=quote.text)])
            return quote
        self._deliver([MakerEvent("quote_sent", rfq, quote)])
        return quote

    def _send(self, message, msg_type: str, quote_id: str) -> bool:
        if not self.conn.send(RFQ, message):
            return False
        try:
            seq = int(message.getHeader().getField(34))
        except Exception:  # noqa: BLE001 - not stamped: a 35=3 for it cannot be matched by number
            return True
        with self._lock:
            self._sent[seq] = (msg_type, quote_id)
            if len(self._sent) > 4096:
                del self._sent[next(iter(self._sent))]
        return True

    def _down_text(self) -> str:
        return f"SESSION_DOWN: {self.session_cfg.target_comp_id} is not logged on; nothing was sent"

    def _rfq(self, rfq: MakerRfq | str) -> MakerRfq:
        found = rfq if isinstance(rfq, MakerRfq) else self.rfqs.get(rfq)
        if found is None:
            raise RfqMakerError(f"unknown RFQ {rfq!r}")
        return found

    def _quote(self, quote: MakerQuote | str) -> MakerQuote:
        found = quote if isinstance(quote, MakerQuote) else self.quotes.get(quote)
        if found is None:
            raise RfqMakerError(f"unknown quote {quote!r}")
        return found

    def _deliver(self, events: list[MakerEvent]) -> None:
        self.callback_errors += fan_out(events, self.events, self._callbacks, log, "maker event")

    # ------------------------------------------------------------------ inbound (QuickFIX thread)
    def handle_raw(self, raw: str) -> None:
        """Apply one inbound R / AI / U9 / U8 / AG given as wire text (SOH or '|')."""
        msg_type, record = P.parse_rfq_message(raw)
        {"R": self._on_broadcast, "AI": self._on_status, "U9": self._on_cancel_status,
         "U8": self._on_confirm_status, "AG": self._on_closed}[msg_type](record)

    def _on_broadcast(self, msg: P.QuoteRequestMsg) -> None:
        rfq = MakerRfq(msg.quote_req_id, msg.symbol or "", msg.qty, msg.cash, msg.party_id, msg.mve_collection)
        with self._lock:
            self.rfqs[rfq.rfq_id] = rfq
        self._deliver([MakerEvent("rfq", rfq, message=msg)])
        try:
            decision = self.quote_fn(rfq)
        except Exception as exc:  # noqa: BLE001 - the strategy's bug: report it, keep the session
            self.callback_errors += 1
            log.exception("quote_fn failed on RFQ %s", rfq.rfq_id)
            self._deliver([MakerEvent("quote_fn_error", rfq, text=f"{type(exc).__name__}: {exc}")])
            return
        if decision is None:
            self._deliver([MakerEvent("declined", rfq)])
            return
        try:
            yes, no = self._validated(decision, rfq.ticker)
        except UserInputError as exc:
            self._deliver([MakerEvent("invalid_decision", rfq, text=str(exc))])
            return
        self._send_quote(rfq, decision, yes, no)

    def _quote_for_status(self, msg: P.QuoteStatusReportMsg) -> MakerQuote | None:
        if msg.quote_id:
            return self.quotes.get(msg.quote_id)
        rfq = self.rfqs.get(msg.rfq_id or "")  # REJECTED carries an empty QuoteID: newest unanswered quote
        if rfq is None:
            return None
        for quote in reversed(list(rfq.quotes.values())):
            if quote.status in (MakerQuoteStatus.SENT, MakerQuoteStatus.REPLACED):
                return quote
        return None

    def _on_status(self, msg: P.QuoteStatusReportMsg) -> None:
        with self._lock:
            quote = self._quote_for_status(msg)
            if quote is None:
                self.unmatched.append(msg)
                return
            rfq = self.rfqs.get(quote.rfq_id)
            for name in ("qty", "yes_size", "no_size"):
                if getattr(msg, name) is not None:
                    setattr(quote, name, getattr(msg, name))
            step = {0: "accepted", 5: "rejected", 10: "pending", 17: "cancelled"}.get(msg.status, "status")
            if msg.status == 10 and quote.status in (MakerQuoteStatus.SENT, MakerQuoteStatus.UNKNOWN):
                quote.status = MakerQuoteStatus.PENDING
            elif msg.status == 5:
                quote.status, quote.text = MakerQuoteStatus.REJECTED, msg.text
            elif msg.status == 17:
                quote.status = MakerQuoteStatus.CANCELLED
            elif msg.status == 0:
                quote.status = MakerQuoteStatus.ACCEPTED
                quote.accepted_side = msg.accepted_side
                quote.accepted_bid = ACCEPTED_SIDE_BIDS[self.accepted_side_semantics].get(msg.accepted_side or "")
                quote.accepted_at = time.monotonic()
                hvm = quote.ticker in self.hvm_markets
                quote.confirm_deadline = quote.accepted_at + (self.hvm_confirm_window_s if hvm
                                                              else self.confirm_window_s)
        self._deliver([MakerEvent(step, rfq, quote, msg, msg.text)])
        if msg.status == 0:
            self._decide_confirm(rfq, quote)

    def _decide_confirm(self, rfq: MakerRfq | None, quote: MakerQuote) -> None:
        try:
            confirm = True if self.confirm_fn is None else bool(self.confirm_fn(quote))
        except Exception as exc:  # noqa: BLE001 - do not confirm what the strategy could not judge
            self.callback_errors += 1
            log.exception("confirm_fn failed on quote %s", quote.quote_id)
            confirm, why = False, f"confirm_fn raised {type(exc).__name__}: {exc}"
        else:
            why = "confirm_fn declined"
        if confirm:
            try:
                self.confirm(quote)
            except RfqMakerError as exc:
                self._deliver([MakerEvent("confirm_rejected", rfq, quote, text=str(exc))])
            return
        with self._lock:
            if quote.status is MakerQuoteStatus.ACCEPTED:
                quote.status = MakerQuoteStatus.DECLINED
        self._deliver([MakerEvent("declined_confirm", rfq, quote, text=why)])

    def _answered_quote(self, msg: P.QuoteCancelStatusMsg | P.QuoteConfirmStatusMsg) -> MakerQuote | None:
        """The quote a U9 / U8 answers (lock held); None, with `msg` kept in `unmatched`, if unknown."""
        quote = self.quotes.get(msg.quote_id)
        if quote is None:
            self.unmatched.append(msg)
        return quote

    def _on_cancel_status(self, msg: P.QuoteCancelStatusMsg) -> None:
        with self._lock:
            quote = self._answered_quote(msg)
            if quote is None:
                return
            if msg.status == 0:
                quote.status, step = MakerQuoteStatus.CANCELLED, "cancelled"
            else:
                if quote.status is MakerQuoteStatus.CANCEL_PENDING:
                    quote.status = quote._before_cancel or MakerQuoteStatus.PENDING
                quote.text, step = msg.text, "cancel_rejected"
        self._deliver([MakerEvent(step, self.rfqs.get(quote.rfq_id), quote, msg, msg.text)])

    def _on_confirm_status(self, msg: P.QuoteConfirmStatusMsg) -> None:
        with self._lock:
            quote = self._answered_quote(msg)
            if quote is None:
                return
            if msg.status == 0:
                quote.status, step = MakerQuoteStatus.CONFIRMED, "confirmed"
            else:
                quote.status, quote.text, step = MakerQuoteStatus.CONFIRM_REJECTED, msg.text, "confirm_rejected"
        if msg.status == 0:
            self._expect_execution(quote)
        self._deliver([MakerEvent(step, self.rfqs.get(quote.rfq_id), quote, msg, msg.text)])

    def _expect_execution(self, quote: MakerQuote) -> None:
        """Register the order the exchange will enter for this confirmed quote with the maker's
        order-entry engine, so its fills update that engine's orders, positions and book. Its
        ClOrdID is taken to be the QuoteID - the simulator's choice; what Kalshi uses is
        UNCONFIRMED (a different id only leaves the fill as an unknown report there)."""
        if self.engine is None or quote.accepted_bid is None or not quote.qty:
            return
        if quote.accepted_bid == "yes":  # the creator sold YES into our YES bid: we buy YES
            side, user_side, price = Side.BUY, "buy_yes", quote.yes_bid
        else:  # the creator bought YES against our NO bid: we buy NO (offer YES at 1 - no_bid)
            side, user_side, price = Side.SELL, "buy_no", ONE_DOLLAR - quote.no_bid
        order = Order(quote.quote_id, quote.ticker, side, user_side, price, quote.qty, "3",
                      subaccount=quote.subaccount or 0, post_only=quote.post_only)
        self.engine.expect_order(order)
        quote.order = self.engine.orders.get(quote.quote_id, order)

    def _on_closed(self, msg: P.QuoteRequestRejectMsg) -> None:
        dropped = (MakerQuoteStatus.SENT, MakerQuoteStatus.PENDING, MakerQuoteStatus.CANCEL_PENDING,
                   MakerQuoteStatus.ACCEPTED, MakerQuoteStatus.DECLINED, MakerQuoteStatus.UNKNOWN)
        with self._lock:
            rfq = self.rfqs.get(msg.quote_req_id)
            if rfq is None:
                self.unmatched.append(msg)
                return
            rfq.is_open, rfq.close_reason, rfq.text = False, msg.reason, msg.text
            for quote in rfq.quotes.values():
                if quote.status in dropped:
                    quote.status = MakerQuoteStatus.CLOSED
        self._deliver([MakerEvent("rfq_closed", rfq, None, msg, msg.text)])

    def _on_session_lost(self) -> None:
        """Logout: KalshiRFQ logs on with 141=Y and never resends, so answers to what was in flight
        are gone. An unanswered quote or confirm becomes UNKNOWN; a pending cancel reverts to the
        state it left, so cancel_quote() can be sent again."""
        events: list[MakerEvent] = []
        with self._lock:
            for quote in self.quotes.values():
                if quote.status in (MakerQuoteStatus.SENT, MakerQuoteStatus.CONFIRM_SENT):
                    was = quote.status.value
                    quote.status, quote.text = MakerQuoteStatus.UNKNOWN, SESSION_LOST
                    text = f"{SESSION_LOST} (was {was})"
                elif quote.status is MakerQuoteStatus.CANCEL_PENDING:
                    quote.status = quote._before_cancel or MakerQuoteStatus.PENDING
                    text = "SESSION_LOST: the 35=Z was not answered before the session dropped; cancel again"
                else:
                    continue
                events.append(MakerEvent("session_lost", self.rfqs.get(quote.rfq_id), quote, text=text))
        if events:
            self._deliver(events)

    def _on_reject(self, reject) -> None:
        """35=j / 35=3 answering one of our S / Z / U7."""
        self.rejects.append(reject)
        with self._lock:
            sent = self._sent.get(reject.ref_seq_num) if reject.ref_seq_num is not None else None
            quote_id = getattr(reject, "ref_id", None) or (sent[1] if sent else None)
            quote = self.quotes.get(quote_id or "")
            kind = reject.ref_msg_type or (sent[0] if sent else None)
            text = reject.text or f"{type(reject).__name__} {reject.reason}"
            if quote is None:
                step = "reject"
            elif kind == "Z":
                if quote.status is MakerQuoteStatus.CANCEL_PENDING:
                    quote.status = quote._before_cancel or MakerQuoteStatus.PENDING
                step = "cancel_rejected"
            elif kind == "U7":
                quote.status, step = MakerQuoteStatus.CONFIRM_REJECTED, "confirm_rejected"
            else:
                quote.status, step = MakerQuoteStatus.REJECTED, "rejected"
            if quote is not None:
                quote.text = text
        self._deliver([MakerEvent(step, self.rfqs.get(quote.rfq_id) if quote else None, quote, reject, text)])

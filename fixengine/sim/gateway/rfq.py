"""The gateway's RFQ desk: RFQ messages in on KalshiRT / KalshiRFQ, RFQ events out (part2 §5).

    RfqDesk(gateway).install()   # or rfq.install(gateway)

Roles and where they may speak (part2 §5.1):
* creator, KalshiRT only: QuoteRequest R, AcceptQuote UA, RFQCancel UE, NewOrderSingle+QuoteID;
* maker, KalshiRFQ only: Quote S, QuoteCancel Z, QuoteConfirm U7.
A message of the wrong role for the session kind -> 35=j 380=3; listener sessions and read-only
keys -> 380=6 (listeners may not create RFQs or accept quotes); every RFQ message is charged to
the user's Write bucket -> 380=8 when it is empty. Malformed messages -> 35=3 (rfq_wire.py).

Delivery: answers go to the session that asked; quote notifications to the RFQ's creating
session; RFQ broadcasts and "RFQ closed" AG to every logged-on KalshiRFQ session of other users;
the maker's executed order reports on the maker's KalshiRT session (logged on, else offline: the
router keeps them in its store), else a logged-on KalshiNR session, like any order of that user
(the maker's fills over FIX are UNCONFIRMED, part2 §5.4).
"""

from __future__ import annotations

from typing import Callable

import quickfix as fix

from fixengine.config.types import SessionKind
from fixengine.sim.exchange.rfq_events import (
    RFQ_EVENTS, QuoteAcceptStatus, QuoteCancelStatus, QuoteConfirmStatus, QuoteNotice, QuoteStatus, RfqAck,
    RfqBroadcast, RfqCancelStatus, RfqClosed, RfqRejected,
)
from fixengine.sim.gateway import decode, encode, rfq_wire, texts
from fixengine.sim.gateway.handler import BMR_NOT_AUTHORIZED, BMR_RATE_LIMIT, BMR_UNSUPPORTED, OrderHandler
from fixengine.sim.gateway.registry import SessionEntry, SessionRegistry
from fixengine.sim.gateway.router import Router

CREATOR_TYPES = ("R", "UA", "UE", "D:quote")
MAKER_TYPES = ("S", "Z", "U7")
#: Creation and acceptance are forbidden on listeners (part1 §3.9); UE with them for symmetry.
TEXT_CREATOR_ONLY_RT = "RFQ creation and quote acceptance are only supported on KalshiRT"
TEXT_MAKER_ONLY_RFQ = "Quotes are only supported on KalshiRFQ"
TEXT_READ_ONLY = "API key is read-only"


class RfqDesk:
    def __init__(self, exchange, handler: OrderHandler, router: Router, registry: SessionRegistry) -> None:
        self.exchange = exchange
        self.handler = handler
        self.router = router
        self.registry = registry
        # AI 297=5 with a literal empty `117=` (Kalshi's text) instead of no 117 (see rfq_wire.quote_status)
        self.empty_reject_quote_id = False
        self._operations: dict[str, tuple[Callable, Callable]] = {
            "R": (rfq_wire.create_rfq, exchange.create_rfq),
            "UE": (rfq_wire.cancel_rfq, exchange.cancel_rfq),
            "UA": (rfq_wire.accept_quote, exchange.accept_quote),
            "S": (rfq_wire.submit_quote, exchange.quote),
            "Z": (rfq_wire.cancel_quote, exchange.cancel_quote),
            "U7": (rfq_wire.confirm_quote, exchange.confirm_quote),
        }

    def install(self) -> RfqDesk:
        for msg_type in CREATOR_TYPES + MAKER_TYPES:
            self.handler.extensions[msg_type] = self._handler_for(msg_type)
        self.router.event_routes.append(self.deliver)
        self.exchange.rfq_order_session = self.order_session
        return self

    # ------------------------------------------------------------------ inbound
    def _handler_for(self, msg_type: str) -> Callable[[SessionEntry, fix.Message], None]:
        if msg_type == "D:quote":
            return self._accept_by_order
        decode_fn, operation = self._operations[msg_type]

        def handle(entry: SessionEntry, msg: fix.Message) -> None:
            if not self._admit(entry, msg, msg_type):
                return
            try:
                request = decode_fn(msg, entry)
            except decode.SessionReject as exc:
                return self._session_reject(entry, msg, exc)
            with self.handler.lock:
                self.router.route(operation(request))

        return handle

    def _accept_by_order(self, entry: SessionEntry, msg: fix.Message) -> None:
        if not self._admit(entry, msg, "D:quote"):
            return
        try:
            order = decode.new_order(msg, entry.key_id, entry.user_id, entry.name, entry.flags.use_dollars)
        except decode.OrderGroupConflict:  # 526 and 20130 differ: answered like a plain 35=D (103=11)
            return self.handler._reject_locally(entry, msg)
        except decode.BusinessReject as exc:
            return self.handler._bmr(entry, msg, exc.reason, exc.text)
        try:
            request = rfq_wire.accept_by_order(msg, entry, order)
        except decode.SessionReject as exc:
            return self._session_reject(entry, msg, exc)
        with self.handler.lock:
            self.router.route(self.exchange.accept_quote(request))

    def _session_reject(self, entry: SessionEntry, msg: fix.Message, exc: decode.SessionReject) -> None:
        header = msg.getHeader()
        self.router.send(entry, encode.session_reject(header.getField(34), header.getField(35), exc.tag,
                                                      exc.reason, exc.text))

    def _admit(self, entry: SessionEntry, msg: fix.Message, msg_type: str) -> bool:
        """Session kind, listener / read-only and Write-bucket checks; answers 35=j itself."""
        creator = msg_type in CREATOR_TYPES
        if entry.listener:
            self.handler._bmr(entry, msg, BMR_NOT_AUTHORIZED, texts.BMR_LISTENER)
            return False
        wanted = SessionKind.RT if creator else SessionKind.RFQ
        if entry.kind is not wanted:
            text = TEXT_CREATOR_ONLY_RT if creator else TEXT_MAKER_ONLY_RFQ
            self.handler._bmr(entry, msg, BMR_UNSUPPORTED, text)
            return False
        if not entry.can_write:
            self.handler._bmr(entry, msg, BMR_NOT_AUTHORIZED, TEXT_READ_ONLY)
            return False
        # RFQ messages cost what the equivalent REST write costs (limits.WRITE_COSTS)
        if not self.handler.limiter.allow(entry.user_id, msg_type):
            self.handler._bmr(entry, msg, BMR_RATE_LIMIT, texts.BMR_RATE_LIMIT)
            return False
        return True

    # ------------------------------------------------------------------ outbound
    def deliver(self, event) -> bool:
        """Router event route: True when the event was an RFQ event (delivered or not)."""
        if not isinstance(event, RFQ_EVENTS):
            return False
        if isinstance(event, (RfqBroadcast, RfqClosed)):
            msg_fn = rfq_wire.rfq_broadcast if isinstance(event, RfqBroadcast) else rfq_wire.rfq_closed
            skip = (event.creator_user_id,) if isinstance(event, RfqBroadcast) else event.exclude_user_ids
            for entry in self.makers(skip):
                self.router.send(entry, msg_fn(event))
            return True
        entry = self.registry.by_name(event.session_id)
        if entry is not None and entry.flags is not None:
            self.router.send(entry, self._render(event, entry))
        return True

    def _render(self, event, entry: SessionEntry) -> fix.Message:
        if isinstance(event, QuoteStatus):
            return rfq_wire.quote_status(event, entry.flags.use_dollars, self.empty_reject_quote_id)
        render = {
            RfqAck: rfq_wire.rfq_ack, RfqRejected: rfq_wire.rfq_rejected, RfqCancelStatus: rfq_wire.rfq_cancel_status,
            QuoteNotice: rfq_wire.quote_notice, QuoteCancelStatus: rfq_wire.quote_cancel_status,
            QuoteAcceptStatus: rfq_wire.quote_accept_status, QuoteConfirmStatus: rfq_wire.quote_confirm_status,
        }[type(event)]
        return render(event)

    def makers(self, skip_users: tuple[str, ...]) -> list[SessionEntry]:
        """Logged-on KalshiRFQ sessions of users not in `skip_users`."""
        return [e for e in self.registry.entries()
                if e.kind is SessionKind.RFQ and e.logged_on and e.flags is not None and e.user_id not in skip_users]

    def order_session(self, user_id: str) -> str:
        """Session the maker's RFQ order reports to: a logged-on RT, an offline RT that logged on before
        (its reports wait in the store for the next logon), else a logged-on NR; "" when none."""
        candidates = [e for e in self.registry.sessions_of(user_id) if e.flags is not None and not e.listener and (
            e.kind is SessionKind.RT or (e.kind is SessionKind.NR and e.logged_on))]
        candidates.sort(key=lambda e: (e.kind is not SessionKind.RT, not e.logged_on))
        return candidates[0].name if candidates else ""


def install(gateway) -> RfqDesk:
    """Wire the RFQ desk into a Gateway (called at the end of Gateway.__init__)."""
    gateway.rfq = RfqDesk(gateway.exchange, gateway.handler, gateway.router, gateway.registry).install()
    return gateway.rfq

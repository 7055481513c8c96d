"""Inbound application messages on the simulator's sessions: gatekeeping, exchange call, reports.

Checks in the order a request meets them (part1 §3.9, §3.11, §4.7, §5.3):
1. message types Kalshi does not support (H, AF, AN, x, c, AD, ... and anything else that is
   not order entry on this session kind) -> 35=j 380=3;
2. listener sessions are read-only: D/F/G/q and RFQ creation / quote acceptance -> 35=j 380=6
   (the 380 code for listener restrictions is UNCONFIRMED; 6 "Not authorized" is used);
   a read-only key sending orders -> 380=6 as well;
3. OrderMassCancelRequest only on KalshiNR -> otherwise 380=3; OrderGroupRequest (UOG, NR/RT
   only) is answered with UOH, 35=3 for a wire-rule breach (decode.group_request), or 35=j for a
   business error (380=1 unknown group, else 0 with Text);
4. the user's Write token bucket -> 380=8 with 379=ClOrdID; mass cancel is also limited to one
   per second per key, and a breach is answered the same way (35=j 380=8), because Kalshi lists
   that limit under rate limits and documents 380=8 as the rate-limit signal;
5. wire decoding (35=3 / 35=j 380=5 from decode.py), then the exchange, then the reports.

The exchange call and the sends of its reports happen under one lock so that reports of
different threads (QuickFIX engine threads, expiry timer, admin) never interleave.
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import datetime
from typing import Callable

import quickfix as fix

from fixengine.config.types import ORDER_ENTRY_KINDS, SessionKind
from fixengine.model import ExecType
from fixengine.sim.exchange.events import CancelReason, OrderAccepted, OrderCanceled, OrderRejected, OrderReplaced
from fixengine.sim.exchange.groups import OrderGroupRejected, OrderGroupResponse
from fixengine.sim.exchange.requests import NewOrder
from fixengine.sim.gateway import decode, encode, texts
from fixengine.sim.gateway.limits import MinInterval, RateLimiter
from fixengine.sim.gateway.registry import SessionEntry
from fixengine.sim.gateway.router import Router

ORDER_ENTRY = frozenset({"D", "F", "G", "q", "UOG"})
#: Messages a listener must not send (part1 §3.9): order entry, RFQ creation, quote acceptance, groups.
LISTENER_FORBIDDEN = frozenset({"D", "F", "G", "q", "R", "UA", "UOG"})
BMR_OTHER = 0
BMR_UNKNOWN_ID = 1
BMR_UNSUPPORTED = 3
BMR_CONDITIONAL = 5
BMR_NOT_AUTHORIZED = 6
BMR_RATE_LIMIT = 8


class OrderHandler:
    def __init__(self, exchange, router: Router, limiter: RateLimiter, mass_cancel_gate: MinInterval,
                 clock: Callable[[], datetime]) -> None:
        self.exchange = exchange
        self.router = router
        self.limiter = limiter
        self.mass_cancel_gate = mass_cancel_gate
        self.clock = clock
        self.lock = threading.RLock()
        self.business_rejects = 0
        self.market_data = None  # KalshiMD publisher (marketdata.py), set by the gateway
        # Message families with a module of their own (RFQ, ...): MsgType -> fn(entry, msg).
        # "D:quote" is a NewOrderSingle carrying QuoteID(117), the RFQ accept path.
        self.extensions: dict[str, Callable[[SessionEntry, fix.Message], None]] = {}

    # ------------------------------------------------------------------ entry point
    def handle(self, entry: SessionEntry, msg: fix.Message) -> None:
        header = msg.getHeader()
        msg_type = header.getField(35)
        if entry.kind is SessionKind.MD and msg_type in ("V", "e") and self.market_data is not None:
            return self.market_data.handle(entry, msg)
        extension = self.extensions.get("D:quote" if msg_type == "D" and msg.isSetField(117) else msg_type)
        if extension is not None:
            return extension(entry, msg)
        if msg_type not in ORDER_ENTRY or entry.kind not in ORDER_ENTRY_KINDS:
            if entry.listener and msg_type in LISTENER_FORBIDDEN:
                return self._bmr(entry, msg, BMR_NOT_AUTHORIZED, texts.BMR_LISTENER)
            return self._bmr(entry, msg, BMR_UNSUPPORTED, texts.BMR_UNSUPPORTED)
        if entry.listener:
            return self._bmr(entry, msg, BMR_NOT_AUTHORIZED, texts.BMR_LISTENER)
        if not entry.can_write:
            return self._bmr(entry, msg, BMR_NOT_AUTHORIZED, "API key is read-only")
        if msg_type == "q" and entry.kind is not SessionKind.NR:
            return self._bmr(entry, msg, BMR_UNSUPPORTED, texts.BMR_MASS_CANCEL_SESSION)
        if not self.limiter.allow(entry.user_id, msg_type):
            return self._bmr(entry, msg, BMR_RATE_LIMIT, texts.BMR_RATE_LIMIT)
        if msg_type == "q" and not self.mass_cancel_gate.allow(entry.key_id):
            return self._bmr(entry, msg, BMR_RATE_LIMIT, texts.BMR_MASS_CANCEL_RATE)
        try:
            if msg_type == "D":
                self._new_order(entry, msg)
            elif msg_type == "F":
                self._cancel(entry, msg)
            elif msg_type == "G":
                self._replace(entry, msg)
            elif msg_type == "q":
                self._mass_cancel(entry, msg)
            else:
                self._order_group(entry, msg)
        except decode.BusinessReject as exc:
            self._bmr(entry, msg, exc.reason, exc.text)
        except decode.SessionReject as exc:
            header = msg.getHeader()
            entry.session.send(encode.session_reject(header.getField(34), msg_type, exc.tag, exc.reason, exc.text))

    # ------------------------------------------------------------------ requests
    def _new_order(self, entry: SessionEntry, msg: fix.Message) -> None:
        flags = entry.flags
        try:
            request = decode.new_order(msg, entry.key_id, entry.user_id, entry.name, flags.use_dollars)
        except decode.OrderGroupConflict:
            return self._reject_locally(entry, msg)
        with self.lock:
            events = self.exchange.submit(request)
            accepted = None if flags.skip_pending else _accepted_for(events, request)
            if accepted is not None:
                self.router.send(entry, encode.pending_report(accepted.order, ExecType.PENDING_NEW.value, flags,
                                                              accepted.order.transact_time))
            self.router.route(events)

    def _cancel(self, entry: SessionEntry, msg: fix.Message) -> None:
        request = decode.cancel_order(msg, entry.key_id, entry.user_id, entry.name)
        with self.lock:
            before = None if entry.flags.skip_pending else self._current(request)
            events = self.exchange.cancel(request)
            if before is not None and any(isinstance(e, OrderCanceled) and e.reason is CancelReason.REQUEST
                                          for e in events):
                self._pending_change(entry, before, request.cl_ord_id, ExecType.PENDING_CANCEL.value)
            self.router.route(events)

    def _replace(self, entry: SessionEntry, msg: fix.Message) -> None:
        request = decode.replace_order(msg, entry.key_id, entry.user_id, entry.name, entry.flags.use_dollars)
        with self.lock:
            before = None if entry.flags.skip_pending else self._current(request)
            events = self.exchange.replace(request)
            if before is not None and any(isinstance(e, OrderReplaced) for e in events):
                self._pending_change(entry, before, request.cl_ord_id, ExecType.PENDING_REPLACE.value)
            self.router.route(events)

    def _mass_cancel(self, entry: SessionEntry, msg: fix.Message) -> None:
        request = decode.mass_cancel(msg, entry.key_id, entry.user_id, entry.name)
        with self.lock:
            self.router.route(self.exchange.mass_cancel(request))

    def _order_group(self, entry: SessionEntry, msg: fix.Message) -> None:
        """UOG -> UOH (or 35=j for a business error, part1 §4.12), then any cancels it caused."""
        req = decode.group_request(msg)
        with self.lock:
            if req.action == 1:
                events = self.exchange.create_order_group(entry.user_id, req.contracts_limit, req.subaccount,
                                                          req.shard, key_id=entry.key_id)
            else:
                events = self.exchange.order_group_action(entry.user_id, req.action, req.group_id, req.subaccount,
                                                          req.shard, req.contracts_limit, key_id=entry.key_id)
            rest = []
            for event in events:
                if isinstance(event, OrderGroupResponse):
                    self.router.send(entry, encode.group_response(event))
                elif isinstance(event, OrderGroupRejected):
                    reason = BMR_UNKNOWN_ID if event.text == "ORDER_GROUP_NOT_FOUND" else BMR_OTHER
                    header = msg.getHeader()
                    self.business_rejects += 1
                    self.router.send(entry, encode.business_reject(
                        header.getField(34), "UOG", reason, event.text, event.group_id))
                else:
                    rest.append(event)
            self.router.route(rest)

    # ------------------------------------------------------------------ helpers
    def _current(self, request):
        """The target order as it is before a cancel / replace (for the pending report)."""
        for order in self.exchange.orders(request.user_id, symbol=request.symbol, open_only=True):
            if order.cl_ord_id == request.orig_cl_ord_id:
                return order
        return None

    def _pending_change(self, entry: SessionEntry, before, cl_ord_id: str, exec_type: str) -> None:
        view = dataclasses.replace(before, cl_ord_id=cl_ord_id, orig_cl_ord_id=before.cl_ord_id)
        self.router.send(entry, encode.pending_report(view, exec_type, entry.flags, self.clock()))

    def _reject_locally(self, entry: SessionEntry, msg: fix.Message) -> None:
        """526 and 20130 both present and different: refuse the order like the exchange would."""
        request = NewOrder(
            key_id=entry.key_id, user_id=entry.user_id, cl_ord_id=decode.get(msg, 11) or "",
            symbol=decode.get(msg, 55) or "", side=decode.side_of(msg),
            price=decode.price_of(msg, 44, entry.flags.use_dollars) if msg.isSetField(44) else 0,
            qty=decode.qty_of(msg, 38), session_id=entry.name,
        )
        event = OrderRejected(request, 11, "INVALID_ORDER", self.clock())
        with self.lock:
            self.router.route([event])

    def _bmr(self, entry: SessionEntry, msg: fix.Message, reason: int, text: str) -> None:
        header = msg.getHeader()
        ref_seq = header.getField(34) if header.isSetField(34) else ""
        ref_id = msg.getField(11) if msg.isSetField(11) else None
        self.business_rejects += 1
        if entry.session is not None:
            entry.session.send(encode.business_reject(ref_seq, header.getField(35), reason, text, ref_id))


def _accepted_for(events: list, request: NewOrder) -> OrderAccepted | None:
    """The OrderAccepted of this request. Not simply the first event: the exchange runs what fell
    due (an RFQ execution entering another user's order, expiries) before the request itself."""
    for event in events:
        if (isinstance(event, OrderAccepted) and event.order.user_id == request.user_id
                and event.order.cl_ord_id == request.cl_ord_id):
            return event
    return None

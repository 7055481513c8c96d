"""The Engine's extension points: how order groups, the RFQ requester and the maker side of RFQ
plug into one order-entry session without the engine knowing their messages.

* inbound: `add_message_handler(msg_type, fn)` takes every 35=<msg_type> the engine itself does
  not handle; `add_reject_handler(ref_msg_type, fn)` is offered each 35=j / 35=3 whose 372 matches
  first (and each one without 372), and consumes it by returning True;
* outbound: `send_message(msg)` on the engine's session, `publish(events)` to the strategy;
* orders the exchange creates from an extension's message (an RFQ accept) or enters for us (a
  confirmed maker quote) are tracked with `submit_tracked` / `expect_order`, so their
  ExecutionReports move an ordinary Order, with the same risk, pacing and journal as new_order.

A mixin of `Engine` (engine.py), which owns the state used here: `_lock`, `tracker`, `journal`,
`conn`, `kind`, `_message_handlers`, `_reject_handlers`, and the order path `_take_token`,
`_admit`, `_send_or_fail`, `_deliver`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fixengine.config.types import SessionKind
from fixengine.engine import journal as J
from fixengine.engine.events import Event
from fixengine.engine.orders import Order
from fixengine.engine.recovery import encode_order

log = logging.getLogger(__name__)


class EngineExtensionPoints:
    def add_message_handler(self, msg_type: str, handler: Callable[[object], None]) -> None:
        """Route inbound 35=<msg_type> (a quickfix.Message, on QuickFIX's thread) to `handler`."""
        self._message_handlers[msg_type] = handler

    def add_reject_handler(self, ref_msg_type: str, handler: Callable[[object], bool]) -> None:
        """Offer 35=j / 35=3 whose RefMsgType(372) is `ref_msg_type` to `handler` first; it returns
        True when it consumed the reject (e.g. a refused OrderGroupRequest)."""
        self._reject_handlers[ref_msg_type] = handler

    def _reject_consumed(self, reject) -> bool:
        """True when the reject handler registered for the reject's RefMsgType(372) took it. A
        reject without 372 is offered to each handler in turn (each registered function once): a
        handler takes it only when the RefSeqNum(45) is one of its sent messages, else returns False."""
        if reject.ref_msg_type:
            handler = self._reject_handlers.get(reject.ref_msg_type)
            return handler is not None and bool(handler(reject))
        offered: list[Callable[[object], bool]] = []
        for handler in self._reject_handlers.values():
            if handler in offered:  # one function registered for several MsgTypes (the RFQ requester)
                continue
            offered.append(handler)
            if handler(reject):
                return True
        return False

    def _restore_rfq(self) -> None:
        """Build the RFQ requester at start-up when the journal holds RFQ state from an earlier run,
        so what KalshiRT resends after a restart finds its RFQ before the strategy touches `rfq`."""
        if self.kind is SessionKind.RT and self.recovery.rfq:
            self.rfq  # noqa: B018 - the property builds (and restores) the requester

    def send_message(self, message) -> bool:
        """Send a built quickfix.Message on the engine's session; False when not logged on."""
        return self.conn.send(self.kind, message)

    def publish(self, events: list[Event]) -> None:
        """Deliver events to the strategy (queue and callbacks); extensions use it for their events."""
        self._deliver(events)

    @property
    def rfq(self):
        """The RFQ requester (fixengine.rfq.RfqRequester), built on first use - or at start-up when
        the journal holds RFQ state of an earlier run; KalshiRT only."""
        requester = self.__dict__.get("_rfq")
        if requester is None:
            from fixengine.rfq.requester import RfqRequester

            with self._lock:
                requester = self.__dict__.get("_rfq") or RfqRequester(self)
                self._rfq = requester
        return requester

    def submit_tracked(self, order: Order, message) -> bool:
        """Track an order the exchange creates from `message` (an RFQ accept: 35=UA, or 35=D with
        117), so its ExecutionReports, keyed by order.key as ClOrdID, land on `order`. Same risk,
        pacing and journal as new_order; False when refused locally or not sent (order rejected)."""
        reason = self._take_token()
        with self._lock:
            events = self._admit(order, reason)
        if events:
            self._deliver(events)
            return False
        return self._send_or_fail(order, message, None)

    def reject_tracked(self, order: Order, reason: str) -> None:
        """The exchange refused a tracked order's request by other means than an ExecutionReport
        (35=UC reject of an AcceptQuote): journal it and end the order."""
        with self._lock:
            if order.is_done:
                return
            self.journal.append(J.LOCAL_REJECT, order.key, [order.key, reason, None])
            events = self.tracker.reject_locally(order, reason)
            order.local_reject = False
        self._deliver(events)

    def expect_order(self, order: Order) -> None:
        """Track (and journal) an order the exchange enters for us without a request on this
        session - the maker's side of an executed RFQ quote - so its reports land on `order`."""
        with self._lock:
            if order.key in self.tracker.orders:
                return
            self.tracker.add(order)
            self.journal.append(J.NEW, order.key, encode_order(order))

    def on_app_message(self, kind: SessionKind, msg_type: str, message) -> None:
        handler = self._message_handlers.get(msg_type)
        if handler is None:
            log.info("%s: ignoring inbound 35=%s", kind.value, msg_type)
            return
        handler(message)

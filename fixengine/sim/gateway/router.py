"""Turn one batch of exchange events into messages for the sessions that should see them.

Who receives what:
* the session that entered the order (by the exchange's `session_id`) gets every report,
  35=9 and 35=r; if it is offline a retransmitting session (RT, PT) still gets them into its
  QuickFIX store (resent after reconnect), anything else loses them, as on Kalshi;
* every listener session of the same user (20126=Y) gets a read-only copy of each
  ExecutionReport (never 35=9 / 35=r, which answer a request it did not make).

Presentation rules that need the whole batch (part1 §4.10):
* Ack folding: the exchange always emits OrderAccepted first. A session sees 150=0 only when
  the order did not trade or stop within the same call; if it traded, the ack is folded into the
  first Trade report unless the session asked for AlwaysEmitNewBeforeTrade (21026=Y). An order
  canceled on arrival without trading (IOC/FOK/post-only/reduce-only/STP) gets only its cancel
  report (whether Kalshi sends a 0/0 first is UNCONFIRMED; none is sent here).
* Partially filled IOC: with EnableIocCancelReport (21007=Y) a separate 150=4 IMMEDIATE_OR_CANCELLED
  follows the last fill. Without it (Kalshi's signalling is UNCONFIRMED) the last Trade report of
  that cycle carries the final state instead: 39=4 (Canceled) and 151=0, so the client still
  learns that the order is done without an extra message.
"""

from __future__ import annotations

import logging
from typing import Iterable

import quickfix as fix

from fixengine.config.types import RETRANSMIT_KINDS
from fixengine.sim.exchange.events import (
    CancelReason,
    CancelRejected,
    MassCancelReport,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
)
from fixengine.sim.gateway import encode
from fixengine.sim.gateway.registry import SessionEntry, SessionRegistry

log = logging.getLogger(__name__)


class Router:
    def __init__(self, registry: SessionRegistry) -> None:
        self.registry = registry
        self.sent = 0
        self.lost = 0
        # Called with every routed event batch after the reports (KalshiMD publisher).
        self.observers: list = []
        # Deliver events that are not order reports (settlement, RFQ): fn(event) -> bool handled.
        self.event_routes: list = []

    def send(self, entry: SessionEntry, msg: fix.Message) -> None:
        """Deliver now, or into the store of an offline RT/PT session; otherwise the report is lost."""
        if entry.session is None or not (entry.logged_on or entry.kind in RETRANSMIT_KINDS):
            self.lost += 1
            return
        if entry.flags is None:  # never logged on: no presentation rules known, nothing to keep
            self.lost += 1
            return
        entry.session.send(msg)
        self.sent += 1

    def route(self, events: Iterable) -> None:
        events = list(events)
        batch = _Batch(events)
        for index, event in enumerate(events):
            if isinstance(event, (CancelRejected, MassCancelReport)):
                owner = self.registry.by_name(event.request.session_id)
                if owner is not None:
                    msg = encode.cancel_reject(event) if isinstance(event, CancelRejected) else encode.mass_cancel_report(event)
                    self.send(owner, msg)
                continue
            if isinstance(event, OrderRejected):
                session_id = event.request.session_id
            elif isinstance(event, (OrderAccepted, OrderFilled, OrderCanceled, OrderReplaced)):
                session_id = event.order.session_id
            else:
                for deliver in self.event_routes:
                    if deliver(event):
                        break
                continue  # market status etc.: not delivered on order-entry sessions
            for entry in self._audience(event.user_id, session_id):
                msg = batch.render(index, event, entry)
                if msg is not None:
                    self.send(entry, msg)
        for observer in self.observers:
            observer(events)

    def _audience(self, user_id: str, session_id: str) -> list[SessionEntry]:
        owner = self.registry.by_name(session_id)
        out = [owner] if owner is not None else []
        out.extend(e for e in self.registry.listeners_of(user_id) if e is not owner)
        return out


class _Batch:
    """Facts about one exchange call's events that decide how each event is shown."""

    def __init__(self, events: list) -> None:
        self.traded: set[str] = set()
        self.stopped: set[str] = set()
        self.ioc_last_fill: dict[str, int] = {}  # order id -> index of its last fill (partial IOC)
        last_fill: dict[str, int] = {}
        for i, ev in enumerate(events):
            if isinstance(ev, OrderFilled):
                self.traded.add(ev.order.order_id)
                last_fill[ev.order.order_id] = i
            elif isinstance(ev, OrderCanceled):
                oid = ev.order.order_id
                self.stopped.add(oid)
                if ev.reason is CancelReason.IOC and oid in last_fill:
                    self.ioc_last_fill[oid] = last_fill[oid]

    def render(self, index: int, event, entry: SessionEntry) -> fix.Message | None:
        flags = entry.flags
        if flags is None:
            return None
        if isinstance(event, OrderAccepted):
            oid = event.order.order_id
            if oid in self.traded:
                return encode.accepted_report(event.order, event.exec_id, flags) if flags.new_before_trade else None
            if oid in self.stopped:
                return None
            return encode.accepted_report(event.order, event.exec_id, flags)
        if isinstance(event, OrderFilled):
            fold = self.ioc_last_fill.get(event.order.order_id) == index and not flags.ioc_cancel_report
            return encode.fill_report(event, flags, terminal_cancel=fold)
        if isinstance(event, OrderCanceled):
            if event.order.order_id in self.ioc_last_fill and not flags.ioc_cancel_report:
                return None
            return encode.canceled_report(event, flags)
        if isinstance(event, OrderReplaced):
            return encode.replaced_report(event, flags)
        return encode.rejected_report(event, flags)

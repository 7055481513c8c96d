"""The QuickFIX Application of the simulated gateway (acceptor side).

Every callback is guarded (GuardedApplication): an exception escaping a QuickFIX callback
kills the process. Callbacks that QuickFIX invokes while holding a session's mutex (toAdmin,
toApp, onLogout) never take the order handler's lock: a thread holding that lock sends
reports, which needs the same session mutex, so taking it here could deadlock.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable

import quickfix as fix

from fixengine.config.types import RETRANSMIT_KINDS
from fixengine.fix.app import GuardedApplication
from fixengine.sim.gateway.handler import OrderHandler
from fixengine.sim.gateway.registry import SessionRegistry

log = logging.getLogger(__name__)


class GatewayApplication(GuardedApplication):
    def __init__(self, registry: SessionRegistry, handler: OrderHandler, clock: Callable[[], datetime],
                 sender_override: str | None = None) -> None:
        super().__init__()
        self.registry = registry
        self.handler = handler
        self.clock = clock
        # SenderCompID(49) written on outbound messages when it differs from the session's own
        # CompID (server_comp_id: kalshi -> "Kalshi"; part1 §2.4 conflict). None = leave as is.
        self.sender_override = sender_override
        self.logons = 0
        self.logouts = 0

    def on_create(self, session_id: fix.SessionID) -> None:
        entry = self.registry.for_sid(session_id)
        if entry is not None:
            entry.session = fix.Session.lookupSession(session_id)

    def from_admin(self, message: fix.Message, session_id: fix.SessionID) -> None:
        msg_type = message.getHeader().getField(35)
        entry = self.registry.for_sid(session_id)
        if msg_type == "A":
            if entry is None or not self.registry.redeem_ticket(entry):
                # Only Logons vetted by the gate may open a session (the internal port is loopback
                # only, but a local process could still try to skip authentication).
                raise fix.RejectLogon("Logon must come through the gateway")
        elif msg_type == "2" and entry is not None and entry.kind in RETRANSMIT_KINDS:
            begin = int(message.getField(7))
            if self.registry.outside_retention(entry, begin, self.clock()):
                raise fix.IncorrectTagValue(7)  # 35=3: BeginSeqNo older than the retention window

    def on_logon(self, session_id: fix.SessionID) -> None:
        entry = self.registry.for_sid(session_id)
        if entry is not None:
            entry.logged_on = True
            self.logons += 1

    def on_logout(self, session_id: fix.SessionID) -> None:
        entry = self.registry.for_sid(session_id)
        if entry is not None and entry.logged_on:
            entry.logged_on = False
            self.logouts += 1

    def to_admin(self, message: fix.Message, session_id: fix.SessionID) -> None:
        self._outbound(message, session_id)

    def to_app(self, message: fix.Message, session_id: fix.SessionID) -> None:
        self._outbound(message, session_id)

    def _outbound(self, message: fix.Message, session_id: fix.SessionID) -> None:
        header = message.getHeader()
        if self.sender_override is not None:
            header.setField(49, self.sender_override)
        entry = self.registry.for_sid(session_id)
        if entry is not None and entry.kind in RETRANSMIT_KINDS and header.isSetField(34):
            if not (header.isSetField(43) and header.getField(43) == "Y"):
                self.registry.note_sent(entry, int(header.getField(34)), self.clock())

    def from_app(self, message: fix.Message, session_id: fix.SessionID) -> None:
        entry = self.registry.for_sid(session_id)
        if entry is None or entry.flags is None:
            return
        self.handler.handle(entry, message)

"""The QuickFIX Application of the client: Kalshi logon, inbound dispatch, logon-failure policy.

Every callback runs inside GuardedApplication's guard (an exception escaping a QuickFIX callback
kills the process). Inbound application messages are parsed with getField(int) and handed to a
`SessionHandler` (the engine). Logon failures follow one rule: a Logout with a reason in answer
to our Logon (bad key or signature, not entitled, "already exists", wrong TargetCompID) or a
SendingTime reject at logon is *fatal* for that session - it is disabled and the reason is
reported, so a bad key never turns into a logon storm (Logons are even rate-metered). Every other
loss of the session reconnects with exponential backoff and jitter (see connection.py).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Protocol

import _quickfix
import quickfix as fix

from fixengine.config.types import SessionConfig, SessionKind
from fixengine.fix import tags as T
from fixengine.fix.app import GuardedApplication
from fixengine.session import parse
from fixengine.session.logon import fill_logon

log = logging.getLogger(__name__)

#: SessionRejectReason(373) for SendingTime accuracy: a skewed clock will not fix itself.
REJECT_SENDING_TIME = 10
# The SWIG functions behind the wrapper methods (each wrapper call adds ~0.3 us; see parse.py).
_get = _quickfix.FieldMap_getField
_has = _quickfix.FieldMap_isSetField
_header = _quickfix.Message_getHeader

#: How many outbound order messages to remember for matching a session Reject (35=3) to its order.
SENT_ORDERS_KEPT = 4096


class SessionHandler(Protocol):
    """What the session layer calls; the engine implements it. Called on QuickFIX's thread."""

    def on_session_event(self, kind: SessionKind, event: str, text: str | None) -> None: ...
    def on_exec_report(self, report, wire: str | None = None) -> None: ...
    def on_cancel_reject(self, reject) -> None: ...
    def on_mass_cancel_report(self, report) -> None: ...
    def on_business_reject(self, reject) -> None: ...
    def on_session_reject(self, reject) -> None: ...
    def on_parse_error(self, kind: SessionKind, error: Exception, raw: str) -> None: ...
    # Optional: every other application message (order groups, RFQ, ...); see Engine.add_message_handler.
    # def on_app_message(self, kind: SessionKind, msg_type: str, message: fix.Message) -> None: ...


@dataclass(eq=False)
class SessionState:
    kind: SessionKind
    config: SessionConfig
    private_key: object
    session_id: fix.SessionID | None = None
    session: fix.Session | None = None
    logged_on: bool = False
    logon_pending: bool = False  # Logon sent, no answer yet
    fatal: str | None = None  # why this session was stopped for good
    failures: int = 0  # consecutive failed connections (drives the backoff)
    logon_attempts: int = 0
    logons: int = 0
    last_logout_text: str | None = None
    reenable_at: float | None = None
    sent_orders: dict[str, str] = field(default_factory=dict)  # MsgSeqNum -> ClOrdID of recent D/F/G/q
    logged_on_event: threading.Event = field(default_factory=threading.Event)
    changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def use_dollars(self) -> bool:
        return bool(self.config.logon.use_dollars)

    @property
    def name(self) -> str:
        return self.config.target_comp_id


class KalshiSessionApp(GuardedApplication):
    """Routes QuickFIX callbacks to per-session state and the handler."""

    def __init__(self, states: dict[str, SessionState], handler: SessionHandler, supervisor) -> None:
        super().__init__()
        self.states = states  # by SessionID string ("FIXT.1.1:<key>->KalshiNR")
        self.handler = handler
        self.supervisor = supervisor  # connection.FixConnection: backoff / stop policy
        self._only = next(iter(states.values())) if len(states) == 1 else None
        self._on_other = getattr(handler, "on_app_message", None)

    def _state(self, session_id: fix.SessionID) -> SessionState:
        return self.states[session_id.toString()]

    # ------------------------------------------------------------------ lifecycle
    def on_create(self, session_id: fix.SessionID) -> None:
        state = self._state(session_id)
        state.session_id = session_id
        state.session = fix.Session.lookupSession(session_id)

    def on_logon(self, session_id: fix.SessionID) -> None:
        state = self._state(session_id)
        with state.changed:
            state.logged_on = True
            state.logon_pending = False
            state.failures = 0
            state.logons += 1
            state.logged_on_event.set()
            state.changed.notify_all()
        log.info("%s logged on", state.name)
        self.handler.on_session_event(state.kind, "logon", None)

    def on_logout(self, session_id: fix.SessionID) -> None:
        state = self._state(session_id)
        with state.changed:
            was_logged_on = state.logged_on
            state.logged_on = False
            state.logon_pending = False
            state.logged_on_event.clear()
            state.changed.notify_all()
        self.supervisor.session_lost(state, was_logged_on)
        if state.fatal is not None:
            log.error("%s logon refused, not retrying: %s", state.name, state.fatal)
            self.handler.on_session_event(state.kind, "logon_refused", state.fatal)
        else:
            self.handler.on_session_event(state.kind, "logout", state.last_logout_text)

    # ------------------------------------------------------------------ admin
    def to_admin(self, message: fix.Message, session_id: fix.SessionID) -> None:
        if message.getHeader().getField(T.MSG_TYPE) != "A":
            return
        state = self._state(session_id)
        state.logon_attempts += 1
        state.logon_pending = True
        state.last_logout_text = None
        fill_logon(message, state.config, state.private_key)

    def from_admin(self, message: fix.Message, session_id: fix.SessionID) -> None:
        msg_type = message.getHeader().getField(T.MSG_TYPE)
        if msg_type == "5":
            self._on_logout_message(self._state(session_id), message)
        elif msg_type == "3":
            self._on_session_reject(self._state(session_id), message)

    def _on_logout_message(self, state: SessionState, message: fix.Message) -> None:
        text = message.getField(T.TEXT) if message.isSetField(T.TEXT) else None
        state.last_logout_text = text
        if state.logon_pending and not state.logged_on and text:
            # The answer to our Logon is a Logout with a reason: retrying cannot help.
            state.fatal = f"{state.name} logon refused: {text}"

    def _on_session_reject(self, state: SessionState, message: fix.Message) -> None:
        reject = parse.parse_session_reject(message, state.name)
        if reject.ref_seq_num is not None:
            reject.ref_cl_ord_id = state.sent_orders.get(str(reject.ref_seq_num))
        if state.logon_pending and not state.logged_on and reject.reason == REJECT_SENDING_TIME:
            state.fatal = (f"{state.name} logon refused: SendingTime accuracy problem "
                           f"(clock off by more than 30 s?) {reject.text or ''}").strip()
        self.handler.on_session_reject(reject)

    # ------------------------------------------------------------------ application
    def _on_settlement(self, state: SessionState, wire: str) -> None:
        """A handler with `on_settlement_wire` keeps the raw page (and a malformed one) itself."""
        on_wire = getattr(self.handler, "on_settlement_wire", None)
        if on_wire is not None:
            on_wire(state.name, wire)
        else:
            self.handler.on_settlement_report(parse.parse_settlement_report_text(wire, state.name))

    def _state_fast(self, session_id: fix.SessionID) -> SessionState:
        """The state without building the SessionID string when there is only one session (the
        engine's case): every Python call on the order path costs ~3x its idle-loop time live."""
        return self._only if self._only is not None else self.states[session_id.toString()]

    def to_app(self, message: fix.Message, session_id: fix.SessionID) -> None:
        """Remember which ClOrdID went out under which MsgSeqNum: a session-level Reject (35=3)
        names only the sequence number, and the order must not stay pending forever.
        Raw SWIG calls: this runs inside every Session.send, on the order's critical path."""
        if not _has(message, T.CL_ORD_ID):
            return
        sent = self._state_fast(session_id).sent_orders
        sent[_get(_header(message), T.MSG_SEQ_NUM)] = _get(message, T.CL_ORD_ID)
        if len(sent) > SENT_ORDERS_KEPT:
            del sent[next(iter(sent))]

    def from_app(self, message: fix.Message, session_id: fix.SessionID) -> None:
        state = self._state_fast(session_id)
        msg_type = _get(_header(message), T.MSG_TYPE)
        try:
            if msg_type == "8":
                wire = message.toString()
                self.handler.on_exec_report(parse.parse_exec_report_text(wire, state.use_dollars, state.name), wire)
            elif msg_type == "9":
                self.handler.on_cancel_reject(parse.parse_cancel_reject(message, state.name))
            elif msg_type == "j":
                self.handler.on_business_reject(parse.parse_business_reject(message, state.name))
            elif msg_type == "r":
                self.handler.on_mass_cancel_report(parse.parse_mass_cancel_report(message, state.name))
            elif msg_type == "UMS":
                self._on_settlement(state, message.toString())
            elif self._on_other is not None:
                self._on_other(state.kind, msg_type, message)
            else:
                log.info("%s: ignoring inbound 35=%s", state.name, msg_type)
        except parse.MessageParseError as exc:
            self.handler.on_parse_error(state.kind, exc, message.toString().replace("\x01", "|"))

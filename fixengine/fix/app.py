"""A QuickFIX Application whose callbacks can never kill the process.

Measured on these machines (shared/quickfix-notes.md): an uncaught Python exception in any
QuickFIX callback ends the process (PyErr_Print; Py_Exit(1)), or, with initiator and acceptor in
one process, silently stops message processing. So every callback here catches everything,
counts it, logs it, and carries on -- except the QuickFIX exceptions that are *meant* to cross
the boundary (RejectLogon, DoNotSend, FieldNotFound, IncorrectTagValue, ...), which QuickFIX
translates into protocol behaviour (a Logout, a suppressed send, a session Reject).

Subclasses implement the snake_case hooks (``on_logon``, ``from_app`` ...); the camelCase
methods QuickFIX calls are defined here and are not to be overridden.
"""

from __future__ import annotations

import logging
import threading
import traceback

import quickfix as fix

log = logging.getLogger(__name__)

#: Exceptions QuickFIX turns into protocol behaviour; they must propagate.
PROTOCOL_EXCEPTIONS: tuple[type[BaseException], ...] = tuple(
    getattr(fix, name)
    for name in (
        "RejectLogon",
        "DoNotSend",
        "FieldNotFound",
        "IncorrectDataFormat",
        "IncorrectTagValue",
        "UnsupportedMessageType",
    )
    if hasattr(fix, name)
)


class GuardedApplication(fix.Application):
    """Base class: override the snake_case hooks; errors are contained and counted."""

    #: How many recent callback errors to keep for inspection (tests, admin views).
    keep_errors = 50

    def __init__(self) -> None:
        super().__init__()
        self.callback_errors = 0
        self.recent_errors: list[str] = []
        self._err_lock = threading.Lock()

    # ---- hooks for subclasses ------------------------------------------------------
    def on_create(self, session_id: fix.SessionID) -> None:
        """A session was created (at start-up)."""

    def on_logon(self, session_id: fix.SessionID) -> None:
        """Logon completed."""

    def on_logout(self, session_id: fix.SessionID) -> None:
        """Session ended (Logout or disconnect)."""

    def to_admin(self, message: fix.Message, session_id: fix.SessionID) -> None:
        """An admin message is about to be sent (header already filled in)."""

    def from_admin(self, message: fix.Message, session_id: fix.SessionID) -> None:
        """An admin message arrived (may raise fix.RejectLogon for a Logon)."""

    def to_app(self, message: fix.Message, session_id: fix.SessionID) -> None:
        """An application message is about to be sent (may raise fix.DoNotSend)."""

    def from_app(self, message: fix.Message, session_id: fix.SessionID) -> None:
        """An application message arrived."""

    # ---- QuickFIX entry points -------------------------------------------------------
    def onCreate(self, sessionID):  # noqa: N802 - QuickFIX's name
        self._guard("onCreate", self.on_create, sessionID)

    def onLogon(self, sessionID):  # noqa: N802
        self._guard("onLogon", self.on_logon, sessionID)

    def onLogout(self, sessionID):  # noqa: N802
        self._guard("onLogout", self.on_logout, sessionID)

    def toAdmin(self, message, sessionID):  # noqa: N802
        self._guard("toAdmin", self.to_admin, message, sessionID)

    def fromAdmin(self, message, sessionID):  # noqa: N802
        self._guard("fromAdmin", self.from_admin, message, sessionID)

    def toApp(self, message, sessionID):  # noqa: N802
        self._guard("toApp", self.to_app, message, sessionID)

    def fromApp(self, message, sessionID):  # noqa: N802
        self._guard("fromApp", self.from_app, message, sessionID)

    # ---- containment ---------------------------------------------------------------
    def _guard(self, where, hook, *args):
        try:
            hook(*args)
        except PROTOCOL_EXCEPTIONS:
            raise
        except BaseException as exc:  # noqa: BLE001 - anything escaping kills the process
            self._record_error(where, exc)

    def _record_error(self, where: str, exc: BaseException) -> None:
        text = f"{where}: {type(exc).__name__}: {exc}"
        with self._err_lock:
            self.callback_errors += 1
            self.recent_errors.append(text)
            del self.recent_errors[: -self.keep_errors]
        log.error("QuickFIX callback error contained: %s\n%s", text, traceback.format_exc())

"""A FixConnection whose application also delivers KalshiDC's U2 / U3 answers.

The session layer's KalshiSessionApp parses 35=8/9/j/r and logs anything else; KalshiDC answers
an EventResendRequest with EventResendComplete (U2) or EventResendReject (U3), which must reach
the drop-copy client. This module extends the application (no change to the session layer) and
builds the initiator with it; reconnect, logon signing and stop are FixConnection's own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Callable

import quickfix as fix

from fixengine.config.types import EngineConfig, SessionKind
from fixengine.fix import msgtypes as MT
from fixengine.session.app import KalshiSessionApp, SessionHandler
from fixengine.session.connection import FixConnection

#: (msg_type, message) for U2 / U3; runs on QuickFIX's thread inside the guarded callback.
ResendAnswer = Callable[[str, fix.Message], None]


class _ResendAwareApp(KalshiSessionApp):
    def __init__(self, states, handler: SessionHandler, supervisor, on_answer: ResendAnswer) -> None:
        super().__init__(states, handler, supervisor)
        self.on_answer = on_answer

    def from_app(self, message: fix.Message, session_id: fix.SessionID) -> None:
        msg_type = message.getHeader().getField(35)
        if msg_type in (MT.EVENT_RESEND_COMPLETE, MT.EVENT_RESEND_REJECT):
            self.on_answer(msg_type, message)
            return
        super().from_app(message, session_id)


class ResendAwareConnection(FixConnection):
    """FixConnection (threaded mode) with `on_answer` called for every U2 / U3."""

    def __init__(self, cfg: EngineConfig, handler: SessionHandler, kinds: Iterable[SessionKind],
                 on_answer: ResendAnswer, *, dictionaries: tuple | None = None) -> None:
        super().__init__(cfg, handler, kinds, dictionaries=dictionaries,
                         app_factory=lambda states, h, conn: _ResendAwareApp(states, h, conn, on_answer))

"""A FixConnection whose application also delivers KalshiDC's U2 / U3 answers.

The session layer's KalshiSessionApp parses 35=8/9/j/r and logs anything else; KalshiDC answers
an EventResendRequest with EventResendComplete (U2) or EventResendReject (U3), which must reach
the drop-copy client. This module extends the application (no change to the session layer) and
builds the initiator with it; reconnect, logon signing and stop are FixConnection's own.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Callable

import quickfix as fix

from fixengine.config import build_initiator, is_loopback, session_ids
from fixengine.config.types import ConfigError, EngineConfig, SessionKind
from fixengine.fix import msgtypes as MT
from fixengine.session.app import KalshiSessionApp, SessionHandler, SessionState
from fixengine.session.connection import FixConnection, _load_key, default_dictionaries

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
        # Mirrors FixConnection.__init__ with a different application class.
        self.cfg = cfg
        self.poll_mode = False
        self._rng = random.Random()
        self._stopping = False
        self._started = False
        self._timers = []
        chosen = list(kinds)
        ids = session_ids(cfg, chosen)
        self.states = {}
        self.by_kind = {}
        for kind in chosen:
            scfg = cfg.session(kind)
            if not cfg.tls.enabled and not is_loopback(scfg.host):
                raise ConfigError(cfg.source, f"sessions.{kind.value}.host",
                                  f"plain TCP to {scfg.host} refused: Kalshi requires TLS (plain only to loopback)")
            state = SessionState(kind, scfg, _load_key(scfg))
            self.states[ids[kind]] = state
            self.by_kind[kind] = state
        self.app = _ResendAwareApp(self.states, handler, self, on_answer)
        self.parts = build_initiator(cfg, self.app, chosen, threaded=False,
                                     dictionaries=dictionaries or default_dictionaries())
        self.initiator = self.parts.initiator

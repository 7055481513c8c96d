"""Kalshi initiator: build, run (engine thread or caller-driven poll), supervise, stop.

Two ways to run:
  * threaded - `start()` runs QuickFIX's socket loop on its own thread; callbacks arrive there.
  * poll     - the caller drives `poll()` (QuickFIX `Initiator.poll()`, one non-blocking step) on
               its own thread: callbacks run inline, no thread hand-off - the lowest latency
               measured (quickfix-notes), for colocated strategies that spin anyway.

Reconnect policy. QuickFIX retries a dropped connection on a fixed ReconnectInterval. Above it,
this class keeps an exponential backoff with jitter: when a session is lost it is disabled
(Session.logout(), so the initiator skips it) and re-enabled (Session.logon()) once its delay has
passed. A fatal logon refusal (see app.py) leaves it disabled and `wait_logon` raises with the
exchange's reason. TLS is used whenever the config says so; plain TCP only to loopback hosts.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable

import quickfix as fix

from fixengine.auth import load_private_key, load_private_key_from_config
from fixengine.config import build_initiator, is_loopback, session_ids, spec_paths, stock_spec_paths
from fixengine.config.types import ConfigError, EngineConfig, SessionConfig, SessionKind
from fixengine.errors import FixEngineError
from fixengine.session.app import KalshiSessionApp, SessionHandler, SessionState

log = logging.getLogger(__name__)


class LogonRefusedError(FixEngineError):
    """The exchange refused our Logon with a reason; the session will not retry by itself."""


class SessionDownError(FixEngineError):
    """A message was to be sent on a session that is not logged on."""


def default_dictionaries() -> tuple:
    """The project's Kalshi dictionaries; QuickFIX's stock FIXT11/FIX50SP2 until they are generated."""
    transport, app = spec_paths()
    if transport.is_file() and app.is_file():
        return transport, app
    log.warning("Kalshi data dictionaries %s / %s not found: using QuickFIX's stock FIX50SP2", transport, app)
    return stock_spec_paths()


def _load_key(session: SessionConfig) -> object:
    if session.private_key is not None:
        return load_private_key(session.private_key)
    return load_private_key_from_config(f"env:{session.private_key_env}")


class FixConnection:
    def __init__(self, cfg: EngineConfig, handler: SessionHandler, kinds: Iterable[SessionKind] | None = None,
                 *, poll_mode: bool = False, rng: random.Random | None = None, dictionaries: tuple | None = None,
                 app_factory: Callable[..., KalshiSessionApp] | None = None) -> None:
        """`app_factory(states, handler, connection)` builds the QuickFIX application; session kinds
        with messages of their own (drop copy, market data) pass a KalshiSessionApp subclass."""
        self.cfg = cfg
        self.poll_mode = poll_mode
        self._rng = rng or random.Random()
        self._stopping = False
        self._started = False
        self._timers: list[threading.Timer] = []
        chosen = list(kinds) if kinds is not None else list(cfg.sessions)
        ids = session_ids(cfg, chosen)
        self.states: dict[str, SessionState] = {}
        self.by_kind: dict[SessionKind, SessionState] = {}
        for kind in chosen:
            scfg = cfg.session(kind)
            if not cfg.tls.enabled and not is_loopback(scfg.host):
                raise ConfigError(cfg.source, f"sessions.{kind.value}.host",
                                  f"plain TCP to {scfg.host} refused: Kalshi requires TLS (plain only to loopback)")
            state = SessionState(kind, scfg, _load_key(scfg))
            self.states[ids[kind]] = state
            self.by_kind[kind] = state
        self.app = (app_factory or KalshiSessionApp)(self.states, handler, self)
        self.parts = build_initiator(cfg, self.app, chosen, threaded=False,
                                     dictionaries=dictionaries or default_dictionaries())
        self.initiator = self.parts.initiator

    # ------------------------------------------------------------------ running
    def start(self) -> None:
        """Threaded mode: start QuickFIX's engine thread. Poll mode: nothing (first poll() connects)."""
        self._stopping = False
        if not self.poll_mode and not self._started:
            self.initiator.start()
        self._started = True

    def poll(self) -> None:
        """One non-blocking step of the socket loop on the caller's thread (poll mode only)."""
        if self.initiator is None:
            raise SessionDownError("the connection was stopped; create a new one to reconnect")
        self.initiator.poll()
        for state in self.by_kind.values():
            if state.reenable_at is not None and time.monotonic() >= state.reenable_at:
                self._reenable(state)

    def wait_logon(self, kind: SessionKind, timeout: float = 10.0) -> None:
        """Block (threaded) or poll (poll mode) until `kind` is logged on; raise if refused or late."""
        state = self.by_kind[kind]
        deadline = time.monotonic() + timeout
        while not state.logged_on:
            if state.fatal is not None:
                raise LogonRefusedError(state.fatal)
            left = deadline - time.monotonic()
            if left <= 0:
                detail = f" (last Logout text: {state.last_logout_text})" if state.last_logout_text else ""
                raise FixEngineError(f"{state.name}: not logged on after {timeout:g} s{detail}")
            if self.poll_mode:
                self.poll()
            else:
                with state.changed:
                    if not state.logged_on and state.fatal is None:
                        state.changed.wait(min(left, 0.05))
        if state.fatal is not None:
            raise LogonRefusedError(state.fatal)

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0, sleep_s: float = 0.001) -> bool:
        """Sleep `sleep_s` at a time (threaded) or poll (poll mode) until predicate() is true or
        `timeout` s have passed; returns predicate()'s final value."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                return predicate()
            if self.poll_mode:
                self.poll()
            else:
                time.sleep(sleep_s)
        return True

    def is_logged_on(self, kind: SessionKind) -> bool:
        return self.by_kind[kind].logged_on

    def send(self, kind: SessionKind, message: fix.Message) -> bool:
        """Hand a message to QuickFIX. False when the session is not logged on (nothing sent)."""
        state = self.by_kind[kind]
        if not state.logged_on or state.session is None:
            return False
        return state.session.send(message)

    def stop(self, timeout: float = 2.0) -> None:
        """Log out every session (waiting up to `timeout` for the answers), then stop QuickFIX."""
        self._stopping = True
        for timer in self._timers:
            timer.cancel()
        if not self._started:
            self.release()
            return
        for state in self.by_kind.values():
            state.reenable_at = None
            if state.session is not None:
                state.session.logout("")
        deadline = time.monotonic() + timeout
        while any(s.logged_on for s in self.by_kind.values()) and time.monotonic() < deadline:
            if self.poll_mode:
                self.initiator.poll()
            else:
                time.sleep(0.01)
        self.initiator.stop(True)
        self._started = False
        self.release()

    def release(self) -> None:
        """Destroy the C++ initiator now, while the application, settings and store factory it
        points into are still alive: left to interpreter-exit garbage collection the order is
        arbitrary, and a session destroyed after its factory segfaults."""
        if self.initiator is None:
            return
        self.initiator = None
        self.parts.initiator = None
        import gc

        gc.collect()

    # ------------------------------------------------------------------ supervision (from app.py)
    def session_lost(self, state: SessionState, was_logged_on: bool) -> None:
        """Called from onLogout: disable the session; schedule its return unless fatal or stopping."""
        if self._stopping:
            return
        if state.session is not None:
            state.session.logout(state.fatal or "")
        if state.fatal is not None:
            return
        state.failures = 1 if was_logged_on else state.failures + 1
        delay = self.backoff_delay(state.failures)
        state.reenable_at = time.monotonic() + delay
        log.warning("%s lost (%s); reconnecting in %.2f s", state.name, state.last_logout_text or "disconnect", delay)
        if not self.poll_mode:
            timer = threading.Timer(delay, self._reenable, args=(state,))
            timer.daemon = True
            self._timers = [t for t in self._timers if t.is_alive()] + [timer]
            timer.start()

    def backoff_delay(self, failures: int) -> float:
        """Exponential in the number of consecutive failures, capped, with 50-100 % jitter."""
        base = self.cfg.reconnect.delay_s(failures - 1)
        return base * (0.5 + 0.5 * self._rng.random())

    def _reenable(self, state: SessionState) -> None:
        if self._stopping or state.fatal is not None:
            return
        state.reenable_at = None
        if state.session is not None:
            state.session.logon()

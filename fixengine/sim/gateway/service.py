"""The simulated Kalshi FIX gateway: gate + internal QuickFIX acceptor(s) + order handling.

    gw = Gateway(sim_config, exchange, clock=..., options=GatewayOptions(...))
    gw.start()            # ports resolved: gw.ports[SessionKind.NR]
    gw.route(events)      # deliver events produced outside FIX (admin, expiry timer)
    gw.stop()
"""

from __future__ import annotations

import logging
import queue
import shutil
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

import quickfix as fix

from fixengine.auth import load_public_key
from fixengine.config.types import SessionKind
from fixengine.sim.config import SimConfig, SimConfigError
from fixengine.sim.gateway.acceptor import InternalAcceptor, build_acceptors
from fixengine.sim.gateway.application import GatewayApplication
from fixengine.sim.gateway.authority import KeyRecord, LogonAuthority
from fixengine.sim.gateway.connection import Conn
from fixengine.sim.gateway.dropcopy import DropCopyDispatch, DropCopyOptions, DropCopyReplayer
from fixengine.sim.gateway.gate import Gate, GateOptions
from fixengine.sim.gateway.handler import OrderHandler
from fixengine.sim.gateway.limits import LogonGuard, MinInterval, RateLimiter
from fixengine.sim.gateway.logon import LogonFlags
from fixengine.sim.gateway.marketdata import DEFAULT_MAX_SYMBOLS, MarketDataPublisher
from fixengine.sim.gateway.registry import SessionEntry, SessionRegistry
from fixengine.sim.gateway import rfq as rfq_desk
from fixengine.sim.gateway.router import Router
from fixengine.sim.gateway.settlement import DEFAULT_PAGE_SIZE, SettlementReporter
from fixengine.sim.gateway.tls import ServerCert, generate_self_signed, server_context

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GatewayOptions:
    """Knobs that are not part of config/simulator.yaml (defaults follow Kalshi's documented values)."""

    max_body_bytes: int = 64 * 1024
    logon_timeout_s: float = 10.0
    max_failed_logons: int = 5  # within failed_logon_window_s, then the key is locked out
    failed_logon_window_s: float = 60.0
    mass_cancel_interval_s: float = 1.0  # OrderMassCancelRequest: at most 1 per second
    store_dir: Path | None = None  # FileStore for RT/PT; None = MemoryStore
    # Session kinds served: NR and RT order entry, DC drop-copy replay, PT post-trade (settlement
    # reports, retransmitting like RT), RFQ market makers, MD market data. Each served kind costs
    # one QuickFIX session (a data-dictionary copy) per API key at start-up (MD measured: +0.02 s
    # for 3 keys).
    kinds: frozenset[SessionKind] = frozenset(SessionKind)
    monotonic: Callable[[], float] = time.monotonic  # rate limits (tests may inject)
    md_max_symbols: int = DEFAULT_MAX_SYMBOLS  # KalshiMD symbols per session (Kalshi's limit UNCONFIRMED)
    dropcopy: DropCopyOptions = DropCopyOptions()  # KalshiDC U1 look-back and rate limit
    settlement_page_size: int = DEFAULT_PAGE_SIZE  # party entries per UMS page (Kalshi's: UNCONFIRMED)


class Gateway:
    def __init__(self, config: SimConfig, exchange, clock: Callable[[], datetime],
                 options: GatewayOptions | None = None) -> None:
        self.config = config
        self.exchange = exchange
        self.clock = clock
        self.options = options = options or GatewayOptions()
        self.kinds = [k for k in SessionKind if k in options.kinds and k in config.ports]
        self.targets = {k: config.target_comp_ids[k] for k in self.kinds}
        self.keys = _key_records(config)
        self.limiter = RateLimiter({u.user_id: u.tier for u in config.users}, options.monotonic)
        self.guard = LogonGuard(options.max_failed_logons, options.failed_logon_window_s,
                                replay_window_s=4 * config.skew_tolerance_seconds, clock=options.monotonic)
        self.authority = LogonAuthority(self.keys, self.limiter, self.guard, config.skew_tolerance_seconds,
                                        config.retention_hours, clock)
        self.registry = SessionRegistry()
        self.router = Router(self.registry)
        self.handler = OrderHandler(exchange, self.router, self.limiter,
                                    MinInterval(options.mass_cancel_interval_s, options.monotonic), clock)
        self.market_data = MarketDataPublisher(exchange, clock, self.handler.lock, options.md_max_symbols)
        self.handler.market_data = self.market_data
        self.router.observers.append(self.market_data.on_events)
        self.settlement = SettlementReporter(self.registry, self.router.send,
                                             lambda key_id: _key_subaccount(self.keys, key_id),
                                             options.settlement_page_size)
        self.router.event_routes.append(self.settlement)
        override = "Kalshi" if config.comp_id_mode == "kalshi" else None
        self.dropcopy = DropCopyReplayer(exchange, clock, options.dropcopy, options.monotonic)
        self.app = GatewayApplication(self.registry, DropCopyDispatch(self.handler, self.dropcopy), clock,
                                      override)
        self.cert: ServerCert | None = None
        self.ports: dict[SessionKind, int] = {}
        self._acceptors: list[InternalAcceptor] = []
        self._gate: Gate | None = None
        self._cleanup: queue.Queue = queue.Queue()
        self._cleanup_thread: threading.Thread | None = None
        self.disconnect_cancels = 0
        rfq_desk.install(self)  # RFQ creator/maker messages and events (gateway/rfq.py)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        for kind in self.kinds:
            for key in self.keys.values():
                sid = fix.SessionID("FIXT.1.1", self.targets[kind], key.key_id)
                if fix.Session.doesSessionExist(sid):
                    # QuickFIX keeps one process-wide session table: a second simulator serving the
                    # same key would silently share (and misroute) the first one's sessions.
                    raise SimConfigError(self.config.source, "users",
                                         f"API key {key.key_id} is already served by another simulator "
                                         "in this process (QuickFIX sessions are process-wide)")
                self.registry.add(SessionEntry(f"{self.targets[kind]}:{key.key_id}", kind, key.key_id,
                                               key.user_id, key.can_write, sid))
        self._acceptors = build_acceptors(self.app, list(self.keys), self.targets,
                                          self.config.skew_tolerance_seconds, self.options.store_dir)
        for acc in self._acceptors:
            acc.start()
        self._gate = Gate(self._gate_options(), self._ssl_context(), self.authority.evaluate,
                          self._on_accepted, self._on_closed)
        for kind in self.kinds:
            internal = next(a for a in self._acceptors if kind in a.kinds)
            self.ports[kind] = self._gate.listen(kind, self.config.ports[kind], self.targets[kind],
                                                 self.config.server_comp_id(kind), internal.port, internal.wake)
        self._cleanup_thread = threading.Thread(target=self._cleanup_loop, name="sim-gw-cleanup", daemon=True)
        self._cleanup_thread.start()
        self._gate.start()

    def stop(self) -> None:
        if self._gate is not None:
            self._gate.stop()
            self._gate = None
        self._wait_engine_idle()
        for acc in self._acceptors:
            acc.stop()
        self._cleanup.put(None)
        if self._cleanup_thread is not None:
            self._cleanup_thread.join(timeout=5)
        if self.cert is not None and self.config.tls.mode == "generate":
            shutil.rmtree(self.cert.cert_file.parent, ignore_errors=True)  # throw-away key material
        # Drop every reference so the acceptors are destroyed: that removes their sessions from
        # QuickFIX's process-wide table and lets another simulator serve the same keys later.
        for entry in self.registry.entries():
            entry.session = None
        self._acceptors = []

    def _wait_engine_idle(self, timeout: float = 3.0) -> None:
        """Let QuickFIX finish tearing down the connections the gate just closed.

        The poll threads keep running until every session the gate dropped is logged out and
        unregistered, so onLogout / clean-up see a complete picture before the acceptors stop.
        """
        deadline = time.monotonic() + timeout
        entries = self.registry.entries()
        while time.monotonic() < deadline:
            if not any(e.logged_on or fix.Session.isSessionRegistered(e.sid) for e in entries):
                break
            time.sleep(0.01)
        time.sleep(0.05)

    # ------------------------------------------------------------------ events from outside FIX
    def route(self, events: list) -> None:
        with self.handler.lock:
            self.router.route(events)

    def call(self, fn: Callable[[], list]) -> list:
        """Run an exchange operation and deliver its events atomically (admin, timers)."""
        with self.handler.lock:
            events = fn()
            self.router.route(events)
        return events

    # ------------------------------------------------------------------ faults / admin
    def on_gate(self, fn: Callable[[Gate], object], timeout: float = 5.0) -> object:
        """Run fn(gate) on the gate thread and return its result."""
        done = threading.Event()
        box: list = []

        def run() -> None:
            try:
                box.append(fn(self._gate))
            finally:
                done.set()

        self._gate.post(run)
        if not done.wait(timeout):
            raise TimeoutError("gate thread did not answer")
        return box[0] if box else None

    def connections(self) -> list[dict]:
        return self.on_gate(lambda g: g.describe())

    def stats(self) -> dict:
        """Counters for the admin API: gate decisions, reports routed / lost, rejects, contained errors."""
        gate = self.on_gate(lambda g: {"counts": dict(g.stats), "recent_refusals": list(g.refusals)})
        return {"gate": gate, "reports_sent": self.router.sent, "reports_lost": self.router.lost,
                "business_rejects": self.handler.business_rejects, "rate_limited": self.limiter.refused,
                "logons": self.app.logons, "logouts": self.app.logouts,
                "disconnect_cancels": self.disconnect_cancels, "callback_errors": self.app.callback_errors,
                "recent_callback_errors": list(self.app.recent_errors)}

    def set_fault(self, key_id: str, **changes) -> int:
        """delay_s=, drop_outbound=, drop_msg_type=, frozen= on every live connection of the key."""
        def apply(gate: Gate) -> int:
            conns = gate.find(key_id)
            for conn in conns:
                for name, value in changes.items():
                    setattr(conn, name, value)
                gate._update_interest(conn)
            return len(conns)

        return self.on_gate(apply)

    def drop_session(self, key_id: str) -> int:
        return self.on_gate(lambda g: g.drop_session(key_id))

    @property
    def internal_ports(self) -> list[int]:
        """Loopback ports of the internal QuickFIX acceptors (never handed to clients)."""
        return [acc.port for acc in self._acceptors]

    @property
    def gate(self) -> Gate | None:
        return self._gate

    def session(self, kind: SessionKind, key_id: str) -> SessionEntry | None:
        return self.registry.lookup(self.targets[kind], key_id)

    # ------------------------------------------------------------------ internals
    def _gate_options(self) -> GateOptions:
        return GateOptions(host=self.config.listen_host, max_body_bytes=self.options.max_body_bytes,
                           logon_timeout_s=self.options.logon_timeout_s,
                           connection_scope="key" if self.config.connection_scope == "key" else "key_and_session")

    def _ssl_context(self):
        tls = self.config.tls
        if not tls.enabled:
            return None
        if tls.mode == "on":
            self.cert = ServerCert(tls.cert, tls.key)
        else:
            self.cert = generate_self_signed(host=self.config.listen_host)
        return server_context(self.cert)

    def _on_accepted(self, flags: LogonFlags, conn_id: int) -> None:
        self.registry.issue_ticket(self.targets[flags.kind], flags, conn_id)

    def _on_closed(self, conn: Conn, release: Callable[[], None]) -> None:
        self._cleanup.put((conn.kind, conn.key_id, conn.flags, conn.conn_id, release))

    def _cleanup_loop(self) -> None:
        while True:
            item = self._cleanup.get()
            if item is None:
                return
            try:
                self._clean_up(*item[:4])
            except Exception:  # noqa: BLE001 - the slot must be released whatever happens
                log.exception("disconnect clean-up failed")
            finally:
                item[4]()

    def _clean_up(self, kind: SessionKind, key_id: str, flags: LogonFlags | None, conn_id: int) -> None:
        """After a connection ends: wait for QuickFIX to let go of the session, then
        CancelOrdersOnDisconnect (8013=Y) -- on any disconnect, including a clean Logout."""
        entry = self.registry.lookup(self.targets[kind], key_id)
        if entry is None:
            return
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline and (entry.logged_on or fix.Session.isSessionRegistered(entry.sid)):
            time.sleep(0.002)
        if flags is not None and flags.cancel_on_disconnect and entry.conn_id == conn_id:
            self.disconnect_cancels += 1
            self.call(lambda: self.exchange.cancel_all_for_key(key_id))


def _key_subaccount(keys: dict[str, KeyRecord], key_id: str) -> int | None:
    record = keys.get(key_id)
    return None if record is None else record.subaccount


def _key_records(config: SimConfig) -> dict[str, KeyRecord]:
    records = {}
    for user in config.users:
        for key in user.keys:
            records[key.key_id] = KeyRecord(key.key_id, user.user_id, load_public_key(key.public_key_pem()),
                                            user.fix_entitled, key.can_write, key.subaccount)
    return records

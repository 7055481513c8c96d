"""The internal QuickFIX acceptor(s) behind the gate.

One SessionID per (server CompID of a session kind, API key), all predefined. Sessions that
never retransmit (NR, DC, RFQ, MD) run with PersistMessages=N on a MemoryStore: QuickFIX then
answers a ResendRequest with a SequenceReset-GapFill, i.e. nothing is ever re-sent (Kalshi:
no retransmission on those sessions; its exact answer is UNCONFIRMED). RT/PT persist their
messages; with a store directory configured they get a FileStore on a second acceptor (a
store factory is per acceptor), otherwise a MemoryStore that lives as long as the simulator.
The internal port is bound by QuickFIX on all interfaces (it has no bind-address setting), so
sessions only accept 127.0.0.1 and Logons carrying a gate ticket (see application.py).
"""

from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path

import quickfix as fix

log = logging.getLogger(__name__)

from fixengine.config.types import RETRANSMIT_KINDS, SessionKind
from fixengine.fix.spec import APP_SPEC, TRANSPORT_SPEC


class InternalAcceptor:
    """A SocketAcceptor driven by `poll()` from a thread of ours instead of its own engine thread.

    Why: QuickFIX 1.16's threaded Acceptor::stop closes the SocketServer from the caller while
    the engine thread, seeing the stop flag, closes and deletes the same object: a use-after-free
    observed here as an endless loop inside SocketServer::close(). With poll(), the engine never
    runs on its own thread, so stop() has nothing to race with. The gate wakes the poll thread
    whenever it hands QuickFIX bytes; otherwise the thread polls every `idle_s` for timers
    (heartbeats, TestRequests, logon timeouts) and for sends queued by other threads.
    """

    def __init__(self, acceptor: fix.SocketAcceptor, port: int, kinds: frozenset[SessionKind],
                 idle_s: float = 0.005) -> None:
        self.acceptor = acceptor
        self.port = port
        self.kinds = kinds
        self.idle_s = idle_s
        self.wake = threading.Event()
        self._running = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.acceptor.poll()  # first poll binds the port, so the gate can connect right away
        self._running = True
        self._thread = threading.Thread(target=self._loop, name=f"sim-qf-{self.port}", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        poll, wait, clear = self.acceptor.poll, self.wake.wait, self.wake.clear
        while self._running:
            try:
                poll()
            except Exception:  # noqa: BLE001 - QuickFIX errors must not end the engine
                log.exception("internal acceptor poll failed")
            if wait(self.idle_s):
                clear()

    def stop(self) -> None:
        self._running = False
        self.wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        acceptor, self.acceptor = self.acceptor, None
        if acceptor is None:
            return
        acceptor.stop(True)
        # Destroy the C++ acceptor now rather than when Python drops the proxy: the binding leaks
        # the traceback of every exception raised through a callback (RejectLogon,
        # IncorrectTagValue ...), and in poll mode those frames hold this proxy. Until the
        # acceptor is destroyed its sessions stay in QuickFIX's process-wide table, and no other
        # simulator in this process could serve the same keys. (__swig_destroy__ also disowns
        # the proxy, so nothing is freed twice.)
        type(acceptor).__swig_destroy__(acceptor)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _defaults(skew_s: int) -> fix.Dictionary:
    d = fix.Dictionary()
    for name, value in (
        ("ConnectionType", "acceptor"),
        ("BeginString", "FIXT.1.1"),
        ("DefaultApplVerID", "FIX.5.0SP2"),
        ("UseDataDictionary", "Y"),
        ("TransportDataDictionary", str(TRANSPORT_SPEC)),
        ("AppDataDictionary", str(APP_SPEC)),
        ("NonStopSession", "Y"),
        ("SocketNodelay", "Y"),
        ("SocketReuseAddress", "Y"),
        ("CheckLatency", "Y"),
        ("MaxLatency", str(skew_s)),
        ("ResetOnLogon", "N"),
        ("ResetOnLogout", "N"),
        ("ResetOnDisconnect", "N"),
        ("RefreshOnLogon", "N"),
        ("ValidateUserDefinedFields", "Y"),
        ("AllowedRemoteAddresses", "127.0.0.1"),
        ("LogonTimeout", "10"),
    ):
        d.setString(name, value)
    return d


def build_acceptors(app: fix.Application, keys: list[str], targets: dict[SessionKind, str],
                    skew_s: int, store_dir: Path | None) -> list[InternalAcceptor]:
    """One acceptor for everything, or two when RT/PT use a FileStore."""
    kinds = frozenset(targets)
    if store_dir is not None:
        store_dir.mkdir(parents=True, exist_ok=True)
        groups = [(kinds - RETRANSMIT_KINDS, False), (kinds & RETRANSMIT_KINDS, True)]
    else:
        groups = [(kinds, False)]
    out = []
    for group_kinds, use_file in groups:
        if not group_kinds:
            continue
        port = free_port()
        settings = fix.SessionSettings()
        defaults = _defaults(skew_s)
        defaults.setString("SocketAcceptPort", str(port))
        if use_file:
            defaults.setString("FileStorePath", str(store_dir))
        settings.set(defaults)
        for kind in sorted(group_kinds, key=lambda k: k.value):
            for key in keys:
                d = fix.Dictionary()
                d.setString("PersistMessages", "Y" if kind in RETRANSMIT_KINDS else "N")
                settings.set(fix.SessionID("FIXT.1.1", targets[kind], key), d)
        factory = fix.FileStoreFactory(settings) if use_file else fix.MemoryStoreFactory()
        acceptor = fix.SocketAcceptor(app, factory, settings)
        out.append(InternalAcceptor(acceptor, port, group_kinds))
    return out

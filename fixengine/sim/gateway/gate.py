"""The logon gate: our own listener per public port, in front of the internal QuickFIX acceptor.

QuickFIX's acceptor silently drops a connection whose SessionID is unknown, bound to another
port or already logged on; Kalshi instead answers with a Logout naming the reason. So one
selector thread owns every public socket: it terminates TLS, reads the first message,
decides (framing, 35=A first, TargetCompID vs port, LogonAuthority, one live connection per
key) and either writes the Kalshi Logout itself or connects to QuickFIX on loopback and
splices bytes both ways. Client->server bytes are re-framed on the way (garbled messages
are dropped as FIX prescribes; an oversized one cuts the connection); server->client frames
pass through the fault injector (delay, drop, freeze, drop session).

Thread model: everything here runs on the gate thread except `post()` (any thread), which
queues a command and wakes the selector through a socketpair.
"""

from __future__ import annotations

import logging
import selectors
import socket
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

from fixengine.config.types import SessionKind
from fixengine.sim.gateway import texts, wire
from fixengine.sim.gateway.connection import Conn, ConnState
from fixengine.sim.gateway.logon import LogonFlags, Refusal, header_of

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GateOptions:
    host: str = "127.0.0.1"
    max_body_bytes: int = 64 * 1024  # larger inbound messages cut the connection
    logon_timeout_s: float = 10.0  # a connection that sends no Logon in time is closed
    slot_wait_s: float = 3.0  # a new logon waits this long for the previous connection's clean-up
    linger_s: float = 2.0  # time allowed to flush a Logout before closing
    connection_scope: str = "key"  # "key" or "key_and_session"


@dataclass(slots=True)
class Listener:
    kind: SessionKind
    target: str  # TargetCompID clients must send on this port
    server_comp_id: str  # SenderCompID(49) the gateway writes on this port
    internal_port: int  # QuickFIX acceptor port for this kind
    wake: threading.Event  # tells that acceptor's poll thread that bytes are waiting
    sock: socket.socket
    port: int = 0


class Gate:
    """Public listeners + splice. `evaluate(kind, target, values)` decides logons;
    `on_accepted(flags, conn_id)` runs before the Logon is forwarded; `on_closed(conn, release)`
    runs after both sockets are closed and must call `release()` (from any thread) once the
    connection's clean-up (cancel-on-disconnect, QuickFIX unregistering) is done."""

    def __init__(self, options: GateOptions, ssl_context: ssl.SSLContext | None,
                 evaluate: Callable[[SessionKind, str, dict[int, str]], LogonFlags | Refusal],
                 on_accepted: Callable[[LogonFlags, int], None],
                 on_closed: Callable[[Conn, Callable[[], None]], None]) -> None:
        self.options = options
        self.ssl_context = ssl_context
        self.evaluate = evaluate
        self.on_accepted = on_accepted
        self.on_closed = on_closed
        self.selector = selectors.DefaultSelector()
        self.listeners: dict[SessionKind, Listener] = {}
        self.conns: dict[int, Conn] = {}
        self.slots: dict[str, tuple[str, int]] = {}  # slot -> ("live" | "releasing", conn id)
        self.stats = {"accepted": 0, "refused": 0, "garbled": 0, "oversized": 0, "closed_silently": 0,
                      "loop_errors": 0}
        self.refusals: deque[tuple[str, str]] = deque(maxlen=100)  # (key, text), for admin / tests
        self._commands: deque[Callable[[], None]] = deque()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self.selector.register(self._wake_r, selectors.EVENT_READ, ("wake", None))
        self._thread: threading.Thread | None = None
        self._running = False
        self._next_id = 1

    # ------------------------------------------------------------------ lifecycle
    def listen(self, kind: SessionKind, port: int, target: str, server_comp_id: str, internal_port: int,
               wake: threading.Event) -> int:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.options.host, port))
        sock.listen(64)
        sock.setblocking(False)
        listener = Listener(kind, target, server_comp_id, internal_port, wake, sock, sock.getsockname()[1])
        self.listeners[kind] = listener
        self.selector.register(sock, selectors.EVENT_READ, ("listen", listener))
        return listener.port

    def start(self) -> None:
        self._running = True
        self._thread = threading.Thread(target=self._run, name="sim-gate", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if not self._running:
            return
        self.post(self._shutdown)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.selector.close()
        self._wake_r.close()
        self._wake_w.close()

    def post(self, command: Callable[[], None]) -> None:
        """Run `command` on the gate thread (thread-safe)."""
        self._commands.append(command)
        try:
            self._wake_w.send(b"x")
        except (BlockingIOError, OSError):
            pass  # a wake byte is already pending, or we are shutting down

    # ------------------------------------------------------------------ faults (call via post)
    def find(self, key_id: str) -> list[Conn]:
        return [c for c in self.conns.values() if c.key_id == key_id and c.state is not ConnState.CLOSED]

    def drop_session(self, key_id: str) -> int:
        conns = self.find(key_id)
        for conn in conns:
            self._close(conn, abort=True)
        return len(conns)

    def describe(self) -> list[dict]:
        return [c.describe() for c in self.conns.values()]

    # ------------------------------------------------------------------ loop
    def _run(self) -> None:
        while self._running:
            try:
                self._step()
            except Exception:  # noqa: BLE001 - the gate must keep serving other sessions
                self.stats["loop_errors"] += 1
                log.exception("gate loop error contained")

    def _step(self) -> None:
        timeout = self._timers(time.monotonic())
        for key, mask in self.selector.select(timeout):
            what, obj = key.data
            if what == "wake":
                self._drain_wake()
            elif what == "listen":
                self._accept(obj)
            else:
                conn = self.conns.get(obj)
                if conn is not None:
                    self._service(conn, key.fileobj, mask)
        while self._commands:
            self._commands.popleft()()

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def _timers(self, now: float) -> float:
        """Fire state deadlines and due delayed sends; return how long the selector may sleep."""
        wait = 0.5
        for conn in list(self.conns.values()):
            if conn.deadline is not None and conn.deadline <= now:
                conn.deadline = None
                self._on_deadline(conn, now)
            if conn.state is ConnState.CLOSED:
                continue
            if conn.delayed:
                conn.flush_delayed(now)
                if conn.failed:
                    self._close(conn)
                    continue
                self._update_interest(conn)
            due = conn.next_deadline()
            if due is not None:
                wait = min(wait, max(0.0, due - now))
        return wait

    def _on_deadline(self, conn: Conn, now: float) -> None:
        state = conn.state
        if state in (ConnState.HANDSHAKE, ConnState.AWAIT_LOGON):
            self._close(conn, silent=True)
        elif state is ConnState.PARKED:
            self._try_unpark(conn, now, final=True)
        elif state is ConnState.LINGER:
            self._close(conn)

    # ------------------------------------------------------------------ accept / handshake
    def _accept(self, listener: Listener) -> None:
        try:
            sock, peer = listener.sock.accept()
        except (BlockingIOError, OSError):
            return
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn_id = self._next_id
        self._next_id += 1
        now = time.monotonic()
        state = ConnState.AWAIT_LOGON
        if self.ssl_context is not None:
            sock = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
            state = ConnState.HANDSHAKE
        conn = Conn(conn_id, listener.kind, listener.target, listener.server_comp_id, sock, peer,
                    self.options.max_body_bytes, state, now + self.options.logon_timeout_s)
        conn.internal_port = listener.internal_port
        conn.wake = listener.wake
        self.conns[conn_id] = conn
        self.selector.register(sock, selectors.EVENT_READ, ("conn", conn_id))
        if state is ConnState.HANDSHAKE:
            self._handshake(conn)

    def _handshake(self, conn: Conn) -> None:
        try:
            conn.client.do_handshake()
        except ssl.SSLWantReadError:
            conn.want_write_for_handshake = False
        except ssl.SSLWantWriteError:
            conn.want_write_for_handshake = True
        except (ssl.SSLError, OSError):
            self._close(conn, silent=True)
            return
        else:
            conn.state = ConnState.AWAIT_LOGON
            conn.want_write_for_handshake = False
        self._update_interest(conn)

    # ------------------------------------------------------------------ I/O
    def _service(self, conn: Conn, fileobj, mask: int) -> None:
        if conn.state is ConnState.HANDSHAKE:
            self._handshake(conn)
            if conn.state is not ConnState.AWAIT_LOGON:
                return
        if fileobj is conn.client:
            if mask & selectors.EVENT_WRITE:
                conn.write_client()
            if mask & selectors.EVENT_READ:
                self._read_client(conn)
        elif fileobj is conn.internal:
            if mask & selectors.EVENT_WRITE:
                conn.write_internal()
            if mask & selectors.EVENT_READ:
                self._read_internal(conn)
        if conn.failed:
            self._close(conn)
        elif conn.state is not ConnState.CLOSED:
            if conn.state is ConnState.LINGER and not conn.client_out and not conn.delayed:
                self._close(conn)
            else:
                self._update_interest(conn)

    def _read_client(self, conn: Conn) -> None:
        data = conn.read_client()
        if data is None:  # EOF or error
            self._close(conn)
            return
        if not data or conn.state is ConnState.LINGER or conn.frozen:
            return
        conn.inbound.feed(data)
        if conn.state is not ConnState.PARKED:  # a parked logon keeps what follows it for later
            self._pump_inbound(conn)
            conn.write_internal()

    def _pump_inbound(self, conn: Conn) -> None:
        while True:
            frame = conn.inbound.next_frame()
            if frame == wire.NEED_MORE:
                return
            if frame == wire.OVERSIZED:
                self.stats["oversized"] += 1
                self._close(conn, silent=conn.state is ConnState.AWAIT_LOGON)
                return
            if frame == wire.GARBLED:
                self.stats["garbled"] += 1
                if conn.state is ConnState.AWAIT_LOGON:
                    self._close(conn, silent=True)
                    return
                continue
            if conn.state is ConnState.AWAIT_LOGON:
                self._on_first_message(conn, frame)
                if conn.state is not ConnState.SPLICING:
                    return
            else:
                conn.internal_out += frame

    def _read_internal(self, conn: Conn) -> None:
        data = conn.read_internal()
        if data is None:  # QuickFIX closed the session: flush what it wrote, then close
            conn.close_internal(self.selector)
            self._linger(conn)
            return
        if data:
            conn.from_server(data, time.monotonic())

    # ------------------------------------------------------------------ logon decision
    def _on_first_message(self, conn: Conn, frame: bytes) -> None:
        if not wire.checksum_ok(frame):
            self._close(conn, silent=True)
            return
        try:
            values = header_of(wire.parse_fields(frame))
        except ValueError:
            self._close(conn, silent=True)
            return
        if values.get(35) != "A" or not values.get(49):
            self._close(conn, silent=True)
            return
        conn.key_id = values[49]
        conn.client_seq = values.get(34, "1")
        if values.get(56) != conn.target:
            self._refuse(conn, Refusal(texts.INVALID_TARGET))
            return
        outcome = self.evaluate(conn.kind, conn.target, values)
        if isinstance(outcome, Refusal):
            self._refuse(conn, outcome)
            return
        conn.flags = outcome
        conn.logon_frame = frame
        conn.slot = conn.key_id if self.options.connection_scope == "key" else f"{conn.key_id}/{conn.kind.value}"
        self._try_unpark(conn, time.monotonic(), final=False)

    def _try_unpark(self, conn: Conn, now: float, final: bool) -> None:
        held = self.slots.get(conn.slot)
        if held is None:
            self._admit(conn)
        elif held[0] == "releasing" and not final:
            if conn.state is not ConnState.PARKED:
                conn.state = ConnState.PARKED
                conn.deadline = now + self.options.slot_wait_s
        else:
            self._refuse(conn, Refusal(texts.ALREADY_EXISTS))

    def unpark_waiting(self, slot: str) -> None:
        for conn in list(self.conns.values()):
            if conn.state is ConnState.PARKED and conn.slot == slot:
                self._try_unpark(conn, time.monotonic(), final=False)
                if conn.state is not ConnState.PARKED:
                    break

    def _admit(self, conn: Conn) -> None:
        try:
            internal = socket.create_connection(("127.0.0.1", conn.internal_port), timeout=2.0)
        except OSError as exc:
            log.error("cannot reach the internal acceptor on port %s: %s", conn.internal_port, exc)
            self._close(conn, silent=True)
            return
        internal.setblocking(False)
        internal.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.internal = internal
        self.selector.register(internal, selectors.EVENT_READ, ("conn", conn.conn_id))
        self.slots[conn.slot] = ("live", conn.conn_id)
        conn.state = ConnState.SPLICING
        conn.deadline = None
        self.stats["accepted"] += 1
        self.on_accepted(conn.flags, conn.conn_id)
        conn.internal_out += conn.logon_frame
        conn.logon_frame = b""
        self._pump_inbound(conn)  # anything the client sent right behind its Logon
        conn.write_internal()
        self._update_interest(conn)

    def _refuse(self, conn: Conn, refusal: Refusal) -> None:
        self.stats["refused"] += 1
        self.refusals.append((conn.key_id, refusal.text))
        header = [(49, conn.server_comp_id), (56, conn.key_id), (34, "1"), (52, wire.utc_timestamp())]
        if refusal.sending_time_reject:
            body = [(45, conn.client_seq), (58, refusal.text), (372, "A"), (373, "10")]
            conn.client_out += wire.encode("3", header, body)
            header[2] = (34, "2")
        conn.client_out += wire.encode("5", header, [(58, refusal.text)])
        conn.write_client()
        self._linger(conn)

    def _linger(self, conn: Conn) -> None:
        if not conn.client_out and not conn.delayed:
            self._close(conn)
            return
        conn.state = ConnState.LINGER
        conn.deadline = time.monotonic() + self.options.linger_s
        self._update_interest(conn)

    # ------------------------------------------------------------------ close
    def _close(self, conn: Conn, silent: bool = False, abort: bool = False) -> None:
        if conn.state is ConnState.CLOSED:
            return
        if silent:
            self.stats["closed_silently"] += 1
        was_live = conn.slot is not None and self.slots.get(conn.slot) == ("live", conn.conn_id)
        conn.close_all(self.selector, abort)
        self.conns.pop(conn.conn_id, None)
        if not was_live:
            return
        self.slots[conn.slot] = ("releasing", conn.conn_id)
        slot, conn_id = conn.slot, conn.conn_id

        def release() -> None:
            self.post(lambda: self._release(slot, conn_id))

        try:
            self.on_closed(conn, release)
        except Exception:  # noqa: BLE001 - never leave a slot stuck
            log.exception("connection clean-up failed for %s", conn.key_id)
            release()

    def _release(self, slot: str, conn_id: int) -> None:
        if self.slots.get(slot) == ("releasing", conn_id):
            del self.slots[slot]
            self.unpark_waiting(slot)

    def _shutdown(self) -> None:
        for conn in list(self.conns.values()):
            self._close(conn, abort=True)
        for listener in self.listeners.values():
            try:
                self.selector.unregister(listener.sock)
            except (KeyError, ValueError):
                pass
            listener.sock.close()
        self._running = False

    def _update_interest(self, conn: Conn) -> None:
        conn.update_interest(self.selector)

"""One public connection of the gate: its two sockets, buffers, state and injected faults."""

from __future__ import annotations

import selectors
import socket
import ssl
import struct
from collections import deque
from enum import Enum

from fixengine.config.types import SessionKind
from fixengine.sim.gateway import wire
from fixengine.sim.gateway.logon import LogonFlags

_READ_CHUNK = 256 * 1024


class ConnState(str, Enum):
    HANDSHAKE = "tls-handshake"
    AWAIT_LOGON = "await-logon"
    PARKED = "waiting-for-previous-connection"
    SPLICING = "live"
    LINGER = "closing"
    CLOSED = "closed"


class Conn:
    """Mutable connection record; owned by the gate thread."""

    def __init__(self, conn_id: int, kind: SessionKind, target: str, server_comp_id: str,
                 client: socket.socket, peer, max_body: int, state: ConnState, deadline: float) -> None:
        self.conn_id = conn_id
        self.kind = kind
        self.target = target
        self.server_comp_id = server_comp_id
        self.client = client
        self.peer = peer
        self.internal: socket.socket | None = None
        self.internal_port = 0
        self.wake = None  # threading.Event of the internal acceptor's poll thread
        self.state = state
        self.deadline: float | None = deadline
        self.inbound = wire.FrameReader(max_body)
        self.outbound = wire.FrameReader(1 << 30)  # QuickFIX output: trusted size
        self.client_out = bytearray()
        self.internal_out = bytearray()
        self.key_id = ""
        self.client_seq = "1"
        self.flags: LogonFlags | None = None
        self.logon_frame = b""
        self.slot: str | None = None
        self.failed = False
        self.want_write_for_handshake = False
        # injected faults
        self.delay_s = 0.0
        self.delayed: deque[tuple[float, bytes]] = deque()
        self.drop_outbound = 0
        self.drop_msg_type: str | None = None
        self.frozen = False
        self.dropped = 0
        self._masks: dict[int, int] = {}

    # ------------------------------------------------------------------ reads
    def read_client(self) -> bytes | None:
        """Bytes available (b"" if none yet); None on EOF or a fatal error."""
        chunks = []
        sock = self.client
        try:
            while True:
                data = sock.recv(_READ_CHUNK)
                if not data:
                    return b"".join(chunks) if chunks else None
                chunks.append(data)
                if not (isinstance(sock, ssl.SSLSocket) and sock.pending()):
                    break
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError, InterruptedError):
            pass
        except (OSError, ssl.SSLError):
            return b"".join(chunks) if chunks else None
        return b"".join(chunks)

    def read_internal(self) -> bytes | None:
        try:
            data = self.internal.recv(_READ_CHUNK)
        except (BlockingIOError, InterruptedError):
            return b""
        except OSError:
            return None
        return data or None

    # ------------------------------------------------------------------ writes
    def write_client(self) -> None:
        if self.frozen:
            return
        self._flush(self.client, self.client_out)

    def write_internal(self) -> None:
        if self.internal is not None and self.internal_out:
            self._flush(self.internal, self.internal_out)
            self.wake.set()

    def _flush(self, sock: socket.socket, buf: bytearray) -> None:
        while buf:
            try:
                sent = sock.send(buf[:_READ_CHUNK])
            except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError, InterruptedError):
                return
            except (OSError, ssl.SSLError):
                self.failed = True
                buf.clear()
                return
            del buf[:sent]

    # ------------------------------------------------------------------ server -> client with faults
    def from_server(self, data: bytes, now: float) -> None:
        reader = self.outbound
        reader.feed(data)
        while True:
            frame = reader.next_frame()
            if not isinstance(frame, bytes):
                if frame == wire.NEED_MORE:
                    break
                continue
            if self.frozen:
                self.dropped += 1
                continue
            if self.drop_outbound and (self.drop_msg_type is None or _msg_type(frame) == self.drop_msg_type):
                self.drop_outbound -= 1
                self.dropped += 1
                continue
            if self.delay_s > 0 or self.delayed:
                self.delayed.append((now + self.delay_s, frame))
            else:
                self.client_out += frame
        self.write_client()

    def flush_delayed(self, now: float) -> None:
        moved = False
        while self.delayed and self.delayed[0][0] <= now:
            self.client_out += self.delayed.popleft()[1]
            moved = True
        if moved:
            self.write_client()

    def next_deadline(self) -> float | None:
        times = [t for t in (self.deadline, self.delayed[0][0] if self.delayed else None) if t is not None]
        return min(times) if times else None

    # ------------------------------------------------------------------ selector bookkeeping
    def update_interest(self, selector: selectors.BaseSelector) -> None:
        client_mask = selectors.EVENT_READ
        if (self.client_out and not self.frozen) or (self.state is ConnState.HANDSHAKE and self.want_write_for_handshake):
            client_mask |= selectors.EVENT_WRITE
        self._set_mask(selector, self.client, client_mask)
        if self.internal is not None:
            mask = selectors.EVENT_READ | (selectors.EVENT_WRITE if self.internal_out else 0)
            self._set_mask(selector, self.internal, mask)

    def _set_mask(self, selector: selectors.BaseSelector, sock: socket.socket, mask: int) -> None:
        fd = sock.fileno()
        if fd < 0 or self._masks.get(fd, selectors.EVENT_READ) == mask:
            return
        selector.modify(sock, mask, ("conn", self.conn_id))
        self._masks[fd] = mask

    def close_internal(self, selector: selectors.BaseSelector) -> None:
        if self.internal is None:
            return
        _unregister_close(selector, self.internal, abort=False)
        self.internal = None
        self.internal_out.clear()

    def close_all(self, selector: selectors.BaseSelector, abort: bool) -> None:
        self.close_internal(selector)
        _unregister_close(selector, self.client, abort)
        self.state = ConnState.CLOSED
        self.delayed.clear()

    def describe(self) -> dict:
        return {
            "conn_id": self.conn_id, "key_id": self.key_id, "session": self.target, "state": self.state.value,
            "peer": f"{self.peer[0]}:{self.peer[1]}" if self.peer else "", "tls": isinstance(self.client, ssl.SSLSocket),
            "delay_ms": int(self.delay_s * 1000), "drop_outbound": self.drop_outbound, "frozen": self.frozen,
            "dropped": self.dropped, "garbled_inbound": self.inbound.garbled,
            "flags": self.flags.as_dict() if self.flags else None,
        }


def _msg_type(frame: bytes) -> str:
    start = frame.find(b"\x0135=") + 4
    return frame[start : frame.find(b"\x01", start)].decode("ascii", "replace")


def _unregister_close(selector: selectors.BaseSelector, sock: socket.socket, abort: bool) -> None:
    try:
        selector.unregister(sock)
    except (KeyError, ValueError, OSError):
        pass
    try:
        if abort:  # RST instead of FIN: the peer sees the connection vanish
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass

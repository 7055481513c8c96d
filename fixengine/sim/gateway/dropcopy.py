"""KalshiDC on the simulator: answer EventResendRequest (35=U1) from the exchange's history.

Facts (part2 §3.3-3.5, §3.8):
* U1 21001 BeginExecID (inclusive), optional 21002 EndExecID (inclusive; omitted = the newest
  event of the user's history on BeginExecID's exchange index). A range stays on one index.
* The answer is every matching ExecutionReport of the user's history (never rejects, never
  pending reports -- the exchange's history holds only events with a real ExecID), each encoded
  exactly as order entry would (encode.py, with the DC session's Logon flags), under new DC
  MsgSeqNums, then EventResendComplete U2 (45 = the U1's MsgSeqNum, 21003 = count);
  or EventResendReject U3 with 21004: 1 rate limited, 2 server error, 3 BeginExecID too small /
  outside the 3 h look-back, 4 EndExecID too large.

Choices where Kalshi is UNCONFIRMED (configurable in DropCopyOptions):
* U1 rate limit: `max_requests` per `window_s` per API key (default 5 per second).
* Reason 3 is given when the range reaches into history that has left the look-back window, i.e.
  Begin <= the newest of the user's events on that index older than 3 h (an earlier Begin with no
  expired events in between loses nothing, so it is served), and for a malformed / pending Begin.
* Reason 4 is given when End is beyond the newest ExecID the exchange has issued on that index,
  when End is malformed, below Begin, or on another index than Begin.
* Orders accepted and traded in one call were shown live with the ack folded into the first
  fill; on replay each history event is its own report (the ack keeps its own ExecID, so a client
  de-duplicating on ExecID is unaffected). PossDupFlag is not set on replays (UNCONFIRMED).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

import quickfix as fix

from fixengine.config.types import SessionKind
from fixengine.fix import msgtypes as MT
from fixengine.fix import tags as T
from fixengine.sim.exchange.events import OrderAccepted, OrderCanceled, OrderFilled, OrderReplaced
from fixengine.sim.exchange.ids import exec_id_key
from fixengine.sim.gateway import encode
from fixengine.sim.gateway.logon import LogonFlags, Refusal
from fixengine.sim.gateway.registry import SessionEntry

log = logging.getLogger(__name__)

#: Logout text for a subaccount-restricted key on KalshiDC / a listener (wording UNCONFIRMED).
RESTRICTED_KEY_TEXT = "API keys restricted to a subaccount cannot open drop copy or listener sessions"

REASON_RATE_LIMITED = 1
REASON_SERVER_ERROR = 2
REASON_BEGIN_TOO_SMALL = 3
REASON_END_TOO_LARGE = 4


@dataclass(frozen=True, slots=True)
class DropCopyOptions:
    lookback: timedelta = timedelta(hours=3)
    max_requests: int = 5  # U1 per key within window_s (Kalshi's threshold is UNCONFIRMED)
    window_s: float = 1.0


class DropCopyRangeError(Exception):
    def __init__(self, reason: int) -> None:
        super().__init__(reason)
        self.reason = reason


class DropCopyReplayer:
    """Serves U1 on KalshiDC sessions. `fail_next` injects server errors (U3 2) for tests/admin."""

    def __init__(self, exchange, clock: Callable[[], datetime], options: DropCopyOptions | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.exchange = exchange
        self.clock = clock
        self.options = options or DropCopyOptions()
        self.monotonic = monotonic
        self.fail_next = 0
        self.requests = 0
        self.replayed = 0
        self.rejects: dict[int, int] = {}
        self._recent: dict[str, deque] = {}
        self._lock = threading.Lock()

    def reset_budget(self) -> None:
        """Forget the U1 requests counted against each key's rate limit (certification runs reset
        it between scenarios so one scenario's requests never refuse the next one's)."""
        with self._lock:
            self._recent.clear()

    # ------------------------------------------------------------------ entry point
    def handle(self, entry: SessionEntry, msg: fix.Message) -> None:
        ref_seq = msg.getHeader().getField(T.MSG_SEQ_NUM)
        self.requests += 1
        if not self._allow(entry.key_id):
            return self._reject(entry, ref_seq, REASON_RATE_LIMITED)
        begin = msg.getField(T.BEGIN_EXEC_ID)
        end = msg.getField(T.END_EXEC_ID) if msg.isSetField(T.END_EXEC_ID) else None
        try:
            if self._take_fault():
                raise RuntimeError("injected drop-copy server error")
            events = self.select(entry.user_id, begin, end)
            messages = [self._encode(event, entry) for event in events]
        except DropCopyRangeError as exc:
            return self._reject(entry, ref_seq, exc.reason)
        except Exception:  # noqa: BLE001 - any failure is "server error" to the client, never a crash
            log.exception("drop-copy replay failed")
            return self._reject(entry, ref_seq, REASON_SERVER_ERROR)
        for message in messages:
            entry.session.send(message)
        self.replayed += len(messages)
        done = encode._new(MT.EVENT_RESEND_COMPLETE)
        done.setField(T.REF_SEQ_NUM, ref_seq)
        done.setField(T.RESEND_EVENT_COUNT, str(len(messages)))
        entry.session.send(done)

    # ------------------------------------------------------------------ range selection
    def select(self, user_id: str, begin: str, end: str | None) -> list:
        """The user's history events in [begin, end] on begin's index, or DropCopyRangeError."""
        try:
            lo = exec_id_key(begin)
        except ValueError:
            raise DropCopyRangeError(REASON_BEGIN_TOO_SMALL) from None
        shard = lo[0]
        newest = self.exchange.last_exec_id(shard)
        hi = None
        if end is not None:
            try:
                hi = exec_id_key(end)
            except ValueError:
                raise DropCopyRangeError(REASON_END_TOO_LARGE) from None
            if hi[0] != shard or hi < lo or newest is None or hi > exec_id_key(newest):
                raise DropCopyRangeError(REASON_END_TOO_LARGE)
        cutoff = self.clock() - self.options.lookback
        out = []
        for event in self.exchange.history(user_id, shard=shard):
            key = exec_id_key(event.exec_id)
            if _event_time(event) < cutoff:
                if key >= lo:  # the range reaches into history that is no longer kept
                    raise DropCopyRangeError(REASON_BEGIN_TOO_SMALL)
                continue
            if key >= lo and (hi is None or key <= hi):
                out.append(event)
        out.sort(key=lambda e: exec_id_key(e.exec_id))
        return out

    # ------------------------------------------------------------------ helpers
    def _allow(self, key_id: str) -> bool:
        now = self.monotonic()
        with self._lock:
            recent = self._recent.setdefault(key_id, deque())
            while recent and now - recent[0] >= self.options.window_s:
                recent.popleft()
            if len(recent) >= self.options.max_requests:
                return False
            recent.append(now)
            return True

    def _take_fault(self) -> bool:
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return True
            return False

    def _encode(self, event, entry: SessionEntry) -> fix.Message:
        flags = entry.flags
        if isinstance(event, OrderAccepted):
            return encode.accepted_report(event.order, event.exec_id, flags)
        if isinstance(event, OrderFilled):
            return encode.fill_report(event, flags)
        if isinstance(event, OrderCanceled):
            return encode.canceled_report(event, flags)
        if isinstance(event, OrderReplaced):
            return encode.replaced_report(event, flags)
        raise TypeError(f"not a history event: {type(event).__name__}")

    def _reject(self, entry: SessionEntry, ref_seq: str, reason: int) -> None:
        self.rejects[reason] = self.rejects.get(reason, 0) + 1
        msg = encode._new(MT.EVENT_RESEND_REJECT)
        msg.setField(T.REF_SEQ_NUM, ref_seq)
        msg.setField(T.EVENT_RESEND_REJECT_REASON, str(reason))
        entry.session.send(msg)


def _event_time(event) -> datetime:
    fill = getattr(event, "fill", None)
    return fill.time if fill is not None else event.order.transact_time


def restricted_key_refusal(key_subaccount: int | None, flags: LogonFlags) -> Refusal | None:
    """Kalshi (changelog 2026-07-02): keys restricted to one subaccount cannot open drop-copy
    sessions, nor listener sessions (part2 §3.2, §3.6)."""
    if key_subaccount is not None and (flags.kind is SessionKind.DC or flags.listener):
        return Refusal(RESTRICTED_KEY_TEXT)
    return None


class DropCopyDispatch:
    """Put in front of the OrderHandler: U1 on KalshiDC goes to the replayer, the rest as before
    (any other message on DC is answered by the handler's 35=j 380=3 "unsupported")."""

    def __init__(self, handler, replayer: DropCopyReplayer) -> None:
        self.handler = handler
        self.replayer = replayer

    def handle(self, entry: SessionEntry, msg: fix.Message) -> None:
        if entry.kind is SessionKind.DC and msg.getHeader().getField(T.MSG_TYPE) == MT.EVENT_RESEND_REQUEST:
            return self.replayer.handle(entry, msg)
        return self.handler.handle(entry, msg)

    def __getattr__(self, name: str):
        return getattr(self.handler, name)

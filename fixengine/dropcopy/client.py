"""Drop-copy clients: KalshiDC range replay and the live listener session (part2 §3).

    with DropCopyClient(cfg) as dc:                  # cfg has a DC session (own API key)
        replay = dc.request("8812000;1", "8812034;57")   # -> Replay(reports, count)
        for report in dc.replay("90211;4;1"): ...        # open-ended, exchange index 1

    with ListenerClient(cfg, kind=SessionKind.NR, reconciler=rec) as lst:
        lst.wait_for(lambda seen: len(seen) >= 3)    # every ER of the account, fed to rec

KalshiDC answers one EventResendRequest (U1) with the replayed ExecutionReports and then U2
(count), or with U3 (reason). Reasons 1 (rate limited) and 2 (server error) are transient:
`request` retries them with exponential backoff (`retries`, `backoff_s`); 3 (BeginExecID too
small / outside the 3 h look-back) and 4 (EndExecID too large) are the caller's range problem
and raise DropCopyRejected at once. Requests are serialised: U2/U3 name the U1's MsgSeqNum,
and reports between a U1 and its answer belong to it.

The listener is a normal KalshiNR/RT logon with 20126=Y, 21011=Y and no 8013 (forced here
whatever the config says); it is read-only, so it never sends anything but session messages.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable, Iterator

import quickfix as fix

from fixengine.config.types import EngineConfig, SessionKind
from fixengine.errors import FixEngineError
from fixengine.fix import msgtypes as MT
from fixengine.fix import tags as T
from fixengine.model import ExecReport
from fixengine.dropcopy.connection import ResendAwareConnection

log = logging.getLogger(__name__)

REJECT_REASONS = {
    1: "too many resend requests (rate limited)",
    2: "server error",
    3: "BeginExecID too small or outside the 3 h look-back window",
    4: "EndExecID too large",
}
TRANSIENT_REASONS = frozenset({1, 2})


class DropCopyError(FixEngineError):
    """The drop-copy session could not answer (not logged on, timeout, count mismatch)."""


class DropCopyRejected(DropCopyError):
    def __init__(self, reason: int, begin: str, end: str | None) -> None:
        what = REJECT_REASONS.get(reason, f"unknown reason {reason}")
        super().__init__(f"KalshiDC rejected replay {begin}..{end or '(latest)'}: 21004={reason} {what}")
        self.reason = reason
        self.transient = reason in TRANSIENT_REASONS


@dataclass(frozen=True, slots=True)
class Replay:
    begin: str
    end: str | None
    reports: list[ExecReport]
    count: int  # ResendEventCount (21003) as the server gave it


class _Collector:
    """SessionHandler for both clients: ExecReports go to `on_report`; the rest is logged."""

    def __init__(self, name: str, on_report: Callable[[ExecReport], None]) -> None:
        self.name = name
        self.on_report = on_report
        self.errors: list[str] = []
        self.business_rejects: list = []

    def on_session_event(self, kind, event, text) -> None:
        log.info("%s %s %s", self.name, event, text or "")

    def on_exec_report(self, report, wire=None) -> None:
        self.on_report(report)

    def on_cancel_reject(self, reject) -> None:
        log.warning("%s: unexpected OrderCancelReject %s", self.name, reject)

    def on_mass_cancel_report(self, report) -> None:
        log.warning("%s: unexpected OrderMassCancelReport %s", self.name, report)

    def on_business_reject(self, reject) -> None:
        self.business_rejects.append(reject)
        log.warning("%s: BusinessMessageReject %s", self.name, reject)

    def on_session_reject(self, reject) -> None:
        self.errors.append(f"session reject: {reject}")
        log.warning("%s: session Reject %s", self.name, reject)

    def on_parse_error(self, kind, error, raw) -> None:
        self.errors.append(f"{error}: {raw[:200]}")
        log.error("%s: unparseable message %s: %s", self.name, error, raw[:200])


class _Pending:
    def __init__(self) -> None:
        self.reports: list[ExecReport] = []
        self.done = threading.Event()
        self.count: int | None = None
        self.reason: int | None = None
        self.ref_seq: str | None = None


class DropCopyClient:
    def __init__(self, cfg: EngineConfig, *, retries: int = 3, backoff_s: float = 0.5,
                 logout_timeout: float = 2.0, dictionaries: tuple | None = None) -> None:
        cfg.session(SessionKind.DC)  # ConfigError when no DC session is configured
        self.logout_timeout = logout_timeout
        self.closed = False
        self.retries = retries
        self.backoff_s = backoff_s
        self._pending: _Pending | None = None
        self._request_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self.stray_reports = 0  # ERs outside any request (none expected: DC never streams)
        self.collector = _Collector("KalshiDC", self._on_report)
        self.conn = ResendAwareConnection(cfg, self.collector, [SessionKind.DC], self._on_answer,
                                          dictionaries=dictionaries)

    # ------------------------------------------------------------------ lifecycle
    def connect(self, timeout: float = 10.0) -> DropCopyClient:
        self.conn.start()
        self.conn.wait_logon(SessionKind.DC, timeout)
        return self

    def close(self) -> None:
        """Log out (waiting up to logout_timeout for the answer; nothing is lost on a read-only
        session if it is cut short) and stop QuickFIX."""
        with self._request_lock:
            self.closed = True  # the QuickFIX session is destroyed: nothing may be sent on it again
        self.conn.stop(self.logout_timeout)

    def __enter__(self) -> DropCopyClient:
        return self.connect()

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ requests
    def request(self, begin: str, end: str | None = None, timeout: float = 30.0) -> Replay:
        """Replay [begin, end] (end None = newest on begin's exchange index); retries reasons 1 and 2."""
        attempt = 0
        while True:
            try:
                return self._request_once(begin, end, timeout)
            except DropCopyRejected as exc:
                if not exc.transient or attempt >= self.retries:
                    raise
                delay = self.backoff_s * (2 ** attempt)
                attempt += 1
                log.warning("%s; retrying in %.2f s", exc, delay)
                time.sleep(delay)

    def replay(self, begin: str, end: str | None = None, timeout: float = 30.0) -> Iterator[ExecReport]:
        yield from self.request(begin, end, timeout).reports

    def _request_once(self, begin: str, end: str | None, timeout: float) -> Replay:
        with self._request_lock:
            pending = _Pending()
            with self._state_lock:
                self._pending = pending
            try:
                msg = fix.Message()
                msg.getHeader().setField(T.MSG_TYPE, MT.EVENT_RESEND_REQUEST)
                msg.setField(T.BEGIN_EXEC_ID, begin)
                if end is not None:
                    msg.setField(T.END_EXEC_ID, end)
                if self.closed:
                    raise DropCopyError("KalshiDC client is closed")
                if not self.conn.send(SessionKind.DC, msg):
                    raise DropCopyError("KalshiDC is not logged on")
                if not pending.done.wait(timeout):
                    raise DropCopyError(f"KalshiDC: no U2/U3 for replay {begin}..{end or '(latest)'} "
                                        f"within {timeout:g} s ({len(pending.reports)} reports so far)")
            finally:
                with self._state_lock:
                    self._pending = None
        if pending.reason is not None:
            raise DropCopyRejected(pending.reason, begin, end)
        if pending.count != len(pending.reports):
            raise DropCopyError(f"KalshiDC: U2 says {pending.count} reports, {len(pending.reports)} arrived")
        return Replay(begin, end, pending.reports, pending.count)

    # ------------------------------------------------------------------ QuickFIX thread
    def _on_report(self, report: ExecReport) -> None:
        with self._state_lock:
            if self._pending is None:
                self.stray_reports += 1
                return
            self._pending.reports.append(report)

    def _on_answer(self, msg_type: str, message: fix.Message) -> None:
        with self._state_lock:
            pending = self._pending
            if pending is None:
                log.warning("KalshiDC: 35=%s without a request in flight", msg_type)
                return
            pending.ref_seq = message.getField(T.REF_SEQ_NUM) if message.isSetField(T.REF_SEQ_NUM) else None
            if msg_type == MT.EVENT_RESEND_COMPLETE:
                pending.count = int(message.getField(T.RESEND_EVENT_COUNT))
            else:
                pending.reason = int(message.getField(T.EVENT_RESEND_REJECT_REASON))
            pending.done.set()


def listener_config(cfg: EngineConfig, kind: SessionKind) -> EngineConfig:
    """`cfg` with the `kind` session's Logon made a listener logon: 20126=Y, 21011=Y, 8013 absent."""
    if kind not in (SessionKind.NR, SessionKind.RT):
        raise DropCopyError(f"listener sessions exist on KalshiNR and KalshiRT only, not {kind.value}")
    scfg = cfg.session(kind)
    logon = dataclasses.replace(scfg.logon, listener=True, skip_pending_exec_reports=True,
                                cancel_orders_on_disconnect=None)
    sessions = dict(cfg.sessions)
    sessions[kind] = dataclasses.replace(scfg, logon=logon)
    return dataclasses.replace(cfg, sessions=MappingProxyType(sessions))


class ListenerClient:
    """Streams every ExecutionReport of the account; optional `reconciler` (recon.Reconciler) gets
    each report through `feed`, `on_report` is called too (QuickFIX's thread: keep it short)."""

    def __init__(self, cfg: EngineConfig, kind: SessionKind = SessionKind.NR, *, reconciler=None,
                 on_report: Callable[[ExecReport], None] | None = None, logout_timeout: float = 2.0,
                 dictionaries: tuple | None = None) -> None:
        self.kind = kind
        self.logout_timeout = logout_timeout
        self.reconciler = reconciler
        self.user_callback = on_report
        self.reports: list[ExecReport] = []
        self.breaks: list = []
        self._changed = threading.Condition()
        self.collector = _Collector(f"listener {kind.value}", self._on_report)
        self.conn = ResendAwareConnection(listener_config(cfg, kind), self.collector, [kind],
                                          lambda t, m: log.warning("listener: unexpected 35=%s", t),
                                          dictionaries=dictionaries)

    def connect(self, timeout: float = 10.0) -> ListenerClient:
        self.conn.start()
        self.conn.wait_logon(self.kind, timeout)
        return self

    def close(self) -> None:
        self.conn.stop(self.logout_timeout)

    def __enter__(self) -> ListenerClient:
        return self.connect()

    def __exit__(self, *exc) -> None:
        self.close()

    def wait_for(self, predicate: Callable[[list[ExecReport]], bool], timeout: float = 10.0) -> bool:
        """Block until predicate(reports received so far) holds; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self.reports):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
            return True

    def _on_report(self, report: ExecReport) -> None:
        with self._changed:
            self.reports.append(report)
            if self.reconciler is not None:
                self.breaks += self.reconciler.feed(report)
            self._changed.notify_all()
        if self.user_callback is not None:
            self.user_callback(report)

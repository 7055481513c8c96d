"""SettlementClient: market settlement reports from a KalshiPT session (part 2 §4).

    with SettlementClient(cfg) as client:              # cfg has a PT session (its own API key)
        batch = client.next_batch(timeout=60)          # SettlementBatch, or None on timeout
        print(batch.symbol, batch.result, batch.payout, batch.realized_pnl)

    client = SettlementClient(cfg, engine=engine)      # settle into a trading engine's book
    client.on_batch(lambda b: ...)                     # called on QuickFIX's thread
    client.connect()

KalshiPT ("Post Trade", 8231) is a read-only session: settlement reports (35=UMS) are on by
default (20127 omitted or Y; 20127=N would leave it silent, so it is refused here). It
retransmits (newest docs): with `reset_on_logon: false` and a file store, pages sent while this
client was away are resent after the reconnect (PossDupFlag 43=Y) and the journal drops the
ones it already has. MessageRetentionPeriod (20200, hours, <= 72) comes from the config's
`logon.message_retention_hours`. One live connection per API key: the PT session needs a key of
its own, not the trading key.

Every page is journaled (SQLite, raw wire kept), applied to a Book, and reassembled by Symbol;
each complete batch goes to `batches` (a queue) and to the `on_batch` callbacks. Pages that
cannot be parsed are journaled raw with the reason and counted; nothing raises into QuickFIX.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import quickfix as fix

from fixengine.book import Book
from fixengine.config.types import EngineConfig, SessionKind
from fixengine.errors import FixEngineError, UserInputError
from fixengine.fix import msgtypes as MT
from fixengine.session.app import KalshiSessionApp
from fixengine.session.connection import FixConnection
from fixengine.settlement.batches import SettlementBatch
from fixengine.settlement.journal import SettlementJournal
from fixengine.settlement.processor import SettlementProcessor

log = logging.getLogger(__name__)

SETTLEMENT_KINDS = (SessionKind.PT, SessionKind.RT)


class SettlementError(FixEngineError):
    """The settlement session cannot be used as configured."""


def default_settlement_journal(cfg: EngineConfig, kind: SessionKind) -> Path:
    """One settlement journal per (API key, session kind) under storage.journal_dir."""
    return cfg.storage.journal_dir / f"settlements-{cfg.session(kind).api_key_id}-{kind.value}.sqlite"


def check_settlement_session(cfg: EngineConfig, kind: SessionKind) -> None:
    """Refuse a session that would never deliver settlement reports."""
    if kind not in SETTLEMENT_KINDS:
        raise SettlementError(f"settlement reports come on KalshiPT, or KalshiRT with 20127=Y; not on {kind.value}")
    flag = cfg.session(kind).logon.receive_settlement_reports
    if kind is SessionKind.PT and flag is False:
        raise SettlementError(f"{cfg.source}: sessions.PT.logon.receive_settlement_reports is false (20127=N): "
                              "KalshiPT would send no settlement reports")
    if kind is SessionKind.RT and flag is not True:
        raise SettlementError(f"{cfg.source}: sessions.RT.logon.receive_settlement_reports must be true "
                              "(KalshiRT sends settlement reports only after 20127=Y)")


class _SettlementApp(KalshiSessionApp):
    """Hands UMS pages over as wire text (kept raw in the journal, parsed by the processor)."""

    def from_app(self, message: fix.Message, session_id: fix.SessionID) -> None:
        if message.getHeader().getField(35) == MT.MARKET_SETTLEMENT_REPORT:
            state = self._state_fast(session_id)
            self.handler.on_settlement_wire(state.name, message.toString())
            return
        super().from_app(message, session_id)


class _Handler:
    """SessionHandler of the settlement session: pages to the processor, the rest logged."""

    def __init__(self, client: SettlementClient) -> None:
        self.client = client
        self.session_events: list[tuple[str, str | None]] = []
        self.parse_errors: list[str] = []

    def on_settlement_wire(self, session: str, wire: str) -> None:
        self.client._on_wire(session, wire)

    def on_settlement_report(self, report) -> None:  # only reached without _SettlementApp
        self.client._on_report(report)

    def on_session_event(self, kind, event, text) -> None:
        self.session_events.append((event, text))
        log.info("settlement session %s %s %s", kind.value, event, text or "")

    def on_exec_report(self, report, wire=None) -> None:
        log.debug("settlement session: ExecutionReport %s ignored", report.exec_id)

    def on_cancel_reject(self, reject) -> None:
        log.warning("settlement session: unexpected OrderCancelReject %s", reject)

    def on_mass_cancel_report(self, report) -> None:
        log.warning("settlement session: unexpected OrderMassCancelReport %s", report)

    def on_business_reject(self, reject) -> None:
        log.warning("settlement session: BusinessMessageReject %s", reject)

    def on_session_reject(self, reject) -> None:
        log.warning("settlement session: session Reject %s", reject)

    def on_parse_error(self, kind, error, raw) -> None:
        self.parse_errors.append(f"{error}: {raw[:200]}")
        log.error("settlement session: unparseable message %s: %s", error, raw[:200])


class SettlementClient:
    def __init__(self, cfg: EngineConfig, *, kind: SessionKind | str = SessionKind.PT,
                 journal_path: str | Path | None = None, book=None, book_lock=None, engine=None,
                 on_batch: Callable[[SettlementBatch], None] | None = None, logout_timeout: float = 2.0,
                 party_subaccount: Mapping[str, int] | None = None, dictionaries: tuple | None = None) -> None:
        """`book` (with `book_lock` if shared) or `engine` (its book and lock) receives the
        settlements; by default the client keeps a Book of its own, rebuilt from the journal.
        `party_subaccount`: MarketSettlementPartyID -> subaccount, when known (else inferred)."""
        self.kind = SessionKind(kind)
        check_settlement_session(cfg, self.kind)
        if engine is not None:
            if book is not None:
                raise UserInputError("give either book= or engine=, not both")
            if engine.kind is SessionKind.RT and engine.session_cfg.logon.receive_settlement_reports:
                # Both sessions would settle the same positions; should Kalshi number the pages
                # differently per session, payouts would be booked twice.
                raise SettlementError("this engine's KalshiRT session already receives settlement reports "
                                      "(20127=Y): attach the PT client to an engine without them")
            book, book_lock = engine.book, engine._lock
        on_applied = engine.apply_settlement_page if engine is not None else None
        own_book = book is None
        self.book = Book() if own_book else book
        self.journal = SettlementJournal(journal_path or default_settlement_journal(cfg, self.kind))
        # A shared book already holds what it saw; replaying the journal is harmless (the book
        # skips report ids it knows) and brings back settlements it did not see.
        self.processor = SettlementProcessor(self.journal, book=self.book, book_lock=book_lock,
                                             restore_book=True, event_queue=True,
                                             party_subaccount=party_subaccount, on_applied=on_applied)
        if on_batch is not None:
            self.processor.on_batch(on_batch)
        self.logout_timeout = logout_timeout
        self.received: list[SettlementBatch] = []
        self._changed = threading.Condition()
        self.handler = _Handler(self)
        try:
            self.conn = FixConnection(cfg, self.handler, [self.kind], dictionaries=dictionaries,
                                      app_factory=lambda states, h, conn: _SettlementApp(states, h, conn))
        except BaseException:
            self.processor.close()
            raise

    # ------------------------------------------------------------------ lifecycle
    def connect(self, timeout: float = 10.0) -> SettlementClient:
        self.conn.start()
        self.conn.wait_logon(self.kind, timeout)
        return self

    def close(self) -> None:
        """Log out, stop QuickFIX, close the journal."""
        self.conn.stop(self.logout_timeout)
        self.processor.close()

    def __enter__(self) -> SettlementClient:
        return self.connect()

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def logged_on(self) -> bool:
        return self.conn.is_logged_on(self.kind)

    # ------------------------------------------------------------------ consuming
    def on_batch(self, callback: Callable[[SettlementBatch], None]) -> None:
        self.processor.on_batch(callback)

    @property
    def batches(self) -> queue.SimpleQueue[SettlementBatch]:
        return self.processor.batches

    def next_batch(self, timeout: float | None = None) -> SettlementBatch | None:
        """The next closed batch from the queue; None after `timeout` seconds."""
        try:
            return self.processor.batches.get(timeout=timeout)
        except queue.Empty:
            return None

    def wait_for(self, predicate: Callable[[list[SettlementBatch]], bool], timeout: float = 10.0) -> bool:
        """Block until predicate(every batch received so far) holds; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self.received):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
            return True

    def pending(self) -> list[SettlementBatch]:
        """Batches still waiting for pages."""
        return self.processor.pending()

    @property
    def stats(self) -> dict[str, int]:
        p = self.processor
        return {"pages": p.applied, "duplicates": p.duplicates, "rejected": p.rejected,
                "batches": len(self.received), "callback_errors": p.callback_errors}

    # ------------------------------------------------------------------ QuickFIX thread
    def _on_wire(self, session: str, wire: str) -> None:
        self._publish(self.processor.handle_wire(wire, session))

    def _on_report(self, report) -> None:
        self._publish(self.processor.handle_report(report, None, self.kind.value))

    def _publish(self, outcome) -> None:
        if outcome.batches:
            with self._changed:
                self.received.extend(outcome.batches)
                self._changed.notify_all()
        self.processor.deliver(outcome)

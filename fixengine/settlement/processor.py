"""What happens to a MarketSettlementReport page, for the KalshiPT client and the RT engine alike.

    proc = SettlementProcessor(SettlementJournal(path), book=Book())
    proc.on_batch(lambda batch: print(batch.symbol, batch.result, batch.payout))
    outcome = proc.process_wire(wire, session="KalshiPT")  # parse, dedup, book, journal, assemble,
                                                           # then callbacks / queue (outside the lock)

Per page: (1) a page whose MarketSettlementReportID (20105) is already journaled is a duplicate -
a PossDup resend after a reconnect, or a replay - and changes nothing; (2) each party entry is
applied to the book through `Book.apply_settlement` (the book's own holding is closed at the
settlement value; payout and fee are booked), reading the party's position before and after so
the journal can keep the cost and realized P&L; (3) the page, its parties and its raw text are
journaled; (4) the batch assembler closes the batch when its pages are all in, and the batch is
journaled. A page that cannot be parsed is journaled raw in `rejected` with the reason; it never
raises into QuickFIX's thread.

Party semantics: a user's PT (or RT 20127=Y) session carries entries for the user's own
account and subaccounts only; MarketSettlementPartyID's format is UNCONFIRMED (part 2 §4.2), so
each entry's subaccount is resolved by parties.PartyResolver (explicit mapping, decimal id, or
the one subaccount holding exactly the settled quantities; else the primary account 0).

Realized P&L is known when the book held exactly what the report settles (then it is the
settlement value minus the book's cost); otherwise it is recorded as unknown (None), e.g. for a
stand-alone PT client whose book never saw the fills.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path

from fixengine.fanout import fan_out
from fixengine.model import SettlementReport
from fixengine.session.parse import MessageParseError, parse_settlement_report_text
from fixengine.settlement.batches import BatchAssembler, BatchParty, SettlementBatch
from fixengine.settlement.journal import SettlementJournal
from fixengine.settlement.parties import PartyResolver

log = logging.getLogger(__name__)

APPLIED, DUPLICATE, REJECTED = "applied", "duplicate", "rejected"
ERRORS_KEPT = 100  # newest parse / assembly problems kept in `errors` (all rejected pages stay in the journal)


@dataclass(slots=True)
class PageOutcome:
    status: str  # applied | duplicate | rejected
    report: SettlementReport | None = None
    batches: list[SettlementBatch] = field(default_factory=list)  # batches this page closed
    error: str | None = None


class SettlementProcessor:
    """Dedup + book + journal + batch assembly; thread-safe (one lock, re-entrant)."""

    def __init__(self, journal: SettlementJournal | Callable[[], SettlementJournal], *, book=None,
                 book_lock=None, restore_book: bool = False, event_queue: bool = False,
                 party_subaccount: Mapping[str, int] | Callable[[str], int | None] | None = None,
                 on_applied: Callable[[SettlementReport], None] | None = None) -> None:
        """`journal` may be a factory: it is then opened on first use (an engine that never sees a
        settlement creates no file). `book_lock` guards `book` when others share it (the engine's
        lock). `restore_book` re-applies every journaled page to `book` when the journal opens
        (a client with its own book; the book skips report ids it already knows).
        `party_subaccount` maps party ids (20109) to subaccounts; see parties.py for the rest.
        `on_applied(page)` is called (book lock held) with every page given to the book, its party
        ids replaced by subaccount numbers - an Engine closes its risk positions there."""
        self._journal_or_factory = journal
        self._journal: SettlementJournal | None = journal if isinstance(journal, SettlementJournal) else None
        self.book = book
        self._book_lock = book_lock if book_lock is not None else nullcontext()
        self._lock = threading.RLock()
        self.assembler = BatchAssembler()
        self.parties = PartyResolver(book, party_subaccount)
        self.restore_book = restore_book
        self.on_applied = on_applied
        self._ready = False
        self._callbacks: list[Callable[[SettlementBatch], None]] = []
        self.batches: queue.SimpleQueue[SettlementBatch] | None = queue.SimpleQueue() if event_queue else None
        self.applied = 0
        self.duplicates = 0
        self.rejected = 0
        self.callback_errors = 0
        self.errors: list[str] = []  # parse errors and assembler problems, newest last
        if self._journal is not None:
            self._open()

    # ------------------------------------------------------------------ setup
    @property
    def journal(self) -> SettlementJournal:
        with self._lock:
            if not self._ready:
                self._open()
            return self._journal

    def _open(self) -> None:
        if self._journal is None:
            self._journal = self._journal_or_factory()
        # Pages of a batch that was still open when we stopped go back into the assembler
        # (already applied to the book when they arrived).
        for page in self._journal.pending_pages():
            self.assembler.add(page.report, list(page.parties))
        pages = self._journal.pages()
        for page in pages:
            for party in page.parties:
                if party.cost is not None:  # the book held exactly this: the id -> subaccount is known
                    self.parties.learn(party.party_id, party.subaccount)
        if self.restore_book and self.book is not None:
            with self._book_lock:
                for page in pages:
                    subs = [party.subaccount for party in page.parties]
                    self._to_book(self.parties.for_book(page.report, subs))
        self._ready = True

    def close(self) -> None:
        with self._lock:
            if self._journal is not None:
                self._journal.close()

    def on_batch(self, callback: Callable[[SettlementBatch], None]) -> None:
        """Call `callback(batch)` for every batch closed (from QuickFIX's thread: keep it short)."""
        self._callbacks.append(callback)

    # ------------------------------------------------------------------ pages
    def is_duplicate(self, report_id: str) -> bool:
        with self._lock:
            return self.assembler.holds(report_id) or self.journal.has_page(report_id)

    def process_wire(self, wire: str, session: str | None = None) -> PageOutcome:
        """handle_wire + deliver: the one call for a caller that holds no lock."""
        outcome = self.handle_wire(wire, session)
        self.deliver(outcome)
        return outcome

    def handle_wire(self, wire: str, session: str | None = None) -> PageOutcome:
        """Parse a UMS wire text and handle it; a parse failure is journaled raw, never raised."""
        try:
            report = parse_settlement_report_text(wire, session)
        except MessageParseError as exc:
            return self.reject(wire, str(exc), session)
        return self.handle_report(report, wire, session)

    def reject(self, wire: str, error: str, session: str | None = None) -> PageOutcome:
        with self._lock:
            self.rejected += 1
            self._note([f"{error} :: {wire.replace(chr(1), '|')[:300]}"])
            self.journal.reject(wire, error, session)
        log.error("settlement page refused (kept in the journal): %s", error)
        return PageOutcome(REJECTED, error=error)

    def handle_report(self, report: SettlementReport, wire: str | None = None,
                      session: str | None = None) -> PageOutcome:
        with self._lock:
            if self.is_duplicate(report.report_id):
                self.duplicates += 1
                log.info("settlement page %s (%s) already handled: ignored", report.report_id, report.symbol)
                return PageOutcome(DUPLICATE, report)
            parties = self._apply_to_book(report)
            self.journal.add_page(report, parties, wire, session)
            self.applied += 1
            closed = self.assembler.add(report, parties)
            self._note(self.assembler.errors)
            self.assembler.errors.clear()
            out = []
            for batch in closed:
                batch_id = self.journal.close_batch(batch)
                out.append(_with_id(batch, batch_id))
        return PageOutcome(APPLIED, report, out)

    def _to_book(self, page: SettlementReport) -> None:
        self.book.apply_settlement(page)
        if self.on_applied is not None:
            self.on_applied(page)

    def _apply_to_book(self, report: SettlementReport) -> list[BatchParty]:
        """Apply the page to the book; per party, the cost and realized P&L it showed."""
        if self.book is None:
            return [BatchParty(report.report_id, p.party_id, sub, p.long_qty, p.short_qty, p.payout, p.fee)
                    for p, sub in zip(report.parties, self.parties.resolve(report))]
        positions = self.book.positions
        with self._book_lock:
            subs = self.parties.resolve(report)
            before = {s: positions.position(report.symbol, s) for s in subs}
            self._to_book(self.parties.for_book(report, subs))
            after = {s: positions.position(report.symbol, s) for s in subs}
        out, seen = [], set()
        for party, sub in zip(report.parties, subs):
            held = before[sub]
            matched = sub not in seen and (held.yes_qty, held.no_qty) == (party.long_qty, party.short_qty)
            seen.add(sub)  # a second entry on the same subaccount finds it already closed
            cost = held.yes_cost + held.no_cost if matched else None
            realized = after[sub].realized_pnl - held.realized_pnl if matched else None
            out.append(BatchParty(report.report_id, party.party_id, sub, party.long_qty, party.short_qty,
                                  party.payout, party.fee, cost, realized))
        return out

    def _note(self, errors: list[str]) -> None:
        self.errors = (self.errors + errors)[-ERRORS_KEPT:]

    # ------------------------------------------------------------------ delivery
    def deliver(self, outcome: PageOutcome) -> None:
        """Hand the batches an outcome closed to the queue and callbacks (call outside locks)."""
        self.callback_errors += fan_out(outcome.batches, self.batches, self._callbacks, log, "settlement batch")

    def pending(self) -> list[SettlementBatch]:
        with self._lock:
            return self.assembler.pending()


def _with_id(batch: SettlementBatch, batch_id: int) -> SettlementBatch:
    return replace(batch, batch_id=batch_id)


def beside_order_journal(order_journal: str | Path) -> str:
    """Where an engine keeps its settlement journal: next to its order journal."""
    text = str(order_journal)
    if text == ":memory:":
        return text
    path = Path(text)
    return str(path.with_name(f"{path.stem}-settlements.sqlite"))


def for_engine(order_journal: str | Path, book, book_lock,
               on_applied: Callable[[SettlementReport], None] | None = None) -> SettlementProcessor:
    """The processor of an Engine (KalshiRT with 20127=Y): the engine's book and lock; the
    journal file is created on the first page, so engines that never see one leave no file."""
    path = beside_order_journal(order_journal)
    return SettlementProcessor(lambda: SettlementJournal(path), book=book, book_lock=book_lock,
                               on_applied=on_applied)

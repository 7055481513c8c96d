"""Continuous reconciliation: reports are checked one by one as the listener / drop copy delivers them.

`Reconciler.feed(report)` de-duplicates on ExecID and compares a trade at once with the journal's
copy of the same ExecID (quantity, price, fee, side, market, subaccount). A fill the journal does
not hold yet is *pending*, not a break: the engine journals a report a moment after the listener
sees it. It becomes a break when `check()` re-reads the journal (only records appended since the
last read) and the fill is still absent after `grace` further checks. `check()` also runs the
full three-way reconciliation (orders, positions, settlements) over everything fed so far.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from fixengine.engine import journal as J
from fixengine.model import PENDING_EXEC_ID, ExecReport, ExecType
from fixengine.recon.breaks import Break, BreakType, Severity
from fixengine.recon.fills import SIDE_CODE, fill_economics
from fixengine.recon.matching import FIELD_BREAKS
from fixengine.recon.reconcile import ReconResult, reconcile
from fixengine.recon.fills import load_journal_fills
from fixengine.recon.sources import JournalView, ReportSet, RestView, journal_connection


class Reconciler:
    def __init__(self, journal: J.Journal | str | Path, *, grace: int = 1,
                 rest: Callable[[], RestView] | RestView | None = None,
                 on_break: Callable[[Break], None] | None = None) -> None:
        # A Journal object shared with a running engine in this process is read through its own
        # connection; a path is opened for each read (the Journal's lock admits one user at a time,
        # so that works only while no engine holds it).
        self.journal = journal if isinstance(journal, J.Journal) else None
        self.journal_path = journal.path if isinstance(journal, J.Journal) else Path(journal)
        self.grace = grace
        self.rest = rest
        self.on_break = on_break
        self.reports: dict[str, ExecReport] = {}  # ExecID -> first copy
        self.arrival: list[ExecReport] = []
        self.received = self.duplicates = self.pending_skipped = 0
        self.breaks: list[Break] = []  # per-fill breaks found while feeding
        self.waiting: dict[str, int] = {}  # ExecID of a fill not in the journal yet -> checks waited
        self._journal: dict[str, tuple] = {}  # ExecID -> (qty, price, fee, side, symbol, subaccount)
        self._last_seq = 0
        self.last_result: ReconResult | None = None
        self._read_journal()

    # ------------------------------------------------------------------ feeding
    def feed(self, report: ExecReport) -> list[Break]:
        """Take one report; returns the breaks it revealed now (field mismatches, conflicting copies)."""
        self.received += 1
        if report.exec_id == PENDING_EXEC_ID:
            self.pending_skipped += 1
            return []
        first = self.reports.get(report.exec_id)
        if first is not None:
            self.duplicates += 1
            if report.exec_type is ExecType.TRADE and fill_economics(first) != fill_economics(report):
                return self._emit([Break(BreakType.DUPLICATE_CONFLICT, Severity.HIGH, "reports", "reports", "copy",
                                         f"{first.last_qty}@{first.last_px}", f"{report.last_qty}@{report.last_px}",
                                         exec_id=report.exec_id, order_id=report.order_id, ticker=report.symbol,
                                         subaccount=report.subaccount, detail="two copies of one ExecID disagree")])
            return []
        self.reports[report.exec_id] = report
        self.arrival.append(report)
        if report.exec_type is not ExecType.TRADE:
            return []
        mine = self._journal.get(report.exec_id)
        if mine is None:
            self.waiting[report.exec_id] = 0
            return []
        return self._emit(self._compare(mine, report))

    def feed_many(self, reports: Iterable[ExecReport]) -> list[Break]:
        out: list[Break] = []
        for r in reports:
            out += self.feed(r)
        return out

    # ------------------------------------------------------------------ checking
    def check(self) -> ReconResult:
        """Re-read new journal records, settle waiting fills, and reconcile everything fed so far."""
        for r in self._read_journal():
            waited = self.waiting.pop(r, None)
            if waited is not None:
                self._emit(self._compare(self._journal[r], self.reports[r]))
        for exec_id in list(self.waiting):
            self.waiting[exec_id] += 1
        # fills still inside their grace period count as not received yet (the engine may lag)
        young = {e for e, n in self.waiting.items() if n <= self.grace}
        view = self._with_journal(JournalView.from_journal)
        rest = self.rest() if callable(self.rest) else self.rest
        result = reconcile(view, ReportSet.build(r for r in self.arrival if r.exec_id not in young), rest)
        self.last_result = result
        return result

    @property
    def pending(self) -> list[str]:
        """ExecIDs of fed fills the journal has not shown yet."""
        return list(self.waiting)

    # ------------------------------------------------------------------ internals
    def _with_journal(self, work):
        if self.journal is not None:
            return work(self.journal)
        journal = J.Journal(self.journal_path)
        try:
            return work(journal)
        finally:
            journal.close()

    def _read_journal(self) -> list[str]:
        """Load journal trade reports appended since the last read; returns their ExecIDs."""
        fills = self._with_journal(lambda j: load_journal_fills(journal_connection(j), self._last_seq))
        self._last_seq = max(self._last_seq, fills.last_seq)
        new: list[str] = []
        for i, exec_id in enumerate(fills.exec_id):
            if exec_id in self._journal:
                continue
            self._journal[exec_id] = (int(fills.qty[i]), int(fills.price[i]), int(fills.fee[i]), int(fills.side[i]),
                                      fills.symbol[i], int(fills.subaccount[i]))
            new.append(exec_id)
        return new

    def _compare(self, mine: tuple, r: ExecReport) -> list[Break]:
        theirs = _economics(r)
        out = []
        for name, a, b in zip(("qty", "price", "fee", "side", "symbol", "subaccount"), mine, theirs):
            if a != b:
                kind, severity = FIELD_BREAKS[name]
                numeric = name in ("qty", "price", "fee")
                out.append(Break(kind, severity, "journal", "reports", name, a, b, (b - a) if numeric else None,
                                 exec_id=r.exec_id, order_id=r.order_id, cl_ord_id=r.cl_ord_id, ticker=r.symbol,
                                 subaccount=r.subaccount))
        return out

    def _emit(self, breaks: list[Break]) -> list[Break]:
        self.breaks += breaks
        if self.on_break is not None:
            for b in breaks:
                self.on_break(b)
        return breaks


def _economics(r: ExecReport) -> tuple:
    px = r.last_px if r.last_px is not None else (r.price or 0)
    return (r.last_qty or 0, px, r.fee or 0, SIDE_CODE[r.side], r.symbol, r.subaccount)

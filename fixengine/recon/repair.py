"""Repair: back-fill what the journal missed, so the engine's next restart replays the truth.

What is appended: every non-pending ExecutionReport the listener / drop copy delivered for an order
the journal knows and whose ExecID the journal lacks (missed fills and missed acks / cancels), and,
for fills only REST shows, a synthetic trade report with the deterministic ExecID
``RECON;<OrderID>;<fill_id>`` (NautilusTrader's practice: synthetic ids must be stable so a second
repair finds the fill already there; the reconciler matches it to any later copy on
OrderID + TrdMatchID, so it is never counted twice).

How the engine replays them (fixengine/engine/recovery.py): records are applied in journal order
through OrderTracker.apply_report, which skips an (ExecID, ClOrdID) it has already applied. The
appended copies keep the original ExecID and ClOrdID, so a copy that somehow is already present
is a no-op. Appended records come after everything the journal holds, so a missed partial fill of
an order the journal already shows as terminal would otherwise move it back to "partially
filled": such copies carry the order's terminal OrdStatus (quantities untouched), which is what
the exchange's final state says. Every change is simulated first on a scratch replay, so the
report states exactly what the engine will rebuild.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from fixengine.engine import journal as J
from fixengine.engine.orders import TERMINAL, Order, OrderStatus
from fixengine.model import PENDING_EXEC_ID, ExecReport, ExecType, OrdStatus
from fixengine.recon.fills import SIDE_OF_CODE, exec_id_key, match_key
from fixengine.recon.output import count_text, dollars, price_text
from fixengine.recon.reconcile import SYNTHETIC_PREFIX, ReconResult
from fixengine.recon.sources import JournalView, ReportSet, RestView

TERMINAL_ORD_STATUS = {OrderStatus.FILLED: OrdStatus.FILLED, OrderStatus.CANCELED: OrdStatus.CANCELED,
                       OrderStatus.EXPIRED: OrdStatus.EXPIRED, OrderStatus.REJECTED: OrdStatus.REJECTED}


@dataclass(slots=True)
class PositionChange:
    ticker: str
    subaccount: int
    before: int  # net, 0.01 contracts (+YES / -NO)
    after: int
    fees_before: int
    fees_after: int


@dataclass(slots=True)
class RepairReport:
    journal: str
    appended: list[ExecReport] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (ExecID or key, why)
    positions: list[PositionChange] = field(default_factory=list)
    book_ops: int = 0
    book_duplicates: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.appended)

    def lines(self) -> list[str]:
        out = [f"repair of {self.journal}: appended {len(self.appended)} execution report(s)"]
        for r in self.appended:
            what = (f"fill {r.side.name} {count_text(r.last_qty or 0)} @ {price_text(r.last_px or 0)} fee "
                    f"${dollars(r.fee or 0)}" if r.exec_type is ExecType.TRADE else
                    f"{r.exec_type.name.lower()} (cum {count_text(r.cum_qty)})")
            out.append(f"  + ExecID {r.exec_id} {r.symbol} sub {r.subaccount} ClOrdID {r.cl_ord_id}: {what}, "
                       f"order now 39={r.ord_status.value} [{r.session}]")
        for key, why in self.skipped:
            out.append(f"  skipped {key}: {why}")
        for p in self.positions:
            out.append(f"  position {p.ticker} sub {p.subaccount}: net {count_text(p.before)} -> "
                       f"{count_text(p.after)} contracts, fees ${dollars(p.fees_before)} -> ${dollars(p.fees_after)}")
        if self.book_ops or self.book_duplicates:
            out.append(f"  book: {self.book_ops} operation(s) applied, {self.book_duplicates} duplicate(s) ignored")
        return out


def plan(view: JournalView, result: ReconResult, reports: ReportSet | None, rest: RestView | None,
         report: RepairReport) -> list[ExecReport]:
    """The reports to append, in exchange order, adjusted as replay needs; advances `view` (a scratch copy)."""
    todo: list[tuple[tuple, ExecReport]] = []
    have = set(view.exec_ids)
    trades = view.fills.match_index()  # OrderID + TrdMatchID of every fill the journal holds
    for r in (reports.reports if reports is not None else ()):
        if r.exec_id == PENDING_EXEC_ID or r.exec_id in have or r.exec_type is ExecType.REJECTED:
            continue
        if r.exec_type is ExecType.TRADE and match_key(r.order_id, r.trd_match_id) in trades:
            report.skipped.append((r.exec_id, "the journal holds this trade already (synthetic from REST)"))
            continue
        if view.find_order(r.order_id, r.cl_ord_id, r.orig_cl_ord_id) is None:
            report.skipped.append((r.exec_id, "no intent for this order in the journal (unknown order)"))
            continue
        have.add(r.exec_id)
        todo.append((_order_key(r.exec_id), r))
    rest_rows = sorted((c.rest_row for c in result.candidates if c.source == "rest" and c.rest_row is not None),
                       key=lambda row: (rest.fills.time[row] or "", row)) if rest is not None else []
    todo.sort(key=lambda item: item[0])
    out: list[ExecReport] = []
    for _key, r in todo:
        order = view.find_order(r.order_id, r.cl_ord_id, r.orig_cl_ord_id)
        _apply(view, order, r, out, report)
    for row in rest_rows:  # oldest first, each built on the state the previous one left
        synthetic = _from_rest(view, rest, row)
        if synthetic is not None and synthetic.exec_id not in have:
            have.add(synthetic.exec_id)
            _apply(view, view.find_order(synthetic.order_id, synthetic.cl_ord_id), synthetic, out, report)
    return out


def _apply(view: JournalView, order: Order, r: ExecReport, out: list[ExecReport], report: RepairReport) -> None:
    copy = _for_replay(order, r)
    if copy is None:
        report.skipped.append((r.exec_id, f"order {order.key} is already {order.status.value} in the journal"))
        return
    view.tracker.apply_report(copy)
    out.append(copy)


def _order_key(exec_id: str) -> tuple:
    key = exec_id_key(exec_id)
    return (0, *key) if key is not None else (1, 0, 0, 0)


def _for_replay(order: Order, r: ExecReport) -> ExecReport | None:
    copy = dataclasses.replace(r, poss_dup=False, session=r.session if r.exec_id.startswith(SYNTHETIC_PREFIX)
                               else f"recon:{r.session or 'reports'}")
    if order.status not in TERMINAL:
        return copy
    if r.exec_type is not ExecType.TRADE:
        return None  # an ack / cancel for an order the journal already closed changes nothing
    copy.ord_status = TERMINAL_ORD_STATUS[order.status]
    copy.leaves_qty = 0
    return copy


def _from_rest(view: JournalView, rest: RestView, row: int | None) -> ExecReport | None:
    f = rest.fills
    if row is None:
        return None
    order = view.find_order(f.order_id[row], rest.client_order_id(f.order_id[row]))
    if order is None:
        return None
    qty = int(f.qty[row])
    cum = order.cum_qty + qty
    leaves = max(order.qty - cum, 0)
    return ExecReport(
        exec_id=f"{SYNTHETIC_PREFIX}{f.order_id[row]};{f.match_id[row]}", order_id=f.order_id[row],
        cl_ord_id=order.cl_ord_id, exec_type=ExecType.TRADE,
        ord_status=OrdStatus.FILLED if leaves == 0 else OrdStatus.PARTIALLY_FILLED,
        side=SIDE_OF_CODE[int(f.side[row])], symbol=f.symbol[row], order_qty=order.qty, leaves_qty=leaves,
        cum_qty=cum, price=order.price, last_px=int(f.price[row]), last_qty=qty, fee=int(f.fee[row]),
        transact_time=f.time[row], subaccount=int(f.subaccount[row]), trd_match_id=f.match_id[row],
        session="recon:rest")


def repair(journal_path: str | Path, result: ReconResult, reports: ReportSet | None = None,
           rest: RestView | None = None, book=None) -> RepairReport:
    """Append the missed reports to the journal and apply them to `book` (a fixengine.book.Book, optional)."""
    journal = J.Journal(journal_path)
    report = RepairReport(str(journal_path))
    try:
        before = JournalView.from_journal(journal)
        scratch = JournalView.from_journal(journal)
        appended = plan(scratch, result, reports, rest, report)
        for r in appended:
            journal.exec_report(r)
    finally:
        journal.close()
    report.appended = appended
    report.positions = _changes(before, scratch)
    if book is not None and appended:
        dup_before = book.duplicates
        report.book_ops = book.apply_exec_reports(appended)
        report.book_duplicates = book.duplicates - dup_before
    return report


def _changes(before: JournalView, after: JournalView) -> list[PositionChange]:
    out = []
    for key, p in sorted(after.positions.positions.items()):
        old = before.positions.positions.get(key)
        net0, fee0 = (old.net, old.fees) if old is not None else (0, 0)
        if (net0, fee0) != (p.net, p.fees):
            out.append(PositionChange(key[0], key[1], net0, p.net, fee0, p.fees))
    return out


def book_from_journal(journal_path: str | Path, **book_options):
    """A fresh numba Book fed with every execution report of the journal (what an engine would hold)."""
    from fixengine.book import Book

    journal = J.Journal(journal_path)
    try:
        reports = [J.decode_exec_report(data) if kind == J.EXEC_REPORT else J.decode_wire_exec_report(data)
                   for _seq, kind, _key, data in journal.records() if kind in (J.EXEC_REPORT, J.EXEC_REPORT_WIRE)]
    finally:
        journal.close()
    orders = len({r.order_id for r in reports}) + 16
    markets = len({r.symbol for r in reports}) + 16
    book_options.setdefault("max_orders", max(1024, 2 * orders))
    book_options.setdefault("max_markets", max(16, 2 * markets))
    book_options.setdefault("default_grid", "deci_cent")
    book = Book(**book_options)
    book.apply_exec_reports(reports)
    return book

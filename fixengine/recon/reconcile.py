"""Three-way reconciliation: journal vs execution reports vs REST, on ExecID first.

Order of work (anchors.md §5): de-duplicate each source on ExecID; fills (ExecID join with the
reports, OrderID + TrdMatchID join with REST, which has no ExecID); orders (unknown on either
side, status, cumulative quantity); positions per market and subaccount; settlements and payouts.
Each break says what to post on our side (`diff` = theirs - ours). Fills the exchange has and the
journal lacks become repair candidates: the original ExecutionReport when the listener / drop
copy delivered one, else a synthetic one built from the REST fill (see repair.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from fixengine.engine.orders import OrderStatus
from fixengine.model import ExecReport, SettlementReport
from fixengine.pricing.units import ONE_DOLLAR
from fixengine.recon.breaks import SEVERITY_RANK, Break, BreakType, Severity
from fixengine.recon.fills import FillSet, exec_id_key
from fixengine.recon.matching import compare_fills
from fixengine.recon.sources import (
    JOURNAL_STATUS, PENDING, REJECTED, REPORT_STATUS, REST_STATUS, JournalView, ReportSet, RestView,
)

MONEY_PER_CENT = 10_000  # money units ($0.000001) per cent
#: ExecID prefix of the trade reports repair.py synthesises from REST fills.
SYNTHETIC_PREFIX = "RECON;"


@dataclass(slots=True)
class RepairCandidate:
    """A fill the journal lacks: the report to append (the original, or synthesised from REST)."""

    source: str  # "reports" | "rest"
    report: ExecReport | None  # from the listener / drop copy
    rest_row: int | None = None  # row of RestView.fills when only REST has it


@dataclass(slots=True)
class ReconResult:
    breaks: list[Break] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)
    candidates: list[RepairCandidate] = field(default_factory=list)
    sources: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        return not self.breaks

    def by_type(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for b in self.breaks:
            out[b.type.value] = out.get(b.type.value, 0) + 1
        return out

    def sort(self) -> None:
        self.breaks.sort(key=lambda b: (SEVERITY_RANK[b.severity], b.type.value, b.ticker or "", b.exec_id or "",
                                        b.order_id or ""))


def reconcile(journal: JournalView, reports: ReportSet | None = None, rest: RestView | None = None,
              settlements: Iterable[SettlementReport] = (),
              party_subaccount=lambda pid: int(pid) if pid.isdigit() else 0) -> ReconResult:
    start = time.perf_counter()
    res = ReconResult(sources=("journal",) + (("reports",) if reports else ()) + (("rest",) if rest else ()))
    res.stats = {"journal_fills": len(journal.fills), "journal_orders": len(journal.tracker.orders)}
    missing_keys: set[str] = set()  # "order_id\x1fmatch_id" of fills already flagged missing in the journal
    if reports is not None:
        _fills_vs_reports(journal, reports, rest, res, missing_keys)
    if rest is not None:
        _fills_vs_rest(journal, reports, rest, res, missing_keys)
    _orders(journal, reports, rest, res)
    _positions(journal, reports, rest, res)
    if rest is not None or settlements:
        _settlements(journal, rest, list(settlements), party_subaccount, res)
    res.stats["breaks"] = len(res.breaks)
    res.sort()
    res.seconds = time.perf_counter() - start
    return res


# ---------------------------------------------------------------------------- fills
def _fills_vs_reports(journal: JournalView, reports: ReportSet, rest: RestView | None, res: ReconResult,
                      missing_keys: set[str]) -> None:
    jf, rf = journal.fills, reports.fills
    res.stats.update(report_fills=len(rf), reports_received=reports.received,
                     reports_duplicates=reports.duplicates, reports_pending_skipped=reports.pending_skipped)
    for first, other in rf.conflicts:
        res.breaks.append(Break(BreakType.DUPLICATE_CONFLICT, Severity.HIGH, "reports", "reports", "copy",
                                f"{first.last_qty}@{first.last_px} fee {first.fee}",
                                f"{other.last_qty}@{other.last_px} fee {other.fee}",
                                exec_id=first.exec_id, order_id=first.order_id, cl_ord_id=first.cl_ord_id,
                                ticker=first.symbol, subaccount=first.subaccount,
                                fix="ask the exchange (REST order/fills) which copy is right; the first was used",
                                detail="two copies of one ExecID disagree"))
    m = compare_fills(jf, rf)
    res.breaks += m.breaks
    res.stats["matched_journal_reports"] = len(m.pairs_ours)
    journal_match = jf.match_index() if len(m.only_theirs) else {}
    rest_keys = rest.fills.match_index() if rest is not None and len(m.only_ours) else None
    for j in m.only_theirs.tolist():
        r = rf.reports[j]
        key = f"{r.order_id}\x1f{r.trd_match_id}" if r.order_id and r.trd_match_id else None
        if key is not None and key in journal_match:
            continue  # the journal holds this trade under a synthetic ExecID from an earlier REST repair
        if key is not None:
            missing_keys.add(key)
        known = journal.find_order(r.order_id, r.cl_ord_id, r.orig_cl_ord_id) is not None
        res.breaks.append(Break(
            BreakType.FILL_MISSING_IN_JOURNAL, Severity.CRITICAL, "journal", "reports", "qty", 0, r.last_qty,
            r.last_qty, exec_id=r.exec_id, order_id=r.order_id, cl_ord_id=r.cl_ord_id, ticker=r.symbol,
            subaccount=r.subaccount, repairable=known,
            fix="append the ExecutionReport to the journal and apply it to the book (--repair)" if known
            else "no intent for this order in the journal: adopt it by hand",
            detail=f"{r.side.name} {r.last_qty}@{r.last_px} fee {r.fee}"))
        if known:
            res.candidates.append(RepairCandidate("reports", r))
    for i in m.only_ours.tolist():
        exec_id = jf.exec_id[i]
        if exec_id.startswith(SYNTHETIC_PREFIX) or not reports.covers(exec_id):
            continue  # a repair's synthetic fill has no place in the ExecID sequence the reports cover
        confirmed = rest_keys is not None and f"{jf.order_id[i]}\x1f{jf.match_id[i]}" in rest_keys
        severity = Severity.LOW if confirmed else (Severity.HIGH if rest is not None else Severity.MEDIUM)
        res.breaks.append(Break(
            BreakType.FILL_MISSING_IN_REPORTS, severity, "journal", "reports", "qty", int(jf.qty[i]), 0,
            -int(jf.qty[i]), exec_id=exec_id, order_id=jf.order_id[i], cl_ord_id=jf.cl_ord_id[i],
            ticker=jf.symbol[i], subaccount=int(jf.subaccount[i]),
            fix=("REST confirms the fill: re-request the drop-copy range" if confirmed
                 else "confirm with REST /portfolio/fills before trusting this fill"),
            detail="inside the ExecID range the reports cover"))


def _fills_vs_rest(journal: JournalView, reports: ReportSet | None, rest: RestView, res: ReconResult,
                   missing_keys: set[str]) -> None:
    jf, sf = journal.fills, rest.fills
    res.stats["rest_fills"] = len(sf)
    m = compare_fills(jf, sf, by_exec_id=False)
    res.breaks += m.breaks
    res.stats["matched_journal_rest"] = len(m.pairs_ours)
    for j in m.only_theirs.tolist():
        key = f"{sf.order_id[j]}\x1f{sf.match_id[j]}"
        if key in missing_keys:
            continue  # already flagged (with its ExecutionReport) from the reports
        order = journal.find_order(sf.order_id[j], rest.client_order_id(sf.order_id[j]))
        res.breaks.append(Break(
            BreakType.FILL_MISSING_IN_JOURNAL, Severity.CRITICAL, "journal", "rest", "qty", 0, int(sf.qty[j]),
            int(sf.qty[j]), order_id=sf.order_id[j], cl_ord_id=order.cl_ord_id if order else None,
            ticker=sf.symbol[j], subaccount=int(sf.subaccount[j]), repairable=order is not None,
            fix="append a synthetic ExecutionReport built from the REST fill (--repair)" if order is not None
            else "no intent for this order in the journal: adopt it by hand",
            detail=f"REST fill {sf.match_id[j]} {int(sf.qty[j])}@{int(sf.price[j])} fee {int(sf.fee[j])}",
            extra={"fill_id": sf.match_id[j]}))
        if order is not None:
            res.candidates.append(RepairCandidate("rest", None, j))
    for i in m.only_ours.tolist():
        res.breaks.append(Break(
            BreakType.FILL_MISSING_IN_REST, Severity.HIGH, "journal", "rest", "qty", int(jf.qty[i]), 0,
            -int(jf.qty[i]), exec_id=jf.exec_id[i], order_id=jf.order_id[i], cl_ord_id=jf.cl_ord_id[i],
            ticker=jf.symbol[i], subaccount=int(jf.subaccount[i]),
            fix="the exchange does not show this fill: check the REST window, then reverse it on our side",
            detail=f"TrdMatchID {jf.match_id[i]}"))


# ---------------------------------------------------------------------------- orders
def _orders(journal: JournalView, reports: ReportSet | None, rest: RestView | None, res: ReconResult) -> None:
    flagged: set[str] = set()
    for r in journal.tracker.unknown_reports:
        if r.order_id in flagged:
            continue
        flagged.add(r.order_id)
        res.breaks.append(_unknown(r.order_id, r.cl_ord_id, r.symbol, r.subaccount, "journal",
                                   f"journal holds ExecID {r.exec_id} for no intent"))
    last = reports.last_by_order() if reports is not None else {}
    for order_id, r in last.items():
        order = journal.find_order(order_id, r.cl_ord_id, r.orig_cl_ord_id)
        if order is None:
            if order_id not in flagged:
                flagged.add(order_id)
                res.breaks.append(_unknown(order_id, r.cl_ord_id, r.symbol, r.subaccount, "reports",
                                           f"last report 150={r.exec_type.value} 39={r.ord_status.value}"))
            continue
        if r.exec_id in journal.exec_ids:
            continue  # the journal applied this very report: anything newer it holds is newer than the reports
        _status(res, order, "reports", REPORT_STATUS[r.ord_status], r.cum_qty, r.order_id)
    if rest is None:
        return
    rest_found: set[str] = set()
    for o in rest.orders:
        order = journal.find_order(o.order_id, o.client_order_id)
        if order is None:
            if o.order_id not in flagged:
                flagged.add(o.order_id)
                res.breaks.append(_unknown(o.order_id, o.client_order_id, o.ticker, o.subaccount_number or 0,
                                           "rest", f"REST status {o.status}"))
            continue
        rest_found.add(order.key)
        _status(res, order, "rest", REST_STATUS.get(o.status, o.status), o.fill_count, o.order_id)
    for order in journal.tracker.orders.values():
        if order.key in rest_found or order.local_reject or order.status is OrderStatus.REJECTED:
            continue
        if order.is_open and order.order_id not in last:
            res.breaks.append(Break(
                BreakType.ORDER_MISSING_AT_EXCHANGE, Severity.HIGH, "journal", "rest", "status",
                JOURNAL_STATUS[order.status], None, cl_ord_id=order.key, order_id=order.order_id,
                ticker=order.ticker, subaccount=order.subaccount,
                fix="the order is open in the journal but unknown to the exchange: mark it rejected/canceled",
                detail=repr(order)))


def _unknown(order_id, cl_ord_id, ticker, sub, source: str, detail: str) -> Break:
    return Break(BreakType.UNKNOWN_ORDER, Severity.HIGH, "journal", source, "order", None, order_id,
                 order_id=order_id, cl_ord_id=cl_ord_id, ticker=ticker, subaccount=sub,
                 fix="an order the journal has no intent for (placed by another session or lost intent): "
                     "adopt or cancel it", detail=detail)


def _status(res: ReconResult, order, source: str, theirs: str, their_cum: int, order_id: str) -> None:
    ours = JOURNAL_STATUS[order.status]
    if ours != theirs and not (ours == REJECTED and theirs == PENDING):
        res.breaks.append(Break(
            BreakType.STATUS_MISMATCH, Severity.HIGH if PENDING in (ours, theirs) or theirs != "open" else
            Severity.MEDIUM, "journal", source, "status", ours, theirs, order_id=order_id, cl_ord_id=order.key,
            ticker=order.ticker, subaccount=order.subaccount,
            fix=f"move the order to {theirs} (replaying the missing reports does this)"))
    if their_cum != order.cum_qty:
        res.breaks.append(Break(
            BreakType.QTY_MISMATCH, Severity.CRITICAL, "journal", source, "cum_qty", order.cum_qty, their_cum,
            their_cum - order.cum_qty, order_id=order_id, cl_ord_id=order.key, ticker=order.ticker,
            subaccount=order.subaccount, fix="filled quantity differs: back-fill the missing fills"))


# ---------------------------------------------------------------------------- positions
def _positions(journal: JournalView, reports: ReportSet | None, rest: RestView | None, res: ReconResult) -> None:
    ours = {k: p.net for k, p in journal.positions.positions.items()}
    if rest is not None:
        settled = set(rest.settlements)
        keys = {k for k, v in ours.items() if v} | set(rest.positions)
        for key in sorted(keys - settled):
            p = rest.positions.get(key)
            _position_break(res, key, ours.get(key, 0), p.position if p is not None else 0, "rest")
        return
    if reports is None:
        return
    # No REST: LongQty/ShortQty (704/705) on the newest fill report per market are the exchange's
    # net after that fill; compare only where the journal has nothing newer on that market.
    newest: dict[tuple[str, int], ExecReport] = {}
    for r in reports.fills.reports or []:
        if r.long_qty is None or r.short_qty is None:
            continue
        key = (r.symbol, r.subaccount)
        prev = newest.get(key)
        if prev is None or (exec_id_key(r.exec_id) or ()) > (exec_id_key(prev.exec_id) or ()):
            newest[key] = r
    journal_newest = _newest_journal_fill(journal.fills)
    for key, r in sorted(newest.items()):
        mine = journal_newest.get(key)
        if mine is not None and mine > (exec_id_key(r.exec_id) or ()):
            continue
        _position_break(res, key, ours.get(key, 0), r.long_qty - r.short_qty, "reports")


def _newest_journal_fill(fills: FillSet) -> dict[tuple[str, int], tuple]:
    out: dict[tuple[str, int], tuple] = {}
    for e, s, sub in zip(fills.exec_id, fills.symbol, fills.subaccount.tolist()):
        k = exec_id_key(e) or ()
        if k > out.get((s, sub), ()):
            out[(s, sub)] = k
    return out


def _position_break(res: ReconResult, key: tuple[str, int], ours: int, theirs: int, source: str) -> None:
    if ours == theirs:
        return
    res.breaks.append(Break(
        BreakType.POSITION_MISMATCH, Severity.CRITICAL, "journal", source, "net", ours, theirs, theirs - ours,
        ticker=key[0], subaccount=key[1], fix="post diff contracts (+YES/-NO); usually a missed fill",
        detail=f"net YES (+) / NO (-) in 0.01 contracts: journal {ours}, {source} {theirs}"))


# ---------------------------------------------------------------------------- settlements
def _settlements(journal: JournalView, rest: RestView | None, ums: list[SettlementReport], party_subaccount,
                 res: ReconResult) -> None:
    """Contracts held at settlement vs the journal's net, and the payout vs holding x settlement value.

    Kalshi pays whole cents (the sub-cent remainder goes to fee_cost in the simulator; the exact
    rounding is UNCONFIRMED), so a payout is a break only when it exceeds the exact value or falls
    short of it by a cent or more.
    """
    for (ticker, sub), s in sorted((rest.settlements if rest else {}).items()):
        net = journal.positions.net(ticker, sub)
        value = _yes_value(s.market_result, s.value_cents * 100 if s.value_cents is not None else None)
        _settle_check(res, "rest", ticker, sub, net, s.yes_count, s.no_count, s.revenue_cents * MONEY_PER_CENT, value)
    for report in ums:
        for party in report.parties:
            sub = party_subaccount(party.party_id)
            net = journal.positions.net(report.symbol, sub)
            _settle_check(res, "settlement_report", report.symbol, sub, net, party.long_qty, party.short_qty,
                          party.payout, report.yes_value)


def _yes_value(result: str, value: int | None) -> int | None:
    if value is not None:
        return value
    return {"yes": ONE_DOLLAR, "no": 0}.get(result)


def _settle_check(res: ReconResult, source: str, ticker: str, sub: int, net: int, yes: int, no: int, paid: int,
                  value: int | None) -> None:
    theirs_net = yes - no
    if theirs_net != net:
        res.breaks.append(Break(
            BreakType.SETTLEMENT_MISMATCH, Severity.CRITICAL, "journal", source, "net_at_settlement", net,
            theirs_net, theirs_net - net, ticker=ticker, subaccount=sub,
            fix="the holding the exchange settled differs from ours: find the missing fills first",
            detail=f"exchange settled YES {yes} / NO {no}"))
    if value is None:
        return
    expected = max(net, 0) * value + max(-net, 0) * (ONE_DOLLAR - value)
    diff = paid - expected
    if diff > 0 or diff <= -MONEY_PER_CENT:
        res.breaks.append(Break(
            BreakType.PAYOUT_MISMATCH, Severity.CRITICAL, "journal", source, "payout", expected, paid, diff,
            ticker=ticker, subaccount=sub, fix="post the payout difference to cash",
            detail=f"expected our holding x value {value} = {expected}, exchange paid {paid}"))

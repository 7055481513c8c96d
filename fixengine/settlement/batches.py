"""Settlement batches: MarketSettlementReport (35=UMS) pages reassembled per market (part 2 §4.4).

A large settlement is split over several UMS pages. Every page repeats the top-level fields
(55 Symbol, 715, 20107, 730) under a fresh MarketSettlementReportID (20105); LastFragment (893)
is N on all but the last page (absent = last) and TotNumMarketSettlementReports (20106), when
sent, counts the pages. Pages of one batch arrive contiguously, keyed by Symbol.

A batch is complete when the page count reaches 20106, or - when 20106 is absent - on the page
marked last. A last page that arrives while 20106 says pages are still missing (a gap that a
ResendRequest may still fill) keeps the batch open until they arrive.

Units are the project's: price $0.0001, qty 0.01 contract, money $0.000001.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from fixengine.model import SettlementReport

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BatchParty:
    """One 20108 entry of one page, with what applying it to the book showed."""

    report_id: str  # the page (20105) that carried it
    party_id: str  # MarketSettlementPartyID (20109); format UNCONFIRMED
    subaccount: int  # the book subaccount the party id maps to
    long_qty: int  # YES contracts settled (qty units)
    short_qty: int  # NO contracts settled
    payout: int  # CollateralAmountChange (1704, PAYOUT), money units
    fee: int  # MiscFeeAmt (137), money units: the payout's rounding residue
    cost: int | None = None  # what the book had paid for the settled contracts (None: book did not hold them)
    realized_pnl: int | None = None  # book's realized P&L of the settlement (payout value - cost); None: unknown

    @property
    def net_pnl(self) -> int | None:
        """Realized P&L after the settlement fee."""
        return None if self.realized_pnl is None else self.realized_pnl - self.fee


@dataclass(frozen=True, slots=True)
class SettlementBatch:
    """Every page of one market's settlement, merged."""

    symbol: str
    result: str  # "yes" | "no" | "scalar"
    settlement_price: int  # value of one YES contract in price units ($0.0001); 730=30.60 -> 3060
    clearing_date: str  # ClearingBusinessDate (715), YYYYMMDD
    report_ids: tuple[str, ...]  # 20105 of every page, in arrival order
    parties: tuple[BatchParty, ...]
    total_reports: int | None = None  # 20106 as sent
    complete: bool = True  # False: listed from the journal while pages are still missing
    batch_id: int | None = None  # the journal's row id, once written

    @property
    def pages(self) -> int:
        return len(self.report_ids)

    @property
    def long_qty(self) -> int:
        return sum(p.long_qty for p in self.parties)

    @property
    def short_qty(self) -> int:
        return sum(p.short_qty for p in self.parties)

    @property
    def payout(self) -> int:
        return sum(p.payout for p in self.parties)

    @property
    def fee(self) -> int:
        return sum(p.fee for p in self.parties)

    @property
    def realized_pnl(self) -> int | None:
        """Sum over the parties; None when any party's cost was unknown to the book."""
        values = [p.realized_pnl for p in self.parties]
        return None if any(v is None for v in values) else sum(values)

    def party(self, party_id: str) -> BatchParty | None:
        return next((p for p in self.parties if p.party_id == party_id), None)


def header(report: SettlementReport) -> tuple[str, int, str]:
    """The top-level fields every page of one batch repeats."""
    return report.result, report.settlement_price_cents_x100, report.clearing_date


@dataclass(slots=True)
class _Pending:
    first: SettlementReport
    reports: list[SettlementReport] = field(default_factory=list)
    parties: list[BatchParty] = field(default_factory=list)
    saw_last: bool = False

    @property
    def total(self) -> int | None:
        return next((r.total_reports for r in reversed(self.reports) if r.total_reports), None)

    def is_complete(self) -> bool:
        total = self.total
        if total is not None:
            return len(self.reports) >= total
        return self.saw_last

    def batch(self, complete: bool) -> SettlementBatch:
        first = self.first
        return SettlementBatch(first.symbol, first.result, first.settlement_price_cents_x100, first.clearing_date,
                               tuple(r.report_id for r in self.reports), tuple(self.parties), self.total, complete)


class BatchAssembler:
    """Collects pages per Symbol and hands back each batch once it is complete.

    Not thread-safe on its own: the SettlementProcessor calls it under its lock. Duplicate pages
    (same 20105) are the caller's to filter (the journal knows every page ever seen); a page
    already held here is ignored as well.
    """

    def __init__(self) -> None:
        self._pending: dict[str, _Pending] = {}
        self.errors: list[str] = []  # abandoned or inconsistent batches, for the operator

    def add(self, report: SettlementReport, parties: list[BatchParty]) -> list[SettlementBatch]:
        """File a page; return the batches it closes: the one it completes, and before it an open
        batch of the same market it cannot belong to (complete=False). Usually [] or [batch]."""
        closed: list[SettlementBatch] = []
        pending = self._pending.get(report.symbol)
        if pending is not None and header(pending.first) != header(report):
            # Pages of one batch repeat 715/20107/730; a page that differs starts another batch.
            self.errors.append(f"{report.symbol}: page {report.report_id} ({report.result} "
                               f"{report.settlement_price_cents_x100}) does not match the open batch "
                               f"({pending.first.result} {pending.first.settlement_price_cents_x100}) of "
                               f"{len(pending.reports)} page(s); that batch is closed incomplete")
            log.error("settlement batch mismatch: %s", self.errors[-1])
            closed.append(self._pending.pop(report.symbol).batch(complete=False))
            pending = None
        if pending is None:
            pending = self._pending[report.symbol] = _Pending(report)
        elif any(r.report_id == report.report_id for r in pending.reports):
            return closed
        pending.reports.append(report)
        pending.parties.extend(parties)
        pending.saw_last = pending.saw_last or report.last_fragment
        if not pending.is_complete():
            if report.last_fragment and pending.total is not None:
                log.warning("%s: last settlement page %s arrived with %d of %d pages; waiting for the rest",
                            report.symbol, report.report_id, len(pending.reports), pending.total)
            return closed
        del self._pending[report.symbol]
        return closed + [pending.batch(complete=True)]

    def holds(self, report_id: str) -> bool:
        return any(r.report_id == report_id for p in self._pending.values() for r in p.reports)

    def pending(self) -> list[SettlementBatch]:
        """Batches still waiting for pages (complete=False)."""
        return [p.batch(complete=False) for p in self._pending.values()]

"""Break records: what the reconciler found, keyed so a later run can mark it resolved.

A break names the two sides it compared (``ours`` is the side listed first, usually the
engine's journal; ``theirs`` the external source), their values, and ``diff`` = theirs - ours:
the amount that must be posted on our side to make it agree (practice: anchors.md §5, the
"difference row"). All values are integers in the shared fixed-point units (fixengine.model).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from dataclasses import field as dc_field
from enum import Enum


class BreakType(str, Enum):
    FILL_MISSING_IN_JOURNAL = "fill_missing_in_journal"  # exchange has it, engine never recorded it
    FILL_MISSING_IN_REPORTS = "fill_missing_in_reports"  # journal has it, listener/drop copy does not
    FILL_MISSING_IN_REST = "fill_missing_in_rest"  # journal/reports have it, REST /portfolio/fills does not
    UNKNOWN_ORDER = "unknown_order"  # an order the exchange knows and the journal has no intent for
    ORDER_MISSING_AT_EXCHANGE = "order_missing_at_exchange"  # intent sent, exchange shows no trace
    QTY_MISMATCH = "qty_mismatch"
    PRICE_MISMATCH = "price_mismatch"
    FEE_MISMATCH = "fee_mismatch"
    FILL_FIELD_MISMATCH = "fill_field_mismatch"  # side / symbol / order / subaccount differ for one ExecID
    DUPLICATE_CONFLICT = "duplicate_conflict"  # two copies of one ExecID disagree
    STATUS_MISMATCH = "status_mismatch"
    POSITION_MISMATCH = "position_mismatch"
    SETTLEMENT_MISMATCH = "settlement_mismatch"  # contracts held at settlement differ
    PAYOUT_MISMATCH = "payout_mismatch"  # settlement revenue differs from the holding x value


class Severity(str, Enum):
    CRITICAL = "critical"  # money or position is wrong now
    HIGH = "high"  # a fill or order is unaccounted for
    MEDIUM = "medium"  # a source disagrees but the position is not affected
    LOW = "low"  # informational (e.g. a copy missing from one redundant source)


SEVERITY_RANK = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.MEDIUM: 2, Severity.LOW: 3}


@dataclass(slots=True)
class Break:
    type: BreakType
    severity: Severity
    ours_source: str  # e.g. "journal"
    theirs_source: str  # e.g. "reports", "rest"
    field: str = ""  # what was compared: "qty", "price", "fee", "status", "net", "payout", ...
    ours: int | str | None = None
    theirs: int | str | None = None
    diff: int | None = None  # theirs - ours, when numeric: what to post on our side
    exec_id: str | None = None
    order_id: str | None = None
    cl_ord_id: str | None = None
    ticker: str | None = None
    subaccount: int | None = None
    fix: str = ""  # what would fix it, in words
    repairable: bool = False
    detail: str = ""
    extra: dict = dc_field(default_factory=dict)

    @property
    def key(self) -> str:
        """Stable identity across runs: same break found again = same key."""
        parts = (self.type.value, self.ours_source, self.theirs_source, self.field, self.exec_id or "",
                 self.order_id or "", self.cl_ord_id or "", self.ticker or "", str(self.subaccount))
        return hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:20]

    def to_dict(self) -> dict:
        out = asdict(self)
        out["type"] = self.type.value
        out["severity"] = self.severity.value
        out["key"] = self.key
        return out


CSV_COLUMNS = ("key", "type", "severity", "ours_source", "theirs_source", "field", "ours", "theirs", "diff",
               "exec_id", "order_id", "cl_ord_id", "ticker", "subaccount", "repairable", "fix", "detail")

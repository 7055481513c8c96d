"""The three sources of truth, loaded into plain records the reconciler compares.

* `JournalView`: the engine's own view, rebuilt exactly as the engine rebuilds it on restart
  (recovery.replay through an OrderTracker whose fill listener keeps a PositionBook), plus the
  journal's trade reports as a FillSet.
* `ReportSet`: execution reports from the listener / drop copy, de-duplicated on ExecID.
* `RestView`: REST fills, orders, positions and settlements (fixengine.rest typed records).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fixengine.engine import journal as J
from fixengine.engine.orders import Order, OrderStatus, OrderTracker
from fixengine.engine.positions import PositionBook
from fixengine.engine.recovery import RecoveryReport, replay
from fixengine.errors import UserInputError
from fixengine.model import PENDING_EXEC_ID, ExecReport, ExecType, OrdStatus, Side, TimeInForce
from fixengine.recon.fills import FillSet, exec_id_key, journal_exec_ids, load_journal_fills

def journal_connection(journal: J.Journal) -> sqlite3.Connection:
    """The journal's own SQLite connection, for read-only column queries.

    The Journal takes an EXCLUSIVE lock (one engine per journal), so a second connection cannot
    read it while it is open; and it offers no query method for columns, hence this one access.
    """
    return journal._db


# Normalised order status shared by all sources.
OPEN, FILLED, CANCELED, REJECTED, PENDING = "open", "filled", "canceled", "rejected", "pending"

JOURNAL_STATUS = {
    OrderStatus.PENDING_NEW: PENDING, OrderStatus.WORKING: OPEN, OrderStatus.PARTIALLY_FILLED: OPEN,
    OrderStatus.FILLED: FILLED, OrderStatus.CANCELED: CANCELED, OrderStatus.EXPIRED: CANCELED,
    OrderStatus.REJECTED: REJECTED,
}
REPORT_STATUS = {
    OrdStatus.NEW: OPEN, OrdStatus.PARTIALLY_FILLED: OPEN, OrdStatus.PENDING_CANCEL: OPEN,
    OrdStatus.PENDING_REPLACE: OPEN, OrdStatus.REPLACED: OPEN, OrdStatus.FILLED: FILLED,
    OrdStatus.CANCELED: CANCELED, OrdStatus.EXPIRED: CANCELED, OrdStatus.REJECTED: REJECTED,
    OrdStatus.PENDING_NEW: PENDING,
}
# Kalshi REST order status: resting | canceled | executed (a partly filled then canceled order is canceled).
REST_STATUS = {"resting": OPEN, "executed": FILLED, "canceled": CANCELED, "pending": PENDING}


@dataclass(slots=True)
class JournalView:
    path: Path | None
    tracker: OrderTracker
    positions: PositionBook
    fills: FillSet
    exec_ids: set[str]  # every non-pending ExecID the journal holds (any ExecType)
    recovery: RecoveryReport

    @classmethod
    def load(cls, path: str | Path) -> JournalView:
        path = Path(path)
        if not path.exists():
            raise UserInputError(f"order journal {path} does not exist")
        journal = J.Journal(path)
        try:
            return cls.from_journal(journal)
        finally:
            journal.close()

    @classmethod
    def from_journal(cls, journal: J.Journal) -> JournalView:
        tracker = OrderTracker()
        positions = PositionBook()

        def on_fill(order: Order, fill, report) -> None:
            positions.get(order.ticker, order.subaccount).apply(order.side is Side.BUY, fill.price, fill.qty,
                                                                fill.fee)

        tracker.fill_listeners.append(on_fill)
        recovery = replay(journal, tracker)
        db = journal_connection(journal)
        fills = load_journal_fills(db)
        exec_ids = journal_exec_ids(db)
        exec_ids.discard(PENDING_EXEC_ID)
        return cls(journal.path, tracker, positions, fills, exec_ids, recovery)

    def find_order(self, order_id: str | None = None, cl_ord_id: str | None = None,
                   orig_cl_ord_id: str | None = None) -> Order | None:
        return self.tracker.find(cl_ord_id, orig_cl_ord_id, order_id)

    def status(self, order: Order) -> str:
        return JOURNAL_STATUS[order.status]


@dataclass(slots=True)
class ReportSet:
    """Listener / drop-copy execution reports: every report kept once per ExecID, plus the fills."""

    reports: list[ExecReport]  # unique non-pending reports, in arrival order
    fills: FillSet
    received: int = 0
    pending_skipped: int = 0
    duplicates: int = 0
    coverage: dict[int, tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=dict)

    @classmethod
    def build(cls, reports: Iterable[ExecReport], source: str = "reports") -> ReportSet:
        unique: dict[str, ExecReport] = {}
        received = pending = 0
        everything: list[ExecReport] = []
        for r in reports:
            received += 1
            everything.append(r)
            if r.exec_id == PENDING_EXEC_ID:
                pending += 1
                continue
            unique.setdefault(r.exec_id, r)
        fills = FillSet.from_reports(source, everything)
        out = cls(list(unique.values()), fills, received, pending, received - pending - len(unique))
        out.coverage = _coverage(unique)
        return out

    def covers(self, exec_id: str) -> bool:
        """Whether `exec_id` falls inside the ExecID range these reports span on its shard.

        A drop-copy replay covers only the range that was requested (3-hour look-back), a listener
        only the time it was connected: a journal fill outside the range is not expected here.
        ExecIDs that do not parse are treated as covered (better a false break than a silent miss).
        """
        key = exec_id_key(exec_id)
        if key is None:
            return True
        span = self.coverage.get(key[0])
        return span is not None and span[0] <= key[1:] <= span[1]

    def last_by_order(self) -> dict[str, ExecReport]:
        """The newest report (highest ExecID on its shard, else arrival order) per OrderID."""
        out: dict[str, ExecReport] = {}
        for r in self.reports:
            if not r.order_id or r.exec_type is ExecType.REJECTED:
                continue
            prev = out.get(r.order_id)
            if prev is None or _newer(r, prev):
                out[r.order_id] = r
        return out


def _newer(a: ExecReport, b: ExecReport) -> bool:
    ka, kb = exec_id_key(a.exec_id), exec_id_key(b.exec_id)
    if ka is None or kb is None or ka[0] != kb[0]:
        return True  # not comparable: arrival order decides
    return ka > kb


def _coverage(unique: dict[str, ExecReport]) -> dict[int, tuple[tuple[int, int], tuple[int, int]]]:
    spans: dict[int, tuple[tuple[int, int], tuple[int, int]]] = {}
    for exec_id in unique:
        key = exec_id_key(exec_id)
        if key is None:
            continue
        shard, point = key[0], key[1:]
        lo_hi = spans.get(shard)
        spans[shard] = (point, point) if lo_hi is None else (min(lo_hi[0], point), max(lo_hi[1], point))
    return spans


# ---------------------------------------------------------------------------- REST
@dataclass(slots=True)
class RestView:
    fills: FillSet
    orders: list  # fixengine.rest.Order
    positions: dict[tuple[str, int], object]  # (ticker, subaccount) -> fixengine.rest.MarketPosition
    settlements: dict[tuple[str, int], object]  # (ticker, subaccount) -> fixengine.rest.Settlement

    def client_order_id(self, order_id: str) -> str | None:
        """The ClOrdID REST shows for an exchange OrderID (REST fills carry only the OrderID)."""
        for o in self.orders:
            if o.order_id == order_id:
                return o.client_order_id
        return None

    @classmethod
    def build(cls, fills: Iterable = (), orders: Iterable = (), positions: dict | None = None,
              settlements: dict | None = None) -> RestView:
        return cls(FillSet.from_rest(fills), list(orders), dict(positions or {}), dict(settlements or {}))

    @classmethod
    def fetch(cls, client, subaccounts: Iterable[int] = (0,)) -> RestView:
        """Everything the reconciler needs from a KalshiRestClient (positions and settlements carry no
        subaccount field, so they are asked for one subaccount at a time)."""
        fills = list(client.fills())
        orders = list(client.orders())
        subs = set(subaccounts) | {f.subaccount_number or 0 for f in fills}
        subs |= {o.subaccount_number or 0 for o in orders}
        positions: dict[tuple[str, int], object] = {}
        settlements: dict[tuple[str, int], object] = {}
        for sub in sorted(subs):
            for p in client.positions(subaccount=sub).market_positions:
                positions[(p.ticker, sub)] = p
            for s in client.settlements(subaccount=sub):
                settlements[(s.ticker, sub)] = s
        return cls.build(fills, orders, positions, settlements)


# ---------------------------------------------------------------------------- JSONL of ExecReports
def report_to_json(r: ExecReport) -> str:
    return json.dumps({name: _plain(getattr(r, name)) for name in J.ER_FIELDS}, separators=(",", ":"))


def _plain(value):
    return value.value if hasattr(value, "value") else value


def report_from_dict(data: dict) -> ExecReport:
    known = {k: v for k, v in data.items() if k in J.ER_FIELDS}
    try:
        r = ExecReport(**known)
        r.exec_type = ExecType(r.exec_type)
        r.ord_status = OrdStatus(r.ord_status)
        r.side = Side(r.side)
        if r.time_in_force is not None:
            r.time_in_force = TimeInForce(r.time_in_force)
    except (TypeError, ValueError) as exc:
        raise UserInputError(f"not an ExecReport: {exc}") from exc
    return r


def iter_jsonl_lines(paths: Iterable[str | Path], what: str) -> Iterator[tuple[str | Path, int, str]]:
    """(path, line number, line) for every non-blank line; an unreadable file is a UserInputError
    naming it as a `what` file (e.g. "reports", "settlements")."""
    for path in paths:
        try:
            lines = Path(path).read_text("utf-8").splitlines()
        except OSError as exc:
            raise UserInputError(f"cannot read {what} file {path}: {exc}") from exc
        for n, line in enumerate(lines, 1):
            if line.strip():
                yield path, n, line


def read_reports_jsonl(paths: Iterable[str | Path]) -> list[ExecReport]:
    """ExecReports written one JSON object a line (field names of fixengine.model.ExecReport)."""
    out: list[ExecReport] = []
    for path, n, line in iter_jsonl_lines(paths, "reports"):
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserInputError(f"{path}:{n}: not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise UserInputError(f"{path}:{n}: expected a JSON object")
        try:
            out.append(report_from_dict(data))
        except UserInputError as exc:
            raise UserInputError(f"{path}:{n}: {exc}") from exc
    return out


def read_report_dicts_jsonl(paths: Iterable[str | Path]) -> list[dict]:
    """The same files as plain dicts, decoded with one json.loads per file (the columnar fast path)."""
    out: list[dict] = []
    for path in paths:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise UserInputError(f"cannot read reports file {path}: {exc}") from exc
        lines = [line for line in text.splitlines() if line.strip()]
        try:
            out += json.loads("[" + ",".join(lines) + "]")
        except json.JSONDecodeError:
            read_reports_jsonl([path])  # raises with the offending line number
            raise
    return out


def write_reports_jsonl(path: str | Path, reports: Iterable[ExecReport]) -> int:
    lines = [report_to_json(r) for r in reports]
    Path(path).write_text("".join(line + "\n" for line in lines), "utf-8")
    return len(lines)

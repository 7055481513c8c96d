"""Columnar fill sets and the fast ExecID join.

Every source becomes a `FillSet`: one row per unique fill, integer columns in NumPy arrays
(price $0.0001, qty 0.01 contract, fee $0.000001) and the string keys in lists. Joining two
sets maps each ExecID to a dense integer row number through one dict (hashed keys built in
C by ``dict(zip(...))``), after which every comparison is a vectorised NumPy expression.

De-duplication (part 1 §4.8, anchors §5): ExecID is the key across NR/RT/listener/drop copy;
a PossDup or replayed copy with the same ExecID is the same fill; the pending placeholder
``-1;-1`` is never a key. Two copies of one ExecID that disagree are kept as conflicts.
"""

from __future__ import annotations

import gc
import json
import re
import sqlite3
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter
from typing import Any

import numpy as np

from fixengine.engine import journal as J
from fixengine.model import PENDING_EXEC_ID, ExecReport, ExecType, Side

SIDE_CODE = {Side.BUY: 1, Side.SELL: 2, "1": 1, "2": 2}
SIDE_OF_CODE = {1: Side.BUY, 2: Side.SELL}


def exec_id_key(exec_id: str) -> tuple[int, int, int] | None:
    """(shard, clock, event) of a Kalshi ExecID ``clock;event[;shard]``; None when it does not parse."""
    parts = exec_id.split(";")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        return None
    shard = int(parts[2]) if len(parts) == 3 else 0
    return shard, int(parts[0]), int(parts[1])


def match_key(order_id: str | None, match_id: str | None) -> str | None:
    """Secondary key shared by an ExecutionReport and a REST fill: OrderID + TrdMatchID (= fill_id)."""
    if not order_id or not match_id:
        return None
    return f"{order_id}\x1f{match_id}"


@dataclass(slots=True)
class FillSet:
    source: str
    exec_id: list[str]
    order_id: list[str]
    cl_ord_id: list[str]
    match_id: list[str | None]
    symbol: list[str]
    subaccount: np.ndarray
    side: np.ndarray
    price: np.ndarray
    qty: np.ndarray
    fee: np.ndarray
    time: list[str | None]
    reports: list[ExecReport] | None = None  # the ExecutionReport behind each row, when there is one
    duplicates: int = 0  # copies dropped because their ExecID was already present
    conflicts: list[tuple[ExecReport, ExecReport]] = field(default_factory=list)
    last_seq: int = 0  # journal sets only: the highest journal seq read

    def __len__(self) -> int:
        return len(self.exec_id)

    def row(self, i: int) -> dict:
        return {"exec_id": self.exec_id[i], "order_id": self.order_id[i], "cl_ord_id": self.cl_ord_id[i],
                "symbol": self.symbol[i], "subaccount": int(self.subaccount[i]), "side": int(self.side[i]),
                "price": int(self.price[i]), "qty": int(self.qty[i]), "fee": int(self.fee[i])}

    def index(self) -> dict[str, int]:
        return dict(zip(self.exec_id, range(len(self.exec_id))))

    def match_index(self) -> dict[str, int]:
        return {k: i for i, (o, m) in enumerate(zip(self.order_id, self.match_id))
                if (k := match_key(o, m)) is not None}

    @classmethod
    def empty(cls, source: str) -> FillSet:
        z = np.zeros(0, dtype=np.int64)
        return cls(source, [], [], [], [], [], z, z.astype(np.int8), z, z, z, [], [])

    @classmethod
    def from_columns(cls, source: str, cols: dict, reports: list[ExecReport] | None = None) -> FillSet:
        return cls(source, cols["exec_id"], cols["order_id"], cols["cl_ord_id"], cols["match_id"], cols["symbol"],
                   np.asarray(cols["subaccount"], dtype=np.int64), np.asarray(cols["side"], dtype=np.int8),
                   np.asarray(cols["price"], dtype=np.int64), np.asarray(cols["qty"], dtype=np.int64),
                   np.asarray(cols["fee"], dtype=np.int64), cols["time"], reports)

    @classmethod
    def from_reports(cls, source: str, reports: Iterable[ExecReport]) -> FillSet:
        """Trade reports, de-duplicated on ExecID (first copy wins; disagreeing copies are conflicts).

        Columns are pulled with one C-level attrgetter pass; only duplicate ExecIDs are looked at in Python.
        """
        with paused_gc():
            trades = [r for r in reports if r.exec_type is ExecType.TRADE and r.exec_id != PENDING_EXEC_ID]
            if not trades:
                return cls.empty(source)
            cols = list(zip(*map(_REPORT_COLUMNS, trades)))
            cols, keep, duplicates, conflicts = _first_copies(cols, trades, fill_economics)
            if keep is not None:
                trades = [trades[i] for i in keep]
            out = cls._from_report_columns(source, cols, trades)
        out.duplicates, out.conflicts = duplicates, conflicts
        return out

    @classmethod
    def from_dicts(cls, source: str, records: list[dict]) -> FillSet:
        """Trade reports given as dicts of ExecReport field names (JSONL lines, decoded in one json.loads),
        turned into columns without building an ExecReport per row. Same de-duplication as from_reports;
        `reports` stays None (build ExecReports only for the rows a repair needs)."""
        with paused_gc():
            trades = [d for d in records if d.get("exec_type") == ExecType.TRADE.value
                      and d.get("exec_id") != PENDING_EXEC_ID]
            if not trades:
                return cls.empty(source)
            cols = list(zip(*map(_DICT_COLUMNS, trades)))
            cols, _, duplicates, conflicts = _first_copies(cols, trades, _DICT_ECONOMICS)
            out = cls._from_report_columns(source, cols, None)
        out.duplicates, out.conflicts = duplicates, conflicts
        return out

    @classmethod
    def _from_report_columns(cls, source: str, cols: list, reports: list[ExecReport] | None) -> FillSet:
        """cols in _REPORT_FIELDS order (sides as "1"/"2" text or Side)."""
        exec_id, order_id, cl_ord_id, match, symbol, sub, side, last_px, price, last_qty, fee, ttime = cols
        px = np.array([p if p is not None else (q or 0) for p, q in zip(last_px, price)], dtype=np.int64)
        return cls(source, list(exec_id), list(order_id), list(cl_ord_id), list(match), list(symbol),
                   np.array(sub, dtype=np.int64), np.array([SIDE_CODE[x] for x in side], dtype=np.int8), px,
                   np.array([q or 0 for q in last_qty], dtype=np.int64),
                   np.array([f or 0 for f in fee], dtype=np.int64), list(ttime), reports)

    @classmethod
    def from_rest(cls, fills: Iterable) -> FillSet:
        """REST /portfolio/fills records (fixengine.rest.Fill); no ExecID there: keyed on OrderID + fill_id."""
        rows = list({(f.order_id, f.fill_id): f for f in fills}.values())
        return cls.from_columns("rest", {
            "exec_id": ["" for _ in rows], "order_id": [f.order_id for f in rows],
            "cl_ord_id": ["" for _ in rows], "match_id": [f.fill_id for f in rows],
            "symbol": [f.ticker for f in rows], "subaccount": [f.subaccount_number or 0 for f in rows],
            # book_side bid = a YES bid (wire Buy); ask = an offer of YES == buying NO (wire Sell)
            "side": [1 if f.book_side == "bid" else 2 for f in rows], "price": [f.yes_price for f in rows],
            "qty": [f.count for f in rows], "fee": [f.fee_cost for f in rows],
            "time": [f.created_time.isoformat() if f.created_time else None for f in rows]}, None)


def _first_copies(cols: list, trades: list,
                  economics: Callable[[Any], tuple]) -> tuple[list, list[int] | None, int, list]:
    """De-duplicate trade rows on ExecID (cols[0]); the first copy wins.

    Returns (cols of the kept rows, kept row numbers or None when nothing was dropped, number of
    copies dropped, (first, later) pairs of copies whose `economics` disagree). Only the rows of
    duplicated ExecIDs are looked at in Python.
    """
    exec_ids = cols[0]
    first = dict(zip(reversed(exec_ids), range(len(exec_ids) - 1, -1, -1)))  # ExecID -> first row
    duplicates = len(exec_ids) - len(first)
    conflicts: list[tuple] = []
    if not duplicates:
        return cols, None, 0, conflicts
    keep = sorted(first.values())
    kept = set(keep)
    for i, e in enumerate(exec_ids):
        if i not in kept and economics(trades[first[e]]) != economics(trades[i]):
            conflicts.append((trades[first[e]], trades[i]))
    return [[c[i] for i in keep] for c in cols], keep, duplicates, conflicts


def _px(r: ExecReport) -> int:
    return r.last_px if r.last_px is not None else (r.price or 0)


def fill_economics(r: ExecReport) -> tuple:
    return (r.order_id, r.symbol, r.side, r.subaccount, r.last_qty, _px(r), r.fee or 0)


# ---------------------------------------------------------------------------- journal, fast
_ER = {name: i for i, name in enumerate(J.ER_FIELDS)}
_REPORT_FIELDS = ("exec_id", "order_id", "cl_ord_id", "trd_match_id", "symbol", "subaccount", "side", "last_px",
                  "price", "last_qty", "fee", "transact_time")
_REPORT_COLUMNS = attrgetter(*_REPORT_FIELDS)
_DICT_COLUMNS = itemgetter(*_REPORT_FIELDS)
_DICT_ECONOMICS = itemgetter("order_id", "symbol", "side", "subaccount", "last_qty", "last_px", "fee")


@contextmanager
def paused_gc():
    """Bulk loads create millions of small containers; cyclic GC passes over them are pure overhead here."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_journal_fills(path_or_db, after_seq: int = 0) -> FillSet:
    """Trade reports of an order journal as columns.

    The journal holds reports two ways: parsed ("er", a JSON list of ExecReport fields) and as
    received ("er_wire", the FIX text). For "er" rows SQLite cuts each record down to the needed
    fields and concatenates them into one text, decoded by a single json.loads (one C call instead
    of a fetch and a decode per record); "er_wire" rows that are trades (150=F, found by SQLite) are parsed one by one
    with the session's own parser. Same de-duplication as `FillSet.from_reports` (first ExecID in
    journal order wins, as the engine's replay applies only the first copy).
    """
    db = path_or_db if isinstance(path_or_db, sqlite3.Connection) else sqlite3.connect(str(path_or_db))
    wanted = ("exec_type",) + _REPORT_FIELDS
    paths = ", ".join(f"'$[{_ER[name]}]'" for name in wanted)
    try:
        # json_extract with several paths parses each record once and returns just these fields; the
        # seq is spliced in front and SQLite concatenates all rows into one text for one json.loads
        (blob,) = db.execute(
            "SELECT group_concat(x, ',') FROM (SELECT '[' || seq || ',' || substr(json_extract(data, "
            f"{paths}), 2) AS x FROM journal WHERE seq > ? AND kind = ? ORDER BY seq)",
            (after_seq, J.EXEC_REPORT)).fetchone()
        wire = db.execute("SELECT seq, data FROM journal WHERE seq > ? AND kind = ? "
                          "AND instr(data, char(1) || '150=F' || char(1)) > 0 ORDER BY seq",
                          (after_seq, J.EXEC_REPORT_WIRE)).fetchall()
        last = db.execute("SELECT MAX(seq) FROM journal").fetchone()[0] or after_seq
    except sqlite3.Error as exc:
        raise J.JournalError(f"cannot read order journal {path_or_db}: {exc}") from exc
    finally:
        if not isinstance(path_or_db, sqlite3.Connection):
            db.close()
    if not blob and not wire:
        out = FillSet.empty("journal")
        out.last_seq = last
        return out
    with paused_gc():
        records = json.loads("[" + blob + "]") if blob else []
        del blob
        if wire:
            records += [[seq, *_wire_fields(text)] for seq, text in wire]
            records.sort(key=itemgetter(0))
        fields = list(zip(*records))
        del records
        trade = np.array(fields[1]) == ExecType.TRADE.value
        cols = fields[2:]
        if not trade.all():
            keep = np.nonzero(trade)[0].tolist()
            cols = [[c[i] for i in keep] for c in cols]
        exec_ids = cols[0]
        first = dict(zip(reversed(exec_ids), range(len(exec_ids) - 1, -1, -1)))
        duplicates = len(exec_ids) - len(first)
        if duplicates:
            take = sorted(first.values())
            cols = [[c[i] for i in take] for c in cols]
        out = FillSet._from_report_columns("journal", cols, None) if len(cols[0]) else FillSet.empty("journal")
    out.duplicates, out.last_seq = duplicates, last
    return out


def _wire_fields(text: str) -> list:
    r = J.decode_wire_exec_report(text)
    return [r.exec_type.value, *_REPORT_COLUMNS(r)]


def journal_exec_ids(db: sqlite3.Connection) -> set[str]:
    """Every ExecID the journal holds, parsed and wire records alike (the pending -1;-1 included)."""
    out = {row[0] for row in db.execute(
        f"SELECT json_extract(data, '$[{_ER['exec_id']}]') FROM journal WHERE kind = ?", (J.EXEC_REPORT,))}
    for (text,) in db.execute("SELECT data FROM journal WHERE kind = ?", (J.EXEC_REPORT_WIRE,)):
        match = _WIRE_EXEC_ID.search(text)
        if match:
            out.add(match.group(1))
    return out


_WIRE_EXEC_ID = re.compile("(?:^|\x01)17=([^\x01]*)")

"""Crash-safe order journal: every order intent (before it is sent) and every answer, in SQLite.

WAL mode: each record is its own committed transaction, so a kill -9 of the engine loses nothing
that `append` returned from (the WAL frames are written to the OS before the commit returns; with
synchronous=NORMAL only a power loss could drop the last commits). Records are JSON lists in a single ordered table so the
engine state can be rebuilt by replaying them through the same state machine (recovery.py).
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from fixengine.errors import FixEngineError
from fixengine.model import ExecReport, ExecType, OrdStatus, SettlementParty, SettlementReport, Side, TimeInForce
from fixengine.session.records import BusinessReject, CancelReject, MassCancelReport

# Record kinds
NEW = "new"  # an order intent, written before the NewOrderSingle is handed to QuickFIX
CANCEL = "cancel"
REPLACE = "replace"
MASS_CANCEL = "mass_cancel"
LOCAL_REJECT = "local_reject"  # an intent refused before sending (risk, rate limit, session down)
DISCONNECT_CANCEL = "disconnect_cancel"  # open orders the exchange cancels on disconnect (8013=Y, NR)
SEND_FAILED = "send_failed"  # QuickFIX refused to send (not logged on): the intent never left
EXEC_REPORT = "er"  # a parsed ExecReport as JSON (reports that did not come off the wire)
EXEC_REPORT_WIRE = "er_wire"  # an ExecutionReport as received: "D"/"C" (dollar/cent mode) + FIX text
CANCEL_REJECT = "cxl_rej"
BUSINESS_REJECT = "bmr"
MASS_CANCEL_REPORT = "mass_report"
SETTLEMENT = "settlement"  # a MarketSettlementReport page (35=UMS), as a JSON object
GROUP = "group"  # an order group as answered / inferred (id, limit, subaccount, shard, state): last one wins
RFQ = "rfq"  # an RFQ requester snapshot (an RFQ, a quote, an accept or a sent MsgSeqNum): last one per id wins

# One encoder for all records: json.dumps(separators=...) builds a new JSONEncoder on every call.
_encode = json.JSONEncoder(separators=(",", ":")).encode

ER_FIELDS = tuple(ExecReport.__dataclass_fields__)
CXL_FIELDS = tuple(CancelReject.__dataclass_fields__)
BMR_FIELDS = tuple(BusinessReject.__dataclass_fields__)
MCR_FIELDS = tuple(MassCancelReport.__dataclass_fields__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY,  -- rowid: never reused because nothing is ever deleted
    ts_ns INTEGER NOT NULL,
    kind TEXT NOT NULL,
    key TEXT,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class JournalError(FixEngineError):
    """The journal cannot be opened or written; the engine must not trade without it."""


class Journal:
    def __init__(self, path: str | Path, synchronous: str = "NORMAL") -> None:
        """`synchronous`: NORMAL (default) survives kill -9 and, but for the last commits, power loss;
        OFF survives kill -9 only (no fsync ever, so no checkpoint latency spikes)."""
        if synchronous.upper() not in ("OFF", "NORMAL", "FULL"):
            raise JournalError(f"journal synchronous must be OFF, NORMAL or FULL, not {synchronous!r}")
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False, timeout=0.5)
            # EXCLUSIVE: one engine per journal (a second one fails here instead of interleaving
            # records), and no per-commit file-lock syscalls (~2 us less per record).
            self._db.execute("PRAGMA locking_mode=EXCLUSIVE")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={synchronous}")
            self._db.executescript(_SCHEMA)
            self._db.execute("BEGIN EXCLUSIVE")  # take the lock now, not at the first order
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open order journal {self.path} (is another engine using it?): {exc}") from exc
        self._insert = "INSERT INTO journal (ts_ns, kind, key, data) VALUES (?, ?, ?, ?)"

    def close(self) -> None:
        self._db.close()

    def append(self, kind: str, key: str | None, values: list | tuple | dict) -> None:
        try:
            self._db.execute(self._insert, (time.time_ns(), kind, key, _encode(values)))
        except sqlite3.Error as exc:
            raise JournalError(f"cannot write order journal {self.path}: {exc}") from exc

    def append_text(self, kind: str, key: str | None, text: str) -> None:
        try:
            self._db.execute(self._insert, (time.time_ns(), kind, key, text))
        except sqlite3.Error as exc:
            raise JournalError(f"cannot write order journal {self.path}: {exc}") from exc

    # ------------------------------------------------------------------ typed writers
    def exec_report(self, r: ExecReport, wire: str | None = None, use_dollars: bool = True) -> None:
        """Store the wire text when there is one (cheaper than JSON, and the exact evidence)."""
        if wire is not None:
            self.append_text(EXEC_REPORT_WIRE, r.cl_ord_id, ("D" if use_dollars else "C") + wire)
        else:
            self.append(EXEC_REPORT, r.cl_ord_id, [getattr(r, f) for f in ER_FIELDS])

    def cancel_reject(self, r: CancelReject) -> None:
        self.append(CANCEL_REJECT, r.cl_ord_id, [getattr(r, f) for f in CXL_FIELDS])

    def business_reject(self, r: BusinessReject) -> None:
        self.append(BUSINESS_REJECT, r.ref_id, [getattr(r, f) for f in BMR_FIELDS])

    def mass_cancel_report(self, r: MassCancelReport) -> None:
        self.append(MASS_CANCEL_REPORT, r.cl_ord_id, [getattr(r, f) for f in MCR_FIELDS])

    def settlement(self, r: SettlementReport) -> None:
        self.append(SETTLEMENT, r.report_id, dataclasses.asdict(r))

    # ------------------------------------------------------------------ meta
    def get_meta(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, name: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, value))

    # ------------------------------------------------------------------ reading
    def records(self) -> Iterator[tuple[int, str, str | None, object]]:
        """(seq, kind, key, decoded data) in write order."""
        for seq, kind, key, data in self._db.execute("SELECT seq, kind, key, data FROM journal ORDER BY seq"):
            yield seq, kind, key, data if kind == EXEC_REPORT_WIRE else json.loads(data)

    def count(self, kind: str | None = None) -> int:
        if kind is None:
            return self._db.execute("SELECT COUNT(*) FROM journal").fetchone()[0]
        return self._db.execute("SELECT COUNT(*) FROM journal WHERE kind = ?", (kind,)).fetchone()[0]


def decode_settlement(data: dict) -> SettlementReport:
    parties = [SettlementParty(**p) for p in data.get("parties", ())]
    return SettlementReport(**{**data, "parties": parties})


def decode_exec_report(values: list) -> ExecReport:
    r = ExecReport(**dict(zip(ER_FIELDS, values)))
    r.exec_type = ExecType(r.exec_type)
    r.ord_status = OrdStatus(r.ord_status)
    r.side = Side(r.side)
    if r.time_in_force is not None:
        r.time_in_force = TimeInForce(r.time_in_force)
    return r


def decode_wire_exec_report(data: str) -> ExecReport:
    from fixengine.session.parse import parse_exec_report_text

    return parse_exec_report_text(data[1:], use_dollars=data[0] == "D", session="journal")


def decode_cancel_reject(values: list) -> CancelReject:
    return CancelReject(**dict(zip(CXL_FIELDS, values)))


def decode_business_reject(values: list) -> BusinessReject:
    return BusinessReject(**dict(zip(BMR_FIELDS, values)))


def decode_mass_cancel_report(values: list) -> MassCancelReport:
    return MassCancelReport(**dict(zip(MCR_FIELDS, values)))

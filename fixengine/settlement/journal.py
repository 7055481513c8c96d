"""The settlement journal: every MarketSettlementReport page received, in SQLite (WAL).

One row per page (MarketSettlementReportID 20105 is the primary key, so a page resent after a
reconnect - PossDupFlag 43=Y - is recognised and never stored or applied twice), one row per
party entry, the raw wire text of every page, each completed batch, and every page that could
not be parsed (kept raw with the error). Everything is an exact integer: price $0.0001,
qty 0.01 contract, money $0.000001. It survives restarts: pages of a batch still waiting for its
other pages are handed back to the assembler on open (`pending_pages`).

Writes come from QuickFIX's thread, reads from anyone: one connection, one lock, each write
its own committed transaction.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from fixengine.errors import FixEngineError
from fixengine.model import SettlementParty, SettlementReport
from fixengine.settlement.batches import BatchParty, SettlementBatch

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    seq INTEGER PRIMARY KEY,            -- arrival order
    report_id TEXT NOT NULL UNIQUE,     -- 20105
    symbol TEXT NOT NULL,               -- 55
    clearing_date TEXT NOT NULL,        -- 715 YYYYMMDD
    result TEXT NOT NULL,               -- 20107
    settlement_price INTEGER NOT NULL,  -- 730 as price units ($0.0001)
    total_reports INTEGER,              -- 20106
    last_fragment INTEGER NOT NULL,     -- 893 (absent = 1)
    session TEXT,
    msg_seq_num INTEGER,                -- 34
    sending_time TEXT,                  -- 52
    poss_dup INTEGER NOT NULL DEFAULT 0,-- 43=Y
    received_ns INTEGER NOT NULL,
    raw TEXT,                           -- the wire text (SOH separated); NULL when not available
    batch_id INTEGER REFERENCES batches(id)
);
CREATE INDEX IF NOT EXISTS pages_symbol ON pages(symbol);
CREATE TABLE IF NOT EXISTS parties (
    report_id TEXT NOT NULL REFERENCES pages(report_id),
    idx INTEGER NOT NULL,
    party_id TEXT NOT NULL,             -- 20109
    subaccount INTEGER NOT NULL,
    long_qty INTEGER NOT NULL,          -- 704, qty units
    short_qty INTEGER NOT NULL,         -- 705
    payout INTEGER NOT NULL,            -- 1704 (PAYOUT), money units
    fee INTEGER NOT NULL,               -- 137, money units
    cost INTEGER,                       -- book cost of the settled contracts (NULL: unknown)
    realized_pnl INTEGER,               -- book realized P&L of the settlement (NULL: unknown)
    PRIMARY KEY (report_id, idx)
);
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY,
    symbol TEXT NOT NULL,
    clearing_date TEXT NOT NULL,
    result TEXT NOT NULL,
    settlement_price INTEGER NOT NULL,
    total_reports INTEGER,
    complete INTEGER NOT NULL,          -- 0: closed with pages missing
    closed_ns INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rejected (
    id INTEGER PRIMARY KEY,
    received_ns INTEGER NOT NULL,
    session TEXT,
    error TEXT NOT NULL,
    raw TEXT NOT NULL
);
"""


class SettlementJournalError(FixEngineError):
    """The settlement journal cannot be opened or read."""


@dataclass(frozen=True, slots=True)
class StoredPage:
    seq: int
    report: SettlementReport
    parties: tuple[BatchParty, ...]
    session: str | None
    msg_seq_num: int | None
    sending_time: str | None
    poss_dup: bool
    raw: str | None
    batch_id: int | None


@dataclass(frozen=True, slots=True)
class RejectedPage:
    id: int
    received_ns: int
    session: str | None
    error: str
    raw: str


def header_fields(raw: str | None) -> tuple[int | None, str | None, bool]:
    """(MsgSeqNum 34, SendingTime 52, PossDupFlag 43=Y) of a wire text."""
    seq = sending = None
    poss_dup = False
    for part in (raw or "").split("\x01"):
        tag, _, value = part.partition("=")
        if tag == "34" and value.isdigit():
            seq = int(value)
        elif tag == "52":
            sending = value
        elif tag == "43":
            poss_dup = value == "Y"
        elif tag == "55":  # the header is over
            break
    return seq, sending, poss_dup


class SettlementJournal:
    def __init__(self, path: str | Path, synchronous: str = "NORMAL") -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={synchronous}")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise SettlementJournalError(f"settlement journal {self.path}: {exc}") from exc
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------------ writes
    def has_page(self, report_id: str) -> bool:
        with self._lock:
            row = self._db.execute("SELECT 1 FROM pages WHERE report_id = ?", (report_id,)).fetchone()
        return row is not None

    def add_page(self, report: SettlementReport, parties: list[BatchParty], raw: str | None,
                 session: str | None) -> bool:
        """Store a page and its parties; False (nothing written) when its report id is known."""
        seq, sending, poss_dup = header_fields(raw)
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT INTO pages (report_id, symbol, clearing_date, result, settlement_price, total_reports, "
                    "last_fragment, session, msg_seq_num, sending_time, poss_dup, received_ns, raw) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (report.report_id, report.symbol, report.clearing_date, report.result,
                     report.settlement_price_cents_x100, report.total_reports, int(report.last_fragment), session,
                     seq, sending, int(poss_dup), time.time_ns(), raw))
            except sqlite3.IntegrityError:
                return False
            self._db.executemany(
                "INSERT INTO parties VALUES (?,?,?,?,?,?,?,?,?,?)",
                [(report.report_id, i, p.party_id, p.subaccount, p.long_qty, p.short_qty, p.payout, p.fee, p.cost,
                  p.realized_pnl) for i, p in enumerate(parties)])
        return True

    def close_batch(self, batch: SettlementBatch) -> int:
        """Record a closed batch and link its pages to it; returns its id."""
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            cur = self._db.execute(
                "INSERT INTO batches (symbol, clearing_date, result, settlement_price, total_reports, complete, "
                "closed_ns) VALUES (?,?,?,?,?,?,?)",
                (batch.symbol, batch.clearing_date, batch.result, batch.settlement_price, batch.total_reports,
                 int(batch.complete), time.time_ns()))
            batch_id = cur.lastrowid
            self._db.executemany("UPDATE pages SET batch_id = ? WHERE report_id = ?",
                                 [(batch_id, rid) for rid in batch.report_ids])
        return batch_id

    def reject(self, raw: str, error: str, session: str | None) -> int:
        """Keep a page that could not be parsed, raw, with the reason."""
        with self._lock, self._db:
            cur = self._db.execute("INSERT INTO rejected (received_ns, session, error, raw) VALUES (?,?,?,?)",
                                   (time.time_ns(), session, error, raw))
        return cur.lastrowid

    # ------------------------------------------------------------------ reads
    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def pages(self, symbol: str | None = None, *, where: str = "") -> list[StoredPage]:
        """Pages in arrival order (optionally of one market, and/or matching a fixed SQL condition)."""
        clauses = [c for c in (where, "symbol = ?" if symbol is not None else "") if c]
        cond = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        args = (symbol,) if symbol is not None else ()
        rows = self._query("SELECT seq, report_id, symbol, clearing_date, result, settlement_price, total_reports, "
                           "last_fragment, session, msg_seq_num, sending_time, poss_dup, raw, batch_id FROM pages"
                           + cond + " ORDER BY seq", args)
        parties: dict[str, list[BatchParty]] = {}
        for row in self._query("SELECT report_id, party_id, subaccount, long_qty, short_qty, payout, fee, cost, "
                               "realized_pnl FROM parties WHERE report_id IN (SELECT report_id FROM pages"
                               + cond + ") ORDER BY report_id, idx", args):
            parties.setdefault(row[0], []).append(BatchParty(*row))
        out = []
        for (seq, rid, sym, date, result, price, total, last, session, msg_seq, sending, poss_dup, raw,
             batch_id) in rows:
            mine = parties.get(rid, [])
            report = SettlementReport(rid, sym, date, result, price, bool(last), total,
                                      [SettlementParty(p.party_id, p.long_qty, p.short_qty, p.payout, p.fee)
                                       for p in mine])
            out.append(StoredPage(seq, report, tuple(mine), session, msg_seq, sending, bool(poss_dup), raw, batch_id))
        return out

    def pending_pages(self) -> list[StoredPage]:
        """Pages whose batch has not closed yet, in arrival order."""
        return self.pages(where="batch_id IS NULL")

    def batches(self, symbol: str | None = None) -> list[SettlementBatch]:
        """Closed batches in the order they closed, then (complete=False) batches still open."""
        sql = "SELECT id, symbol, clearing_date, result, settlement_price, total_reports, complete FROM batches"
        rows = self._query(sql + (" WHERE symbol = ?" if symbol else "") + " ORDER BY id", (symbol,) if symbol else ())
        pages = self.pages(symbol)
        by_batch: dict[int | None, list[StoredPage]] = {}
        for page in pages:
            by_batch.setdefault(page.batch_id, []).append(page)
        out = []
        for batch_id, sym, date, result, price, total, complete in rows:
            mine = by_batch.get(batch_id, [])
            out.append(SettlementBatch(sym, result, price, date, tuple(p.report.report_id for p in mine),
                                       tuple(party for p in mine for party in p.parties), total, bool(complete),
                                       batch_id))
        open_pages: dict[str, list[StoredPage]] = {}
        for page in by_batch.get(None, []):
            open_pages.setdefault(page.report.symbol, []).append(page)
        for sym, mine in open_pages.items():
            first = mine[0].report
            total = next((p.report.total_reports for p in reversed(mine) if p.report.total_reports), None)
            out.append(SettlementBatch(sym, first.result, first.settlement_price_cents_x100, first.clearing_date,
                                       tuple(p.report.report_id for p in mine),
                                       tuple(party for p in mine for party in p.parties), total, False, None))
        return out

    def rejected(self) -> list[RejectedPage]:
        return [RejectedPage(*row) for row in
                self._query("SELECT id, received_ns, session, error, raw FROM rejected ORDER BY id")]

    def counts(self) -> dict[str, int]:
        return {name: self._query(f"SELECT COUNT(*) FROM {name}")[0][0]
                for name in ("pages", "parties", "batches", "rejected")}

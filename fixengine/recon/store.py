"""Persistent store of reconciliation runs and breaks (``recon.sqlite``).

Tables: ``runs`` (one row per run: when, inputs, counts, exit code), ``breaks`` (every break of every
run, with its stable key) and ``break_status`` (one row per break key: first/last run seen and the
resolved flag). A break seen in an earlier run and absent from a later complete run is marked
resolved by that run; `resolve(key, note)` lets a person close one by hand.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from fixengine.errors import FixEngineError
from fixengine.recon.breaks import Break
from fixengine.recon.reconcile import ReconResult

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_ns INTEGER NOT NULL,
    seconds REAL NOT NULL,
    journal TEXT,
    sources TEXT NOT NULL,
    breaks INTEGER NOT NULL,
    exit_code INTEGER NOT NULL,
    stats TEXT NOT NULL,
    repaired INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS breaks (
    run_id INTEGER NOT NULL REFERENCES runs(run_id),
    key TEXT NOT NULL,
    type TEXT NOT NULL,
    severity TEXT NOT NULL,
    ticker TEXT,
    subaccount INTEGER,
    exec_id TEXT,
    order_id TEXT,
    cl_ord_id TEXT,
    ours TEXT,
    theirs TEXT,
    diff INTEGER,
    data TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
);
CREATE TABLE IF NOT EXISTS break_status (
    key TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    first_run INTEGER NOT NULL,
    last_run INTEGER NOT NULL,
    resolved INTEGER NOT NULL DEFAULT 0,
    resolved_run INTEGER,
    note TEXT
);
"""


class StoreError(FixEngineError):
    pass


class ReconStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path))
            self._db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open reconciliation store {self.path}: {exc}") from exc

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ReconStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def record(self, result: ReconResult, journal: str | None, exit_code: int, repaired: int = 0) -> int:
        """Save one run and its breaks; resolve open breaks this run no longer finds. Returns the run id."""
        with self._db:
            cur = self._db.execute(
                "INSERT INTO runs (started_ns, seconds, journal, sources, breaks, exit_code, stats, repaired) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (time.time_ns(), result.seconds, journal, ",".join(result.sources), len(result.breaks), exit_code,
                 json.dumps(result.stats, sort_keys=True), repaired))
            run = cur.lastrowid
            seen: set[str] = set()
            for b in result.breaks:
                key = b.key
                if key in seen:
                    continue
                seen.add(key)
                self._db.execute(
                    "INSERT INTO breaks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (run, key, b.type.value, b.severity.value, b.ticker, b.subaccount, b.exec_id, b.order_id,
                     b.cl_ord_id, _text(b.ours), _text(b.theirs), b.diff, json.dumps(b.to_dict(), default=str)))
                self._db.execute(
                    "INSERT INTO break_status (key, type, first_run, last_run) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET last_run = excluded.last_run, resolved = 0, resolved_run = NULL",
                    (key, b.type.value, run, run))
            open_keys = [k for (k,) in self._db.execute("SELECT key FROM break_status WHERE resolved = 0")]
            for key in open_keys:
                if key not in seen:
                    self._db.execute("UPDATE break_status SET resolved = 1, resolved_run = ?, note = ? WHERE key = ?",
                                     (run, "not found again", key))
        return run

    def resolve(self, key: str, note: str) -> bool:
        with self._db:
            cur = self._db.execute("UPDATE break_status SET resolved = 1, note = ? WHERE key = ?", (note, key))
        return cur.rowcount > 0

    def runs(self) -> list[dict]:
        cols = ("run_id", "started_ns", "seconds", "journal", "sources", "breaks", "exit_code", "stats", "repaired")
        return [dict(zip(cols, row)) for row in self._db.execute(f"SELECT {', '.join(cols)} FROM runs ORDER BY run_id")]

    def breaks(self, run_id: int) -> list[dict]:
        return [json.loads(d) for (d,) in self._db.execute("SELECT data FROM breaks WHERE run_id = ? ORDER BY rowid",
                                                           (run_id,))]

    def open_breaks(self) -> list[tuple[str, str, int, int]]:
        """(key, type, first_run, last_run) of every break not resolved yet."""
        return list(self._db.execute(
            "SELECT key, type, first_run, last_run FROM break_status WHERE resolved = 0 ORDER BY first_run, key"))

    def status(self, key: str) -> dict | None:
        row = self._db.execute("SELECT key, type, first_run, last_run, resolved, resolved_run, note "
                               "FROM break_status WHERE key = ?", (key,)).fetchone()
        cols = ("key", "type", "first_run", "last_run", "resolved", "resolved_run", "note")
        return None if row is None else dict(zip(cols, row))


def _text(value) -> str | None:
    return None if value is None else str(value)


def stored_breaks(store: ReconStore, run_id: int) -> list[Break]:
    from fixengine.recon.breaks import BreakType, Severity

    out = []
    for d in store.breaks(run_id):
        d.pop("key", None)
        d["type"], d["severity"] = BreakType(d["type"]), Severity(d["severity"])
        out.append(Break(**d))
    return out

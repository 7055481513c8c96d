"""Reference-data cache: markets, events and series with their tick grids, in SQLite.

The engine asks ``grid_for(ticker)`` / ``validate_price(ticker, price)`` before it sends
an order, so those answer from memory when the cached row is fresh and go to REST only
when it is missing or older than the TTL. Rows keep the server's JSON verbatim (parsed
again on read) so a cache file written by one version reads back with the same exactness.
Order books are never cached (Kalshi does not cache them either): ``depth_snapshot``
always fetches, for seeding the local book.

Freshness uses an injectable wall clock (``time.time``) because fetched-at stamps are
persisted in the file and must mean something after a restart.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from fixengine.pricing import TickGrid
from fixengine.rest.client import KalshiRestClient
from fixengine.rest.errors import RestNotFound
from fixengine.rest.fields import dumps_exact, loads_exact
from fixengine.rest.markets import Event, Market, Orderbook, Series

_SCHEMA = """
CREATE TABLE IF NOT EXISTS markets (
    ticker TEXT PRIMARY KEY, event_ticker TEXT NOT NULL, series_ticker TEXT NOT NULL,
    status TEXT NOT NULL, body TEXT NOT NULL, fetched_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS markets_series ON markets(series_ticker);
CREATE INDEX IF NOT EXISTS markets_event ON markets(event_ticker);
CREATE TABLE IF NOT EXISTS events (
    event_ticker TEXT PRIMARY KEY, series_ticker TEXT NOT NULL, body TEXT NOT NULL,
    fetched_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS series (
    ticker TEXT PRIMARY KEY, body TEXT NOT NULL, fetched_at REAL NOT NULL);
"""

DEFAULT_TTL_S = 300.0


class ReferenceCache:
    """Markets/events/series from REST, kept in SQLite with a time-to-live."""

    def __init__(self, client: KalshiRestClient, path: str | Path = ":memory:", *,
                 ttl_s: float = DEFAULT_TTL_S, clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        if str(path) != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        # ticker -> (fetched_at, grid): the engine's pre-send check must not touch SQLite.
        self._grids: dict[str, tuple[float, TickGrid]] = {}
        self.fetches = 0  # REST calls made by this cache (tests, metrics)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _fresh(self, fetched_at: float, max_age: float | None) -> bool:
        limit = self.ttl_s if max_age is None else max_age
        return self._clock() - fetched_at < limit

    def _row(self, table: str, key_column: str, key: str) -> tuple[str, float] | None:
        """(body, fetched_at) of one cached object; table and column are literals of this class."""
        with self._lock:
            return self._db.execute(f"SELECT body, fetched_at FROM {table} WHERE {key_column} = ?",
                                    (key,)).fetchone()

    def _fresh_body(self, table: str, key_column: str, key: str, max_age: float | None) -> Any | None:
        """The decoded JSON body of a cached object still within its age limit, else None."""
        row = self._row(table, key_column, key)
        if row is not None and self._fresh(row[1], max_age):
            return loads_exact(row[0])
        return None

    # ------------------------------------------------------------------ markets

    def _store_markets(self, markets: Iterable[Market]) -> int:
        now = self._clock()
        rows = [(m.ticker, m.event_ticker, m.series_ticker, m.status,
                 dumps_exact(m.raw), now) for m in markets]
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO markets VALUES (?,?,?,?,?,?)", rows)
            self._db.execute("COMMIT")
            for ticker, *_ in rows:
                self._grids.pop(ticker, None)
        return len(rows)

    def refresh_markets(self, *, status: str | None = "open", series_ticker: str | None = None,
                        event_ticker: str | None = None, tickers: list[str] | None = None) -> int:
        """Pull every page of GET /markets with these filters into the cache; returns the count."""
        self.fetches += 1
        markets = self.client.markets(status=status, series_ticker=series_ticker,
                                      event_ticker=event_ticker, tickers=tickers, limit=1000)
        return self._store_markets(markets)

    def refresh_market(self, ticker: str) -> Market:
        """Fetch one market now; a 404 (unknown or archived) evicts it and re-raises."""
        self.fetches += 1
        try:
            market = self.client.market(ticker)
        except RestNotFound:
            with self._lock:
                self._db.execute("DELETE FROM markets WHERE ticker = ?", (ticker,))
                self._grids.pop(ticker, None)
            raise
        self._store_markets([market])
        return market

    def market(self, ticker: str, max_age: float | None = None) -> Market:
        """The market from cache when fresh (TTL or `max_age` seconds), else from REST."""
        body = self._fresh_body("markets", "ticker", ticker, max_age)
        if body is not None:
            return Market.from_json(body)
        return self.refresh_market(ticker)

    def markets(self, *, series_ticker: str | None = None, event_ticker: str | None = None,
                status: str | None = None) -> list[Market]:
        """Cached markets (no REST call), ordered by ticker. `status` is the object status."""
        sql, args = "SELECT body FROM markets WHERE 1=1", []
        for column, value in (("series_ticker", series_ticker), ("event_ticker", event_ticker),
                              ("status", status)):
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(value)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY ticker", args).fetchall()
        return [_market_from_body(r[0]) for r in rows]

    # ------------------------------------------------------------------ tick grids

    def grid_for(self, ticker: str, max_age: float | None = None) -> TickGrid:
        """The market's tick grid from ``price_ranges``; refreshed with the market row."""
        entry = self._grids.get(ticker)
        if entry is not None and self._fresh(entry[0], max_age):
            return entry[1]
        market = self.market(ticker, max_age)
        row = self._row("markets", "ticker", ticker)
        fetched_at = row[1] if row else self._clock()
        grid = market.tick_grid()
        self._grids[ticker] = (fetched_at, grid)
        return grid

    def preload(self, *, status: str | None = "open", series_ticker: str | None = None) -> dict[str, TickGrid]:
        """Load the market list through REST and build every tick grid (engine start-up)."""
        self.refresh_markets(status=status, series_ticker=series_ticker)
        markets = self.markets(series_ticker=series_ticker)
        return {m.ticker: self.grid_for(m.ticker) for m in markets}

    def validate_price(self, ticker: str, price: int) -> int:
        """`price` (units of $0.0001) if it is a valid order price on the market's grid;
        otherwise the pricing package's OffGridPriceError / PriceOutOfRangeError."""
        return self.grid_for(ticker).validate(price)

    # ------------------------------------------------------------------ events / series

    def event(self, event_ticker: str, max_age: float | None = None) -> Event:
        body = self._fresh_body("events", "event_ticker", event_ticker, max_age)
        if body is not None:
            return Event.from_json(body)
        self.fetches += 1
        event = self.client.event(event_ticker)
        body = dict(event.raw)
        body["markets"] = [m.raw for m in event.markets]
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO events VALUES (?,?,?,?)",
                             (event.event_ticker, event.series_ticker,
                              dumps_exact(body), self._clock()))
        if event.markets:
            self._store_markets(event.markets)
        return Event.from_json(body)

    def series(self, series_ticker: str, max_age: float | None = None) -> Series:
        body = self._fresh_body("series", "ticker", series_ticker, max_age)
        if body is not None:
            return Series.from_json(body)
        self.fetches += 1
        series = self.client.series(series_ticker)
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO series VALUES (?,?,?)",
                             (series.ticker, dumps_exact(series.raw), self._clock()))
        return series

    # ------------------------------------------------------------------ depth

    def depth_snapshot(self, ticker: str, depth: int = 0) -> Orderbook:
        """A live order-book snapshot (never cached) to seed the local depth book."""
        return self.client.orderbook(ticker, depth)

    def seed_book(self, book, ticker: str, depth: int = 0) -> int:
        """Register `ticker` on a ``fixengine.book.Book`` with its REST tick grid and load a
        fresh depth snapshot into it. Returns the number of levels the book refused."""
        book.add_market(ticker, self.grid_for(ticker))
        snapshot = self.depth_snapshot(ticker, depth)
        return book.depth.load_snapshot(ticker, list(snapshot.yes_bids), list(snapshot.no_bids))


def _market_from_body(body: str) -> Market:
    return Market.from_json(loads_exact(body))

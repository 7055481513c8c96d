"""Request handling of the simulator's REST face, independent of the HTTP server.

``RestFace.handle`` takes a method, path, query and headers and returns (status, JSON
body). Order of checks, like Kalshi's gateway: injected faults, route, authentication
(``/portfolio/*``), the caller's Read token bucket (429, no Retry-After), parameters (400),
then the lookup (404 ``not_found``).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

from fixengine.auth import RestAuthError as AuthFailure
from fixengine.auth import authenticate_rest
from fixengine.rest.ratelimit import DEFAULT_COST, BucketSpec, TokenBucket, read_bucket_spec
from fixengine.sim.rest import shapes
from fixengine.sim.rest.params import BadRequest, Query, filter_markets, page
from fixengine.sim.rest.protocol import ExchangeView

log = logging.getLogger(__name__)

PREFIX = "/trade-api/v2"
LOG_LENGTH = 10_000

#: Per-IP budget for unsigned calls: undocumented; live observations match Basic with a
#: 3 s burst (~20 req/s sustained, ~60 burst; fact sheet §6).
PUBLIC_BUCKET = BucketSpec(200, 600)

#: Live data starts here: the simulator archives nothing, so every record is "live".
DEFAULT_CUTOFF = datetime(2025, 1, 1, tzinfo=timezone.utc)

FAULT_BODIES = {
    429: ("too_many_requests", "too many requests"),
    500: ("internal_server_error", "internal server error"),
    502: ("bad_gateway", "bad gateway"),
    503: ("service_unavailable", "service unavailable"),
    504: ("gateway_timeout", "gateway timeout"),
}


@dataclass(frozen=True, slots=True)
class RestAccount:
    """One API key the simulator accepts on /portfolio/*."""

    key_id: str
    user_id: str
    public_key: Any  # a cryptography public key object
    tier: str = "basic"
    subaccount: int | None = None  # key restricted to one subaccount (None = all)


Response = tuple[int, dict[str, Any]]


class RestFace:
    def __init__(self, view: ExchangeView, accounts: list[RestAccount], *,
                 clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], float] = time.time,
                 public_bucket: BucketSpec | None = PUBLIC_BUCKET,
                 cutoff: datetime = DEFAULT_CUTOFF,
                 max_skew_ms: int | None = None) -> None:
        self.view = view
        self.accounts = {a.key_id: a for a in accounts}
        self._clock = clock
        self._wall = wall_clock
        self._public_spec = public_bucket
        self.cutoff = cutoff
        # Kalshi's REST timestamp tolerance is UNCONFIRMED: None (default) skips the check.
        self._max_skew_ms = max_skew_ms
        self._buckets: dict[str, TokenBucket] = {}
        self._faults: list[list[int]] = []  # [status, remaining]
        self._lock = threading.Lock()
        # (method, path, status) of recent requests, for tests and the admin view.
        self.log: deque[tuple[str, str, int]] = deque(maxlen=LOG_LENGTH)
        self.routes: list[tuple[re.Pattern, Callable[..., Response], bool]] = [
            (re.compile(r"/markets"), self.get_markets, False),
            (re.compile(r"/markets/orderbooks"), self.get_orderbooks, False),
            (re.compile(r"/markets/([^/]+)"), self.get_market, False),
            (re.compile(r"/markets/([^/]+)/orderbook"), self.get_orderbook, False),
            (re.compile(r"/events"), self.get_events, False),
            (re.compile(r"/events/([^/]+)"), self.get_event, False),
            (re.compile(r"/series"), self.get_series_list, False),
            (re.compile(r"/series/([^/]+)"), self.get_series, False),
            (re.compile(r"/exchange/status"), self.get_status, False),
            (re.compile(r"/exchange/schedule"), self.get_schedule, False),
            (re.compile(r"/historical/cutoff"), self.get_cutoff, False),
            (re.compile(r"/portfolio/balance"), self.get_balance, True),
            (re.compile(r"/portfolio/positions"), self.get_positions, True),
            (re.compile(r"/portfolio/fills"), self.get_fills, True),
            (re.compile(r"/portfolio/orders"), self.get_orders, True),
            (re.compile(r"/portfolio/orders/([^/]+)"), self.get_order, True),
            (re.compile(r"/portfolio/settlements"), self.get_settlements, True),
        ]

    # ------------------------------------------------------------------ control

    def inject_failures(self, status: int, count: int) -> None:
        """Answer the next `count` requests with `status` and Kalshi's error body."""
        if status not in FAULT_BODIES:
            raise ValueError(f"cannot inject status {status}; choose one of {sorted(FAULT_BODIES)}")
        if count < 0:
            raise ValueError("count must be >= 0")
        with self._lock:
            self._faults.append([status, count])

    def _take_fault(self) -> int | None:
        with self._lock:
            while self._faults and self._faults[0][1] <= 0:
                self._faults.pop(0)
            if not self._faults:
                return None
            self._faults[0][1] -= 1
            return self._faults[0][0]

    def _bucket(self, name: str, spec: BucketSpec) -> TokenBucket:
        with self._lock:
            bucket = self._buckets.get(name)
            if bucket is None:
                bucket = self._buckets[name] = TokenBucket.for_spec(spec, clock=self._clock)
            return bucket

    # ------------------------------------------------------------------ dispatch

    def handle(self, method: str, path: str, query: dict[str, list[str]],
               headers: dict[str, str], client: str) -> Response:
        headers = _Headers({k.lower(): v for k, v in headers.items()})
        try:
            status, body = self._dispatch(method, path, Query(query), headers, client)
        except Exception as exc:  # noqa: BLE001 - a simulator bug must not drop the connection
            log.exception("REST face failed on %s %s", method, path)
            status, body = 500, shapes.error_json("internal_server_error", "internal server error",
                                                  f"{type(exc).__name__}: {exc}"[:200])
        with self._lock:
            self.log.append((method, path, status))
        return status, body

    def _dispatch(self, method: str, path: str, query: Query, headers: dict[str, str],
                  client: str) -> Response:
        fault = self._take_fault()
        if fault is not None:
            return fault, shapes.error_json(*FAULT_BODIES[fault])
        if not path.startswith(PREFIX + "/"):
            return 404, shapes.error_json("not_found", "route not found")
        route = path[len(PREFIX):].rstrip("/")
        for pattern, handler, signed in self.routes:
            match = pattern.fullmatch(route)
            if match:
                break
        else:
            return 404, shapes.error_json("not_found", "route not found")
        if method != "GET":
            return 405, shapes.error_json("method_not_allowed", f"{method} not allowed on {route}")
        account = None
        if signed:
            account, failure = self._authenticate(method, path, headers)
            if failure:
                return failure
            bucket = self._bucket("key:" + account.key_id, read_bucket_spec(account.tier))
        elif self._public_spec is not None:
            bucket = self._bucket("ip:" + client, self._public_spec)
        else:
            bucket = None
        if bucket is not None and not bucket.try_take(DEFAULT_COST):
            return 429, shapes.error_json("too_many_requests", "too many requests")
        try:
            args = [account] if signed else []
            return handler(*args, *(unquote(g) for g in match.groups()), query=query)
        except BadRequest as exc:
            return 400, shapes.error_json("bad_request", exc.message)
        except Forbidden as exc:
            return 403, shapes.error_json("forbidden", str(exc))

    def _authenticate(self, method: str, path: str, headers: dict[str, str]):
        """(account, None) for a correctly signed request, else (None, 401 response)."""
        def public_key_for(key_id: str):
            account = self.accounts.get(key_id)
            return account.public_key if account else None
        try:
            key_id = authenticate_rest(headers, method, path, public_key_for,
                                       now=int(self._wall() * 1000), max_skew_ms=self._max_skew_ms)
        except AuthFailure as exc:
            return None, _auth_error(exc.reason)
        return self.accounts[key_id], None

    # ------------------------------------------------------------------ market data

    def _market_json(self, m) -> dict[str, Any]:
        return shapes.market_json(m, self.view.orderbook(m.ticker))

    def get_markets(self, *, query: Query) -> Response:
        markets = filter_markets(list(self.view.markets()), query)
        chunk, cursor = page(markets, query, 100, 1000)
        return 200, {"markets": [self._market_json(m) for m in chunk], "cursor": cursor}

    def get_market(self, ticker: str, *, query: Query) -> Response:
        market = self.view.market(ticker)
        if market is None:
            return 404, shapes.error_json("not_found", "market not found")
        return 200, {"market": self._market_json(market)}

    def get_orderbook(self, ticker: str, *, query: Query) -> Response:
        depth = query.int("depth", 0, 100, 0)
        # Unknown tickers answer 200 with empty sides, as observed live (§4.4).
        return 200, {"orderbook_fp": shapes.orderbook_json(self.view.orderbook(ticker), depth)}

    def get_orderbooks(self, *, query: Query) -> Response:
        tickers = query.all("tickers")
        if not 1 <= len(tickers) <= 100:
            raise BadRequest("tickers: between 1 and 100 tickers are required")
        if any(len(t) > 200 for t in tickers):
            raise BadRequest("tickers: each ticker must be at most 200 characters")
        return 200, {"orderbooks": [
            {"ticker": t, "orderbook_fp": shapes.orderbook_json(self.view.orderbook(t))}
            for t in tickers]}

    def _event_markets(self, event_ticker: str) -> list[dict[str, Any]]:
        return [self._market_json(m) for m in self.view.markets() if m.event_ticker == event_ticker]

    def get_events(self, *, query: Query) -> Response:
        nested = query.bool("with_nested_markets")
        status = query.get("status") or None
        if status is not None and status not in ("unopened", "open", "closed", "settled"):
            raise BadRequest(f"invalid status {status!r}")
        events = [e for e in self.view.events() if not e.event_ticker.startswith("KXMVE")]
        if query.get("series_ticker"):
            events = [e for e in events if e.series_ticker == query.get("series_ticker")]
        if query.get("tickers"):
            wanted = set(query.get("tickers").split(","))
            events = [e for e in events if e.event_ticker in wanted]
        if status is not None:
            # An event matches if any of its markets matches the status filter.
            matching = {m.event_ticker for m in
                        filter_markets(list(self.view.markets()), Query({"status": [status]}))}
            events = [e for e in events if e.event_ticker in matching]
        chunk, cursor = page(events, query, 200, 200)
        return 200, {"events": [shapes.event_json(e, self._event_markets(e.event_ticker)
                                                  if nested else None) for e in chunk],
                     "cursor": cursor}

    def get_event(self, event_ticker: str, *, query: Query) -> Response:
        nested = query.bool("with_nested_markets")
        event = next((e for e in self.view.events() if e.event_ticker == event_ticker), None)
        if event is None:
            return 404, shapes.error_json("not_found", "event not found")
        markets = self._event_markets(event_ticker)
        if nested:
            return 200, {"event": shapes.event_json(event, markets), "markets": []}
        return 200, {"event": shapes.event_json(event), "markets": markets}

    def get_series_list(self, *, query: Query) -> Response:
        series = list(self.view.series())
        category = query.get("category")
        if category:
            series = [s for s in series if s.category == category]
        return 200, {"series": [shapes.series_json(s) for s in series]}

    def get_series(self, series_ticker: str, *, query: Query) -> Response:
        found = next((s for s in self.view.series() if s.ticker == series_ticker), None)
        if found is None:
            return 404, shapes.error_json("not_found", "series not found")
        return 200, {"series": shapes.series_json(found)}

    def get_status(self, *, query: Query) -> Response:
        """503 with the ExchangeStatus body during maintenance, as Kalshi's spec declares."""
        exchange_active, trading_active = self.view.exchange_state()
        body = shapes.exchange_status_json(exchange_active, trading_active)
        return (200 if exchange_active else 503), body

    def get_schedule(self, *, query: Query) -> Response:
        year = datetime.fromtimestamp(self._wall(), timezone.utc).year
        return 200, shapes.schedule_json(year)

    def get_cutoff(self, *, query: Query) -> Response:
        stamp = shapes.ts(self.cutoff)
        return 200, {"market_settled_ts": stamp, "trades_created_ts": stamp,
                     "orders_updated_ts": stamp, "market_positions_last_updated_ts": stamp}

    # ------------------------------------------------------------------ portfolio

    def get_balance(self, account: RestAccount, *, query: Query) -> Response:
        subaccount = _subaccount(account, query, 0)
        balance = self.view.balance(account.user_id, subaccount)
        return 200, shapes.balance_json(balance, breakdown=account.subaccount is None)

    def get_positions(self, account: RestAccount, *, query: Query) -> Response:
        subaccount = _subaccount(account, query, 0)
        settlement = query.get("settlement_status") or "unsettled"
        if settlement not in ("unsettled", "settled", "all"):
            raise BadRequest(f"invalid settlement_status {settlement!r}")
        positions = [p for p in self.view.positions(account.user_id) if p.subaccount == subaccount]
        if query.get("ticker"):
            positions = [p for p in positions if p.ticker == query.get("ticker")]
        if query.get("event_ticker"):
            positions = [p for p in positions if p.event_ticker == query.get("event_ticker")]
        if settlement != "all":
            settled = {m.ticker for m in self.view.markets() if m.status == "finalized"}
            want_settled = settlement == "settled"
            positions = [p for p in positions if (p.ticker in settled) == want_settled]
        chunk, cursor = page(positions, query, 100, 1000)
        return 200, {"market_positions": [shapes.market_position_json(p) for p in chunk],
                     "event_positions": shapes.event_positions_json(chunk),
                     "cursor": cursor}

    def get_fills(self, account: RestAccount, *, query: Query) -> Response:
        fills = _in_subaccount(self.view.fills(account.user_id), _subaccount(account, query, None))
        if query.get("ticker"):
            wanted = set(query.get("ticker").split(","))
            fills = [f for f in fills if f.symbol in wanted]
        if query.get("order_id"):
            fills = [f for f in fills if f.order_id == query.get("order_id")]
        fills = _by_time(fills, query, lambda f: f.time)
        fills.sort(key=lambda f: f.time, reverse=True)  # newest first
        chunk, cursor = page(fills, query, 100, 1000)
        return 200, {"fills": [shapes.fill_json(f) for f in chunk], "cursor": cursor}

    def get_orders(self, account: RestAccount, *, query: Query) -> Response:
        orders = _in_subaccount(self.view.orders(account.user_id), _subaccount(account, query, None))
        status = query.get("status") or None
        if status is not None and status not in ("resting", "canceled", "executed"):
            raise BadRequest(f"invalid status {status!r}")
        if query.get("ticker"):
            orders = [o for o in orders if o.symbol == query.get("ticker")]
        if query.get("event_ticker"):
            wanted = set(query.get("event_ticker").split(","))
            events = {m.ticker: m.event_ticker for m in self.view.markets()}
            orders = [o for o in orders if events.get(o.symbol) in wanted]
        if status is not None:
            orders = [o for o in orders if shapes.order_status(o) == status]
        orders = _by_time(orders, query, lambda o: o.created_time)
        orders.sort(key=lambda o: o.created_time, reverse=True)
        chunk, cursor = page(orders, query, 100, 1000)
        return 200, {"orders": [shapes.order_json(o) for o in chunk], "cursor": cursor}

    def get_order(self, account: RestAccount, order_id: str, *, query: Query) -> Response:
        orders = _in_subaccount(self.view.orders(account.user_id), account.subaccount)
        found = next((o for o in orders if o.order_id == order_id), None)
        if found is None:
            return 404, shapes.error_json("not_found", "order not found")
        return 200, {"order": shapes.order_json(found)}

    def get_settlements(self, account: RestAccount, *, query: Query) -> Response:
        items = _in_subaccount(self.view.settlements(account.user_id),
                               _subaccount(account, query, None))
        if query.get("ticker"):
            items = [s for s in items if s.ticker == query.get("ticker")]
        if query.get("event_ticker"):
            items = [s for s in items if s.event_ticker == query.get("event_ticker")]
        items = _by_time(items, query, lambda s: s.settled_time)
        chunk, cursor = page(items, query, 100, 1000)
        return 200, {"settlements": [shapes.settlement_json(s) for s in chunk], "cursor": cursor}


class Forbidden(Exception):
    pass


def _subaccount(account: RestAccount, query: Query, default: int | None) -> int | None:
    """The subaccount a call reads: the key's own when it is restricted to one (asking for
    another is refused: 403, code UNCONFIRMED), else the query's, else `default`
    (0 for balance/positions; None = all for fills/orders/settlements, §4.13-4.17)."""
    requested = query.int("subaccount", 0, 63)
    if account.subaccount is not None:
        if requested is not None and requested != account.subaccount:
            raise Forbidden(f"API key is restricted to subaccount {account.subaccount}")
        return account.subaccount
    return default if requested is None else requested


def _in_subaccount(items, subaccount: int | None) -> list:
    items = list(items)
    if subaccount is None:
        return items
    return [i for i in items if getattr(i, "subaccount", 0) == subaccount]


class _Headers(dict):
    """Header map with case-insensitive ``get`` (keys stored lower-case)."""

    def get(self, key, default=None):
        return super().get(key.lower(), default)


def _auth_error(reason: str) -> Response:
    return 401, shapes.error_json("authentication_error", "authentication_error",
                                  f"rpc error: code = Unauthenticated desc = {reason}")


def _by_time(items: list, query: Query, when) -> list:
    low = query.int("min_ts", 0, 2**62)
    high = query.int("max_ts", 0, 2**62)
    if low is None and high is None:
        return items
    return [i for i in items
            if (low is None or when(i).timestamp() >= low) and (high is None or when(i).timestamp() <= high)]

"""Kalshi Trade API v2 read-only client: typed, exact results over a RestSession.

List endpoints return iterators that follow the cursor until the server says the data
is exhausted; single-object endpoints return one frozen dataclass. Public market data is
sent unsigned; ``/portfolio/*`` calls are signed with the configured key.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx

from fixengine.errors import UserInputError
from fixengine.rest.errors import RestResponseError, RestServerError
from fixengine.rest.markets import (
    Event, ExchangeStatus, HistoricalCutoff, Market, Orderbook, Schedule, Series,
)
from fixengine.rest.portfolio import (
    Balance, EventPosition, Fill, MarketPosition, Order, Positions, Settlement,
)
from fixengine.rest.ratelimit import TokenBucket, read_bucket_spec
from fixengine.rest.session import RestSession, RetryPolicy, Signer

#: Hosts from the REST fact sheet §1 (the recommended ones).
BASE_URLS = {
    "kalshi-prod": "https://external-api.kalshi.com/trade-api/v2",
    "kalshi-demo": "https://external-api.demo.kalshi.co/trade-api/v2",
}

MARKET_STATUS_FILTERS = ("unopened", "open", "paused", "closed", "settled")
TS_FILTERS = frozenset(f"{bound}_{family}_ts" for bound in ("min", "max")
                       for family in ("created", "updated", "close", "settled"))


def _seg(value: str) -> str:
    """A ticker as one URL path segment."""
    return quote(value, safe="")


def _one(page: Any, key: str, what: str) -> Any:
    if not isinstance(page, dict) or key not in page:
        raise RestResponseError(f"{what}: response has no {key!r}")
    return page[key]


class KalshiRestClient:
    """Typed access to markets, events, series, exchange and portfolio endpoints."""

    def __init__(self, base_url: str, *, key_id: str | None = None, private_key: Any = None,
                 tier: str | None = "basic", timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None,
                 retry: RetryPolicy = RetryPolicy(),
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic,
                 rng: random.Random | None = None) -> None:
        signer = Signer(key_id, private_key) if key_id and private_key is not None else None
        bucket = None
        if tier is not None:
            # Without a key every call is public: pace at the advised <= 10 req/s.
            spec = read_bucket_spec(tier if signer else "public")
            bucket = TokenBucket.for_spec(spec, clock=clock, sleep=sleep)
        self.session = RestSession(base_url, signer=signer, bucket=bucket, retry=retry,
                                   timeout=timeout, transport=transport, sleep=sleep, rng=rng)

    @classmethod
    def from_config(cls, config: Any, *, session: str | None = None, with_key: bool = True,
                    **options: Any) -> KalshiRestClient:
        """A client for an ``EngineConfig``: its REST base URL, rate-limit tier and (with
        `with_key`) the API key of `session` (default: the first configured session)."""
        if not config.rest_base_url:
            raise UserInputError(f"{config.source}: rest_base_url is 'auto'; fill it in with "
                                 "EngineConfig.with_endpoints(rest_base_url=...) first")
        key_id = private_key = None
        if with_key:
            from fixengine.auth import load_private_key
            kind = session or next(iter(config.sessions))
            sess = config.session(kind)
            path = sess.private_key_path()
            if path is None:
                raise UserInputError(f"{config.source}: sessions.{sess.kind.value}: "
                                     f"environment variable {sess.private_key_env} is not set")
            key_id, private_key = sess.api_key_id, load_private_key(path)
        tier = str(getattr(config.rate_limit.tier, "value", config.rate_limit.tier))
        options.setdefault("tier", tier)
        return cls(config.rest_base_url, key_id=key_id, private_key=private_key, **options)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> KalshiRestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ markets

    def markets(self, *, status: str | None = None, series_ticker: str | None = None,
                event_ticker: str | None = None, tickers: list[str] | None = None,
                mve_filter: str | None = None, limit: int | None = None,
                **ts_filters: int) -> Iterator[Market]:
        """GET /markets over all pages. ``ts_filters``: min_/max_ created|updated|close|settled _ts."""
        params: dict[str, Any] = {"status": status, "series_ticker": series_ticker,
                                  "event_ticker": event_ticker, "mve_filter": mve_filter,
                                  "tickers": ",".join(tickers) if tickers else None}
        unknown = set(ts_filters) - TS_FILTERS
        if unknown:
            raise UserInputError(f"unknown /markets filter(s) {sorted(unknown)}; "
                                 f"timestamp filters are {sorted(TS_FILTERS)}")
        params.update(ts_filters)
        for item in self.session.paginate("/markets", "markets", params, limit=limit):
            yield Market.from_json(item)

    def market(self, ticker: str) -> Market:
        page = self.session.get(f"/markets/{_seg(ticker)}")
        return Market.from_json(_one(page, "market", f"market {ticker}"))

    def orderbook(self, ticker: str, depth: int = 0) -> Orderbook:
        page = self.session.get(f"/markets/{_seg(ticker)}/orderbook",
                                {"depth": depth or None})
        return Orderbook.from_json(ticker, page)

    def orderbooks(self, tickers: list[str]) -> dict[str, Orderbook]:
        """GET /markets/orderbooks (repeated ``tickers`` params), keyed by ticker."""
        page = self.session.get("/markets/orderbooks", {"tickers": list(tickers)})
        books = {}
        for item in _one(page, "orderbooks", "orderbooks"):
            ticker = item.get("ticker") if isinstance(item, dict) else None
            if not isinstance(ticker, str):
                raise RestResponseError("orderbooks: item without a ticker")
            books[ticker] = Orderbook.from_json(ticker, item)
        return books

    # ------------------------------------------------------------------ events / series

    def events(self, *, status: str | None = None, series_ticker: str | None = None,
               with_nested_markets: bool = False, limit: int | None = None,
               **filters: Any) -> Iterator[Event]:
        params = {"status": status, "series_ticker": series_ticker,
                  "with_nested_markets": with_nested_markets or None, **filters}
        for item in self.session.paginate("/events", "events", params, limit=limit):
            yield Event.from_json(item)

    def event(self, event_ticker: str, with_nested_markets: bool = False) -> Event:
        """GET /events/{t}; markets come nested or in the deprecated top-level list."""
        page = self.session.get(f"/events/{_seg(event_ticker)}",
                                {"with_nested_markets": with_nested_markets or None})
        event = Event.from_json(_one(page, "event", f"event {event_ticker}"))
        top = page.get("markets") or []
        if not event.markets and top:
            from dataclasses import replace
            event = replace(event, markets=tuple(Market.from_json(m) for m in top))
        return event

    def series_list(self, *, category: str | None = None, tags: str | None = None,
                    include_volume: bool = False) -> list[Series]:
        """GET /series: not paginated; one response with every series."""
        page = self.session.get("/series", {"category": category, "tags": tags,
                                            "include_volume": include_volume or None})
        return [Series.from_json(s) for s in _one(page, "series", "series list") or []]

    def series(self, series_ticker: str) -> Series:
        page = self.session.get(f"/series/{_seg(series_ticker)}")
        return Series.from_json(_one(page, "series", f"series {series_ticker}"))

    # ------------------------------------------------------------------ exchange

    def exchange_status(self) -> ExchangeStatus:
        """GET /exchange/status, not retried: during maintenance Kalshi answers 503 (or
        500/504) with an ExchangeStatus body, which is the answer, not a failure."""
        try:
            return ExchangeStatus.from_json(self.session.get("/exchange/status", retry=False))
        except RestServerError as exc:
            if isinstance(exc.body, dict) and "exchange_active" in exc.body:
                return ExchangeStatus.from_json(exc.body)
            raise

    def exchange_schedule(self) -> Schedule:
        return Schedule.from_json(self.session.get("/exchange/schedule"))

    def historical_cutoff(self) -> HistoricalCutoff:
        return HistoricalCutoff.from_json(self.session.get("/historical/cutoff"))

    # ------------------------------------------------------------------ portfolio (signed)

    def balance(self, subaccount: int | None = None) -> Balance:
        page = self.session.get("/portfolio/balance", {"subaccount": subaccount}, auth=True)
        return Balance.from_json(page)

    def position_pages(self, *, ticker: str | None = None, event_ticker: str | None = None,
                       settlement_status: str | None = None, subaccount: int | None = None,
                       limit: int | None = None) -> Iterator[Positions]:
        """GET /portfolio/positions page by page (each page carries both lists)."""
        params: dict[str, Any] = {"ticker": ticker, "event_ticker": event_ticker,
                                  "settlement_status": settlement_status,
                                  "subaccount": subaccount, "limit": limit}
        seen: set[str] = set()
        while True:
            page = self.session.get("/portfolio/positions", params, auth=True)
            if not isinstance(page, dict):
                raise RestResponseError("positions: expected a JSON object")
            yield Positions(
                tuple(MarketPosition.from_json(p) for p in page.get("market_positions") or []),
                tuple(EventPosition.from_json(p) for p in page.get("event_positions") or []))
            cursor = page.get("cursor")
            if not cursor:
                return
            if cursor in seen:
                raise RestResponseError("positions: server repeated a cursor")
            seen.add(cursor)
            params["cursor"] = cursor

    def positions(self, **filters: Any) -> Positions:
        """Every page of GET /portfolio/positions, merged (filters as for position_pages)."""
        markets: list[MarketPosition] = []
        events: list[EventPosition] = []
        for page in self.position_pages(**filters):
            markets += page.market_positions
            events += page.event_positions
        return Positions(tuple(markets), tuple(events))

    def fills(self, *, ticker: str | None = None, order_id: str | None = None,
              min_ts: int | None = None, max_ts: int | None = None,
              subaccount: int | None = None, limit: int | None = None) -> Iterator[Fill]:
        params = {"ticker": ticker, "order_id": order_id, "min_ts": min_ts, "max_ts": max_ts,
                  "subaccount": subaccount}
        for item in self.session.paginate("/portfolio/fills", "fills", params,
                                          auth=True, limit=limit):
            yield Fill.from_json(item)

    def orders(self, *, ticker: str | None = None, status: str | None = None,
               event_ticker: str | None = None, subaccount: int | None = None,
               limit: int | None = None) -> Iterator[Order]:
        params = {"ticker": ticker, "status": status, "event_ticker": event_ticker,
                  "subaccount": subaccount}
        for item in self.session.paginate("/portfolio/orders", "orders", params,
                                          auth=True, limit=limit):
            yield Order.from_json(item)

    def order(self, order_id: str) -> Order:
        page = self.session.get(f"/portfolio/orders/{_seg(order_id)}", auth=True)
        return Order.from_json(_one(page, "order", f"order {order_id}"))

    def settlements(self, *, ticker: str | None = None, event_ticker: str | None = None,
                    subaccount: int | None = None,
                    limit: int | None = None) -> Iterator[Settlement]:
        params = {"ticker": ticker, "event_ticker": event_ticker, "subaccount": subaccount}
        for item in self.session.paginate("/portfolio/settlements", "settlements", params,
                                          auth=True, limit=limit):
            yield Settlement.from_json(item)

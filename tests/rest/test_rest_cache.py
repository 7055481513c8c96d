"""Reference-data cache: TTL refresh with an injected clock, grids, persistence, depth."""

from __future__ import annotations

import pytest

from fixengine.pricing import OffGridPriceError, PriceOutOfRangeError
from fixengine.rest import RestNotFound
from fixengine.rest.cache import ReferenceCache

from rest_world import BTC_LIVE, BULK, HIGH


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def market_gets(server, ticker: str) -> int:
    return sum(1 for _, path, _ in server.request_log if path.endswith(f"/markets/{ticker}"))


def test_grid_is_cached_until_ttl(client, server):
    clock = Clock()
    cache = ReferenceCache(client, ttl_s=60, clock=clock)
    grid = cache.grid_for(BTC_LIVE)
    assert grid.is_on_grid(950) and not grid.is_on_grid(955)
    assert cache.grid_for(BTC_LIVE) is grid
    clock.now += 59
    cache.validate_price(BTC_LIVE, 9010)
    assert market_gets(server, BTC_LIVE) == 1
    clock.now += 2  # past the TTL
    cache.grid_for(BTC_LIVE)
    assert market_gets(server, BTC_LIVE) == 2


def test_validate_price_rejects_off_grid_and_out_of_range(client):
    cache = ReferenceCache(client, clock=Clock())
    assert cache.validate_price(BTC_LIVE, 950) == 950  # $0.0950 on the 0.001 edge band
    with pytest.raises(OffGridPriceError):
        cache.validate_price(BTC_LIVE, 5050)  # $0.5050: center band is whole cents
    with pytest.raises(OffGridPriceError):
        cache.validate_price(HIGH, 4250)
    with pytest.raises(PriceOutOfRangeError):
        cache.validate_price(HIGH, 10_000)


def test_refresh_markets_loads_every_page(client, server):
    cache = ReferenceCache(client, clock=Clock())
    assert cache.refresh_markets(status=None, series_ticker="KXTEST") == 25
    assert [m.ticker for m in cache.markets(series_ticker="KXTEST")] == sorted(BULK)
    assert len(cache.markets(series_ticker="KXTEST", status="closed")) == 5
    before = len(server.request_log)
    cache.grid_for(BULK[3])  # fresh from the bulk refresh: no request
    assert len(server.request_log) == before


def test_refresh_on_demand_replaces_stale_rows(client, server, face):
    clock = Clock()
    cache = ReferenceCache(client, ttl_s=3600, clock=clock)
    assert cache.market(HIGH).status == "active"
    from dataclasses import replace
    view = face.view
    view.market_list[0] = replace(view.market_list[0], status="closed")
    assert cache.market(HIGH).status == "active"  # still fresh
    assert cache.market(HIGH, max_age=0).status == "closed"  # forced refresh
    assert cache.refresh_market(HIGH).status == "closed"


def test_unknown_market_is_evicted(client, face):
    cache = ReferenceCache(client, clock=Clock())
    cache.market(HIGH)
    face.view.market_list.pop(0)
    with pytest.raises(RestNotFound):
        cache.refresh_market(HIGH)
    assert cache.markets(series_ticker="KXHIGHNY") == []


def test_cache_file_survives_restart(client, server, tmp_path):
    clock = Clock()
    path = tmp_path / "ref.sqlite"
    first = ReferenceCache(client, path, ttl_s=600, clock=clock)
    first.market(HIGH)
    first.event("KXHIGHNY-26OCT08")
    first.series("KXHIGHNY")
    first.close()
    requests = len(server.request_log)
    second = ReferenceCache(client, path, ttl_s=600, clock=clock)
    m = second.market(HIGH)
    assert m.floor_strike == 69 and m.yes_bid_size == 10_300
    assert second.event("KXHIGHNY-26OCT08").mutually_exclusive
    assert second.series("KXHIGHNY").title == "Highest temperature in NYC"
    assert len(server.request_log) == requests  # all three served from the file
    clock.now += 601
    second.series("KXHIGHNY")
    assert len(server.request_log) == requests + 1


def test_depth_snapshot_is_always_live(client, server):
    cache = ReferenceCache(client, clock=Clock())
    a = cache.depth_snapshot(HIGH)
    b = cache.depth_snapshot(HIGH, depth=1)
    assert a.best_yes_bid == b.best_yes_bid == (4200, 10_300)
    assert len(b.yes_bids) == 1
    assert sum(1 for _, p, _ in server.request_log if p.endswith("/orderbook")) == 2


def test_seed_numba_book_from_rest(client):
    from fixengine.book import Book

    cache = ReferenceCache(client, clock=Clock())
    book = Book(max_markets=8, max_orders=100)
    assert cache.seed_book(book, HIGH) == 0
    assert cache.seed_book(book, BTC_LIVE) == 0
    # (best YES bid, size, best YES ask, size): the ask is implied by the best NO bid.
    assert book.depth.top(HIGH) == (4200, 10_300, 4300, 7_261_249)
    assert book.depth.top(BTC_LIVE) == (950, 15_550, 990, 37)  # subpenny levels on the grid


def test_preload_builds_every_grid_in_one_listing(client, server):
    cache = ReferenceCache(client, clock=Clock())
    grids = cache.preload(status="open")
    assert len(grids) == 22  # 20 open bulk markets + two active markets
    assert grids[BTC_LIVE].num_levels == 279 and grids[HIGH].num_levels == 99
    assert [p for _, p, _ in server.request_log] == ["/trade-api/v2/markets"]  # one page, no per-market GETs

"""The typed client against the simulator's REST face over a real loopback socket."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fixengine.pricing import OffGridPriceError
from fixengine.rest import (
    RestAuthError, RestBadRequest, RestNotFound, RestResponseError,
)
from fixengine.rest.errors import parse_error_body
from fixengine.rest.markets import Market, Orderbook

from rest_world import BTC_DONE, BTC_LIVE, BULK, HIGH, USER


def test_markets_paginate_until_empty_cursor(client, server):
    tickers = [m.ticker for m in client.markets(series_ticker="KXTEST", limit=4)]
    assert tickers == BULK  # every market once, in server order
    pages = [entry for entry in server.request_log if entry[1].endswith("/markets")]
    assert len(pages) == 7  # ceil(25 / 4)
    assert client.session.attempts == 7


def test_markets_status_filter_maps_to_object_status(client):
    open_bulk = [m for m in client.markets(series_ticker="KXTEST", status="open")]
    assert len(open_bulk) == 20 and {m.status for m in open_bulk} == {"active"}
    closed = [m.ticker for m in client.markets(status="closed")]
    assert BTC_DONE in closed and len(closed) == 6  # 5 closed bulk + 1 determined


def test_iterator_is_lazy(client, server):
    it = client.markets(limit=2)
    first = next(it)
    assert isinstance(first, Market)
    assert len(server.request_log) == 1


def test_market_fields_are_exact(client):
    m = client.market(HIGH)
    assert (m.yes_bid, m.yes_bid_size) == (4200, 10_300)
    assert (m.yes_ask, m.yes_ask_size) == (4300, 7_261_249)  # 1 - best NO bid, its size
    assert (m.no_bid, m.no_ask) == (5700, 5800)
    assert m.volume == 1_843_225 and m.open_interest == 735_075
    assert m.floor_strike == Decimal(69) and m.cap_strike == Decimal(70)
    assert m.series_ticker == "KXHIGHNY"
    assert m.tick_grid().is_on_grid(4200) and not m.tick_grid().is_on_grid(4250)


def test_subpenny_and_fractional_book(client):
    book = client.orderbook(BTC_LIVE)
    assert book.yes_bids == ((950, 15_550),)  # "0.0950" x "155.50"
    assert book.no_bids == ((9010, 37),)  # "0.9010" x "0.37"
    assert book.yes_asks == ((990, 37),)  # implied: 1 - 0.9010
    assert book.no_asks == ((9050, 15_550),)
    m = client.market(BTC_LIVE)
    grid = m.tick_grid()
    assert grid.is_on_grid(950) and grid.is_on_grid(9010)
    with pytest.raises(OffGridPriceError):
        grid.validate(5050)  # center band steps whole cents


def test_orderbook_depth_keeps_best_levels(client):
    book = client.orderbook(HIGH, depth=2)
    assert book.yes_bids == ((4100, 1250), (4200, 10_300))
    assert book.best_no_bid == (5700, 7_261_249)


def test_unknown_orderbook_is_empty_not_404(client):
    book = client.orderbook("KXNOPE-26JAN01-T1")
    assert book.yes_bids == () and book.no_bids == () and book.yes_asks == ()


def test_batch_orderbooks(client):
    books = client.orderbooks([HIGH, BTC_LIVE])
    assert set(books) == {HIGH, BTC_LIVE}
    assert isinstance(books[HIGH], Orderbook) and books[BTC_LIVE].best_yes_bid == (950, 15_550)


def test_events_series_exchange(client):
    event = client.event("KXHIGHNY-26OCT08", with_nested_markets=True)
    assert event.mutually_exclusive and event.collateral_return_type == "MECNET"
    assert [m.ticker for m in event.markets] == [HIGH]
    plain = client.event("KXHIGHNY-26OCT08")  # markets from the deprecated top-level list
    assert [m.ticker for m in plain.markets] == [HIGH]
    assert {e.event_ticker for e in client.events(limit=1)} == {
        "KXHIGHNY-26OCT08", "KXBTC15M-26OCT081415", "KXBTC15M-26OCT081430", "KXTEST-26NOV01"}
    series = client.series("KXHIGHNY")
    assert series.fee_multiplier == Decimal(1) and series.categories == ("Climate and Weather",)
    assert {s.ticker for s in client.series_list()} == {"KXHIGHNY", "KXBTC15M", "KXTEST"}
    status = client.exchange_status()
    assert status.trading_active and [s.exchange_index for s in status.index_statuses] == [0, 1, 2, 3]
    schedule = client.exchange_schedule()
    assert schedule.standard_hours[0].sessions("thursday") == (("00:00", "03:00"), ("05:00", "00:00"))
    assert client.historical_cutoff().market_settled_ts.year == 2025


def test_portfolio_is_exact(client):
    balance = client.balance()
    assert balance.balance == 123_456_789  # "123.456789": 6-dp money kept exactly
    assert balance.balance_cents == 12_345 and balance.portfolio_value_cents == 4_210
    assert balance.breakdown == ((0, 100_000_000), (2, 23_456_789))
    positions = client.positions(settlement_status="all")
    (mp,) = positions.market_positions
    assert mp.position == -2000 and mp.fees_paid == 304_760 and mp.market_exposure == 13_600_000
    (ep,) = positions.event_positions
    assert ep.total_cost_shares == 2000
    (fill,) = client.fills()
    assert (fill.count, fill.yes_price, fill.no_price, fill.fee_cost) == (2000, 3200, 6800, 304_760)
    assert (fill.outcome_side, fill.book_side, fill.is_taker) == ("no", "ask", True)
    (order,) = client.orders(status="resting")
    assert order.user_id == USER and order.remaining_count == 5000 and order.yes_price == 3000
    assert client.order(order.order_id) == order
    assert list(client.orders(status="executed")) == []
    (settlement,) = client.settlements()
    assert settlement.revenue_cents == 2000 and settlement.no_total_cost == 13_600_000


def test_not_found_is_typed(client):
    with pytest.raises(RestNotFound) as info:
        client.market("KXNOPE-26JAN01-T1")
    assert info.value.status == 404 and info.value.code == "not_found"
    assert info.value.message == "market not found"
    with pytest.raises(RestNotFound):
        client.order("no-such-order")


def test_bad_params_are_400(client):
    with pytest.raises(RestBadRequest) as info:
        list(client.markets(limit=1001))
    assert info.value.status == 400 and "lte" in info.value.message
    with pytest.raises(RestBadRequest):
        client.orderbook(HIGH, depth=101)
    with pytest.raises(RestBadRequest):
        list(client.markets(status="open", min_close_ts=1))  # close_ts needs closed or none
    assert client.session.retries == 0  # 400s are never retried


def test_portfolio_without_key_fails_before_sending(server):
    from fixengine.rest import KalshiRestClient
    with KalshiRestClient(server.url, tier=None) as anonymous:
        with pytest.raises(RestAuthError) as info:
            anonymous.balance()
        assert anonymous.session.attempts == 0
    assert info.value.status == 401


@pytest.mark.parametrize("body,expected", [
    (b'{"error":{"code":"not_found","message":"market not found"}}', ("not_found", "market not found", "")),
    (b'{"error":"too many requests"}', ("", "too many requests", "")),
    (b'{"code":"invalid_order","message":"bad","details":"x"}', ("invalid_order", "bad", "x")),
    (b"<html>bad gateway</html>", ("", "<html>bad gateway</html>", "")),
])
def test_error_body_shapes(body, expected):
    assert parse_error_body(body) == expected


@pytest.mark.parametrize("field,value", [
    ("yes_bid_dollars", "0.12345"),  # 5 dp price
    ("yes_bid_dollars", 0.42),  # a binary float
    ("volume_fp", "1.001"),  # 3 dp count
    ("volume_fp", "-1.00"),
    ("yes_bid_dollars", "1e-2"),
])
def test_malformed_fixed_point_is_refused(samples, field, value):
    data = dict(samples["market_response"]["market"])
    data[field] = value
    with pytest.raises(RestResponseError, match=field):
        Market.from_json(data)


def test_missing_required_field_is_refused(samples):
    data = dict(samples["market_response"]["market"])
    del data["price_ranges"]
    with pytest.raises(RestResponseError, match="price_ranges: required"):
        Market.from_json(data)


def test_samples_parse_exactly(samples):
    m = Market.from_json(samples["market_tapered_determined"])
    assert m.floor_strike == Decimal("62431.17") and m.settlement_value == 10_000
    assert m.volume == 41_298_831
    assert m.tick_grid().num_levels == 100 + 80 + 99  # 0.001..0.100, 0.11..0.90, 0.901..0.999
    assert m.created_time.microsecond == 5112


def test_fact_sheet_samples_parse_exactly(samples):
    from fixengine.rest import (
        Balance, Event, ExchangeStatus, Fill, HistoricalCutoff, MarketPosition, Order,
        Schedule, Series, Settlement,
    )
    scalar = Market.from_json(samples["market_finalized_scalar"])
    assert scalar.result == "scalar" and scalar.settlement_value == 4700
    assert scalar.raw["custom_strike"] == {"baseball_team": "00000000-0000-0000-0000-000000000000"}
    event = Event.from_json(samples["event_response"]["event"])
    assert event.mutually_exclusive and event.markets == ()
    assert Series.from_json(samples["series_response"]["series"]).fee_type == "quadratic"
    book = Orderbook.from_json("X", samples["orderbook"])
    assert book.best_no_bid == (5700, 7_261_249) and book.yes_asks[0] == (4300, 7_261_249)
    assert len(ExchangeStatus.from_json(samples["exchange_status"]).index_statuses) == 4
    assert Schedule.from_json(samples["exchange_schedule"]).maintenance_windows == ()
    b = Balance.from_json(samples["balance"])
    assert (b.balance, b.balance_cents, b.breakdown) == (123_456_700, 12_345, ((0, 100_000_000), (2, 23_456_700)))
    mp = MarketPosition.from_json(samples["positions"]["market_positions"][0])
    assert (mp.position, mp.fees_paid, mp.total_traded) == (-2000, 300_000, 6_400_000)
    f = Fill.from_json(samples["fills"]["fills"][0])
    assert (f.count, f.yes_price, f.no_price, f.fee_cost, f.ts) == (2000, 3200, 6800, 304_700, 1791471662)
    o = Order.from_json(samples["orders"]["orders"][0])
    assert (o.initial_count, o.yes_price, o.expiration_time, o.self_trade_prevention_type) == (
        5000, 3000, None, "taker_at_cross")
    s = Settlement.from_json(samples["settlements"]["settlements"][0])
    assert (s.revenue_cents, s.no_count, s.no_total_cost, s.value_cents) == (2000, 2000, 13_600_000, 0)
    cutoff = HistoricalCutoff.from_json(samples["historical_cutoff"])
    assert cutoff.orders_updated_ts.month == 9


def test_positions_page_by_page(client):
    pages = list(client.position_pages(settlement_status="all", limit=1))
    assert len(pages) == 1 and pages[0].market_positions[0].position == -2000


def test_unknown_timestamp_filter_is_refused(client, server):
    from fixengine.errors import UserInputError
    with pytest.raises(UserInputError, match="min_open_ts"):
        list(client.markets(min_open_ts=1))
    assert server.request_log == []

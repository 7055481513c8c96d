"""The REST face over the simulator's real Exchange: same state as its FIX side."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from fixengine.auth import generate_private_key, public_key_pem
from fixengine.model import Side
from fixengine.rest import KalshiRestClient, RestAuthError, RestRateLimited, RetryPolicy
from fixengine.sim.config import sim_config_from_mapping
from fixengine.sim.exchange import Exchange, ManualClock, NewOrder
from fixengine.sim.rest import start_rest_server

TRADER = "5b7f8a1e-0c1d-4e2f-9a3b-4c5d6e7f8a90"
MM = "9a8b7c6d-5e4f-4321-8765-0fedcba98765"
TRADER_KEY = "0f8fad5b-d9cb-469f-a165-70867728950e"
MM_KEY = "3f2c9a1e-8b7d-4c6e-9f10-2a4b6c8d0e12"
LINEAR = "KXHIGHNY-26NOV25-B55.5"
TAPERED = "KXBTC15M-26NOV251700-T95000"
T0 = datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def keys():
    return {"trader": generate_private_key(), "mm": generate_private_key()}


@pytest.fixture
def sim(tmp_path, keys):
    for name, key in keys.items():
        (tmp_path / f"{name}.pub.pem").write_text(public_key_pem(key))
    config = sim_config_from_mapping({
        "users": [
            {"user_id": TRADER, "balance": "1000.00", "tier": "Basic",
             "keys": [{"key_id": TRADER_KEY, "public_key": "trader.pub.pem"}]},
            {"user_id": MM, "balance": "5000.00", "tier": "Prime",
             "keys": [{"key_id": MM_KEY, "public_key": "mm.pub.pem"}]},
        ],
        "markets": [
            {"ticker": LINEAR, "price_level_structure": "linear_cent",
             "close_time": "2027-12-31T04:59:00Z"},
            {"ticker": TAPERED, "price_level_structure": "tapered_deci_cent",
             "fractional_trading": True, "shard": 2},
        ],
    }, "test-sim.yaml", tmp_path)
    exchange = Exchange.from_config(config, clock=ManualClock(T0))
    exchange.add_liquidity(MM, LINEAR, Side.SELL, 4500, 1000)  # offer 10 YES @ 0.45
    exchange.add_liquidity(MM, LINEAR, Side.BUY, 4000, 500)  # bid 5 YES @ 0.40
    exchange.add_liquidity(MM, TAPERED, Side.BUY, 950, 1555)  # subpenny, fractional
    exchange.submit(NewOrder(key_id=TRADER_KEY, user_id=TRADER, cl_ord_id="t-1", symbol=LINEAR,
                             side=Side.BUY, price=4500, qty=400))
    handle = start_rest_server(exchange, config)
    yield exchange, handle
    handle.stop()


def client(handle, key_id, key, **kw) -> KalshiRestClient:
    return KalshiRestClient(handle.url, key_id=key_id, private_key=key, tier=None, **kw)


def test_market_data_reflects_the_book(sim, keys):
    exchange, handle = sim
    with client(handle, TRADER_KEY, keys["trader"]) as c:
        m = c.market(LINEAR)
        assert m.status == "active" and m.exchange_index == 0
        assert (m.yes_bid, m.yes_bid_size) == (4000, 500)
        assert (m.yes_ask, m.yes_ask_size) == (4500, 600)  # 10 offered, 4 traded
        assert m.last_price == 4500 and m.volume == 400
        book = c.orderbook(LINEAR)
        assert book.yes_bids == ((4000, 500),) and book.no_bids == ((5500, 600),)
        tapered = c.market(TAPERED)
        assert tapered.exchange_index == 2 and tapered.tick_grid().is_on_grid(950)
        assert c.orderbook(TAPERED).yes_bids == ((950, 1555),)
        assert [x.ticker for x in c.markets(status="open")] == [LINEAR, TAPERED]
        assert {e.event_ticker for e in c.events()} == {"KXHIGHNY-26NOV25", "KXBTC15M-26NOV251700"}
        assert c.exchange_status().trading_active


def test_portfolio_reflects_the_trade(sim, keys):
    exchange, handle = sim
    with client(handle, TRADER_KEY, keys["trader"]) as c:
        (fill,) = c.fills()
        assert (fill.count, fill.yes_price, fill.outcome_side, fill.is_taker) == (400, 4500, "yes", True)
        (order,) = c.orders()
        assert order.status == "executed" and order.fill_count == 400 and order.client_order_id == "t-1"
        positions = c.positions()
        (p,) = positions.market_positions
        assert p.ticker == LINEAR and p.position == 400
        balance = c.balance()
        expected = exchange.balance(TRADER, 0).available
        assert balance.balance == expected and expected < 1000 * 1_000_000
    with client(handle, MM_KEY, keys["mm"]) as c:
        resting = {o.ticker: o for o in c.orders(status="resting")}
        assert resting[LINEAR].remaining_count in (500, 600)
        assert len(list(c.orders(status="resting"))) == 3


def test_new_trades_show_up_without_restart(sim, keys):
    exchange, handle = sim
    with client(handle, TRADER_KEY, keys["trader"]) as c:
        exchange.submit(NewOrder(key_id=TRADER_KEY, user_id=TRADER, cl_ord_id="t-2", symbol=LINEAR,
                                 side=Side.SELL, price=4000, qty=100))  # sell YES into the bid
        assert c.positions().market_positions[0].position == 300
        assert c.market(LINEAR).yes_bid_size == 400


def test_keys_from_sim_config_are_enforced(sim, keys):
    _, handle = sim
    with client(handle, TRADER_KEY, keys["mm"]) as c:  # the MM's key under the trader's id
        with pytest.raises(RestAuthError):
            c.balance()


def test_tier_from_sim_config_limits_reads(sim, keys):
    _, handle = sim
    handle.face._clock = lambda: 0.0  # freeze refills: only the Basic bucket (200 tokens) is left
    with client(handle, TRADER_KEY, keys["trader"], retry=RetryPolicy(max_attempts=1)) as c:
        for _ in range(20):
            c.balance()
        with pytest.raises(RestRateLimited):
            c.balance()

"""A simulator state mirroring the fact sheet's §9 samples, plus bulk markets for paging."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from fixengine.model import OrdStatus, Side, TimeInForce
from fixengine.sim.exchange.events import Fill, OrderView
from fixengine.sim.rest import (
    BalanceInfo, BookDepth, EventInfo, MarketInfo, MemoryExchangeView, PositionInfo,
    SeriesInfo, SettlementInfo,
)

USER = "11111111-2222-3333-4444-555555555555"
KEY_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
OTHER_KEY_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"

LINEAR = ((0, 10_000, 100),)
TAPERED = ((0, 1_000, 10), (1_000, 9_000, 100), (9_000, 10_000, 10))

HIGH = "KXHIGHNY-26OCT08-B69.5"
BTC_DONE = "KXBTC15M-26OCT081415-15"
BTC_LIVE = "KXBTC15M-26OCT081430-30"
BULK = [f"KXTEST-26NOV01-T{i:02d}" for i in range(25)]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def markets() -> list[MarketInfo]:
    high = MarketInfo(
        HIGH, "KXHIGHNY-26OCT08", "active", LINEAR, "linear_cent",
        title="Will the high temp in NYC be 69-70° on Oct 8, 2026?", yes_sub_title="69° to 70°",
        created_time=utc(2026, 10, 6, 14, 0, 3, 412907), open_time=utc(2026, 10, 7, 14),
        close_time=utc(2026, 10, 9, 3, 59), latest_expiration_time=utc(2026, 10, 15, 14),
        last_price=3200, volume=1843225, volume_24h=912000, open_interest=735075,
        strike_type="between", floor_strike=Decimal(69), cap_strike=Decimal(70),
        rules_primary="Resolves Yes if the high is 69 to 70.", rules_secondary="NWS report.",
        early_close_condition="Closes once the climate report is out.",
        settlement_timer_seconds=1800)
    done = MarketInfo(
        BTC_DONE, "KXBTC15M-26OCT081415", "determined", TAPERED, "tapered_deci_cent",
        title="BTC price up in next 15 mins?", yes_sub_title="Target Price: $62,431.17",
        created_time=utc(2026, 10, 8, 17, 0, 11, 5112), open_time=utc(2026, 10, 8, 18),
        close_time=utc(2026, 10, 8, 18, 15), result="yes", settlement_value=10_000,
        last_price=9970, exchange_index=2, strike_type="greater_or_equal",
        floor_strike=Decimal("62431.17"), settlement_timer_seconds=1)
    live = MarketInfo(
        BTC_LIVE, "KXBTC15M-26OCT081430", "active", TAPERED, "tapered_deci_cent",
        title="BTC price up in next 15 mins?", created_time=utc(2026, 10, 8, 17, 15),
        open_time=utc(2026, 10, 8, 18, 15), close_time=utc(2026, 10, 8, 18, 30),
        last_price=950, exchange_index=2)
    bulk = [MarketInfo(t, "KXTEST-26NOV01", "active" if i % 5 else "closed", LINEAR,
                       created_time=utc(2026, 10, 1, 0, i), open_time=utc(2026, 10, 1),
                       close_time=utc(2026, 11, 1), title=f"Test market {i}")
            for i, t in enumerate(BULK)]
    return [high, done, live, *bulk]


def books() -> dict[str, BookDepth]:
    return {
        HIGH: BookDepth(yes_bids=((100, 500_000), (4100, 1250), (4200, 10_300)),
                        no_bids=((100, 80_000), (5600, 700), (5700, 7_261_249))),
        # Subpenny prices and a fractional size on the tapered grid.
        BTC_LIVE: BookDepth(yes_bids=((950, 15_550),), no_bids=((9010, 37),)),
    }


def order(status: OrdStatus = OrdStatus.NEW) -> OrderView:
    t = utc(2026, 10, 8, 15, 5)
    return OrderView(
        order_id="9a8b7c6d-0000-4000-8000-000000000001", cl_ord_id="engine-000123",
        orig_cl_ord_id=None, user_id=USER, key_id=KEY_ID, session_id="NR", subaccount=0,
        symbol=HIGH, side=Side.BUY, price=3000, order_qty=5000, original_qty=5000, cum_qty=0,
        leaves_qty=5000, cum_cost=0, tif=TimeInForce.GTC, expire_time=None, shard=0,
        status=status, exec_id="1;1", transact_time=t, created_time=t)


def fill() -> Fill:
    return Fill(
        exec_id="2;1", trade_id="b7f3a3c2-1d7e-4c55-9a55-0c1f0e0a9e21",
        order_id="4c1e9f0a-6b1d-4d9a-8e2f-7a1b2c3d4e5f", user_id=USER, subaccount=0,
        symbol=HIGH, side=Side.SELL, price=3200, qty=2000, fee=304_760, aggressor=True,
        long_qty=0, short_qty=2000, collateral_change=-13_904_760, collateral_return=0,
        clearing_date="20261008", shard=0, time=utc(2026, 10, 8, 15, 1, 2, 118230))


def world() -> MemoryExchangeView:
    return MemoryExchangeView(
        market_list=markets(),
        event_list=[EventInfo("KXHIGHNY-26OCT08", "KXHIGHNY",
                              title="Highest temperature in NYC on Oct 8, 2026?",
                              sub_title="On Oct 8, 2026", mutually_exclusive=True,
                              category="Climate and Weather", strike_date=utc(2026, 10, 9, 3, 59),
                              last_updated=utc(2026, 10, 6, 14, 0, 3, 412907))],
        series_list=[SeriesInfo("KXHIGHNY", "Highest temperature in NYC", "daily",
                                "Climate and Weather", ("Daily temperature",),
                                last_updated=utc(2026, 9, 1, 12))],
        books=books(),
        user_orders={USER: [order()]},
        user_fills={USER: [fill()]},
        user_positions={USER: [PositionInfo(
            HIGH, "KXHIGHNY-26OCT08", -2000, 6_400_000, 13_600_000, 0, 304_760,
            utc(2026, 10, 8, 15, 1, 2))]},
        user_balances={USER: BalanceInfo(123_456_789, 42_100_000, utc(2026, 10, 8, 15, 2),
                                         ((0, 100_000_000), (2, 23_456_789)))},
        user_settlements={USER: [SettlementInfo(
            HIGH, "KXHIGHNY-26OCT08", "no", 0, 0, 2000, 13_600_000, 20_000_000,
            utc(2026, 10, 9, 14, 32), 0, 0)]},
    )

"""Kalshi fee formula and fee rounding, on known values (docs.kalshi.com fee_rounding examples)."""

from fractions import Fraction

import pytest
from sim_exchange_helpers import DOLLAR, OrderFilled, cents, contracts, only

from fixengine.sim.exchange.fees import FeeSchedule, charge_fill, settlement_rounding, trade_fee

QUAD = FeeSchedule("quadratic")
MAKER = FeeSchedule("quadratic_with_maker_fees")


@pytest.mark.parametrize("schedule,price,qty,taker,expected", [
    (QUAD, 5000, 100, True, 17_500),  # 0.07 x 1 x 0.5 x 0.5 = $0.0175
    (QUAD, 5000, 10_000, True, 1_750_000),  # 100 contracts -> $1.75
    (QUAD, 5000, 10_000, False, 0),  # plain quadratic: makers pay nothing
    (MAKER, 5000, 10_000, False, 437_500),  # 0.0175 x 100 x 0.25 = $0.4375
    (MAKER, 5000, 10_000, True, 1_750_000),
    (QUAD, 550, 100, True, 3_700),  # 0.07 x 0.055 x 0.945 = 0.00363825 -> ceil $0.0037
    (QUAD, 3301, 3, True, 500),  # 0.03 contracts at $0.3301 -> $0.000464.. -> $0.0005 (docs)
    (QUAD, 4000, 400, True, 67_200),  # 4 x 0.07 x 0.24 = $0.0672 exactly
    (FeeSchedule("quadratic", Fraction(1, 2)), 5000, 10_000, True, 875_000),  # multiplier 0.5
    (FeeSchedule("quadratic", Fraction(0)), 5000, 10_000, True, 0),
    (FeeSchedule("quadratic_with_maker_fees", Fraction(1), Fraction(1, 2)), 5000, 10_000, False, 218_800),
    (FeeSchedule("flat", flat_fee=2_500), 5000, 1_000, True, 25_000),  # $0.0025 x 10 contracts
    (FeeSchedule("flat", flat_fee=2_500), 5000, 1_000, False, 25_000),
])
def test_trade_fee_known_values(schedule, price, qty, taker, expected):
    assert trade_fee(schedule, price, qty, taker) == expected


def test_fee_is_always_a_whole_centicent():
    for price in range(1, 10_000, 37):
        for qty in (1, 7, 30, 100, 333):
            assert trade_fee(QUAD, price, qty, True) % 100 == 0


def test_docs_example_subpenny_three_one_lot_fills_at_0055():
    acc, nets, changes = 0, [], []
    for _ in range(3):
        c = charge_fill(-55_000, 8_500, 10_000, acc)  # revenue -$0.055, trade fee $0.0085, cent precision
        acc = c.accumulator
        nets.append(c.net_fee)
        changes.append(c.balance_change)
        assert c.rounding_fee == 6_500
    assert nets == [15_000, 5_000, 15_000]
    assert changes == [-70_000, -60_000, -70_000]  # revenue - net fee; the rebate is paid back
    assert acc == 9_500


def test_docs_example_fractional_three_030_lot_fills():
    acc, nets = 0, []
    for _ in range(3):
        c = charge_fill(-150_000, 4_100, 10_000, acc)
        acc = c.accumulator
        nets.append(c.net_fee)
    assert nets == [10_000, 0, 10_000] and acc == 7_700


def test_docs_example_combined_six_decimals():
    acc, nets = 0, []
    for _ in range(3):
        c = charge_fill(-9_903, 500, 10_000, acc)
        acc = c.accumulator
        nets.append(c.net_fee)
    assert nets == [10_097, 97, 97] and acc == 8_791


def test_direct_member_precision_is_a_centicent():
    c = charge_fill(-55_000, 3_700, 100, 0)
    assert c.rounding_fee == 0 and c.net_fee == 3_700 and c.balance_change == -58_700


def test_settlement_rounding_docs_example():
    # 10.60 YES contracts settling at $0.5970: $6.3282 -> $6.32 paid, $0.0082 fee
    raw = 5970 * 1060
    assert settlement_rounding(raw) == (6_320_000, 8_200)


def test_fees_charged_on_fills_maker_and_taker(h):
    h.sell("bob", "FRAC", cents(50), contracts(100))  # maker, quadratic_with_maker_fees
    events = h.buy("alice", "FRAC", cents(50), contracts(100))
    taker, maker = only(events, OrderFilled)
    assert taker.fill.fee == 1_750_000 and maker.fill.fee == 440_000  # $0.4375 -> cent-aligned $0.44
    assert h.cash("alice") == 1000 * DOLLAR - 50 * DOLLAR - 1_750_000
    assert h.cash("bob") == 1000 * DOLLAR - 50 * DOLLAR - 440_000
    assert taker.order.taker_fees == 1_750_000 and maker.order.maker_fees == 440_000


def test_direct_member_balance_keeps_centicents(h):
    h.sell("bob", "LIN", cents(40), contracts(4))
    events = h.buy("dave", "LIN", cents(40), contracts(4))
    fill = only(events, OrderFilled)[0].fill
    assert fill.fee == 67_200 and fill.collateral_change == -1_667_200
    assert h.cash("dave") == 1000 * DOLLAR - 1_667_200


def test_free_market_charges_nothing(h):
    h.sell("bob", "FREE", cents(40), contracts(4))
    events = h.buy("alice", "FREE", cents(40), contracts(4))
    assert [e.fill.fee for e in only(events, OrderFilled)] == [0, 0]
    assert h.cash("alice") == 1000 * DOLLAR - 1_600_000


def test_accumulator_carries_across_taker_and_maker_fills_of_one_order(h):
    # alice buys 3 x 1 contract at $0.055 on the sub-penny market: first as taker, then as maker
    h.sell("bob", "TAP", 550, contracts(1))
    first = h.buy("alice", "TAP", 550, contracts(3), cl_ord_id="A")
    later = h.sell("dave", "TAP", 550, contracts(1)) + h.sell("dave", "TAP", 550, contracts(1))
    alice_fills = [e.fill for e in only(first + later, OrderFilled) if e.order.cl_ord_id == "A"]
    assert [f.aggressor for f in alice_fills] == [True, False, False]
    # taker fill: fee 0.0037 + rounding; maker fills on plain quadratic: trade fee 0, rounding only
    # fill 1: 55000 + 3700 -> pays 60000 (rounding 1300); fills 2, 3: 55000 -> pays 60000 (rounding 5000)
    assert [f.fee for f in alice_fills] == [5_000, 5_000, 5_000]
    # the accumulator (11300) exceeds a cent on fill 3, but a zero-fee maker fill cannot go negative:
    # the rebate waits (net fee is never below zero)
    assert [f.collateral_change for f in alice_fills] == [-60_000, -60_000, -60_000]
    order = h.ex.orders("alice")[0]
    assert order.fees_paid == 15_000 and order.maker_fees == 10_000 and order.taker_fees == 5_000

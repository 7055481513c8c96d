"""Collateral reservations, netting, positions, balances and settlement."""

from sim_exchange_helpers import DOLLAR, OrderFilled, OrderRejected, cents, contracts, kinds, only

from fixengine.model import Side
from fixengine.sim.exchange import MarketSettled


def test_resting_bid_reserves_price_plus_fee_and_cancel_releases(h):
    h.buy("alice", "FREE", cents(40), contracts(10), cl_ord_id="A")  # fee-free market: reserve = 10 x 0.40
    bal = h.ex.balance("alice")
    assert bal.reserved == 4 * DOLLAR and bal.available == 996 * DOLLAR and bal.cash == 1000 * DOLLAR
    h.cancel("alice", "A", "FREE", Side.BUY)
    assert h.ex.balance("alice").reserved == 0


def test_resting_offer_reserves_the_no_price(h):
    h.sell("alice", "FREE", cents(70), contracts(10))
    assert h.ex.balance("alice").reserved == 3 * DOLLAR  # NO at 0.30


def test_fee_part_of_the_reserve_is_rounded_up_to_a_cent(h):
    h.buy("alice", "LIN", cents(50), contracts(1))  # taker fee estimate $0.0175 -> $0.02
    assert h.ex.balance("alice").reserved == 500_000 + 20_000


def test_balance_check_uses_available_not_cash(h):
    assert kinds(h.buy("carol", "FREE", cents(50), contracts(15))) == ["OrderAccepted"]  # reserves $7.50
    events = h.buy("carol", "FREE", cents(50), contracts(6))  # needs $3.00, only $2.50 left
    assert isinstance(events[0], OrderRejected) and events[0].text == "INSUFFICIENT_BALANCE"
    assert events[0].ord_rej_reason == 3
    assert kinds(h.buy("carol", "FREE", cents(50), contracts(5))) == ["OrderAccepted"]


def test_netting_closing_an_opposite_position_needs_no_collateral(h):
    h.buy("bob", "FREE", cents(70), contracts(20))
    h.sell("carol", "FREE", cents(70), contracts(20))  # carol: short 20 (NO at 0.30) = $6 of $10
    assert h.position("carol", "FREE") == -2000
    # buying 20 YES back at 0.75 would cost $15 gross, but it closes NO: no reservation beyond fees
    events = h.buy("carol", "FREE", cents(75), contracts(20))
    assert kinds(events) == ["OrderAccepted"]
    assert h.ex.balance("carol").reserved == 0


def test_closing_fill_returns_a_dollar_per_pair_and_realizes_pnl(h):
    h.buy("bob", "FREE", cents(70), contracts(10))
    h.sell("alice", "FREE", cents(70), contracts(10))  # alice short 10 NO at 0.30: pays $3
    assert h.cash("alice") == 997 * DOLLAR
    h.sell("dave", "FREE", cents(60), contracts(10))
    events = h.buy("alice", "FREE", cents(60), contracts(10))  # buys YES at 0.60 -> pays 6, gets 10 back
    fill = only(events, OrderFilled)[0].fill
    assert fill.collateral_return == 10 * DOLLAR and fill.collateral_change == 4 * DOLLAR
    assert (fill.long_qty, fill.short_qty) == (0, 0)
    assert h.cash("alice") == 1001 * DOLLAR
    (pos,) = h.ex.positions("alice", include_flat=True)
    assert pos.position == 0 and pos.realized_pnl == 1 * DOLLAR and pos.market_exposure == 0


def test_position_flips_through_zero(h):
    h.buy("bob", "FREE", cents(50), contracts(3))
    h.sell("alice", "FREE", cents(50), contracts(3))  # short 3
    h.sell("bob", "FREE", cents(50), contracts(5))
    events = h.buy("alice", "FREE", cents(50), contracts(5))  # closes 3, opens 2 long
    fill = only(events, OrderFilled)[0].fill
    assert (fill.long_qty, fill.short_qty) == (200, 0)
    (pos,) = h.ex.positions("alice")
    assert pos.market_exposure == 2 * 500_000


def test_long_and_short_qty_on_each_fill(h):
    h.sell("bob", "LIN", cents(40), contracts(5))
    fills = only(h.buy("alice", "LIN", cents(40), contracts(2)), OrderFilled)
    assert (fills[0].fill.long_qty, fills[0].fill.short_qty) == (200, 0)
    assert (fills[1].fill.long_qty, fills[1].fill.short_qty) == (0, 200)


def test_subaccounts_have_separate_cash_and_positions(h):
    h.sell("bob", "FREE", cents(40), contracts(5))
    h.buy("alice", "FREE", cents(40), contracts(5), subaccount=1, key_id="key-a1")
    assert h.cash("alice", 1) == 98 * DOLLAR and h.cash("alice", 0) == 1000 * DOLLAR
    assert h.position("alice", "FREE", sub=1) == 500 and h.position("alice", "FREE", sub=0) == 0
    assert h.ex.balance("alice", 7) is None


def test_settlement_yes_pays_long_holders(h):
    h.sell("bob", "FREE", cents(40), contracts(5))
    h.buy("alice", "FREE", cents(40), contracts(5))
    h.buy("dave", "FREE", cents(10), contracts(1))  # resting order is canceled at close
    events = h.ex.settle_market("FREE", "yes")
    settled = [e for e in events if isinstance(e, MarketSettled)][0]
    entries = {e.user_id: e for e in settled.entries}
    assert entries["alice"].payout == 5 * DOLLAR and entries["alice"].long_qty == 500
    assert entries["bob"].payout == 0 and entries["bob"].short_qty == 500
    assert settled.settlement_price == 10_000 and settled.result == "yes"
    assert h.cash("alice") == 1000 * DOLLAR - 2 * DOLLAR + 5 * DOLLAR
    assert h.ex.market("FREE").status == "settled"
    assert h.ex.positions("alice") == [] and h.ex.settlements("alice")[0].yes_total_cost == 2 * DOLLAR
    assert h.ex.balance("dave").reserved == 0


def test_scalar_settlement_rounds_payout_down_and_reports_fee(h):
    h.sell("bob", "FREE", cents(40), contracts(7))
    h.buy("alice", "FREE", cents(40), contracts(7))
    events = h.ex.settle_market("FREE", "scalar", 3060)  # 30.60 cents
    settled = [e for e in events if isinstance(e, MarketSettled)][0]
    entries = {e.user_id: e for e in settled.entries}
    assert entries["alice"].payout == 2_140_000 and entries["alice"].fee == 2_000  # 7 x 0.306 = 2.142
    assert entries["bob"].payout == 4_850_000 and entries["bob"].fee == 8_000  # 7 x 0.694 = 4.858


def test_no_orders_after_determination(h):
    h.ex.determine_market("LIN", "no")
    events = h.buy("alice", "LIN", cents(40), contracts(1))
    assert events[0].text == "MARKET_ALREADY_CLOSED"
    assert h.ex.market("LIN").status == "determined" and h.ex.market("LIN").settlement_price == 0


def test_deposit_and_withdraw(h):
    assert h.ex.deposit("carol", 5 * DOLLAR) == 15 * DOLLAR
    assert h.ex.deposit("carol", -3 * DOLLAR) == 12 * DOLLAR

"""Every NewOrderSingle reject: Text(58) and OrdRejReason(103)."""

from datetime import timedelta

import pytest
from sim_exchange_helpers import T0, DOLLAR, OrderRejected, cents, contracts

from fixengine.model import PENDING_EXEC_ID, TimeInForce


def reject_of(events):
    assert len(events) == 1 and isinstance(events[0], OrderRejected), events
    return events[0].text, events[0].ord_rej_reason


@pytest.mark.parametrize("cl", ["", "x" * 65, "has space", "bad#char", "émoji"])
def test_bad_clordid_is_invalid_order(h, cl):
    assert reject_of(h.buy("alice", "LIN", cents(40), contracts(1), cl_ord_id=cl)) == ("INVALID_ORDER", 11)


@pytest.mark.parametrize("cl", ["a" * 64, "A-b_c:d+e=f/g", "0f8fad5b-d9cb-469f-a165-70867728950e"])
def test_good_clordids_are_accepted(h, cl):
    assert not isinstance(h.buy("alice", "LIN", cents(40), contracts(1), cl_ord_id=cl)[0], OrderRejected)


def test_unknown_symbol(h):
    assert reject_of(h.buy("alice", "NOPE", cents(40), contracts(1))) == ("MARKET_NOT_FOUND", 1)


def test_wrong_exdestination_shard_is_unknown_symbol(h):
    assert reject_of(h.buy("alice", "TAP", cents(40), contracts(1), shard=0)) == ("MARKET_NOT_FOUND", 1)
    assert not isinstance(h.buy("alice", "TAP", cents(40), contracts(1), shard=2)[0], OrderRejected)
    assert not isinstance(h.buy("alice", "TAP", cents(41), contracts(1), shard=-1)[0], OrderRejected)


def test_closed_inactive_and_paused_markets(h):
    h.ex.close_market("LIN")
    assert reject_of(h.buy("alice", "LIN", cents(40), contracts(1))) == ("MARKET_ALREADY_CLOSED", 2)
    h.ex._markets["DECI"].status = "inactive"
    assert reject_of(h.buy("alice", "DECI", cents(40), contracts(1))) == ("MARKET_INACTIVE", 2)
    h.ex.pause("FRAC")
    assert reject_of(h.buy("alice", "FRAC", cents(40), contracts(1))) == ("TRADING_PAUSED", 2)
    h.ex.pause(None)
    assert reject_of(h.buy("alice", "TAP", cents(40), contracts(1))) == ("TRADING_PAUSED", 2)
    h.ex.pause(None, kind="exchange")
    assert reject_of(h.buy("alice", "TAP", cents(40), contracts(1))) == ("EXCHANGE_PAUSED", 2)
    h.ex.resume(None)
    h.ex.resume("FRAC")
    assert not isinstance(h.buy("alice", "FRAC", cents(40), contracts(1))[0], OrderRejected)


def test_duplicate_open_clordid_and_reuse_after_done(h):
    h.buy("alice", "LIN", cents(40), contracts(1), cl_ord_id="dup")
    assert reject_of(h.buy("alice", "LIN", cents(41), contracts(1), cl_ord_id="dup")) == ("ORDER_ALREADY_EXISTS", 6)
    # another user may use the same ClOrdID; and after the order is done the id is free again
    assert not isinstance(h.buy("bob", "LIN", cents(30), contracts(1), cl_ord_id="dup")[0], OrderRejected)
    h.ex.cancel_all_for_user("alice")
    assert not isinstance(h.buy("alice", "LIN", cents(40), contracts(1), cl_ord_id="dup")[0], OrderRejected)


def test_unknown_and_forbidden_subaccounts(h):
    assert reject_of(h.buy("alice", "LIN", cents(40), contracts(1), subaccount=7)) == ("CUSTOMER_ACCOUNT_NOT_FOUND", 15)
    assert reject_of(h.buy("alice", "LIN", cents(40), contracts(1), subaccount=64)) == ("CUSTOMER_ACCOUNT_NOT_FOUND", 15)
    assert reject_of(h.buy("nobody", "LIN", cents(40), contracts(1))) == ("CUSTOMER_ACCOUNT_NOT_FOUND", 15)
    # key-a1 is restricted to subaccount 1
    assert reject_of(h.buy("alice", "LIN", cents(40), contracts(1), key_id="key-a1")) == (
        "PERMISSION_DENIED_FOR_CUSTOMER_ACCOUNT", 15)
    assert not isinstance(h.buy("alice", "LIN", cents(40), contracts(1), key_id="key-a1", subaccount=1)[0],
                          OrderRejected)


@pytest.mark.parametrize("qty", [0, -100, 150, 1])
def test_bad_quantity_on_whole_contract_market(h, qty):
    assert reject_of(h.buy("alice", "LIN", cents(40), qty)) == ("INVALID_ORDER", 13)


def test_fractional_quantity_allowed_only_on_fractional_market(h):
    assert not isinstance(h.buy("alice", "FRAC", cents(40), 1)[0], OrderRejected)  # 0.01 contract


@pytest.mark.parametrize("symbol,price", [
    ("LIN", 4050),  # $0.405 on a whole-cent grid
    ("LIN", 0), ("LIN", 10_000), ("LIN", -100),
    ("TAP", 1550),  # $0.155: the 0.10-0.90 band of tapered_deci_cent is whole cents
    ("TAP", 555),  # $0.0555: below the deci-cent step
    ("DECI", 4005),
])
def test_off_grid_or_out_of_range_price_is_invalid_order(h, symbol, price):
    assert reject_of(h.buy("alice", symbol, price, contracts(1))) == ("INVALID_ORDER", 11)


@pytest.mark.parametrize("symbol,price", [("TAP", 550), ("TAP", 9950), ("TAP", 1500), ("DECI", 4010),
                                          ("TAP", 1000), ("TAP", 9000)])
def test_subpenny_prices_on_grid_are_accepted(h, symbol, price):
    assert not isinstance(h.buy("alice", symbol, price, contracts(1))[0], OrderRejected)


def test_gtd_needs_expire_time_and_expire_time_needs_gtd(h):
    assert reject_of(h.buy("alice", "LIN", cents(40), contracts(1), tif=TimeInForce.GTD)) == ("INVALID_ORDER", 11)
    assert reject_of(h.buy("alice", "LIN", cents(40), contracts(1), expire_time=T0 + timedelta(hours=1))) == (
        "INVALID_ORDER", 11)


def test_bad_stp_value(h):
    assert reject_of(h.buy("alice", "LIN", cents(40), contracts(1), stp=3)) == ("INVALID_ORDER", 11)


def test_insufficient_balance(h):
    # carol has $10: 20 contracts at 0.50 = $10 plus the fee reserve -> too much
    assert reject_of(h.buy("carol", "LIN", cents(50), contracts(20))) == ("INSUFFICIENT_BALANCE", 3)
    assert not isinstance(h.buy("carol", "LIN", cents(50), contracts(19))[0], OrderRejected)


def test_unknown_order_group(h):
    assert reject_of(h.buy("alice", "LIN", cents(40), contracts(1), order_group="nope")) == (
        "ORDER_GROUP_NOT_FOUND", 11)


def test_rejects_carry_no_exec_id_and_are_not_in_history(h):
    events = h.buy("alice", "NOPE", cents(40), contracts(1))
    assert events[0].exec_id == PENDING_EXEC_ID and events[0].user_id == "alice"
    assert h.ex.history("alice") == []
    assert h.cash("alice") == 1000 * DOLLAR

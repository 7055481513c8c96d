"""Admin operations: liquidity, pauses, status events, restricted keys, errors."""

import pytest
from sim_exchange_helpers import DOLLAR, OrderFilled, cents, contracts, kinds, only

from fixengine.errors import UserInputError
from fixengine.model import Side
from fixengine.sim.exchange import ExchangeAdminError, ExchangeStatusChanged, MarketStatusChanged


def test_add_liquidity_rests_an_order_for_another_account(h):
    events = h.ex.add_liquidity("bob", "LIN", Side.SELL, cents(55), contracts(10))
    assert kinds(events) == ["OrderAccepted"] and events[0].order.user_id == "bob"
    assert h.ex.orderbook("LIN").no == ((4500, 1000),)
    fills = only(h.buy("alice", "LIN", cents(55), contracts(2)), OrderFilled)
    assert fills[1].order.user_id == "bob" and fills[1].fill.price == 5500


def test_exchange_pause_and_resume_emit_status_events(h):
    events = h.ex.pause(None)
    assert isinstance(events[0], ExchangeStatusChanged) and events[0].status == "trading_paused"
    assert h.ex.paused() == "trading"
    assert h.ex.pause(None) == []  # already paused: nothing changes
    events = h.ex.resume(None)
    assert (events[0].status, events[0].previous) == ("open", "trading_paused")
    events = h.ex.pause("LIN")
    assert isinstance(events[0], MarketStatusChanged) and events[0].status == "paused"
    assert h.ex.resume("LIN")[0].status == "open"


def test_admin_errors_are_user_input_errors(h):
    with pytest.raises(ExchangeAdminError):
        h.ex.close_market("NOPE")
    with pytest.raises(UserInputError):
        h.ex.settle_market("LIN", "maybe")
    with pytest.raises(UserInputError):
        h.ex.settle_market("LIN", "scalar")
    with pytest.raises(ExchangeAdminError, match="not determined yet: give a result"):
        h.ex.settle_market("LIN")
    with pytest.raises(UserInputError):
        h.ex.pause("LIN", kind="lunch")
    with pytest.raises(UserInputError):
        h.ex.deposit("carol", -20 * DOLLAR)
    with pytest.raises(UserInputError):
        h.ex.deposit("nobody", DOLLAR)


def test_restricted_key_cannot_touch_other_subaccounts(h):
    h.buy("alice", "LIN", cents(40), contracts(1), cl_ord_id="P")  # primary
    h.buy("alice", "LIN", cents(41), contracts(1), cl_ord_id="S", subaccount=1, key_id="key-a1")
    refused = h.cancel("alice", "P", "LIN", Side.BUY, key_id="key-a1")
    assert refused[0].text == "PERMISSION_DENIED_FOR_CUSTOMER_ACCOUNT" and refused[0].cxl_rej_reason == 1
    events = h.mass_cancel("alice", key_id="key-a1")
    assert events[0].canceled_count == 1 and events[1].order.cl_ord_id == "S"
    assert h.ex.orderbook("LIN").yes == ((4000, 100),)


def test_open_market_activates_an_inactive_market(h):
    h.ex._markets["DECI"].status = "inactive"
    events = h.ex.open_market("DECI")
    assert events[0].status == "open" and events[0].previous == "inactive"
    assert kinds(h.buy("alice", "DECI", 4010, contracts(1))) == ["OrderAccepted"]


def test_user_for_key_and_account_info(h):
    assert h.ex.user_for_key("key-b") == "bob" and h.ex.user_for_key("zzz") is None
    assert h.ex.account_info("dave").direct_member

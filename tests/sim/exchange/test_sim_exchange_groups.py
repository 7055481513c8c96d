"""Order groups: rolling 15 s contracts limit, trigger, reset, delete, update, rejects."""

from datetime import timedelta

from sim_exchange_helpers import OrderCanceled, OrderFilled, OrderRejected, cents, contracts, kinds, only

from fixengine.model import Side
from fixengine.sim.exchange import CancelReason, OrderGroupRejected, OrderGroupResponse
from fixengine.sim.exchange.groups import DELETE, RESET, TRIGGER, UPDATE


def make_group(h, user="alice", limit=contracts(5), **kw):
    events = h.ex.create_order_group(user, limit, **kw)
    assert isinstance(events[-1], OrderGroupResponse), events
    return events[-1].group_id


def test_group_triggers_when_rolling_volume_exceeds_limit(h):
    gid = make_group(h)
    h.buy("alice", "LIN", cents(40), contracts(3), order_group=gid, cl_ord_id="G1")
    h.buy("alice", "LIN", cents(39), contracts(5), order_group=gid, cl_ord_id="G2")
    h.sell("bob", "LIN", cents(40), contracts(3))  # volume 3: not over 5
    assert h.ex.orderbook("LIN").yes == ((3900, 500),)
    events = h.sell("bob", "LIN", cents(39), contracts(3))  # volume 6 > 5: fill stands, rest canceled
    cancels = only(events, OrderCanceled)
    assert [(c.order.cl_ord_id, c.text, c.order.cum_qty) for c in cancels] == [("G2", "ORDER_GROUP_CANCEL", 300)]
    assert h.ex.order_groups("alice")[0]["triggered"]
    rejected = h.buy("alice", "LIN", cents(30), contracts(1), order_group=gid)
    assert isinstance(rejected[0], OrderRejected)
    assert (rejected[0].text, rejected[0].ord_rej_reason) == ("EXCEEDED_ORDER_GROUP_RISK_LIMIT", 3)


def test_trigger_cancels_resting_orders_and_reset_reactivates(h):
    gid = make_group(h)
    h.buy("alice", "LIN", cents(40), contracts(1), order_group=gid)
    h.buy("alice", "TAP", cents(40), contracts(1))  # not in the group
    events = h.ex.order_group_action("alice", TRIGGER, gid)
    assert kinds(events) == ["OrderGroupResponse", "OrderCanceled"]
    assert events[1].reason is CancelReason.ORDER_GROUP and events[1].text == "ORDER_GROUP_CANCEL"
    h.ex.order_group_action("alice", RESET, gid)
    assert kinds(h.buy("alice", "LIN", cents(40), contracts(1), order_group=gid)) == ["OrderAccepted"]


def test_window_is_fifteen_seconds(h):
    gid = make_group(h, limit=contracts(2))
    h.sell("bob", "LIN", cents(40), contracts(10))
    h.buy("alice", "LIN", cents(40), contracts(2), order_group=gid)
    h.clock.advance(timedelta(seconds=16))
    h.buy("alice", "LIN", cents(40), contracts(2), order_group=gid)  # old fills left the window
    assert not h.ex.order_groups("alice")[0]["triggered"]


def test_update_below_volume_triggers_and_delete_cancels(h):
    gid = make_group(h, limit=contracts(10))
    h.sell("bob", "LIN", cents(40), contracts(3))
    h.buy("alice", "LIN", cents(40), contracts(3), order_group=gid)
    h.buy("alice", "LIN", cents(30), contracts(1), order_group=gid)
    events = h.ex.order_group_action("alice", UPDATE, gid, contracts_limit=contracts(2))
    assert events[0].contracts_limit == 200 and only(events, OrderCanceled)
    gid2 = make_group(h)
    h.buy("alice", "LIN", cents(20), contracts(1), order_group=gid2)
    events = h.ex.order_group_action("alice", DELETE, gid2)
    assert kinds(events) == ["OrderGroupResponse", "OrderCanceled"]
    assert h.ex.order_group_action("alice", RESET, gid2)[0].text == "ORDER_GROUP_NOT_FOUND"


def test_group_scoped_to_user_subaccount_and_shard(h):
    gid = make_group(h)
    assert isinstance(h.ex.order_group_action("bob", RESET, gid)[0], OrderGroupRejected)
    assert h.ex.order_group_action("alice", RESET, gid, subaccount=1)[0].text == "ORDER_GROUP_NOT_FOUND"
    rejected = h.buy("alice", "TAP", cents(40), contracts(1), order_group=gid)  # TAP is on shard 2
    assert rejected[0].text == "ORDER_GROUP_NOT_FOUND" and rejected[0].ord_rej_reason == 11
    gid2 = make_group(h, shard=2)
    assert kinds(h.buy("alice", "TAP", cents(40), contracts(1), order_group=gid2)) == ["OrderAccepted"]


def test_group_limit_validation(h):
    assert h.ex.create_order_group("alice", 0)[0].text == "INVALID_ORDER"
    assert h.ex.create_order_group("alice", 150)[0].text == "INVALID_ORDER"  # fractional contracts
    assert h.ex.create_order_group("alice", contracts(1), subaccount=9)[0].text == "CUSTOMER_ACCOUNT_NOT_FOUND"


def test_incoming_order_stops_when_its_own_fill_trips_its_group(h):
    gid = make_group(h, limit=contracts(2))
    h.sell("bob", "LIN", cents(45), contracts(1))
    h.sell("dave", "LIN", cents(46), contracts(2))
    h.sell("dave", "LIN", cents(47), contracts(5))
    h.buy("alice", "LIN", cents(40), contracts(8), order_group=gid, cl_ord_id="A")
    events = h.replace("alice", "A", "LIN", Side.BUY, contracts(8), price=cents(47), cl_ord_id="A2")
    fills = [e.fill for e in only(events, OrderFilled) if e.order.user_id == "alice"]
    assert [(f.price, f.qty) for f in fills] == [(4500, 100), (4600, 200)]  # 3 > 2 trips: that fill stands
    final = events[-1]
    assert isinstance(final, OrderCanceled) and final.text == "ORDER_GROUP_CANCEL"
    assert final.order.leaves_qty == 0 and final.order.cum_qty == contracts(3)
    assert h.ex.orderbook("LIN").yes == () and h.ex.orderbook("LIN").no == ((5300, 500),)


def test_restricted_key_acts_only_on_its_subaccounts_groups(h):
    """Like orders (PERMISSION_DENIED_FOR_CUSTOMER_ACCOUNT): a key restricted to subaccount 1
    neither creates nor touches groups of another subaccount."""
    refused = h.ex.create_order_group("alice", contracts(5), subaccount=0, key_id="key-a1")
    assert isinstance(refused[0], OrderGroupRejected) and refused[0].text == "PERMISSION_DENIED_FOR_CUSTOMER_ACCOUNT"
    primary = make_group(h)
    touched = h.ex.order_group_action("alice", RESET, primary, subaccount=0, key_id="key-a1")
    assert touched[0].text == "PERMISSION_DENIED_FOR_CUSTOMER_ACCOUNT"
    own = h.ex.create_order_group("alice", contracts(5), subaccount=1, key_id="key-a1")
    assert not isinstance(own[0], OrderGroupRejected)
    assert not isinstance(h.ex.order_group_action("alice", RESET, own[0].group_id, subaccount=1, key_id="key-a1")[0],
                          OrderGroupRejected)

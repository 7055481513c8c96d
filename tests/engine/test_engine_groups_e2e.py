"""End-to-end order groups: engines against the simulator over real FIX sockets (part 2 §2).

The simulator runs on a ManualClock, so the 15-second window is moved explicitly (no sleeps);
the client's group clock follows it. Its own keys: QuickFIX keeps a process-wide session registry,
and the session-wide simulator of conftest.py already serves the shared keyring.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from engine_helpers import DEFAULT_LOGON, LINEAR, engine_config
from fixengine.engine import Engine, EventKind, OrderStatus
from fixengine.engine.groups import GroupState
from fixengine.errors import UserInputError
from fixengine.session.templates_groups import CREATE, group_request
from kalshi_test_acceptor import make_keyring, sim_key

pytestmark = pytest.mark.slow
NAMES = ("g_trader", "g_trader_b", "g_maker", "g_restart")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from fixengine.sim.config import sim_config_from_mapping
    from fixengine.sim.exchange.clock import ManualClock
    from fixengine.sim.server import Simulator

    base = tmp_path_factory.mktemp("groups")
    ring = make_keyring(base, NAMES)

    def key(name):
        return sim_key(ring, name)

    mapping = {
        "listen_host": "127.0.0.1", "ports": {"NR": 0}, "tls": {"mode": "off"},
        "users": [
            {"user_id": "g-trader", "balance": "10000.00", "tier": "Premier",
             "subaccounts": [{"number": 1, "balance": "500.00"}],
             "keys": [key("g_trader"), key("g_trader_b"), key("g_restart")]},
            {"user_id": "g-maker", "balance": "50000.00", "tier": "Prime", "keys": [key("g_maker")]},
        ],
        "markets": [{"ticker": LINEAR, "status": "open", "price_level_structure": "linear_cent"}],
    }
    clock = ManualClock(dt.datetime.now(dt.timezone.utc))
    with Simulator(sim_config_from_mapping(mapping), clock=clock, admin_port=None, tick_s=0) as sim:
        engines = {}
        for name in NAMES:  # all log on now: the simulator checks SendingTime against its own clock
            path = engine_config(base / name, ring, name, logon=DEFAULT_LOGON)
            engine = Engine.from_config(path, ports={"NR": sim.ports["NR"]}, journal_path=base / f"{name}.sqlite")
            engine.groups.clock = lambda: clock().timestamp()  # exchange time, as the fills carry it
            engine.connect()
            engines[name] = engine
        yield sim, clock, engines, ring, base
        for engine in engines.values():
            engine.close()


@pytest.fixture
def w(world):
    sim, clock, engines, ring, base = world
    for engine in engines.values():
        for order in engine.open_orders():
            engine.cancel(order)
        assert engine.wait(lambda e=engine: not e.open_orders(), 5)
        drain(engine)
    clock.advance(dt.timedelta(seconds=20))  # the previous test's fills leave every window
    return world


def drain(engine):
    out = []
    while not engine.events.empty():
        out.append(engine.events.get())
    return out


def active_group(engine, limit, **kw):
    group = engine.groups.create(limit, **kw)
    assert engine.groups.wait(group), group
    assert group.state is GroupState.ACTIVE and group.group_id, (group, group.reason)
    return group


def rest(engine, group, price, qty, **kw):
    order = engine.new_order(LINEAR, "buy_yes", price, qty, tif="gtc", order_group=group, **kw)
    assert engine.wait(lambda: order.status is not OrderStatus.PENDING_NEW), order
    assert order.status is OrderStatus.WORKING, (order, order.reject_reason)
    return order


def hit(maker, price, qty):
    """The other account sells into the trader's bids (IOC)."""
    order = maker.new_order(LINEAR, "sell_yes", price, qty, tif="ioc")
    assert maker.wait(lambda: order.is_done), order
    return order


def test_rolling_volume_over_limit_triggers_and_reset_reactivates(w):
    sim, clock, engines, _, _ = w
    trader, maker = engines["g_trader"], engines["g_maker"]
    group = active_group(trader, 10)
    first = rest(trader, group, "0.40", "8")
    second = rest(trader, group, "0.39", "6")
    assert {o.key for o in group.open_orders()} == {first.key, second.key}
    hit(maker, "0.40", "8")
    assert trader.wait(lambda: first.status is OrderStatus.FILLED)
    assert group.matched() == 800 and group.state is GroupState.ACTIVE
    clock.advance(dt.timedelta(seconds=16))  # the 8 leave the 15 s window on both sides
    assert group.matched() == 0
    hit(maker, "0.39", "3")
    assert trader.wait(lambda: second.cum_qty == 300)
    assert group.state is GroupState.ACTIVE and second.is_open  # 3 <= 10
    third = rest(trader, group, "0.38", "9")
    fourth = rest(trader, group, "0.30", "1")
    clock.advance(dt.timedelta(seconds=5))
    taker = hit(maker, "0.38", "9")
    assert trader.wait(lambda: group.state is GroupState.TRIGGERED), group
    assert trader.wait(lambda: not group.open_orders()), group.open_orders()
    # 3 more on `second` at 0.39 (6 in 15 s), then 6 on `third`: 12 > 10 -> every resting member canceled
    assert second.status is OrderStatus.FILLED and third.cum_qty == 600 and taker.cum_qty == 900
    assert third.status is fourth.status is OrderStatus.CANCELED
    assert third.last_text == fourth.last_text == "ORDER_GROUP_CANCEL"
    events = [e for e in drain(trader) if e.kind is EventKind.ORDER_GROUP]
    assert [e.report.change for e in events][-1] == "triggered"
    # refused locally while triggered; the exchange refuses it as well when asked
    refused = trader.new_order(LINEAR, "buy_yes", "0.30", "1", tif="gtc", order_group=group)
    assert refused.local_reject and refused.reject_reason.startswith("ORDER_GROUP_TRIGGERED")
    trader.groups.refuse_when_triggered = False
    try:
        asked = trader.new_order(LINEAR, "buy_yes", "0.30", "1", tif="gtc", order_group=group)
        assert trader.wait(lambda: asked.is_done)
        assert (asked.reject_reason, asked.reject_code) == ("EXCEEDED_ORDER_GROUP_RISK_LIMIT", 3)
    finally:
        trader.groups.refuse_when_triggered = True
    assert trader.groups.reset(group) and trader.groups.wait(group)
    assert group.state is GroupState.ACTIVE and group.matched() == 0
    rest(trader, group, "0.30", "1")


def test_update_below_volume_trips_and_delete_cancels(w):
    sim, clock, engines, _, _ = w
    trader, maker = engines["g_trader"], engines["g_maker"]
    group = active_group(trader, 20)
    order = rest(trader, group, "0.41", "10")
    hit(maker, "0.41", "6")
    assert trader.wait(lambda: order.cum_qty == 600)
    assert trader.groups.update(group, 5) and trader.groups.wait(group)
    assert group.limit_contracts == 5
    assert trader.wait(lambda: order.status is OrderStatus.CANCELED)
    assert order.last_text == "ORDER_GROUP_CANCEL" and group.state is GroupState.TRIGGERED
    other = active_group(trader, 50)
    a, b = rest(trader, other, "0.20", "2"), rest(trader, other, "0.21", "3")
    assert trader.groups.delete(other) and trader.groups.wait(other)
    assert trader.wait(lambda: a.is_done and b.is_done)
    assert a.last_text == b.last_text == "ORDER_GROUP_CANCEL"
    assert other.state is GroupState.DELETED  # cancels after the Delete answer are not a trigger
    changes = [e.report.change for e in drain(trader) if e.kind is EventKind.ORDER_GROUP]
    assert changes == ["created", "limit_updated", "triggered", "created", "deleted"]
    assert sim.exchange.order_groups("g-trader") and other.group_id not in {
        g["order_group_id"] for g in sim.exchange.order_groups("g-trader")}


def test_manual_trigger_cancels_resting_orders(w):
    _, _, engines, _, _ = w
    trader = engines["g_trader"]
    group = active_group(trader, 100)
    order = rest(trader, group, "0.22", "4")
    assert trader.groups.trigger(group) and trader.groups.wait(group)
    assert group.state is GroupState.TRIGGERED and group.reason == "manual Trigger"
    assert trader.wait(lambda: order.status is OrderStatus.CANCELED)
    assert order.last_text == "ORDER_GROUP_CANCEL"


def test_unknown_group_is_not_found_for_orders_and_requests(w):
    _, _, engines, _, _ = w
    trader = engines["g_trader"]
    missing = str(uuid.uuid4())
    order = trader.new_order(LINEAR, "buy_yes", "0.23", "1", tif="gtc", order_group=missing)
    assert trader.wait(lambda: order.is_done)
    assert (order.status, order.reject_reason, order.reject_code) == (
        OrderStatus.REJECTED, "ORDER_GROUP_NOT_FOUND", 11)
    ghost = trader.groups.adopt(missing, 10)
    assert trader.groups.reset(ghost) and trader.groups.wait(ghost)
    assert ghost.last_error == "reset: ORDER_GROUP_NOT_FOUND"
    events = [e for e in drain(trader) if e.kind is EventKind.ORDER_GROUP]
    assert events[-1].report.change == "reset_rejected" and events[-1].report.cause.ref_msg_type == "UOG"


def test_sent_uog_carries_the_seq_that_rejects_cite(w):
    _, _, engines, _, _ = w
    trader = engines["g_trader"]
    message = group_request(CREATE, None, 100, 0, 0)
    assert trader.send_message(message)  # outside the groups API: answered as an adopted group
    seq = int(message.getHeader().getField(34))
    assert seq > 1
    assert trader.wait(lambda: any(e.kind is EventKind.ORDER_GROUP for e in drain(trader)))


def test_groups_are_scoped_by_subaccount(w):
    _, _, engines, _, _ = w
    trader, twin = engines["g_trader"], engines["g_trader_b"]  # same user, another key
    group = active_group(trader, 10, subaccount=1)
    with pytest.raises(UserInputError, match="subaccount 1, the order to subaccount 0"):
        trader.new_order(LINEAR, "buy_yes", "0.24", "1", order_group=group)
    inside = rest(trader, group, "0.24", "1", subaccount=1)
    assert inside.order_group == group.group_id
    wrong = twin.new_order(LINEAR, "buy_yes", "0.24", "1", tif="gtc", order_group=group.group_id)
    assert twin.wait(lambda: wrong.is_done) and wrong.reject_reason == "ORDER_GROUP_NOT_FOUND"
    right = twin.new_order(LINEAR, "buy_yes", "0.24", "1", tif="gtc", order_group=group.group_id, subaccount=1)
    assert twin.wait(lambda: right.status is OrderStatus.WORKING), right
    as_primary = twin.groups.adopt(group.group_id, 10, subaccount=0)
    assert twin.groups.trigger(as_primary) and twin.groups.wait(as_primary)
    assert as_primary.last_error == "trigger: ORDER_GROUP_NOT_FOUND" and inside.is_open


def test_restart_on_the_same_journal_restores_groups(w):
    sim, _, engines, ring, base = w
    first = engines.pop("g_restart")
    group = active_group(first, 30)
    order = rest(first, group, "0.25", "2")
    assert first.groups.trigger(group) and first.groups.wait(group)
    assert first.wait(lambda: order.is_done)
    first.close()
    offline = {"later": (str(uuid.uuid4()), *ring["g_restart"][1:])}  # only reads the journal: never logs on
    again = Engine.from_config(engine_config(base / "again", offline, "later", logon=DEFAULT_LOGON),
                               ports={"NR": sim.ports["NR"]}, journal_path=base / "g_restart.sqlite")
    try:
        restored = again.groups.get(group.group_id)
        assert restored is not None and restored is not group
        assert (restored.state, restored.limit_contracts, restored.subaccount) == (GroupState.TRIGGERED, 30, 0)
        assert [o.key for o in restored.orders()] == [order.key]
    finally:
        again.close()

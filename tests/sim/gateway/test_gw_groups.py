"""Order groups over the wire (part2 §2): UOG/UOH field rules, session and business rejects,
orders naming groups, and the rolling 15-second window driven by the simulator's ManualClock."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest

from simgw_own import OwnSim
from simgw_rawfix import clid

pytestmark = pytest.mark.slow

MKT = "KXGRP-26DEC31-A"
USERS = {
    "trader": {"keys": {"g_nr": None, "g_rt": None, "g_pt": None, "g_rfq": None, "g_dc": None, "g_md": None},
               "subaccounts": [{"number": 2, "balance": "1000.00"}]},
    "maker": {"keys": {"m_nr": None}, "balance": "50000.00"},
}
FLAGS = {21005: "Y", 21011: "Y"}


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    world = OwnSim(tmp_path_factory.mktemp("grpkeys"), USERS, [MKT])
    with world.sim:
        yield world
        world.close_clients()
        assert world.sim.gateway.stats()["callback_errors"] == 0


@pytest.fixture
def world(own):
    yield own
    own.close_clients()
    for user in USERS:
        own.sim.gateway.call(lambda u=user: own.sim.exchange.cancel_all_for_user(u))
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and own.sim.gateway.gate.slots:
        time.sleep(0.01)


def nos(c, side, price, qty, group=None, tag=526, tif="1"):
    cl = clid()
    body = [(11, cl), (38, qty), (40, "2"), (44, price), (54, side), (55, MKT), (59, tif)]
    if group:
        body.append((tag, group))
    c.send("D", body)
    return cl


def create(c, limit="5", sub=None):
    body = [(20131, "1"), (20132, limit)] + ([(79, sub)] if sub else [])
    c.send("UOG", body)
    return c.expect("UOH")


def quiet(c, timeout=0.3):
    assert c.collect(timeout) == []


# ------------------------------------------------------------------ session-level rejects (35=3)

@pytest.mark.parametrize("body, ref_tag, reason", [
    ([(20132, "5")], "20131", "1"),  # OrderGroupAction missing
    ([(20131, "9"), (20132, "5")], "20131", "5"),  # no such action
    ([(20131, "1")], "20132", "1"),  # Create without a limit
    ([(20131, "5"), (20130, "aaaaaaaa-0000-4000-8000-000000000001")], "20132", "1"),  # Update without a limit
    ([(20131, "1"), (20132, "5"), (20130, "aaaaaaaa-0000-4000-8000-000000000001")], "20130", "5"),  # id on Create
    ([(20131, "2"), (20130, "not-a-uuid")], "20130", "5"),  # malformed id
    ([(20131, "3"), (20130, "aaaaaaaa00004000800000000000000000")], "20130", "5"),  # not the 8-4-4-4-12 form
    ([(20131, "4")], "20130", "1"),  # Trigger without an id
])
def test_malformed_uog_gets_session_reject(world, body, ref_tag, reason):
    c = world.logged_on("g_nr", "NR", FLAGS)
    seq = c.seq
    c.send("UOG", body)
    rej = c.expect("3")
    assert (rej[45], rej[372], rej[371], rej[373]) == (str(seq), "UOG", ref_tag, reason)
    assert create(c)[20132] == "5"  # the session carries on


# ------------------------------------------------------------------ responses (35=UOH)


def test_uoh_fields_per_action(world):
    c = world.logged_on("g_nr", "NR", FLAGS)
    created = create(c, "7")
    group = created[20130]
    assert uuid.UUID(group) and (created[20132], created[79]) == ("7", "0")
    c.send("UOG", [(20131, "5"), (20130, group), (20132, "9")])
    updated = c.expect("UOH")
    assert (updated[20130], updated[20132], updated[79]) == (group, "9", "0")
    for action in ("4", "2", "3"):  # Trigger, Reset, Delete: no limit echoed, 79 always
        c.send("UOG", [(20131, action), (20130, group)])
        answer = c.expect("UOH")
        assert (answer[20130], answer[79], 20132 in answer) == (group, "0", False)
    sub = create(c, "3", sub="2")
    assert (sub[20132], sub[79]) == ("3", "2")


def test_unknown_group_and_wrong_subaccount_business_reject(world):
    c = world.logged_on("g_nr", "NR", FLAGS)
    group = create(c, "3", sub="2")[20130]
    for body in ([(20131, "2"), (20130, str(uuid.uuid4()))],  # nobody's group
                 [(20131, "4"), (20130, group)]):  # right id, but 79 omitted = primary: not found
        seq = c.seq
        c.send("UOG", body)
        bmr = c.expect("j")
        assert (bmr[45], bmr[372], bmr[380], bmr[58]) == (str(seq), "UOG", "1", "ORDER_GROUP_NOT_FOUND")
    c.send("UOG", [(20131, "4"), (20130, group), (79, "2")])
    assert c.expect("UOH")[79] == "2"


def test_uog_only_on_nr_and_rt(world):
    rt = world.logged_on("g_rt", "RT", FLAGS)
    assert create(rt)[20132] == "5"
    for name, kind in (("g_pt", "PT"), ("g_rfq", "RFQ"), ("g_dc", "DC"), ("g_md", "MD")):
        c = world.logged_on(name, kind)
        c.send("UOG", [(20131, "1"), (20132, "5")])
        bmr = c.expect("j")
        assert (bmr[372], bmr[380]) == ("UOG", "3"), kind


# ------------------------------------------------------------------ orders naming groups


@pytest.mark.parametrize("tag", [526, 20130])
def test_order_naming_unknown_group_rejected(world, tag):
    c = world.logged_on("g_nr", "NR", FLAGS)
    cl = nos(c, "1", "0.2000", "1", group=str(uuid.uuid4()), tag=tag)
    er = c.expect("8")
    assert (er[11], er[150], er[39], er[103], er[58]) == (cl, "8", "8", "11", "ORDER_GROUP_NOT_FOUND")


def test_triggered_group_refuses_orders_until_reset(world):
    c = world.logged_on("g_nr", "NR", FLAGS)
    group = create(c)[20130]
    c.send("UOG", [(20131, "4"), (20130, group)])
    c.expect("UOH")
    cl = nos(c, "1", "0.2000", "1", group=group)
    er = c.expect("8")
    assert (er[11], er[150], er[103], er[58]) == (cl, "8", "3", "EXCEEDED_ORDER_GROUP_RISK_LIMIT")
    c.send("UOG", [(20131, "2"), (20130, group)])
    c.expect("UOH")
    nos(c, "1", "0.2000", "1", group=group)
    assert c.expect("8")[150] == "0"


def test_rolling_window_trip_cancels_every_resting_order(world):
    """Limit 5: 3 filled, 16 s later 3 + 2 more (window holds 5: no trip, the rule is ">"),
    then 1 more (6 > 5) -> both resting members canceled with ORDER_GROUP_CANCEL."""
    c = world.logged_on("g_nr", "NR", FLAGS)
    m = world.logged_on("m_nr", "NR", FLAGS)
    group = create(c)[20130]
    first = nos(c, "1", "0.3000", "3", group=group)
    big = nos(c, "1", "0.2000", "10", group=group)
    small = nos(c, "1", "0.1000", "2", group=group)
    assert [c.expect("8")[150] for _ in range(3)] == ["0", "0", "0"]

    def hit(price, qty):
        nos(m, "2", price, qty, tif="3")  # maker sells IOC into the trader's bids
        assert m.expect("8")[150] == "F"

    hit("0.3000", "3")
    assert c.expect("8")[11] == first
    world.clock.advance(dt.timedelta(seconds=16))  # the first 3 leave the 15 s window
    hit("0.2000", "3")
    hit("0.2000", "2")
    fills = [c.expect("8") for _ in range(2)]
    assert [(f[11], f[150]) for f in fills] == [(big, "F"), (big, "F")]
    quiet(c)  # 5 in the window, limit 5: not exceeded
    hit("0.2000", "1")
    fill, *cancels = [c.expect("8") for _ in range(3)]
    assert (fill[11], fill[150]) == (big, "F")  # the fill that crosses the limit stands
    got = sorted((x[11], x[150], x[39], x[58]) for x in cancels)
    assert got == sorted([(big, "4", "4", "ORDER_GROUP_CANCEL"), (small, "4", "4", "ORDER_GROUP_CANCEL")])
    quiet(c)
    nos(c, "1", "0.0500", "1", group=group)
    assert c.expect("8")[103] == "3"


def test_update_below_volume_and_delete_cancel_resting_orders(world):
    c = world.logged_on("g_nr", "NR", FLAGS)
    m = world.logged_on("m_nr", "NR", FLAGS)
    group = create(c, "10")[20130]
    a = nos(c, "1", "0.3000", "5", group=group)
    b = nos(c, "1", "0.1000", "2", group=group)
    assert [c.expect("8")[150] for _ in range(2)] == ["0", "0"]
    nos(m, "2", "0.3000", "3", tif="3")
    m.expect("8")
    assert c.expect("8")[150] == "F"  # 3 matched in the window
    c.send("UOG", [(20131, "5"), (20130, group), (20132, "2")])  # below the volume: trips
    assert c.expect("UOH")[20132] == "2"  # the response comes before the cancels it caused
    got = sorted((x[11], x[150], x[58]) for x in (c.expect("8"), c.expect("8")))
    assert got == sorted([(a, "4", "ORDER_GROUP_CANCEL"), (b, "4", "ORDER_GROUP_CANCEL")])
    c.send("UOG", [(20131, "2"), (20130, group)])
    c.expect("UOH")
    c.send("UOG", [(20131, "5"), (20130, group), (20132, "50")])
    c.expect("UOH")
    d = nos(c, "1", "0.1000", "1", group=group)
    assert c.expect("8")[150] == "0"
    c.send("UOG", [(20131, "3"), (20130, group)])
    assert c.expect("UOH")[20130] == group
    cancel = c.expect("8")
    assert (cancel[11], cancel[150], cancel[39], cancel[58]) == (d, "4", "4", "ORDER_GROUP_CANCEL")
    nos(c, "1", "0.1000", "1", group=group)  # a deleted group is gone for good
    assert c.expect("8")[103] == "11"

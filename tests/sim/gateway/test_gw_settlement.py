"""KalshiPT / KalshiRFQ logon rules and market settlement reports (35=UMS) end to end.

Own simulator (settling a market is final): alice trades in subaccounts 0, 1 and 2, bob is the
counterparty. The page size is 2 party entries so a three-subaccount batch needs two pages.
"""

from __future__ import annotations

import time

import pytest

from fixengine.config.types import SessionKind
from fixengine.model import Side
from fixengine.sim.exchange.clock import clearing_date
from fixengine.sim.gateway import GatewayOptions, texts
from fixengine.sim.gateway.settlement import party_id
from fixengine.fix.spec import validate_message
from simgw_own import OwnSim

pytestmark = pytest.mark.slow

YES_MKT, NO_MKT, SCALAR_MKT, PAGED_MKT, OFFLINE_MKT, ROUND_MKT = (
    "KXSET-26DEC31-Y", "KXSET-26DEC31-N", "KXSET-26DEC31-S", "KXSET-26DEC31-P", "KXSET-26DEC31-O",
    "KXSET-26DEC31-R")
NO_POS_MKT = "KXSET-26DEC31-Z"
USERS = {
    "alice": {"keys": {"a_pt": None, "a_pt2": None, "a_rt": None, "a_rt_off": None, "a_nr": None,
                       "a_sub1": 1, "a_rfq": None},
              "subaccounts": [{"number": 1, "balance": "1000.00"}, {"number": 2, "balance": "1000.00"}]},
    "bob": {"keys": {"b_pt": None, "b_nr": None}, "balance": "50000.00"},
}


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    world = OwnSim(tmp_path_factory.mktemp("setkeys"), USERS,
                   [YES_MKT, NO_MKT, SCALAR_MKT, PAGED_MKT, OFFLINE_MKT, ROUND_MKT, NO_POS_MKT],
                   options=GatewayOptions(settlement_page_size=2))
    with world.sim:
        yield world
        world.close_clients()
        assert world.sim.gateway.stats()["callback_errors"] == 0


@pytest.fixture
def world(own):
    yield own
    own.close_clients()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and own.sim.gateway.gate.slots:
        time.sleep(0.01)


def trade(world, symbol, qty, price=4000, sub=0):
    """alice buys `qty` contracts YES from bob (who ends up holding NO)."""
    sim = world.sim
    sim.add_liquidity("alice", symbol, Side.BUY, price, qty * 100, subaccount=sub)
    events = sim.add_liquidity("bob", symbol, Side.SELL, price, qty * 100)
    assert any(type(e).__name__ == "OrderFilled" for e in events)


def parties(msg):
    """The 20108 entries of a UMS as lists of (tag, value), nested groups included."""
    out, current = [], None
    for tag, value in msg.fields:
        if tag == 20109:
            current = []
            out.append(current)
        if current is not None and tag not in (893, 10):
            current.append((tag, value))
    return out


def entry_map(entry):
    return dict(entry)


def check_top(msg, symbol, result, price, pages=1, last=True, world=None):
    assert msg.type == "UMS"
    assert (msg[55], msg[20107], msg[730], msg[20106]) == (symbol, result, price, str(pages))
    assert msg[893] == ("Y" if last else "N")
    assert msg[715] == clearing_date(world.sim.clock())
    validate_message(msg.raw)  # every field, enum and nested group against the Kalshi dictionary


ENTRY_ORDER = [20109, 20110, 704, 705, 1703, 1704, 1705, 136, 137, 138, 139, 891]  # part2 §4.2


def check_party(entry, user, sub, long_, short, payout, fee):
    assert [tag for tag, _ in entry] == ENTRY_ORDER
    m = entry_map(entry)
    assert (m[20109], m[20110]) == (party_id(user, sub), "24")
    assert (m[704], m[705]) == (long_, short)
    assert (m[1703], m[1704], m[1705]) == ("1", payout, "PAYOUT")
    assert (m[136], m[137], m[138], m[139], m[891]) == ("1", fee, "USD", "4", "0")


# ------------------------------------------------------------------ logon rules (part2 §1.2)


def test_pt_logon_141_optional_retention_allowed(world):
    pt = world.client("a_pt", "PT")
    assert pt.logon(reset=False, seq=1).type == "A"  # 141 omitted: PT retransmits
    pt.logout()
    pt.close()
    world.logged_on("a_pt", "PT", {20200: "72"})
    entry = world.sim.gateway.session(SessionKind.PT, world.keys["a_pt"][0])
    assert entry.flags.settlement_reports and entry.flags.retention_hours == 72  # 20127 defaults to Y


def test_rfq_requires_141_and_refuses_retention(world):
    rfq = world.client("a_rfq", "RFQ")
    refused = rfq.logon(reset=False, seq=1)
    assert (refused.type, refused[58]) == ("5", texts.RESET_REQUIRED)
    rfq.close()
    rfq = world.client("a_rfq", "RFQ")
    refused = rfq.logon({20200: "24"})
    assert (refused.type, refused[58]) == ("5", texts.RETENTION_KIND)
    rfq.close()
    assert world.logged_on("a_rfq", "RFQ") is not None


def test_pt_is_not_order_entry(world):
    pt = world.logged_on("a_pt", "PT")
    pt.send("D", [(11, "x-1"), (38, "1"), (40, "2"), (44, "0.4000"), (54, "1"), (55, YES_MKT), (59, "1")])
    bmr = pt.expect("j")
    assert (bmr[372], bmr[380]) == ("D", "3")
    refused = world.client("a_pt2", "PT").logon({20126: "Y", 21011: "Y"})
    assert (refused.type, refused[58]) == ("5", texts.LISTENER_KIND)


# ------------------------------------------------------------------ delivery and fields


def test_yes_settlement_to_pt_and_opted_in_rt_only(world):
    trade(world, YES_MKT, 10)
    a_pt = world.logged_on("a_pt", "PT")
    a_rt = world.logged_on("a_rt", "RT", {20127: "Y", 21011: "Y"})
    a_rt_off = world.logged_on("a_rt_off", "RT", {21011: "Y"})  # 20127 absent: default N on RT
    a_nr = world.logged_on("a_nr", "NR", {20127: "Y", 21011: "Y"})  # never on NR
    a_pt2 = world.logged_on("a_pt2", "PT", {20127: "N"})  # opted out
    b_pt = world.logged_on("b_pt", "PT")
    world.sim.settle_market(YES_MKT, "yes")
    ums = a_pt.expect("UMS")
    check_top(ums, YES_MKT, "yes", "100.00", world=world)
    (entry,) = parties(ums)
    check_party(entry, "alice", 0, "10.00", "0.00", "10.00", "0.00")
    rt_copy = a_rt.expect("UMS")
    assert rt_copy[20105] == ums[20105] and parties(rt_copy) == parties(ums)
    bob = b_pt.expect("UMS")
    (bob_entry,) = parties(bob)  # bob sees only his own entry
    check_party(bob_entry, "bob", 0, "0.00", "10.00", "0.00", "0.00")
    assert bob[20105] != ums[20105]
    for quiet in (a_rt_off, a_nr, a_pt2):
        assert [m for m in quiet.collect(0.3) if m.type == "UMS"] == []


def test_no_result(world):
    trade(world, NO_MKT, 4, price=7000)
    b_pt = world.logged_on("b_pt", "PT")
    world.sim.settle_market(NO_MKT, "no")
    ums = b_pt.expect("UMS")
    check_top(ums, NO_MKT, "no", "0.00", world=world)
    check_party(parties(ums)[0], "bob", 0, "0.00", "4.00", "4.00", "0.00")


def test_scalar_payout_rounded_down_fee_exact(world):
    trade(world, SCALAR_MKT, 7, price=3000)
    a_pt = world.logged_on("a_pt", "PT")
    b_pt = world.logged_on("b_pt", "PT")
    world.sim.settle_market(SCALAR_MKT, "scalar", 3060)
    ums = a_pt.expect("UMS")
    check_top(ums, SCALAR_MKT, "scalar", "30.60", world=world)
    check_party(parties(ums)[0], "alice", 0, "7.00", "0.00", "2.14", "0.002")  # 7 x 0.306 = 2.142
    check_party(parties(b_pt.expect("UMS"))[0], "bob", 0, "0.00", "7.00", "4.85", "0.008")  # 7 x 0.694


def test_pages_restricted_key_and_resend(world):
    for sub in (0, 1, 2):
        trade(world, PAGED_MKT, sub + 1, sub=sub)
    a_pt = world.logged_on("a_pt", "PT")
    a_sub1 = world.logged_on("a_sub1", "PT")
    world.sim.settle_market(PAGED_MKT, "yes")
    first, second = a_pt.expect("UMS"), a_pt.expect("UMS")
    check_top(first, PAGED_MKT, "yes", "100.00", pages=2, last=False, world=world)
    check_top(second, PAGED_MKT, "yes", "100.00", pages=2, last=True, world=world)
    assert (first[20108], second[20108]) == ("2", "1")
    assert first[20105] != second[20105]
    got = parties(first) + parties(second)
    for sub, entry in zip((0, 1, 2), got):
        qty = f"{sub + 1}.00"
        check_party(entry, "alice", sub, qty, "0.00", qty, "0.00")
    only = a_sub1.expect("UMS")  # a key restricted to subaccount 1 sees that subaccount only
    assert (only[20106], only[893], only[20108]) == ("1", "Y", "1")
    check_party(parties(only)[0], "alice", 1, "2.00", "0.00", "2.00", "0.00")
    assert a_sub1.collect(0.3) == []
    a_pt.send("2", [(7, first[34]), (16, second[34])])  # PT retransmits (newest rule)
    again = [a_pt.expect("UMS"), a_pt.expect("UMS")]
    assert [(m[43], m[20105], m[34]) for m in again] == [("Y", first[20105], first[34]),
                                                          ("Y", second[20105], second[34])]


def test_offline_pt_gets_reports_after_logon_without_reset(world):
    trade(world, OFFLINE_MKT, 3)
    a_pt = world.logged_on("a_pt", "PT")
    a_pt.logout()
    a_pt.close()
    time.sleep(0.2)
    world.sim.settle_market(OFFLINE_MKT, "yes")
    a_pt.sock = None
    reply = a_pt.logon(reset=False)  # 141=N: continuity, the server's sequence moved on
    assert reply.type == "A" and 141 not in reply
    missed_from = int(reply[34]) - 1
    a_pt.send("2", [(7, str(missed_from)), (16, "0")])
    ums = a_pt.expect("UMS", skip=("0", "4"))
    assert ums[43] == "Y" and ums[55] == OFFLINE_MKT
    check_party(parties(ums)[0], "alice", 0, "3.00", "0.00", "3.00", "0.00")


def test_admin_http_and_cli_determine_settle(world, capsys):
    from fixengine.cli import main
    from fixengine.sim.admin import AdminError, admin_request

    trade(world, ROUND_MKT, 2, price=5000)
    b_pt = world.logged_on("b_pt", "PT")
    port = world.sim.admin_port
    with pytest.raises(AdminError, match="scalar"):
        admin_request(port, "/determine", {"symbol": ROUND_MKT, "result": "scalar"})
    assert main(["sim", "admin", "--admin-port", str(port), "determine", "--symbol", ROUND_MKT,
                 "--result", "scalar", "--price", "0.3333"]) == 0
    assert "MarketStatusChanged" in capsys.readouterr().out
    assert [m for m in b_pt.collect(0.3) if m.type == "UMS"] == []  # determined is not settled
    assert main(["sim", "admin", "--admin-port", str(port), "settle", "--symbol", ROUND_MKT]) == 0
    out = capsys.readouterr().out
    assert '"payout": "1.33"' in out and '"fee": "0.0034"' in out  # bob: 2 x 0.6667 = 1.3334
    ums = b_pt.expect("UMS")
    check_top(ums, ROUND_MKT, "scalar", "33.33", world=world)
    check_party(parties(ums)[0], "bob", 0, "0.00", "2.00", "1.33", "0.0034")
    assert main(["sim", "admin", "--admin-port", str(port), "settle", "--symbol", "NOPE-1"]) == 2
    assert "unknown market" in capsys.readouterr().err
    answer = admin_request(port, "/settle", {"symbol": NO_POS_MKT, "result": "no"})  # nobody held it
    assert "MarketSettled" in answer["events"] and answer["settlements"] == []
    assert b_pt.collect(0.3) == []


def test_pt_file_store_resends_settlement_after_simulator_restart(tmp_path):
    """With store_dir, KalshiPT keeps its messages in a FileStore: a report sent while the client
    was away is still resent after the simulator itself restarted."""
    users = {"carol": {"keys": {"c_pt": None}}, "dave": {"keys": {"d_nr": None}}}
    options = GatewayOptions(store_dir=tmp_path / "store")
    first = OwnSim(tmp_path, users, [YES_MKT], options=options)
    with first.sim:
        pt = first.logged_on("c_pt", "PT")
        pt.logout()
        pt.close()
        first.sim.add_liquidity("carol", YES_MKT, Side.BUY, 5000, 200)
        first.sim.add_liquidity("dave", YES_MKT, Side.SELL, 5000, 200)
        first.sim.settle_market(YES_MKT, "yes")
    assert any("KalshiPT" in p.name for p in (tmp_path / "store").iterdir())
    with first.restart():
        pt = first.client("c_pt", "PT")
        pt.seq = 3  # Logon 1 and Logout 2 went out before
        reply = pt.logon(reset=False)
        assert reply.type == "A", repr(reply)
        pt.send("2", [(7, "3"), (16, "0")])
        ums = pt.expect("UMS", skip=("0", "4"))
        assert (ums[43], ums[55], ums[20107]) == ("Y", YES_MKT, "yes")
        check_party(parties(ums)[0], "carol", 0, "2.00", "0.00", "2.00", "0.00")
        pt.logout()
        pt.close()

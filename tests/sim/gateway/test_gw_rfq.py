"""RFQ end to end over real sockets: creator on KalshiRT, makers on KalshiRFQ (part2 §5).

The simulator runs on a ManualClock (no timer thread): a test moves the clock and calls
`sim.tick()` to fire confirmation / execution / expiry timers, so nothing sleeps.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone

import pytest
from conftest import config_mapping
from simgw_rawfix import LINEAR, clid

from fixengine.sim.config import sim_config_from_mapping
from fixengine.sim.exchange import ManualClock
from fixengine.sim.exchange.rfq import public_id
from fixengine.sim.exchange.rfq_events import CancelRfq
from fixengine.sim.server import Simulator

pytestmark = pytest.mark.slow

HVM = "KXHVM-26DEC31-H"
OTHER = "KXOTH-26DEC31-O"
LIFETIME_S = 600
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def _users(keyring):
    def key(name, scopes=("read", "write")):
        return {"key_id": keyring[name][0], "public_key": str(keyring[name][2]), "scopes": list(scopes)}

    return [
        {"user_id": "creator-user", "balance": "10000.00", "keys": [key("trader"), key("trader2"),
                                                                    key("listener_rt", ("read",)),
                                                                    key("rt", ("read",))]},
        {"user_id": "maker-user", "balance": "10000.00", "keys": [key("maker"), key("other")]},
        {"user_id": "maker2-user", "balance": "1000.00", "tier": "Basic", "keys": [key("basic")]},
    ]


@pytest.fixture(scope="module")
def sim(keyring):
    mapping = config_mapping(
        keyring, users=_users(keyring), skew_tolerance_seconds=3600,
        ports={"NR": 0, "RT": 0, "RFQ": 0},
        rfq={"lifetime_s": LIFETIME_S},
        markets=[{"ticker": LINEAR, "price_level_structure": "linear_cent"},
                 {"ticker": HVM, "price_level_structure": "linear_cent", "high_volatility": True},
                 {"ticker": OTHER, "price_level_structure": "linear_cent"}])
    config = sim_config_from_mapping(mapping)
    clock = ManualClock(datetime.now(timezone.utc))
    with Simulator(config, clock=clock, admin_port=None, tick_s=0, rest=False) as simulator:
        simulator.manual_clock = clock
        yield simulator
        stats = simulator.gateway.stats()
        assert stats["callback_errors"] == 0, stats["recent_callback_errors"]
        assert stats["gate"]["counts"]["loop_errors"] == 0


@pytest.fixture
def advance(sim):
    def move(seconds: float) -> None:
        sim.manual_clock.advance(timedelta(seconds=seconds))
        sim.tick()
    return move


@pytest.fixture
def desk(client_factory, sim, advance):
    """creator (KalshiRT), maker and maker2 (KalshiRFQ) logged on; open RFQs are cleaned up after."""
    class Desk:
        pass

    d = Desk()
    d.creator = client_factory("trader", "RT")
    assert d.creator.logon({21011: "Y"}).type == "A"
    d.maker = client_factory("maker", "RFQ")
    assert d.maker.logon().type == "A"
    d.maker2 = client_factory("basic", "RFQ")
    assert d.maker2.logon().type == "A"
    yield d
    if any(r["accepted_quote_id"] for r in sim.exchange.rfqs("creator-user", open_only=True)):
        advance(31)  # let pending acceptances void / confirmed ones execute
    for rfq in sim.exchange.rfqs("creator-user", open_only=True):
        sim.gateway.call(lambda r=rfq: sim.exchange.cancel_rfq(CancelRfq("creator-user", "", "", rfq_id=r["id"])))


def create(c, symbol=LINEAR, qty="100", client=None, extra=()):
    client = client or clid("rfq")
    c.send("R", [(131, client), (146, "1"), (55, symbol), (38, qty), *extra])
    return client


def open_rfq(d, symbol=LINEAR, qty="100", extra=()):
    client = create(d.creator, symbol, qty, extra=extra)
    ack = d.creator.expect("b")
    assert ack[131] == client
    d.maker.expect("R")
    d.maker2.expect("R")
    return ack[21023]


def quote(c, rfq_id, yes="45", no="52", quote_id=None, symbol=LINEAR, extra=()):
    quote_id = quote_id or clid("q")
    body = [(117, quote_id), (131, rfq_id), (55, symbol)]
    if yes is not None:
        body.append((132, yes))
    if no is not None:
        body.append((133, no))
    c.send("S", body + list(extra))
    return quote_id


def quoted(d, symbol=LINEAR):
    rfq_id = open_rfq(d, symbol)
    quote_id = quote(d.maker, rfq_id, symbol=symbol)
    assert d.maker.expect("AI")[297] == "10"
    d.creator.expect("S")
    return rfq_id, quote_id


def accept(c, quote_id, rfq_id=None, side="2", qty=None, cl=None):
    body = [(117, quote_id)] + ([(21023, rfq_id)] if rfq_id else []) + [(54, side)]
    body += ([(38, qty)] if qty else []) + ([(11, cl)] if cl else [])
    c.send("UA", body)


def quiet(c, timeout=0.3):
    extra = c.collect(timeout)
    assert extra == [], extra


# ---------------------------------------------------------------------------- the whole flow

def test_full_flow_creator_rt_maker_rfq(desk, client_factory, sim, advance, keyring):
    d = desk
    maker_rt = client_factory("other", "RT")  # the maker's order-entry session: its order reports here
    assert maker_rt.logon({21011: "Y", 21005: "Y"}).type == "A"
    client = create(d.creator, extra=[(21015, "N")])
    ack = d.creator.expect("b")
    assert (ack[131], ack[303], ack[100]) == (client, "1", "0") and UUID.match(ack[21023])
    rfq_id = ack[21023]
    for m in (d.maker, d.maker2):
        r = m.expect("R")
        assert (r[131], r[146], r[55], r[38], r[453], r[448]) == (rfq_id, "1", LINEAR, "100.00", "1",
                                                                  public_id("creator-user"))
    quote_id = quote(d.maker, rfq_id)
    ai = d.maker.expect("AI")
    assert (ai[117], ai[131], ai[297], ai[38], ai[132], ai[133], ai[134], ai[135]) == (
        quote_id, rfq_id, "10", "100.00", "45", "52", "100.00", "100.00")
    s = d.creator.expect("S")
    assert (s[117], s[131], s[55], s[132], s[133], s[38], s[134], s[135]) == (
        quote_id, rfq_id, LINEAR, "0.4500", "0.5200", "100.00", "100.00", "100.00")
    assert (s[453], s[448], s[452]) == ("1", public_id("maker-user"), "35")
    cl = clid("acc")
    accept(d.creator, quote_id, rfq_id, "2", "100", cl)
    uc = d.creator.expect("UC")
    assert (uc[117], uc[21025], uc[21024], uc[11]) == (quote_id, "0", quote_id, cl)
    ai = d.maker.expect("AI")
    assert (ai[117], ai[297], ai[54], ai[38]) == (quote_id, "0", "2", "100.00")
    d.maker.send("U7", [(117, quote_id), (21023, rfq_id)])
    u8 = d.maker.expect("U8")
    assert (u8[117], u8[21010]) == (quote_id, "0") and 58 not in u8
    advance(14)
    quiet(d.creator, 0.2)
    advance(1)
    er = d.creator.expect("8")
    assert (er[11], er[150], er[39], er[54], er[55], er[32], er[31]) == (cl, "F", "2", "2", LINEAR, "100.00", "45")
    mer = maker_rt.expect("8")
    while mer[150] != "F":
        mer = maker_rt.expect("8")
    assert (mer[11], mer[54], mer[39], mer[31]) == (quote_id, "1", "2", "0.4500")
    ag = d.maker2.expect("AG")
    assert (ag[131], ag[658]) == (rfq_id, "99") and ag[58]
    quiet(d.maker)  # the executed maker is not told the RFQ closed
    quiet(d.creator)
    assert sim.exchange.rfqs("creator-user")[-1]["status"] == "closed"


# ---------------------------------------------------------------------------- creation

def test_create_rejects(desk):
    d = desk
    client = create(d.creator, symbol="NOPE-26")
    ag = d.creator.expect("AG")
    assert (ag[131], ag[658], ag[58]) == (client, "1", "MARKET_NOT_FOUND")
    open_rfq(d)
    client = create(d.creator)
    ag = d.creator.expect("AG")
    assert (ag[131], ag[658], ag[58]) == (client, "3", "RFQ already exists")
    create(d.creator, extra=[(21016, "Y")])  # ReplaceExisting inside the group
    second = d.creator.expect("b")[21023]
    assert d.maker2.expect("R")[131] == second


def test_create_by_cost_broadcasts_cash_qty(desk):
    d = desk
    d.creator.send("R", [(131, clid("rfq")), (146, "1"), (55, LINEAR), (152, "50.00")])
    d.creator.expect("b")
    r = d.maker.expect("R")
    assert r[152] == "50.0000" and 38 not in r


def test_missing_conditionally_required_tags_are_session_rejects(desk):
    desk.creator.send("R", [(131, "x"), (146, "1"), (55, LINEAR)])  # neither OrderQty nor CashOrderQty
    rej = desk.creator.expect("3")
    assert (rej[372], rej[371], rej[373]) == ("R", "38", "1")
    desk.creator.send("R", [(131, "x"), (146, "1"), (38, "10")])  # neither Symbol nor a combo collection
    rej = desk.creator.expect("3")
    assert (rej[372], rej[371], rej[373]) == ("R", "55", "1")
    desk.creator.send("UE", [])  # neither QuoteReqID nor RfqId
    rej = desk.creator.expect("3")
    assert (rej[372], rej[371], rej[373]) == ("UE", "131", "1")


@pytest.mark.parametrize("msg_type, body, tag", [
    ("S", [(117, "q"), (55, LINEAR), (132, "45")], "131"),
    ("S", [(117, "q"), (131, "r"), (132, "45")], "55"),
    ("Z", [(21023, "r")], "117"),
    ("U7", [(21023, "r")], "117"),
    ("S", [(131, "r"), (55, LINEAR), (132, "45")], "117"),
])
def test_missing_required_tags_are_session_rejects(desk, msg_type, body, tag):
    desk.maker.send(msg_type, body)
    rej = desk.maker.expect("3")
    assert (rej[372], rej[371], rej[373]) == (msg_type, tag, "1")


@pytest.mark.parametrize("body, ref_tag, reason", [
    ([(55, LINEAR), (38, "1")], "131", "1"),
    ([(131, "x"), (146, "1"), (55, LINEAR), (38, "ten")], "38", "5"),
    ([(131, "x"), (146, "1"), (55, LINEAR), (38, "1.234")], "38", "5"),  # more than 2 decimals
    ([(131, "x"), (146, "1"), (55, LINEAR), (38, "1"), (21016, "X")], "21016", "5"),
])
def test_malformed_quote_request(desk, body, ref_tag, reason):
    desk.creator.send("R", body)
    rej = desk.creator.expect("3")
    assert (rej[372], rej[371], rej[373]) == ("R", ref_tag, reason)


def test_creator_messages_only_on_rt_and_not_for_listeners_or_read_only(client_factory):
    maker = client_factory("maker", "RFQ")
    assert maker.logon().type == "A"
    create(maker)
    assert (maker.expect("j")[380], maker.received[-1][372]) == ("3", "R")
    listener = client_factory("listener_rt", "RT")
    assert listener.logon({20126: "Y", 21011: "Y"}).type == "A"
    create(listener)
    assert listener.expect("j")[380] == "6"
    accept(listener, "q")
    assert listener.expect("j")[380] == "6"
    read_only = client_factory("rt", "RT")
    assert read_only.logon({21011: "Y"}).type == "A"
    create(read_only)
    assert read_only.expect("j")[380] == "6"
    nr = client_factory("trader2", "NR")
    assert nr.logon({21011: "Y"}).type == "A"
    create(nr)
    assert nr.expect("j")[380] == "3"
    nr.send("D", [(11, clid()), (38, "1"), (40, "2"), (44, "45"), (54, "2"), (55, LINEAR), (117, "q")])
    assert nr.expect("j")[380] == "3"


# ---------------------------------------------------------------------------- maker messages

def test_quote_rejects_and_maker_only_on_rfq(desk):
    d = desk
    rfq_id = open_rfq(d)
    quote(d.maker, rfq_id, yes="50", no="51")
    ai = d.maker.expect("AI")
    assert (ai[297], ai[131], ai[58]) == ("5", rfq_id, "yes_bid + no_bid must not exceed $1") and 117 not in ai
    assert 38 not in ai and 132 not in ai
    quote(d.maker, rfq_id, yes="0", no="0")
    assert d.maker.expect("AI")[58] == "at least one of BidPx / OfferPx must be non-zero"
    quote(d.maker, "no-such-rfq")
    assert d.maker.expect("AI")[58] == "RFQ_NOT_FOUND"
    quote(d.creator, rfq_id)
    assert d.creator.expect("j")[380] == "3"
    quiet(d.creator)


@pytest.mark.parametrize("extra, tag", [([(132, "45.5")], "132"), ([(18, "E")], "18"), ([(21015, "maybe")], "21015")])
def test_malformed_quote(desk, extra, tag):
    d = desk
    rfq_id = open_rfq(d)
    d.maker.send("S", [(117, "q-bad"), (131, rfq_id), (55, LINEAR), (133, "52"), *extra])
    rej = d.maker.expect("3")
    # 5 = value incorrect (Kalshi's format), 6 = QuickFIX's data-format check of a CHAR field
    assert (rej[372], rej[371], rej[373]) == ("S", tag, "6" if tag == "21015" else "5")


def test_quote_in_dollars_and_one_sided(desk, client_factory):
    d = desk
    dollars = client_factory("maker", "RFQ")
    d.maker.logout()
    d.maker.close()
    rfq_id = open_rfq_without_maker(d)
    assert dollars.logon({21005: "Y"}).type == "A"
    quote(dollars, rfq_id, yes="0.4500", no=None)
    ai = dollars.expect("AI")
    assert (ai[297], ai[132], ai[134]) == ("10", "0.4500", "100.00") and 133 not in ai and 135 not in ai
    s = d.creator.expect("S")
    assert s[132] == "0.4500" and 133 not in s and 135 not in s


def open_rfq_without_maker(d):
    create(d.creator)
    rfq_id = d.creator.expect("b")[21023]
    d.maker2.expect("R")
    return rfq_id


def test_replaced_quote_and_quote_cancel(desk):
    d = desk
    rfq_id, first = quoted(d)
    second = quote(d.maker, rfq_id, yes="46")
    assert [(m[117], m[297]) for m in (d.maker.expect("AI"), d.maker.expect("AI"))] == [(first, "17"), (second, "10")]
    d.creator.expect("S")
    d.maker.send("Z", [(117, second), (21023, rfq_id)])
    u9 = d.maker.expect("U9")
    assert (u9[117], u9[298]) == (second, "0")
    assert (d.maker.expect("AI")[297]) == "17"
    d.maker.send("Z", [(117, "nope")])
    u9 = d.maker.expect("U9")
    assert (u9[298], u9[58]) == ("1", "NOT_FOUND")
    accept(d.creator, second, rfq_id)
    uc = d.creator.expect("UC")
    assert (uc[21025], uc[58]) == ("1", "EXPIRED") and 21024 not in uc


# ---------------------------------------------------------------------------- accept / confirm

def test_accept_rejects(desk):
    d = desk
    rfq_id, quote_id = quoted(d)
    accept(d.creator, "unknown-quote", cl="a1")
    uc = d.creator.expect("UC")
    assert (uc[117], uc[21025], uc[58], uc[11]) == ("unknown-quote", "1", "NOT_FOUND", "a1")
    accept(d.creator, quote_id, rfq_id, qty="101")
    assert d.creator.expect("UC")[58] == "INVALID_QUANTITY"
    d.creator.send("UA", [(117, quote_id), (54, "3")])
    rej = d.creator.expect("3")
    assert (rej[371], rej[373]) == ("54", "5")


def test_confirm_not_accepted_is_refused(desk):
    d = desk
    _, quote_id = quoted(d)
    d.maker.send("U7", [(117, quote_id)])
    u8 = d.maker.expect("U8")
    assert (u8[21010], u8[58]) == ("1", "quote not in accepted state")


def test_no_confirmation_voids_the_acceptance(desk, advance):
    d = desk
    rfq_id, quote_id = quoted(d)
    accept(d.creator, quote_id, rfq_id, "1", cl="c-void")
    assert d.creator.expect("UC")[21025] == "0"
    assert d.maker.expect("AI")[54] == "1"
    advance(29.5)
    quiet(d.creator, 0.1)
    advance(0.5)
    uc = d.creator.expect("UC")
    assert (uc[117], uc[21025], uc[58], uc[11]) == (quote_id, "1", "EXPIRED", "c-void")
    assert d.maker.expect("AI")[297] == "17"
    d.maker.send("U7", [(117, quote_id), (21023, rfq_id)])
    u8 = d.maker.expect("U8")
    assert (u8[21010], u8[58]) == ("1", "quote not in accepted state")


def test_high_volatility_market_window_is_3s(desk, advance):
    d = desk
    rfq_id, quote_id = quoted(d, HVM)
    accept(d.creator, quote_id, rfq_id)
    d.creator.expect("UC")
    d.maker.expect("AI")
    advance(3)
    assert d.creator.expect("UC")[58] == "EXPIRED"


def test_accept_by_new_order_single(desk, advance):
    d = desk
    rfq_id, quote_id = quoted(d)
    d.maker.send("Z", [(117, quote_id)])
    d.maker.expect("U9")
    d.maker.expect("AI")
    cl = clid("d")
    d.creator.send("D", [(11, cl), (38, "100"), (40, "2"), (44, "45"), (54, "2"), (55, LINEAR), (117, quote_id),
                         (21023, rfq_id)])
    er = d.creator.expect("8")
    assert (er[37], er[11], er[150], er[39], er[103], er[58], er[17]) == ("NONE", cl, "8", "8", "8", "EXPIRED", "-1;-1")
    fresh = quote(d.maker, rfq_id)
    d.maker.expect("AI")
    d.creator.expect("S")
    d.creator.send("D", [(11, cl), (38, "10"), (40, "2"), (44, "45"), (54, "2"), (55, LINEAR), (117, fresh)])
    uc = d.creator.expect("UC")
    assert (uc[21025], uc[11], uc[21024]) == ("0", cl, fresh)
    d.maker.expect("AI")
    d.maker.send("U7", [(117, fresh)])
    d.maker.expect("U8")
    advance(15)
    er = d.creator.expect("8")
    assert (er[11], er[150], er[32]) == (cl, "F", "10.00")


# ---------------------------------------------------------------------------- RFQ cancel / expiry

def test_rfq_cancel_and_makers_told(desk):
    d = desk
    client = create(d.creator)
    rfq_id = d.creator.expect("b")[21023]
    d.maker.expect("R")
    d.maker2.expect("R")
    d.creator.send("UE", [(131, client)])
    ub = d.creator.expect("UB")
    assert (ub[131], ub[21013]) == (client, "0")
    for m in (d.maker, d.maker2):
        ag = m.expect("AG")
        assert (ag[131], ag[658], ag[58]) == (rfq_id, "99", "RFQ cancelled by requester")
    d.creator.send("UE", [(21023, "unknown")])
    ub = d.creator.expect("UB")
    assert (ub[131], ub[21013], ub[58]) == ("unknown", "1", "NOT_FOUND")


def test_rfq_expires_with_unsolicited_ub(desk, advance):
    d = desk
    client = create(d.creator, symbol=OTHER)
    rfq_id = d.creator.expect("b")[21023]
    d.maker.expect("R")
    d.maker2.expect("R")
    advance(LIFETIME_S)
    ub = d.creator.expect("UB")
    assert (ub[131], ub[21013], ub[21023]) == (client, "2", rfq_id)
    assert d.maker.expect("AG")[131] == rfq_id


def test_rfq_messages_are_charged_to_the_write_bucket(desk):
    d = desk
    rfq_id = open_rfq(d)
    for _ in range(12):  # Basic tier: 100 tokens, 10 per message
        quote(d.maker2, rfq_id, quote_id=clid("rl"))
    answers = d.maker2.collect(0.5)
    limited = [a for a in answers if a.type == "j"]
    assert limited and all(a[380] == "8" and a[372] == "S" for a in limited)
    assert len([a for a in answers if a.type == "AI" and a[297] == "10"]) == 12 - len(limited)


def test_combo_rfq_is_refused(desk):
    """Combo (MVE) RFQs are not modelled: AG 658=99 when the message gets through the dictionary."""
    d = desk
    d.creator.send("R", [(131, "mve-1"), (146, "1"), (55, LINEAR), (38, "50"), (20180, "KXMVECROSSCATEGORY-R")])
    ag = d.creator.expect("AG")
    assert (ag[131], ag[658]) == ("mve-1", "99")
    d.creator.send("R", [(131, "mve-2"), (146, "1"), (38, "50"), (20180, "KXMVECROSSCATEGORY-R"), (20181, "1"),
                         (20182, "KXNFLGAME-26SEP10DALPHI"), (20183, "KXNFLGAME-26SEP10DALPHI-PHI"), (20184, "yes")])
    ag = d.creator.expect("AG")  # the documented combo shape (38 leads the group, legs in the body)
    assert (ag[131], ag[658], ag[58]) == ("mve-2", "99", "combo (MVE) RFQs are not supported by the simulator")
    quiet(d.maker)


def test_rejected_quote_with_literal_empty_quote_id(desk, sim):
    d = desk
    rfq_id = open_rfq(d)
    sim.gateway.rfq.empty_reject_quote_id = True
    try:
        quote(d.maker, rfq_id, yes="0", no="0")
        ai = d.maker.expect("AI")
        assert (ai[297], ai[117]) == ("5", "") and b"\x01117=\x01" in ai.raw
    finally:
        sim.gateway.rfq.empty_reject_quote_id = False


def test_broadcast_skips_the_creators_own_rfq_sessions(desk, client_factory):
    d = desk
    own = client_factory("trader2", "RFQ")  # the creator's user also runs a maker session
    assert own.logon().type == "A"
    rfq_id = open_rfq(d)
    quiet(own)
    quote(own, rfq_id)
    ai = own.expect("AI")
    assert (ai[297], ai[58]) == ("5", "cannot quote your own RFQ")


def test_accept_by_new_order_single_with_conflicting_group_tags(desk):
    """526 and 20130 both present and different: the same 35=8 103=11 as a plain 35=D gets."""
    d = desk
    rfq_id, quote_id = quoted(d)
    cl = clid("d")
    d.creator.send("D", [(11, cl), (38, "10"), (40, "2"), (44, "45"), (54, "2"), (55, LINEAR), (117, quote_id),
                         (526, "grp-1"), (20130, "grp-2")])
    er = d.creator.expect("8")
    assert (er[11], er[150], er[39], er[103], er[58]) == (cl, "8", "8", "11", "INVALID_ORDER")
    quiet(d.maker)


def test_maker_fills_wait_in_its_offline_rt_store(desk, client_factory, sim, advance):
    d = desk
    maker_rt = client_factory("other", "RT")
    assert maker_rt.logon({21011: "Y"}).type == "A"
    maker_rt.logout()
    maker_rt.close()
    maker_rt.sock = None
    entry = next(e for e in sim.gateway.registry.sessions_of("maker-user") if e.kind.name == "RT")
    deadline = time.monotonic() + 3
    while entry.logged_on and time.monotonic() < deadline:
        time.sleep(0.01)
    rfq_id, quote_id = quoted(d)
    accept(d.creator, quote_id, rfq_id, "2", "10")
    d.creator.expect("UC")
    d.maker.expect("AI")
    d.maker.send("U7", [(117, quote_id)])
    d.maker.expect("U8")
    advance(15)
    assert d.creator.expect("8")[150] == "F"
    assert maker_rt.logon({21011: "Y"}, reset=False).type == "A"
    maker_rt.send("2", [(7, "1"), (16, "0")])  # the reports written while it was away come back
    fills = []
    deadline = time.monotonic() + 5
    while not fills and time.monotonic() < deadline:
        msg = maker_rt.recv(0.5)
        if msg is not None and msg.type == "8" and msg.get(150) == "F":
            fills.append(msg)
    assert fills and (fills[0][11], fills[0][32], fills[0][43]) == (quote_id, "10.00", "Y")

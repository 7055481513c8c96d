"""Order entry end to end: ExecutionReport field sets in dollar and cents mode, 35=9, 35=r, 35=j."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from simgw_rawfix import LINEAR, SUBPENNY, clid

pytestmark = pytest.mark.slow

EXEC_ID = re.compile(r"^\d+;\d+(;\d+)?$")
BASE = {21011: "Y"}  # most tests skip pending reports; the pending tests turn them on


def nos(c, side, price, qty, tif="1", symbol=LINEAR, cl=None, extra=()):
    cl = cl or clid()
    c.send("D", [(11, cl), (38, qty), (40, "2"), (44, price), (54, side), (55, symbol), (59, tif), *extra])
    return cl


def ers(c, n, timeout=3.0):
    out = [c.expect("8", timeout) for _ in range(n)]
    return out


def quiet(c, timeout=0.3):
    extra = c.collect(timeout)
    assert extra == [], extra


@pytest.fixture
def pair(client_factory):
    def make(trader_flags=None, maker_flags=None, trader="trader"):
        maker = client_factory("maker")
        assert maker.logon({21005: "Y", **BASE, **(maker_flags or {})}).type == "A"
        t = client_factory(trader)
        assert t.logon({**BASE, **(trader_flags or {})}).type == "A"
        return t, maker
    return make


# ------------------------------------------------------------------ dollar mode field sets


def test_rest_report_dollars(pair, keyring):
    t, _ = pair({21005: "Y"})
    cl = nos(t, "1", "0.5600", "10")
    er = t.expect("8")
    assert (er[150], er[39], er[11], er[54], er[55]) == ("0", "0", cl, "1", LINEAR)
    assert (er[38], er[44], er[151], er[14], er[6]) == ("10.00", "0.5600", "10.00", "0.00", "0.0000")
    assert EXEC_ID.match(er[17]) and er[37] and 60 in er and 79 not in er
    assert 31 not in er and 32 not in er and 41 not in er
    quiet(t)


def test_trade_reports_both_sides_dollars(pair):
    t, m = pair({21005: "Y"})
    nos(m, "2", "0.6000", "10")
    m.expect("8")
    cl = nos(t, "1", "0.6100", "4", tif="3")
    er = t.expect("8")  # New ack folded into the trade report
    assert (er[150], er[39], er[11]) == ("F", "2", cl)
    assert (er[31], er[32], er[151], er[14], er[6], er[38], er[44]) == (
        "0.6000", "4.00", "0.00", "4.00", "0.6000", "4.00", "0.6100")
    assert er[1057] == "Y" and er[704] == "4.00" and er[705] == "0.00" and er[30] == "0"
    assert re.match(r"^\d{8}$", er[715]) and er[880]
    assert (er[136], er[138], er[139], er[891], er[1703], er[1705]) == ("1", "USD", "4", "0", "1", "BALANCE")
    assert re.match(r"^\d+\.\d{4,}$", er[137]) and er[1704].startswith("-")
    mk = m.expect("8")
    assert (mk[150], mk[39], mk[1057], mk[31], mk[32], mk[151], mk[14]) == ("F", "1", "N", "0.6000", "4.00", "6.00", "4.00")
    assert mk[880] == er[880] and mk[705] == "4.00"
    quiet(t)


def test_partial_fill_then_cancel_then_replace_reports(pair):
    t, m = pair({21005: "Y"})
    nos(m, "2", "0.6000", "3")
    m.expect("8")
    cl = nos(t, "1", "0.6000", "10")
    er = t.expect("8")
    assert (er[150], er[39], er[151], er[14], er[38]) == ("F", "1", "7.00", "3.00", "10.00")
    cl2 = clid("r")
    t.send("G", [(11, cl2), (41, cl), (38, "12"), (40, "2"), (44, "0.5500"), (54, "1"), (55, LINEAR)])
    rep = t.expect("8")
    assert (rep[150], rep[39], rep[11], rep[41], rep[44], rep[38], rep[151], rep[14], rep[59]) == (
        "5", "1", cl2, cl, "0.5500", "12.00", "9.00", "3.00", "1")
    assert 126 not in rep
    cl3 = clid("c")
    t.send("F", [(11, cl3), (41, cl2), (54, "1"), (55, LINEAR)])
    can = t.expect("8")
    assert (can[150], can[39], can[11], can[41], can[151], can[14], can[38]) == (
        "4", "4", cl3, cl2, "0.00", "3.00", "3.00")
    quiet(t)


def test_rejected_order_report(pair):
    t, _ = pair({21005: "Y"})
    cl = nos(t, "1", "0.5600", "10", symbol="NO-SUCH-MARKET", extra=[(79, "2")])
    er = t.expect("8")
    assert (er[150], er[39], er[11], er[37], er[103], er[79]) == ("8", "8", cl, "NONE", "1", "2")
    assert er[58] and er[38] == "10.00" and er[151] == "0.00"


def test_duplicate_clordid_rejected(pair):
    t, _ = pair({21005: "Y"})
    cl = nos(t, "1", "0.3000", "1")
    t.expect("8")
    nos(t, "1", "0.3100", "1", cl=cl)
    er = t.expect("8")
    assert (er[150], er[103], er[58]) == ("8", "6", "ORDER_ALREADY_EXISTS")


def test_order_group_ids_must_agree(pair):
    t, _ = pair({21005: "Y"})
    nos(t, "1", "0.3000", "1", extra=[(526, "aaaaaaaa-0000-4000-8000-000000000001"),
                                      (20130, "aaaaaaaa-0000-4000-8000-000000000002")])
    er = t.expect("8")
    assert (er[150], er[103], er[58]) == ("8", "11", "INVALID_ORDER")


# ------------------------------------------------------------------ cents mode


def test_cents_mode_rest_and_trade(pair):
    t, m = pair({})  # no 21005: integer cents
    nos(m, "2", "0.6000", "5")
    m.expect("8")
    cl = nos(t, "1", "56", "10")
    er = t.expect("8")
    assert (er[150], er[44], er[6]) == ("0", "56", "0")
    cl2 = nos(t, "1", "61", "2", tif="3")
    tr = t.expect("8")
    assert (tr[150], tr[11], tr[31], tr[6], tr[44], tr[32]) == ("F", cl2, "60", "60", "61", "2.00")
    assert tr[137].count(".") == 1 and tr[1704].startswith("-")  # money stays dollars in cents mode
    assert cl


def test_cents_mode_refuses_decimal_price(pair):
    t, _ = pair({})
    nos(t, "1", "56.5", "10")
    rej = t.expect("3")
    assert rej[371] == "44" and rej[373] == "5"


def test_subpenny_price_dollar_mode(pair):
    t, m = pair({21005: "Y"})
    nos(m, "2", "0.0950", "5", symbol=SUBPENNY)
    assert m.expect("8")[44] == "0.0950"
    nos(t, "1", "0.0950", "1.50", symbol=SUBPENNY, tif="3")
    tr = t.expect("8")
    assert (tr[31], tr[32], tr[14]) == ("0.0950", "1.50", "1.50")


# ------------------------------------------------------------------ flags


def test_pending_reports_when_not_skipped(pair):
    t, _ = pair({21005: "Y", 21011: "N"})
    cl = nos(t, "1", "0.4000", "5")
    pending, new = ers(t, 2)
    assert (pending[150], pending[39], pending[17], pending[11]) == ("A", "A", "-1;-1", cl)
    assert (new[150], new[39]) == ("0", "0") and EXEC_ID.match(new[17])
    cl2 = clid("r")
    t.send("G", [(11, cl2), (41, cl), (38, "5"), (40, "2"), (44, "0.4100"), (54, "1"), (55, LINEAR)])
    pend_r, rep = ers(t, 2)
    assert (pend_r[150], pend_r[39], pend_r[17], pend_r[11], pend_r[41], pend_r[44]) == (
        "E", "E", "-1;-1", cl2, cl, "0.4000")
    assert rep[150] == "5"
    cl3 = clid("c")
    t.send("F", [(11, cl3), (41, cl2), (54, "1"), (55, LINEAR)])
    pend_c, can = ers(t, 2)
    assert (pend_c[150], pend_c[39], pend_c[17], pend_c[151]) == ("6", "6", "-1;-1", "5.00")
    assert can[150] == "4"


def test_reject_has_no_pending_report(pair):
    t, _ = pair({21005: "Y", 21011: "N"})
    nos(t, "1", "0.4000", "5", symbol="NOPE")
    assert t.expect("8")[150] == "8"
    quiet(t)


def test_always_emit_new_before_trade(pair):
    t, m = pair({21005: "Y", 21026: "Y"})
    nos(m, "2", "0.5000", "2")
    m.expect("8")
    nos(t, "1", "0.5000", "2", tif="3")
    new, trade = ers(t, 2)
    assert (new[150], new[39], trade[150], trade[39]) == ("0", "0", "F", "2")


def test_preserve_original_order_qty(pair):
    t, m = pair({21005: "Y", 21008: "Y"})
    nos(m, "2", "0.5000", "2")
    m.expect("8")
    cl = nos(t, "1", "0.5000", "10")
    assert t.expect("8")[38] == "10.00"
    t.send("F", [(11, clid("c")), (41, cl), (54, "1"), (55, LINEAR)])
    can = t.expect("8")
    assert (can[150], can[38], can[14], can[151]) == ("4", "10.00", "2.00", "0.00")


def test_ioc_partial_with_cancel_report(pair):
    t, m = pair({21005: "Y", 21007: "Y"})
    nos(m, "2", "0.5000", "2")
    m.expect("8")
    nos(t, "1", "0.5000", "5", tif="3")
    trade, cancel = ers(t, 2)
    assert (trade[150], trade[39], trade[151]) == ("F", "1", "3.00")
    assert (cancel[150], cancel[39], cancel[58], cancel[151], cancel[14]) == (
        "4", "4", "IMMEDIATE_OR_CANCELLED", "0.00", "2.00")


def test_ioc_partial_without_cancel_report_folds_final_state(pair):
    t, m = pair({21005: "Y"})
    nos(m, "2", "0.5000", "2")
    m.expect("8")
    nos(t, "1", "0.5000", "5", tif="3")
    trade = t.expect("8")
    assert (trade[150], trade[39], trade[151], trade[14], trade[38]) == ("F", "4", "0.00", "2.00", "2.00")
    quiet(t)


def test_ioc_nothing_crosses(pair):
    t, _ = pair({21005: "Y"})
    nos(t, "1", "0.0100", "5", tif="3")
    er = t.expect("8")
    assert (er[150], er[39], er[58]) == ("4", "4", "IMMEDIATE_OR_CANCELLED")
    quiet(t)


def test_expiry_with_and_without_expired_status(sim, pair):
    import datetime as dt

    from simgw_rawfix import ts

    t, m = pair({21005: "Y", 21012: "Y"})
    soon = ts(dt.datetime.now(dt.timezone.utc) + dt.timedelta(milliseconds=400))
    nos(t, "1", "0.2000", "1", tif="6", extra=[(126, soon)])
    nos(m, "1", "0.2000", "1", tif="6", extra=[(126, soon)])
    assert t.expect("8")[126] and m.expect("8")[150] == "0"
    exp = t.expect("8", timeout=3)
    assert (exp[150], exp[39]) == ("C", "C")
    mexp = m.expect("8", timeout=3)
    assert (mexp[150], mexp[39]) == ("4", "4")


# ------------------------------------------------------------------ cancel rejects, mass cancel


def test_cancel_unknown_order_gives_35_9(pair):
    t, _ = pair({21005: "Y"})
    cl = clid("c")
    t.send("F", [(11, cl), (41, "never-sent"), (54, "1"), (55, LINEAR)])
    rej = t.expect("9")
    assert (rej[11], rej[41], rej[434], rej[102]) == (cl, "never-sent", "1", "1")
    assert rej[58] and 39 in rej


def test_replace_filled_order_gives_35_9(pair):
    t, m = pair({21005: "Y"})
    nos(m, "2", "0.5000", "1")
    m.expect("8")
    cl = nos(t, "1", "0.5000", "1", tif="3")
    assert t.expect("8")[39] == "2"
    t.send("G", [(11, clid("r")), (41, cl), (38, "2"), (40, "2"), (44, "0.4000"), (54, "1"), (55, LINEAR)])
    rej = t.expect("9")
    assert (rej[434], rej[102], rej[58], rej[39]) == ("2", "2", "CANNOT_UPDATE_FILLED_ORDER", "2")


def test_mass_cancel_on_nr(pair):
    t, _ = pair({21005: "Y"})
    for price in ("0.1000", "0.1100"):
        nos(t, "1", price, "1")
        t.expect("8")
    cl = clid("q")
    t.send("q", [(11, cl), (530, "6")])
    report = t.expect("r")
    assert (report[11], report[531], report[530]) == (cl, "6", "6") and report[37]
    cancels = ers(t, 2)
    assert all(c[150] == "4" for c in cancels)
    t.send("q", [(11, clid("q")), (530, "6")])  # a second one within a second
    bmr = t.expect("j")
    assert (bmr[380], bmr[372]) == ("8", "q") and bmr[379]


def test_mass_cancel_not_on_rt(client_factory):
    c = client_factory("rt", "RT")
    assert c.logon({21005: "Y", 21011: "Y"}).type == "A"
    cl = clid("q")
    c.send("q", [(11, cl), (530, "6")])
    bmr = c.expect("j")
    assert (bmr[380], bmr[372], bmr[379]) == ("3", "q", cl)


def test_unsupported_message_type(pair):
    t, _ = pair({21005: "Y"})
    t.send("H", [(11, clid()), (54, "1"), (55, LINEAR)])
    bmr = t.expect("j")
    assert (bmr[380], bmr[372]) == ("3", "H")


# ------------------------------------------------------------------ rate limit, listener


def test_rate_limit_380_8(client_factory):
    c = client_factory("basic")  # Basic: 100 tokens/s, capacity 100, 10 per order, logon metered
    assert c.logon({21005: "Y", 21011: "Y"}).type == "A"
    sent = [nos(c, "1", "0.0100", "1") for _ in range(20)]
    got = c.collect(1.0)
    limited = [m for m in got if m.type == "j"]
    assert len(limited) >= 9
    assert all(m[380] == "8" and m[379] in sent for m in limited)
    assert sum(1 for m in got if m.type == "8") == 20 - len(limited)


def test_listener_fan_out_and_restrictions(client_factory, keyring):
    listener = client_factory("listener")
    assert listener.logon({20126: "Y", 21011: "Y", 21005: "Y"}).type == "A"
    t = client_factory("trader")
    assert t.logon({21005: "Y", 21011: "Y"}).type == "A"
    cl = nos(t, "1", "0.3300", "2")
    own = t.expect("8")
    copy = listener.expect("8")
    assert (copy[11], copy[17], copy[150], copy[44]) == (cl, own[17], "0", "0.3300")
    listener.send("D", [(11, clid()), (38, "1"), (40, "2"), (44, "0.3000"), (54, "1"), (55, LINEAR), (59, "1")])
    bmr = listener.expect("j")
    assert (bmr[380], bmr[372]) == ("6", "D")
    t.send("F", [(11, clid("c")), (41, cl), (54, "1"), (55, LINEAR)])
    t.expect("8")
    assert listener.expect("8")[150] == "4"


def test_order_groups_create_trigger_and_unknown(pair):
    t, _ = pair({21005: "Y"})
    t.send("UOG", [(20131, "1"), (20132, "5")])
    created = t.expect("UOH")
    group = created[20130]
    assert created[20132] == "5" and created[79] == "0"
    cl = nos(t, "1", "0.2000", "2", extra=[(526, group)])
    assert t.expect("8")[150] == "0"
    t.send("UOG", [(20131, "4"), (20130, group)])
    assert t.expect("UOH")[20130] == group
    cancel = t.expect("8")
    assert (cancel[150], cancel[11], cancel[58]) == ("4", cl, "ORDER_GROUP_CANCEL")
    t.send("UOG", [(20131, "2"), (20130, "aaaaaaaa-0000-4000-8000-00000000abcd")])
    bmr = t.expect("j")
    assert (bmr[380], bmr[372], bmr[58]) == ("1", "UOG", "ORDER_GROUP_NOT_FOUND")


def test_exec_inst_post_only_and_split_collateral(pair):
    t, m = pair({21005: "Y", 21027: "Y"})
    nos(m, "2", "0.4000", "3")
    m.expect("8")
    nos(t, "1", "0.4000", "1", extra=[(18, "6")])  # post-only that would cross
    er = t.expect("8")
    assert (er[150], er[39], er[58]) == ("4", "4", "POST_ONLY_CROSS")
    nos(t, "1", "0.4000", "2", tif="3")  # buy 2 YES (earlier tests may have left a position)
    held = Decimal(t.expect("8")[704])
    assert held >= 2
    nos(m, "1", "0.3000", "5")  # resting bid to sell into
    m.expect("8")
    nos(t, "2", "0.3000", "2", tif="3", extra=[(18, "E")])  # reduce-only IOC sell
    close = t.expect("8")
    assert close[150] == "F" and Decimal(close[704]) == held - 2 and close[705] == "0.00"
    assert 21030 in close and not close[21030].startswith("-")  # collateral released (21027=Y)

"""Inbound parsing and outbound templates, on the fact sheet's example messages (part 1 §9)."""

from __future__ import annotations

import quickfix as fix
import pytest

from fixengine.config import spec_paths
from fixengine.model import ExecType, OrdStatus, Side, TimeInForce
from fixengine.session import parse
from fixengine.session.templates import OrderFields, OrderTemplates

KEY = "0f8fad5b-d9cb-469f-a165-70867728950e"
HDR = f"8=FIXT.1.1|9=100|35={{mt}}|49=KalshiNR|56={KEY}|34=5|52=20260820-14:32:00.512|"


_DICTS = None


def msg(mt: str, body: str) -> fix.Message:
    """Parsed with the project's Kalshi dictionaries, as the session parses it (groups included)."""
    global _DICTS
    if _DICTS is None:
        transport, app = spec_paths()
        _DICTS = fix.DataDictionary(str(transport)), fix.DataDictionary(str(app))
    return fix.Message((HDR.format(mt=mt) + body + "10=000|").replace("|", "\x01"), *_DICTS, False)


TRADE_9_9 = ("37=1a2b3c4d-0000-4e2c-8f61-0a9b8c7d6e5f|11=c9a0d3e4-1111-4a2b-9c3d-5e6f7a8b9c0d|17=812351;4|150=F|"
             "39=2|54=1|55=KXHIGHNY-26AUG21-B85.5|38=4.00|44=0.6100|31=0.6000|32=4.00|151=0.00|14=4.00|6=0.6000|"
             "60=20260820-14:32:00.510|30=0|715=20260820|880=7d1e2f3a-aaaa-4bbb-8ccc-1234567890ab|1057=Y|704=4.00|"
             "705=0.00|136=1|137=0.0700|138=USD|139=4|891=0|1703=2|1704=1.0000|1705=PAYOUT|1704=-2.4700|"
             "1705=BALANCE|")


def test_trade_report_dollars():
    r = parse.parse_exec_report(msg("8", TRADE_9_9), use_dollars=True, session="KalshiNR")
    assert (r.exec_type, r.ord_status, r.side) == (ExecType.TRADE, OrdStatus.FILLED, Side.BUY)
    assert (r.order_qty, r.cum_qty, r.leaves_qty) == (400, 400, 0)
    assert (r.price, r.last_px, r.avg_px, r.last_qty) == (6100, 6000, 6000, 400)
    assert r.fee == 70_000 and r.collateral_change == -2_470_000
    assert (r.long_qty, r.short_qty, r.aggressor, r.last_mkt) == (400, 0, True, "0")
    assert r.clearing_date == "20260820" and r.trd_match_id.startswith("7d1e2f3a")
    assert r.session == "KalshiNR" and not r.poss_dup


def test_cents_mode_and_replaced_report():
    body = ("37=9d3c|11=e1e2|41=b4f1|17=812360;2|150=5|39=0|54=2|55=KX|38=15.00|44=55|151=15.00|14=0.00|6=0|"
            "59=6|126=20260821-03:59:59.999|79=2|")
    m = msg("8", body)
    m.getHeader().setField(43, "Y")
    m.getHeader().setField(122, "20260820-14:32:00.000")
    r = parse.parse_exec_report(m, use_dollars=False)
    assert (r.exec_type, r.price, r.orig_cl_ord_id, r.subaccount) == (ExecType.REPLACED, 5500, "b4f1", 2)
    assert r.time_in_force is TimeInForce.GTD and r.expire_time == "20260821-03:59:59.999"
    assert r.poss_dup is True


def test_reject_report_and_missing_tag():
    body = ("37=NONE|11=bbbb|17=0|150=8|39=8|54=2|55=KX|38=500.00|44=0.4000|151=0.00|14=0.00|6=0.0000|103=3|"
            "58=INSUFFICIENT_BALANCE|")
    r = parse.parse_exec_report(msg("8", body), use_dollars=True)
    assert (r.ord_rej_reason, r.text) == (3, "INSUFFICIENT_BALANCE")
    with pytest.raises(parse.MessageParseError, match="tag 17"):
        parse.parse_exec_report(msg("8", body.replace("17=0|", "")), use_dollars=True)
    with pytest.raises(parse.MessageParseError, match="quantity"):
        parse.parse_exec_report(msg("8", body.replace("38=500.00", "38=5e2")), use_dollars=True)


def test_cancel_reject_business_reject_mass_report():
    c = parse.parse_cancel_reject(msg("9", "37=1a2b|11=aaaa|41=c9a0|39=2|434=2|102=2|58=CANNOT_UPDATE_FILLED_ORDER|"))
    assert (c.is_replace, c.reason, c.text, c.ord_status) == (True, 2, "CANNOT_UPDATE_FILLED_ORDER", "2")
    b = parse.parse_business_reject(msg("j", "45=12|58=rate limit exceeded|372=D|379=eeee|380=8|"))
    assert b.is_rate_limit and b.ref_id == "eeee" and b.ref_msg_type == "D"
    q = parse.parse_mass_cancel_report(msg("r", "11=cccc|37=dddd|531=6|"))
    assert q.accepted and q.order_id == "dddd"
    s = parse.parse_session_reject(msg("3", "45=11|58=SendingTime accuracy problem|372=D|373=10|"))
    assert (s.reason, s.ref_seq_num) == (10, 11)


def test_templates_build_exact_wire_fields():
    t = OrderTemplates(use_dollars=True)
    m = t.new_order(OrderFields("c1", "KX", "2", 7000, 1050, "6", "20261126-04:59:00.000", post_only=True,
                                stp=2, max_cost=2_500_000, subaccount=3, order_group="g-1"))
    wire = m.toString()
    for field in ("35=D", "11=c1", "55=KX", "54=2", "44=0.7000", "38=10.50", "40=2", "59=6",
                  "126=20261126-04:59:00.000", "18=6", "2964=2", "21009=2.50", "79=3", "526=g-1"):
        assert f"\x01{field}\x01" in wire, field
    cents = OrderTemplates(use_dollars=False).new_order(OrderFields("c2", "KX", "1", 5600, 100, "1"))
    assert "\x0144=56\x01" in cents.toString() and "\x0118=" not in cents.toString()
    r = t.replace("c3", "c1", "OID", "KX", "2", 1500, 6900, 3)
    assert all(f"\x01{x}\x01" in r.toString() for x in ("35=G", "41=c1", "37=OID", "38=15.00", "44=0.6900"))
    assert "\x0159=" not in r.toString()  # omitted: keep the current expiry
    q = t.mass_cancel("m1").toString()
    assert "\x0135=q\x01" in q and "\x01530=6\x01" in q

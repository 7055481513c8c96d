"""The latency shortcuts keep behaviour identical: prebuilt NewOrderSingle shapes, memoized money
parsing, raw-SWIG reads in toApp/fromApp (issue 3)."""

from __future__ import annotations

import pytest
import quickfix as fix

from fixengine.session import parse
from fixengine.session import templates as templates_module
from fixengine.session.app import KalshiSessionApp
from fixengine.session.templates import OrderFields, OrderTemplates

SOH = "\x01"


def _fields(msg: fix.Message) -> dict[str, str]:
    return dict(f.split("=", 1) for f in msg.toString().split(SOH) if f)


def test_prebuilt_shape_gives_each_order_its_own_clordid_and_fields():
    t = OrderTemplates(use_dollars=True)
    first = t.new_order(OrderFields("c1", "KX", "1", 5000, 100, "3"))
    second = t.new_order(OrderFields("c2", "KX", "1", 5000, 100, "3"))
    assert (_fields(first)["11"], _fields(second)["11"]) == ("c1", "c2")  # not one shared message
    assert _fields(first)["11"] == "c1"  # building the second did not touch the first
    assert {k: v for k, v in _fields(first).items() if k not in ("11", "10", "9")} == \
        {k: v for k, v in _fields(second).items() if k not in ("11", "10", "9")}


@pytest.mark.parametrize("changed", [
    dict(price=5100), dict(qty=200), dict(tif="1"), dict(side="2"), dict(symbol="KY"), dict(post_only=True),
    dict(reduce_only=True), dict(stp=1), dict(max_cost=0), dict(subaccount=4), dict(order_group="g"),
    dict(cancel_on_pause=True), dict(ex_destination=2), dict(tif="6", expire_time="20261126-04:59:00.000"),
])
def test_every_field_is_part_of_the_shape(changed):
    """A cached shape must never leak into an order that differs in any one field."""
    t = OrderTemplates(use_dollars=True)
    base = dict(cl_ord_id="c1", symbol="KX", side="1", price=5000, qty=100, tif="3")
    t.new_order(OrderFields(**base))
    cached = _fields(t.new_order(OrderFields(**{**base, **changed, "cl_ord_id": "c2"})))
    fresh = _fields(OrderTemplates(use_dollars=True).new_order(OrderFields(**{**base, **changed, "cl_ord_id": "c2"})))
    assert cached == fresh


def test_shape_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(templates_module, "NOS_SHAPES_KEPT", 3)
    t = OrderTemplates(use_dollars=False)
    for i in range(10):
        msg = t.new_order(OrderFields(f"c{i}", "KX", "1", 100 * (i + 1), 100, "1"))
        assert _fields(msg)["44"] == str(i + 1)
    assert len(t._nos_by_shape) <= 3


def test_money_memo_never_skips_validation():
    assert parse._money("-0.5175") == -517_500
    assert parse._money("-0.5175") == -517_500  # second read from the memo
    with pytest.raises(Exception):
        parse._money("1.0000001")  # 7 decimals: refused, and not remembered
    assert "1.0000001" not in parse._MONEY_CACHE


class _Handler:
    def __init__(self):
        self.reports = []

    def on_exec_report(self, report, wire=None):
        self.reports.append(report)


class _State:
    def __init__(self):
        self.sent_orders = {}
        self.use_dollars = True
        self.name = "KalshiNR"


def test_to_app_and_from_app_with_raw_reads():
    state = _State()
    app = KalshiSessionApp({"FIXT.1.1:k->KalshiNR": state}, _Handler(), supervisor=None)
    sid = fix.SessionID("FIXT.1.1", "k", "KalshiNR")
    out = fix.Message()
    out.getHeader().setField(35, "D")
    out.getHeader().setField(34, "17")
    out.setField(11, "c-17")
    app.toApp(out, sid)
    heartbeat = fix.Message()
    heartbeat.getHeader().setField(35, "0")
    heartbeat.getHeader().setField(34, "18")
    app.toApp(heartbeat, sid)  # no ClOrdID: not remembered
    assert state.sent_orders == {"17": "c-17"}
    er = fix.Message()
    er.getHeader().setField(35, "8")
    for tag, value in ((37, "o1"), (11, "c-17"), (17, "e1"), (150, "0"), (39, "0"), (54, "1"), (55, "KX"),
                       (38, "1.00"), (151, "1.00"), (14, "0.00"), (44, "0.5000")):
        er.setField(tag, value)
    app.fromApp(er, sid)
    assert app.callback_errors == 0
    (report,) = app.handler.reports
    assert (report.cl_ord_id, report.price, report.leaves_qty, report.session) == ("c-17", 5000, 100, "KalshiNR")

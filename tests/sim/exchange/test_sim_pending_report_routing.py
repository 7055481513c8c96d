"""The pending-new report (150=A) of a NewOrderSingle names that order, even when the exchange
call first ran something that fell due for another user (here an RFQ execution entering the
maker's order ahead of the request): the report must never carry another user's order."""

from __future__ import annotations

from datetime import timedelta

import quickfix as fix
from test_sim_exchange_rfq import R

from fixengine.config.types import SessionKind
from fixengine.sim.gateway.handler import OrderHandler
from fixengine.sim.gateway.limits import MinInterval
from fixengine.sim.gateway.logon import LogonFlags


class _Router:
    def __init__(self) -> None:
        self.sent: list[tuple[str, fix.Message]] = []

    def send(self, entry, msg: fix.Message) -> None:
        self.sent.append((entry.name, msg))

    def route(self, events) -> None:
        self.routed = list(events)


class _Limiter:
    def allow(self, user_id: str, msg_type: str) -> bool:
        return True


class _Entry:
    name, kind, listener, can_write, user_id, key_id = "s-carol", SessionKind.NR, False, True, "carol", "key-c"
    flags = LogonFlags(kind=SessionKind.NR, key_id="key-c", heartbeat=30, reset=True)
    session = None


def _new_order(cl_ord_id: str) -> fix.Message:
    msg = fix.Message()
    msg.getHeader().setField(35, "D")
    msg.getHeader().setField(34, "5")
    for tag, value in ((11, cl_ord_id), (55, "LIN"), (54, "1"), (38, "1"), (40, "2"), (44, "10"), (59, "1")):
        msg.setField(tag, value)
    return msg


def test_pending_report_names_the_requested_order_not_a_due_rfq_execution():
    r = R()
    rfq_id = r.open_rfq()
    r.quote(rfq_id)
    r.accept()
    r.confirm()
    r.clock.advance(timedelta(seconds=16))  # the execution timer fell due: the next call runs it first
    router = _Router()
    OrderHandler(r.ex, router, _Limiter(), MinInterval(1), r.clock).handle(_Entry(), _new_order("carol-1"))
    pending = [msg for _, msg in router.sent if msg.getField(150) == "A"]
    assert [msg.getField(11) for msg in pending] == ["carol-1"]  # not the maker's RFQ order
    assert pending[0].getField(38) == "1.00" and pending[0].getField(44) == "10"
    # the RFQ execution did run in that call: the maker's order is among the routed events
    assert any(getattr(e, "order", None) is not None and e.order.user_id == "bob" for e in router.routed)

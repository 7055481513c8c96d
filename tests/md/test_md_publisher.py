"""The simulator's KalshiMD publisher against an in-process exchange (no sockets)."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import quickfix as fix

from md_helpers import LINEAR, sim_mapping
from fixengine.md.wire import fields_of, parse_incremental, parse_snapshot
from fixengine.model import Side
from fixengine.sim.gateway.marketdata import MarketDataPublisher


class FakeSession:
    def __init__(self):
        self.out = []

    def send(self, msg):
        self.out.append(msg.toString())
        return True


class Entry:
    name, conn_id, logged_on = "KalshiMD:k", 1, True

    def __init__(self):
        self.session = FakeSession()


def request(msg_type, fields):
    msg = fix.Message()
    msg.getHeader().setField(35, msg_type)
    for tag, value in fields:
        if tag == 55 and msg_type == "V":
            row = fix.Group(146, 55)
            row.setField(55, value)
            msg.addGroup(row)
        else:
            msg.setField(tag, value)
    return msg


def make(md_keyring):
    from fixengine.sim.config import sim_config_from_mapping
    from fixengine.sim.exchange.exchange import Exchange

    clock = lambda: datetime(2026, 8, 25, 15, 0, 55, 8000, tzinfo=timezone.utc)  # noqa: E731
    exchange = Exchange.from_config(sim_config_from_mapping(sim_mapping(md_keyring)), clock=clock)
    return exchange, MarketDataPublisher(exchange, clock, threading.RLock(), max_symbols=2)


def test_subscription_types_limits_and_incrementals(md_keyring):
    exchange, pub = make(md_keyring)
    entry = Entry()
    out = entry.session.out
    pub.handle(entry, request("V", [(263, "4"), (55, LINEAR)]))
    assert fields_of(out[-1])["281"] == "4"
    pub.handle(entry, request("V", [(263, "1"), (55, "A"), (55, "B"), (55, "C")]))
    assert fields_of(out[-1])["281"] == "2"
    events = exchange.add_liquidity("maker-user", LINEAR, Side.BUY, 4000, 1000)
    pub.handle(entry, request("V", [(263, "1"), (55, LINEAR)]))
    symbol, levels = parse_snapshot(out[-1])
    assert symbol == LINEAR and levels == [(0, 4000, 1000)]
    assert "272=20260825" in out[-1] and "273=15:00:55.008" in out[-1]
    pub.on_events(exchange.add_liquidity("maker-user", LINEAR, Side.SELL, 4600, 200))
    assert parse_incremental(out[-1]) == [(0, LINEAR, 1, 4600, 200, 0)]
    pub.on_events(exchange.add_liquidity("md-user", LINEAR, Side.BUY, 4600, 100))  # taker buys YES
    assert parse_incremental(out[-1]) == [(0, LINEAR, 2, 4600, 100, 1), (1, LINEAR, 1, 4600, 100, 0)]
    pub.handle(entry, request("V", [(263, "2")]))  # no 146: drop everything
    n = len(out)
    pub.on_events(exchange.add_liquidity("maker-user", LINEAR, Side.BUY, 3000, 100))
    assert len(out) == n and events

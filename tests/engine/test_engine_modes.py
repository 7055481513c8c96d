"""Engine over TLS, in poll mode, and against the exchange's rate limit (380=8)."""

from __future__ import annotations

import time

import pytest

from fixengine.engine import Engine, EventKind, OrderStatus
from fixengine.engine.throttle import WriteThrottle
from engine_helpers import LINEAR, engine_config

pytestmark = pytest.mark.slow


def test_poll_mode_runs_on_callers_thread(sim, keyring, tmp_path):
    import threading

    engine = Engine.from_config(engine_config(tmp_path / "poll", keyring, "poll"), ports={"NR": sim.ports["NR"]},
                                poll_mode=True)
    threads = set()
    engine.on_event(lambda e: threads.add(threading.get_ident()))
    try:
        engine.connect()
        order = engine.new_order(LINEAR, "sell_no", "0.70", "2")  # == bid YES at 0.30
        assert order.side.value == "1" and order.price == 3000
        assert engine.wait(lambda: order.status is OrderStatus.WORKING)
        engine.cancel(order)
        assert engine.wait(lambda: order.is_done)
        assert threads == {threading.get_ident()}  # every event was delivered on this thread
    finally:
        engine.close()


def test_local_bucket_keeps_basic_tier_under_the_limit(sim, keyring, tmp_path):
    engine = Engine.from_config(engine_config(tmp_path / "basic", keyring, "basic", tier="Basic"),
                                ports={"NR": sim.ports["NR"]})
    try:
        engine.connect()
        orders = [engine.new_order(LINEAR, "buy_yes", "0.05", "1") for _ in range(14)]  # > one burst
        assert engine.wait(lambda: all(o.status is not OrderStatus.PENDING_NEW for o in orders), 10)
        assert all(o.status is OrderStatus.WORKING for o in orders), [o.reject_reason for o in orders]
        assert engine.throttle.throttled > 0 and engine.throttle.exchange_limited == 0
        engine.mass_cancel()
        assert engine.wait(lambda: not engine.open_orders())
    finally:
        engine.close()


def test_exchange_rate_limit_reject_is_handled(sim, keyring, tmp_path):
    engine = Engine.from_config(engine_config(tmp_path / "basic2", keyring, "basic2", tier="Basic"),
                                ports={"NR": sim.ports["NR"]})
    engine.throttle = WriteThrottle(1e9, 1e9)  # pretend our bucket is wrong: the exchange must refuse
    try:
        engine.connect()
        orders = [engine.new_order(LINEAR, "buy_yes", "0.04", "1") for _ in range(20)]
        assert engine.wait(lambda: all(o.status is not OrderStatus.PENDING_NEW for o in orders), 10)
        limited = [o for o in orders if o.status is OrderStatus.REJECTED]
        assert limited and all(o.reject_code == 8 for o in limited)
        assert engine.throttle.exchange_limited >= 1
        events = []
        while not engine.events.empty():
            events.append(engine.events.get())
        assert sum(1 for e in events if e.kind is EventKind.REJECT) == len(limited)
        time.sleep(1.1)  # let the exchange's bucket refill before cleaning up
        engine.mass_cancel()
        assert engine.wait(lambda: not engine.open_orders())
    finally:
        engine.close()


def test_tls_logon_and_order(tmp_path):
    """SSLSocketInitiator to the simulator's TLS port, trusting its generated certificate."""
    import subprocess
    import sys
    from pathlib import Path

    child = Path(__file__).parent / "tls_child.py"
    proc = subprocess.run([sys.executable, str(child), str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "OK tls logon" in proc.stdout, proc.stderr[-3000:]
    assert "canceled" in proc.stdout


def test_session_reject_of_an_order_rejects_that_order(sim, keyring, tmp_path):
    """35=3 names only a MsgSeqNum; the session layer maps it back to the order's ClOrdID."""
    engine = Engine.from_config(engine_config(tmp_path / "srej", keyring, "poll"), ports={"NR": sim.ports["NR"]})
    build = engine.templates.new_order

    def with_undefined_tag(fields):
        message = build(fields)
        message.setField(333333, "x")  # Kalshi's own example of a session-level reject
        return message

    engine.templates.new_order = with_undefined_tag
    try:
        engine.connect()
        order = engine.new_order(LINEAR, "buy_yes", "0.06", "1")
        assert engine.wait(lambda: order.is_done), order
        assert order.status is OrderStatus.REJECTED and order.reject_reason.startswith("SESSION_REJECT 373=")
        assert engine.session_rejects and engine.session_rejects[-1].ref_cl_ord_id == order.key
    finally:
        engine.close()

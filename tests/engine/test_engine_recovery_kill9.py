"""kill -9 the engine with orders working and fills arriving; restart; nothing may be lost.

The engine runs on KalshiRT (141=N continuity, FileStore) in a subprocess. The maker keeps
hitting the engine's bids while the engine is killed and while it is down; the restarted engine
rebuilds from its journal, logs on with its stored sequence numbers, QuickFIX asks for the gap
(ResendRequest), and the final state must equal the simulator's own view of the account.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from fixengine.engine import Engine, OrderStatus
from engine_helpers import LINEAR, engine_config

pytestmark = pytest.mark.slow
CHILD = Path(__file__).parent / "recovery_child.py"


def test_kill9_recovery_loses_nothing(sim, keyring, tmp_path):
    cfg = engine_config(tmp_path / "rt", keyring, "rt", kind="RT", reset=False,
                        logon={"use_dollars": True, "skip_pending_exec_reports": True})
    port = str(sim.ports["RT"])
    child = subprocess.Popen([sys.executable, str(CHILD), str(cfg), port, "place", "6"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        assert line.startswith("READY"), child.stderr.read()[-2000:]
        keys = line.split()[1:]

        maker = Engine.from_config(engine_config(tmp_path / "mk", keyring, "maker"), ports={"NR": sim.ports["NR"]})
        maker.connect()
        hits = []

        def hit_all():
            for i in reversed(range(6)):  # best bid first: each IOC sell takes 1 contract of one bid
                for _ in range(2):
                    hits.append(maker.new_order(LINEAR, "sell_yes", f"0.{20 + i:02d}", "1", tif="ioc"))
                    time.sleep(0.03)

        hitter = threading.Thread(target=hit_all)
        hitter.start()
        time.sleep(0.12)  # some fills delivered, more in flight
        os.kill(child.pid, signal.SIGKILL)
        child.wait(5)
        hitter.join(10)
        assert maker.wait(lambda: all(h.is_done for h in hits), 10)
        maker.close()
    finally:
        if child.poll() is None:
            child.kill()

    truth = {o.cl_ord_id: o for o in sim.exchange.orders("trader-user") if o.cl_ord_id in keys}
    assert len(truth) == 6
    filled = sum(o.cum_qty for o in truth.values())
    assert filled == sum(h.cum_qty for h in hits) > 0

    out = tmp_path / "state.json"
    proc = subprocess.run([sys.executable, str(CHILD), str(cfg), port, "recover", str(out)],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONFAULTHANDLER": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    state = json.loads(out.read_text())
    assert state["rebuilt"]["orders"] == 6  # every intent survived the kill
    # the journal held only the fills seen before the kill; the rest came from the RT resend
    assert state["rebuilt"]["fills"] < sum(1 for h in hits if h.cum_qty)
    assert state["parse_errors"] == [] and state["unaccounted"] == []
    for key in keys:
        mine, exchange = state["orders"][key], truth[key]
        assert mine["cum"] == exchange.cum_qty, (key, mine, exchange)
        assert mine["leaves"] == exchange.leaves_qty, (key, mine, exchange)
        expected = OrderStatus.FILLED.value if exchange.leaves_qty == 0 else (
            OrderStatus.PARTIALLY_FILLED.value if exchange.cum_qty else OrderStatus.WORKING.value)
        assert mine["status"] == expected
    assert state["position"] == filled

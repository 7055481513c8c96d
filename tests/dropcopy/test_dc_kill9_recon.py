"""Fault test: kill -9 the trading engine with orders working while fills keep arriving.

The engine (subprocess, KalshiNR: no retransmission, so what it missed is gone from its session)
rests bids; the simulator's maker keeps hitting them before, during and after the kill. A listener
session records the account live; after the crash the KalshiDC replay (from the oldest ExecID in
the journal) supplies the same reports again. The reconciler must find every fill the journal
lacks, repair journal and book, a second run must be clean, a second repair must change nothing,
and the restarted engine's own journal replay must agree with the exchange (nothing counted twice
although every fill arrived through both the listener and the drop copy).
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

from fixengine.config.types import SessionKind
from fixengine.dropcopy import DropCopyClient, ListenerClient
from fixengine.engine.engine import default_journal_path
from fixengine.model import ExecType, Side, TimeInForce
from fixengine.recon.breaks import BreakType
from fixengine.recon.reconcile import reconcile
from fixengine.recon.repair import book_from_journal, repair
from fixengine.recon.sources import JournalView, ReportSet
from fixengine.sim.exchange.ids import exec_id_key

from dc_world import LINEAR, MAKER, TRADER
from dc_config import client_config
from dc_helpers import wait_listening

pytestmark = pytest.mark.slow
CHILD = Path(__file__).parent / "dc_engine_child.py"
ENGINE_LOGON = {"use_dollars": True, "skip_pending_exec_reports": True, "use_expired_ord_status": True,
                "enable_ioc_cancel_report": True}


def hit(sim, price: int) -> None:
    sim.add_liquidity(MAKER, LINEAR, Side.SELL, price, 100, tif=TimeInForce.IOC)


def test_kill9_fills_while_down_found_via_listener_and_dc_repaired_once(sim, keyring, tmp_path):
    engine_cfg_path, engine_cfg = client_config(tmp_path / "engine", sim, keyring, "NR", "trader", ENGINE_LOGON)
    journal = default_journal_path(engine_cfg, SessionKind.NR)
    _, listen_cfg = client_config(tmp_path / "listen", sim, keyring, "NR", "listener")
    _, dc_cfg = client_config(tmp_path / "dc", sim, keyring, "DC", "dc")
    port = str(sim.ports["NR"])
    listener = ListenerClient(listen_cfg, SessionKind.NR, logout_timeout=0.2).connect()
    try:
        wait_listening(sim, SessionKind.NR, keyring["listener"][0])
        child = subprocess.Popen([sys.executable, str(CHILD), str(engine_cfg_path), port, LINEAR, "place", "6"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = child.stdout.readline()
            assert line.startswith("READY"), child.stderr.read()[-3000:]
            keys = line.split()[1:]
            prices = [2500 - 100 * i for i in range(6)]  # best bid first

            def hit_all():
                for price in prices:
                    for _ in range(2):
                        hit(sim, price)
                        time.sleep(0.03)

            hitter = threading.Thread(target=hit_all)
            hitter.start()
            time.sleep(0.1)  # some fills reach the engine, more are in flight
            os.kill(child.pid, signal.SIGKILL)
            child.wait(5)
            hitter.join(10)
            for _ in range(3):  # and more while it is down (2000 crosses every bid left)
                hit(sim, 2000)
        finally:
            if child.poll() is None:
                child.kill()
        truth = {o.cl_ord_id: o for o in sim.exchange.orders(TRADER) if o.cl_ord_id in keys}
        exchange_fills = {e.exec_id for e in sim.exchange.history(TRADER) if type(e).__name__ == "OrderFilled"}
        assert len(truth) == 6 and len(exchange_fills) == 15
        assert listener.wait_for(lambda got: exchange_fills <= {r.exec_id for r in got}, timeout=10)
        live = list(listener.reports)
    finally:
        listener.close()

    view = JournalView.load(journal)
    begin = min(view.exec_ids, key=exec_id_key)  # the oldest event the engine knew about
    with DropCopyClient(dc_cfg, logout_timeout=0.2) as dc:
        replayed = dc.request(begin).reports
    assert exchange_fills <= {r.exec_id for r in replayed}
    reports = ReportSet.build(live + replayed)
    assert reports.duplicates >= len(exchange_fills)  # every fill came twice

    first = reconcile(view, reports, None)
    missing = {b.exec_id for b in first.breaks if b.type is BreakType.FILL_MISSING_IN_JOURNAL}
    assert missing == exchange_fills - view.exec_ids and missing  # fills arrived while it was down

    book = book_from_journal(journal)
    rep = repair(journal, first, reports, None, book=book)
    assert {r.exec_id for r in rep.appended if r.exec_type is ExecType.TRADE} == missing
    filled = sum(o.cum_qty for o in truth.values())
    assert book.positions.position(LINEAR).yes_qty == filled == 1500
    second = reconcile(JournalView.load(journal), reports, None)
    assert second.clean, [b.to_dict() for b in second.breaks]
    again = repair(journal, second, reports, None, book=book)
    assert again.appended == [] and book.positions.position(LINEAR).yes_qty == filled

    # restart: the engine rebuilds from the repaired journal and agrees with the exchange
    out = tmp_path / "state.json"
    proc = subprocess.run([sys.executable, str(CHILD), str(engine_cfg_path), port, LINEAR, "state", str(out)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    state = json.loads(out.read_text())
    assert state["position"] == filled and state["unaccounted"] == []
    for key in keys:
        mine, exchange = state["orders"][key], truth[key]
        assert (mine["cum"], mine["leaves"]) == (exchange.cum_qty, exchange.leaves_qty), (key, mine)

"""DropCopyClient and ListenerClient against the simulator over real sockets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fixengine.config.types import SessionKind
from fixengine.dropcopy import DropCopyClient, DropCopyError, DropCopyRejected, ListenerClient, listener_config
from fixengine.engine import journal as J
from fixengine.model import ExecReport, ExecType
from fixengine.recon import Reconciler
from fixengine.sim.gateway.dropcopy import DropCopyOptions

from dc_world import LINEAR, SHARDED, TRADER
from dc_config import client_config
from dc_helpers import history_ids, trade, wait_listening


def test_replay_yields_exec_reports_for_the_range(sim, keyring, tmp_path):
    trade(sim, keyring, "c-1", qty=300, rest_qty=200)
    trade(sim, keyring, "c-2", symbol=SHARDED)
    ids = history_ids(sim)
    _, cfg = client_config(tmp_path, sim, keyring, "DC", "dc")
    with DropCopyClient(cfg, logout_timeout=0.2) as dc:
        replay = dc.request(ids[0])
        assert isinstance(replay.reports[0], ExecReport) and replay.count == len(ids)
        assert [r.exec_id for r in replay.reports] == ids
        fills = [r for r in replay.reports if r.exec_type is ExecType.TRADE]
        assert sum(f.last_qty for f in fills) == 300 and all(f.last_px == 4500 and f.fee is not None for f in fills)
        assert {r.symbol for r in replay.reports} == {LINEAR}
        shard2 = history_ids(sim, 2)
        assert [r.exec_id for r in dc.replay(shard2[0], shard2[-1])] == shard2
        assert dc.stray_reports == 0


def test_every_reject_reason_surfaces_and_transient_ones_are_retried(sim, keyring, tmp_path):
    _, cfg = client_config(tmp_path, sim, keyring, "DC", "dc")
    with DropCopyClient(cfg, retries=2, backoff_s=0.05, logout_timeout=0.2) as dc:
        trade(sim, keyring, "r-old")
        old = history_ids(sim)
        sim.clock.advance(timedelta(hours=3, seconds=1))
        trade(sim, keyring, "r-new")
        new = [i for i in history_ids(sim) if i not in old]
        with pytest.raises(DropCopyRejected) as too_small:
            dc.request(old[0])
        assert too_small.value.reason == 3 and not too_small.value.transient and "look-back" in str(too_small.value)
        with pytest.raises(DropCopyRejected) as too_large:
            dc.request(new[0], "999999999999;1")
        assert too_large.value.reason == 4
        sim.gateway.dropcopy.fail_next = 2  # two server errors, then it answers: retried through
        assert [r.exec_id for r in dc.request(new[0]).reports] == new
        sim.gateway.dropcopy.fail_next = 3  # more than the retries
        with pytest.raises(DropCopyRejected) as server:
            dc.request(new[0])
        assert server.value.reason == 2 and server.value.transient
        sim.gateway.dropcopy.options = DropCopyOptions(max_requests=1, window_s=0.08)
        assert dc.request(new[0]).count == len(new)
        assert dc.request(new[0]).count == len(new)  # rate limited once, retried after the backoff
        assert sim.gateway.dropcopy.rejects.get(1, 0) >= 1
    with pytest.raises(DropCopyError, match="closed"):
        dc.request(new[0])


def test_listener_config_forces_listener_flags(sim, keyring, tmp_path):
    _, cfg = client_config(tmp_path, sim, keyring, "NR", "listener",
                           {"use_dollars": True, "cancel_orders_on_disconnect": True})
    logon = listener_config(cfg, SessionKind.NR).session(SessionKind.NR).logon
    assert (logon.listener, logon.skip_pending_exec_reports, logon.cancel_orders_on_disconnect) == (True, True, None)
    assert dict(logon.tags())[20126] == "Y" and 8013 not in dict(logon.tags())
    with pytest.raises(DropCopyError):
        listener_config(cfg, SessionKind.DC)


@pytest.mark.parametrize("kind", ["NR", "RT"])
def test_listener_streams_every_report_into_the_reconciler(sim, keyring, tmp_path, kind):
    name = "listener" if kind == "NR" else "listener_rt"
    _, cfg = client_config(tmp_path, sim, keyring, kind, name)
    journal = J.Journal(tmp_path / "orders.sqlite")
    journal.close()
    rec = Reconciler(tmp_path / "orders.sqlite")
    seen = []
    with ListenerClient(cfg, SessionKind(kind), reconciler=rec, on_report=seen.append,
                        logout_timeout=0.2) as lst:
        wait_listening(sim, SessionKind(kind), keyring[name][0])
        trade(sim, keyring, f"l-{kind}-1", qty=200, rest_qty=100)
        trade(sim, keyring, f"l-{kind}-2", symbol=SHARDED)
        expected = set(history_ids(sim)) | set(history_ids(sim, 2))
        fills = {i for i in expected
                 if any(e.exec_id == i and type(e).__name__ == "OrderFilled"
                        for e in sim.exchange.history(TRADER))}
        # every fill arrives; the acks of immediately filled orders are folded into the fill live
        assert lst.wait_for(lambda got: fills <= {r.exec_id for r in got}, timeout=10)
        assert {r.exec_id for r in lst.reports} <= expected
        assert len(seen) == len(lst.reports)
        assert set(rec.pending) == fills  # journal has none of them: waiting, then a break
        result = rec.check()
        result = rec.check()
        assert sum(b.type.name == "FILL_MISSING_IN_JOURNAL" for b in result.breaks) == len(fills)
        assert lst.collector.business_rejects == [] and lst.collector.errors == []

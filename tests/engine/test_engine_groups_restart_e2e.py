"""A group Reset in flight when the engine stops, end to end on KalshiRT: the engine dies after the
UOH reached QuickFIX but before the group manager applied it (its incoming MsgSeqNum not yet
stored), a new Engine starts on the same journal and store, asks for a resend, and the resent UOH
(PossDup) must reactivate the group. Real sockets, the simulator as KalshiRT."""

from __future__ import annotations

import glob
from datetime import datetime, timezone

import pytest

from fixengine.config.types import SessionKind
from fixengine.engine import Engine
from fixengine.engine.groups import GroupState
from fixengine.sim.config import sim_config_from_mapping
from fixengine.sim.exchange.clock import ManualClock
from fixengine.sim.gateway import GatewayOptions
from fixengine.sim.server import Simulator
from kalshi_test_acceptor import make_keyring, sim_key, write_client_config

pytestmark = pytest.mark.slow
TICKER = "KXGRPRT-26DEC31-A"
LOGON = {"use_dollars": True, "skip_pending_exec_reports": True}


@pytest.fixture
def world(tmp_path):
    ring = make_keyring(tmp_path, ("g_rt",))
    mapping = {
        "listen_host": "127.0.0.1", "ports": {"RT": 0}, "tls": {"mode": "off"},
        "users": [{"user_id": "g-rt", "balance": "1000.00", "tier": "Premier", "keys": [sim_key(ring, "g_rt")]}],
        "markets": [{"ticker": TICKER, "status": "open", "price_level_structure": "linear_cent"}],
    }
    options = GatewayOptions(kinds=frozenset({SessionKind.RT}))
    sim = Simulator(sim_config_from_mapping(mapping), clock=ManualClock(datetime.now(timezone.utc)),
                    options=options, admin_port=None, tick_s=0, rest=False).start()
    key_id, priv, _ = ring["g_rt"]
    (tmp_path / "client").mkdir()
    path = write_client_config(tmp_path / "client", {"RT": (key_id, priv, dict(LOGON), None)})
    current = []  # only the live engine: QuickFIX frees the session once nothing refers to the old one

    def start():
        current.clear()
        engine = Engine.from_config(path, ports={"RT": sim.ports["RT"]})
        engine.connect()
        current.append(engine)
        return engine

    yield start
    for engine in current:
        engine.close()
    sim.stop()


def _rewind_incoming_seq(engine, seq: int) -> None:
    """What a crash inside the UOH callback leaves: QuickFIX never stored that message (34=`seq`),
    nor anything after it, as received."""
    (seqnums,) = glob.glob(str(engine.cfg.storage.store_dir / "*.seqnums"))
    sender, target = open(seqnums).read().split(":")
    assert int(target) > seq
    with open(seqnums, "w") as f:
        f.write(f"{sender.strip()} : {seq:0{len(target.strip())}d}")


def test_reset_answer_resent_after_a_restart_reactivates_the_group(world):
    engine = world()
    group = engine.groups.create(5)
    assert engine.groups.wait(group) and group.state is GroupState.ACTIVE, group
    engine.groups.trigger(group)
    assert engine.groups.wait(group) and group.state is GroupState.TRIGGERED, group
    seen = []
    # the engine "dies" before groups sees the answer (QuickFIX's message lives only in the callback)
    engine._message_handlers["UOH"] = lambda message: seen.append(int(message.getHeader().getField(34)))
    assert engine.groups.reset(group)
    assert engine.wait(lambda: seen, 5)
    engine.close()
    _rewind_incoming_seq(engine, seen[0])
    group_id = group.group_id
    del engine, group, seen
    again = world()
    restored = again.groups.get(group_id)
    assert restored is not None
    assert again.wait(lambda: restored.state is GroupState.ACTIVE, 5), (restored, restored.in_flight)
    assert not restored.busy and not again.groups._pending
    order = again.new_order(TICKER, "buy_yes", "0.10", "1", tif="gtc", order_group=restored)
    assert order.reject_reason is None  # not refused locally as TRIGGERED

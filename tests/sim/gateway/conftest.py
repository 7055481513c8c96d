"""Shared fixtures: throw-away keys (generated at test time), a simulator config, raw clients."""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path

import pytest

from fixengine.auth import generate_private_key, public_key_pem
from fixengine.sim.config import sim_config_from_mapping
from fixengine.sim.server import Simulator
sys.path.insert(0, str(Path(__file__).parent))
from simgw_rawfix import LINEAR, SUBPENNY, RawFix  # noqa: E402

KEY_NAMES = ("trader", "trader2", "listener", "listener_rt", "rt", "maker", "noent", "basic", "other")


@pytest.fixture(scope="session")
def keyring(tmp_path_factory):
    """name -> (key_id, private key, public PEM path)."""
    folder = tmp_path_factory.mktemp("simkeys")
    ring = {}
    for name in KEY_NAMES:
        key = generate_private_key()
        path = folder / f"{name}.pub.pem"
        path.write_text(public_key_pem(key))
        ring[name] = (str(uuid.uuid4()), key, path)
    return ring


def config_mapping(keyring, **overrides) -> dict:
    def key(name, scopes=("read", "write")):
        return {"key_id": keyring[name][0], "public_key": str(keyring[name][2]), "scopes": list(scopes)}

    data = {
        "listen_host": "127.0.0.1",
        "ports": {"NR": 0, "RT": 0, "DC": 0},
        "tls": {"mode": "off"},
        "users": [
            {"user_id": "trader-user", "balance": "10000.00", "tier": "Premier", "subaccounts": [1, 2],
             "keys": [key("trader"), key("trader2"), key("listener", ("read",)), key("listener_rt", ("read",)),
                      key("rt")]},
            {"user_id": "maker-user", "balance": "50000.00", "tier": "Prime", "keys": [key("maker")]},
            {"user_id": "noent-user", "balance": "100.00", "fix_entitled": False, "keys": [key("noent")]},
            {"user_id": "basic-user", "balance": "1000.00", "tier": "Basic", "keys": [key("basic")]},
            {"user_id": "other-user", "balance": "1000.00", "keys": [key("other")]},
        ],
        "markets": [
            {"ticker": LINEAR, "status": "open", "price_level_structure": "linear_cent"},
            {"ticker": SUBPENNY, "status": "open", "price_level_structure": "tapered_deci_cent",
             "fractional_trading": True},
        ],
    }
    data.update(overrides)
    return data


@pytest.fixture(scope="module")
def sim(keyring):
    config = sim_config_from_mapping(config_mapping(keyring))
    with Simulator(config, admin_port=0, tick_s=0.1) as simulator:
        yield simulator
        stats = simulator.gateway.stats()
        # whatever the tests threw at it, nothing may have escaped into a QuickFIX callback or the gate
        assert stats["callback_errors"] == 0, stats["recent_callback_errors"]
        assert stats["gate"]["counts"]["loop_errors"] == 0


@pytest.fixture
def client_factory(sim, keyring):
    made: list[RawFix] = []

    def make(name: str = "trader", kind: str = "NR", **kw) -> RawFix:
        key_id, private, _ = keyring[name]
        client = RawFix(sim.ports[kind], key_id, f"Kalshi{kind}", private, **kw)
        made.append(client)
        return client

    yield make
    for client in made:
        if client.sock is not None:
            try:
                client.logout()
            except OSError:
                pass
            client.close()
    sim.gateway.guard.unlock()
    for user in sim.config.users:  # every test starts from empty books
        sim.gateway.call(lambda u=user.user_id: sim.exchange.cancel_all_for_user(u))
    # let the gate release the keys' connection slots before the next test logs on again
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and sim.gateway.gate.slots:
        time.sleep(0.01)

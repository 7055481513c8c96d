"""Fixtures: a simulator serving KalshiNR/RT/DC on ephemeral ports with a manual exchange clock,
throw-away keys generated at test time, client configs written to tmp dirs."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

from fixengine.auth import write_key_pair

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "sim" / "gateway"))
sys.path.insert(0, str(HERE.parent / "session"))

from dc_world import KEY_NAMES, start_sim  # noqa: E402


@pytest.fixture(scope="session")
def keyring(tmp_path_factory):
    """name -> (key_id, private key, public PEM path, private PEM path)."""
    folder = tmp_path_factory.mktemp("dckeys")
    ring = {}
    for name in KEY_NAMES:
        pub, priv = folder / f"{name}.pub.pem", folder / f"{name}.key.pem"
        key = write_key_pair(priv, pub)
        ring[name] = (str(uuid.uuid4()), key, pub, priv)
    return ring


@pytest.fixture
def sim(keyring):
    simulator = start_sim(keyring)
    yield simulator
    stats = simulator.gateway.stats()
    simulator.stop()
    assert stats["callback_errors"] == 0, stats["recent_callback_errors"]

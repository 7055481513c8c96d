"""Fixtures for end-to-end engine tests: a simulator on ephemeral loopback ports, throw-away keys."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "session"))
sys.path.insert(0, str(Path(__file__).parent))
import engine_helpers  # noqa: E402
from engine_helpers import KEY_NAMES, sim_mapping  # noqa: E402
from kalshi_test_acceptor import make_keyring  # noqa: E402



@pytest.fixture(scope="session")
def keyring(tmp_path_factory):
    """name -> (key_id, private PEM path, public PEM path)."""
    return make_keyring(tmp_path_factory.mktemp("engkeys"), KEY_NAMES)


@pytest.fixture(scope="session")
def sim(keyring):
    """One simulator for the whole run: QuickFIX keeps a process-wide session registry, and a stopped
    simulator's sessions stay registered, so a second one could not serve the same keys."""
    from fixengine.sim.config import sim_config_from_mapping
    from fixengine.sim.server import Simulator

    with Simulator(sim_config_from_mapping(sim_mapping(keyring)), admin_port=None, tick_s=0.1) as simulator:
        engine_helpers.current_sim = simulator
        yield simulator

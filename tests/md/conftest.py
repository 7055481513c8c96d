"""A simulator serving KalshiMD (plus NR) on ephemeral loopback ports; keys generated at test time."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "session"))
sys.path.insert(0, str(Path(__file__).parent))

from kalshi_test_acceptor import make_keyring  # noqa: E402
from md_helpers import KEY_NAMES, MAX_SYMBOLS, sim_mapping  # noqa: E402


@pytest.fixture(scope="session")
def md_keyring(tmp_path_factory):
    return make_keyring(tmp_path_factory.mktemp("mdkeys"), KEY_NAMES)


@pytest.fixture(scope="session")
def md_sim(md_keyring):
    from fixengine.config.types import SessionKind
    from fixengine.sim.config import sim_config_from_mapping
    from fixengine.sim.gateway import GatewayOptions
    from fixengine.sim.server import Simulator

    options = GatewayOptions(kinds=frozenset({SessionKind.NR, SessionKind.MD}), md_max_symbols=MAX_SYMBOLS)
    with Simulator(sim_config_from_mapping(sim_mapping(md_keyring)), options=options, admin_port=None,
                   tick_s=0, rest=False) as simulator:
        yield simulator

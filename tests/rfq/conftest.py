import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "session"))
sys.path.insert(0, str(Path(__file__).parent.parent / "engine"))

import pytest  # noqa: E402


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Simulator + creator Engine on KalshiRT + RfqMaker on KalshiRFQ, one per test module; the
    simulator must not have swallowed a callback error by the end."""
    from rfq_world import start_world

    w = start_world(tmp_path_factory.mktemp("rfqworld"))
    yield w
    errors = w.sim.gateway.stats()["callback_errors"]
    w.close()
    assert errors == 0

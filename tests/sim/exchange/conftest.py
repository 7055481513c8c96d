"""Fixtures for the exchange-core tests (helpers live in sim_exchange_helpers.py)."""

import pytest
from sim_exchange_helpers import Harness


@pytest.fixture
def h() -> Harness:
    return Harness()

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from fixengine.auth import generate_private_key
from fixengine.rest import KalshiRestClient, RetryPolicy
from fixengine.sim.rest import RestAccount, RestFace, serve_face

from rest_world import KEY_ID, USER, world

SAMPLES = json.loads((Path(__file__).parent / "kalshi_samples.json").read_text("utf-8"))


@pytest.fixture(scope="session")
def samples() -> dict:
    return SAMPLES


@pytest.fixture(scope="session")
def rsa_key():
    return generate_private_key()


@pytest.fixture(scope="session")
def wrong_key():
    return generate_private_key()


class Sleeps:
    """Injected sleep: records delays instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def face(rsa_key) -> RestFace:
    return RestFace(world(), [RestAccount(KEY_ID, USER, rsa_key.public_key(), "basic")],
                    public_bucket=None)


@pytest.fixture
def server(face):
    handle = serve_face(face)
    yield handle
    handle.stop()


@pytest.fixture
def client(server, rsa_key, sleeps):
    c = KalshiRestClient(server.url, key_id=KEY_ID, private_key=rsa_key, tier=None,
                         sleep=sleeps, rng=random.Random(7),
                         retry=RetryPolicy(max_attempts=5, base_delay=0.1, max_delay=1.0))
    yield c
    c.close()

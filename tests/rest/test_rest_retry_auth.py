"""Retries with backoff, client pacing, server 429s and signature failures, over real sockets."""

from __future__ import annotations

import random
import socket

import pytest

from fixengine.rest import (
    KalshiRestClient, RestAuthError, RestRateLimited, RestServerError, RestTransportError,
    RetryPolicy, TokenBucket,
)
from fixengine.sim.rest import RestAccount, RestFace, serve_face

from rest_world import HIGH, KEY_ID, OTHER_KEY_ID, USER, world


def bounds(policy: RetryPolicy, retry: int) -> tuple[float, float]:
    cap = min(policy.max_delay, policy.base_delay * 2 ** retry)
    return cap / 2, cap


@pytest.mark.parametrize("status", [429, 500, 503])
def test_retries_until_success(client, server, sleeps, status):
    server.inject_failures(status, 3)
    market = client.market(HIGH)
    assert market.ticker == HIGH
    assert client.session.attempts == 4 and client.session.retries == 3
    assert [s for _, _, s in server.request_log] == [status] * 3 + [200]
    policy = client.session.retry
    assert len(sleeps.calls) == 3
    for retry, delay in enumerate(sleeps.calls):
        low, high = bounds(policy, retry)
        assert low <= delay <= high, (retry, delay)
    assert sleeps.calls[2] > sleeps.calls[0]  # exponential: 0.4 s cap vs 0.1 s cap


def test_gives_up_after_max_attempts_with_typed_error(client, server, sleeps):
    server.inject_failures(500, 10)
    with pytest.raises(RestServerError) as info:
        client.market(HIGH)
    assert info.value.status == 500 and info.value.code == "internal_server_error"
    assert client.session.attempts == 5 and len(sleeps.calls) == 4
    assert sleeps.calls[-1] <= client.session.retry.max_delay


def test_429_exhausted_is_rate_limited_error(server, rsa_key, sleeps):
    server.inject_failures(429, 2)
    with KalshiRestClient(server.url, tier=None, sleep=sleeps,
                          retry=RetryPolicy(max_attempts=2)) as c:
        with pytest.raises(RestRateLimited) as info:
            c.market(HIGH)
    assert info.value.status == 429 and info.value.message == "too many requests"
    assert len(sleeps.calls) == 1


def test_not_found_is_not_retried(client, server, sleeps):
    with pytest.raises(Exception):
        client.market("KXNOPE-1")
    assert client.session.attempts == 1 and sleeps.calls == []


def test_pagination_survives_failures_mid_stream(client, server):
    it = client.markets(series_ticker="KXTEST", limit=10)
    first = [next(it) for _ in range(10)]
    server.inject_failures(503, 2)
    rest = list(it)
    assert len(first) + len(rest) == 25
    assert client.session.retries == 2


def test_connection_errors_are_retried(sleeps):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with KalshiRestClient(f"http://127.0.0.1:{port}/trade-api/v2", tier=None, sleep=sleeps,
                          rng=random.Random(1), timeout=2.0,
                          retry=RetryPolicy(max_attempts=3, base_delay=0.05)) as c:
        with pytest.raises(RestTransportError, match="ConnectError"):
            c.series("KXHIGHNY")
        assert c.session.attempts == 3
    assert len(sleeps.calls) == 2


def test_admin_fault_route(server):
    import httpx
    r = httpx.post(f"http://127.0.0.1:{server.port}/_sim/faults", json={"status": 500, "count": 1})
    assert r.status_code == 200
    assert httpx.get(server.url + "/exchange/status").status_code == 500
    assert httpx.get(server.url + "/exchange/status").status_code == 200


# ---------------------------------------------------------------------------- rate limits


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_client_bucket_paces_at_tier_budget():
    clock = FakeClock()
    bucket = TokenBucket(200, 200, clock=clock, sleep=clock.sleep)  # Basic Read: 20 GETs/s
    waited = sum(bucket.take(10) for _ in range(40))
    assert waited == pytest.approx(1.0)  # 20 from the full bucket, 20 more take one second
    assert clock.now == pytest.approx(1001.0)


def test_client_bucket_keeps_requests_under_server_limit(rsa_key):
    """Same tier both sides, same frozen-then-advancing clock: the client never draws a 429."""
    clock = FakeClock()
    face = RestFace(world(), [RestAccount(KEY_ID, USER, rsa_key.public_key(), "basic")],
                    clock=clock)
    with serve_face(face) as server, KalshiRestClient(
            server.url, key_id=KEY_ID, private_key=rsa_key, tier="basic",
            clock=clock, sleep=clock.sleep, retry=RetryPolicy(max_attempts=1)) as c:
        for _ in range(45):
            c.balance()
        assert {s for _, _, s in server.request_log} == {200}
        assert clock.now == pytest.approx(1000 + 25 * 10 / 200)


def test_server_answers_429_when_read_bucket_is_empty(rsa_key):
    clock = FakeClock()  # frozen: no refill
    face = RestFace(world(), [RestAccount(KEY_ID, USER, rsa_key.public_key(), "basic")],
                    clock=clock)
    with serve_face(face) as server, KalshiRestClient(
            server.url, key_id=KEY_ID, private_key=rsa_key, tier=None,
            retry=RetryPolicy(max_attempts=1)) as c:
        for _ in range(20):  # Basic: 200 tokens, 10 per GET
            c.balance()
        with pytest.raises(RestRateLimited) as info:
            c.balance()
        assert info.value.code == "too_many_requests"
        clock.now += 0.05  # 10 tokens refill in 50 ms
        c.balance()


# ---------------------------------------------------------------------------- signatures


def test_wrong_key_is_401_typed(server, wrong_key, sleeps):
    with KalshiRestClient(server.url, key_id=KEY_ID, private_key=wrong_key, tier=None,
                          sleep=sleeps) as c:
        with pytest.raises(RestAuthError) as info:
            c.balance()
    err = info.value
    assert err.status == 401 and err.code == "authentication_error"
    assert "INCORRECT_API_KEY_SIGNATURE" in err.details
    assert sleeps.calls == []  # 401 is not retried


def test_unknown_key_id_is_401(server, rsa_key):
    with KalshiRestClient(server.url, key_id=OTHER_KEY_ID, private_key=rsa_key, tier=None) as c:
        with pytest.raises(RestAuthError) as info:
            list(c.fills())
    assert info.value.status == 401


def test_signature_covers_the_path(server, rsa_key):
    import httpx

    from fixengine.auth import rest_headers
    headers = rest_headers(KEY_ID, rsa_key, "GET", "/trade-api/v2/portfolio/fills")
    ok = httpx.get(server.url + "/portfolio/fills", headers=headers, params={"limit": 5})
    assert ok.status_code == 200  # query string is not signed
    replayed = httpx.get(server.url + "/portfolio/orders", headers=headers)
    assert replayed.status_code == 401


def test_public_endpoints_need_no_signature(server):
    import httpx
    assert httpx.get(server.url + f"/markets/{HIGH}").status_code == 200
    assert httpx.get(server.url + "/portfolio/balance").status_code == 401


def test_exchange_status_is_not_retried_and_reads_maintenance_body(client, server, face, sleeps):
    face.view.exchange_open = False
    status = client.exchange_status()  # 503 with an ExchangeStatus body is an answer
    assert not status.exchange_active and not status.trading_active
    assert server.request_log[-1][2] == 503 and sleeps.calls == []
    face.view.exchange_open = True
    face.view.active = False
    status = client.exchange_status()
    assert status.exchange_active and not status.trading_active
    server.inject_failures(500, 1)  # a plain 500 is still an error
    with pytest.raises(RestServerError):
        client.exchange_status()


def test_subaccount_restricted_key(server, face, wrong_key):
    import httpx

    from fixengine.auth import rest_headers
    face.accounts[OTHER_KEY_ID] = RestAccount(OTHER_KEY_ID, USER, wrong_key.public_key(), "basic", 2)
    with KalshiRestClient(server.url, key_id=OTHER_KEY_ID, private_key=wrong_key, tier=None) as c:
        balance = c.balance()
        assert balance.balance == 0 and balance.breakdown == ()  # subaccount 2 is empty
        assert list(c.fills()) == []  # the user's fills are all on subaccount 0
    path = "/trade-api/v2/portfolio/balance"
    r = httpx.get(server.url + "/portfolio/balance", params={"subaccount": 0},
                  headers=rest_headers(OTHER_KEY_ID, wrong_key, "GET", path))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert "balance_breakdown" not in httpx.get(
        server.url + "/portfolio/balance",
        headers=rest_headers(OTHER_KEY_ID, wrong_key, "GET", path)).json()


def test_ed25519_keys_sign_and_verify(server, face):
    from fixengine.auth import generate_private_key
    key = generate_private_key("ed25519")
    face.accounts[OTHER_KEY_ID] = RestAccount(OTHER_KEY_ID, USER, key.public_key(), "basic")
    with KalshiRestClient(server.url, key_id=OTHER_KEY_ID, private_key=key, tier=None) as c:
        assert c.balance().balance == 123_456_789

"""The REST face keeps serving through bugs, garbage and bad parameters."""

from __future__ import annotations

import socket

import httpx
import pytest

from fixengine.rest import KalshiRestClient, RestServerError, RetryPolicy
from fixengine.sim.rest import MemoryExchangeView, RestFace, serve_face

from rest_world import HIGH, world


class BrokenBooks(MemoryExchangeView):
    def orderbook(self, ticker):
        raise RuntimeError("book exploded")


def test_view_failure_is_a_500_body_not_a_dropped_connection():
    broken = BrokenBooks(market_list=world().market_list)
    with serve_face(RestFace(broken, [], public_bucket=None)) as server, \
            KalshiRestClient(server.url, tier=None, retry=RetryPolicy(max_attempts=1)) as c:
        with pytest.raises(RestServerError) as info:
            c.orderbook(HIGH)
        assert info.value.code == "internal_server_error" and "book exploded" in info.value.details
        assert c.series("KXHIGHNY").ticker == "KXHIGHNY"  # same keep-alive client still served


def test_garbage_bytes_then_normal_service(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"\x16\x03\x01\x02\x00garbage that is not HTTP\r\n\r\n")
        reply = s.recv(4096)
    assert reply.startswith(b"HTTP/1.") and b" 400 " in reply.split(b"\r\n")[0]
    assert httpx.get(server.url + "/exchange/status").status_code == 200


@pytest.mark.parametrize("query", [
    {"limit": "abc"}, {"limit": "-1"}, {"cursor": "!!notbase64"}, {"status": "active"},
    {"min_created_ts": "1", "max_close_ts": "2"}, {"mve_filter": "maybe"},
])
def test_bad_market_queries_are_400_with_kalshi_body(server, query):
    r = httpx.get(server.url + "/markets", params=query)
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "bad_request" and r.json()["error"]["message"]


def test_unknown_routes_and_methods(server):
    assert httpx.get(server.url + "/nope").json() == {
        "error": {"code": "not_found", "message": "route not found"}}
    assert httpx.get(f"http://127.0.0.1:{server.port}/other").status_code == 404
    assert httpx.post(server.url + "/markets").status_code == 405


def test_gzip_when_asked(server):
    r = httpx.get(server.url + "/markets", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip" and len(r.json()["markets"]) == 28


def test_public_bucket_limits_unsigned_callers(rsa_key):
    frozen = RestFace(world(), [], clock=lambda: 0.0)  # default per-IP bucket, no refill
    with serve_face(frozen) as server, httpx.Client() as http:
        codes = [http.get(server.url + "/exchange/status").status_code for _ in range(61)]
    assert codes[:60] == [200] * 60 and codes[60] == 429  # 600-token burst, 10 per call

"""Client behaviour the simulator never produces, via httpx's pluggable transport."""

from __future__ import annotations

import httpx
import pytest

from fixengine.rest import KalshiRestClient, RestResponseError, RestTransportError, RetryPolicy

BASE = "https://external-api.kalshi.com/trade-api/v2"


def market(ticker: str, sample: dict) -> dict:
    data = dict(sample["market_response"]["market"])
    data["ticker"] = ticker
    return data


def client_for(handler, sleeps=None, **kw) -> KalshiRestClient:
    return KalshiRestClient(BASE, tier=None, transport=httpx.MockTransport(handler),
                            sleep=sleeps or (lambda s: None), **kw)


@pytest.mark.parametrize("last_page", [{"cursor": None}, {}, {"cursor": ""}])
def test_pagination_ends_on_null_missing_or_empty_cursor(samples, last_page):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params.get("cursor"))
        assert request.url.path == "/trade-api/v2/markets"
        if request.url.params.get("cursor") is None:
            return httpx.Response(200, json={"markets": [market("A-1", samples)], "cursor": "c2"})
        return httpx.Response(200, json={"markets": [market("A-2", samples)], **last_page})

    with client_for(handler) as c:
        assert [m.ticker for m in c.markets()] == ["A-1", "A-2"]
    assert seen == [None, "c2"]


def test_repeated_cursor_is_an_error_not_a_loop(samples):
    def handler(request):
        return httpx.Response(200, json={"markets": [market("A-1", samples)], "cursor": "same"})

    with client_for(handler) as c, pytest.raises(RestResponseError, match="repeated cursor"):
        list(c.markets())


def test_read_timeouts_are_retried_then_typed(sleeps):
    calls = []

    def handler(request):
        calls.append(request.extensions.get("timeout"))
        raise httpx.ReadTimeout("timed out", request=request)

    with client_for(handler, sleeps, timeout=2.5, retry=RetryPolicy(max_attempts=3)) as c:
        with pytest.raises(RestTransportError, match="ReadTimeout"):
            c.exchange_schedule()
    assert len(calls) == 3 and len(sleeps.calls) == 2
    assert calls[0]["read"] == 2.5  # per-request timeout reaches the transport


def test_signed_path_includes_api_prefix_and_no_query(rsa_key):
    from fixengine.auth import verify_rest

    captured = {}

    def handler(request):
        captured.update(request.headers)
        captured["url"] = str(request.url)
        return httpx.Response(200, json={"fills": [], "cursor": ""})

    with KalshiRestClient(BASE, key_id="k-1", private_key=rsa_key, tier=None,
                          transport=httpx.MockTransport(handler)) as c:
        assert list(c.fills(ticker="KXA-1", limit=5)) == []
    assert captured["url"].endswith("/trade-api/v2/portfolio/fills?ticker=KXA-1&limit=5")
    assert captured["kalshi-access-key"] == "k-1"
    assert verify_rest(rsa_key.public_key(), captured["kalshi-access-signature"],
                       captured["kalshi-access-timestamp"], "GET", "/trade-api/v2/portfolio/fills")


def test_non_json_success_body_is_typed():
    with client_for(lambda r: httpx.Response(200, text="<html>maintenance</html>")) as c:
        with pytest.raises(RestResponseError, match="not JSON"):
            c.historical_cutoff()


def test_legacy_429_body_shape_is_understood(sleeps):
    with client_for(lambda r: httpx.Response(429, json={"error": "too many requests"}),
                    sleeps, retry=RetryPolicy(max_attempts=2)) as c:
        from fixengine.rest import RestRateLimited
        with pytest.raises(RestRateLimited) as info:
            c.historical_cutoff()
    assert info.value.message == "too many requests" and info.value.code == ""

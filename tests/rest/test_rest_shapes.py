"""Every served JSON body has the key set and value types of the fact sheet's §9 samples."""

from __future__ import annotations

import httpx
import pytest

from fixengine.auth import rest_headers

from rest_world import BTC_DONE, HIGH, KEY_ID



def json_type(value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if value is None:
        return "null"
    return type(value).__name__


def assert_same_shape(served, sample, where: str = "$") -> None:
    """Same keys and JSON value types, recursively; lists compare their first elements."""
    if isinstance(sample, dict):
        assert isinstance(served, dict), f"{where}: expected object, got {json_type(served)}"
        assert set(served) == set(sample), (
            f"{where}: missing {sorted(set(sample) - set(served))}, "
            f"extra {sorted(set(served) - set(sample))}")
        for key in sample:
            assert_same_shape(served[key], sample[key], f"{where}.{key}")
    elif isinstance(sample, list):
        assert isinstance(served, list), f"{where}: expected list, got {json_type(served)}"
        if sample and served:
            assert_same_shape(served[0], sample[0], f"{where}[0]")
    elif sample is None:
        # Sample shows null (e.g. product_metadata, expiration_time): null or a value is fine.
        pass
    else:
        assert json_type(served) == json_type(sample), (
            f"{where}: {json_type(served)} {served!r} vs sample {json_type(sample)} {sample!r}")


def get(server, path: str, rsa_key=None, **params):
    headers = rest_headers(KEY_ID, rsa_key, "GET", "/trade-api/v2" + path) if rsa_key else {}
    response = httpx.get(server.url + path, params=params, headers=headers)
    return response.status_code, response.json()


def test_market_matches_sample(server, samples):
    status, body = get(server, f"/markets/{HIGH}")
    assert status == 200
    assert_same_shape(body, samples["market_response"])


def test_determined_market_in_list_matches_sample(server, samples):
    status, body = get(server, "/markets", tickers=BTC_DONE)
    assert status == 200 and body["cursor"] == ""
    (market,) = body["markets"]
    sample = dict(samples["market_tapered_determined"])
    # occurrence_datetime is optional and the simulator has no "event happened" time.
    sample.pop("occurrence_datetime")
    served = dict(market)
    served.pop("subtitle")  # optional, deprecated; sample 9.1 has it, sample 9.2 does not
    assert_same_shape(served, sample)
    assert market["price_ranges"] == samples["market_tapered_determined"]["price_ranges"]
    assert market["result"] == "yes" and market["settlement_value_dollars"] == "1.0000"


def test_event_and_series_match_samples(server, samples):
    status, body = get(server, "/events/KXHIGHNY-26OCT08", with_nested_markets="true")
    assert status == 200
    assert_same_shape(body, samples["event_response"])
    assert [m["ticker"] for m in body["event"]["markets"]] == [HIGH] and body["markets"] == []
    status, body = get(server, "/series/KXHIGHNY")
    assert status == 200
    assert_same_shape(body, samples["series_response"])


@pytest.mark.parametrize("path,sample", [
    (f"/markets/{HIGH}/orderbook", "orderbook"),
    ("/exchange/status", "exchange_status"),
    ("/exchange/schedule", "exchange_schedule"),
    ("/historical/cutoff", "historical_cutoff"),
])
def test_public_bodies_match_samples(server, samples, path, sample):
    status, body = get(server, path)
    assert status == 200
    assert_same_shape(body, samples[sample])


def test_orderbook_values_match_sample_exactly(server, samples):
    _, body = get(server, f"/markets/{HIGH}/orderbook")
    assert body == samples["orderbook"]


def test_batch_orderbooks_match_sample(server, samples):
    response = httpx.get(server.url + "/markets/orderbooks",
                         params=[("tickers", HIGH), ("tickers", "KXNOPE-1")])
    assert response.status_code == 200
    body = response.json()
    assert_same_shape(body, samples["orderbooks_batch"])
    assert body["orderbooks"][1] == {"ticker": "KXNOPE-1",
                                     "orderbook_fp": {"yes_dollars": [], "no_dollars": []}}


@pytest.mark.parametrize("path,sample", [
    ("/portfolio/balance", "balance"),
    ("/portfolio/positions", "positions"),
    ("/portfolio/fills", "fills"),
    ("/portfolio/orders", "orders"),
    ("/portfolio/settlements", "settlements"),
])
def test_portfolio_bodies_match_samples(server, samples, rsa_key, path, sample):
    status, body = get(server, path, rsa_key, settlement_status="all")
    assert status == 200, body
    assert_same_shape(body, samples[sample])


def test_error_bodies_match_samples(server, samples):
    status, body = get(server, "/markets/KXNOPE-26JAN01-T1")
    assert status == 404
    assert_same_shape(body, samples["error_not_found"])
    assert body["error"]["code"] == "not_found"
    status, body = get(server, "/portfolio/balance")
    assert status == 401
    assert_same_shape(body, samples["error_unauthorized"])
    server.inject_failures(429, 1)
    status, body = get(server, "/markets")
    assert status == 429
    assert body == samples["error_rate_limited"]


def test_list_forms_match_samples(server, samples):
    status, body = get(server, "/markets", series_ticker="KXHIGHNY")
    assert status == 200 and set(body) == {"markets", "cursor"} and body["cursor"] == ""
    assert_same_shape(body["markets"][0], samples["market_response"]["market"])
    status, body = get(server, "/events", series_ticker="KXHIGHNY")
    assert status == 200 and set(body) == {"events", "cursor"}
    event = dict(samples["event_response"]["event"])
    del event["markets"]  # only with with_nested_markets=true
    assert_same_shape(body["events"][0], event)
    status, body = get(server, "/series")
    assert status == 200 and set(body) == {"series"}  # not paginated: no cursor
    assert_same_shape(body["series"][0], samples["series_response"]["series"])

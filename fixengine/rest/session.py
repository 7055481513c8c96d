"""The HTTP layer of the REST client: signing, pacing, retries, error mapping, pagination.

Why httpx: one ``httpx.Client`` keeps a pool of keep-alive connections (a reference-data
refresh is hundreds of small GETs to one host, and TLS handshakes would dominate),
timeouts are set per phase and can be overridden per request, and the ``transport``
argument lets tests and the simulator point the client at anything — a loopback server,
a ``MockTransport``, a proxy — without monkey-patching. ``requests`` has no per-client
transport seam and no connect/read/pool timeout split; httpx also leaves an async client
open to us later with the same API.

Retry policy: only idempotent methods (GET/HEAD) are retried, on 429, 5xx and transport
errors, with exponential backoff and "equal jitter" (half the cap fixed, half random), so
a delay always lies in [cap/2, cap] with cap = min(max_delay, base * 2**retry). Kalshi
sends no Retry-After on 429 and keeps no penalty box, so the bucket refill rate is the
only thing worth waiting for; the client-side token bucket keeps us from hitting it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from fixengine.rest.fields import loads_exact
from fixengine.rest.errors import RestAuthError, RestResponseError, RestTransportError, api_error
from fixengine.rest.ratelimit import DEFAULT_COST, TokenBucket

IDEMPOTENT = frozenset({"GET", "HEAD"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
API_PREFIX = "/trade-api/v2"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 0.2
    max_delay: float = 5.0

    def delay(self, retry: int, rng: random.Random) -> float:
        """Backoff before retry number `retry` (0-based), in [cap/2, cap]."""
        cap = min(self.max_delay, self.base_delay * (2 ** retry))
        return cap / 2 + rng.uniform(0, cap / 2)


@dataclass(frozen=True, slots=True)
class Signer:
    """Key id + private key; produces Kalshi's three auth headers per request."""

    key_id: str
    private_key: Any

    def headers(self, method: str, path: str) -> dict[str, str]:
        from fixengine.auth import rest_headers
        return rest_headers(self.key_id, self.private_key, method, path)


def _decode(body: bytes, what: str) -> Any:
    try:
        return loads_exact(body)
    except ValueError as exc:
        raise RestResponseError(f"{what}: response is not JSON ({exc})") from None


class RestSession:
    """One keep-alive HTTP client bound to a base URL ending in /trade-api/v2."""

    def __init__(self, base_url: str, *, signer: Signer | None = None,
                 bucket: TokenBucket | None = None, retry: RetryPolicy = RetryPolicy(),
                 timeout: float = 10.0, transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 rng: random.Random | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.base_path = urlsplit(self.base_url).path.rstrip("/")
        self.signer = signer
        self.bucket = bucket
        self.retry = retry
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.attempts = 0  # total HTTP attempts made (tests and metrics)
        self.retries = 0
        self._http = httpx.Client(
            base_url=self.base_url + "/",
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            limits=httpx.Limits(max_keepalive_connections=8, max_connections=16),
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "fixengine-rest/0.1"},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RestSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def sign_path(self, path: str) -> str:
        """The path Kalshi signs: from the API root incl. /trade-api/v2, no host, no query."""
        return self.base_path + path.split("?", 1)[0]

    def get(self, path: str, params: dict[str, Any] | None = None, *, auth: bool = False,
            timeout: float | None = None, cost: int = DEFAULT_COST, retry: bool = True) -> Any:
        return self.request("GET", path, params, auth=auth, timeout=timeout, cost=cost, retry=retry)

    def request(self, method: str, path: str, params: dict[str, Any] | None = None, *,
                auth: bool = False, timeout: float | None = None,
                cost: int = DEFAULT_COST, retry: bool = True) -> Any:
        """One call; `retry=False` answers at once (e.g. polling exchange status)."""
        method = method.upper()
        clean = _clean_params(params)
        retryable = retry and method in IDEMPOTENT
        done = 0  # retries made so far for this call
        while True:
            last_try = not retryable or done + 1 >= self.retry.max_attempts
            try:
                response = self._send(method, path, clean, auth, timeout, cost)
            except RestTransportError:
                if last_try:
                    raise
            else:
                if response.status_code < 400:
                    return _decode(response.content, f"{method} {path}")
                if last_try or response.status_code not in RETRY_STATUSES:
                    raise api_error(response.status_code, response.content, method,
                                    self.sign_path(path))
            self._sleep(self.retry.delay(done, self._rng))
            done += 1
            self.retries += 1

    def _send(self, method: str, path: str, params: list[tuple[str, str]], auth: bool,
              timeout: float | None, cost: int) -> httpx.Response:
        if auth and self.signer is None:
            raise RestAuthError(401, "authentication_error",
                                "this call needs an API key id and private key",
                                method=method, path=self.sign_path(path))
        if self.bucket is not None:
            self.bucket.take(cost)
        # Signed after waiting for tokens, so the timestamp is fresh when the request leaves.
        headers = self.signer.headers(method, self.sign_path(path)) if auth else {}
        url = path.lstrip("/")
        self.attempts += 1
        try:
            return self._http.request(method, url, params=params, headers=headers,
                                      timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT)
        except httpx.TransportError as exc:
            raise RestTransportError(method, f"{self.base_url}{path}",
                                     f"{type(exc).__name__}: {exc}") from None

    def paginate(self, path: str, list_key: str, params: dict[str, Any] | None = None, *,
                 auth: bool = False, limit: int | None = None) -> Iterator[Any]:
        """Yield raw items over every page; the last page has cursor "", null or no cursor."""
        params = dict(params or {})
        if limit is not None:
            params["limit"] = limit
        seen: set[str] = set()
        while True:
            page = self.get(path, params, auth=auth)
            if not isinstance(page, dict) or not isinstance(page.get(list_key, []), list):
                raise RestResponseError(f"GET {path}: expected an object with a {list_key!r} list")
            yield from page.get(list_key) or []
            cursor = page.get("cursor")
            if not cursor:
                return
            if cursor in seen:
                raise RestResponseError(f"GET {path}: server repeated cursor {cursor[:40]!r}")
            seen.add(cursor)
            params["cursor"] = cursor


def _clean_params(params: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Drop None values, render booleans as true/false, expand lists to repeated keys."""
    out: list[tuple[str, str]] = []
    for key, value in (params or {}).items():
        if value is None:
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            if isinstance(item, bool):
                item = "true" if item else "false"
            out.append((key, str(item)))
    return out

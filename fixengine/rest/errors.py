"""Typed errors of the REST client.

Every HTTP error carries the status and what the body said (``code``, ``message``,
``details``). Kalshi wraps its error object in an ``"error"`` key on the wire, but the
rate-limit documentation shows ``{"error": "too many requests"}`` and the OpenAPI schema
is flat; :func:`parse_error_body` accepts all three so a change of shape never hides
the server's reason.
"""

from __future__ import annotations

import json

from fixengine.errors import FixEngineError

_MAX_BODY_SHOWN = 200


class RestError(FixEngineError):
    """Base class for everything the REST client raises."""


class RestTransportError(RestError):
    """The request never produced an HTTP response (connect/read failure, timeout)."""

    def __init__(self, method: str, url: str, reason: str) -> None:
        self.method = method
        self.url = url
        self.reason = reason
        super().__init__(f"{method} {url}: {reason}")


class RestResponseError(RestError):
    """A response arrived but its body is not the JSON we expect."""


class RestApiError(RestError):
    """An HTTP error status, with the body's code/message/details."""

    def __init__(self, status: int, code: str, message: str, details: str = "",
                 method: str = "", path: str = "", body: object = None) -> None:
        self.status = status
        self.body = body  # the decoded JSON body, when there was one
        self.code = code
        self.message = message
        self.details = details
        self.method = method
        self.path = path
        where = f"{method} {path}: " if method else ""
        text = f"{where}HTTP {status} {code or '-'}: {message}"
        if details:
            text += f" ({details})"
        super().__init__(text)


class RestBadRequest(RestApiError):
    """400: the server refused our parameters."""


class RestAuthError(RestApiError):
    """401/403: missing, wrong or unauthorised signature/key."""


class RestNotFound(RestApiError):
    """404: unknown ticker, order, ... (or archived: see /historical)."""


class RestRateLimited(RestApiError):
    """429: the account's token bucket is empty."""


class RestServerError(RestApiError):
    """5xx: the exchange failed; safe to retry for reads."""


def error_class_for(status: int) -> type[RestApiError]:
    if status == 400:
        return RestBadRequest
    if status in (401, 403):
        return RestAuthError
    if status == 404:
        return RestNotFound
    if status == 429:
        return RestRateLimited
    if status >= 500:
        return RestServerError
    return RestApiError


def _text(value: object) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def parse_error_body(body: bytes) -> tuple[str, str, str]:
    """(code, message, details) from any of Kalshi's error body shapes.

    Accepted: ``{"error": {"code", "message", "details"}}`` (observed on the wire),
    ``{"error": "too many requests"}`` (rate-limit doc) and the flat schema
    ``{"code", "message", "details"}``. Anything else: the raw text as the message.
    """
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raw = body[:_MAX_BODY_SHOWN].decode("utf-8", "replace")
        return "", raw, ""
    if isinstance(data, dict):
        inner = data.get("error", data)
        if isinstance(inner, str):
            return "", inner, ""
        if isinstance(inner, dict):
            return _text(inner.get("code")), _text(inner.get("message")), _text(inner.get("details"))
    return "", json.dumps(data)[:_MAX_BODY_SHOWN], ""


def api_error(status: int, body: bytes, method: str = "", path: str = "") -> RestApiError:
    code, message, details = parse_error_body(body)
    try:
        decoded = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        decoded = None
    return error_class_for(status)(status, code, message, details, method, path, decoded)

"""Query-string validation and opaque cursors for the simulator's REST face.

Bad parameters answer 400 with Kalshi's error body. The exact 400 ``code`` Kalshi uses
is UNCONFIRMED (fact sheet §3.3/§11); we send ``bad_request`` with a Go-validator-like
message naming the field, which is what live 400s look like.
"""

from __future__ import annotations

import base64
import json

from fixengine.sim.rest.protocol import MarketInfo


class BadRequest(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Query:
    """Parsed query string: last value wins, except where a list is asked for."""

    def __init__(self, pairs: dict[str, list[str]]) -> None:
        self.pairs = pairs

    def get(self, key: str) -> str | None:
        values = self.pairs.get(key)
        return values[-1] if values else None

    def all(self, key: str) -> list[str]:
        return list(self.pairs.get(key, []))

    def int(self, key: str, low: int, high: int, default: int | None = None) -> int | None:
        text = self.get(key)
        if text is None or text == "":
            return default
        try:
            value = int(text)
        except ValueError:
            raise BadRequest(f"invalid {key} {text!r}: not an integer") from None
        if value < low:
            raise BadRequest(f"Key: '{key}' Error:Field validation for '{key}' failed on the 'gte' tag")
        if value > high:
            raise BadRequest(f"Key: '{key}' Error:Field validation for '{key}' failed on the 'lte' tag")
        return value

    def limit(self, default: int, high: int) -> int:
        """``limit``: 0 or absent means the default (the SDK accepts 0), above `high` is a 400."""
        return self.int("limit", 0, high, default) or default

    def bool(self, key: str) -> bool:
        text = self.get(key)
        if text is None or text == "":
            return False
        if text.lower() in ("true", "1"):
            return True
        if text.lower() in ("false", "0"):
            return False
        raise BadRequest(f"invalid {key} {text!r}: expected true or false")


def encode_cursor(offset: int) -> str:
    raw = json.dumps({"o": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str | None) -> int:
    if not text:
        return 0
    try:
        padded = text + "=" * (-len(text) % 4)
        offset = json.loads(base64.urlsafe_b64decode(padded.encode()))["o"]
    except (ValueError, KeyError, TypeError):
        raise BadRequest(f"invalid cursor {text[:40]!r}") from None
    if type(offset) is not int or offset < 0:
        raise BadRequest(f"invalid cursor {text[:40]!r}")
    return offset


def page(items: list, query: Query, default: int, high: int) -> tuple[list, str]:
    """Slice one page; the cursor is "" once the data is exhausted (Kalshi's convention)."""
    limit = query.limit(default, high)
    start = decode_cursor(query.get("cursor"))
    chunk = items[start:start + limit]
    end = start + len(chunk)
    return chunk, encode_cursor(end) if end < len(items) else ""


# /markets status filter -> object statuses (§4.1).
STATUS_FILTER = {
    "unopened": {"initialized"},
    "open": {"active"},
    "paused": {"inactive"},
    "closed": {"closed", "determined", "disputed", "amended"},
    "settled": {"finalized"},
}

# Timestamp families and the status filters each may combine with (§4.1).
TS_FAMILIES = {
    "created": (None, "unopened", "open"),
    "close": (None, "closed"),
    "settled": (None, "settled"),
    "updated": (None,),
}


def _family_time(m: MarketInfo, family: str):
    if family == "created":
        return m.created_time
    if family == "close":
        return m.close_time
    if family == "settled":
        return m.settled_time
    return m.updated_time or m.created_time


def filter_markets(markets: list[MarketInfo], q: Query) -> list[MarketInfo]:
    status = q.get("status") or None
    if status is not None and status not in STATUS_FILTER:
        raise BadRequest(f"invalid status {status!r}: expected one of {', '.join(STATUS_FILTER)}")
    families = [f for f in TS_FAMILIES
                if q.get(f"min_{f}_ts") not in (None, "") or q.get(f"max_{f}_ts") not in (None, "")]
    if len(families) > 1:
        raise BadRequest("timestamp filters of different families cannot be combined")
    mve = q.get("mve_filter") or None
    if mve not in (None, "only", "exclude"):
        raise BadRequest(f"invalid mve_filter {mve!r}: expected only or exclude")
    out = markets
    if families:
        family = families[0]
        if status not in TS_FAMILIES[family]:
            raise BadRequest(f"status {status!r} cannot be combined with {family}_ts filters")
        low = q.int(f"min_{family}_ts", 0, 2**62)
        high = q.int(f"max_{family}_ts", 0, 2**62)
        out = [m for m in out if _in_window(_family_time(m, family), low, high)]
    if status is not None:
        out = [m for m in out if m.status in STATUS_FILTER[status]]
    if q.get("series_ticker"):
        out = [m for m in out if m.series_ticker == q.get("series_ticker")]
    if q.get("event_ticker"):
        out = [m for m in out if m.event_ticker == q.get("event_ticker")]
    if q.get("tickers"):
        wanted = set(q.get("tickers").split(","))
        out = [m for m in out if m.ticker in wanted]
    if mve is not None:
        combo = (lambda m: m.ticker.startswith("KXMVE"))
        out = [m for m in out if combo(m) == (mve == "only")]
    return out


def _in_window(when, low: int | None, high: int | None) -> bool:
    if when is None:
        return False
    t = int(when.timestamp())
    return (low is None or t >= low) and (high is None or t <= high)

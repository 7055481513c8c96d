"""Rate limits the gateway enforces: the per-user Write token bucket and the logon guard.

Token bucket (part1 §2.8): FIX order entry drains the same Write bucket as REST. The bucket
refills continuously at the tier's write budget (tokens/s); its capacity is twice the budget
above Basic (1x for Basic). Costs per message are UNCONFIRMED beyond "same as the equivalent
REST call"; Kalshi's documented default of 10 tokens per write request is used for every
metered type. Logon is metered (newest docs); Heartbeat, TestRequest and Logout are not.

Logon guard: a key whose logons keep failing is locked out (every refused attempt while
locked out counts again, so a retry loop never gets through until it pauses), and an
identical signature seen twice is refused as a replay.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable

from fixengine.config.types import DEFAULT_WRITE_COST, TIER_BUDGET, RateTier

#: Token cost per client MsgType (UNCONFIRMED per-type costs: Kalshi's default write cost).
WRITE_COSTS = {
    "D": DEFAULT_WRITE_COST,
    "F": DEFAULT_WRITE_COST,
    "G": DEFAULT_WRITE_COST,
    "q": DEFAULT_WRITE_COST,
    "UOG": DEFAULT_WRITE_COST,
    "A": DEFAULT_WRITE_COST,
    # RFQ messages are charged like the equivalent REST operations (part2 §5.1); the per-operation
    # costs are UNCONFIRMED, so each costs the default write cost.
    "R": DEFAULT_WRITE_COST,
    "UE": DEFAULT_WRITE_COST,
    "UA": DEFAULT_WRITE_COST,
    "S": DEFAULT_WRITE_COST,
    "Z": DEFAULT_WRITE_COST,
    "U7": DEFAULT_WRITE_COST,
    "D:quote": DEFAULT_WRITE_COST,  # a NewOrderSingle accepting a quote bills the Write bucket (part1 §2.8)
}


class TokenBucket:
    """Continuously refilling bucket; `take(cost)` is all-or-nothing."""

    __slots__ = ("rate", "capacity", "tokens", "stamp", "clock")

    def __init__(self, rate: float, capacity: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = float(rate)
        self.capacity = float(capacity)
        self.tokens = float(capacity)
        self.clock = clock
        self.stamp = clock()

    def take(self, cost: float) -> bool:
        now = self.clock()
        tokens = self.tokens + (now - self.stamp) * self.rate
        self.stamp = now
        if tokens > self.capacity:
            tokens = self.capacity
        if tokens < cost:
            self.tokens = tokens
            return False
        self.tokens = tokens - cost
        return True


def write_bucket(tier: RateTier, clock: Callable[[], float] = time.monotonic) -> TokenBucket:
    budget = TIER_BUDGET[tier][1]
    capacity = budget if tier is RateTier.BASIC else 2 * budget
    return TokenBucket(budget, capacity, clock)


class RateLimiter:
    """Write buckets per user (shared by every key and session of the user)."""

    def __init__(self, tiers: dict[str, RateTier], clock: Callable[[], float] = time.monotonic) -> None:
        self._buckets = {user: write_bucket(tier, clock) for user, tier in tiers.items()}
        self._lock = threading.Lock()
        self.refused = 0

    def allow(self, user_id: str, msg_type: str) -> bool:
        cost = WRITE_COSTS.get(msg_type)
        if cost is None:
            return True
        bucket = self._buckets.get(user_id)
        if bucket is None:
            return True
        with self._lock:
            ok = bucket.take(cost)
            if not ok:
                self.refused += 1
            return ok


class MinInterval:
    """At most one event per `interval` seconds per key (OrderMassCancelRequest: 1/s)."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = self.clock()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self.interval:
                return False
            self._last[key] = now
            return True


class LogonGuard:
    """Failed-logon lockout and signature replay detection, per API key (gate thread only)."""

    def __init__(self, max_failures: int = 5, window_s: float = 60.0, replay_window_s: float = 120.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.replay_window_s = replay_window_s
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._seen: dict[str, float] = {}
        self._seen_order: deque[tuple[float, str]] = deque()

    def locked_out(self, key_id: str) -> bool:
        times = self._failures.get(key_id)
        if not times:
            return False
        cutoff = self.clock() - self.window_s
        while times and times[0] < cutoff:
            times.popleft()
        return len(times) >= self.max_failures

    def record_failure(self, key_id: str) -> None:
        self._failures.setdefault(key_id, deque()).append(self.clock())

    def record_success(self, key_id: str) -> None:
        self._failures.pop(key_id, None)

    def unlock(self, key_id: str | None = None) -> None:
        """Forget failed logons (of one key, or all): an operator lifting a lockout."""
        if key_id is None:
            self._failures.clear()
        else:
            self._failures.pop(key_id, None)

    def is_replay(self, signature: str) -> bool:
        """True if this exact signature was already presented (then it stays remembered)."""
        now = self.clock()
        cutoff = now - self.replay_window_s
        order = self._seen_order
        while order and order[0][0] < cutoff:
            _, old = order.popleft()
            if self._seen.get(old, now) < cutoff:
                del self._seen[old]
        if signature in self._seen:
            return True
        self._seen[signature] = now
        order.append((now, signature))
        return False

"""Client-side token bucket for Kalshi's per-tier Read budget.

Kalshi meters requests in tokens (default cost 10 per request) from separate Read and
Write buckets that refill continuously (fact sheet part1 §2.8, REST §6). A 429 carries no
Retry-After and there is no penalty box, so pacing ourselves below the budget is
cheaper than backing off after the fact. This client only reads, so only the Read bucket
is modelled. The same class serves the simulator, which must refuse (429) instead of wait:
use :meth:`TokenBucket.try_take` there and :meth:`TokenBucket.take` in the client.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fixengine.errors import UserInputError

#: Default token cost of one request (REST §6; `GET /account/endpoint_costs` lists exceptions).
DEFAULT_COST = 10

#: Read-bucket budgets in tokens/second per usage tier (part1 §2.8).
READ_BUDGETS = {
    "basic": 200,
    "advanced": 300,
    "expert": 600,
    "premier": 1000,
    "paragon": 2000,
    "prime": 4000,
    "prestige": 10000,
}

#: Unauthenticated calls have undocumented per-IP limits; REST §6 advises <= 10 req/s.
PUBLIC_BUDGET = 100


@dataclass(frozen=True, slots=True)
class BucketSpec:
    refill_per_s: float
    capacity: float


def read_bucket_spec(tier: str) -> BucketSpec:
    """The Read bucket of a tier. Capacity = one second of budget: the docs disagree on
    whether Read buckets hold 1 s or 3 s (UNCONFIRMED), and 1 s is the safe choice."""
    key = tier.strip().lower()
    if key == "public":
        return BucketSpec(PUBLIC_BUDGET, PUBLIC_BUDGET)
    if key not in READ_BUDGETS:
        known = ", ".join(["public", *READ_BUDGETS])
        raise UserInputError(f"unknown rate-limit tier {tier!r} (known: {known})")
    budget = READ_BUDGETS[key]
    return BucketSpec(budget, budget)


#: Tolerance for float refill arithmetic: without it a waiter can compute a delay too small
#: to move the clock (1000.0 + 1e-15 == 1000.0) and spin forever.
_EPSILON = 1e-9


class TokenBucket:
    """A continuously refilling bucket; clock and sleep are injectable for tests."""

    def __init__(self, refill_per_s: float, capacity: float,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if refill_per_s <= 0 or capacity <= 0:
            raise ValueError("refill rate and capacity must be positive")
        self.refill_per_s = float(refill_per_s)
        self.capacity = float(capacity)
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(capacity)
        self._stamp = clock()
        self._lock = threading.Lock()

    @classmethod
    def for_spec(cls, spec: BucketSpec, **kwargs) -> TokenBucket:
        return cls(spec.refill_per_s, spec.capacity, **kwargs)

    def _refill(self) -> None:
        now = self._clock()
        elapsed = now - self._stamp
        if elapsed > 0:
            self._tokens = min(self.capacity, self._tokens + elapsed * self.refill_per_s)
        self._stamp = now

    @property
    def tokens(self) -> float:
        with self._lock:
            self._refill()
            return self._tokens

    def try_take(self, cost: float = DEFAULT_COST) -> bool:
        """Take `cost` tokens if available now; never waits."""
        with self._lock:
            self._refill()
            if self._tokens >= cost - _EPSILON:
                self._tokens = max(0.0, self._tokens - cost)
                return True
            return False

    def take(self, cost: float = DEFAULT_COST) -> float:
        """Take `cost` tokens, sleeping until they have refilled. Returns seconds waited."""
        if cost > self.capacity:
            raise ValueError(f"cost {cost} exceeds bucket capacity {self.capacity}")
        waited = 0.0
        while True:
            with self._lock:
                self._refill()
                if self._tokens >= cost - _EPSILON:
                    self._tokens = max(0.0, self._tokens - cost)
                    return waited
                delay = (cost - self._tokens) / self.refill_per_s
            self._sleep(delay)
            waited += delay

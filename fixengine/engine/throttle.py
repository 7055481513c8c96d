"""Client-side token bucket for Kalshi's Write budget, so normal use never draws 380=8.

Kalshi meters FIX order entry (D/F/G/q, order groups, and the Logon itself) from the same
per-tier Write bucket as REST (part 1 §2.8): budget tokens/s refilling continuously, capacity 2x
the budget above Basic, default cost 10 tokens per message. FIX per-message costs beyond
"same as REST" are UNCONFIRMED, so the cost is configurable. The bucket runs a little below the
exchange's rate (`safety`) because our clock and the exchange's do not start at the same instant.
When a 380=8 arrives anyway the bucket is drained, so the next sends pace themselves.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from fixengine.errors import UserInputError

DEFAULT_COST = 10

#: Write budgets, tokens per second, per usage tier (event contracts).
WRITE_BUDGETS = {
    "basic": 100,
    "advanced": 300,
    "expert": 600,
    "premier": 1000,
    "paragon": 2000,
    "prime": 4000,
    "prestige": 8000,
}


def write_bucket_for_tier(tier: str) -> tuple[float, float]:
    """(refill tokens/s, capacity) of a tier's Write bucket."""
    key = str(tier).strip().lower()
    if key not in WRITE_BUDGETS:
        raise UserInputError(f"unknown rate-limit tier {tier!r} (known: {', '.join(WRITE_BUDGETS)})")
    budget = WRITE_BUDGETS[key]
    return float(budget), float(budget if key == "basic" else 2 * budget)


class WriteThrottle:
    """A continuously refilling bucket; not thread-safe by itself (the engine holds its lock)."""

    def __init__(self, refill_per_s: float, capacity: float, cost: int = DEFAULT_COST,
                 safety: float = 0.9, clock: Callable[[], float] = time.monotonic) -> None:
        if refill_per_s <= 0 or capacity <= 0 or not 0 < safety <= 1:
            raise UserInputError("rate limit: refill and capacity must be positive, safety in (0, 1]")
        self.refill_per_s = refill_per_s * safety
        self.capacity = capacity * safety
        self.cost = cost
        self._clock = clock
        self._tokens = self.capacity
        self._stamp = clock()
        self.throttled = 0  # sends that had to wait or were refused
        self.exchange_limited = 0  # 380=8 received

    @classmethod
    def for_tier(cls, tier: str, **kwargs) -> WriteThrottle:
        refill, capacity = write_bucket_for_tier(tier)
        return cls(refill, capacity, **kwargs)

    def _refill(self) -> float:
        now = self._clock()
        elapsed = now - self._stamp
        if elapsed > 0:
            self._tokens = min(self.capacity, self._tokens + elapsed * self.refill_per_s)
            self._stamp = now
        return self._tokens

    @property
    def tokens(self) -> float:
        return self._refill()

    def try_take(self, cost: int | None = None) -> float:
        """Take `cost` tokens if available and return 0.0; else return seconds until they will be."""
        need = self.cost if cost is None else cost
        tokens = self._refill()
        if tokens >= need:
            self._tokens = tokens - need
            return 0.0
        self.throttled += 1
        return (need - tokens) / self.refill_per_s

    def drain(self) -> None:
        """The exchange said 380=8: our view was too optimistic; start again from empty."""
        self._refill()
        self._tokens = 0.0
        self.exchange_limited += 1

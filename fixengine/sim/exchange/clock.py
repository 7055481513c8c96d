"""Time for the simulated exchange: an injectable clock and the US/Eastern calendar rules.

The exchange never sleeps and never reads the wall clock directly: it calls its
clock (any ``() -> datetime`` returning an aware UTC datetime). Tests use
`ManualClock` and move time with `advance_time`, so expiry is deterministic.
"""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Wall-clock UTC time (the default clock of a running simulator)."""
    return datetime.now(timezone.utc)


class ManualClock:
    """A clock that only moves when told to; thread-safe."""

    def __init__(self, start: datetime) -> None:
        self._now = as_utc(start)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, now: datetime) -> datetime:
        """Move to `now` (never backwards: an exchange clock is monotonic)."""
        now = as_utc(now)
        with self._lock:
            if now > self._now:
                self._now = now
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def day_order_expiry(now: datetime) -> datetime:
    """Deadline of a Day order entered at `now`: 23:59:59.999 America/New_York that day (part1 §4.3)."""
    local_day = as_utc(now).astimezone(EASTERN).date()
    deadline = datetime.combine(local_day, time(23, 59, 59, 999_000), tzinfo=EASTERN)
    return deadline.astimezone(timezone.utc)


def eastern_date(moment: datetime) -> date:
    return as_utc(moment).astimezone(EASTERN).date()


def clearing_date(moment: datetime) -> str:
    """ClearingBusinessDate(715): the US/Eastern calendar date of a trade, YYYYMMDD (part1 §4.8)."""
    return eastern_date(moment).strftime("%Y%m%d")

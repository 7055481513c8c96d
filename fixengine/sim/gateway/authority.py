"""Who may log on: key lookup, lockout, metering, clock skew, signature, entitlement, flags.

The order of the checks decides which Text a client sees when several things are wrong;
identity and authentication come before anything that reveals account details.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from fixengine.auth import PublicKey, verify_logon
from fixengine.config.types import SessionKind
from fixengine.sim.gateway import texts
from fixengine.sim.gateway.limits import LogonGuard, RateLimiter
from fixengine.sim.gateway.dropcopy import restricted_key_refusal
from fixengine.sim.gateway.logon import LogonFlags, Refusal, check_body, check_sending_time


@dataclass(frozen=True, slots=True)
class KeyRecord:
    key_id: str
    user_id: str
    public_key: PublicKey
    fix_entitled: bool
    can_write: bool
    subaccount: int | None  # key restricted to one subaccount, None = any


class LogonAuthority:
    def __init__(self, keys: dict[str, KeyRecord], limiter: RateLimiter, guard: LogonGuard,
                 skew_s: float, default_retention_hours: int,
                 wall_clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.keys = keys
        self.limiter = limiter
        self.guard = guard
        self.skew_s = skew_s
        self.default_retention_hours = default_retention_hours
        self.wall_clock = wall_clock

    def evaluate(self, kind: SessionKind, target: str, values: dict[int, str]) -> LogonFlags | Refusal:
        """`values` = first occurrence of each tag in the Logon (header and body)."""
        key_id = values.get(49, "")
        key = self.keys.get(key_id)
        if key is None:
            return Refusal(texts.UNKNOWN_KEY, counts_as_failure=False)
        if self.guard.locked_out(key_id):
            self.guard.record_failure(key_id)
            return Refusal(texts.THROTTLED, counts_as_failure=False)
        if not self.limiter.allow(key.user_id, "A"):
            return Refusal(texts.RATE_LIMITED)
        outcome = self._authenticate(key, target, values)
        if outcome is None:
            outcome = check_body(values, kind, key_id, self.default_retention_hours)
            if not isinstance(outcome, Refusal):
                outcome = restricted_key_refusal(key.subaccount, outcome) or outcome
        if isinstance(outcome, Refusal):
            if outcome.counts_as_failure:
                self.guard.record_failure(key_id)
        else:
            self.guard.record_success(key_id)
        return outcome

    def _authenticate(self, key: KeyRecord, target: str, values: dict[int, str]) -> Refusal | None:
        skew = check_sending_time(values, self.wall_clock(), self.skew_s)
        if skew is not None:
            return skew
        signature = values.get(96)
        if not signature:
            return Refusal(texts.BAD_SIGNATURE)
        ok = verify_logon(key.public_key, signature, values.get(52, ""), values.get(34, ""),
                          key.key_id, target)
        if not ok:
            return Refusal(texts.BAD_SIGNATURE)
        if self.guard.is_replay(signature):
            return Refusal(texts.REPLAYED_LOGON)
        if not key.fix_entitled:
            return Refusal(texts.NOT_ENTITLED)
        return None

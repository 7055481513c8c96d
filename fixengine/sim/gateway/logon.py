"""Kalshi Logon (35=A) validation, exactly per part1 §3.2-3.4, as a pure function.

The gate calls `check_logon` on the first message of a connection *before* QuickFIX sees
it. Doing it there (not in QuickFIX's fromAdmin) matters: QuickFIX resets an RT session's
sequence numbers and message store as soon as it reads 141=Y, before fromAdmin runs, so a
forged Logon rejected in fromAdmin would still wipe the retained messages of the real key.

The outcome is either `LogonFlags` (accepted; every Kalshi flag recorded) or `Refusal`
(Logout text, plus a Reject 373=10 first for a SendingTime problem, as the docs describe).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fixengine.config.types import MAX_RETENTION_HOURS, RETRANSMIT_KINDS, ORDER_ENTRY_KINDS, RESET_MANDATORY, SessionKind
from fixengine.sim.gateway import texts
from fixengine.sim.gateway.wire import parse_utc_timestamp


@dataclass(frozen=True, slots=True)
class LogonFlags:
    """What a client asked for at Logon; drives how every later report is written for it."""

    kind: SessionKind
    key_id: str
    heartbeat: int  # 108
    reset: bool  # 141
    use_dollars: bool = False  # 21005
    cancel_on_disconnect: bool = False  # 8013
    listener: bool = False  # 20126
    settlement_reports: bool = False  # 20127
    retention_hours: int = 24  # 20200 (RT/PT)
    ioc_cancel_report: bool = False  # 21007
    preserve_qty: bool = False  # 21008
    skip_pending: bool = False  # 21011 (or legacy 21003)
    expired_status: bool = False  # 21012
    new_before_trade: bool = False  # 21026
    split_collateral: bool = False  # 21027

    def as_dict(self) -> dict:
        return {name: getattr(self, name) if name != "kind" else self.kind.value for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class Refusal:
    text: str
    sending_time_reject: bool = False  # send Reject(35=3) 373=10 before the Logout
    counts_as_failure: bool = True  # feeds the per-key failed-logon throttle


# Boolean flags: tag -> LogonFlags attribute
_BOOL_FLAGS = {
    21005: "use_dollars",
    8013: "cancel_on_disconnect",
    20126: "listener",
    20127: "settlement_reports",
    21007: "ioc_cancel_report",
    21008: "preserve_qty",
    21011: "skip_pending",
    21012: "expired_status",
    21026: "new_before_trade",
    21027: "split_collateral",
}
_LEGACY_SKIP_PENDING = 21003


def header_of(fields: list[tuple[int, str]]) -> dict[int, str]:
    """First occurrence of each tag (the gate only needs header and Logon body tags)."""
    out: dict[int, str] = {}
    for tag, value in fields:
        out.setdefault(tag, value)
    return out


def check_sending_time(values: dict[int, str], now: datetime, tolerance_s: float) -> Refusal | None:
    text = values.get(52)
    if text is None:
        return Refusal(texts.MISSING_TAG.format(tag=52))
    try:
        sent = parse_utc_timestamp(text)
    except ValueError:
        return Refusal(texts.BAD_VALUE.format(tag=52))
    if abs((now - sent).total_seconds()) > tolerance_s:
        return Refusal(texts.SENDING_TIME, sending_time_reject=True)
    return None


def check_body(values: dict[int, str], kind: SessionKind, key_id: str,
               default_retention: int) -> LogonFlags | Refusal:
    """Everything in the Logon except identity, signature and time (§3.2, §3.9)."""
    if 50 in values:
        return Refusal(texts.SENDER_SUB_ID)
    if values.get(98) != "0":
        return Refusal(texts.ENCRYPT_METHOD)
    hb_text = values.get(108, "")
    if not hb_text.isdigit() or int(hb_text) <= 3:
        return Refusal(texts.HEARTBEAT)
    if values.get(1137) != "9":
        return Refusal(texts.APPL_VER_ID)
    reset = _yes_no(values, 141)
    if isinstance(reset, Refusal):
        return reset
    if kind in RESET_MANDATORY and not reset:
        return Refusal(texts.RESET_REQUIRED)
    flags: dict[str, object] = {}
    for tag, name in _BOOL_FLAGS.items():
        value = _yes_no(values, tag)
        if isinstance(value, Refusal):
            return value
        flags[name] = value
    if 21011 not in values and _LEGACY_SKIP_PENDING in values:
        legacy = _yes_no(values, _LEGACY_SKIP_PENDING)
        if isinstance(legacy, Refusal):
            return legacy
        flags["skip_pending"] = legacy
    if kind is SessionKind.PT and 20127 not in values:
        flags["settlement_reports"] = True  # PT delivers settlement reports unless opted out
    if flags["listener"]:
        if kind not in ORDER_ENTRY_KINDS:
            return Refusal(texts.LISTENER_KIND)
        if not flags["skip_pending"]:
            return Refusal(texts.LISTENER_NEEDS_SKIP)
        if flags["cancel_on_disconnect"]:
            return Refusal(texts.LISTENER_NO_CANCEL)
    retention = default_retention
    if 20200 in values:
        if kind not in RETRANSMIT_KINDS:
            return Refusal(texts.RETENTION_KIND)
        text = values[20200]
        if not text.isdigit() or not 1 <= int(text) <= MAX_RETENTION_HOURS:
            return Refusal(texts.RETENTION)
        retention = int(text)
    return LogonFlags(kind=kind, key_id=key_id, heartbeat=int(hb_text), reset=bool(reset),
                      retention_hours=retention, **flags)  # type: ignore[arg-type]


def _yes_no(values: dict[int, str], tag: int) -> bool | Refusal:
    value = values.get(tag)
    if value is None or value == "N":
        return False
    if value == "Y":
        return True
    return Refusal(texts.BAD_VALUE.format(tag=tag))

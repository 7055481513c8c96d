"""`{...}` variables in scenario text, expanded when a step runs.

  {key_id} {key_id:maker}    API key id (SenderCompID) of this connection's key / of an alias
  {target}                   TargetCompID of this connection's session (KalshiNR, ...)
  {clordid:o1}               a fresh UUID the first time `o1` is used, the same value after
  {clordid:new}              a fresh UUID every time
  {uuid}                     a fresh UUID
  {now} {now+60s} {now-31s}  UTC SendingTime format YYYYMMDD-HH:MM:SS.mmm (ms, s, m, h, d offsets)
  {now:date} {now+1d:date}   YYYYMMDD;  {now:sec} without milliseconds
  {seq} {seq+3} {seq-1}      the MsgSeqNum the next outgoing message on this connection gets
  {signature}                Logon RawData(96) over this message's 52/35/34/49/56 (needs the key)
  {signature:wrongkey}       a well-formed signature made with an unrelated key
  {signature_len}            length of that signature, for RawDataLength(95)
  {ticker:main}              market ticker named by alias (from the target's ticker map)
  {px:0.56}                  a dollar price in this session's mode: 0.5600 (UseDollars) or 56 (cents)
  {i}                        iteration number inside `repeat` (1-based)
  {var:oid} or {oid}         a value saved by an expect matcher (`save: oid`), `set` or `admin`

`{{` and `}}` are literal braces.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Callable

_VAR = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)([+-][0-9]+(?:ms|s|m|h|d)?)?(?::([^{}]*))?\}")
_OFFSET = re.compile(r"^([+-])([0-9]+)(ms|s|m|h|d)?$")
_UNIT = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


class VariableError(ValueError):
    """A variable that cannot be expanded (unknown name, missing argument, unusable value)."""


def fix_time(moment: datetime, precision: str = "ms") -> str:
    moment = moment.astimezone(timezone.utc)
    if precision == "date":
        return moment.strftime("%Y%m%d")
    if precision == "sec":
        return moment.strftime("%Y%m%d-%H:%M:%S")
    return moment.strftime("%Y%m%d-%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def price_text(dollars: str, use_dollars: bool) -> str:
    """A dollar price written in the session's price mode (part1 §6.1)."""
    try:
        value = Decimal(dollars)
    except InvalidOperation:
        raise VariableError(f"px needs a dollar price like 0.56, got {dollars!r}") from None
    if use_dollars:
        if value != value.quantize(Decimal("0.0001")):
            raise VariableError(f"price {dollars} has more than 4 decimals")
        return f"{value:.4f}"
    cents = value * 100
    if cents != cents.to_integral_value():
        raise VariableError(f"price {dollars} is not a whole number of cents (session is in cents mode)")
    return str(int(cents))


@dataclass(slots=True)
class VarContext:
    """Everything variables can refer to at the moment one step runs."""

    saved: dict[str, str] = field(default_factory=dict)
    clordids: dict[str, str] = field(default_factory=dict)
    tickers: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # alias -> key id
    key_alias: str = ""
    target: str = ""
    next_seq: int = 1
    use_dollars: bool = True
    index: int | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    signer: Callable[[str], str] | None = None  # variant ("" or "wrongkey") -> base64 signature


def expand(text: str, ctx: VarContext) -> str:
    """Replace every variable in `text`; raise VariableError naming the first bad one."""
    return _VAR.sub(lambda m: _one(m, ctx), text)


def _one(match: re.Match[str], ctx: VarContext) -> str:
    whole = match.group(0)
    if whole == "{{":
        return "{"
    if whole == "}}":
        return "}"
    name, offset, arg = match.group(1), match.group(2), match.group(3)
    if offset and name not in ("now", "seq"):
        raise VariableError(f"{whole}: only now and seq take an offset")
    handler = _HANDLERS.get(name)
    if handler is not None:
        return handler(ctx, offset, arg, whole)
    if arg is None and name in ctx.saved:
        return ctx.saved[name]
    raise VariableError(f"{whole}: unknown variable {name!r} (not a built-in and not saved by an earlier step)")


def _seconds(offset: str | None, whole: str) -> float:
    if not offset:
        return 0.0
    m = _OFFSET.match(offset)
    if m is None:
        raise VariableError(f"{whole}: bad offset {offset!r}")
    sign = -1 if m.group(1) == "-" else 1
    return sign * int(m.group(2)) * _UNIT[m.group(3)]


def _now(ctx: VarContext, offset: str | None, arg: str | None, whole: str) -> str:
    if arg not in (None, "date", "sec"):
        raise VariableError(f"{whole}: now takes :date or :sec")
    return fix_time(ctx.clock() + timedelta(seconds=_seconds(offset, whole)), arg or "ms")


def _seq(ctx: VarContext, offset: str | None, arg: str | None, whole: str) -> str:
    if offset and not offset[1:].isdigit():
        raise VariableError(f"{whole}: seq offsets are plain numbers")
    return str(ctx.next_seq + (int(offset) if offset else 0))


def _key_id(ctx: VarContext, offset: str | None, arg: str | None, whole: str) -> str:
    alias = arg or ctx.key_alias
    try:
        return ctx.keys[alias]
    except KeyError:
        raise VariableError(f"{whole}: no key with alias {alias!r}; known: {sorted(ctx.keys)}") from None


def _target(ctx: VarContext, offset: str | None, arg: str | None, whole: str) -> str:
    if not ctx.target:
        raise VariableError(f"{whole}: no connection to take the TargetCompID from")
    return ctx.target


def _clordid(ctx: VarContext, offset: str | None, arg: str | None, whole: str) -> str:
    if not arg:
        raise VariableError(f"{whole}: write {{clordid:NAME}} or {{clordid:new}}")
    if arg == "new":
        return str(uuid.uuid4())
    return ctx.clordids.setdefault(arg, str(uuid.uuid4()))


def _uuid(ctx: VarContext, offset: str | None, arg: str | None, whole: str) -> str:
    return str(uuid.uuid4())


def _signature(ctx: VarContext, offset: str | None, arg: str | None, whole: str) -> str:
    if ctx.signer is None:
        raise VariableError(f"{whole}: a signature can only be used in a message being sent")
    if arg not in (None, "wrongkey"):
        raise VariableError(f"{whole}: signature takes no argument or :wrongkey")
    return ctx.signer(arg or "")


def _signature_len(ctx: VarContext, offset: str | None, arg: str | None, whole: str) -> str:
    return str(len(_signature(ctx, None, arg, whole)))


def _ticker(ctx: VarContext, offset: str | None, arg: str | None, whole: str) -> str:
    try:
        return ctx.tickers[arg or "main"]
    except KeyError:
        raise VariableError(f"{whole}: no ticker alias {arg!r}; known: {sorted(ctx.tickers)}") from None


def _px(ctx: VarContext, offset: str | None, arg: str | None, whole: str) -> str:
    if not arg:
        raise VariableError(f"{whole}: write {{px:0.56}} with a dollar price")
    try:
        return price_text(arg, ctx.use_dollars)
    except VariableError as exc:
        raise VariableError(f"{whole}: {exc}") from None


def _index(ctx: VarContext, offset: str | None, arg: str | None, whole: str) -> str:
    if ctx.index is None:
        raise VariableError(f"{whole}: {{i}} is only defined inside repeat")
    return str(ctx.index)


def _var(ctx: VarContext, offset: str | None, arg: str | None, whole: str) -> str:
    if not arg:
        raise VariableError(f"{whole}: write {{var:NAME}}")
    try:
        return ctx.saved[arg]
    except KeyError:
        raise VariableError(f"{whole}: variable {arg!r} was not saved by an earlier step") from None


_HANDLERS: dict[str, Callable[[VarContext, str | None, str | None, str], str]] = {
    "now": _now, "seq": _seq, "key_id": _key_id, "target": _target, "clordid": _clordid,
    "uuid": _uuid, "signature": _signature, "signature_len": _signature_len, "ticker": _ticker,
    "px": _px, "i": _index, "var": _var,
}

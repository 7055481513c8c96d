"""Kalshi order-entry messages (35=D/F/G/q) -> exchange requests.

QuickFIX has already checked the dictionary (required tags, types, enums). What is left is
the Kalshi wire semantics that depend on the session: cents vs dollars (21005), 2-decimal
quantities, ExecInst letters, the two spellings of the order-group id. A value QuickFIX let
through but Kalshi's wire format forbids is a session-level problem -> `fix.IncorrectTagValue`
(35=3, 373=5); a missing conditionally-required field -> `BusinessReject` (35=j, 380=5), except
on UOG, where Kalshi answers at session level -> `SessionReject` (35=3, 373=1).
Business rules (ticker, grid, balance, ranges) stay with the exchange.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import quickfix as fix

from fixengine.model import Side, TimeInForce
from fixengine.pricing import PricingError, parse_money, parse_price_dollars, parse_qty
from fixengine.sim.exchange.requests import STP_MAKER, STP_TAKER_AT_CROSS, CancelOrder, MassCancel, NewOrder, ReplaceOrder
from fixengine.sim.gateway.wire import parse_utc_timestamp

_SIDES = {"1": Side.BUY, "2": Side.SELL}
_TIFS = {tif.value: tif for tif in TimeInForce}
#: TimeInForce when 59 is absent on 35=D. Kalshi's default is UNCONFIRMED; FIX's is Day (0).
DEFAULT_TIF = TimeInForce.DAY


class BusinessReject(Exception):
    """Answer with BusinessMessageReject (35=j)."""

    def __init__(self, reason: int, text: str) -> None:
        super().__init__(text)
        self.reason = reason
        self.text = text


class SessionReject(Exception):
    """Answer with a session-level Reject (35=3) that QuickFIX cannot produce from fromApp: a
    FieldNotFound raised there becomes 35=j 380=5, but Kalshi answers a missing conditionally
    required UOG field at session level (part2 §2.2)."""

    def __init__(self, tag: int, reason: int, text: str) -> None:
        super().__init__(text)
        self.tag = tag
        self.reason = reason
        self.text = text


def _missing_field(tag: int) -> SessionReject:
    return SessionReject(tag, 1, "Required tag missing")  # 373=1, QuickFIX's own wording


class OrderGroupConflict(Exception):
    """SecondaryClOrdID(526) and OrderGroupID(20130) name different groups: reject the order."""


def get(msg: fix.Message, tag: int) -> str | None:
    return msg.getField(tag) if msg.isSetField(tag) else None


def _require(msg: fix.Message, tag: int) -> str:
    if not msg.isSetField(tag):
        raise fix.FieldNotFound(tag)  # QuickFIX answers 35=3 373=1
    return msg.getField(tag)


def price_of(msg: fix.Message, tag: int, dollars: bool) -> int:
    text = msg.getField(tag)
    try:
        if dollars:
            return parse_price_dollars(text)
        if not text.isdigit():
            raise fix.IncorrectTagValue(tag)  # cents mode takes whole cents only
        return int(text) * 100
    except PricingError:
        raise fix.IncorrectTagValue(tag) from None


def qty_of(msg: fix.Message, tag: int) -> int:
    try:
        return parse_qty(_require(msg, tag))
    except PricingError:
        raise fix.IncorrectTagValue(tag) from None


def side_of(msg: fix.Message) -> Side:
    side = _SIDES.get(_require(msg, 54))
    if side is None:
        raise fix.IncorrectTagValue(54)
    return side


def _int(msg: fix.Message, tag: int, default: int | None = None) -> int | None:
    text = get(msg, tag)
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        raise fix.IncorrectTagValue(tag) from None


def _shard(msg: fix.Message) -> int | None:
    shard = _int(msg, 100)
    return None if shard is None or shard == -1 else shard


def _yes(msg: fix.Message, tag: int) -> bool:
    text = get(msg, tag)
    if text is None or text == "N":
        return False
    if text == "Y":
        return True
    raise fix.IncorrectTagValue(tag)


def _expire(msg: fix.Message) -> datetime | None:
    text = get(msg, 126)
    if text is None:
        return None
    try:
        return parse_utc_timestamp(text)
    except ValueError:
        raise fix.IncorrectTagValue(126) from None


def _order_group(msg: fix.Message) -> str | None:
    secondary, group = get(msg, 526), get(msg, 20130)
    if secondary and group and secondary != group:
        raise OrderGroupConflict()
    return secondary or group


def _exec_inst(msg: fix.Message) -> tuple[bool, bool]:
    text = get(msg, 18)
    if text is None:
        return False, False
    letters = text.split()
    if not letters or any(letter not in ("6", "E") for letter in letters):
        raise fix.IncorrectTagValue(18)
    return "6" in letters, "E" in letters


def new_order(msg: fix.Message, key_id: str, user_id: str, session: str, dollars: bool) -> NewOrder:
    if _require(msg, 40) != "2":
        raise fix.IncorrectTagValue(40)  # only Limit orders exist
    tif_text = get(msg, 59)
    tif = DEFAULT_TIF if tif_text is None else _TIFS.get(tif_text)
    if tif is None:
        raise fix.IncorrectTagValue(59)
    expire = _expire(msg)
    if tif is TimeInForce.GTD and expire is None:
        raise BusinessReject(5, "ExpireTime(126) is required with TimeInForce=6 (GTD)")
    post_only, reduce_only = _exec_inst(msg)
    stp = _int(msg, 2964, STP_TAKER_AT_CROSS)
    if stp not in (0, STP_TAKER_AT_CROSS, STP_MAKER):
        raise fix.IncorrectTagValue(2964)
    max_cost_text = get(msg, 21009)
    try:
        max_cost = parse_money(max_cost_text) if max_cost_text is not None else None
    except PricingError:
        raise fix.IncorrectTagValue(21009) from None
    return NewOrder(
        key_id=key_id, user_id=user_id, cl_ord_id=_require(msg, 11), symbol=_require(msg, 55),
        side=side_of(msg), price=price_of(msg, 44, dollars) if msg.isSetField(44) else _missing(44),
        qty=qty_of(msg, 38), tif=tif, expire_time=expire, post_only=post_only, reduce_only=reduce_only,
        stp=stp or STP_TAKER_AT_CROSS, max_cost=max_cost, subaccount=_int(msg, 79, 0),
        order_group=_order_group(msg), cancel_on_pause=_yes(msg, 21006), shard=_shard(msg), session_id=session,
    )


def _missing(tag: int) -> int:
    raise fix.FieldNotFound(tag)


def cancel_order(msg: fix.Message, key_id: str, user_id: str, session: str) -> CancelOrder:
    return CancelOrder(
        key_id=key_id, user_id=user_id, cl_ord_id=_require(msg, 11), orig_cl_ord_id=_require(msg, 41),
        symbol=_require(msg, 55), side=side_of(msg), order_id=get(msg, 37), subaccount=_int(msg, 79, 0),
        shard=_shard(msg), session_id=session,
    )


def replace_order(msg: fix.Message, key_id: str, user_id: str, session: str, dollars: bool) -> ReplaceOrder:
    if _require(msg, 40) != "2":
        raise fix.IncorrectTagValue(40)
    tif_text = get(msg, 59)
    tif = None if tif_text is None else _TIFS.get(tif_text)
    if tif_text is not None and tif is None:
        raise fix.IncorrectTagValue(59)
    return ReplaceOrder(
        key_id=key_id, user_id=user_id, cl_ord_id=_require(msg, 11), orig_cl_ord_id=_require(msg, 41),
        symbol=_require(msg, 55), side=side_of(msg), qty=qty_of(msg, 38),
        price=price_of(msg, 44, dollars) if msg.isSetField(44) else None, tif=tif, expire_time=_expire(msg),
        order_id=get(msg, 37), subaccount=_int(msg, 79, 0), shard=_shard(msg), session_id=session,
    )


def mass_cancel(msg: fix.Message, key_id: str, user_id: str, session: str) -> MassCancel:
    if _require(msg, 530) != "6":
        raise fix.IncorrectTagValue(530)  # only "cancel all orders for the trading session"
    return MassCancel(key_id=key_id, user_id=user_id, cl_ord_id=_require(msg, 11), session_id=session)


@dataclass(frozen=True, slots=True)
class GroupRequest:
    """OrderGroupRequest (35=UOG): action 1 Create, 2 Reset, 3 Delete, 4 Trigger, 5 Update."""

    action: int
    group_id: str | None
    contracts_limit: int | None  # qty units (whole contracts on the wire)
    subaccount: int
    shard: int


def group_request(msg: fix.Message) -> GroupRequest:
    """Wire rules of 35=UOG (part2 §2.2); each breach is a session Reject (35=3):
    20131 missing (373=1, QuickFIX already checks: the dictionary marks it required) or not 1-5
    (373=5); 20132 missing on Create / Update (373=1) or not an integer (373=6); 20130 missing on
    Reset / Delete / Trigger / Update (373=1), present on Create (373=5) or not a UUID (373=5).
    The limit's range (1 - 1,000,000) is a business rule: the exchange answers 35=j."""
    action = _int(msg, 20131)
    if action is None:
        raise _missing_field(20131)  # QuickFIX's dictionary check normally answers this first
    if action not in (1, 2, 3, 4, 5):
        raise fix.IncorrectTagValue(20131)
    limit = _int(msg, 20132)
    if action in (1, 5) and limit is None:
        raise _missing_field(20132)
    group_id = get(msg, 20130)
    if action == 1 and group_id is not None:
        raise fix.IncorrectTagValue(20130)  # Create never names a group: the server makes the id
    if action != 1:
        if group_id is None:
            raise _missing_field(20130)
        if not is_uuid(group_id):
            raise fix.IncorrectTagValue(20130)
    shard = _shard(msg)
    return GroupRequest(action, group_id, None if limit is None else limit * 100, _int(msg, 79, 0),
                        0 if shard is None else shard)


def is_uuid(text: str) -> bool:
    """Canonical 8-4-4-4-12 hex form (how Kalshi writes group ids)."""
    if len(text) != 36 or text.count("-") != 4:
        return False
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True

"""OrderGroupRequest (35=UOG) builder and OrderGroupResponse (35=UOH) parser (part 2 §2.2).

UOG carries OrderGroupAction(20131): 1 Create (20132 required, 20130 forbidden), 2 Reset,
3 Delete, 4 Trigger (20130 required), 5 Update (20130 and 20132 required). AllocAccount(79) is
sent only for a subaccount and ExDestination(100) only for a non-zero exchange index: the primary
account / index 0 are the defaults, as on orders. 20132 is an INT of whole contracts on FIX.

UOH carries 20130 always, 20132 only on Create/Update answers, 79 since v1.0.24. It has no
request id and no action echo, so the caller correlates it (see fixengine.engine.groups).
"""

from __future__ import annotations

from dataclasses import dataclass

import quickfix as fix

from fixengine.fix import msgtypes as M
from fixengine.fix import tags as T
from fixengine.pricing.units import ONE_CONTRACT
from fixengine.session.parse import MessageParseError

CREATE, RESET, DELETE, TRIGGER, UPDATE = 1, 2, 3, 4, 5  # OrderGroupAction(20131)
ACTION_NAMES = {CREATE: "create", RESET: "reset", DELETE: "delete", TRIGGER: "trigger", UPDATE: "update"}


def group_request(action: int, group_id: str | None, limit: int | None, subaccount: int, shard: int) -> fix.Message:
    """A UOG; `limit` in qty units (a whole number of contracts), sent as whole contracts."""
    if action not in ACTION_NAMES:
        raise ValueError(f"OrderGroupAction {action!r} is not 1-5")
    if (action == CREATE) != (group_id is None):
        raise ValueError("Create must not name a group; every other action must")
    if (action in (CREATE, UPDATE)) != (limit is not None):
        raise ValueError("a contracts limit goes with Create and Update only")
    msg = fix.Message()
    msg.getHeader().setField(T.MSG_TYPE, M.ORDER_GROUP_REQUEST)
    msg.setField(T.ORDER_GROUP_ACTION, str(action))
    if group_id is not None:
        msg.setField(T.ORDER_GROUP_ID, group_id)
    if limit is not None:
        if limit % ONE_CONTRACT:
            raise ValueError(f"limit {limit} qty units is not a whole number of contracts")
        msg.setField(T.ORDER_GROUP_CONTRACTS_LIMIT, str(limit // ONE_CONTRACT))
    if subaccount:
        msg.setField(T.ALLOC_ACCOUNT, str(subaccount))
    if shard:
        msg.setField(T.EX_DESTINATION, str(shard))
    return msg


@dataclass(frozen=True, slots=True)
class GroupResponse:
    """One OrderGroupResponse (35=UOH)."""

    group_id: str
    limit: int | None  # qty units; only on Create / Update answers
    subaccount: int | None  # AllocAccount(79); None when the exchange omitted it (before v1.0.24)


def _int_field(msg: fix.Message, tag: int) -> int | None:
    if not msg.isSetField(tag):
        return None
    text = msg.getField(tag)
    try:
        return int(text)
    except ValueError:
        raise MessageParseError(M.ORDER_GROUP_RESPONSE, tag, text, "not an integer") from None


def parse_group_response(msg: fix.Message) -> GroupResponse:
    if not msg.isSetField(T.ORDER_GROUP_ID) or not msg.getField(T.ORDER_GROUP_ID):
        raise MessageParseError(M.ORDER_GROUP_RESPONSE, T.ORDER_GROUP_ID, None, "required tag missing")
    limit = _int_field(msg, T.ORDER_GROUP_CONTRACTS_LIMIT)
    return GroupResponse(msg.getField(T.ORDER_GROUP_ID), None if limit is None else limit * ONE_CONTRACT,
                         _int_field(msg, T.ALLOC_ACCOUNT))

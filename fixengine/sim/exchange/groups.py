"""Order groups (part2 §2): a contracts limit over a rolling 15-second window of matched contracts.

* Active -> Triggered when the rolling matched volume of the group's orders EXCEEDS the limit
  (strict ">", the concept page's wording; the fact sheet flags ">" vs ">=" UNCONFIRMED),
  on a manual Trigger, or when Update sets a limit below the current volume.
* Triggered: every resting order of the group is canceled (Text ORDER_GROUP_CANCEL) and new
  orders naming the group are rejected (EXCEEDED_ORDER_GROUP_RISK_LIMIT, 103=3) until Reset.
* Reset clears the state and the window; Delete cancels the resting orders and removes it.
* Groups belong to one user + subaccount + shard; a request with another subaccount or shard
  does not find it (ORDER_GROUP_NOT_FOUND). The fill that crosses the limit stands.
Maker and taker fills of member orders both count.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fixengine.sim.exchange.events import CancelReason
from fixengine.sim.exchange.orders import Order

WINDOW = timedelta(seconds=15)
#: FIX OrderGroupContractsLimit(20132) range, whole contracts.
MIN_LIMIT_CONTRACTS = 1
MAX_LIMIT_CONTRACTS = 1_000_000

CREATE, RESET, DELETE, TRIGGER, UPDATE = 1, 2, 3, 4, 5  # OrderGroupAction(20131)


@dataclass(slots=True)
class OrderGroup:
    group_id: str
    user_id: str
    subaccount: int
    shard: int
    limit: int  # qty units (0.01 contract)
    triggered: bool = False
    window: deque = field(default_factory=deque)  # (time, qty)
    order_ids: set = field(default_factory=set)

    def volume(self, now: datetime) -> int:
        while self.window and self.window[0][0] <= now - WINDOW:
            self.window.popleft()
        return sum(q for _, q in self.window)


@dataclass(frozen=True, slots=True)
class OrderGroupResponse:
    """OrderGroupResponse (35=UOH) for a successful action."""

    user_id: str
    action: int
    group_id: str
    contracts_limit: int | None  # qty units; echoed on Create / Update
    subaccount: int
    shard: int
    exec_id: str = ""
    key_id: str = ""


@dataclass(frozen=True, slots=True)
class OrderGroupRejected:
    """An order-group action refused (the gateway answers 35=j with this Text)."""

    user_id: str
    action: int
    group_id: str | None
    text: str
    exec_id: str = ""
    key_id: str = ""


class OrderGroupMixin:
    """Order-group state on the exchange (needs ExchangeState and TradingMixin)."""

    def _groups_init(self) -> None:
        self._groups: dict[str, OrderGroup] = {}

    # ------------------------------------------------------------------ hooks used by matching

    def _group_lookup(self, user_id: str, group_id: str | None, subaccount: int, shard: int) -> OrderGroup | None:
        group = self._groups.get(group_id or "")
        if group is None or group.user_id != user_id or group.subaccount != subaccount or group.shard != shard:
            return None
        return group

    def _group_blocks(self, order: Order) -> bool:
        """A remainder of an order whose group triggered meanwhile must not rest."""
        group = self._groups.get(order.order_group or "")
        return group is not None and group.triggered

    def _group_attach(self, order: Order) -> None:
        group = self._groups.get(order.order_group or "")
        if group is not None:
            group.order_ids.add(order.order_id)

    def _group_fill(self, order: Order, qty: int, now: datetime, events: list) -> None:
        group = self._groups.get(order.order_group or "")
        if group is None or group.triggered:
            return
        group.window.append((now, qty))
        if group.volume(now) > group.limit:
            self._group_trip(group, now, events)

    def _group_trip(self, group: OrderGroup, now: datetime, events: list) -> None:
        group.triggered = True
        self._group_cancel_all(group, now, events)

    def _group_cancel_all(self, group: OrderGroup, now: datetime, events: list) -> None:
        members = [self._orders[i] for i in group.order_ids if i in self._orders]
        for order in sorted((o for o in members if o.is_open and o.priority), key=lambda o: o.priority):
            self._cancel(order, now, "ORDER_GROUP_CANCEL", CancelReason.ORDER_GROUP, None, events)
        group.order_ids = {o.order_id for o in members if o.is_open}

    # ------------------------------------------------------------------ public actions

    def create_order_group(self, user_id: str, contracts_limit: int, subaccount: int = 0, shard: int = 0,
                           key_id: str = "") -> list:
        """Create a group; `contracts_limit` in qty units (whole contracts 1..1,000,000)."""
        with self._lock:
            now, events = self._begin()
            problem = (self._group_key_problem(user_id, key_id, subaccount)
                       or self._group_request_problem(user_id, subaccount, shard, contracts_limit))
            if problem:
                events.append(OrderGroupRejected(user_id, CREATE, None, problem, key_id=key_id))
                return events
            group = OrderGroup(self._ids.uuid(), user_id, subaccount, shard, contracts_limit)
            self._groups[group.group_id] = group
            events.append(OrderGroupResponse(user_id, CREATE, group.group_id, contracts_limit, subaccount, shard,
                                             key_id=key_id))
            return events

    def order_group_action(self, user_id: str, action: int, group_id: str, subaccount: int = 0, shard: int = 0,
                           contracts_limit: int | None = None, key_id: str = "") -> list:
        """Reset (2), Delete (3), Trigger (4) or Update (5) an existing group."""
        with self._lock:
            now, events = self._begin()
            group = self._group_lookup(user_id, group_id, subaccount, shard)
            if action not in (RESET, DELETE, TRIGGER, UPDATE):
                events.append(OrderGroupRejected(user_id, action, group_id, "INVALID_ORDER", key_id=key_id))
                return events
            problem = self._group_key_problem(user_id, key_id, subaccount)
            if problem:
                events.append(OrderGroupRejected(user_id, action, group_id, problem, key_id=key_id))
                return events
            if group is None:
                events.append(OrderGroupRejected(user_id, action, group_id, "ORDER_GROUP_NOT_FOUND", key_id=key_id))
                return events
            if action == UPDATE:
                problem = self._group_request_problem(user_id, subaccount, shard, contracts_limit)
                if problem:
                    events.append(OrderGroupRejected(user_id, action, group_id, problem, key_id=key_id))
                    return events
            echo = None
            response_at = len(events)
            if action == RESET:
                group.triggered = False
                group.window.clear()
            elif action == TRIGGER:
                self._group_trip(group, now, events)
            elif action == DELETE:
                self._group_cancel_all(group, now, events)
                del self._groups[group.group_id]
            else:
                group.limit = echo = contracts_limit
                if group.volume(now) > group.limit:
                    self._group_trip(group, now, events)
            # the response comes first, then the cancels it caused
            events.insert(response_at, OrderGroupResponse(user_id, action, group_id, echo, subaccount, shard,
                                                          key_id=key_id))
            return events

    def order_groups(self, user_id: str) -> list[dict]:
        with self._lock:
            now = self._now()
            return [
                {"order_group_id": g.group_id, "subaccount": g.subaccount, "exchange_index": g.shard,
                 "contracts_limit": g.limit, "is_auto_cancel_enabled": not g.triggered, "triggered": g.triggered,
                 "volume": g.volume(now),
                 "orders": sorted(i for i in g.order_ids if i in self._orders and self._orders[i].is_open)}
                for g in self._groups.values() if g.user_id == user_id
            ]

    def _group_key_problem(self, user_id: str, key_id: str, subaccount: int) -> str | None:
        """A key restricted to one subaccount acts on that subaccount's groups only, as for orders."""
        if self._key_subaccount(user_id, key_id) not in (None, subaccount):
            return "PERMISSION_DENIED_FOR_CUSTOMER_ACCOUNT"
        return None

    def _group_request_problem(self, user_id: str, subaccount: int, shard: int, limit: int | None) -> str | None:
        account = self._accounts.get(user_id)
        if account is None or subaccount not in account.subaccounts:
            return "CUSTOMER_ACCOUNT_NOT_FOUND"
        if shard not in (0, 1, 2, 3):
            return "INVALID_ORDER"
        if limit is None or limit % 100 or not MIN_LIMIT_CONTRACTS * 100 <= limit <= MAX_LIMIT_CONTRACTS * 100:
            return "INVALID_ORDER"
        return None

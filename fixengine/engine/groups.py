"""Order groups on the client (part 2 §2): create / reset / delete / trigger / update, and the
group state as this engine can know it.

    group = engine.groups.create(limit_contracts=50)       # 35=UOG 20131=1 20132=50
    engine.groups.wait(group)                               # until the UOH (or 35=j) answers
    order = engine.new_order(ticker, "buy_yes", "0.40", "10", order_group=group)   # 526=<id>
    engine.groups.reset(group)                              # after it triggered

What the exchange tells the client, and how it is read here:
* UOH answers a request but carries no request id and no action: it is matched to the oldest
  pending request for its 20130, else (a new id) to the oldest pending Create (part 2 §2.2).
* 35=j / 35=3 with 372=UOG name the request by RefSeqNum(45): the MsgSeqNum QuickFIX stamped on
  our UOG (read back from the sent message's header). A reject can arrive before `send` returns
  on this thread; it is then held until the sequence number is known.
* There is no message when a group triggers (§2.4). The client infers TRIGGERED from (a) an
  ExecutionReport 150=4 58=ORDER_GROUP_CANCEL for a member order of an active group, or (b) its
  own rolling count of member fills going over the limit (the only sign when nothing rests),
  counted like the exchange: maker and taker fills, strict ">" unless `trigger_at_limit`, none
  while triggered, zeroed by Reset, fills timed by their TransactTime. Fills of member orders
  placed by other sessions are invisible here, so the count is a lower bound.
* A new order into a group the client knows is TRIGGERED is refused locally (configurable with
  `refuse_when_triggered`): the exchange refuses it too (Text UNCONFIRMED, most likely
  EXCEEDED_ORDER_GROUP_RISK_LIMIT 103=3), and a local refusal costs no Write token. Orders into a
  DELETED group are always refused locally (the exchange would answer ORDER_GROUP_NOT_FOUND).
  An id this engine does not know goes to the exchange unchanged: it decides.
* Every answered change is journaled (GROUP records) and restored when an engine starts on the
  same journal. So is every request, before it is sent (a GROUP record keyed `uog-request:<n>`,
  rewritten with its MsgSeqNum once known, closed when answered or failed): after a restart on
  KalshiRT the resent UOH / 35=j still finds its request. A session without resend (KalshiNR, or
  KalshiRT logging on with 141=Y) fails what is unanswered at logout, or found pending at start.

Threading: state lives under the engine's lock; nothing is held while QuickFIX sends.
"""

from __future__ import annotations

import calendar
import itertools
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import TYPE_CHECKING

from fixengine.engine import journal as J
from fixengine.engine.events import Event, EventKind
from fixengine.errors import FixEngineError, UserInputError
from fixengine.fix import tags as T
from fixengine.pricing.units import ONE_CONTRACT, format_qty
from fixengine.session.kinds import order_entry, resets_on_logon, retransmits
from fixengine.session.records import BusinessReject
from fixengine.session.templates_groups import (ACTION_NAMES, CREATE, DELETE, RESET, TRIGGER, UPDATE,
                                                GroupResponse, group_request, parse_group_response)

if TYPE_CHECKING:
    from fixengine.engine.engine import Engine
    from fixengine.engine.orders import Order

ORDER_GROUP_CANCEL = "ORDER_GROUP_CANCEL"  # Text(58) of a cancel caused by a trigger or delete
MIN_LIMIT_CONTRACTS = 1
MAX_LIMIT_CONTRACTS = 1_000_000  # OrderGroupContractsLimit(20132) range on FIX
MAX_SUBACCOUNT = 63
MAX_SHARD = 3
WINDOW_S = 15.0
REQUEST_KEY = "uog-request:"  # GROUP journal records of requests in flight (group ids are UUIDs: no clash)


class GroupState(str, Enum):
    PENDING = "pending"  # Create sent, no answer yet (no id)
    ACTIVE = "active"
    TRIGGERED = "triggered"  # every resting member canceled; new orders refused until Reset
    DELETED = "deleted"
    REJECTED = "rejected"  # the Create was refused (or lost): there is no group


@dataclass(eq=False)
class OrderGroup:
    """A strategy's handle on one order group. Read it; change it through `engine.groups`."""

    limit: int  # qty units (0.01 contract); always a whole number of contracts
    subaccount: int = 0
    shard: int = 0  # exchange index (ExDestination 100)
    group_id: str | None = None  # server-generated; None until the Create is answered
    state: GroupState = GroupState.PENDING
    reason: str | None = None  # why REJECTED / TRIGGERED
    last_error: str | None = None  # the last refused request of this group
    in_flight: list[str] = field(default_factory=list)  # actions sent and not yet answered
    window_since: float = 0.0  # epoch s of the last Reset: earlier fills no longer count
    _fills: deque = field(default_factory=deque, repr=False)  # (epoch s, qty units) of member fills
    _owner: OrderGroups | None = field(default=None, repr=False)

    @property
    def limit_contracts(self) -> int:
        return self.limit // ONE_CONTRACT

    @property
    def busy(self) -> bool:
        """A request for this group is in flight."""
        return bool(self.in_flight)

    def matched(self, now: float | None = None) -> int:
        """Member contracts matched in the last 15 s as this client saw them (qty units)."""
        owner = self._owner
        if owner is None:
            return 0
        if now is None:
            now = owner.clock()
        horizon = max(now - owner.window_s, self.window_since)
        with owner._lock:  # QuickFIX's thread appends fills
            return sum(q for t, q in self._fills if t > horizon)

    def orders(self) -> list[Order]:
        """Every order this engine placed into the group (open or done), oldest first."""
        return [] if self._owner is None else self._owner.members(self)

    def open_orders(self) -> list[Order]:
        return [o for o in self.orders() if o.is_open]

    def __repr__(self) -> str:
        return (f"OrderGroup({self.group_id or '<pending>'}, {self.state.value}, limit={format_qty(self.limit)}, "
                f"subaccount={self.subaccount}, shard={self.shard})")


@dataclass(frozen=True, slots=True)
class OrderGroupChange:
    """`Event.report` of an ORDER_GROUP event: what changed and why."""

    group: OrderGroup | None  # None: a reject or answer that matched no request
    change: str  # created | reset | deleted | triggered | limit_updated | <action>_rejected | adopted | unsolicited
    previous: GroupState | None
    cause: object = None  # GroupResponse, BusinessReject, SessionReject, ExecReport or None


@dataclass(eq=False, slots=True)
class _Request:
    action: int
    group: OrderGroup
    limit: int | None
    seq: int | None = None  # MsgSeqNum of the sent UOG, once known
    key: str = ""  # its journal key (REQUEST_KEY + n)
    sending: bool = False  # inside send(): a reject citing an unknown seq may be about it


class OrderGroups:
    """The engine's order groups (`engine.groups`)."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time, window_s: float = WINDOW_S,
                 trigger_at_limit: bool = False, refuse_when_triggered: bool = True) -> None:
        self.engine = engine
        self.clock = clock  # epoch seconds; only for `matched()` queries (fills carry their own time)
        self.window_s = window_s
        self.trigger_at_limit = trigger_at_limit  # exchange rule ">" vs ">=" is UNCONFIRMED (§2.8)
        self.refuse_when_triggered = refuse_when_triggered
        self._lock = engine._lock
        self._by_id: dict[str, OrderGroup] = {}
        self._handles: list[OrderGroup] = []
        self._pending: deque[_Request] = deque()
        self._held_rejects: list = []  # 372=UOG rejects that arrived before their request's seq was known
        self._unrouted: list = []  # 372-less rejects seen (not consumed) while a request was inside send()
        self._request_ids = (f"{REQUEST_KEY}{secrets.token_hex(4)}-{n}" for n in itertools.count(1))
        self.queued: list[Event] = []  # events raised under the lock; the engine takes them
        self._restore(engine.recovery.groups)
        engine.add_message_handler("UOH", self._on_response)
        engine.add_reject_handler("UOG", self._on_reject)
        engine.tracker.fill_listeners.append(self._on_fill)
        engine.on_event(self._on_engine_event)

    # ------------------------------------------------------------------ queries
    def get(self, group_id: str) -> OrderGroup | None:
        return self._by_id.get(group_id)

    def all(self) -> list[OrderGroup]:
        """Every group handle of this engine (restored, created, adopted), oldest first."""
        with self._lock:
            return list(self._handles)

    def members(self, group: OrderGroup) -> list[Order]:
        if group.group_id is None:
            return []
        with self._lock:
            return [o for o in self.engine.tracker.orders.values() if o.order_group == group.group_id]

    def wait(self, group: OrderGroup, timeout: float = 5.0) -> bool:
        """Wait (or poll) until no request of `group` is in flight; False on timeout."""
        return self.engine.wait(lambda: not group.in_flight, timeout)

    # ------------------------------------------------------------------ requests
    def create(self, limit_contracts: object, subaccount: int = 0, shard: int = 0) -> OrderGroup:
        """Send a Create; the handle is PENDING until the UOH (ACTIVE, with its id) or a refusal."""
        limit = _parse_limit(limit_contracts)
        _check_range("subaccount", subaccount, MAX_SUBACCOUNT)
        _check_range("shard", shard, MAX_SHARD)
        group = OrderGroup(limit, subaccount, shard, _owner=self)
        self._send(CREATE, group, limit)
        return group

    def reset(self, group: OrderGroup | str) -> bool:
        """Triggered -> Active; the exchange zeroes the rolling matched count."""
        return self._send(RESET, self._known(group), None)

    def delete(self, group: OrderGroup | str) -> bool:
        """Cancel every resting member order and remove the group for good."""
        return self._send(DELETE, self._known(group), None)

    def trigger(self, group: OrderGroup | str) -> bool:
        """Cancel every resting member order now; new orders are refused until Reset."""
        return self._send(TRIGGER, self._known(group), None)

    def update(self, group: OrderGroup | str, limit_contracts: object) -> bool:
        """New limit; a limit below the rolling matched volume triggers the group."""
        return self._send(UPDATE, self._known(group), _parse_limit(limit_contracts))

    def adopt(self, group_id: str, limit_contracts: object = MAX_LIMIT_CONTRACTS, subaccount: int = 0,
              shard: int = 0) -> OrderGroup:
        """A handle for a group created elsewhere (another session, REST), assumed ACTIVE."""
        if not isinstance(group_id, str) or not group_id.strip():
            raise UserInputError(f"order group id {group_id!r}: expected the exchange's group id")
        _check_range("subaccount", subaccount, MAX_SUBACCOUNT)
        _check_range("shard", shard, MAX_SHARD)
        with self._lock:
            known = self._by_id.get(group_id)
            if known is not None:
                return known
            group = OrderGroup(_parse_limit(limit_contracts), subaccount, shard, group_id.strip(),
                               GroupState.ACTIVE, _owner=self)
            self._register(group)
            self._journal(group)
        return group

    def _known(self, group: OrderGroup | str) -> OrderGroup:
        if isinstance(group, OrderGroup):
            if group._owner is not self:
                raise UserInputError(f"{group!r} belongs to another engine")
            handle = group
        elif isinstance(group, str):
            handle = self._by_id.get(group)
            if handle is None:
                raise UserInputError(f"order group {group!r} is not known to this engine "
                                     "(engine.groups.adopt(id, ...) makes a handle for a group created elsewhere)")
        else:
            raise UserInputError(f"order group {group!r}: expected an OrderGroup handle or its id")
        if handle.group_id is None:
            raise UserInputError(f"{handle!r} has no id yet (Create {handle.state.value}): wait for ACTIVE")
        if handle.state is GroupState.DELETED:
            raise UserInputError(f"order group {handle.group_id} is deleted")
        return handle

    def _send(self, action: int, group: OrderGroup, limit: int | None) -> bool:
        """Send one UOG and queue it for correlation; False (and an event) when it could not go out."""
        if not order_entry(self.engine.kind):
            raise FixEngineError(f"order groups need a KalshiNR or KalshiRT session, not {self.engine.kind.value}")
        self.engine._take_token_or_raise()
        message = group_request(action, group.group_id, limit, group.subaccount, group.shard)
        request = _Request(action, group, limit, key=next(self._request_ids), sending=True)
        with self._lock:
            if action == CREATE:
                self._handles.append(group)
            self._pending.append(request)
            group.in_flight.append(ACTION_NAMES[action])
            self._journal_request(request)  # before sending: a restart must still know it is in flight
        if not self.engine.send_message(message):
            reason = f"SESSION_DOWN: {self.engine.session_cfg.target_comp_id} is not logged on; nothing was sent"
            with self._lock:
                request.sending = False
                events = self._fail(request, reason, None) + self._release_held_rejects()
            self.engine.publish(events)
            return False
        # QuickFIX stamped MsgSeqNum(34) on our message while sending: it is what 35=j/35=3 cite.
        seq = int(message.getHeader().getField(T.MSG_SEQ_NUM))
        with self._lock:
            request.seq, request.sending = seq, False  # together: a reject in between would match nothing
            if request in self._pending:  # not already answered by a reply racing this send
                self._journal_request(request)
            events = self._release_held_rejects()
        self.engine.publish(events)
        return True

    # ------------------------------------------------------------------ answers (QuickFIX thread)
    def _on_response(self, message) -> None:
        response = parse_group_response(message)
        with self._lock:
            request = self._match(response)
            events = self._unsolicited(response) if request is None else self._answered(request, response)
        self.engine.publish(events)

    def _match(self, response: GroupResponse) -> _Request | None:
        """Oldest pending request for this id; else (a new id) the oldest pending Create, preferring
        one whose limit and subaccount the answer echoes."""
        known = response.group_id in self._by_id
        creates = []
        for request in self._pending:
            if known and request.action != CREATE and request.group.group_id == response.group_id:
                return self._take(request)
            if not known and request.action == CREATE:
                creates.append(request)
        for request in creates:
            if (response.limit in (None, request.limit)
                    and response.subaccount in (None, request.group.subaccount)):
                return self._take(request)
        return self._take(creates[0]) if creates else None

    def _take(self, request: _Request) -> _Request:
        self._pending.remove(request)
        self.engine.journal.append(J.GROUP, request.key, {"group_id": request.key, "request": None})
        name = ACTION_NAMES[request.action]
        if name in request.group.in_flight:
            request.group.in_flight.remove(name)
        return request

    def _answered(self, request: _Request, response: GroupResponse) -> list[Event]:
        group = request.group
        previous = group.state
        if request.action == CREATE:
            group.group_id = response.group_id
            group.limit = response.limit if response.limit is not None else request.limit
            group.state, group.reason = GroupState.ACTIVE, None
            self._register(group)
            change = "created"
        elif request.action == RESET:
            group.state, group.reason = GroupState.ACTIVE, None
            group.window_since = self.clock()
            group._fills.clear()
            change = "reset"
        elif request.action == DELETE:
            group.state = GroupState.DELETED
            change = "deleted"
        elif request.action == TRIGGER:
            if group.state is not GroupState.TRIGGERED:
                group.state, group.reason = GroupState.TRIGGERED, "manual Trigger"
            change = "triggered"
        else:
            group.limit = response.limit if response.limit is not None else request.limit
            change = "limit_updated"
        self._journal(group)
        events = [self._event(group, change, previous, response, f"order group {group.group_id} {change}")]
        if request.action == UPDATE and group.state is GroupState.ACTIVE:
            events += self._check_volume(group, self.clock())
        return events

    def _unsolicited(self, response: GroupResponse) -> list[Event]:
        """A UOH matching no request (none is documented; e.g. an RT resend of an answer given
        before a restart): learn the group or its limit rather than drop it."""
        group = self._by_id.get(response.group_id)
        if group is None:
            group = OrderGroup(response.limit if response.limit is not None else MAX_LIMIT_CONTRACTS * ONE_CONTRACT,
                               response.subaccount or 0, 0, response.group_id, GroupState.ACTIVE, _owner=self)
            self._register(group)
            self._journal(group)
            return [self._event(group, "adopted", None, response,
                                f"order group {group.group_id}: UOH for no pending request, adopted as active")]
        if response.limit is not None and response.limit != group.limit:
            group.limit = response.limit
            self._journal(group)
        return [self._event(group, "unsolicited", group.state, response,
                            f"order group {group.group_id}: UOH for no pending request")]

    def _on_reject(self, reject) -> bool:
        """35=j / 35=3 naming a UOG (372=UOG): always consumed. Without 372 the engine offers it to
        every reject handler: taken only when its RefSeqNum(45) is one of our UOGs."""
        named = reject.ref_msg_type == "UOG"
        with self._lock:
            request = self._by_seq(reject.ref_seq_num)
            if request is None and any(r.sending for r in self._pending):
                # Its UOG may still be inside send(): wait for the seq. A 372-less one may as well be
                # about anything else, so the engine still handles it; kept only to match it later.
                (self._held_rejects if named else self._unrouted).append(reject)
                return named
            if request is None and not named:
                return False
            events = self._apply_reject(reject, request)
        self.engine.publish(events)
        return True

    def _by_seq(self, seq: int | None) -> _Request | None:
        if seq is None:
            return None
        return next((r for r in self._pending if r.seq == seq), None)

    def _apply_reject(self, reject, request: _Request | None) -> list[Event]:
        text = _reject_text(reject)
        if request is None:
            ref = getattr(reject, "ref_id", None)  # 379, when the exchange names the group
            request = next((r for r in self._pending if ref and r.group.group_id == ref), None)
        if request is None:
            return [self._event(None, "request_rejected", None, reject, f"order group request refused: {text}")]
        return self._fail(self._take(request), text, reject)

    def _release_held_rejects(self) -> list[Event]:
        events: list[Event] = []
        settled = not any(r.sending for r in self._pending)
        for reject in list(self._held_rejects):
            request = self._by_seq(reject.ref_seq_num)
            if request is not None or settled:
                self._held_rejects.remove(reject)
                events += self._apply_reject(reject, request)
        for reject in list(self._unrouted):
            request = self._by_seq(reject.ref_seq_num)
            if request is not None:
                events += self._apply_reject(reject, request)
            if request is not None or settled:
                self._unrouted.remove(reject)  # else the engine's own handling was all it needed
        return events

    def _fail(self, request: _Request, text: str, cause) -> list[Event]:
        if request in self._pending:
            self._take(request)
        group = request.group
        name = ACTION_NAMES[request.action]
        previous = group.state
        if request.action == CREATE:
            group.state, group.reason = GroupState.REJECTED, text
        group.last_error = f"{name}: {text}"
        return [self._event(group, f"{name}_rejected", previous, cause,
                            f"order group {group.group_id or '<new>'} {name} refused: {text}")]

    def _resends(self) -> bool:
        """KalshiRT resends what a disconnect lost - unless it logs on with ResetSeqNumFlag(141)=Y
        (`reset_on_logon: true`), which starts afresh: then, as on KalshiNR, nothing comes back."""
        engine = self.engine
        return retransmits(engine.kind) and not resets_on_logon(engine.kind, engine.session_cfg.reset_on_logon)

    def _on_engine_event(self, event: Event) -> None:
        """Without resend, what was unanswered at logout will never be answered."""
        if event.kind is not EventKind.SESSION or self._resends():
            return
        if not (event.text or "").startswith(("logout", "logon_refused")):
            return
        with self._lock:
            events = self._fail_pending("no answer before logout")
        self.engine.publish(events)

    def _fail_pending(self, when: str) -> list[Event]:
        events: list[Event] = []
        for request in list(self._pending):
            events += self._fail(request, f"SESSION_LOST: {when} on {self.engine.session_cfg.target_comp_id} "
                                 "(no resend); the exchange may or may not have applied it", None)
        return events

    # ------------------------------------------------------------------ inferring a trigger
    def _on_fill(self, order: Order, fill, report) -> None:
        """Tracker fill listener (engine lock held): count member fills, infer an auto-trigger."""
        group = self._by_id.get(order.order_group) if order.order_group else None
        if group is None or group.state is not GroupState.ACTIVE:
            return
        at = _epoch(fill.transact_time)
        at = self.clock() if at is None else at
        group._fills.append((at, fill.qty))
        horizon = at - self.window_s
        while group._fills and group._fills[0][0] <= horizon:
            group._fills.popleft()
        self.queued += self._check_volume(group, at)

    def _check_volume(self, group: OrderGroup, now: float) -> list[Event]:
        volume = group.matched(now)
        over = volume >= group.limit if self.trigger_at_limit else volume > group.limit
        if not over:
            return []
        why = (f"inferred: {format_qty(volume)} contracts matched in {self.window_s:g} s "
               f"> limit {format_qty(group.limit)}")
        return self._mark_triggered(group, why, None)

    def after_report(self, report) -> list[Event]:
        """Called by the engine (lock held) after a report whose Text is ORDER_GROUP_CANCEL, or when
        events are queued: returns the group events to deliver after the order's own."""
        events, self.queued = self.queued, []
        if report.text == ORDER_GROUP_CANCEL:
            order = self.engine.tracker.find(report.cl_ord_id, report.orig_cl_ord_id, report.order_id)
            group = self._by_id.get(order.order_group) if order is not None and order.order_group else None
            if group is not None and group.state is GroupState.ACTIVE and "delete" not in group.in_flight:
                events += self._mark_triggered(group, f"inferred: {ORDER_GROUP_CANCEL} of order {order.key}", report)
        return events

    def _mark_triggered(self, group: OrderGroup, why: str, cause) -> list[Event]:
        previous = group.state
        group.state, group.reason = GroupState.TRIGGERED, why
        self._journal(group)
        return [self._event(group, "triggered", previous, cause, f"order group {group.group_id} triggered ({why})")]

    # ------------------------------------------------------------------ orders into groups
    def admit(self, order_group: object, subaccount: object) -> tuple[str, str | None]:
        """For Engine.new_order: the group id to send in 526, and a local refusal reason or None."""
        if isinstance(order_group, OrderGroup):
            if order_group.group_id is None:
                raise UserInputError(f"{order_group!r} has no id yet (Create {order_group.state.value})")
            group = order_group
        elif isinstance(order_group, str) and order_group.strip():
            group = self._by_id.get(order_group.strip())
            if group is None:
                return order_group.strip(), None  # unknown here: the exchange decides
        else:
            raise UserInputError(f"order_group {order_group!r}: expected an OrderGroup handle or a group id")
        try:
            order_subaccount = int(subaccount)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            order_subaccount = None  # new_order reports the bad value itself
        if order_subaccount is not None and order_subaccount != group.subaccount:
            raise UserInputError(f"order group {group.group_id} belongs to subaccount {group.subaccount}, "
                                 f"the order to subaccount {order_subaccount}")
        if group.state is GroupState.DELETED:
            return group.group_id, f"ORDER_GROUP_DELETED: order group {group.group_id} was deleted"
        if group.state is GroupState.TRIGGERED and self.refuse_when_triggered:
            return group.group_id, (f"ORDER_GROUP_TRIGGERED: order group {group.group_id} is triggered "
                                    f"({group.reason}); reset it first")
        return group.group_id, None

    # ------------------------------------------------------------------ journal
    def _register(self, group: OrderGroup) -> None:
        self._by_id[group.group_id] = group
        if group not in self._handles:
            self._handles.append(group)

    def _journal_request(self, request: _Request) -> None:
        group = request.group
        self.engine.journal.append(J.GROUP, request.key, {"group_id": request.key, "request": {
            "action": request.action, "group_id": group.group_id, "limit": request.limit, "seq": request.seq,
            "group_limit": group.limit, "subaccount": group.subaccount, "shard": group.shard}})

    def _journal(self, group: OrderGroup) -> None:
        self.engine.journal.append(J.GROUP, group.group_id, {
            "group_id": group.group_id, "limit": group.limit, "subaccount": group.subaccount, "shard": group.shard,
            "state": group.state.value, "reason": group.reason, "window_since": group.window_since})

    def _restore(self, snapshots: dict[str, dict]) -> None:
        """Groups from the journal (last snapshot per id), then the requests still in flight; the
        rolling count is rebuilt from the restored member orders' fills."""
        now = self.clock()
        requests = []
        for key, data in snapshots.items():
            if "request" in data:
                requests.append((key, data["request"]))
                continue
            group = OrderGroup(data["limit"], data["subaccount"], data["shard"], data["group_id"],
                               GroupState(data["state"]), data.get("reason"),
                               window_since=data.get("window_since") or 0.0, _owner=self)
            self._register(group)
            if group.state is not GroupState.ACTIVE:
                continue
            for order in self.engine.tracker.orders.values():
                if order.order_group == group.group_id:
                    group._fills.extend((t, f.qty) for f in order.fills
                                        if (t := _epoch(f.transact_time)) is not None and t > now - self.window_s)
            group._fills = deque(sorted(group._fills))
        self._restore_requests(requests)

    def _restore_requests(self, requests: list[tuple[str, dict | None]]) -> None:
        """Requests journaled and never closed, in the order they were sent (a dict keeps the order
        of first insertion, and each request's first record precedes its sending). Without resend
        no answer will ever come: they fail at once."""
        for key, data in requests:
            if data is None:  # answered or failed
                continue
            if data["action"] == CREATE:
                group = OrderGroup(data["group_limit"], data["subaccount"], data["shard"], _owner=self)
                self._handles.append(group)
            else:
                group = self._by_id.get(data["group_id"])
                if group is None:
                    continue  # unreachable: a group's snapshot is journaled before any request names it
            self._pending.append(_Request(data["action"], group, data["limit"], data["seq"], key))
            group.in_flight.append(ACTION_NAMES[data["action"]])
        if self._pending and not self._resends():
            self.engine.publish(self._fail_pending("no answer before the engine stopped"))

    def _event(self, group: OrderGroup | None, change: str, previous: GroupState | None, cause,
               text: str) -> Event:
        return Event(EventKind.ORDER_GROUP, None, OrderGroupChange(group, change, previous, cause), text)


def _parse_limit(value: object) -> int:
    """Whole contracts (int, or text like "500" / "500.00") -> qty units."""
    if isinstance(value, bool) or isinstance(value, float):
        raise UserInputError(f"order group limit {value!r}: pass whole contracts as an int or text")
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise UserInputError(f"order group limit {value!r}: not a number") from None
        if number != number.to_integral_value():
            raise UserInputError(f"order group limit {value!r}: whole contracts only on FIX")
        value = int(number)
    if not isinstance(value, int):
        raise UserInputError(f"order group limit {value!r}: pass whole contracts as an int or text")
    if not MIN_LIMIT_CONTRACTS <= value <= MAX_LIMIT_CONTRACTS:
        raise UserInputError(f"order group limit {value} contracts must be {MIN_LIMIT_CONTRACTS}-{MAX_LIMIT_CONTRACTS:,}")
    return value * ONE_CONTRACT


def _check_range(name: str, value: object, highest: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= highest:
        raise UserInputError(f"{name} {value!r} must be an int 0-{highest}")


def _reject_text(reject) -> str:
    if isinstance(reject, BusinessReject):
        return reject.text or f"BusinessMessageReject 380={reject.reason}"
    return f"SESSION_REJECT 373={reject.reason}: {reject.text}"


def _epoch(stamp: str | None) -> float | None:
    """UTCTimestamp text YYYYMMDD-HH:MM:SS[.fff...] -> epoch seconds (None when absent/unreadable)."""
    if not stamp or len(stamp) < 17:
        return None
    try:
        whole = calendar.timegm((int(stamp[0:4]), int(stamp[4:6]), int(stamp[6:8]), int(stamp[9:11]),
                                 int(stamp[12:14]), int(stamp[15:17]), 0, 0, 0))
        fraction = float("0" + stamp[17:]) if len(stamp) > 18 and stamp[17] == "." else 0.0
    except ValueError:
        return None
    return whole + fraction

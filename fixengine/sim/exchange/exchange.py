"""The simulated Kalshi exchange: one object, one lock, deterministic given its clock.

Public API (stable; additive changes only):

    ex = Exchange.from_config(sim_config, clock=ManualClock(t0))
    events = ex.submit(NewOrder(...))          # -> list[Event]
    events = ex.cancel(CancelOrder(...))
    events = ex.replace(ReplaceOrder(...))
    events = ex.mass_cancel(MassCancel(...))
    events = ex.cancel_all_for_key(key_id)     # CancelOrdersOnDisconnect
    events = ex.cancel_all_for_user(user_id) / ex.cancel_all_for_session(session_id)
    events = ex.advance_time(now)              # Day/GTD expiry, scheduled market close
    events = ex.pause(symbol | None, kind="trading" | "exchange") / ex.resume(symbol | None)
    events = ex.open_market(symbol) / ex.close_market(symbol)
    events = ex.determine_market(symbol, result, price)
    events = ex.settle_market(symbol, result, price)
    events = ex.add_liquidity(user_id, symbol, side, price, qty, ...)   # admin helper
    events = ex.create_order_group(user_id, limit, ...) / ex.order_group_action(user_id, action, group_id, ...)
    ex.deposit(user_id, amount, subaccount)
    events = ex.create_rfq(CreateRfq) / ex.cancel_rfq(CancelRfq)            # RFQ creator (rfq.py)
    events = ex.quote(SubmitQuote) / ex.cancel_quote(CancelQuote) / ex.confirm_quote(ConfirmQuote)  # maker
    events = ex.accept_quote(AcceptQuote)      # 35=UA or 35=D+117; timers run from advance_time

Read-only queries: markets(), market(ticker), orderbook(ticker, depth), orders(user_id, ...),
order(order_id), positions(user_id, ...), balance(user_id, subaccount), fills(user_id, ...),
settlements(user_id, ...), history(user_id, since=, shard=), history_range(user_id, begin, end)
(drop copy), last_exec_id(shard), trades(symbol), order_groups(user_id), paused(),
user_for_key(key_id), account_info(user_id), rfqs(user_id), quotes(user_id).

Every public method takes the exchange's RLock, so the gateway's QuickFIX threads,
the REST face and admin commands can call it concurrently. Every event list is in
the order the events happened (see events.py for the contract with the gateway).
"""

from __future__ import annotations

import heapq
from datetime import datetime
from typing import Iterable

from fixengine.model import OrdStatus, Side, TimeInForce
from fixengine.sim.config import SimConfig, SimRfq
from fixengine.sim.exchange.accounts import Account
from fixengine.sim.exchange.admin import AdminMixin
from fixengine.sim.exchange.clock import Clock, day_order_expiry, system_clock
from fixengine.sim.exchange.events import CancelReason, CancelRejected, MassCancelReport, OrderRejected, OrderReplaced
from fixengine.sim.exchange.groups import OrderGroupMixin
from fixengine.sim.exchange.markets import Market
from fixengine.sim.exchange.orders import Order
from fixengine.sim.exchange.queries import QueriesMixin
from fixengine.sim.exchange.requests import CancelOrder, MassCancel, NewOrder, ReplaceOrder
from fixengine.sim.exchange.rfq import RfqMixin
from fixengine.sim.exchange.state import ExchangeState
from fixengine.sim.exchange.trading import TradingMixin
from fixengine.sim.exchange import validation as v

ADMIN_KEY = "admin"


class Exchange(TradingMixin, OrderGroupMixin, RfqMixin, AdminMixin, QueriesMixin, ExchangeState):
    """A deterministic, thread-safe Kalshi exchange core (markets, accounts, matching)."""

    def __init__(self, markets: Iterable[Market], accounts: Iterable[Account], *, clock: Clock = system_clock, id_seed: int = 0,
                 stp_scope: str = "user", mass_cancel_scope: str = "user",
                 exec_clock_base: int | None = None, rfq: SimRfq | None = None) -> None:
        ExchangeState.__init__(self, markets, accounts, clock=clock, id_seed=id_seed, stp_scope=stp_scope,
                               mass_cancel_scope=mass_cancel_scope, exec_clock_base=exec_clock_base)
        self._groups_init()
        self._rfq_init(rfq)

    @classmethod
    def from_config(cls, config: SimConfig, clock: Clock = system_clock, **options) -> Exchange:
        """Build from a fixengine.sim.config.SimConfig."""
        return cls(
            [Market.from_config(m) for m in config.markets],
            [Account.from_config(u) for u in config.users],
            clock=clock, id_seed=config.id_seed, rfq=config.rfq, **options,
        )

    # ------------------------------------------------------------------ NewOrderSingle

    def submit(self, req: NewOrder) -> list:
        """NewOrderSingle: [OrderRejected] or [OrderAccepted, fills..., cancel?]."""
        with self._lock:
            now, events = self._begin()
            self._enter(req, now, events)
            return events

    def _enter(self, req: NewOrder, now: datetime, events: list) -> Order | None:
        """Check, register and match a new order inside the current operation (submit, RFQ execution)."""
        refusal = self._new_order_refusal(req, now)
        if refusal is not None:
            events.append(OrderRejected(req, refusal.code, refusal.text, now))
            return None
        market = self._markets[req.symbol]
        order = self._new_order(req, market, now)
        if self._extra_reserve(order) > self._accounts[req.user_id].subaccounts[req.subaccount].available:
            events.append(OrderRejected(req, v.ORDER_EXCEEDS_LIMIT, "INSUFFICIENT_BALANCE", now))
            return None
        self._register(order)
        self._emit_accepted(order, now, events)
        self._match_incoming(order, market, now, events)
        return order

    def _new_order(self, req: NewOrder, market: Market, now: datetime) -> Order:
        expire = day_order_expiry(now) if req.tif is TimeInForce.DAY else req.expire_time
        return Order(
            order_id=self._ids.uuid(), cl_ord_id=req.cl_ord_id, user_id=req.user_id, key_id=req.key_id,
            session_id=req.session_id, subaccount=req.subaccount, symbol=req.symbol, side=req.side,
            price=req.price, order_qty=req.qty, original_qty=req.qty, leaves_qty=req.qty, tif=req.tif,
            expire_time=expire, shard=market.shard, created_time=now, updated_time=now,
            post_only=req.post_only, reduce_only=req.reduce_only, stp=req.stp,
            cancel_on_pause=req.cancel_on_pause, order_group=req.order_group, max_cost=req.max_cost,
        )

    def _new_order_refusal(self, req: NewOrder, now: datetime) -> v.Refusal | None:
        if v.clordid_problem(req.cl_ord_id):
            return v.Refusal(v.UNSUPPORTED_CHARACTERISTIC, "INVALID_ORDER")
        refusal = self._account_refusal(req.user_id, req.key_id, req.subaccount)
        if refusal is not None:
            return refusal
        market = self._markets.get(req.symbol)
        if market is None or (req.shard is not None and req.shard >= 0 and req.shard != market.shard):
            return v.Refusal(v.UNKNOWN_SYMBOL, "MARKET_NOT_FOUND")
        refusal = v.market_status_refusal(market, self._exchange_pause)
        if refusal is not None:
            return refusal
        if self._cl_ord_id_taken(req.user_id, req.cl_ord_id):
            return v.Refusal(v.DUPLICATE_ORDER, "ORDER_ALREADY_EXISTS")
        refusal = (v.qty_refusal(req.qty, market) or v.price_refusal(req.price, market)
                   or v.attribute_refusal(req, now))
        if refusal is not None:
            return refusal
        if req.order_group is not None:
            group = self._group_lookup(req.user_id, req.order_group, req.subaccount, market.shard)
            if group is None:
                return v.Refusal(v.UNSUPPORTED_CHARACTERISTIC, "ORDER_GROUP_NOT_FOUND")
            if group.triggered:
                return v.Refusal(v.ORDER_EXCEEDS_LIMIT, "EXCEEDED_ORDER_GROUP_RISK_LIMIT")
        return None

    def _cl_ord_id_taken(self, user_id: str, cl_ord_id: str) -> bool:
        """An open order has this ClOrdID, or an accepted RFQ quote holds it for its coming order."""
        key = (user_id, cl_ord_id)
        return key in self._open_by_cl or key in self._held_cl_ord_ids

    def _account_refusal(self, user_id: str, key_id: str, subaccount: int) -> v.Refusal | None:
        account = self._accounts.get(user_id)
        if account is None or subaccount not in account.subaccounts:
            return v.Refusal(v.UNKNOWN_ACCOUNT, "CUSTOMER_ACCOUNT_NOT_FOUND")
        key = account.keys.get(key_id)
        if key is not None and key.subaccount is not None and key.subaccount != subaccount:
            return v.Refusal(v.UNKNOWN_ACCOUNT, "PERMISSION_DENIED_FOR_CUSTOMER_ACCOUNT")
        return None

    # ------------------------------------------------------------------ OrderCancelRequest

    def cancel(self, req: CancelOrder) -> list:
        """OrderCancelRequest: [OrderCanceled] or [CancelRejected(response_to=1)]."""
        with self._lock:
            now, events = self._begin()
            order, refusal = self._find_target(req, response_to=1)
            if refusal is None and self._exchange_pause == "exchange":
                refusal = v.Refusal(v.CXL_OTHER, "EXCHANGE_PAUSED")
            if refusal is None and v.clordid_problem(req.cl_ord_id):
                refusal = v.Refusal(v.CXL_OTHER, "INVALID_ORDER")
            if refusal is not None:
                events.append(self._cancel_rejected(req, order, refusal, 1, now))
                return events
            self._rename(order, req.cl_ord_id)
            self._cancel(order, now, None, CancelReason.REQUEST, req.cl_ord_id, events)
            return events

    def _find_target(self, req: CancelOrder | ReplaceOrder, response_to: int) -> tuple[Order | None, v.Refusal | None]:
        """The open order a cancel/replace names, or the refusal (102 + Text)."""
        order = self._open_by_cl.get((req.user_id, req.orig_cl_ord_id))
        if order is None:
            done = self._last_by_cl.get((req.user_id, req.orig_cl_ord_id))
            if done is not None and done.status is OrdStatus.FILLED:
                # amend of a filled order: 102=2 (documented); cancel: 102=0 "too late to cancel"
                code = v.CXL_BROKER if response_to == 2 else v.CXL_TOO_LATE
                return done, v.Refusal(code, "CANNOT_UPDATE_FILLED_ORDER")
            return done, v.Refusal(v.CXL_UNKNOWN_ORDER, "NOT_FOUND")
        if req.order_id is not None and req.order_id != order.order_id:
            return None, v.Refusal(v.CXL_UNKNOWN_ORDER, "NOT_FOUND")
        if req.side is not order.side or req.symbol != order.symbol or req.subaccount != order.subaccount:
            return order, v.Refusal(v.CXL_UNKNOWN_ORDER, "ORDER_ATTRIBUTES_MISMATCH")
        if self._key_subaccount(req.user_id, req.key_id) not in (None, order.subaccount):
            return order, v.Refusal(v.CXL_UNKNOWN_ORDER, "PERMISSION_DENIED_FOR_CUSTOMER_ACCOUNT")
        return order, None

    def _key_subaccount(self, user_id: str, key_id: str) -> int | None:
        """The subaccount a restricted API key is limited to, or None for an unrestricted key."""
        account = self._accounts.get(user_id)
        key = account.keys.get(key_id) if account is not None else None
        return key.subaccount if key is not None else None

    def _cancel_rejected(self, req, order: Order | None, refusal: v.Refusal, response_to: int,
                         now: datetime) -> CancelRejected:
        status = order.status if order is not None else None
        order_id = order.order_id if order is not None else None
        return CancelRejected(req, status, refusal.code, refusal.text, response_to, now, order_id=order_id)

    # ------------------------------------------------------------------ OrderCancelReplaceRequest

    def replace(self, req: ReplaceOrder) -> list:
        """OrderCancelReplaceRequest: [OrderReplaced, fills...] / [OrderCanceled] / [CancelRejected(2)].

        Queue priority is kept for a size decrease or an expiry-only change and lost for a size
        increase or a price change. A new price that crosses the book trades like a new
        aggressive order (the remainder rests); with STP 1 a replace that would cross the
        user's own resting order is refused (102=18, SELF_CROSS_ATTEMPT; part1 §4.11).
        """
        with self._lock:
            now, events = self._begin()
            order, refusal = self._find_target(req, response_to=2)
            if refusal is None:
                refusal = self._replace_refusal(req, order, now)
            if refusal is not None:
                events.append(self._cancel_rejected(req, order, refusal, 2, now))
                return events
            if req.qty == order.cum_qty:
                self._rename(order, req.cl_ord_id)
                self._cancel(order, now, None, CancelReason.REPLACE_TO_CUM_QTY, req.cl_ord_id, events)
                return events
            self._apply_replace(req, order, now, events)
            return events

    def _replace_refusal(self, req: ReplaceOrder, order: Order, now: datetime) -> v.Refusal | None:
        market = self._markets[order.symbol]
        status = v.market_status_refusal(market, self._exchange_pause)
        if status is not None:
            return v.Refusal(v.CXL_OTHER, status.text)
        if v.clordid_problem(req.cl_ord_id):
            return v.Refusal(v.CXL_OTHER, "INVALID_ORDER")
        if self._cl_ord_id_taken(req.user_id, req.cl_ord_id):
            # the new ClOrdID must not be any open order's, the target's own current id included
            return v.Refusal(v.CXL_BROKER, "ORDER_ALREADY_EXISTS")
        if req.qty < order.cum_qty:
            return v.Refusal(v.CXL_BROKER, "INVALID_AMEND_QTY_FOR_ORDER")
        if v.qty_refusal(req.qty, market) is not None:
            return v.Refusal(v.CXL_OTHER, "INVALID_ORDER")
        if req.price is not None and v.price_refusal(req.price, market) is not None:
            return v.Refusal(v.CXL_OTHER, "INVALID_ORDER")
        if self._new_expiry(req, order, now) is None:
            return v.Refusal(v.CXL_OTHER, "INVALID_ORDER")
        if req.qty == order.cum_qty:
            return None
        price = order.price if req.price is None else req.price
        if order.stp == 1 and self._would_self_cross(order, price):
            return v.Refusal(v.CXL_INVALID_PRICE_INCREMENT, "SELF_CROSS_ATTEMPT")
        trial = Order(**{name: getattr(order, name) for name in ("order_id", "user_id", "subaccount", "symbol",
                                                                    "side", "priority")})
        trial.price, trial.leaves_qty, trial.status = price, req.qty - order.cum_qty, order.status
        if self._extra_reserve(trial, replacing=order) > self._accounts[order.user_id].subaccounts[
                order.subaccount].available:
            return v.Refusal(v.CXL_BROKER, "INSUFFICIENT_BALANCE")
        return None

    def _new_expiry(self, req: ReplaceOrder, order: Order,
                    now: datetime) -> tuple[TimeInForce, datetime | None] | None:
        """(tif, expire_time) after the replace, or None when the 59/126 combination is invalid."""
        if req.tif is None and req.expire_time is None:
            return order.tif, order.expire_time  # Kalshi: omitting both keeps the current expiry
        if req.tif is TimeInForce.DAY and req.expire_time is None:
            return TimeInForce.GTD, day_order_expiry(now)  # stored as an explicit deadline
        if req.tif is TimeInForce.GTC and req.expire_time is None:
            return TimeInForce.GTC, None
        if req.tif is TimeInForce.GTD and req.expire_time is not None and req.expire_time > now:
            return TimeInForce.GTD, req.expire_time
        return None

    def _would_self_cross(self, order: Order, price: int) -> bool:
        book = self._markets[order.symbol].book
        for _, level in book.crossing_levels(order.side, price):
            if any(self._is_self(order, resting) for resting in level.values() if resting is not order):
                return True
        return False

    def _apply_replace(self, req: ReplaceOrder, order: Order, now: datetime, events: list) -> None:
        market = self._markets[order.symbol]
        tif, expire = self._new_expiry(req, order, now)
        new_price = order.price if req.price is None else req.price
        prev_cl = order.cl_ord_id
        lose_priority = new_price != order.price or req.qty > order.order_qty
        expiry_changed = expire != order.expire_time
        market.book.remove(order)
        self._unindex(order)
        self._rename(order, req.cl_ord_id)
        order.price, order.order_qty, order.leaves_qty = new_price, req.qty, req.qty - order.cum_qty
        order.tif = TimeInForce.GTD if expire is not None else TimeInForce.GTC
        order.expire_time = expire
        order.updated_time = now
        self._open_by_cl[(order.user_id, order.cl_ord_id)] = order
        view = order.view(self._seq.next(order.shard), now)
        self._record(OrderReplaced(view, prev_cl, lose_priority), events)
        if lose_priority:
            order.priority = 0  # in flight, not resting: it gets a new place if it rests again
            self._match_incoming(order, market, now, events, tif=TimeInForce.GTC)
            return
        # same place in the queue: put it back at its old priority
        self._rest_in_place(order, market, expiry_changed)

    def _rest_in_place(self, order: Order, market: Market, expiry_changed: bool) -> None:
        level = market.book.bids if order.side is Side.BUY else market.book.asks
        queue = level.setdefault(order.price, {})
        items = list(queue.items()) + [(order.order_id, order)]
        items.sort(key=lambda kv: kv[1].priority)
        queue.clear()
        queue.update(items)
        self._bucket(order).add(order)
        self._refresh_reserve(order.user_id, order.subaccount, order.symbol)
        if expiry_changed and order.expire_time is not None:
            order.expiry_version += 1
            heapq.heappush(self._expiries, (order.expire_time, order.priority, order.expiry_version, order.order_id))
        elif expiry_changed:
            order.expiry_version += 1

    # ------------------------------------------------------------------ mass cancel and disconnects

    def mass_cancel(self, req: MassCancel) -> list:
        """OrderMassCancelRequest: [MassCancelReport, OrderCanceled...] (scope: see state.MASS_CANCEL_SCOPES)."""
        with self._lock:
            now, events = self._begin()
            if self._exchange_pause == "exchange" or req.user_id not in self._accounts:
                text = "EXCHANGE_PAUSED" if req.user_id in self._accounts else "CUSTOMER_ACCOUNT_NOT_FOUND"
                events.append(MassCancelReport(req, self._ids.uuid(), 0, now, accepted=False, reject_text=text))
                return events
            scope = self.mass_cancel_scope
            only_sub = self._key_subaccount(req.user_id, req.key_id)  # a restricted key sees one subaccount
            targets = self._open_orders(lambda o: o.user_id == req.user_id and (
                scope == "user" or (scope == "key" and o.key_id == req.key_id)
                or (scope == "session" and o.session_id == req.session_id))
                and (only_sub is None or o.subaccount == only_sub))
            events.append(MassCancelReport(req, self._ids.uuid(), len(targets), now))
            for order in targets:
                self._cancel(order, now, None, CancelReason.MASS_CANCEL, req.cl_ord_id, events)
            return events

    def cancel_all_for_key(self, key_id: str, reason: CancelReason = CancelReason.DISCONNECT) -> list:
        """CancelOrdersOnDisconnect: cancel every open order entered with this API key (all shards)."""
        return self._cancel_open(lambda o: o.key_id == key_id, reason)

    def cancel_all_for_session(self, session_id: str, reason: CancelReason = CancelReason.DISCONNECT) -> list:
        return self._cancel_open(lambda o: o.session_id == session_id, reason)

    def cancel_all_for_user(self, user_id: str, reason: CancelReason = CancelReason.DISCONNECT) -> list:
        return self._cancel_open(lambda o: o.user_id == user_id, reason)

    def _cancel_open(self, predicate, reason: CancelReason) -> list:
        """Cancel every open order matching `predicate` (no Text, no request ClOrdID) in one event batch."""
        with self._lock:
            now, events = self._begin()
            for order in self._open_orders(predicate):
                self._cancel(order, now, None, reason, None, events)
            return events

    # ------------------------------------------------------------------ admin helpers

    def add_liquidity(self, user_id: str, symbol: str, side: Side, price: int, qty: int, *,
                      cl_ord_id: str | None = None, subaccount: int = 0, tif: TimeInForce = TimeInForce.GTC,
                      key_id: str = ADMIN_KEY) -> list:
        """Rest (or trade) a GTC order for another account, e.g. a simulated market maker."""
        with self._lock:
            cl = cl_ord_id or f"liq-{self._ids.uuid()}"
            return self.submit(NewOrder(key_id=key_id, user_id=user_id, cl_ord_id=cl, symbol=symbol, side=side,
                                        price=price, qty=qty, tif=tif, subaccount=subaccount, session_id="admin"))

    def user_for_key(self, key_id: str) -> str | None:
        """The user owning an API key (the gateway resolves SenderCompID with this)."""
        with self._lock:
            return self._key_owner.get(key_id)

    def account_info(self, user_id: str):
        """The Account record (tier, entitlement, keys, subaccounts) - read it, do not mutate it."""
        with self._lock:
            return self._accounts.get(user_id)

"""Matching: an incoming (or re-priced) order against the book, and the bookkeeping of a trade.

Rules (part1 §4.1-4.4):
* one YES book per market; price-time priority; trades print at the RESTING order's price;
  LastPx is the YES price whatever the side;
* post-only that would cross anything (own orders included) -> canceled POST_ONLY_CROSS;
* reduce-only (IOC) may only shrink the existing position: nothing to reduce -> REDUCE_ONLY,
  the part beyond the position -> REDUCE_ONLY cancel;
* FOK: the whole size must be fillable now (after STP and MaxExecutionCost) or nothing trades;
* STP 1 (taker at cross): reaching an own resting order stops the incoming order, its
  remainder is canceled TAKER_CANCEL_FOR_SELF_TRADE_PREVENTION (earlier fills stand);
  STP 2 (maker): the own resting order is canceled MAKER_CANCEL_FOR_SELF_TRADE_PREVENTION
  and matching goes on;
* order groups: when a fill trips the incoming order's own group, that fill stands and the
  order stops trading; its remainder is canceled ORDER_GROUP_CANCEL (part2 §2.7);
* MaxExecutionCost (UNCONFIRMED details, chosen here): cost = YES price per contract for
  bids, NO price for offers, fees EXCLUDED. Matching stops before the cumulative cost would
  exceed the cap (partial fills within the cap stand) and the remainder is canceled; a
  remainder that would rest is canceled too unless filling all of it at its limit still fits
  the cap. The cap cancel carries Text IMMEDIATE_OR_CANCELLED (no dedicated Kalshi Text is
  documented) and reason MAX_COST.
"""

from __future__ import annotations

from datetime import datetime

from fixengine.model import Side, TimeInForce
from fixengine.pricing import ONE_CONTRACT, ONE_DOLLAR
from fixengine.sim.exchange.clock import clearing_date
from fixengine.sim.exchange.events import CancelReason, Fill, OrderFilled
from fixengine.sim.exchange.fees import charge_fill
from fixengine.sim.exchange.markets import Market
from fixengine.sim.exchange.orders import Order, effective_tif, unit_cost
from fixengine.sim.exchange.requests import STP_MAKER

TEXT_IOC = "IMMEDIATE_OR_CANCELLED"
TEXT_FOK = "FOK_INSUFFICIENT_VOLUME"
TEXT_POST_ONLY = "POST_ONLY_CROSS"
TEXT_REDUCE_ONLY = "REDUCE_ONLY"
TEXT_STP_TAKER = "TAKER_CANCEL_FOR_SELF_TRADE_PREVENTION"
TEXT_STP_MAKER = "MAKER_CANCEL_FOR_SELF_TRADE_PREVENTION"
TEXT_MAX_COST = TEXT_IOC
TEXT_ORDER_GROUP = "ORDER_GROUP_CANCEL"


class TradingMixin:
    """Matching and trade bookkeeping; mixed into Exchange on top of ExchangeState."""

    # ------------------------------------------------------------------ incoming orders

    def _match_incoming(self, order: Order, market: Market, now: datetime, events: list,
                        tif: TimeInForce | None = None) -> None:
        """Match a new (or re-priced) order, then cancel or rest what is left."""
        book = market.book
        tif = tif or effective_tif(order.tif, order.expire_time, now)
        if order.post_only and book.would_cross(order.side, order.price):
            self._cancel(order, now, TEXT_POST_ONLY, CancelReason.POST_ONLY, None, events)
            return
        cap = order.leaves_qty
        capped_by_position = False
        if order.reduce_only:
            held = self._accounts[order.user_id].held(order.subaccount, order.symbol)
            reducible = max(-held, 0) if order.side is Side.BUY else max(held, 0)
            if reducible <= 0:
                self._cancel(order, now, TEXT_REDUCE_ONLY, CancelReason.REDUCE_ONLY, None, events)
                return
            if reducible < cap:
                cap, capped_by_position = reducible, True
        if tif is TimeInForce.FOK and self._fillable(order, market, cap) < order.leaves_qty:
            self._cancel(order, now, TEXT_FOK, CancelReason.FOK, None, events)
            return
        start_cum = order.cum_qty
        stop = self._sweep(order, market, cap, now, events)
        if not order.is_open:
            return
        if stop is not None:
            self._cancel(order, now, stop[0], stop[1], None, events)
        elif capped_by_position and order.cum_qty - start_cum >= cap:
            self._cancel(order, now, TEXT_REDUCE_ONLY, CancelReason.REDUCE_ONLY, None, events)
        elif tif is TimeInForce.IOC:
            self._cancel(order, now, TEXT_IOC, CancelReason.IOC, None, events)
        elif tif is TimeInForce.FOK:
            self._cancel(order, now, TEXT_FOK, CancelReason.FOK, None, events)
        elif self._group_blocks(order):
            self._cancel(order, now, TEXT_ORDER_GROUP, CancelReason.ORDER_GROUP, None, events)
        elif order.max_cost is not None and (
            order.execution_cost() + order.unit_cost() * order.leaves_qty > order.max_cost
        ):
            self._cancel(order, now, TEXT_MAX_COST, CancelReason.MAX_COST, None, events)
        else:
            self._rest(order)
            self._group_attach(order)

    def _affordable(self, order: Order, market: Market, price: int, spent: int) -> int | None:
        """Qty the MaxExecutionCost cap still allows at `price`, or None without a cap."""
        if order.max_cost is None:
            return None
        unit = unit_cost(order.side, price)
        qty = (order.max_cost - spent) // unit
        if not market.fractional:
            qty -= qty % ONE_CONTRACT
        return max(qty, 0)

    def _sweep(self, order: Order, market: Market, cap: int, now: datetime,
               events: list) -> tuple[str, CancelReason] | None:
        """Trade against crossing levels up to `cap`; return a stop reason that cancels the rest."""
        filled = 0
        for price, level in market.book.crossing_levels(order.side, order.price):
            for resting in list(level.values()):
                if filled >= cap or not order.is_open:
                    return None
                if self._group_blocks(order):  # its own fill tripped its group: that fill stands, no more
                    return TEXT_ORDER_GROUP, CancelReason.ORDER_GROUP
                if not resting.is_open:
                    continue
                if self._is_self(order, resting):
                    if order.stp == STP_MAKER:
                        self._cancel(resting, now, TEXT_STP_MAKER, CancelReason.STP_MAKER, None, events)
                        continue
                    return TEXT_STP_TAKER, CancelReason.STP_TAKER
                qty = min(cap - filled, resting.leaves_qty)
                afford = self._affordable(order, market, price, order.execution_cost())
                if afford is not None and afford < qty:
                    if afford > 0:
                        self._trade(market, order, resting, price, afford, now, events)
                    return TEXT_MAX_COST, CancelReason.MAX_COST
                self._trade(market, order, resting, price, qty, now, events)
                filled += qty
        return None

    def _fillable(self, order: Order, market: Market, cap: int) -> int:
        """Qty a FOK order could fill right now, honouring STP and MaxExecutionCost (no side effects)."""
        total = 0
        spent = order.execution_cost()
        for price, level in market.book.crossing_levels(order.side, order.price):
            for resting in level.values():
                if total >= cap:
                    return total
                if self._is_self(order, resting):
                    if order.stp == STP_MAKER:
                        continue
                    return total
                qty = min(cap - total, resting.leaves_qty)
                afford = self._affordable(order, market, price, spent)
                if afford is not None and afford < qty:
                    return total + afford
                total += qty
                spent += unit_cost(order.side, price) * qty
        return min(total, cap)

    # ------------------------------------------------------------------ trades

    def _trade(self, market: Market, taker: Order, maker: Order, price: int, qty: int, now: datetime,
               events: list) -> None:
        """One match at the maker's price: two fills (taker first), book and stats updated."""
        trade_id = self._ids.uuid()
        self._book_fill(market, taker, price, qty, True, trade_id, now, events)
        self._book_fill(market, maker, price, qty, False, trade_id, now, events)
        if maker.leaves_qty == 0:
            market.book.remove(maker)
        else:
            self._bucket(maker).touch(maker)  # its leaves shrank: re-count its reservation
        self._refresh_reserve(maker.user_id, maker.subaccount, maker.symbol)
        self._refresh_reserve(taker.user_id, taker.subaccount, taker.symbol)
        market.last_price = price
        market.volume += qty
        market.updated_time = now
        self._trades.append((trade_id, market.ticker, price, qty, taker.side is Side.BUY, now))
        self._group_fill(taker, qty, now, events)
        self._group_fill(maker, qty, now, events)

    def _book_fill(self, market: Market, order: Order, price: int, qty: int, is_taker: bool, trade_id: str,
                   now: datetime, events: list) -> None:
        """Cash, fees, netted position and order state for one side of a trade; emits OrderFilled."""
        account = self._accounts[order.user_id]
        pos = account.position(order.subaccount, order.symbol, market.shard)
        unit = unit_cost(order.side, price)
        opposite_held = pos.short_qty if order.side is Side.BUY else pos.long_qty
        closing = min(qty, opposite_held)
        collateral_return = ONE_DOLLAR * closing  # each closed YES/NO pair pays $1 at once
        revenue = collateral_return - unit * qty
        fee = market.fees.trade_fee(price, qty, is_taker)
        charge = charge_fill(revenue, fee, account.precision, order.fee_accumulator)
        order.fee_accumulator = charge.accumulator
        account.subaccounts[order.subaccount].cash += charge.balance_change
        long_before = pos.long_qty
        if closing:
            removed = pos.cost if closing == opposite_held else pos.cost * closing // opposite_held
            pos.cost -= removed
            pos.realized_pnl += collateral_return - unit * closing - removed
        pos.qty += qty if order.side is Side.BUY else -qty
        pos.cost += unit * (qty - closing)
        pos.fees_paid += charge.net_fee
        pos.total_traded += unit * qty
        pos.updated_time = now
        market.open_interest += pos.long_qty - long_before
        order.apply_fill(price, qty, now)
        if order.leaves_qty == 0:
            self._unindex(order)  # done: its ClOrdID is free again
        order.fees_paid += charge.net_fee
        if is_taker:
            order.taker_fees += charge.net_fee
            order.taker_fill_cost += unit * qty
        else:
            order.maker_fees += charge.net_fee
            order.maker_fill_cost += unit * qty
        exec_id = self._seq.next(order.shard)
        fill = Fill(
            exec_id=exec_id, trade_id=trade_id, order_id=order.order_id, user_id=order.user_id,
            subaccount=order.subaccount, symbol=order.symbol, side=order.side, price=price, qty=qty,
            fee=charge.net_fee, aggressor=is_taker, long_qty=pos.long_qty, short_qty=pos.short_qty,
            collateral_change=charge.balance_change, collateral_return=collateral_return,
            clearing_date=clearing_date(now), shard=order.shard, time=now,
        )
        self._fills[order.user_id].append(fill)
        self._record(OrderFilled(order.view(exec_id, now), fill), events)

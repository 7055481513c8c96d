"""The exchange's mutable order record and its immutable snapshot (events.OrderView)."""

from __future__ import annotations

from datetime import datetime

from fixengine.model import OrdStatus, Side, TimeInForce
from fixengine.pricing import ONE_DOLLAR
from fixengine.sim.exchange.events import OrderView


def unit_cost(side: Side, yes_price: int) -> int:
    """Price paid per contract: the YES price for a bid, the NO price (1 - p) for an offer."""
    return yes_price if side is Side.BUY else ONE_DOLLAR - yes_price


class Order:
    """One order as the matching engine holds it."""

    __slots__ = (
        "order_id", "cl_ord_id", "orig_cl_ord_id", "user_id", "key_id", "session_id", "subaccount",
        "symbol", "side", "price", "order_qty", "original_qty", "cum_qty", "leaves_qty", "cum_cost",
        "tif", "expire_time", "shard", "status", "created_time", "updated_time", "post_only",
        "reduce_only", "stp", "cancel_on_pause", "order_group", "max_cost", "fee_accumulator",
        "fees_paid", "maker_fees", "taker_fees", "maker_fill_cost", "taker_fill_cost", "priority",
        "expiry_version", "exec_id", "reserved",
    )

    def __init__(self, **fields) -> None:
        self.orig_cl_ord_id = None
        self.cum_qty = 0
        self.cum_cost = 0
        self.status = OrdStatus.NEW
        self.fee_accumulator = 0
        self.fees_paid = 0
        self.maker_fees = 0
        self.taker_fees = 0
        self.maker_fill_cost = 0
        self.taker_fill_cost = 0
        self.priority = 0
        self.expiry_version = 0
        self.exec_id = ""
        self.reserved = (0, 0)  # (price cost, fee reserve) counted in its ReserveBucket
        for name, value in fields.items():
            setattr(self, name, value)

    # ----------------------------------------------------------------- state

    @property
    def is_open(self) -> bool:
        return self.leaves_qty > 0 and self.status in (OrdStatus.NEW, OrdStatus.PARTIALLY_FILLED)

    def unit_cost(self, yes_price: int | None = None) -> int:
        return unit_cost(self.side, self.price if yes_price is None else yes_price)

    def apply_fill(self, price: int, qty: int, now: datetime) -> None:
        self.cum_qty += qty
        self.leaves_qty -= qty
        self.cum_cost += price * qty
        self.status = OrdStatus.FILLED if self.leaves_qty == 0 else OrdStatus.PARTIALLY_FILLED
        self.updated_time = now

    def close(self, now: datetime) -> None:
        """Cancel whatever is left: OrderQty shrinks to CumQty (Kalshi default reporting)."""
        self.leaves_qty = 0
        self.order_qty = self.cum_qty
        self.status = OrdStatus.CANCELED
        self.updated_time = now

    def execution_cost(self) -> int:
        """Money spent on fills so far: YES price for bids, NO price for offers (MaxExecutionCost basis)."""
        if self.side is Side.BUY:
            return self.cum_cost
        return ONE_DOLLAR * self.cum_qty - self.cum_cost

    def view(self, exec_id: str, now: datetime) -> OrderView:
        self.exec_id = exec_id
        return OrderView(
            order_id=self.order_id, cl_ord_id=self.cl_ord_id, orig_cl_ord_id=self.orig_cl_ord_id,
            user_id=self.user_id, key_id=self.key_id, session_id=self.session_id, subaccount=self.subaccount,
            symbol=self.symbol, side=self.side, price=self.price, order_qty=self.order_qty,
            original_qty=self.original_qty, cum_qty=self.cum_qty, leaves_qty=self.leaves_qty,
            cum_cost=self.cum_cost, tif=self.tif, expire_time=self.expire_time, shard=self.shard,
            status=self.status, exec_id=exec_id, transact_time=now, created_time=self.created_time,
            post_only=self.post_only, reduce_only=self.reduce_only, stp=self.stp,
            cancel_on_pause=self.cancel_on_pause, order_group=self.order_group, max_cost=self.max_cost,
            fees_paid=self.fees_paid, maker_fees=self.maker_fees, taker_fees=self.taker_fees,
            maker_fill_cost=self.maker_fill_cost, taker_fill_cost=self.taker_fill_cost,
        )


def effective_tif(tif: TimeInForce, expire_time: datetime | None, now: datetime) -> TimeInForce:
    """GTD whose ExpireTime is already past on arrival is handled as IOC (part1 §4.2)."""
    if tif is TimeInForce.GTD and expire_time is not None and expire_time <= now:
        return TimeInForce.IOC
    return tif

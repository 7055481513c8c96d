"""Order-book facade methods that both books share; each book supplies the storage hooks.

Hooks: `_kernel_add`, `_raw(slot)`, `queue_ahead(slot)`, `own_levels(ticker, side)`.
"""

from __future__ import annotations

from fixengine.book.feed import _op
from fixengine.book.layout import (
    CODE_SIDE, CODE_TIF, E_CAPACITY, OK, OP_REPLACE, OP_STATE, ST_PENDING_NEW, STATE_STATUS, STATUS_STATE, TIF_CODES,
    side_code,
)
from fixengine.book.views import OrderView
from fixengine.model import OrdStatus, Side, TimeInForce


_GTC = TIF_CODES[TimeInForce.GTC]


class OrderBookMixin:
    def add(self, ticker: str, side: Side, price: int, qty: int, *, cl_ord_id: str | None = None,
            order_id: str | None = None, subaccount: int = 0, tif: TimeInForce = TimeInForce.GTC,
            group: str | None = None, status: OrdStatus = OrdStatus.PENDING_NEW) -> int:
        """Track an order the engine is sending (or one known otherwise). Returns its slot, 0 on error."""
        book = self._book
        slot = book._alloc_slot()
        if not slot:
            book.errors.record(E_CAPACITY, f"add {ticker} ClOrdID {cl_ord_id}")
            return 0
        tif_code = _GTC if tif is TimeInForce.GTC else TIF_CODES[tif]
        state = ST_PENDING_NEW if status is OrdStatus.PENDING_NEW else STATUS_STATE.get(status, -1)
        code = self._kernel_add(slot, book._ids.get(ticker, -1), subaccount, side_code(side), price, qty, tif_code,
                                book._group_code(group) if group else 0, state)
        if code != OK:
            book.errors.record(code, f"add {ticker} {side} price {price} qty {qty} ClOrdID {cl_ord_id}")
            book._release_slot(slot)
            return 0
        if order_id or cl_ord_id:
            book._index(slot, order_id=order_id, cl_ord_id=cl_ord_id)
        return slot

    def replace(self, slot: int, *, price: int | None = None, qty: int, open_qty: int | None = None,
                cl_ord_id: str | None = None) -> int:
        """New total OrderQty `qty` (filled included) and optionally a new price; LeavesQty defaults to
        qty - filled. Returns the number of operations applied (1 or 0)."""
        if open_qty is None:
            raw = self._raw(slot)
            open_qty = qty - raw[6] if raw else qty
        row = _op(OP_REPLACE, slot=slot, price=-1 if price is None else price, qty=qty, open_=open_qty)
        return self._book._apply([row], [(OP_REPLACE, slot, f"replace slot {slot}", cl_ord_id, None)])

    def set_status(self, slot: int, status: OrdStatus) -> int:
        """Mark a working order pending new / new / pending cancel / pending replace."""
        row = _op(OP_STATE, slot=slot, state=STATUS_STATE.get(status, -1))
        return self._book._apply([row], [(OP_STATE, slot, f"status slot {slot} {status}", None, None)])

    def find(self, *, order_id: str | None = None, cl_ord_id: str | None = None) -> int | None:
        return self._book.find(order_id=order_id, cl_ord_id=cl_ord_id)

    def get(self, slot: int) -> OrderView | None:
        raw = self._raw(slot)
        if raw is None:
            return None
        m, sub, side, price, orig, open_, filled, tif, group, state, fill_cost = raw
        book = self._book
        return OrderView(slot, book._tickers[m], sub, CODE_SIDE[side], price, orig, open_, filled, CODE_TIF[tif],
                         book._group_names[group] or None, STATE_STATUS[state], self.queue_ahead(slot), fill_cost)

    @property
    def working_count(self) -> int:
        return self._book.working_count

    def would_self_cross(self, ticker: str, side: Side, price: int) -> bool:
        """Would an order at YES `price` trade against one of our own resting orders?"""
        if side == Side.BUY:
            return any(p <= price for p, _ in self.own_levels(ticker, Side.SELL))
        return any(p >= price for p, _ in self.own_levels(ticker, Side.BUY))

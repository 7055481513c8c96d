"""Pure-Python reference book on sortedcontainers, with the numba book's API.

Written for clarity, not speed: depth is a SortedDict per side, orders and
positions are dicts of small lists. It validates inputs in the same order and
returns the same status codes as the kernels, so the differential property
tests can demand identical snapshots.
"""

from __future__ import annotations

import numpy as np
from sortedcontainers import SortedDict

from fixengine.book.feed import BookBase
from fixengine.book.layout import (
    BUY, C_FEE, C_FILLED, C_GROUP, C_MARKET, C_OP, C_OPEN, C_PRICE, C_QTY, C_SIDE, C_SLOT, C_STATE, C_SUB, C_TIF,
    E_BAD_OP, E_BAD_PRICE, E_BAD_SIZE, E_BAD_SUBACCOUNT, E_CAPACITY, E_NEGATIVE_LEVEL, E_OFF_GRID,
    E_OVERFILL, E_SLOT_IN_USE, E_UNKNOWN_MARKET, E_UNKNOWN_ORDER, NO, OK, OK_CLOSED, ONE_DOLLAR, OP_ADD,
    OP_CANCEL, OP_FILL, OP_POS_FILL, OP_REPLACE, OP_SETTLE, OP_STATE, SELL, SIDE_NAMES, ST_NEW, ST_PARTIAL,
    ST_PENDING_NEW, ST_PENDING_REPLACE, TIF_CODES, YES, side_code,
)
from fixengine.book.orders import OrderBookMixin
from fixengine.book.snapshot import SnapshotMixin
from fixengine.book.views import PositionView, TopOfBookMixin, Walk
from fixengine.model import TimeInForce

_SIDES = SIDE_NAMES
_GTC = TIF_CODES[TimeInForce.GTC]
# order record fields
MARKET, SUB, SIDE, PRICE, ORIG, OPEN, FILLED, TIF, GROUP, STATE, AHEAD0, FILL_COST, GONE0 = range(13)
# position record fields (same order as layout.P_*)
YES_QTY, NO_QTY, YES_COST, NO_COST, REALIZED, FEES, PAYOUT, VOLUME = range(8)


class _Market:
    __slots__ = ("grid", "yes", "no", "own_buy", "own_sell", "gone", "depth_known", "settled")

    def __init__(self, grid) -> None:
        self.grid = grid
        self.yes: SortedDict = SortedDict()  # YES price -> size
        self.no: SortedDict = SortedDict()  # NO price -> size
        self.own_buy: dict[int, int] = {}  # YES price -> own open qty
        self.own_sell: dict[int, int] = {}
        self.gone = ({}, {})  # per side: price -> total size ever removed from the level
        self.depth_known = False
        self.settled: int | None = None


def _bump(levels: dict, price: int, delta: int) -> None:
    new = levels.get(price, 0) + delta
    if new:
        levels[price] = new
    else:
        levels.pop(price, None)


class ReferenceBook(SnapshotMixin, BookBase):
    def __init__(self, *, max_markets: int = 5_000, max_orders: int = 1_000_000, max_subaccounts: int = 64,
                 default_grid=None, auto_add_markets: bool = True, adopt_unknown_orders: bool = True,
                 party_subaccount=None) -> None:
        super().__init__(max_markets=max_markets, max_orders=max_orders, max_subaccounts=max_subaccounts,
                         default_grid=default_grid, auto_add_markets=auto_add_markets,
                         adopt_unknown_orders=adopt_unknown_orders, party_subaccount=party_subaccount)
        self._m: list[_Market] = []
        self._orders: dict[int, list[int]] = {}
        self._pos: dict[int, list[int]] = {}  # cell (m * S + sub, totals at max_markets * S + sub) -> fields
        self.depth = ReferenceDepthBook(self)
        self.orders = ReferenceOrderBook(self)
        self.positions = ReferencePositionBook(self)

    def _install_market(self, m: int, grid) -> None:
        self._m.append(_Market(grid))

    def _market(self, m: int) -> _Market | None:
        return self._m[m] if 0 <= m < len(self._m) else None

    def _held(self, m: int, sub: int) -> tuple[int, int] | None:
        if not 0 <= sub < self.max_subaccounts:
            return None
        row = self._pos.get(m * self.max_subaccounts + sub)
        return (row[YES_QTY], row[NO_QTY]) if row else (0, 0)

    # ------------------------------------------------------------------ depth primitives
    def _depth_update(self, m: int, side: int, price: int, qty: int, absolute: bool) -> int:
        mk = self._market(m)
        if mk is None:
            return E_UNKNOWN_MARKET
        if side not in (YES, NO):
            return E_BAD_OP
        if not 0 < price < ONE_DOLLAR or not mk.grid.is_on_grid(price if side == YES else ONE_DOLLAR - price):
            return E_OFF_GRID
        book = mk.yes if side == YES else mk.no
        if absolute:
            if qty < 0:
                return E_BAD_SIZE
            new = qty
        else:
            new = book.get(price, 0) + qty
            if new < 0:
                return E_NEGATIVE_LEVEL
        self._set_level(mk, side, price, new)
        mk.depth_known = True
        return OK

    @staticmethod
    def _set_level(mk: _Market, side: int, price: int, new: int) -> None:
        book = mk.yes if side == YES else mk.no
        old = book.get(price, 0)
        if new < old:
            _bump(mk.gone[side], price, old - new)
        if new:
            book[price] = new
        else:
            book.pop(price, None)

    def _top(self, m: int) -> tuple[int, int, int, int]:
        mk = self._market(m)
        if mk is None:
            return -1, 0, -1, 0
        bid, bid_qty = mk.yes.peekitem(-1) if mk.yes else (-1, 0)
        ask, ask_qty = -1, 0
        if mk.no:
            no_price, ask_qty = mk.no.peekitem(-1)
            ask = ONE_DOLLAR - no_price
        return bid, bid_qty, ask, ask_qty

    # ------------------------------------------------------------------ order and position primitives
    @staticmethod
    def _level_of_order(side: int, price: int) -> tuple[int, int]:
        """(depth side, that side's price) of the level an order of `side` at YES `price` rests in."""
        return (YES, price) if side == BUY else (NO, ONE_DOLLAR - price)

    def _join_queue(self, mk: _Market, order: list[int]) -> None:
        depth_side, px = self._level_of_order(order[SIDE], order[PRICE])
        published = (mk.yes if depth_side == YES else mk.no).get(px, 0)
        order[AHEAD0] = published if mk.depth_known else -1
        order[GONE0] = mk.gone[depth_side].get(px, 0)

    @staticmethod
    def _own(mk: _Market, side: int) -> dict[int, int]:
        return mk.own_buy if side == BUY else mk.own_sell

    def _order_add(self, slot, m, sub, side, price, orig, open_, filled, tif, group, state) -> int:
        if not 1 <= slot <= self.max_orders or slot in self._orders:
            return E_SLOT_IN_USE
        mk = self._market(m)
        if mk is None:
            return E_UNKNOWN_MARKET
        if not 0 <= sub < self.max_subaccounts:
            return E_BAD_SUBACCOUNT
        if side not in (BUY, SELL) or not ST_PENDING_NEW <= state <= ST_PENDING_REPLACE:
            return E_BAD_OP
        if orig <= 0 or open_ <= 0 or filled < 0 or open_ + filled > orig:
            return E_BAD_SIZE
        if not 0 < price < ONE_DOLLAR or not mk.grid.is_on_grid(price):
            return E_OFF_GRID
        _bump(self._own(mk, side), price, open_)
        order = self._orders[slot] = [m, sub, side, price, orig, open_, filled, tif, group, state, -1, 0, 0]
        self._join_queue(mk, order)
        return OK

    def _close(self, slot: int) -> int:
        order = self._orders.pop(slot)
        _bump(self._own(self._m[order[MARKET]], order[SIDE]), order[PRICE], -order[OPEN])
        return OK_CLOSED

    def _pos_check(self, m, sub, side, price, qty) -> int:
        if self._market(m) is None:
            return E_UNKNOWN_MARKET
        if not 0 <= sub < self.max_subaccounts:
            return E_BAD_SUBACCOUNT
        if side not in (BUY, SELL):
            return E_BAD_OP
        if qty <= 0:
            return E_BAD_SIZE
        if not 0 < price < ONE_DOLLAR:
            return E_BAD_PRICE
        return OK

    def _cells(self, m: int, sub: int) -> tuple[list[int], list[int]]:
        n = self.max_subaccounts
        return (self._pos.setdefault(m * n + sub, [0] * 8), self._pos.setdefault(self.max_markets * n + sub, [0] * 8))

    def _pos_apply(self, m, sub, side, price, qty, fee) -> None:
        cell, total = self._cells(m, sub)

        def add(field: int, delta: int) -> None:
            cell[field] += delta
            total[field] += delta

        if side == BUY:  # buy YES at price: first sell NO held at 1 - price
            close_q, close_c, open_q, open_c = NO_QTY, NO_COST, YES_QTY, YES_COST
            close_px, open_px = ONE_DOLLAR - price, price
        else:  # buy NO at 1 - price: first sell YES held at price
            close_q, close_c, open_q, open_c = YES_QTY, YES_COST, NO_QTY, NO_COST
            close_px, open_px = price, ONE_DOLLAR - price
        held = cell[close_q]
        closing = min(qty, held)
        if closing:
            removed = cell[close_c] * closing // held
            add(close_q, -closing)
            add(close_c, -removed)
            add(REALIZED, closing * close_px - removed)
        if qty > closing:
            add(open_q, qty - closing)
            add(open_c, (qty - closing) * open_px)
        add(FEES, fee)
        add(VOLUME, qty)

    def _pos_fill(self, m, sub, side, price, qty, fee) -> int:
        code = self._pos_check(m, sub, side, price, qty)
        if code == OK:
            self._pos_apply(m, sub, side, price, qty, fee)
        return code

    def _order_fill(self, slot, qty, price, fee) -> int:
        order = self._orders.get(slot)
        if order is None:
            return E_UNKNOWN_ORDER
        if qty <= 0:
            return E_BAD_SIZE
        if qty > order[OPEN]:
            return E_OVERFILL
        code = self._pos_check(order[MARKET], order[SUB], order[SIDE], price, qty)
        if code != OK:
            return code
        self._pos_apply(order[MARKET], order[SUB], order[SIDE], price, qty, fee)
        _bump(self._own(self._m[order[MARKET]], order[SIDE]), order[PRICE], -qty)
        order[OPEN] -= qty
        order[FILLED] += qty
        order[FILL_COST] += qty * price
        if order[AHEAD0] > 0:
            order[AHEAD0] = 0
        if order[OPEN] == 0:
            del self._orders[slot]
            return OK_CLOSED
        if order[STATE] in (ST_NEW, ST_PENDING_NEW):
            order[STATE] = ST_PARTIAL
        return OK

    def _order_replace(self, slot, price, orig, open_) -> int:
        order = self._orders.get(slot)
        if order is None:
            return E_UNKNOWN_ORDER
        mk = self._m[order[MARKET]]
        if price < 0:
            price = order[PRICE]
        if not 0 < price < ONE_DOLLAR or not mk.grid.is_on_grid(price):
            return E_OFF_GRID
        if orig <= 0 or open_ < 0 or open_ + order[FILLED] > orig:
            return E_BAD_SIZE
        loses_priority = price != order[PRICE] or open_ > order[OPEN]
        own = self._own(mk, order[SIDE])
        _bump(own, order[PRICE], -order[OPEN])
        order[ORIG], order[OPEN], order[PRICE] = orig, open_, price
        if open_ == 0:
            del self._orders[slot]
            return OK_CLOSED
        _bump(own, price, open_)
        if loses_priority:
            self._join_queue(mk, order)
        order[STATE] = ST_PARTIAL if order[FILLED] > 0 else ST_NEW
        return OK

    def _order_state(self, slot, state) -> int:
        order = self._orders.get(slot)
        if order is None:
            return E_UNKNOWN_ORDER
        if not ST_PENDING_NEW <= state <= ST_PENDING_REPLACE:
            return E_BAD_OP
        if state in (ST_NEW, ST_PENDING_NEW) and order[FILLED] > 0:
            state = ST_PARTIAL
        order[STATE] = state
        return OK

    def _settle(self, m, sub, yes_value, payout, fee) -> int:
        mk = self._market(m)
        if mk is None:
            return E_UNKNOWN_MARKET
        if not 0 <= sub < self.max_subaccounts:
            return E_BAD_SUBACCOUNT
        if not 0 <= yes_value <= ONE_DOLLAR:
            return E_BAD_PRICE
        cell, total = self._cells(m, sub)
        value = cell[YES_QTY] * yes_value + cell[NO_QTY] * (ONE_DOLLAR - yes_value)
        deltas = {REALIZED: value - cell[YES_COST] - cell[NO_COST], PAYOUT: payout, FEES: fee}
        for field in (YES_QTY, NO_QTY, YES_COST, NO_COST):
            deltas[field] = -cell[field]
        for field, delta in deltas.items():
            cell[field] += delta
            total[field] += delta
        mk.settled = yes_value
        return OK

    def _run_ops(self, ops: np.ndarray) -> np.ndarray:
        status = np.zeros(ops.shape[1], dtype=np.int64)
        for i, row in enumerate(ops.T.tolist()):
            kind = row[C_OP]
            if kind == OP_ADD:
                code = self._order_add(row[C_SLOT], row[C_MARKET], row[C_SUB], row[C_SIDE], row[C_PRICE], row[C_QTY],
                                       row[C_OPEN], row[C_FILLED], row[C_TIF], row[C_GROUP], row[C_STATE])
            elif kind == OP_FILL:
                code = self._order_fill(row[C_SLOT], row[C_QTY], row[C_PRICE], row[C_FEE])
            elif kind == OP_POS_FILL:
                code = self._pos_fill(row[C_MARKET], row[C_SUB], row[C_SIDE], row[C_PRICE], row[C_QTY], row[C_FEE])
            elif kind == OP_CANCEL:
                code = self._close(row[C_SLOT]) if row[C_SLOT] in self._orders else E_UNKNOWN_ORDER
            elif kind == OP_REPLACE:
                code = self._order_replace(row[C_SLOT], row[C_PRICE], row[C_QTY], row[C_OPEN])
            elif kind == OP_STATE:
                code = self._order_state(row[C_SLOT], row[C_STATE])
            elif kind == OP_SETTLE:
                code = self._settle(row[C_MARKET], row[C_SUB], row[C_PRICE], row[C_OPEN], row[C_FEE])
            else:
                code = E_BAD_OP
            status[i] = code
        return status

    # ------------------------------------------------------------------ snapshot accessors
    def _settlement(self, m: int) -> int | None:
        return self._m[m].settled

    def _working_slots(self) -> list[int]:
        return sorted(self._orders)

    def _pos_row(self, cell: int) -> tuple[int, ...]:
        return tuple(self._pos.get(cell, (0,) * 8))

    def _nonzero_cells(self) -> dict[int, tuple[int, ...]]:
        return {cell: tuple(row) for cell, row in sorted(self._pos.items()) if any(row)}


class ReferenceDepthBook(TopOfBookMixin):
    def __init__(self, book: ReferenceBook) -> None:
        self._book = book

    def _m(self, ticker: str) -> int:
        return self._book._ids.get(ticker, -1)

    def _record(self, code: int, what: str) -> int:
        if code != OK:
            self._book.errors.record(code, what)
        return code

    def load_snapshot(self, ticker: str, yes, no) -> int:
        book = self._book
        mk = book._market(self._m(ticker))
        if mk is None:
            self._record(E_UNKNOWN_MARKET, f"snapshot {ticker}")
            return 1
        new: tuple[dict, dict] = ({}, {})
        bad = 0
        for side, entries in ((YES, yes), (NO, no)):
            for price, qty in entries:
                if not 0 < price < ONE_DOLLAR or not mk.grid.is_on_grid(price if side == YES else ONE_DOLLAR - price):
                    code = E_OFF_GRID
                elif qty < 0:
                    code = E_BAD_SIZE
                else:
                    new[side][price] = qty
                    continue
                bad += 1
                self._record(code, f"snapshot {ticker} {'yes' if side == YES else 'no'} {price} {qty}")
        for side, levels in ((YES, mk.yes), (NO, mk.no)):
            for price in set(levels) | set(new[side]):
                book._set_level(mk, side, price, new[side].get(price, 0))
        mk.depth_known = True
        return bad

    def apply_delta(self, ticker: str, side: str, price: int, delta: int) -> int:
        code = self._book._depth_update(self._m(ticker), _SIDES.get(side, -1), price, delta, False)
        return self._record(code, f"delta {ticker} {side} {price} {delta}")

    def set_level(self, ticker: str, side: str, price: int, qty: int) -> int:
        code = self._book._depth_update(self._m(ticker), _SIDES.get(side, -1), price, qty, True)
        return self._record(code, f"set {ticker} {side} {price} {qty}")

    def apply_batch(self, markets, sides, prices, qtys, absolute: bool = False) -> int:
        applied = 0
        rows = zip(markets.tolist(), sides.tolist(), prices.tolist(), qtys.tolist())
        for i, (m, side, price, qty) in enumerate(rows):
            code = self._book._depth_update(m, side, price, qty, absolute)
            if code == OK:
                applied += 1
            else:
                self._record(code, f"batch row {i}: market {m} side {side} price {price} qty {qty}")
        return applied

    def top(self, ticker: str) -> tuple[int, int, int, int]:
        return self._book._top(self._m(ticker))

    def size_at(self, ticker: str, side: str, price: int) -> int:
        mk = self._book._market(self._m(ticker))
        if mk is None or side not in _SIDES:
            return 0
        return (mk.yes if side == "yes" else mk.no).get(price, 0)

    def cost_to_buy(self, ticker: str, side: str, qty: int) -> Walk:
        mk = self._book._market(self._m(ticker))
        if mk is None or qty <= 0 or side not in _SIDES:
            return Walk(0, 0, None)
        # buying YES lifts NO bids (highest NO price = cheapest YES); buying NO lifts YES bids
        opposite = mk.no if side == "yes" else mk.yes
        left, cost, worst = qty, 0, None
        for bid_price in reversed(opposite.keys()):
            if left == 0:
                break
            take = min(left, opposite[bid_price])
            worst = ONE_DOLLAR - bid_price
            cost += take * worst
            left -= take
        return Walk(qty - left, cost, worst)

    def top_batch(self, markets) -> np.ndarray:
        return np.asarray([self._book._top(m) for m in markets.tolist()], dtype=np.int64).reshape(-1, 4)

    def cost_batch(self, markets, sides, qtys) -> np.ndarray:
        tickers = self._book._tickers
        rows = []
        for m, side, qty in zip(markets.tolist(), sides.tolist(), qtys.tolist()):
            name = tickers[m] if 0 <= m < len(tickers) else ""
            walk = self.cost_to_buy(name, "yes" if side == YES else "no" if side == NO else "?", qty)
            rows.append((walk.filled_qty, walk.cost, -1 if walk.worst_price is None else walk.worst_price))
        return np.asarray(rows, dtype=np.int64).reshape(-1, 3)

    def levels(self, ticker: str, side: str) -> list[tuple[int, int]]:
        mk = self._book._market(self._m(ticker))
        if mk is None:
            return []
        return list((mk.yes if side == "yes" else mk.no).items())


class ReferenceOrderBook(OrderBookMixin):
    def __init__(self, book: ReferenceBook) -> None:
        self._book = book

    def _kernel_add(self, slot, m, sub, side, price, qty, tif, group, state) -> int:
        return self._book._order_add(slot, m, sub, side, price, qty, qty, 0, tif, group, state)

    def _done(self, slot: int, code: int, what: str) -> int:
        if code == OK_CLOSED:
            self._book._release_slot(slot)
        elif code != OK:
            self._book.errors.record(code, what)
        return code

    def fill(self, slot: int, qty: int, price: int | None = None, fee: int = 0) -> int:
        if price is None:
            order = self._book._orders.get(slot)
            price = order[PRICE] if order else 0
        code = self._book._order_fill(slot, qty, price, fee)
        return self._done(slot, code, f"fill slot {slot} qty {qty} price {price}")

    def cancel(self, slot: int) -> int:
        code = self._book._close(slot) if slot in self._book._orders else E_UNKNOWN_ORDER
        return self._done(slot, code, f"cancel slot {slot}")

    def queue_ahead(self, slot: int) -> int | None:
        order = self._book._orders.get(slot)
        if order is None or order[AHEAD0] < 0:
            return None
        mk = self._book._m[order[MARKET]]
        depth_side, px = self._book._level_of_order(order[SIDE], order[PRICE])
        published = (mk.yes if depth_side == YES else mk.no).get(px, 0)
        gone = mk.gone[depth_side].get(px, 0) - order[GONE0]
        others = max(0, published - self._own_levels_dict(mk, order[SIDE]).get(order[PRICE], 0))
        return min(max(0, order[AHEAD0] - gone), others)

    @staticmethod
    def _own_levels_dict(mk: _Market, side: int) -> dict[int, int]:
        return mk.own_buy if side == BUY else mk.own_sell

    def _raw(self, slot: int):
        order = self._book._orders.get(slot)
        if order is None:
            return None
        return tuple(order[:AHEAD0]) + (order[FILL_COST],)

    def open_qty_at(self, ticker: str, side, price: int) -> int:
        mk = self._book._market(self._book._ids.get(ticker, -1))
        return 0 if mk is None else self._own_levels_dict(mk, side_code(side)).get(price, 0)

    def own_levels(self, ticker: str, side) -> list[tuple[int, int]]:
        mk = self._book._market(self._book._ids.get(ticker, -1))
        if mk is None:
            return []
        return sorted(self._own_levels_dict(mk, side_code(side)).items())

    def add_batch(self, markets, sides, prices, qtys, subaccount: int = 0) -> np.ndarray:
        slots = []
        for m, side, price, qty in zip(markets.tolist(), sides.tolist(), prices.tolist(), qtys.tolist()):
            slot = self._book._alloc_slot()
            code = E_CAPACITY
            if slot:
                code = self._book._order_add(slot, m, subaccount, side, price, qty, qty, 0, _GTC, 0, ST_PENDING_NEW)
            if code != OK:
                self._book.errors.record(code, f"add batch slot {slot}")
                if slot:
                    self._book._release_slot(slot)
                slot = 0
            slots.append(slot)
        return np.asarray(slots, dtype=np.int64)

    def fill_batch(self, slots, qtys, prices, fees=None) -> int:
        fees = fees.tolist() if fees is not None else [0] * len(slots)
        done = [self.fill(s, q, p, f) for s, q, p, f in zip(slots.tolist(), qtys.tolist(), prices.tolist(), fees)]
        return sum(code in (OK, OK_CLOSED) for code in done)

    def cancel_batch(self, slots) -> int:
        return sum(self.cancel(s) == OK_CLOSED for s in slots.tolist())


class ReferencePositionBook:
    def __init__(self, book: ReferenceBook) -> None:
        self._book = book
        self.apply_exec_report = book.apply_exec_report
        self.apply_exec_reports = book.apply_exec_reports
        self.apply_settlement = book.apply_settlement

    def apply_fill(self, ticker: str, side, price: int, qty: int, *, fee: int = 0, subaccount: int = 0) -> int:
        code = self._book._pos_fill(self._book._ids.get(ticker, -1), subaccount, side_code(side), price, qty, fee)
        if code:
            self._book.errors.record(code, f"position fill {ticker} {side} {price} {qty}")
        return code

    def apply_fills(self, markets, sides, prices, qtys, fees=None, subaccounts=None) -> int:
        n = len(markets)
        fees = fees.tolist() if fees is not None else [0] * n
        subs = subaccounts.tolist() if subaccounts is not None else [0] * n
        applied = 0
        for i, row in enumerate(zip(markets.tolist(), subs, sides.tolist(), prices.tolist(), qtys.tolist(), fees)):
            code = self._book._pos_fill(*row)
            if code:
                self._book.errors.record(code, f"position batch row {i}")
            else:
                applied += 1
        return applied

    def position(self, ticker: str, subaccount: int = 0) -> PositionView:
        m = self._book._ids.get(ticker)
        if m is None or not 0 <= subaccount < self._book.max_subaccounts:
            return PositionView(ticker, subaccount, 0, 0, 0, 0, 0, 0, 0, 0)
        return PositionView(ticker, subaccount, *self._book._pos_row(m * self._book.max_subaccounts + subaccount))

    def subaccount_totals(self, subaccount: int = 0) -> PositionView:
        book = self._book
        return PositionView(None, subaccount, *book._pos_row(book.max_markets * book.max_subaccounts + subaccount))

    def account_totals(self) -> PositionView:
        book = self._book
        start = book.max_markets * book.max_subaccounts
        rows = [book._pos_row(start + s) for s in range(book.max_subaccounts)]
        return PositionView(None, None, *(sum(col) for col in zip(*rows)))

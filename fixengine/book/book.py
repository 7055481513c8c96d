"""The numba book: preallocated NumPy struct-of-arrays state and its three facades.

Layout of the arrays: fixengine.book.layout. Sizing and semantics: the package
docstring (fixengine.book). The facades translate names (ticker, Side, "yes")
to integer codes, call one kernel, and record any error status in the book's
ErrorLog; they hold no state of their own.
"""

from __future__ import annotations

import numpy as np

from fixengine.book import kernels_depth as kd
from fixengine.book import kernels_orders as ko
from fixengine.book.feed import BookBase
from fixengine.book.grid import grid_runs
from fixengine.book.layout import (
    BUY, C_FEE, C_MARKET, C_OP, C_OPEN, C_PRICE, C_QTY, C_SIDE, C_SLOT, C_STATE, C_SUB, C_TIF, E_CAPACITY,
    E_UNKNOWN_MARKET, LEVEL_ROWS, MKT_FIELDS, M_ACTIVE, M_BEST_NO, M_BEST_YES, M_NLEVELS, M_NRUNS, M_NSUBS,
    M_OFFSET, M_RUN0, M_SETTLED, M_SETTLE_VALUE, NO, O32_ROWS, O64_ROWS, OK, OK_CLOSED, OP_ADD, OP_CANCEL, OP_COLS,
    OP_FILL, OP_POS_FILL, O_GROUP, O_MARKET, O_PRICE, O_SIDE, O_STATE, O_SUB, O_TIF, POS_FIELDS, Q_FILLED,
    Q_FILL_COST, Q_OPEN, Q_ORIG, ROW_NO_BID, ROW_OWN_BUY, ROW_OWN_SELL, ROW_YES_BID, RUN_FIELDS, SIDE_NAMES, ST_FREE,
    ST_PENDING_NEW, TIF_CODES, YES, side_code,
)
from fixengine.book.orders import OrderBookMixin
from fixengine.book.snapshot import SnapshotMixin
from fixengine.book.views import PositionView, TopOfBookMixin, Walk
from fixengine.errors import UserInputError
from fixengine.model import TimeInForce

CENTI_CENT_LEVELS = 9_999
SPARE_FINE_GRIDS = 64


class Book(SnapshotMixin, BookBase):
    """Own orders, positions and depth for many markets, updated by numba kernels."""

    def __init__(self, *, max_markets: int = 5_000, max_orders: int = 1_000_000, max_subaccounts: int = 64,
                 level_capacity: int | None = None, default_grid=None, auto_add_markets: bool = True,
                 adopt_unknown_orders: bool = True, party_subaccount=None) -> None:
        super().__init__(max_markets=max_markets, max_orders=max_orders, max_subaccounts=max_subaccounts,
                         default_grid=default_grid, auto_add_markets=auto_add_markets,
                         adopt_unknown_orders=adopt_unknown_orders, party_subaccount=party_subaccount)
        if level_capacity is None:
            level_capacity = max_markets * self.default_grid.num_levels + SPARE_FINE_GRIDS * CENTI_CENT_LEVELS
        self.level_capacity = level_capacity
        self._next_col = 0
        self._price_arrays: dict[int, np.ndarray] = {}  # market -> its grid's prices, for reporting
        self.mkt = np.zeros((max_markets, MKT_FIELDS), dtype=np.int64)
        self.levels = np.zeros((LEVEL_ROWS, level_capacity), dtype=np.int64)
        self.o32 = np.zeros((O32_ROWS, max_orders + 1), dtype=np.int32)
        self.o64 = np.zeros((O64_ROWS, max_orders + 1), dtype=np.int64)
        self.pos = np.zeros((POS_FIELDS, (max_markets + 1) * max_subaccounts), dtype=np.int64)
        self.depth = DepthBook(self)
        self.orders = OrderBook(self)
        self.positions = PositionBook(self)

    def memory_breakdown(self) -> dict[str, int]:
        """Bytes of each preallocated state array (the id index dicts grow with the orders held)."""
        return {"markets": self.mkt.nbytes, "depth levels": self.levels.nbytes,
                "orders": self.o32.nbytes + self.o64.nbytes + self._free.nbytes, "positions": self.pos.nbytes}

    def memory_bytes(self) -> int:
        """Bytes held by the preallocated state arrays."""
        return sum(self.memory_breakdown().values())

    # ------------------------------------------------------------------ BookBase hooks
    def _install_market(self, m: int, grid) -> None:
        n = grid.num_levels
        if self._next_col + n > self.level_capacity:
            raise UserInputError(f"level capacity {self.level_capacity} exhausted by a grid of {n} levels; "
                                 "construct the Book with a larger level_capacity")
        row = self.mkt[m]
        row[:] = 0
        runs = grid_runs(grid)
        row[M_NLEVELS], row[M_OFFSET], row[M_NRUNS] = n, self._next_col, len(runs)
        row[M_BEST_YES] = row[M_BEST_NO] = -1
        row[M_NSUBS] = self.max_subaccounts
        for r, run in enumerate(runs):
            row[M_RUN0 + RUN_FIELDS * r: M_RUN0 + RUN_FIELDS * (r + 1)] = run
        row[M_ACTIVE] = 1
        self._next_col += n

    def _run_ops(self, ops: np.ndarray) -> np.ndarray:
        status = np.zeros(ops.shape[1], dtype=np.int64)
        ko.apply_ops(self.mkt, self.levels, self.o32, self.o64, self.pos, ops, status)
        return status

    def _held(self, m: int, sub: int) -> tuple[int, int] | None:
        if not 0 <= sub < self.max_subaccounts:
            return None
        cell = m * self.max_subaccounts + sub
        return int(self.pos[0, cell]), int(self.pos[1, cell])

    # ------------------------------------------------------------------ snapshot accessors
    def _columns(self, m: int) -> slice:
        off = int(self.mkt[m, M_OFFSET])
        return slice(off, off + int(self.mkt[m, M_NLEVELS]))

    def _row_levels(self, m: int, row: int) -> list[tuple[int, int]]:
        """Non-zero (YES price, qty) of one level row, ascending."""
        values = self.levels[row, self._columns(m)]
        idx = np.nonzero(values)[0]
        prices = self._grid_prices(m)
        return [(int(prices[k]), int(values[k])) for k in idx]

    def _grid_prices(self, m: int) -> np.ndarray:
        prices = self._price_arrays.get(m)
        if prices is None:
            prices = self._price_arrays[m] = self._grids[m].levels_array()
        return prices

    def _settlement(self, m: int) -> int | None:
        return int(self.mkt[m, M_SETTLE_VALUE]) if self.mkt[m, M_SETTLED] else None

    def _working_slots(self) -> list[int]:
        return [int(s) for s in np.nonzero(self.o32[O_STATE])[0]]

    def _pos_row(self, cell: int) -> tuple[int, ...]:
        return tuple(int(v) for v in self.pos[:, cell])

    def _nonzero_cells(self) -> dict[int, tuple[int, ...]]:
        """Every position / totals cell with a non-zero field."""
        cells = np.nonzero(self.pos.any(axis=0))[0]
        return {int(c): self._pos_row(int(c)) for c in cells}


class DepthBook(TopOfBookMixin):
    """Published depth per market: YES bids and NO bids (Kalshi publishes bids only).

    Prices are each side's own price, as REST and WebSocket books give them: a NO
    bid at $0.30 is a YES ask at $0.70. For a FIX KalshiMD offer at YES price p,
    use side "no" at price 10_000 - p.
    """

    def __init__(self, book: Book) -> None:
        self._book = book
        self._mkt = book.mkt
        self._levels = book.levels
        self._ids = book._ids
        self._errors = book.errors

    def load_snapshot(self, ticker: str, yes: list[tuple[int, int]], no: list[tuple[int, int]]) -> int:
        """Replace a market's depth with a REST orderbook (yes/no bid lists of (price, qty)). Returns errors."""
        entries = [(YES, p, q) for p, q in yes] + [(NO, p, q) for p, q in no]
        arr = np.asarray(entries, dtype=np.int64).reshape(-1, 3)
        status = np.zeros(len(entries), dtype=np.int64)
        bad = kd.depth_load(self._mkt, self._levels, self._ids.get(ticker, -1), arr[:, 0].copy(), arr[:, 1].copy(),
                            arr[:, 2].copy(), status)
        if bad < 0:
            self._errors.record(E_UNKNOWN_MARKET, f"snapshot {ticker}")
            return 1
        for i in np.nonzero(status)[0]:
            side, price, qty = entries[i]
            self._errors.record(int(status[i]), f"snapshot {ticker} {'yes' if side == YES else 'no'} {price} {qty}")
        return bad

    def apply_delta(self, ticker: str, side: str, price: int, delta: int) -> int:
        """Add `delta` (may be negative) to the bid size at `price` on side "yes" or "no"."""
        code = kd.depth_update(self._mkt, self._levels, self._ids.get(ticker, -1), _SIDES.get(side, -1),
                               price, delta, 0)
        if code:
            self._errors.record(code, f"delta {ticker} {side} {price} {delta}")
        return code

    def set_level(self, ticker: str, side: str, price: int, qty: int) -> int:
        """Set the bid size at `price` on side "yes" or "no" (0 deletes the level)."""
        code = kd.depth_update(self._mkt, self._levels, self._ids.get(ticker, -1), _SIDES.get(side, -1),
                               price, qty, 1)
        if code:
            self._errors.record(code, f"set {ticker} {side} {price} {qty}")
        return code

    def apply_batch(self, markets: np.ndarray, sides: np.ndarray, prices: np.ndarray, qtys: np.ndarray,
                    absolute: bool = False) -> int:
        """Many updates in one kernel call: int64 arrays of market ids, sides (0 yes, 1 no), prices, sizes."""
        _same_length(markets, sides, prices, qtys)
        status = np.empty(len(markets), dtype=np.int64)
        c = np.ascontiguousarray  # one compiled signature: C-contiguous int64
        applied = kd.depth_update_batch(self._mkt, self._levels, c(markets, np.int64), c(sides, np.int64),
                                        c(prices, np.int64), c(qtys, np.int64), int(absolute), status)
        if applied != len(markets):
            for i in np.nonzero(status)[0]:
                self._errors.record(int(status[i]), f"batch row {i}: market {markets[i]} side {sides[i]} "
                                    f"price {prices[i]} qty {qtys[i]}")
        return applied

    def top(self, ticker: str) -> tuple[int, int, int, int]:
        """(YES bid, its size, YES ask, its size) in YES prices; -1 / 0 for an empty side."""
        return kd.depth_top(self._mkt, self._levels, self._ids.get(ticker, -1))

    def size_at(self, ticker: str, side: str, price: int) -> int:
        return kd.depth_size_at(self._mkt, self._levels, self._ids.get(ticker, -1), _SIDES.get(side, -1), price)

    def cost_to_buy(self, ticker: str, side: str, qty: int) -> Walk:
        """Walk the book to buy `qty` of `side` ("yes" lifts NO bids, "no" lifts YES bids)."""
        filled, cost, worst = kd.depth_cost_to_buy(self._mkt, self._levels, self._ids.get(ticker, -1),
                                                   _SIDES.get(side, -1), qty)
        return Walk(filled, cost, worst if worst >= 0 else None)

    def top_batch(self, markets: np.ndarray) -> np.ndarray:
        """top() for an int64 array of market ids: rows of (YES bid, size, YES ask, size)."""
        out = np.empty((len(markets), 4), dtype=np.int64)
        kd.depth_top_batch(self._mkt, self._levels, np.ascontiguousarray(markets, np.int64), out)
        return out

    def cost_batch(self, markets: np.ndarray, sides: np.ndarray, qtys: np.ndarray) -> np.ndarray:
        """cost_to_buy() for arrays of market ids, sides (0 yes, 1 no), quantities: rows of
        (qty filled, cost, worst price or -1)."""
        _same_length(markets, sides, qtys)
        out = np.empty((len(markets), 3), dtype=np.int64)
        c = np.ascontiguousarray
        kd.depth_cost_batch(self._mkt, self._levels, c(markets, np.int64), c(sides, np.int64), c(qtys, np.int64), out)
        return out

    def levels(self, ticker: str, side: str) -> list[tuple[int, int]]:
        """Non-empty bids on `side` as (side's own price, qty), ascending price; [] for an unknown market."""
        m = self._ids.get(ticker)
        if m is None:
            return []
        if side == "yes":
            return self._book._row_levels(m, ROW_YES_BID)
        return sorted((10_000 - p, q) for p, q in self._book._row_levels(m, ROW_NO_BID))


_SIDES = SIDE_NAMES


def _same_length(*arrays) -> None:
    """Kernels index every array by the first one's length (no bounds checks): refuse a mismatch."""
    if len({len(a) for a in arrays}) > 1:
        raise UserInputError(f"batch arrays differ in length: {[len(a) for a in arrays]}")


class OrderBook(OrderBookMixin):
    """Own working orders: O(1) by slot, by OrderID or ClOrdID through the id index."""

    def __init__(self, book: Book) -> None:
        self._book = book
        self._mkt, self._levels, self._o32, self._o64 = book.mkt, book.levels, book.o32, book.o64
        self._ids = book._ids

    def _kernel_add(self, slot, m, sub, side, price, qty, tif, group, state) -> int:
        return ko.order_new(self._mkt, self._levels, self._o32, self._o64, slot, m, sub, side, price, qty, tif, group,
                            state)

    def fill(self, slot: int, qty: int, price: int | None = None, fee: int = 0) -> int:
        """A fill of `qty` at YES `price` (default: the order's limit): order, own level and position move."""
        if price is None:
            price = self._o32.item(O_PRICE, slot) if 0 < slot < self._o32.shape[1] else 0
        code = ko.order_fill(self._mkt, self._levels, self._o32, self._o64, self._book.pos, slot, qty, price, fee)
        if code == OK_CLOSED:
            self._book._release_slot(slot)
        elif code:
            self._book.errors.record(code, f"fill slot {slot} qty {qty} price {price}")
        return code

    def cancel(self, slot: int) -> int:
        code = ko.order_cancel(self._mkt, self._levels, self._o32, self._o64, slot)
        if code == OK_CLOSED:
            self._book._release_slot(slot)
        elif code != OK:
            self._book.errors.record(code, f"cancel slot {slot}")
        return code

    def queue_ahead(self, slot: int) -> int | None:
        ahead = ko.queue_ahead(self._mkt, self._levels, self._o32, self._o64, slot)
        return ahead if ahead >= 0 else None

    def _raw(self, slot: int) -> tuple | None:
        """(market, sub, side, price, orig, open, filled, tif, group, state, fill_cost) or None if free."""
        if not 0 < slot < self._o32.shape[1] or self._o32[O_STATE, slot] == ST_FREE:
            return None
        a, b = self._o32[:, slot], self._o64[:, slot]
        return (int(a[O_MARKET]), int(a[O_SUB]), int(a[O_SIDE]), int(a[O_PRICE]), int(b[Q_ORIG]), int(b[Q_OPEN]),
                int(b[Q_FILLED]), int(a[O_TIF]), int(a[O_GROUP]), int(a[O_STATE]), int(b[Q_FILL_COST]))

    def open_qty_at(self, ticker: str, side, price: int) -> int:
        """Own open quantity at a YES price on a side (Side.BUY / Side.SELL)."""
        m = self._ids.get(ticker, -1)
        if m < 0:
            return 0
        level = kd.level_of(self._mkt, m, price)
        if level < 0:
            return 0
        row = ROW_OWN_BUY if side_code(side) == BUY else ROW_OWN_SELL
        return int(self._levels[row, self._mkt[m, M_OFFSET] + level])

    def own_levels(self, ticker: str, side) -> list[tuple[int, int]]:
        """Own open quantity per YES price on a side, ascending; [] for an unknown market."""
        m = self._ids.get(ticker)
        if m is None:
            return []
        return self._book._row_levels(m, ROW_OWN_BUY if side_code(side) == BUY else ROW_OWN_SELL)

    # -------------------------------------------------------------- batches (arrays in, counts out)
    def add_batch(self, markets: np.ndarray, sides: np.ndarray, prices: np.ndarray, qtys: np.ndarray,
                  subaccount: int = 0) -> np.ndarray:
        """Add many orders (no ids) in one kernel call; returns their slots (0 where the add failed)."""
        n = len(markets)
        slots = self._book._alloc_slots(n)
        ops = _ops(n, OP_ADD)
        ops[C_OP, slots == 0] = 0  # no free slot: op 0, reported as capacity below
        ops[C_SLOT], ops[C_MARKET], ops[C_SUB] = slots, markets, subaccount
        ops[C_SIDE], ops[C_PRICE], ops[C_QTY], ops[C_OPEN] = sides, prices, qtys, qtys
        ops[C_TIF], ops[C_STATE] = TIF_CODES[TimeInForce.GTC], ST_PENDING_NEW
        status = self._book._run_ops(ops)
        status[slots == 0] = E_CAPACITY
        self._after_batch(ops, status, "add")
        return np.where(status == OK, slots, 0)

    def fill_batch(self, slots: np.ndarray, qtys: np.ndarray, prices: np.ndarray,
                   fees: np.ndarray | None = None) -> int:
        """Fills of tracked orders (order, own level and position), one kernel call. Returns how many applied."""
        ops = _ops(len(slots), OP_FILL)
        ops[C_SLOT], ops[C_QTY], ops[C_PRICE] = slots, qtys, prices
        if fees is not None:
            ops[C_FEE] = fees
        return self._after_batch(ops, self._book._run_ops(ops), "fill")

    def cancel_batch(self, slots: np.ndarray) -> int:
        ops = _ops(len(slots), OP_CANCEL)
        ops[C_SLOT] = slots
        return self._after_batch(ops, self._book._run_ops(ops), "cancel")

    def _after_batch(self, ops: np.ndarray, status: np.ndarray, what: str) -> int:
        book = self._book
        book._release_slots(ops[C_SLOT, status == OK_CLOSED])
        failed = np.nonzero((status != OK) & (status != OK_CLOSED))[0]
        for i in failed:
            book.errors.record(int(status[i]), f"{what} batch row {i} slot {ops[C_SLOT, i]}")
            if what == "add" and ops[C_SLOT, i]:
                book._release_slot(int(ops[C_SLOT, i]))
        return len(status) - len(failed)


def _ops(n: int, kind: int) -> np.ndarray:
    """A column-major batch of n operations of one kind; untouched rows stay zero (and unpaged)."""
    ops = np.zeros((OP_COLS, n), dtype=np.int64)
    ops[C_OP] = kind
    return ops


class PositionBook:
    """Positions per market and subaccount, netted as Kalshi nets them; totals per subaccount and account."""

    def __init__(self, book: Book) -> None:
        self._book = book
        self._mkt, self._pos, self._ids = book.mkt, book.pos, book._ids
        self.apply_exec_report = book.apply_exec_report
        self.apply_exec_reports = book.apply_exec_reports
        self.apply_settlement = book.apply_settlement

    def apply_fill(self, ticker: str, side, price: int, qty: int, *, fee: int = 0, subaccount: int = 0) -> int:
        """A fill not tied to a tracked order: BUY buys YES at `price`, SELL buys NO at 1 - `price`."""
        code = ko.pos_fill(self._mkt, self._pos, self._ids.get(ticker, -1), subaccount, side_code(side), price,
                           qty, fee)
        if code:
            self._book.errors.record(code, f"position fill {ticker} {side} {price} {qty}")
        return code

    def apply_fills(self, markets: np.ndarray, sides: np.ndarray, prices: np.ndarray, qtys: np.ndarray,
                    fees: np.ndarray | None = None, subaccounts: np.ndarray | None = None) -> int:
        """Many position fills in one kernel call (int64 arrays; side 0 buy YES, 1 sell YES)."""
        ops = _ops(len(markets), OP_POS_FILL)
        ops[C_MARKET], ops[C_SIDE], ops[C_PRICE], ops[C_QTY] = markets, sides, prices, qtys
        if fees is not None:
            ops[C_FEE] = fees
        if subaccounts is not None:
            ops[C_SUB] = subaccounts
        status = self._book._run_ops(ops)
        for i in np.nonzero(status)[0]:
            self._book.errors.record(int(status[i]), f"position batch row {i}")
        return int(np.count_nonzero(status == OK))

    def position(self, ticker: str, subaccount: int = 0) -> PositionView:
        """One market / subaccount; all zero for an unknown market or subaccount."""
        m = self._ids.get(ticker)
        if m is None or not 0 <= subaccount < self._book.max_subaccounts:
            return PositionView(ticker, subaccount, 0, 0, 0, 0, 0, 0, 0, 0)
        return PositionView(ticker, subaccount, *self._book._pos_row(m * self._book.max_subaccounts + subaccount))

    def subaccount_totals(self, subaccount: int = 0) -> PositionView:
        book = self._book
        return PositionView(None, subaccount, *book._pos_row(book.max_markets * book.max_subaccounts + subaccount))

    def account_totals(self) -> PositionView:
        book = self._book
        start = book.max_markets * book.max_subaccounts
        sums = self._pos[:, start:start + book.max_subaccounts].sum(axis=1)
        return PositionView(None, None, *(int(v) for v in sums))


"""What both books share: market registry, id index, error log, and the feeds.

ExecutionReports and settlement reports are translated here into rows of
primitive operations (layout.OP_*), which each book applies its own way: the
numba book in one kernel call per batch, the reference book in a Python loop.
Because the translation is shared, the differential tests compare exactly the
state-keeping code, which is where the two books differ.

Feed rules (ExecType -> effect):
  PENDING_NEW / NEW        known order: state; unknown order: adopted from the report (listener and
                           drop-copy sessions see orders another session placed) when it still has LeavesQty
  TRADE                    known order: fill (order + position); unknown order: position, plus adoption of
                           the rest when LeavesQty > 0
  CANCELED / EXPIRED       the order leaves the book; unknown order -> error
  REPLACED                 new price / OrderQty / LeavesQty, ClOrdID becomes an alias; unknown -> error
  REJECTED                 a known (pending) order leaves the book; unknown: counted in `rejects`
  PENDING_CANCEL/_REPLACE  state only
Idempotence: every ExecID except the pending placeholder `-1;-1` is remembered; a report whose
ExecID was seen (replay, PossDup, the same fill via listener and drop copy) is counted in
`duplicates` and changes nothing. Settlement pages are deduplicated on their report id.
Within one batch, orders are resolved against the index as it stands before the batch plus
orders adopted earlier in it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

import numpy as np

from fixengine.book.grid import as_tick_grid
from fixengine.book.layout import (
    E_BAD_REPORT, E_CAPACITY, E_SETTLE_MISMATCH, E_UNKNOWN_MARKET, E_UNKNOWN_ORDER, ERROR_NAMES, OK, OK_CLOSED,
    OP_ADD, OP_CANCEL, OP_COLS, OP_FILL, OP_POS_FILL, OP_REPLACE, OP_SETTLE, OP_STATE, ST_NEW,
    ST_PENDING_CANCEL, ST_PENDING_NEW, ST_PENDING_REPLACE, TIF_CODES, side_code,
)
from fixengine.errors import UserInputError
from fixengine.model import TERMINAL_STATUSES, ExecReport, ExecType, SettlementReport, TimeInForce
from fixengine.pricing.ticks import TickGrid


@dataclass(frozen=True, slots=True)
class BookError:
    code: int
    name: str
    detail: str


class ErrorLog:
    """Counted, reported bad input: a total, a count per code and the last few errors."""

    def __init__(self, keep: int = 100) -> None:
        self.count = 0
        self.by_code: dict[int, int] = {}
        self.last: deque[BookError] = deque(maxlen=keep)

    def record(self, code: int, detail: str) -> None:
        self.count += 1
        self.by_code[code] = self.by_code.get(code, 0) + 1
        self.last.append(BookError(code, ERROR_NAMES.get(code, str(code)), detail))

    def summary(self) -> dict[str, int]:
        return {ERROR_NAMES.get(code, str(code)): n for code, n in sorted(self.by_code.items())}


def default_party_subaccount(party_id: str) -> int:
    """MarketSettlementPartyID format is UNCONFIRMED (fact sheet part 2 §4.2): a decimal id is taken
    as the subaccount number, anything else (a user/uuid id) as the primary account 0. Pass
    `party_subaccount=` to the book to map ids explicitly."""
    return int(party_id) if party_id.isdigit() else 0


def _op(kind: int, *, slot: int = 0, market: int = 0, sub: int = 0, side: int = 0, price: int = 0, qty: int = 0,
        open_: int = 0, filled: int = 0, fee: int = 0, tif: int = 0, group: int = 0, state: int = 0) -> list[int]:
    """One operation in layout order (C_OP, C_SLOT, ... C_STATE)."""
    return [kind, slot, market, sub, side, price, qty, open_, filled, fee, tif, group, state]


assert len(_op(0)) == OP_COLS  # _op's argument order is layout's C_* order


def _describe(er: ExecReport) -> str:
    return f"ExecID {er.exec_id} {er.exec_type.name} {er.symbol} ClOrdID {er.cl_ord_id}"


def _remember(reverse: dict, slot: int, key: str) -> None:
    known = reverse.get(slot)
    if known is None:
        reverse[slot] = key
    elif isinstance(known, str):
        reverse[slot] = (known, key)
    else:
        reverse[slot] = known + (key,)


_PENDING_STATE = {ExecType.PENDING_CANCEL: ST_PENDING_CANCEL, ExecType.PENDING_REPLACE: ST_PENDING_REPLACE}


class BookBase:
    """State both books keep in Python, and the report feeds built on `_run_ops`."""

    def __init__(self, *, max_markets: int, max_orders: int, max_subaccounts: int,
                 default_grid: TickGrid | str | None, auto_add_markets: bool, adopt_unknown_orders: bool,
                 party_subaccount: Callable[[str], int] | Mapping[str, int] | None) -> None:
        if max_markets < 1 or max_orders < 1 or max_subaccounts < 1:
            raise UserInputError("book capacities must be positive")
        self.max_markets = max_markets
        self.max_orders = max_orders
        self.max_subaccounts = max_subaccounts
        self.default_grid = as_tick_grid(default_grid)
        self.auto_add_markets = auto_add_markets
        self.adopt_unknown_orders = adopt_unknown_orders
        if isinstance(party_subaccount, Mapping):
            mapping = dict(party_subaccount)
            self._party_subaccount: Callable[[str], int] = lambda pid: mapping.get(pid, default_party_subaccount(pid))
        else:
            self._party_subaccount = party_subaccount or default_party_subaccount
        self.errors = ErrorLog()
        self.duplicates = 0
        self.rejects = 0
        self._ids: dict[str, int] = {}
        self._tickers: list[str] = []
        self._grids: list[TickGrid] = []
        # freed slots, a stack (last freed is reused first); numpy so that a batch can push many at once
        self._free = np.zeros(max_orders, dtype=np.int64)
        self._free_top = 0
        self._next_slot = 1
        self._by_order_id: dict[str, int] = {}
        self._by_cl_ord_id: dict[str, int] = {}
        # slot -> the OrderID(s) / ClOrdID(s) it is indexed under: a str, or a tuple after a change.
        # Only str and int inside, so the garbage collector never tracks these dicts (a per-order
        # list or tuple of (dict, key) pairs made every add pay for full collections over numba's
        # hundreds of thousands of objects: ~20 us an order, measured).
        self._order_ids_of: dict[int, str | tuple[str, ...]] = {}
        self._cl_ids_of: dict[int, str | tuple[str, ...]] = {}
        self._groups: dict[str, int] = {}
        self._group_names: list[str] = [""]
        self._seen_exec_ids: set[str] = set()
        self._seen_settlements: set[str] = set()

    # ------------------------------------------------------------------ markets
    def add_market(self, ticker: str, grid: TickGrid | str | None = None) -> int:
        """Register a market with its tick grid (default: the book's default grid); returns its id."""
        if ticker in self._ids:
            return self._ids[ticker]
        if len(self._tickers) >= self.max_markets:
            raise UserInputError(f"market capacity {self.max_markets} reached adding {ticker!r}")
        tick_grid = as_tick_grid(grid) if grid is not None else self.default_grid
        m = len(self._tickers)
        self._install_market(m, tick_grid)
        self._ids[ticker] = m
        self._tickers.append(ticker)
        self._grids.append(tick_grid)
        return m

    def market_id(self, ticker: str) -> int | None:
        return self._ids.get(ticker)

    def markets(self) -> list[str]:
        return list(self._tickers)

    def _market_for_report(self, symbol: str) -> int | None:
        m = self._ids.get(symbol)
        if m is None and self.auto_add_markets:
            m = self.add_market(symbol)
        return m

    # ------------------------------------------------------------------ slots and ids
    def _alloc_slot(self) -> int:
        if self._free_top:
            self._free_top -= 1
            return self._free.item(self._free_top)
        if self._next_slot > self.max_orders:
            return 0
        slot = self._next_slot
        self._next_slot += 1
        return slot

    def _alloc_slots(self, n: int) -> np.ndarray:
        """n slots at once, in the order n calls of _alloc_slot would give; 0 where capacity ran out."""
        take = min(n, self._free_top)
        out = np.zeros(n, dtype=np.int64)
        out[:take] = self._free[self._free_top - take:self._free_top][::-1]
        self._free_top -= take
        fresh = min(n - take, self.max_orders + 1 - self._next_slot)
        out[take:take + fresh] = np.arange(self._next_slot, self._next_slot + fresh)
        self._next_slot += fresh
        return out

    def _release_slot(self, slot: int) -> None:
        for index, reverse in ((self._by_order_id, self._order_ids_of), (self._by_cl_ord_id, self._cl_ids_of)):
            keys = reverse.pop(slot, ())
            for key in (keys,) if isinstance(keys, str) else keys:
                if index.get(key) == slot:
                    del index[key]
        self._free[self._free_top] = slot
        self._free_top += 1

    def _release_slots(self, slots: np.ndarray) -> None:
        """Free many slots of orders that left the book (in order)."""
        if self._order_ids_of or self._cl_ids_of:
            for slot in slots.tolist():
                self._release_slot(slot)
        else:  # no ids to forget: one bulk push
            self._free[self._free_top:self._free_top + len(slots)] = slots
            self._free_top += len(slots)

    @property
    def working_count(self) -> int:
        """Orders in the book (slots in use)."""
        return self._next_slot - 1 - self._free_top

    def _index(self, slot: int, order_id: str | None = None, cl_ord_id: str | None = None) -> None:
        if order_id and self._by_order_id.get(order_id) != slot:
            self._by_order_id[order_id] = slot
            _remember(self._order_ids_of, slot, order_id)
        if cl_ord_id and self._by_cl_ord_id.get(cl_ord_id) != slot:
            self._by_cl_ord_id[cl_ord_id] = slot
            _remember(self._cl_ids_of, slot, cl_ord_id)

    def find(self, *, order_id: str | None = None, cl_ord_id: str | None = None) -> int | None:
        """Slot of a working order by exchange OrderID or by any ClOrdID it has carried."""
        if order_id and order_id in self._by_order_id:
            return self._by_order_id[order_id]
        if cl_ord_id:
            return self._by_cl_ord_id.get(cl_ord_id)
        return None

    def _group_code(self, group: str | None) -> int:
        if not group:
            return 0
        code = self._groups.get(group)
        if code is None:
            code = self._groups[group] = len(self._group_names)
            self._group_names.append(group)
        return code

    # ------------------------------------------------------------------ applying ops
    def _apply(self, rows: list[list[int]], notes: list[tuple]) -> int:
        """Run op rows, then settle the Python side: errors, freed slots, new ids. Returns successes.

        notes[i] = (op kind, slot, error detail (text, or the ExecReport to describe), ClOrdID to index on
        success, OrderID to index on success).
        """
        if not rows:
            return 0
        status = self._run_ops(np.ascontiguousarray(np.asarray(rows, dtype=np.int64).T))
        done = 0
        for code, (kind, slot, detail, cl_ord_id, order_id) in zip(status.tolist(), notes):
            if code == OK or code == OK_CLOSED:
                done += 1
                if code == OK and (cl_ord_id or order_id):
                    self._index(slot, order_id=order_id, cl_ord_id=cl_ord_id)
                if code == OK_CLOSED:
                    self._release_slot(slot)
            else:
                self.errors.record(code, detail if isinstance(detail, str) else _describe(detail))
                if kind == OP_ADD and slot:
                    self._release_slot(slot)
        return done

    def apply_exec_report(self, report: ExecReport) -> int:
        """Apply one ExecutionReport; returns how many primitive operations it applied."""
        return self.apply_exec_reports((report,))

    def apply_exec_reports(self, reports: Iterable[ExecReport]) -> int:
        """Apply many ExecutionReports with one batch of primitive operations."""
        rows: list[list[int]] = []
        notes: list[tuple] = []
        for report in reports:
            self._translate(report, rows, notes)
        return self._apply(rows, notes)

    def _translate(self, er: ExecReport, rows: list, notes: list) -> None:
        if not er.is_pending:
            if er.exec_id in self._seen_exec_ids:
                self.duplicates += 1
                return
            self._seen_exec_ids.add(er.exec_id)
        detail = er  # formatted by _describe only if something goes wrong
        m = self._market_for_report(er.symbol)
        if m is None:
            self.errors.record(E_UNKNOWN_MARKET, _describe(er))
            return
        slot = self.find(order_id=er.order_id, cl_ord_id=er.cl_ord_id)
        if slot is None and er.orig_cl_ord_id:
            slot = self.find(cl_ord_id=er.orig_cl_ord_id)
        kind = er.exec_type
        if kind in (ExecType.PENDING_NEW, ExecType.NEW):
            if slot is not None:
                state = ST_NEW if kind == ExecType.NEW else ST_PENDING_NEW
                rows.append(_op(OP_STATE, slot=slot, state=state))
                # the ack carries the exchange OrderID (a pending report may carry a placeholder)
                notes.append((OP_STATE, slot, detail, None, er.order_id if kind == ExecType.NEW else None))
            else:
                self._adopt(er, m, ST_NEW if kind == ExecType.NEW else ST_PENDING_NEW, rows, notes, detail)
        elif kind == ExecType.TRADE:
            if er.last_qty is None or er.last_px is None:
                self.errors.record(E_BAD_REPORT, _describe(er) + ": trade without LastQty/LastPx")
            elif slot is not None:
                rows.append(_op(OP_FILL, slot=slot, qty=er.last_qty, price=er.last_px, fee=er.fee or 0))
                notes.append((OP_FILL, slot, detail, None, er.order_id))
            elif not self.adopt_unknown_orders:
                self.errors.record(E_UNKNOWN_ORDER, _describe(er))
            else:
                rows.append(_op(OP_POS_FILL, market=m, sub=er.subaccount, side=side_code(er.side),
                                price=er.last_px, qty=er.last_qty, fee=er.fee or 0))
                notes.append((OP_POS_FILL, 0, detail, None, None))
                self._adopt(er, m, ST_NEW, rows, notes, detail)
        elif kind in (ExecType.CANCELED, ExecType.EXPIRED, ExecType.REJECTED):
            if slot is not None:
                rows.append(_op(OP_CANCEL, slot=slot))
                notes.append((OP_CANCEL, slot, detail, None, None))
            elif kind == ExecType.REJECTED:
                self.rejects += 1
            else:
                self.errors.record(E_UNKNOWN_ORDER, _describe(er))
        elif kind == ExecType.REPLACED:
            if slot is None:
                self.errors.record(E_UNKNOWN_ORDER, _describe(er))
            else:
                price = er.price if er.price is not None else -1
                rows.append(_op(OP_REPLACE, slot=slot, price=price, qty=er.order_qty, open_=er.leaves_qty))
                notes.append((OP_REPLACE, slot, detail, er.cl_ord_id, er.order_id))
        elif slot is not None:  # PENDING_CANCEL / PENDING_REPLACE
            rows.append(_op(OP_STATE, slot=slot, state=_PENDING_STATE[kind]))
            notes.append((OP_STATE, slot, detail, None, None))

    def _adopt(self, er: ExecReport, m: int, state: int, rows: list, notes: list, detail: ExecReport) -> None:
        """Start tracking an order first seen in a report, as the report describes it now."""
        if not self.adopt_unknown_orders or er.leaves_qty <= 0 or er.ord_status in TERMINAL_STATUSES:
            if not self.adopt_unknown_orders:
                self.errors.record(E_UNKNOWN_ORDER, _describe(er))
            return
        if er.price is None:
            self.errors.record(E_BAD_REPORT, _describe(er) + ": order without Price")
            return
        slot = self._alloc_slot()
        if not slot:
            self.errors.record(E_CAPACITY, _describe(er))
            return
        self._index(slot, order_id=er.order_id, cl_ord_id=er.cl_ord_id)
        tif = TIF_CODES[er.time_in_force or TimeInForce.GTC]
        rows.append(_op(OP_ADD, slot=slot, market=m, sub=er.subaccount, side=side_code(er.side), price=er.price,
                        qty=er.order_qty, open_=er.leaves_qty, filled=er.cum_qty, tif=tif, state=state))
        notes.append((OP_ADD, slot, detail, None, None))

    def apply_settlement(self, report: SettlementReport) -> int:
        """Close the listed parties' positions at the settlement value; book payouts and fees.

        A party whose reported YES/NO holding differs from the book is reported as an error
        (the book's own holding is what gets closed). Pages are deduplicated on report_id.
        """
        if report.report_id in self._seen_settlements:
            self.duplicates += 1
            return 0
        self._seen_settlements.add(report.report_id)
        m = self._market_for_report(report.symbol)
        if m is None:
            self.errors.record(E_UNKNOWN_MARKET, f"settlement {report.report_id} {report.symbol}")
            return 0
        rows, notes = [], []
        for party in report.parties:
            sub = self._party_subaccount(party.party_id)
            detail = f"settlement {report.report_id} {report.symbol} party {party.party_id}"
            held = self._held(m, sub)
            if held is not None and held != (party.long_qty, party.short_qty):
                self.errors.record(E_SETTLE_MISMATCH, f"{detail}: book YES/NO {held}, report "
                                   f"{(party.long_qty, party.short_qty)}")
            rows.append(_op(OP_SETTLE, market=m, sub=sub, price=report.yes_value, open_=party.payout, fee=party.fee))
            notes.append((OP_SETTLE, 0, detail, None, None))
        return self._apply(rows, notes)

    # ------------------------------------------------------------------ implemented by each book
    def _install_market(self, m: int, grid: TickGrid) -> None:
        raise NotImplementedError

    def _run_ops(self, ops: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _held(self, m: int, sub: int) -> tuple[int, int] | None:
        """(YES qty, NO qty) of a position, None when the subaccount is out of range."""
        raise NotImplementedError

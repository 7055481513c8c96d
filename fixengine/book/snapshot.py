"""One canonical, plain-Python picture of a book's whole state, identical for both books.

The property tests compare `snapshot()` of the numba book and of the reference
after every step; the picture also serves debugging and the CLI.
"""

from __future__ import annotations

from fixengine.model import Side


class SnapshotMixin:
    def snapshot(self) -> dict:
        markets = {}
        for m, ticker in enumerate(self._tickers):
            markets[ticker] = {
                "yes": self.depth.levels(ticker, "yes"),
                "no": self.depth.levels(ticker, "no"),
                "top": tuple(self.depth.top(ticker)),
                "own_buy": self.orders.own_levels(ticker, Side.BUY),
                "own_sell": self.orders.own_levels(ticker, Side.SELL),
                "settled": self._settlement(m),
            }
        orders = {}
        for slot in self._working_slots():
            raw = self.orders._raw(slot)
            orders[slot] = raw + (self.orders.queue_ahead(slot),)
        n_subs = self.max_subaccounts
        positions = {}
        for cell, row in self._nonzero_cells().items():
            m, sub = divmod(cell, n_subs)
            key = (self._tickers[m] if m < self.max_markets else "*total*", sub)
            positions[key] = row
        return {
            "markets": markets,
            "orders": orders,
            "positions": positions,
            "errors": (self.errors.count, dict(sorted(self.errors.by_code.items()))),
            "duplicates": self.duplicates,
            "rejects": self.rejects,
            "by_order_id": dict(self._by_order_id),
            "by_cl_ord_id": dict(self._by_cl_ord_id),
            "free_slots": (self._next_slot, self._free[:self._free_top].tolist()),
        }

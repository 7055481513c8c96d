"""The numba book and the sortedcontainers reference, driven by the same long random sequences,
must return the same results and end every step in the same state."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fixengine.book import Book, ReferenceBook
from fixengine.model import (
    ExecReport, ExecType, OrdStatus, SettlementParty, SettlementReport, Side, TimeInForce,
)
from fixengine.pricing.ticks import TickGrid

MARKETS = {
    "CENT": "linear_cent",
    "TAPER": "tapered_deci_cent",
    "CENTI": "center_centi_edge_centi_cent",
}
TICKERS = list(MARKETS) + ["NOPE"]  # NOPE is never added: unknown-market errors


def _prices(structure: str) -> list[int]:
    """A few valid prices per grid, the edges included, plus off-grid and out-of-range ones."""
    levels = TickGrid.from_structure(structure).levels()
    picks = levels[:3] + levels[-3:] + [levels[len(levels) // 2 + k] for k in (-2, -1, 0, 1, 2)]
    return picks + [4250, 9995, 0, 10_000, -100]


PRICES = sorted({p for s in MARKETS.values() for p in _prices(s)})
GOOD = {tk: TickGrid.from_structure(s).levels() for tk, s in MARKETS.items()}
QTYS = [1, 3, 50, 100, 250, 1_000, 10_000]  # 1 == 0.01 contract: fractional sizes throughout
price = st.sampled_from(PRICES)
qty = st.sampled_from(QTYS) | st.integers(-300, 300)
pos_qty = st.sampled_from(QTYS)
side = st.sampled_from([Side.BUY, Side.SELL])
depth_side = st.sampled_from(["yes", "no", "yes", "no", "maybe"])
sub = st.sampled_from([0] * 8 + [1, 63, 64])
order_ref = st.sampled_from([-1, -1, -2, -3]) | st.integers(0, 30)  # mostly recent orders
exec_id = st.sampled_from([f"x{i}" for i in range(40)] + ["-1;-1"])  # small pool: replays happen
fee = st.integers(-50, 5_000)


def _near_strategy(tk: str):
    """Mostly valid prices of the market, clustered so that orders and depth meet; sometimes junk."""
    if tk not in GOOD:
        return price
    levels = GOOD[tk]
    mid = len(levels) // 2
    return st.sampled_from((levels[mid - 3: mid + 4] + levels[:2] + levels[-2:]) * 3 + [4250, 9995, 0, 10_000, -100])


# built once: flatmap must hand back the same strategy objects every time
NEAR = {tk: _near_strategy(tk) for tk in TICKERS}
LEVEL_LISTS = {tk: st.lists(st.tuples(NEAR[tk], qty), max_size=5) for tk in TICKERS}
TICKER_PRICE = {tk: st.tuples(st.just(tk), NEAR[tk]) for tk in TICKERS}
ticker_price = st.sampled_from(TICKERS[:3] * 4 + TICKERS[3:]).flatmap(TICKER_PRICE.__getitem__)
SNAPSHOTS = {tk: st.tuples(st.just("snapshot"), st.just(tk), LEVEL_LISTS[tk], LEVEL_LISTS[tk]) for tk in TICKERS}


report = st.builds(
    lambda kind, eid, ref, tp, sd, q, leaves, cum, last, f, s: (kind, eid, ref, *tp, sd, q, leaves, cum, last, f, s),
    st.sampled_from(list(ExecType) + [ExecType.TRADE] * 4 + [ExecType.NEW] * 2), exec_id, order_ref, ticker_price,
    side, pos_qty, st.sampled_from([0] + QTYS), st.sampled_from([0, 1, 50, 100]), st.sampled_from(QTYS + [0]), fee, sub,
)

_step_kinds = [
    st.sampled_from(TICKERS[:3] * 4 + TICKERS[3:]).flatmap(SNAPSHOTS.__getitem__),
    st.tuples(st.just("delta"), ticker_price, depth_side, qty),
    st.tuples(st.just("set"), ticker_price, depth_side, qty),
    st.tuples(st.just("depth_batch"),
              st.lists(st.tuples(st.integers(-1, 3), st.integers(0, 2), price, qty), max_size=8),
              st.booleans()),
    st.tuples(st.just("add"), ticker_price, side, pos_qty, sub, st.sampled_from([None, "g1", "g2"])),
    st.tuples(st.just("fill"), order_ref, pos_qty | qty, st.sampled_from([None] * 4 + PRICES), fee),
    st.tuples(st.just("cancel"), order_ref),
    st.tuples(st.just("replace"), order_ref, st.sampled_from([None] * 3 + PRICES), pos_qty),
    st.tuples(st.just("posfill"), ticker_price, side, qty, fee, sub),
    st.tuples(st.just("reports"), st.lists(report, min_size=1, max_size=6)),
    st.tuples(st.just("settle"), st.sampled_from(TICKERS), st.sampled_from([0, 10_000, 3060, 5000]),
              st.lists(st.tuples(st.sampled_from(["0", "1", "63", "abc"]), st.integers(0, 10**6), st.integers(0, 99)),
                       max_size=3), st.sampled_from(["r1", "r2", "r3"])),
    st.tuples(st.just("fill_batch"), st.lists(st.tuples(order_ref, st.sampled_from(QTYS)), max_size=6)),
    st.tuples(st.just("cancel_batch"), st.lists(order_ref, max_size=4)),
]
# adds, fills, depth changes and reports are the common traffic; settlements are rare
_weights = [2, 4, 3, 1, 8, 5, 2, 2, 7, 5, 1, 1, 1]
step = st.sampled_from([i for i, w in enumerate(_weights) for _ in range(w)]).flatmap(_step_kinds.__getitem__)


class Driver:
    """Applies steps to one book, remembering the slots and ClOrdIDs it created."""

    def __init__(self, book) -> None:
        self.book = book
        for tk, structure in MARKETS.items():
            book.add_market(tk, structure)
        self.slots: list[int] = []
        self.cl_ids: list[str] = []

    def slot(self, ref: int) -> int:
        """Negative refs pick a working order (both books agree on which), others any slot ever used."""
        working = self.book._working_slots()
        if ref < 0 and working:
            return working[ref % len(working)]
        return self.slots[ref % len(self.slots)] if self.slots else 0

    def apply(self, s):  # noqa: C901 - one branch per step kind
        b, kind = self.book, s[0]
        if kind == "snapshot":
            return b.depth.load_snapshot(s[1], s[2], s[3])
        if kind == "delta":
            return b.depth.apply_delta(s[1][0], s[2], s[1][1], s[3])
        if kind == "set":
            return b.depth.set_level(s[1][0], s[2], s[1][1], s[3])
        if kind == "depth_batch":
            rows = np.asarray(s[1], dtype=np.int64).reshape(-1, 4)
            return b.depth.apply_batch(rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3], s[2])
        if kind == "add":
            cl = f"c{len(self.cl_ids)}"
            self.cl_ids.append(cl)
            slot = b.orders.add(s[1][0], s[2], s[1][1], s[3], subaccount=s[4], group=s[5], cl_ord_id=cl,
                                tif=TimeInForce.GTC)
            self.slots.append(slot)
            return slot
        if kind == "fill":
            return b.orders.fill(self.slot(s[1]), s[2], s[3], s[4])
        if kind == "cancel":
            return b.orders.cancel(self.slot(s[1]))
        if kind == "replace":
            return b.orders.replace(self.slot(s[1]), price=s[2], qty=s[3])
        if kind == "posfill":
            return b.positions.apply_fill(s[1][0], s[2], s[1][1], s[3], fee=s[4], subaccount=s[5])
        if kind == "reports":
            return b.apply_exec_reports([self.report(r) for r in s[1]])
        if kind == "settle":
            parties = [SettlementParty(pid, *self.held(s[1], pid), payout, f) for pid, payout, f in s[3]]
            rep = SettlementReport(s[4] + s[1], s[1], "20260826", "scalar", s[2], parties=parties)
            return b.apply_settlement(rep)
        if kind == "fill_batch":
            slots = np.asarray([self.slot(r) for r, _ in s[1]], dtype=np.int64)
            qtys = np.asarray([q for _, q in s[1]], dtype=np.int64)
            prices = np.full(len(slots), 5000, dtype=np.int64)
            return b.orders.fill_batch(slots, qtys, prices)
        if kind == "cancel_batch":
            return b.orders.cancel_batch(np.asarray([self.slot(r) for r in s[1]], dtype=np.int64))
        raise AssertionError(kind)

    def held(self, tk: str, pid: str) -> tuple[int, int]:
        """Usually the book's own holding; an unknown market gives a mismatch on purpose."""
        held = self.book._held(self.book.market_id(tk), int(pid)) if tk in MARKETS and pid.isdigit() else None
        return held if held else (100, 0)

    def report(self, r) -> ExecReport:
        kind, eid, ref, tk, px, sd, q, leaves, cum, last, f, s = r
        cl = self.cl_ids[ref % len(self.cl_ids)] if self.cl_ids and ref % 3 else f"ext{ref}"
        status = OrdStatus.FILLED if leaves == 0 and kind == ExecType.TRADE else OrdStatus.NEW
        return ExecReport(
            exec_id=eid, order_id=f"o-{cl}", cl_ord_id=cl if kind != ExecType.REPLACED else cl + "r",
            exec_type=kind, ord_status=status, side=sd, symbol=tk, order_qty=q, leaves_qty=leaves, cum_qty=cum,
            price=px, last_px=px if kind == ExecType.TRADE else None, last_qty=last if kind == ExecType.TRADE else None,
            fee=f, subaccount=s, orig_cl_ord_id=cl if kind == ExecType.REPLACED else None,
        )


def _queries(book) -> list:
    out = []
    for tk in TICKERS:
        d = book.depth
        out.append((d.top(tk), d.spread(tk), d.mid(tk), d.implied_probability(tk)))
        for sd in ("yes", "no"):
            out.append((d.cost_to_buy(tk, sd, 1234), d.cost_to_buy(tk, sd, 10**7), d.size_at(tk, sd, 5000)))
    out.append(book.positions.account_totals())
    return out


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=10, max_size=80))
def test_numba_book_matches_reference(steps):
    fast = Driver(Book(max_markets=8, max_orders=24, max_subaccounts=64))
    ref = Driver(ReferenceBook(max_markets=8, max_orders=24, max_subaccounts=64))
    for i, s in enumerate(steps):
        got, want = fast.apply(s), ref.apply(s)
        if isinstance(got, np.ndarray):
            got, want = got.tolist(), want.tolist()
        assert got == want, (i, s)
        assert fast.book.snapshot() == ref.book.snapshot(), (i, s)
    assert _queries(fast.book) == _queries(ref.book)

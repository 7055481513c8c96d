"""Market depth: REST snapshots, deltas, top of book, walking the book, bad input."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fixengine.book import Book, ReferenceBook
from fixengine.book.layout import E_BAD_OP, E_BAD_SIZE, E_NEGATIVE_LEVEL, E_OFF_GRID, E_UNKNOWN_MARKET
from fixengine.errors import UserInputError
from fixengine.pricing.ticks import TickGrid


@pytest.fixture(params=[Book, ReferenceBook], ids=["numba", "reference"])
def book(request):
    b = request.param(max_markets=4, max_orders=8, max_subaccounts=2)
    b.add_market("M")
    b.add_market("SUB", "center_deci_edge_centi_cent")
    # the REST example: yes 0.40 x 250, 0.42 x 103; no 0.55 x 40, 0.57 x 72612.49
    assert b.depth.load_snapshot("M", [(4000, 25_000), (4200, 10_300)], [(5500, 4_000), (5700, 7_261_249)]) == 0
    return b


def test_top_of_book_from_bids_only(book):
    d = book.depth
    assert d.top("M") == (4200, 10_300, 4300, 7_261_249)  # YES ask = 1 - best NO bid (0.57)
    assert d.best_bid("M") == (4200, 10_300) and d.best_ask("M") == (4300, 7_261_249)
    assert d.best_bid("M", "no") == (5700, 7_261_249) and d.best_ask("M", "no") == (5800, 10_300)
    assert d.spread("M") == 100
    assert d.mid("M") == Decimal(4250) and d.implied_probability("M") == Decimal("0.425")
    assert d.size_at("M", "yes", 4000) == 25_000 and d.size_at("M", "no", 5500) == 4_000
    assert d.size_at("M", "yes", 4100) == 0
    assert d.levels("M", "no") == [(5500, 4_000), (5700, 7_261_249)]


def test_cost_to_buy_walks_levels(book):
    d = book.depth
    walk = d.cost_to_buy("M", "yes", 7_261_249 + 1_000)  # all of the 0.43 ask, then 10 contracts at 0.45
    assert walk.filled_qty == 7_262_249 and walk.worst_price == 4500
    assert walk.cost == 7_261_249 * 4300 + 1_000 * 4500
    walk = d.cost_to_buy("M", "no", 10**9)  # more than the book: partial
    assert walk.filled_qty == 35_300 and walk.cost == 10_300 * 5800 + 25_000 * 6000 and walk.worst_price == 6000
    assert d.cost_to_buy("M", "maybe", 5).filled_qty == 0


def test_deltas_move_best_levels_both_ways(book):
    d = book.depth
    assert d.apply_delta("M", "yes", 4400, 500) == 0
    assert d.top("M")[:2] == (4400, 500)
    assert d.apply_delta("M", "yes", 4400, -500) == 0  # level empties: best falls back to 0.42
    assert d.top("M")[:2] == (4200, 10_300)
    d.set_level("M", "yes", 4200, 0)
    d.set_level("M", "yes", 4000, 0)
    assert d.top("M")[:2] == (-1, 0) and d.spread("M") is None and d.mid("M") is None
    assert d.implied_probability("M") == Decimal("0.43")  # one-sided: the ask
    d.set_level("M", "no", 5700, 0)
    assert d.top("M")[2:] == (4500, 4_000)


def test_crossed_book_reports_negative_spread(book):
    book.depth.apply_delta("M", "yes", 4600, 100)  # bid above the 0.43 ask
    assert book.depth.spread("M") == 4300 - 4600


def test_subpenny_grid_levels(book):
    d = book.depth
    assert d.load_snapshot("SUB", [(1, 100), (9_990, 5)], [(3, 7), (50, 2)]) == 0  # $0.0001 ticks at the edges
    assert d.top("SUB") == (9_990, 5, 9_950, 2)  # best NO bid 0.0050 -> YES ask 0.9950
    assert d.set_level("SUB", "yes", 5_005, 1) == E_OFF_GRID  # centre band steps $0.001
    assert d.cost_to_buy("SUB", "no", 6).cost == 5 * 10 + 1 * (10_000 - 1)


@pytest.mark.parametrize("call,code", [
    (lambda d: d.apply_delta("M", "yes", 4250, 10), E_OFF_GRID),
    (lambda d: d.apply_delta("M", "yes", 10_000, 10), E_OFF_GRID),
    (lambda d: d.apply_delta("M", "yes", 4000, -25_001), E_NEGATIVE_LEVEL),
    (lambda d: d.set_level("M", "no", 5500, -1), E_BAD_SIZE),
    (lambda d: d.set_level("M", "up", 5500, 1), E_BAD_OP),
    (lambda d: d.apply_delta("NOPE", "yes", 4000, 1), E_UNKNOWN_MARKET),
])
def test_bad_depth_input_is_counted_and_harmless(book, call, code):
    before = book.snapshot()
    assert call(book.depth) == code
    after = book.snapshot()
    assert after.pop("errors") == (1, {code: 1}) and before.pop("errors") == (0, {})
    assert after == before
    assert book.errors.last[-1].code == code and book.errors.summary()


def test_snapshot_replaces_depth_and_reports_bad_entries(book):
    assert book.depth.load_snapshot("M", [(4100, 5), (4150, 5)], [(5000, -1)]) == 2
    assert book.depth.levels("M", "yes") == [(4100, 5)] and book.depth.levels("M", "no") == []
    assert book.errors.count == 2


def test_md_offer_maps_to_no_bid(book):
    """KalshiMD offers are YES prices: offer 0.47 x 80 is a NO bid at 0.53."""
    book.depth.set_level("M", "no", 10_000 - 4700, 8_000)
    assert book.depth.best_ask("M") == (4300, 7_261_249)
    book.depth.set_level("M", "no", 5700, 0)
    assert book.depth.best_ask("M") == (4500, 4_000)


deltas = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1),
                            st.sampled_from([100, 4000, 4200, 5500, 5700, 9900, 4250]),
                            st.integers(-30_000, 30_000)), max_size=60)


@settings(max_examples=40, deadline=None)
@given(deltas, st.booleans())
def test_batch_equals_single_calls_and_reference(rows, absolute):
    books = [cls(max_markets=4, max_orders=1, max_subaccounts=1) for cls in (Book, ReferenceBook, Book)]
    for b in books:
        b.add_market("A")
        b.add_market("B", "deci_cent")
    arr = np.asarray(rows, dtype=np.int64).reshape(-1, 4)
    for b in books[:2]:
        b.depth.apply_batch(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], absolute)
    names = {0: "A", 1: "B", 2: "C"}
    for m, side, price, qty in rows:
        call = books[2].depth.set_level if absolute else books[2].depth.apply_delta
        call(names[m], "yes" if side == 0 else "no", price, qty)
    snaps = [b.snapshot() for b in books]
    assert snaps[0] == snaps[1] == snaps[2]


def test_every_documented_grid_round_trips_through_the_kernels():
    b = Book(max_markets=20, max_orders=1, max_subaccounts=1, level_capacity=20 * 10_000)
    for name in TickGrid.structure_names():
        b.add_market(name, name)
        levels = TickGrid.from_structure(name).levels()
        for p in (levels[0], levels[1], levels[len(levels) // 2], levels[-1]):
            assert b.depth.set_level(name, "yes", p, 1) == 0
            assert b.depth.set_level(name, "no", 10_000 - p, 1) == 0
        picked = sorted({levels[0], levels[1], levels[len(levels) // 2], levels[-1]})
        assert [p for p, _ in b.depth.levels(name, "yes")] == picked
    assert b.errors.count == 0


def test_batched_queries_equal_single_queries(book):
    book.depth.load_snapshot("SUB", [(1, 100), (5_010, 7)], [(4_000, 3)])
    markets = np.asarray([0, 1, 0, 1, 3, -1], dtype=np.int64)
    tops = book.depth.top_batch(markets).tolist()
    names = {0: "M", 1: "SUB"}
    assert tops == [list(book.depth.top(names.get(m, "?"))) for m in markets.tolist()]
    sides = np.asarray([0, 1, 1, 0, 0, 0], dtype=np.int64)
    qtys = np.asarray([10**7, 30_000, 50, 5, 5, 5], dtype=np.int64)
    costs = book.depth.cost_batch(markets, sides, qtys).tolist()
    for (m, side, qty), row in zip(zip(markets.tolist(), sides.tolist(), qtys.tolist()), costs):
        walk = book.depth.cost_to_buy(names.get(m, "?"), "yes" if side == 0 else "no", qty)
        assert row == [walk.filled_qty, walk.cost, -1 if walk.worst_price is None else walk.worst_price]


def test_batch_arrays_of_different_lengths_are_refused():
    b = Book(max_markets=1, max_orders=1, max_subaccounts=1)
    b.add_market("M")
    with pytest.raises(UserInputError):
        b.depth.apply_batch(np.zeros(3, np.int64), np.zeros(2, np.int64), np.zeros(3, np.int64), np.zeros(3, np.int64))
    assert b.snapshot()["markets"]["M"]["yes"] == []

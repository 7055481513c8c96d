"""Own orders: slots, id index, own open quantity per level, queue-ahead, replace, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from fixengine.book import Book, ReferenceBook
from fixengine.book.layout import E_BAD_SIZE, E_CAPACITY, E_OFF_GRID, E_OVERFILL, E_UNKNOWN_ORDER, OK, OK_CLOSED
from fixengine.model import OrdStatus, Side, TimeInForce


@pytest.fixture(params=[Book, ReferenceBook], ids=["numba", "reference"])
def book(request):
    b = request.param(max_markets=4, max_orders=3, max_subaccounts=4)
    b.add_market("M")
    b.add_market("T", "tapered_deci_cent")
    return b


def test_add_get_find_and_own_levels(book):
    slot = book.orders.add("M", Side.BUY, 5600, 1_000, cl_ord_id="c1", subaccount=2, group="grp",
                           tif=TimeInForce.DAY)
    view = book.orders.get(slot)
    assert (view.ticker, view.side, view.price, view.open_qty, view.subaccount) == ("M", Side.BUY, 5600, 1_000, 2)
    assert view.status == OrdStatus.PENDING_NEW and view.group == "grp" and view.time_in_force == TimeInForce.DAY
    assert view.queue_ahead is None  # no depth known yet
    assert book.orders.find(cl_ord_id="c1") == slot and book.orders.working_count == 1
    assert book.orders.open_qty_at("M", Side.BUY, 5600) == 1_000
    assert book.orders.open_qty_at("M", Side.SELL, 5600) == 0


def test_queue_ahead_estimate(book):
    book.depth.load_snapshot("M", [(5600, 3_000)], [])
    slot = book.orders.add("M", Side.BUY, 5600, 500, cl_ord_id="c1")
    # the estimate assumes the feed already shows our order (published size minus our own open qty)
    assert book.orders.queue_ahead(slot) == 2_500
    book.depth.apply_delta("M", "yes", 5600, 500)  # our order shows up in the feed
    assert book.orders.queue_ahead(slot) == 3_000  # everything published when we joined is ahead
    book.depth.apply_delta("M", "yes", 5600, -2_000)  # cancels: at most 1_000 others left at the level
    assert book.orders.queue_ahead(slot) == 1_000
    book.depth.apply_delta("M", "yes", 5600, 4_000)  # joiners queue behind us
    assert book.orders.queue_ahead(slot) == 1_000
    assert book.orders.fill(slot, 100) == OK  # we traded: nobody is ahead any more
    assert book.orders.queue_ahead(slot) == 0


def test_sell_order_queues_among_no_bids(book):
    book.depth.load_snapshot("M", [], [(4400, 700)])  # NO bid 0.44 == YES offer 0.56
    slot = book.orders.add("M", Side.SELL, 5600, 100, cl_ord_id="s1")
    book.depth.apply_delta("M", "no", 4400, 100)  # the feed shows our offer as a NO bid
    assert book.orders.queue_ahead(slot) == 700
    book.depth.load_snapshot("M", [], [(4400, 300)])  # a fresh snapshot: 400 left the level
    assert book.orders.queue_ahead(slot) == 200


def test_fill_last_contract_frees_slot_and_ids(book):
    slot = book.orders.add("M", Side.SELL, 4000, 3, cl_ord_id="c1")  # 0.03 contract
    assert book.orders.fill(slot, 2, 4100) == OK
    assert book.orders.get(slot).status == OrdStatus.PARTIALLY_FILLED
    assert book.orders.fill(slot, 1) == OK_CLOSED
    assert book.orders.get(slot) is None and book.orders.find(cl_ord_id="c1") is None
    assert book.orders.open_qty_at("M", Side.SELL, 4000) == 0
    p = book.positions.position("M")
    assert p.no_qty == 3 and p.no_cost == 2 * 5900 + 1 * 6000
    assert book.orders.add("M", Side.BUY, 100, 1, cl_ord_id="c2") == slot  # slot reused


def test_overfill_and_unknown_are_counted_and_harmless(book):
    slot = book.orders.add("M", Side.BUY, 4000, 100, cl_ord_id="c1")
    before = book.snapshot()
    assert book.orders.fill(slot, 101) == E_OVERFILL
    assert book.orders.fill(slot, 0) == E_BAD_SIZE
    assert book.orders.fill(99, 1) == E_UNKNOWN_ORDER
    assert book.orders.cancel(0) == E_UNKNOWN_ORDER
    after = book.snapshot()
    assert after.pop("errors")[0] == 4
    before.pop("errors")
    assert after == before


def test_cancel_removes_open_quantity(book):
    slot = book.orders.add("M", Side.BUY, 4000, 100, cl_ord_id="c1")
    assert book.orders.cancel(slot) == OK_CLOSED
    assert book.orders.open_qty_at("M", Side.BUY, 4000) == 0
    assert book.orders.cancel(slot) == E_UNKNOWN_ORDER


def test_replace_moves_level_and_priority(book):
    book.depth.load_snapshot("M", [(4000, 900), (4100, 50)], [])
    slot = book.orders.add("M", Side.BUY, 4000, 1_000, cl_ord_id="c1")
    book.orders.fill(slot, 200)
    assert book.orders.replace(slot, qty=800) == 1  # size down to 600 open: keeps priority (0 ahead after fill)
    view = book.orders.get(slot)
    assert (view.orig_qty, view.open_qty, view.filled_qty, view.queue_ahead) == (800, 600, 200, 0)
    assert book.orders.replace(slot, price=4100, qty=900, cl_ord_id="c2") == 1  # price change: back of queue
    book.depth.apply_delta("M", "yes", 4100, 700)  # the feed shows us at the new level
    assert book.orders.get(slot).queue_ahead == 50
    assert book.orders.open_qty_at("M", Side.BUY, 4000) == 0 and book.orders.open_qty_at("M", Side.BUY, 4100) == 700
    assert book.orders.find(cl_ord_id="c2") == slot
    assert book.orders.replace(slot, price=4150, qty=900) == 0 and book.errors.last[-1].code == E_OFF_GRID
    assert book.orders.replace(slot, qty=200) == 1 and book.orders.get(slot) is None  # down to filled: done


def test_subpenny_and_self_cross(book):
    buy = book.orders.add("T", Side.BUY, 950, 10, cl_ord_id="b")
    assert buy and book.orders.add("T", Side.BUY, 955, 10, cl_ord_id="x") == 0  # off the $0.001 edge grid
    assert book.errors.last[-1].code == E_OFF_GRID
    assert book.orders.would_self_cross("T", Side.SELL, 940)
    assert not book.orders.would_self_cross("T", Side.SELL, 960)
    assert not book.orders.would_self_cross("T", Side.BUY, 990)


def test_capacity_is_reported_not_raised(book):
    slots = [book.orders.add("M", Side.BUY, 100 * (i + 1), 1, cl_ord_id=f"c{i}") for i in range(4)]
    assert slots[:3] == [1, 2, 3] and slots[3] == 0
    assert book.errors.last[-1].code == E_CAPACITY


def test_batches_match_single_calls():
    books = [Book(max_markets=2, max_orders=50, max_subaccounts=1) for _ in range(2)]
    markets = np.zeros(20, dtype=np.int64)
    sides = np.arange(20, dtype=np.int64) % 2
    prices = 100 * (1 + np.arange(20, dtype=np.int64) % 99)
    qtys = 100 + np.arange(20, dtype=np.int64)
    for b in books:
        b.add_market("M")
    slots = books[0].orders.add_batch(markets, sides, prices, qtys)
    single = [books[1].orders.add("M", Side.BUY if s == 0 else Side.SELL, int(p), int(q))
              for s, p, q in zip(sides, prices, qtys)]
    assert slots.tolist() == single
    assert books[0].orders.fill_batch(slots[:10], np.full(10, 100), np.full(10, 5000)) == 10
    for s in single[:10]:
        books[1].orders.fill(s, 100, 5000)
    assert books[0].orders.cancel_batch(slots[10:]) == 10
    for s in single[10:]:
        books[1].orders.cancel(s)
    snaps = [b.snapshot() for b in books]
    assert snaps[0] == snaps[1] and len(snaps[0]["orders"]) == 9  # the first (qty 100) filled completely


def test_default_capacity_holds_a_million_orders_without_reallocation():
    book = Book()  # 5,000 markets x 1,000,000 orders x 64 subaccounts
    arrays = (book.mkt, book.levels, book.o32, book.o64, book.pos)
    for i in range(5_000):
        book.add_market(f"MKT-{i}")
    n = 1_000_000
    markets = np.arange(n, dtype=np.int64) % 5_000
    prices = 100 * (1 + np.arange(n, dtype=np.int64) % 99)
    slots = book.orders.add_batch(markets, np.arange(n, dtype=np.int64) % 2, prices, np.full(n, 100, np.int64))
    assert np.count_nonzero(slots) == n and book.orders.working_count == n and book.errors.count == 0
    assert book.orders.add("MKT-0", Side.BUY, 5000, 1) == 0  # full: a counted error, not an exception
    assert all(a is b for a, b in zip(arrays, (book.mkt, book.levels, book.o32, book.o64, book.pos)))
    assert book.memory_bytes() < 200 * 2**20

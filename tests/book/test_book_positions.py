"""Positions: Kalshi netting, realized P&L against average cost, fees, exposure, settlement, totals."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fixengine.book import Book, ReferenceBook
from fixengine.book.layout import E_BAD_PRICE, E_BAD_SIZE, E_BAD_SUBACCOUNT, E_UNKNOWN_MARKET
from fixengine.model import SettlementParty, SettlementReport, Side

BOOKS = [Book, ReferenceBook]


@pytest.fixture(params=BOOKS, ids=["numba", "reference"])
def book(request):
    b = request.param(max_markets=4, max_orders=16, max_subaccounts=4)
    b.add_market("M")
    b.add_market("S", "tapered_deci_cent")
    return b


def test_buy_yes_then_sell_part_realizes_against_average_cost(book):
    pos = book.positions
    pos.apply_fill("M", Side.BUY, 4700, 10_000)  # 100 YES @ $0.47
    pos.apply_fill("M", Side.BUY, 4800, 5_000)  # 50 YES @ $0.48
    p = pos.position("M")
    assert p.yes_qty == 15_000
    assert p.yes_cost == 10_000 * 4700 + 5_000 * 4800
    assert p.avg_yes_price == Fraction(71_000_000, 15_000)
    pos.apply_fill("M", Side.SELL, 5000, 10_000)  # sell 100 YES @ $0.50
    p = pos.position("M")
    removed = 71_000_000 * 10_000 // 15_000  # floor of the cost share
    assert p.yes_qty == 5_000 and p.yes_cost == 71_000_000 - removed
    assert p.realized_pnl == 10_000 * 5000 - removed
    assert p.exposure == p.yes_cost and p.no_qty == 0


def test_buying_no_while_long_yes_closes_yes_first_then_opens_no(book):
    pos = book.positions
    pos.apply_fill("M", Side.BUY, 4000, 300)  # 3 YES @ 0.40: cost 1_200_000
    pos.apply_fill("M", Side.SELL, 4500, 500, fee=7_000)  # buy 5 NO @ 0.55 == sell YES @ 0.45
    p = pos.position("M")
    assert (p.yes_qty, p.no_qty) == (0, 200)
    assert p.realized_pnl == 300 * 4500 - 1_200_000  # +$0.15
    assert p.no_cost == 200 * 5500 and p.exposure == 1_100_000
    assert p.fees == 7_000 and p.net_pnl == 150_000 - 7_000
    pos.apply_fill("M", Side.BUY, 4400, 200)  # buy YES == sell NO @ 0.56
    p = pos.position("M")
    assert (p.yes_qty, p.no_qty, p.no_cost) == (0, 0, 0)
    assert p.realized_pnl == 150_000 + 200 * 5600 - 200 * 5500
    assert p.volume == 1_000


def test_closing_the_last_contract_removes_all_remaining_cost(book):
    pos = book.positions
    for price in (3300, 3400, 3500):
        pos.apply_fill("M", Side.BUY, price, 1)  # 0.01 contract each: fractional contracts
    pos.apply_fill("M", Side.SELL, 3400, 2)
    pos.apply_fill("M", Side.SELL, 3400, 1)
    p = pos.position("M")
    assert (p.yes_qty, p.yes_cost, p.exposure) == (0, 0, 0)
    assert p.realized_pnl == 3 * 3400 - (3300 + 3400 + 3500)


def test_subpenny_prices_are_exact(book):
    book.positions.apply_fill("S", Side.BUY, 950, 333)  # $0.095 on a tapered grid
    book.positions.apply_fill("S", Side.SELL, 960, 111)
    p = book.positions.position("S")
    assert p.yes_qty == 222 and p.realized_pnl == 111 * 960 - 950 * 333 * 111 // 333


def test_settlement_closes_at_value_and_books_payout_and_fee(book):
    pos = book.positions
    pos.apply_fill("M", Side.BUY, 4000, 700)  # 7 YES @ 0.40
    report = SettlementReport("r1", "M", "20260826", "scalar", 3060,
                              parties=[SettlementParty("0", 700, 0, payout=2_140_000, fee=2_000)])
    assert pos.apply_settlement(report) == 1
    p = pos.position("M")
    assert (p.yes_qty, p.yes_cost, p.exposure) == (0, 0, 0)
    assert p.realized_pnl == 700 * 3060 - 700 * 4000  # unrounded settlement value - cost
    assert p.payout == 2_140_000 and p.fees == 2_000
    assert pos.apply_settlement(report) == 0 and book.duplicates == 1  # pages are idempotent
    assert book.snapshot()["markets"]["M"]["settled"] == 3060
    assert book.errors.count == 0


def test_settlement_of_no_holder_and_mismatch_is_reported(book):
    book.positions.apply_fill("M", Side.SELL, 6000, 400, subaccount=1)  # 4 NO @ 0.40
    report = SettlementReport("r2", "M", "20260826", "no", 0,
                              parties=[SettlementParty("1", 0, 500, payout=4_000_000, fee=0)])
    book.apply_settlement(report)
    p = book.positions.position("M", 1)
    assert p.realized_pnl == 400 * 10_000 - 400 * 4000 and p.no_qty == 0
    assert book.errors.by_code == {13: 1}  # book held 4 NO, report said 5: reported, book value used


def test_totals_per_subaccount_and_account(book):
    pos = book.positions
    pos.apply_fill("M", Side.BUY, 2000, 100, fee=10, subaccount=0)
    pos.apply_fill("S", Side.SELL, 2000, 100, fee=20, subaccount=0)
    pos.apply_fill("M", Side.BUY, 3000, 100, fee=30, subaccount=3)
    t0, t3, acct = pos.subaccount_totals(0), pos.subaccount_totals(3), pos.account_totals()
    assert t0.exposure == 100 * 2000 + 100 * 8000 and t0.fees == 30
    assert t3.exposure == 300_000 and t3.fees == 30
    assert acct.exposure == t0.exposure + t3.exposure and acct.fees == 60


@pytest.mark.parametrize("args,code", [
    (("M", Side.BUY, 4000, 0), E_BAD_SIZE),
    (("M", Side.BUY, 4000, -5), E_BAD_SIZE),
    (("M", Side.BUY, 10_000, 5), E_BAD_PRICE),
    (("M", Side.BUY, 0, 5), E_BAD_PRICE),
    (("X", Side.BUY, 4000, 5), E_UNKNOWN_MARKET),
])
def test_bad_fills_are_counted_and_change_nothing(book, args, code):
    before = book.snapshot()["positions"]
    assert book.positions.apply_fill(*args) == code
    assert book.positions.apply_fill("M", Side.BUY, 4000, 5, subaccount=4) == E_BAD_SUBACCOUNT
    assert book.errors.count == 2 and book.errors.last[0].code == code
    assert book.snapshot()["positions"] == before


def test_huge_positions_do_not_overflow():
    # 20M contracts at $0.9999, partially closed: cost * qty would overflow int64, the split formula does not
    for cls in BOOKS:
        b = cls(max_markets=1, max_orders=1, max_subaccounts=1)
        b.add_market("M")
        b.positions.apply_fill("M", Side.BUY, 9999, 2_000_000_000)
        b.positions.apply_fill("M", Side.BUY, 100, 7)
        b.positions.apply_fill("M", Side.SELL, 5000, 1_999_999_999)
        p = b.positions.position("M")
        cost = 9999 * 2_000_000_000 + 700
        assert p.yes_cost == cost - cost * 1_999_999_999 // 2_000_000_007


fills = st.lists(st.tuples(st.sampled_from(["M", "S"]), st.sampled_from([0, 1]), st.sampled_from([Side.BUY, Side.SELL]),
                           st.sampled_from([10, 950, 1000, 3300, 4700, 5000, 8800, 9990]),
                           st.integers(1, 20_000), st.integers(-10, 100)), min_size=5, max_size=150)


@settings(max_examples=80, deadline=None)
@given(fills, st.sampled_from([None, 0, 10_000, 3060]))
def test_positions_match_reference(seq, settle_value):
    books = [cls(max_markets=4, max_orders=4, max_subaccounts=2) for cls in BOOKS]
    for b in books:
        b.add_market("M")
        b.add_market("S", "tapered_deci_cent")
        for tk, sub, side, price, qty, fee in seq:
            b.positions.apply_fill(tk, side, price, qty, fee=fee, subaccount=sub)
        if settle_value is not None:
            parties = [SettlementParty(str(s), *b._held(0, s), payout=s, fee=1) for s in (0, 1)]
            b.apply_settlement(SettlementReport("r", "M", "20260826", "scalar", settle_value, parties=parties))
    assert books[0].snapshot() == books[1].snapshot()
    total = books[0].positions.account_totals()
    # exposure is exactly the cost of what is still held
    assert total.exposure == sum(books[1]._pos_row(c)[2] + books[1]._pos_row(c)[3] for c in range(8))

"""Randomized order flow: book never crossed, positions net to zero, money conserved, reservations exact."""

import random

import pytest
from sim_exchange_helpers import DOLLAR, Harness, contracts

from fixengine.model import Side, TimeInForce
from fixengine.sim.exchange.accounts import market_reserve

USERS = ("alice", "bob", "carol", "dave")
SYMBOLS = ("LIN", "FRAC", "TAP")


def total_money(h) -> int:
    cash = sum(s.cash for a in h.ex._accounts.values() for s in a.subaccounts.values())
    fees = sum(p.fees_paid for a in h.ex._accounts.values() for p in a.positions.values())
    open_interest = sum(m.open_interest for m in h.ex._markets.values())
    return cash + fees + 10_000 * open_interest  # each outstanding YES/NO pair holds $1 (price units x qty)


def check(h, initial):
    for symbol in SYMBOLS:
        market = h.ex._markets[symbol]
        bid, ask = market.book.best(Side.BUY), market.book.best(Side.SELL)
        assert bid is None or ask is None or bid < ask, f"{symbol} crossed {bid} >= {ask}"
        assert sum(a.held(sub, symbol) for a in h.ex._accounts.values() for sub in a.subaccounts) == 0
        longs = sum(max(a.held(sub, symbol), 0) for a in h.ex._accounts.values() for sub in a.subaccounts)
        assert longs == market.open_interest
    assert total_money(h) == initial
    for account in h.ex._accounts.values():
        for number, sub in account.subaccounts.items():
            expected_total = 0
            for symbol in SYMBOLS:
                orders = [o for o in h.ex._orders.values()
                          if o.user_id == account.user_id and o.subaccount == number and o.symbol == symbol
                          and o.is_open and o.priority]
                expected = market_reserve(orders, account.held(number, symbol), h.ex._markets[symbol].fees)
                assert sub.reserves.get(symbol, 0) == expected
                expected_total += expected
            assert sub.reserved == expected_total


@pytest.mark.parametrize("seed", range(4))
def test_random_flow_keeps_invariants(seed):
    rng = random.Random(seed)
    h = Harness()
    initial = total_money(h)
    placed: list[tuple[str, str, str, Side]] = []
    for step in range(200):
        user = rng.choice(USERS)
        symbol = rng.choice(SYMBOLS)
        action = rng.random()
        if action < 0.7 or not placed:
            side = rng.choice((Side.BUY, Side.SELL))
            price = rng.choice(range(3000, 7001, 100))
            if symbol == "TAP" and rng.random() < 0.3:
                price = rng.choice(range(10, 1000, 10))
            qty = contracts(rng.randint(1, 8)) + (rng.randint(0, 99) if symbol == "FRAC" else 0)
            tif = rng.choice((TimeInForce.GTC, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK))
            cl = f"o{step}"
            h.order(user, symbol, side, price, qty, cl_ord_id=cl, tif=tif, stp=rng.choice((1, 2)),
                    post_only=rng.random() < 0.1)
            placed.append((user, cl, symbol, side))
        elif action < 0.85:
            user, cl, symbol, side = rng.choice(placed)
            h.cancel(user, cl, symbol, side)
        else:
            user, cl, symbol, side = rng.choice(placed)
            new = f"r{step}"
            events = h.replace(user, cl, symbol, side, contracts(rng.randint(1, 10)),
                               price=rng.choice(range(3000, 7001, 100)), cl_ord_id=new)
            if events and type(events[0]).__name__ == "OrderReplaced":
                placed.append((user, new, symbol, side))
        check(h, initial)
    h.ex.settle_market("LIN", "yes")
    check(h, initial)
    assert all(s.cash >= 0 for a in h.ex._accounts.values() for s in a.subaccounts.values())
    assert h.ex.market("LIN").open_interest == 0 and initial > 1000 * DOLLAR

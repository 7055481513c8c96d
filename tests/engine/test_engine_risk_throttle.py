"""Pre-trade risk rules and the Write-bucket throttle (unit level, injectable clock)."""

from __future__ import annotations

import pytest

from fixengine.engine.orders import Order, OrderTracker
from fixengine.engine.positions import PositionBook
from fixengine.engine.risk import RiskChecker, RiskLimits
from fixengine.engine.throttle import WriteThrottle, write_bucket_for_tier
from fixengine.errors import UserInputError
from fixengine.model import Side

T = "KXRISK-1"


def checker(**limits):
    tracker, book = OrderTracker(), PositionBook()
    return RiskChecker(RiskLimits(**limits), tracker, book), tracker, book


def test_max_order_qty_and_notional():
    risk, _, _ = checker(max_order_qty=1000, max_order_notional=3_000_000)  # 10 contracts, $3.00
    assert risk.check_new(T, True, 5000, 1000, 0) is not None  # $5.00 at risk
    assert risk.check_new(T, True, 3000, 1000, 0) is None
    breach = risk.check_new(T, True, 100, 1001, 0)
    assert breach.rule == "max_order_qty" and "10.01" in breach.reason
    # selling YES at 0.90 risks the NO price (0.10) per contract
    assert risk.check_new(T, False, 9000, 1000, 0) is None
    assert risk.check_new(T, False, 6000, 1000, 0).rule == "max_order_notional"


def test_position_limits_count_working_orders():
    risk, tracker, book = checker(max_position_per_market=1000, max_position_total=1500)
    tracker.add(Order("a", T, Side.BUY, "buy_yes", 4000, 600, "1"))
    assert risk.check_new(T, True, 4000, 400, 0) is None
    assert risk.check_new(T, True, 4000, 401, 0).rule == "max_position_per_market"
    # the opposite side is a separate worst case (NO exposure)
    assert risk.check_new(T, False, 4000, 1000, 0) is None
    book.get("OTHER").apply(True, 5000, 1000, 0)
    assert risk.check_new(T, True, 4000, 300, 0).rule == "max_position_total"


def test_max_open_orders_and_kill_switch_and_loss_limit():
    risk, tracker, _ = checker(max_open_orders=2, daily_loss_limit=1_000_000)
    for key in ("a", "b"):
        tracker.add(Order(key, T, Side.BUY, "buy_yes", 4000, 100, "1"))
    assert risk.check_new(T, True, 4000, 100, 0).rule == "max_open_orders"
    risk.killed = "operator"
    assert risk.check_new(T, True, 4000, 100, 0).rule == "kill_switch"
    risk.killed = None
    risk.on_realized(-600_000, "20261125")
    risk.on_realized(-400_000, "20261125")
    assert risk.check_new(T, True, 4000, 100, 0).rule == "daily_loss_limit"
    risk.on_realized(0, "20261126")  # a new day starts from zero
    assert risk.loss_limit_hit() is False


def test_price_collar_against_best_prices():
    risk, _, _ = checker(price_collar=500)
    assert risk.check_new(T, True, 9000, 100, 0) is None  # no best price known: not checked
    risk.set_best_prices(T, 4000, 4200)
    assert risk.check_new(T, True, 4700, 100, 0) is None
    assert risk.check_new(T, True, 4701, 100, 0).rule == "price_collar"
    assert risk.check_new(T, False, 3500, 100, 0) is None
    assert risk.check_new(T, False, 3499, 100, 0).rule == "price_collar"


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_write_bucket_paces_to_tier_budget():
    refill, capacity = write_bucket_for_tier("Premier")
    assert (refill, capacity) == (1000.0, 2000.0)
    assert write_bucket_for_tier("basic") == (100.0, 100.0)
    clock = Clock()
    bucket = WriteThrottle(refill, capacity, cost=10, safety=1.0, clock=clock)
    assert all(bucket.try_take() == 0.0 for _ in range(200))  # burst of 2x budget
    wait = bucket.try_take()
    assert wait == pytest.approx(0.01)  # 10 tokens at 1000/s
    clock.now += 0.01
    assert bucket.try_take() == 0.0
    clock.now += 100
    assert bucket.tokens == capacity  # never above capacity
    bucket.drain()  # a 380=8 arrived
    assert bucket.tokens == 0 and bucket.exchange_limited == 1


def test_write_bucket_safety_margin_and_bad_tier():
    bucket = WriteThrottle(1000, 2000, safety=0.9, clock=Clock())
    assert bucket.capacity == 1800 and bucket.refill_per_s == 900
    with pytest.raises(UserInputError, match="unknown rate-limit tier"):
        write_bucket_for_tier("Gold")

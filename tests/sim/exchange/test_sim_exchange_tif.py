"""TimeInForce: Day, GTC, IOC, FOK, GTD (incl. past expiry), expiry via advance_time, close."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sim_exchange_helpers import T0, OrderCanceled, OrderFilled, cents, contracts, kinds, only

from fixengine.model import OrdStatus, TimeInForce
from fixengine.sim.exchange import CancelReason, day_order_expiry

ET = ZoneInfo("America/New_York")


def test_day_order_expires_at_2359_59_999_eastern(h):
    events = h.buy("alice", "LIN", cents(40), contracts(1), tif=TimeInForce.DAY)
    expire = events[0].order.expire_time
    assert expire.astimezone(ET).replace(tzinfo=None) == datetime(2026, 11, 25, 23, 59, 59, 999000)
    assert expire == datetime(2026, 11, 26, 4, 59, 59, 999000, tzinfo=timezone.utc)  # EST = UTC-5
    assert h.ex.advance_time(expire - timedelta(milliseconds=1)) == []
    expired = h.ex.advance_time(expire)
    assert kinds(expired) == ["OrderCanceled"]
    assert expired[0].reason is CancelReason.EXPIRY and expired[0].order.status is OrdStatus.CANCELED
    assert h.ex.orderbook("LIN").yes == ()


def test_day_expiry_uses_eastern_date_in_summer_too():
    summer = datetime(2026, 7, 1, 3, 30, tzinfo=timezone.utc)  # still June 30 in New York (EDT)
    assert day_order_expiry(summer) == datetime(2026, 7, 1, 3, 59, 59, 999000, tzinfo=timezone.utc)


def test_gtd_expires_at_its_expire_time(h):
    deadline = T0 + timedelta(minutes=5)
    h.buy("alice", "LIN", cents(40), contracts(1), tif=TimeInForce.GTD, expire_time=deadline)
    assert h.ex.advance_time(T0 + timedelta(minutes=4)) == []
    events = h.ex.advance_time(T0 + timedelta(minutes=6))
    assert only(events, OrderCanceled)[0].reason is CancelReason.EXPIRY


def test_expiry_runs_before_the_next_request_so_expired_orders_cannot_trade(h):
    h.buy("alice", "LIN", cents(40), contracts(1), tif=TimeInForce.GTD, expire_time=T0 + timedelta(seconds=1))
    h.clock.advance(timedelta(seconds=2))
    events = h.sell("bob", "LIN", cents(40), contracts(1))
    assert kinds(events) == ["OrderCanceled", "OrderAccepted"]  # the expiry first, no trade


def test_gtd_with_past_expire_time_is_handled_as_ioc(h):
    h.sell("bob", "LIN", cents(40), contracts(1))
    events = h.buy("alice", "LIN", cents(40), contracts(3), tif=TimeInForce.GTD,
                   expire_time=T0 - timedelta(seconds=1))
    assert kinds(events) == ["OrderAccepted", "OrderFilled", "OrderFilled", "OrderCanceled"]
    assert events[-1].text == "IMMEDIATE_OR_CANCELLED" and events[-1].order.cum_qty == 100


def test_ioc_nothing_crosses(h):
    events = h.buy("alice", "LIN", cents(40), contracts(1), tif=TimeInForce.IOC)
    assert kinds(events) == ["OrderAccepted", "OrderCanceled"]
    assert events[1].text == "IMMEDIATE_OR_CANCELLED" and events[1].reason is CancelReason.IOC
    assert events[1].order.order_qty == 0  # OrderQty shrinks to CumQty


def test_ioc_partial_fill_cancels_remainder(h):
    h.sell("bob", "LIN", cents(40), contracts(2))
    events = h.buy("alice", "LIN", cents(40), contracts(5), tif=TimeInForce.IOC)
    assert kinds(events) == ["OrderAccepted", "OrderFilled", "OrderFilled", "OrderCanceled"]
    cancel = events[-1]
    assert cancel.order.cum_qty == 200 and cancel.order.leaves_qty == 0 and cancel.order.order_qty == 200
    assert cancel.order.original_qty == 500
    assert h.ex.orderbook("LIN").yes == ()


def test_fok_not_fully_fillable_is_canceled_without_trading(h):
    h.sell("bob", "LIN", cents(40), contracts(2))
    events = h.buy("alice", "LIN", cents(40), contracts(3), tif=TimeInForce.FOK)
    assert kinds(events) == ["OrderAccepted", "OrderCanceled"]
    assert events[1].text == "FOK_INSUFFICIENT_VOLUME"
    assert h.ex.orderbook("LIN").no == ((6000, 200),)


def test_fok_fully_fillable_across_levels(h):
    h.sell("bob", "LIN", cents(40), contracts(2))
    h.sell("bob", "LIN", cents(41), contracts(2))
    events = h.buy("alice", "LIN", cents(41), contracts(3), tif=TimeInForce.FOK)
    assert only(events, OrderFilled)[-1].order.status is OrdStatus.FILLED or \
        only(events, OrderFilled)[-2].order.status is OrdStatus.FILLED
    assert not only(events, OrderCanceled)


def test_gtc_rests_until_market_close(h):
    h.buy("alice", "LIN", cents(40), contracts(1))
    h.buy("alice", "LIN", cents(41), contracts(1), tif=TimeInForce.DAY)
    events = h.ex.close_market("LIN")
    cancels = only(events, OrderCanceled)
    assert len(cancels) == 2 and all(c.reason is CancelReason.CLOSE for c in cancels)
    assert kinds(events)[-1] == "MarketStatusChanged" and events[-1].status == "closed"


def test_scheduled_close_time_closes_market_on_advance(h):
    market = h.ex._markets["LIN"]
    market.close_time = T0 + timedelta(hours=1)
    h.buy("alice", "LIN", cents(40), contracts(1))
    events = h.ex.advance_time(T0 + timedelta(hours=2))
    assert only(events, OrderCanceled)[0].reason is CancelReason.CLOSE
    assert h.ex.market("LIN").status == "closed"
    rejected = h.buy("alice", "LIN", cents(40), contracts(1))
    assert rejected[0].text == "MARKET_ALREADY_CLOSED"

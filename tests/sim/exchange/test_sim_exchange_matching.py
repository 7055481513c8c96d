"""Matching: price-time priority, partial fills, trade price, YES/NO book, fills' fields."""

from sim_exchange_helpers import DOLLAR, OrderAccepted, OrderFilled, cents, contracts, kinds, only

from fixengine.model import OrdStatus, Side


def test_resting_order_is_accepted_and_rests(h):
    events = h.buy("alice", "LIN", cents(40), contracts(10))
    assert kinds(events) == ["OrderAccepted"]
    view = events[0].order
    assert view.status is OrdStatus.NEW and view.leaves_qty == 1000 and view.cum_qty == 0
    assert h.ex.orderbook("LIN").yes == ((4000, 1000),)


def test_trade_prints_at_resting_price_and_first_event_is_accepted(h):
    h.sell("bob", "LIN", cents(40), contracts(10))
    events = h.buy("alice", "LIN", cents(45), contracts(4))
    assert kinds(events) == ["OrderAccepted", "OrderFilled", "OrderFilled"]
    taker, maker = events[1], events[2]
    assert taker.fill.price == 4000 and maker.fill.price == 4000  # resting price, YES
    assert taker.fill.aggressor and not maker.fill.aggressor
    assert taker.fill.trade_id == maker.fill.trade_id
    assert taker.order.status is OrdStatus.FILLED and taker.order.avg_px == 4000
    assert maker.order.status is OrdStatus.PARTIALLY_FILLED and maker.order.leaves_qty == 600


def test_sell_side_last_px_is_yes_price(h):
    h.buy("bob", "LIN", cents(62), contracts(5))
    events = h.sell("alice", "LIN", cents(60), contracts(5))
    fill = only(events, OrderFilled)[0].fill
    assert fill.price == 6200 and fill.side is Side.SELL
    assert fill.long_qty == 0 and fill.short_qty == 500


def test_price_then_time_priority(h):
    a = h.sell("bob", "LIN", cents(41), contracts(1), cl_ord_id="b41")
    b = h.sell("bob", "LIN", cents(40), contracts(1), cl_ord_id="b40-first")
    c = h.sell("dave", "LIN", cents(40), contracts(1), cl_ord_id="d40-second")
    events = h.buy("alice", "LIN", cents(41), contracts(3))
    makers = [e.order.cl_ord_id for e in only(events, OrderFilled) if not e.fill.aggressor]
    assert makers == ["b40-first", "d40-second", "b41"]
    assert [e.fill.price for e in only(events, OrderFilled) if e.fill.aggressor] == [4000, 4000, 4100]
    assert all(x[0].order.order_id for x in (a, b, c))


def test_partial_fill_rests_remainder_and_later_fills(h):
    h.sell("bob", "LIN", cents(50), contracts(3))
    events = h.buy("alice", "LIN", cents(50), contracts(5), cl_ord_id="A")
    taker = only(events, OrderFilled)[0].order
    assert taker.status is OrdStatus.PARTIALLY_FILLED and taker.leaves_qty == 200
    assert h.ex.orderbook("LIN").yes == ((5000, 200),)
    later = h.sell("dave", "LIN", cents(49), contracts(2))
    resting_fill = [e for e in only(later, OrderFilled) if e.order.cl_ord_id == "A"][0]
    assert resting_fill.fill.price == 5000 and resting_fill.order.status is OrdStatus.FILLED
    assert resting_fill.order.cum_qty == 500 and not resting_fill.fill.aggressor


def test_non_crossing_orders_do_not_trade(h):
    h.sell("bob", "LIN", cents(55), contracts(1))
    events = h.buy("alice", "LIN", cents(54), contracts(1))
    assert kinds(events) == ["OrderAccepted"]


def test_orderbook_rest_shape_yes_and_no_bids_ascending(h):
    h.buy("alice", "LIN", cents(40), contracts(2))
    h.buy("alice", "LIN", cents(42), contracts(1))
    h.sell("bob", "LIN", cents(60), contracts(3))
    h.sell("bob", "LIN", cents(58), contracts(4))
    book = h.ex.orderbook("LIN")
    assert book.yes == ((4000, 200), (4200, 100))
    assert book.no == ((4000, 300), (4200, 400))  # offers of YES at 60/58 = NO bids at 40/42, best last
    assert h.ex.orderbook("LIN", depth=1).no == ((4200, 400),)
    assert h.ex.orderbook("NOPE").yes == ()
    market = h.ex.market("LIN")
    assert (market.yes_bid, market.yes_bid_size, market.yes_ask, market.yes_ask_size) == (4200, 100, 5800, 400)


def test_sweep_multiple_levels_average_price(h):
    h.sell("bob", "LIN", cents(40), contracts(1))
    h.sell("bob", "LIN", cents(42), contracts(1))
    events = h.buy("alice", "LIN", cents(50), contracts(2))
    final = only(events, OrderFilled)[-2].order  # taker's last fill comes before the maker's
    assert final.cum_cost == 4000 * 100 + 4200 * 100
    assert final.avg_px == 4100


def test_market_statistics(h):
    h.sell("bob", "LIN", cents(30), contracts(5))
    h.buy("alice", "LIN", cents(30), contracts(5))
    m = h.ex.market("LIN")
    assert m.last_price == 3000 and m.volume == 500 and m.open_interest == 500
    # alice (long YES) sells 2 back to a new buyer: open interest unchanged (dave opens), volume grows
    h.buy("dave", "LIN", cents(35), contracts(2))
    h.sell("alice", "LIN", cents(35), contracts(2))
    m = h.ex.market("LIN")
    assert m.volume == 700 and m.open_interest == 500
    assert h.ex.trades("LIN")[-1][2:4] == (3500, 200)


def test_subpenny_market_trades_on_deci_grid(h):
    h.sell("bob", "TAP", 550, contracts(3))  # $0.055
    events = h.buy("alice", "TAP", 560, contracts(1))
    fill = only(events, OrderFilled)[0].fill
    assert fill.price == 550 and fill.shard == 2
    assert only(events, OrderAccepted)[0].order.shard == 2


def test_fractional_quantities_trade(h):
    h.sell("bob", "FRAC", cents(50), 90)  # 0.90 contracts
    events = h.buy("alice", "FRAC", cents(50), 30)
    assert only(events, OrderFilled)[0].fill.qty == 30
    assert h.position("alice", "FRAC") == 30
    assert h.cash("alice") < 1000 * DOLLAR

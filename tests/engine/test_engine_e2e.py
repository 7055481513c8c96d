"""End-to-end: the engine against the simulator over real FIX sessions on loopback."""

from __future__ import annotations

import pytest

from fixengine.engine import Engine, EventKind, OrderStatus
from fixengine.errors import UserInputError
from fixengine.pricing.ticks import TickGrid
from engine_helpers import LINEAR, SUBPENNY, engine_config, wait_until

pytestmark = pytest.mark.slow


def sim_book(ticker):
    import engine_helpers

    return engine_helpers.current_sim.exchange.orderbook(ticker)


def drain(engine):
    out = []
    while not engine.events.empty():
        out.append(engine.events.get())
    return out


@pytest.fixture(scope="module")
def pair(sim, keyring, tmp_path_factory):
    """A trader and a liquidity provider (different accounts), both logged on to KalshiNR."""
    base = tmp_path_factory.mktemp("e2e")
    trader = Engine.from_config(engine_config(base / "t", keyring, "trader"), ports={"NR": sim.ports["NR"]})
    maker = Engine.from_config(engine_config(base / "m", keyring, "maker"), ports={"NR": sim.ports["NR"]})
    trader.connect()
    maker.connect()
    yield trader, maker
    trader.close()
    maker.close()


@pytest.fixture
def clean(pair):
    trader, maker = pair
    for engine in pair:
        for order in engine.open_orders():
            engine.cancel(order)
        assert engine.wait(lambda e=engine: not e.open_orders(), 5)
        drain(engine)
    trader.release_kill()
    return pair


def test_rest_then_cross_fills_both_sides(clean):
    trader, maker = clean
    bid = trader.new_order(LINEAR, "buy_yes", "0.40", "10", tif="gtc")
    assert trader.wait(lambda: bid.status is OrderStatus.WORKING)
    assert bid.order_id and bid.leaves_qty == 1000
    hit = maker.new_order(LINEAR, "sell_yes", "0.40", "4", tif="ioc")
    assert maker.wait(lambda: hit.is_done), hit
    assert hit.status is OrderStatus.FILLED, (hit, hit.last_text, sim_book(LINEAR))
    assert trader.wait(lambda: bid.cum_qty == 400), bid
    assert hit.status is OrderStatus.FILLED and hit.fills[0].price == 4000
    assert bid.status is OrderStatus.PARTIALLY_FILLED and bid.leaves_qty == 600
    assert bid.fills[0].aggressor is False and hit.fills[0].aggressor is True
    kinds = [e.kind for e in drain(trader) if e.order is bid]
    assert kinds == [EventKind.ACK, EventKind.PARTIAL]
    assert trader.positions.get(LINEAR).net >= 400
    assert hit.fees > 0  # the taker pays Kalshi's fee


def test_buy_no_goes_out_as_sell_yes_at_complement(clean):
    trader, maker = clean
    order = trader.new_order(LINEAR, "buy_no", "0.30", "2")
    assert trader.wait(lambda: order.status is OrderStatus.WORKING)
    assert order.side.value == "2" and order.price == 7000 and order.user_price == 3000
    lift = maker.new_order(LINEAR, "buy_yes", "0.70", "2", tif="ioc")
    assert trader.wait(lambda: order.is_done)
    assert order.status is OrderStatus.FILLED and order.fills[0].price == 7000
    assert maker.wait(lambda: lift.is_done)  # the maker's own report may arrive after the trader's
    assert lift.fills[0].price == 7000


def test_subpenny_market_with_registered_grid(clean):
    trader, _ = clean
    trader.set_tick_grid(SUBPENNY, TickGrid.from_structure("tapered_deci_cent"))
    with pytest.raises(UserInputError, match="0.0955"):
        trader.new_order(SUBPENNY, "buy_yes", "0.0955", "1")  # off the 0.001 grid: never sent
    order = trader.new_order(SUBPENNY, "buy_yes", "0.095", "1.5")
    assert trader.wait(lambda: order.status is OrderStatus.WORKING)
    assert order.price == 950 and order.qty == 150


def test_replace_then_cancel(clean):
    trader, _ = clean
    order = trader.new_order(LINEAR, "buy_yes", "0.20", "5")
    assert trader.wait(lambda: order.status is OrderStatus.WORKING)
    first_id = order.cl_ord_id
    assert trader.replace(order, price="0.21", qty="7")
    assert trader.wait(lambda: not order.pending_replace)
    assert (order.price, order.qty, order.leaves_qty) == (2100, 700, 700)
    assert order.chain[0] == first_id and len(order.chain) == 2
    assert trader.cancel(order)
    assert trader.wait(lambda: order.is_done)
    assert order.status is OrderStatus.CANCELED and len(order.chain) == 3
    kinds = [e.kind for e in drain(trader) if e.order is order]
    assert kinds == [EventKind.ACK, EventKind.REPLACE, EventKind.CANCEL, EventKind.DONE]


def test_exchange_reject_carries_reason(clean):
    trader, _ = clean
    order = trader.new_order("KXNO-SUCH-MARKET", "buy_yes", "0.50", "1")
    assert trader.wait(lambda: order.is_done)
    assert order.status is OrderStatus.REJECTED and not order.local_reject
    assert order.reject_reason == "MARKET_NOT_FOUND" and order.reject_code == 1


def test_ioc_without_liquidity_is_canceled(clean):
    trader, _ = clean
    order = trader.new_order(LINEAR, "buy_yes", "0.10", "1", tif="ioc")  # nothing to hit: canceled at once
    assert trader.wait(lambda: order.is_done)
    assert order.status is OrderStatus.CANCELED and order.last_text == "IMMEDIATE_OR_CANCELLED"


def test_mass_cancel_cancels_everything(clean):
    trader, _ = clean
    orders = [trader.new_order(LINEAR, "buy_yes", f"0.1{i}", "1") for i in range(3)]
    assert trader.wait(lambda: all(o.status is OrderStatus.WORKING for o in orders))
    trader.mass_cancel()
    assert trader.wait(lambda: all(o.status is OrderStatus.CANCELED for o in orders))
    events = drain(trader)
    assert any(e.kind is EventKind.MASS_CANCEL and e.report.accepted for e in events)


def test_risk_block_is_local_and_names_rule(clean):
    trader, _ = clean
    before = len(trader.orders)
    order = trader.new_order(LINEAR, "buy_yes", "0.50", "101")  # max_order_qty is 100 contracts
    assert order.status is OrderStatus.REJECTED and order.local_reject
    assert order.reject_reason.startswith("RISK_MAX_ORDER_QTY")
    assert len(trader.orders) == before + 1 and order.order_id is None
    kinds = [e.kind for e in drain(trader)]
    assert kinds == [EventKind.REJECT, EventKind.DONE]


def test_kill_switch_cancels_and_blocks(clean):
    trader, _ = clean
    working = trader.new_order(LINEAR, "buy_yes", "0.15", "1")
    assert trader.wait(lambda: working.status is OrderStatus.WORKING)
    trader.kill("test")
    assert trader.wait(lambda: working.status is OrderStatus.CANCELED)
    blocked = trader.new_order(LINEAR, "buy_yes", "0.15", "1")
    assert blocked.status is OrderStatus.REJECTED and blocked.reject_reason.startswith("RISK_KILL_SWITCH")
    trader.release_kill()
    ok = trader.new_order(LINEAR, "buy_yes", "0.15", "1")
    assert trader.wait(lambda: ok.status is OrderStatus.WORKING)


def test_journal_has_every_intent_and_report(clean):
    trader, _ = clean
    from fixengine.engine import journal as J

    order = trader.new_order(LINEAR, "buy_yes", "0.12", "1")
    assert trader.wait(lambda: order.status is OrderStatus.WORKING)
    keys = [key for _, kind, key, _ in trader.journal.records() if kind in (J.NEW, J.EXEC_REPORT_WIRE)]
    assert keys.count(order.key) == 2


def test_cancel_of_filled_order_gets_cancel_reject(clean, sim, keyring):
    trader, maker = clean
    seen = []
    trader.on_event(seen.append)
    order = trader.new_order(LINEAR, "buy_yes", "0.33", "1")
    assert trader.wait(lambda: order.status is OrderStatus.WORKING)
    sim.delay_outbound(keyring["trader"][0], 300)  # the fill reaches the trader only after its cancel left
    try:
        hit = maker.new_order(LINEAR, "sell_yes", "0.33", "1", tif="ioc")
        assert maker.wait(lambda: hit.is_done)
        trader.cancel(order)
        assert trader.wait(lambda: any(e.kind is EventKind.CANCEL_REJECT for e in seen), 5)
    finally:
        sim.delay_outbound(keyring["trader"][0], 0)
        trader._callbacks.remove(seen.append)
    assert order.status is OrderStatus.FILLED and not order.pending
    rejects = [e for e in seen if e.kind is EventKind.CANCEL_REJECT]
    assert len(rejects) == 1 and rejects[0].report.response_to == "1" and rejects[0].order is order
    assert rejects[0].text


def test_daily_loss_limit_blocks_after_a_losing_fill(clean):
    trader, maker = clean
    rest = maker.new_order(LINEAR, "sell_yes", "0.45", "1")
    assert maker.wait(lambda: rest.status is OrderStatus.WORKING)
    saved = trader.risk.limits.daily_loss_limit
    trader.risk.daily_pnl = 0  # forget earlier tests' fees
    trader.risk.limits.daily_loss_limit = 1  # one millionth of a dollar: the taker fee alone breaches it
    try:
        take = trader.new_order(LINEAR, "buy_yes", "0.45", "1", tif="ioc")
        assert trader.wait(lambda: take.is_done) and take.status is OrderStatus.FILLED
        assert take.fees > 0
        risk_events = [e for e in drain(trader) if e.kind is EventKind.RISK]
        assert len(risk_events) == 1 and "DAILY_LOSS_LIMIT" in risk_events[0].text
        blocked = trader.new_order(LINEAR, "buy_yes", "0.10", "1")
        assert blocked.local_reject and blocked.reject_reason.startswith("RISK_DAILY_LOSS_LIMIT")
    finally:
        trader.risk.limits.daily_loss_limit = saved
        trader.risk.daily_pnl = 0


def test_cancel_on_disconnect_and_reconnect(sim, keyring, tmp_path):
    """8013=Y on NR: the exchange cancels on disconnect; the engine says so and reconnects with backoff."""
    logon = {"use_dollars": True, "skip_pending_exec_reports": True, "cancel_orders_on_disconnect": True}
    engine = Engine.from_config(engine_config(tmp_path / "cod", keyring, "trader_b", logon=logon),
                                ports={"NR": sim.ports["NR"]})
    try:
        engine.connect()
        order = engine.new_order(LINEAR, "buy_yes", "0.11", "1")
        assert engine.wait(lambda: order.status is OrderStatus.WORKING)
        assert sim.drop_session(keyring["trader_b"][0]) >= 1
        assert engine.wait(lambda: order.is_done)
        assert order.status is OrderStatus.CANCELED and order.last_text.startswith("CANCELED_ON_DISCONNECT")

        def exchange_view():
            return next(o for o in sim.exchange.orders("trader-user") if o.cl_ord_id == order.key)

        assert wait_until(lambda: exchange_view().leaves_qty == 0)  # the simulator did cancel it
        assert engine.wait(lambda: engine.logged_on, 10)  # back by itself
        again = engine.new_order(LINEAR, "buy_yes", "0.11", "1")
        assert engine.wait(lambda: again.status is OrderStatus.WORKING)
        assert engine.conn.by_kind[engine.kind].logons == 2
    finally:
        engine.close()

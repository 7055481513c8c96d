"""ExecID format and monotonicity per shard, history store, OrderIDs, thread safety, determinism."""

import threading
import uuid
from datetime import timedelta

import pytest
from sim_exchange_helpers import T0, Harness, OrderFilled, cents, contracts, only

from fixengine.sim.exchange import Exchange, ManualClock, OrderAccepted, exec_id_key, format_exec_id, parse_exec_id
from fixengine.sim.exchange.ids import ExecIdSequencer


def test_exec_id_format_shard_zero_and_others():
    assert format_exec_id(4, 7, 0) == "4;7"
    assert format_exec_id(4, 7, 1) == "4;7;1"
    assert parse_exec_id("4;7") == (4, 7, 0) and parse_exec_id("4;7;2") == (4, 7, 2)
    for bad in ("-1;-1", "4", "4;x", "4;7;0", "1;2;3;4", ""):
        with pytest.raises(ValueError):
            parse_exec_id(bad)


def test_sequencer_ticks_clock_once_per_operation_and_event_always():
    seq = ExecIdSequencer()
    seq.begin_operation()
    assert [seq.next(0), seq.next(0), seq.next(2)] == ["1;1", "1;2", "1;1;2"]
    seq.begin_operation()
    assert seq.next(0) == "2;3" and seq.last(2) == "1;1;2" and seq.last(1) is None


def test_exec_ids_monotonic_per_shard_numeric_order(h):
    ids = {0: [], 2: []}
    for i in range(15):
        for e in h.sell("bob", "LIN", cents(40), contracts(1)) + h.buy("alice", "LIN", cents(40), contracts(1)):
            ids[0].append(e.exec_id)
        for e in h.buy("alice", "TAP", cents(30), contracts(1)):
            ids[2].append(e.exec_id)
    for shard, seq in ids.items():
        keys = [exec_id_key(x) for x in seq]
        assert keys == sorted(keys) and len(set(keys)) == len(keys)
        assert all(k[0] == shard for k in keys)
    assert all(x.count(";") == 2 and x.endswith(";2") for x in ids[2])
    assert all(x.count(";") == 1 for x in ids[0])
    # numeric, not string, order: clock 10 > clock 9
    assert exec_id_key("10;1") > exec_id_key("9;99")


def test_exec_clock_starts_at_the_start_time_so_restarts_never_repeat_ids(h):
    events = h.buy("alice", "LIN", cents(40), contracts(1))
    clock, event, shard = parse_exec_id(events[0].exec_id)
    assert clock == int(T0.timestamp()) * 1_000_000 + 1 and event == 1 and shard == 0
    restarted = Exchange([], [], clock=ManualClock(T0 + timedelta(milliseconds=1)))
    restarted._seq.begin_operation()
    assert exec_id_key(restarted._seq.next(0)) > exec_id_key(events[-1].exec_id)
    assert Exchange([], [], clock=ManualClock(T0), exec_clock_base=0)._seq.last(0) is None


def test_order_ids_are_uuids_and_runs_are_reproducible():
    def run():
        h = Harness()
        h.sell("bob", "LIN", cents(40), contracts(1))
        return [(e.exec_id, e.order.order_id, getattr(getattr(e, "fill", None), "trade_id", None))
                for e in h.buy("alice", "LIN", cents(40), contracts(1))]

    first, second = run(), run()
    assert first == second
    uuid.UUID(first[0][1])
    assert first[1][2] is not None


def test_history_keeps_every_reported_event_with_exec_id_and_time(h):
    h.sell("bob", "LIN", cents(40), contracts(1))
    h.clock.advance(timedelta(minutes=1))
    h.buy("alice", "LIN", cents(40), contracts(2), cl_ord_id="A")
    h.buy("alice", "NOPE", cents(40), contracts(1))  # reject: not in history
    history = h.ex.history("alice")
    assert [type(e).__name__ for e in history] == ["OrderAccepted", "OrderFilled"]
    assert h.ex.history("alice", since=T0 + timedelta(seconds=30)) == history
    assert h.ex.history("alice", since=T0 + timedelta(minutes=2)) == []
    assert [f.order_id for f in h.ex.fills("alice")] == [history[0].order.order_id]


def test_history_range_for_drop_copy(h):
    for _ in range(3):
        h.buy("alice", "LIN", cents(40), contracts(1))
    h.buy("alice", "TAP", cents(40), contracts(1))
    all_shard0 = h.ex.history("alice", shard=0)
    ids = [e.exec_id for e in all_shard0]
    assert h.ex.history_range("alice", ids[1]) == all_shard0[1:]
    assert h.ex.history_range("alice", ids[0], ids[1]) == all_shard0[:2]
    (tap_event,) = h.ex.history("alice", shard=2)
    assert h.ex.history_range("alice", tap_event.exec_id) == [tap_event]
    with pytest.raises(ValueError):
        h.ex.history_range("alice", ids[0], tap_event.exec_id)
    h.clock.advance(timedelta(hours=4))
    assert h.ex.history_range("alice", ids[0]) == []  # 3 h look-back
    assert h.ex.last_exec_id(0) == ids[-1]


def test_concurrent_submissions_keep_books_consistent():
    h = Harness()
    errors = []

    def trader(user, side_fn, n):
        try:
            for _ in range(n):
                side_fn(user, "FREE", cents(50), contracts(1))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=trader, args=("alice", h.buy, 200)),
               threading.Thread(target=trader, args=("bob", h.sell, 200)),
               threading.Thread(target=trader, args=("dave", h.buy, 100))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    # every sell matched a buy: bob is short 200 contracts, buyers long 200 together, 100 buys rest
    assert h.position("bob", "FREE") == -20_000
    assert h.position("alice", "FREE") + h.position("dave", "FREE") == 20_000
    assert sum(q for _, q in h.ex.orderbook("FREE").yes) == 10_000
    ids = [exec_id_key(e.exec_id) for u in ("alice", "bob", "dave") for e in h.ex.history(u)]
    assert len(ids) == len(set(ids))


def test_first_event_of_an_accepted_order_is_accepted_even_when_it_trades(h):
    h.sell("bob", "LIN", cents(40), contracts(1))
    events = h.buy("alice", "LIN", cents(40), contracts(1))
    assert isinstance(events[0], OrderAccepted) and events[0].order.cum_qty == 0
    assert only(events, OrderFilled)[0].exec_id != events[0].exec_id

"""Trading on the simulator without FIX (reports still go to listener sessions) and history ids."""

from __future__ import annotations

from fixengine.model import Side
from fixengine.sim.exchange import NewOrder
from fixengine.sim.exchange.ids import exec_id_key

from dc_world import LINEAR, MAKER, TRADER

HEADER_TAGS = {8, 9, 10, 34, 35, 49, 52, 56, 43, 97, 122}


def trade(sim, keyring, cl: str, symbol: str = LINEAR, price: int = 4500, qty: int = 200,
          rest_qty: int = 0) -> list:
    """The trader buys `qty` at `price` against fresh maker liquidity; `rest_qty` more stays resting."""
    sim.add_liquidity(MAKER, symbol, Side.SELL, price, qty)
    order = NewOrder(key_id=keyring["trader"][0], user_id=TRADER, cl_ord_id=cl, symbol=symbol, side=Side.BUY,
                     price=price, qty=qty + rest_qty)
    return sim.gateway.call(lambda: sim.exchange.submit(order))


def history_ids(sim, shard: int = 0, user: str = TRADER) -> list[str]:
    ids = [e.exec_id for e in sim.exchange.history(user, shard=shard)]
    return sorted(ids, key=exec_id_key)


def body(msg) -> list[tuple[int, str]]:
    """A raw message's fields without the session header/trailer (what must match live vs replay)."""
    return [(t, v) for t, v in msg.fields if t not in HEADER_TAGS]


def wait_listening(sim, kind, key_id: str, timeout: float = 10.0) -> None:
    """The simulator marks a session logged on just after it answers the Logon: wait for that,
    or reports sent in between would not reach the listener (correctly: it was not on yet)."""
    import time

    entry = sim.gateway.session(kind, key_id)
    deadline = time.monotonic() + timeout
    while not entry.logged_on:
        assert time.monotonic() < deadline, "simulator never saw the listener log on"
        time.sleep(0.005)

"""Trading engine process for the drop-copy fault test (killed with SIGKILL).

    python dc_engine_child.py CONFIG PORT MARKET place N  -> N resting bids on KalshiNR, READY, idle
    python dc_engine_child.py CONFIG PORT MARKET state OUT -> rebuild from the journal only (no
                                                             logon) and write orders/position to OUT
"""

from __future__ import annotations

import json
import sys
import time

from fixengine.engine import Engine


def place(engine: Engine, market: str, count: int) -> None:
    engine.connect()
    orders = [engine.new_order(market, "buy_yes", f"0.{20 + i:02d}", "5") for i in range(count)]
    engine.wait(lambda: all(o.order_id for o in orders), 10)
    print("READY " + " ".join(o.key for o in orders), flush=True)
    while True:  # reports keep arriving on QuickFIX's thread until we are killed
        time.sleep(0.05)


def state(engine: Engine, market: str, out: str) -> None:
    data = {
        "orders": {o.key: {"status": o.status.value, "cum": o.cum_qty, "leaves": o.leaves_qty,
                           "fills": len(o.fills)} for o in engine.orders.values()},
        "position": engine.positions.net(market),
        "unaccounted": [u.kind for u in engine.recovery.unaccounted],
    }
    with open(out, "w") as fh:
        json.dump(data, fh)
    engine.journal.close()
    engine.conn.release()


def main() -> None:
    config, port, market, mode, arg = sys.argv[1:6]
    engine = Engine.from_config(config, ports={"NR": int(port)}, session="NR")
    if mode == "place":
        place(engine, market, int(arg))
    else:
        state(engine, market, arg)


if __name__ == "__main__":
    main()

"""Engine process for the kill -9 recovery test (run as a subprocess, killed with SIGKILL).

    python recovery_child.py CONFIG PORT place N     -> places N resting bids, prints READY, idles
    python recovery_child.py CONFIG PORT recover OUT -> rebuilds from the journal, reconnects (RT
                                                       resend fills the gap), writes its state to OUT
"""

from __future__ import annotations

import json
import sys
import time

from fixengine.engine import Engine

MARKET = "KXENG-LINEAR"


def place(engine: Engine, count: int) -> None:
    engine.connect()
    orders = [engine.new_order(MARKET, "buy_yes", f"0.{20 + i:02d}", "5") for i in range(count)]
    engine.wait(lambda: all(o.order_id for o in orders), 10)
    print("READY " + " ".join(o.key for o in orders), flush=True)
    while True:  # reports keep arriving on QuickFIX's thread until we are killed
        time.sleep(0.05)


def recover(engine: Engine, out: str) -> None:
    rebuilt = {
        "records": engine.recovery.records,
        "orders": engine.recovery.orders,
        "fills": engine.recovery.fills,
        "unaccounted": [u.kind for u in engine.recovery.unaccounted],
    }
    engine.connect()
    last_change, seen = time.monotonic(), -1
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # wait until the resend has settled
        count = sum(len(o.fills) for o in engine.orders.values()) + len(engine.unaccounted())
        if count != seen:
            seen, last_change = count, time.monotonic()
        elif not engine.unaccounted() and time.monotonic() - last_change > 1.5:
            break
        time.sleep(0.05)
    state = {
        "rebuilt": rebuilt,
        "orders": {o.key: {"status": o.status.value, "cum": o.cum_qty, "leaves": o.leaves_qty,
                           "fills": len(o.fills)} for o in engine.orders.values()},
        "position": engine.positions.net(MARKET),
        "unaccounted": [f"{u.kind} {u.cl_ord_id}" for u in engine.unaccounted()],
        "parse_errors": engine.parse_errors,
    }
    with open(out, "w") as fh:
        json.dump(state, fh)
    engine.close()


def main() -> None:
    config, port, mode, arg = sys.argv[1:5]
    engine = Engine.from_config(config, ports={"RT": int(port)}, session="RT")
    if mode == "place":
        place(engine, int(arg))
    else:
        recover(engine, arg)


if __name__ == "__main__":
    main()

"""TLS end to end in a fresh process: simulator serving TLS with a generated certificate, engine
trusting exactly that certificate. Run by test_engine_modes.py; prints OK or raises.

A separate process because QuickFIX keeps process-wide state (session registry, SSL init) that
another in-process simulator would share.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "session"))

from engine_helpers import LINEAR, engine_config, sim_mapping  # noqa: E402
from fixengine.auth import write_key_pair  # noqa: E402
from fixengine.config import TlsConfig  # noqa: E402
from fixengine.engine import Engine, OrderStatus  # noqa: E402
from fixengine.sim.config import sim_config_from_mapping  # noqa: E402
from fixengine.sim.server import Simulator  # noqa: E402


def main(tmp: Path) -> None:
    priv, pub = tmp / "tls.key.pem", tmp / "tls.pub.pem"
    write_key_pair(priv, pub)
    ring = {"tls": (str(uuid.uuid4()), priv, pub)}
    mapping = sim_mapping({name: ring["tls"] for name in
                           ("trader", "rt", "trader_b", "poll", "tls", "maker", "basic", "basic2")}, tls="generate")
    mapping["users"] = [{"user_id": "tls-user", "balance": "100.00", "tier": "Premier",
                         "keys": [{"key_id": ring["tls"][0], "public_key": str(pub), "scopes": ["read", "write"]}]}]
    with Simulator(sim_config_from_mapping(mapping), admin_port=None, tick_s=0) as sim:
        assert sim.tls_cert is not None
        engine = Engine.from_config(engine_config(tmp / "client", ring, "tls"), ports={"NR": sim.ports["NR"]},
                                    tls=TlsConfig(enabled=True, ca_file=sim.tls_cert))
        try:
            engine.connect(timeout=20)
            order = engine.new_order(LINEAR, "buy_yes", "0.25", "1")
            assert engine.wait(lambda: order.status is OrderStatus.WORKING, 10), order.reject_reason
            engine.cancel(order)
            assert engine.wait(lambda: order.is_done, 10)
            print(f"OK tls logon, order {order.order_id} {order.status.value}", flush=True)
        finally:
            engine.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))

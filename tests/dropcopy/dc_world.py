"""The drop-copy tests' world: markets, users, key names, simulator start (manual clock)."""

from __future__ import annotations

from datetime import datetime, timezone

from fixengine.config.types import SessionKind
from fixengine.sim.config import sim_config_from_mapping
from fixengine.sim.exchange.clock import ManualClock
from fixengine.sim.gateway import GatewayOptions
from fixengine.sim.gateway.dropcopy import DropCopyOptions
from fixengine.sim.server import Simulator

LINEAR = "KXDC-26DEC31-A"
SHARDED = "KXDC-26DEC31-S2"
TRADER = "trader-user"
MAKER = "maker-user"
KEY_NAMES = ("trader", "dc", "listener", "listener_rt", "maker", "other_dc", "sub_dc")


def sim_mapping(keyring) -> dict:
    def key(name, scopes=("read", "write")):
        return {"key_id": keyring[name][0], "public_key": str(keyring[name][2]), "scopes": list(scopes)}

    return {
        "listen_host": "127.0.0.1",
        "ports": {"NR": 0, "RT": 0, "DC": 0},
        "tls": {"mode": "off"},
        "users": [
            {"user_id": TRADER, "balance": "10000.00", "tier": "Premier", "subaccounts": [1],
             "keys": [key("trader"), key("dc", ("read",)), key("listener", ("read",)),
                      key("listener_rt", ("read",)), key("sub_dc", ("read",)) | {"subaccount": 1}]},
            {"user_id": MAKER, "balance": "50000.00", "tier": "Prime", "keys": [key("maker")]},
            {"user_id": "other-user", "balance": "1000.00", "keys": [key("other_dc", ("read",))]},
        ],
        "markets": [
            {"ticker": LINEAR, "status": "open", "price_level_structure": "linear_cent"},
            {"ticker": SHARDED, "status": "open", "price_level_structure": "linear_cent", "shard": 2},
        ],
    }


def start_sim(keyring, **dc_options) -> Simulator:
    clock = ManualClock(datetime.now(timezone.utc))
    options = GatewayOptions(kinds=frozenset({SessionKind.NR, SessionKind.RT, SessionKind.DC}),
                             dropcopy=DropCopyOptions(**({"max_requests": 1000} | dc_options)))
    return Simulator(sim_config_from_mapping(sim_mapping(keyring)), clock=clock, options=options,
                     admin_port=None, tick_s=0.1, rest=False).start()

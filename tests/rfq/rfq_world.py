"""The RFQ end-to-end world: a simulator serving KalshiNR/RT/RFQ with a manual exchange clock,
a creator Engine on KalshiRT, a maker RfqMaker on KalshiRFQ (another user, its own key) and the
maker user's order-entry Engine on KalshiNR (where its executed orders report)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from fixengine.config import load_config
from fixengine.config.types import SessionKind
from fixengine.engine import Engine
from fixengine.rfq import RfqMaker
from fixengine.sim.config import sim_config_from_mapping
from fixengine.sim.exchange.clock import ManualClock
from fixengine.sim.gateway import GatewayOptions
from fixengine.sim.server import Simulator
from kalshi_test_acceptor import make_keyring, sim_key, write_client_config

CREATOR, MAKER, MAKER2 = "rfq-creator", "rfq-maker", "rfq-maker2"
KEY_NAMES = ("creator_rt", "maker_rfq", "maker_nr", "cli_creator", "cli_maker")
MARKETS = tuple(f"KXRFQ-26DEC31-M{i}" for i in range(1, 13))
CREATOR_LOGON = {"use_dollars": True, "skip_pending_exec_reports": True, "use_expired_ord_status": True}
MAKER_LOGON = {"use_dollars": True}


@dataclass
class World:
    sim: Simulator
    clock: ManualClock
    creator: Engine
    maker: RfqMaker
    maker_oe: Engine
    ring: dict
    tmp: Path

    def advance(self, seconds: float) -> None:
        """Move the exchange clock and run its timers (confirm window, execution delay)."""
        self.clock.advance(timedelta(seconds=seconds))
        self.sim.tick()

    def close(self) -> None:
        for client in (self.maker, self.creator, self.maker_oe):
            try:
                client.close()
            except Exception:  # noqa: BLE001 - teardown keeps going
                pass
        self.sim.stop()


def sim_mapping(ring) -> dict:
    def key(name):
        return sim_key(ring, name)

    return {
        "listen_host": "127.0.0.1",
        "ports": {"NR": 0, "RT": 0, "RFQ": 0},
        "tls": {"mode": "off"},
        # Logons are checked against the exchange clock, which the tests move ahead of the wall
        # clock (confirm windows, execution timers): late logons (the CLI test) need the slack.
        "skew_tolerance_seconds": 3600,
        "users": [
            {"user_id": CREATOR, "balance": "10000.00", "tier": "Premier",
             "keys": [key("creator_rt"), key("cli_creator")]},
            {"user_id": MAKER2, "balance": "10000.00", "tier": "Premier", "keys": [key("cli_maker")]},
            {"user_id": MAKER, "balance": "10000.00", "tier": "Premier",
             "keys": [key("maker_rfq"), key("maker_nr")]},
        ],
        "markets": [{"ticker": t, "status": "open", "price_level_structure": "linear_cent"} for t in MARKETS],
    }


def client_config(tmp: Path, ring, name: str, kind: str, logon: dict) -> Path:
    """A client config (YAML) for key `name` on session `kind`, port 'auto'."""
    return _config(tmp, ring, name, kind, logon)


def _config(tmp: Path, ring, name: str, kind: str, logon: dict):
    key_id, priv, _ = ring[name]
    folder = tmp / name
    folder.mkdir()
    return write_client_config(folder, {kind: (key_id, priv, dict(logon), None)}, max_order_qty=10_000)


def start_world(tmp: Path) -> World:
    ring = make_keyring(tmp, KEY_NAMES)
    clock = ManualClock(datetime.now(timezone.utc))
    options = GatewayOptions(kinds=frozenset({SessionKind.NR, SessionKind.RT, SessionKind.RFQ}))
    sim = Simulator(sim_config_from_mapping(sim_mapping(ring)), clock=clock, options=options, admin_port=None,
                    tick_s=0, rest=False).start()
    try:
        creator = Engine.from_config(_config(tmp, ring, "creator_rt", "RT", CREATOR_LOGON),
                                     ports={"RT": sim.ports["RT"]})
        maker_oe = Engine.from_config(_config(tmp, ring, "maker_nr", "NR", CREATOR_LOGON),
                                      ports={"NR": sim.ports["NR"]})
        maker_cfg = load_config(_config(tmp, ring, "maker_rfq", "RFQ", MAKER_LOGON)).with_endpoints(
            ports={"RFQ": sim.ports["RFQ"]})
        maker = RfqMaker(maker_cfg, lambda rfq: None, engine=maker_oe)
        creator.connect()
        maker_oe.connect()
        maker.connect()
    except BaseException:
        sim.stop()
        raise
    return World(sim, clock, creator, maker, maker_oe, ring, tmp)

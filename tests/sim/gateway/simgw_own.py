"""A simulator of a test module's own: fresh API keys (generated at test time), a ManualClock,
every session kind on ephemeral loopback ports. Used where a test changes market state for good
(settlement) or moves the clock (order-group window), so the shared `sim` fixture stays clean."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

from fixengine.auth import generate_private_key, public_key_pem
from fixengine.sim.config import sim_config_from_mapping
from fixengine.sim.exchange.clock import ManualClock
from fixengine.sim.gateway import GatewayOptions
from fixengine.sim.server import Simulator
from simgw_rawfix import RawFix


class OwnSim:
    """users: {user_id: {"keys": {name: subaccount-or-None}, "subaccounts": [...], ...}}."""

    def __init__(self, folder: Path, users: dict, markets: list[str], options: GatewayOptions | None = None,
                 skew_s: int = 600) -> None:
        self.keys: dict[str, tuple[str, object]] = {}
        self.clients: list[RawFix] = []
        self.clock = ManualClock(dt.datetime.now(dt.timezone.utc))
        user_rows = [self._user(folder, user_id, spec) for user_id, spec in users.items()]
        config = sim_config_from_mapping({
            "listen_host": "127.0.0.1", "tls": {"mode": "off"}, "skew_tolerance_seconds": skew_s,
            "users": user_rows,
            "markets": [{"ticker": t, "status": "open", "price_level_structure": "linear_cent"} for t in markets],
        })
        self.options = options
        self.sim = Simulator(config, clock=self.clock, options=options, admin_port=0, tick_s=0, rest=False)

    def restart(self) -> Simulator:
        """A new simulator with the same config, keys, clock and options (the old one must be stopped)."""
        self.sim = Simulator(self.sim.config, clock=self.clock, options=self.options, admin_port=0, tick_s=0,
                             rest=False)
        return self.sim

    def _user(self, folder: Path, user_id: str, spec: dict) -> dict:
        rows = []
        for name, sub in spec["keys"].items():
            private = generate_private_key()
            path = folder / f"{name}.pub.pem"
            path.write_text(public_key_pem(private))
            key_id = str(uuid.uuid4())
            self.keys[name] = (key_id, private)
            row = {"key_id": key_id, "public_key": str(path), "scopes": ["read", "write"]}
            if sub is not None:
                row["subaccount"] = sub
            rows.append(row)
        return {"user_id": user_id, "balance": spec.get("balance", "10000.00"), "tier": "Premier",
                "subaccounts": spec.get("subaccounts", []), "keys": rows}

    def client(self, name: str, kind: str) -> RawFix:
        key_id, private = self.keys[name]
        c = RawFix(self.sim.ports[kind], key_id, f"Kalshi{kind}", private)
        self.clients.append(c)
        return c

    def logged_on(self, name: str, kind: str, flags: dict | None = None, **kw) -> RawFix:
        c = self.client(name, kind)
        reply = c.logon(flags, **kw)
        assert reply is not None and reply.type == "A", repr(reply)
        return c

    def close_clients(self) -> None:
        for c in self.clients:
            if c.sock is not None:
                try:
                    c.logout()
                except OSError:
                    pass
                c.close()
        self.clients.clear()

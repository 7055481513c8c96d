"""One running simulator: exchange + FIX gateway + admin HTTP API + expiry timer.

    with Simulator.from_config("config/simulator.yaml") as sim:
        sim.ports["NR"]           # public port of KalshiNR (ephemeral ports resolved)
        sim.admin_port            # loopback admin API (None when disabled)

Time comes from one clock (`clock=`, default wall clock). A timer thread calls
`exchange.advance_time` every `tick_s` seconds so Day/GTD expiry and scheduled market closes
happen on their own; tests with a ManualClock call `sim.tick()` after moving the clock.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from pathlib import Path
from typing import Callable

from fixengine.config.types import SessionKind
from fixengine.model import Side
from fixengine.sim.config import SimConfig, load_sim_config
from fixengine.sim.exchange.clock import system_clock
from fixengine.sim.exchange.exchange import Exchange
from fixengine.sim.gateway import Gateway, GatewayOptions

log = logging.getLogger(__name__)


class Simulator:
    def __init__(self, config: SimConfig, clock: Callable[[], datetime] | None = None,
                 options: GatewayOptions | None = None, admin_port: int | None = 0, tick_s: float = 0.25,
                 rest: bool = True) -> None:
        self.config = config
        self.clock = clock or system_clock
        self.exchange = Exchange.from_config(config, clock=self.clock)
        self.gateway = Gateway(config, self.exchange, self.clock, options)
        self.admin_port_requested = admin_port
        self.admin_port: int | None = None
        self.tick_s = tick_s
        self.ports: dict[str, int] = {}
        self.rest_enabled = rest
        self.rest = None  # the REST face's handle (.url, .port) once started
        self._admin = None
        self._stop = threading.Event()
        self._timer: threading.Thread | None = None
        self._started = False

    @classmethod
    def from_config(cls, path_or_obj: str | Path | SimConfig, clock: Callable[[], datetime] | None = None,
                    **kwargs) -> Simulator:
        config = path_or_obj if isinstance(path_or_obj, SimConfig) else load_sim_config(path_or_obj)
        return cls(config, clock=clock, **kwargs)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Simulator:
        try:
            self._start()
        except BaseException:
            self._started = True
            self.stop()
            raise
        return self

    def _start(self) -> None:
        self.gateway.start()
        self.ports = {kind.value: port for kind, port in self.gateway.ports.items()}
        if self.rest_enabled:
            from fixengine.sim.rest import start_rest_server

            # Same Exchange object as the FIX gateway: REST reads what FIX trades.
            self.rest = start_rest_server(self.exchange, self.config, host=self.config.listen_host, port=0)
        if self.admin_port_requested is not None:
            from fixengine.sim.admin import AdminServer

            self._admin = AdminServer(self, port=self.admin_port_requested, host="127.0.0.1")
            self._admin.start()
            self.admin_port = self._admin.port
        if self.tick_s > 0:
            self._timer = threading.Thread(target=self._tick_loop, name="sim-expiry", daemon=True)
            self._timer.start()
        self._started = True

    def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        self._stop.set()
        if self._timer is not None:
            self._timer.join(timeout=5)
        if self._admin is not None:
            self._admin.stop()
        if self.rest is not None:
            self.rest.stop()
            self.rest = None
        self.gateway.stop()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def tls_cert(self) -> Path | None:
        """PEM of the server certificate clients should pin (TLS on)."""
        return self.gateway.cert.cert_file if self.gateway.cert else None

    # ------------------------------------------------------------------ time
    def tick(self) -> list:
        """Run expiry and scheduled closes for the clock's current time; reports go out."""
        return self.gateway.call(lambda: self.exchange.advance_time(self.clock()))

    def _tick_loop(self) -> None:
        while not self._stop.wait(self.tick_s):
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - the timer must outlive a bad tick
                log.exception("expiry tick failed")

    # ------------------------------------------------------------------ admin actions
    def pause(self, symbol: str | None = None, kind: str = "trading") -> list:
        return self.gateway.call(lambda: self.exchange.pause(symbol, kind))

    def resume(self, symbol: str | None = None) -> list:
        return self.gateway.call(lambda: self.exchange.resume(symbol))

    def close_market(self, symbol: str) -> list:
        return self.gateway.call(lambda: self.exchange.close_market(symbol))

    def determine_market(self, symbol: str, result: str, price: int | None = None) -> list:
        """Close (if open) and record the result; `price` = YES value in price units (scalar only)."""
        return self.gateway.call(lambda: self.exchange.determine_market(symbol, result, price))

    def settle_market(self, symbol: str, result: str | None = None, price: int | None = None) -> list:
        """Determine (if not yet, or with a new result) and pay out; UMS reports go to PT/RT sessions."""
        return self.gateway.call(lambda: self.exchange.settle_market(symbol, result, price))

    def add_liquidity(self, user_id: str, symbol: str, side: Side, price: int, qty: int, **kw) -> list:
        return self.gateway.call(lambda: self.exchange.add_liquidity(user_id, symbol, side, price, qty, **kw))

    def drop_session(self, key_id: str) -> int:
        return self.gateway.drop_session(key_id)

    def delay_outbound(self, key_id: str, ms: float) -> int:
        return self.gateway.set_fault(key_id, delay_s=ms / 1000.0)

    def drop_outbound(self, key_id: str, count: int, msg_type: str | None = None) -> int:
        return self.gateway.set_fault(key_id, drop_outbound=count, drop_msg_type=msg_type)

    def freeze(self, key_id: str, frozen: bool = True) -> int:
        """Half-open socket: the gate stops passing bytes both ways (heartbeats time out)."""
        return self.gateway.set_fault(key_id, frozen=frozen)

    def port(self, kind: str | SessionKind) -> int:
        kind = kind if isinstance(kind, SessionKind) else SessionKind(str(kind).removeprefix("Kalshi"))
        return self.gateway.ports[kind]

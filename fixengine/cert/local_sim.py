"""A local-simulator target: throw-away keys, a purpose-built simulator config, admin in-process.

The suite needs parties the user's own config does not have (a second user to provide
liquidity, a key whose tier is not FIX-entitled, a Basic-tier key to hit the rate limit), so
the certification run builds its own simulator configuration with fresh RSA keys written to
a private temporary directory (public halves only on disk; private keys stay in memory).

Scenarios must not leak into each other, or a verdict would depend on the order the scenarios
ran in. Restarting the simulator per scenario is the cleanest isolation but costs seconds (its
QuickFIX acceptor loads one data dictionary per key and session kind), so by default one
simulator serves the run and `prepare()` resets what a scenario leaves behind: it cancels every
open order (books empty again), resumes paused markets and lifts the failed-logon lockout (the logon scenarios fail
logons on purpose). Positions persist, so scenarios that depend on a flat position use a market
alias no other scenario trades. `fresh_per_scenario=True` (`--fresh-sim`) restarts instead.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from fixengine.auth import generate_private_key, public_key_pem
from fixengine.cert.target import KeyInfo, Target, TargetError, client_tls_context
from fixengine.config.types import DEFAULT_TARGET_COMP_ID
from fixengine.model import Side

# alias -> (user, key id); user ids and key ids are fixed so transcripts are comparable run to run
_USERS = {
    "u-trader": {"balance": "10000.00", "tier": "Premier", "fix_entitled": True,
                 "subaccounts": [{"number": 1, "balance": "500.00"}, {"number": 2, "balance": "500.00"}]},
    "u-maker": {"balance": "50000.00", "tier": "Prime", "fix_entitled": True},
    "u-advanced": {"balance": "1000.00", "tier": "Advanced", "fix_entitled": False},
    "u-basic": {"balance": "1000.00", "tier": "Basic", "fix_entitled": True},
}
KEYS = {
    "trader": ("u-trader", "0f8fad5b-d9cb-469f-a165-70867728950e"),
    "trader2": ("u-trader", "7c9e6679-7425-40de-944b-e07fc1f90ae7"),
    "maker": ("u-maker", "3f2c9a1e-8b7d-4c6e-9f10-2a4b6c8d0e12"),
    "unentitled": ("u-advanced", "5a1d3c2b-4e6f-4a8b-9c0d-1e2f3a4b5c6d"),
    "basic": ("u-basic", "6b2e4d3c-5f70-4b9c-8d1e-2f3a4b5c6d7e"),
    # One live connection per key (part2 §1.1): the trader's drop-copy, post-trade and listener
    # sessions and the maker's second session each need a key of their own.
    "dc": ("u-trader", "8d1f2e3c-4b5a-4c6d-8e7f-9a0b1c2d3e4f"),
    "pt": ("u-trader", "9e2a3f4d-5c6b-4d7e-9f80-a1b2c3d4e5f6"),
    "listener": ("u-trader", "a3b4c5d6-e7f8-4a9b-8c0d-1e2f3a4b5c6d"),
    "maker2": ("u-maker", "b4c5d6e7-f8a9-4b0c-9d1e-2f3a4b5c6d7e"),
}
USER_IDS = {
    "u-trader": "5b7f8a1e-0c1d-4e2f-9a3b-4c5d6e7f8a90",
    "u-maker": "9a8b7c6d-5e4f-4321-8765-0fedcba98765",
    "u-advanced": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
    "u-basic": "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a",
}
# ticker alias -> market definition (no close time: orders must not be closed mid-scenario)
MARKETS = {
    "main": {"ticker": "KXCERT-26DEC31-B50", "price_level_structure": "linear_cent"},
    "subpenny": {"ticker": "KXCERTBTC-26DEC31-T95000", "price_level_structure": "tapered_deci_cent"},
    "fractional": {"ticker": "KXCERTNBA-26DEC31-BOS", "price_level_structure": "linear_cent",
                   "fractional_trading": True},
    "other": {"ticker": "KXCERTCPI-26DEC-T3.0", "price_level_structure": "linear_cent"},
    "reduce": {"ticker": "KXCERTGDP-26Q4-T2.0", "price_level_structure": "linear_cent"},  # reduce-only only
    "decicent": {"ticker": "KXCERTGREEN-29", "price_level_structure": "deci_cent"},
    # Settlement scenarios end their market for good, so each has a market of its own.
    "settle_yes": {"ticker": "KXCERTSETA-26DEC31-Y", "price_level_structure": "linear_cent"},
    "settle_no": {"ticker": "KXCERTSETB-26DEC31-N", "price_level_structure": "linear_cent"},
    "settle_scalar": {"ticker": "KXCERTSETC-26DEC31-S", "price_level_structure": "linear_cent"},
    "settle_pages": {"ticker": "KXCERTSETD-26DEC31-P", "price_level_structure": "linear_cent"},
    "settle_rt": {"ticker": "KXCERTSETE-26DEC31-R", "price_level_structure": "linear_cent"},
    "settle_off": {"ticker": "KXCERTSETF-26DEC31-O", "price_level_structure": "linear_cent"},
    # Drop-copy and order-group scenarios trade here so their ExecID ranges hold only their own events.
    "groups": {"ticker": "KXCERTGRP-26DEC31-G", "price_level_structure": "linear_cent"},
    # RFQ: one standard market (30 s / 15 s timers, for flows that never reach a timer) and two
    # High Volatility Markets (3 s confirmation, 1 s execution; part2 §5.2) so timer-driven flows
    # take seconds; each executing scenario has its own HVM so positions stay predictable.
    "rfq": {"ticker": "KXCERTRFQ-26DEC31-A", "price_level_structure": "linear_cent"},
    "hvm": {"ticker": "KXCERTHVM-26DEC31-A", "price_level_structure": "linear_cent", "high_volatility": True},
    "hvm2": {"ticker": "KXCERTHVM-26DEC31-B", "price_level_structure": "linear_cent", "high_volatility": True},
}


def sim_config_data(key_dir: Path, tls: bool) -> dict[str, Any]:
    users = []
    for name, spec in _USERS.items():
        keys = [{"key_id": key_id, "public_key": str(key_dir / f"{alias}.pub.pem"), "scopes": ["read", "write"]}
                for alias, (owner, key_id) in KEYS.items() if owner == name]
        users.append({"user_id": USER_IDS[name], **spec, "keys": keys})
    markets = [{"status": "open", "fee_type": "quadratic", "shard": 0, **m} for m in MARKETS.values()]
    return {
        "listen_host": "127.0.0.1",
        "ports": {kind: 0 for kind in ("NR", "DC", "RT", "PT", "RFQ", "MD")},
        "tls": {"mode": "generate" if tls else "off"},
        "server_comp_id": "session",
        "connection_scope": "key",
        "users": users,
        "markets": markets,
    }


class LocalSimTarget:
    """Owns the throw-away keys and (re)starts the simulator for every scenario."""

    def __init__(self, tls: bool = False, fresh_per_scenario: bool = False) -> None:
        self.tls = tls
        self.fresh = fresh_per_scenario
        self.dir = Path(tempfile.mkdtemp(prefix="fixengine-cert-"))
        self.private = {}
        for alias in KEYS:
            key = generate_private_key()
            self.private[alias] = key
            (self.dir / f"{alias}.pub.pem").write_text(public_key_pem(key), encoding="ascii")
        from fixengine.sim.config import sim_config_from_mapping

        self.config = sim_config_from_mapping(sim_config_data(self.dir, tls), "<cert local-sim>", self.dir)
        self.sim = None
        self._dc_offset = timedelta(0)
        self.target = Target(
            name="local-sim", host="127.0.0.1", ports={},
            target_comp_ids={k.value: v for k, v in DEFAULT_TARGET_COMP_ID.items()},
            keys={alias: KeyInfo(alias, key_id, self.private[alias]) for alias, (_, key_id) in KEYS.items()},
            tickers={alias: m["ticker"] for alias, m in MARKETS.items()},
            capabilities={"local-sim", "admin"}, admin_call=self.admin, prepare=self.prepare, close=self.close,
        )

    # ------------------------------------------------------------------ lifecycle
    def prepare(self) -> None:
        if self.sim is not None and not self.fresh:
            self._reset_between_scenarios()
            return
        self._stop_sim()
        from fixengine.sim.server import Simulator

        self.sim = Simulator.from_config(self.config, admin_port=None, options=_gateway_options()).start()
        self._dc_offset = timedelta(0)
        self._install_dropcopy_clock()
        self.target.ports = dict(self.sim.ports)
        if self.tls:
            self.target.tls = client_tls_context(str(self.sim.tls_cert), verify=True)
            self.target.server_hostname = "127.0.0.1"

    def _reset_between_scenarios(self) -> None:
        sim = self.sim
        for user_id in USER_IDS.values():
            sim.gateway.call(lambda uid=user_id: sim.exchange.cancel_all_for_user(uid))
        sim.gateway.guard.unlock()
        self._dc_offset = timedelta(0)  # history is fresh again for the next scenario
        replayer = sim.gateway.dropcopy
        replayer.reset_budget()  # U1 budget per key: one scenario's requests must not refuse the next's
        self._close_open_rfqs()
        sim.resume(None)  # a scenario that paused the exchange and then failed must not pause the next
        for market in MARKETS.values():
            sim.resume(market["ticker"])

    def _close_open_rfqs(self) -> None:
        """A user may hold one open RFQ per market (part2 §5.2), so an RFQ a scenario left open
        would refuse the next scenario's. Closing it is what the creator's RFQCancel does."""
        from fixengine.sim.exchange.rfq_events import CancelRfq

        exchange = self.sim.exchange

        for user_id in USER_IDS.values():
            for rfq in exchange.rfqs(user_id, open_only=True):
                self.sim.gateway.call(lambda uid=user_id, rid=rfq["id"]: exchange.cancel_rfq(
                    CancelRfq(user_id=uid, key_id="", session_id="", rfq_id=rid)))

    def _install_dropcopy_clock(self) -> None:
        """KalshiDC keeps 3 h of history (part2 §3.4). A scenario cannot wait 3 h, and moving the
        whole simulator's clock would make every SendingTime stale (QuickFIX checks latency
        against the wall clock), so only the replay service's "now" is moved forward: to it the
        history written so far is then that much older. Reset before every scenario."""
        replayer = self.sim.gateway.dropcopy
        base = replayer.clock
        replayer.clock = lambda: base() + self._dc_offset

    def _stop_sim(self) -> None:
        if self.sim is not None:
            self.sim.stop()
            self.sim = None

    def close(self) -> None:
        self._stop_sim()
        shutil.rmtree(self.dir, ignore_errors=True)

    # ------------------------------------------------------------------ admin operations
    def admin(self, op: str, args: dict[str, Any]) -> Any:
        if self.sim is None:
            raise TargetError("the simulator is not running")
        handler = getattr(self, f"_op_{op}", None)
        if handler is None:
            ops = sorted(n[4:] for n in dir(self) if n.startswith("_op_"))
            raise TargetError(f"unknown admin op {op!r}; known: {', '.join(ops)}")
        return handler(**args)

    def _user(self, key: str) -> str:
        try:
            return USER_IDS[KEYS[key][0]]
        except KeyError:
            raise TargetError(f"unknown key alias {key!r}") from None

    def _key_id(self, key: str) -> str:
        try:
            return KEYS[key][1]
        except KeyError:
            raise TargetError(f"unknown key alias {key!r}") from None

    def _op_add_liquidity(self, symbol: str, side: str, price: str, qty: str, key: str = "maker") -> str:
        """Rest a GTC order for the user owning `key` (price in dollars, qty in contracts)."""
        side_enum = {"buy": Side.BUY, "1": Side.BUY, "sell": Side.SELL, "2": Side.SELL}[str(side).lower()]
        events = self.sim.add_liquidity(self._user(key), symbol, side_enum, int(Decimal(price) * 10_000),
                                        int(Decimal(qty) * 100))
        rejected = [getattr(e, "text", "") for e in events if type(e).__name__ == "OrderRejected"]
        if rejected:
            raise TargetError(f"add_liquidity rejected: {rejected[0]}")
        return next((e.order.order_id for e in events if hasattr(e, "order")), "")

    def _op_pause(self, symbol: str | None = None, kind: str = "trading") -> None:
        self.sim.pause(symbol, kind)

    def _op_resume(self, symbol: str | None = None) -> None:
        self.sim.resume(symbol)

    def _op_close_market(self, symbol: str) -> None:
        self.sim.close_market(symbol)

    def _op_tick(self) -> None:
        self.sim.tick()

    def _op_drop_session(self, key: str = "trader") -> int:
        return self.sim.drop_session(self._key_id(key))

    def _op_open_orders(self, key: str = "trader") -> int:
        """Number of open orders of the user owning `key` (check it with the step's `expect:`)."""
        return len(self.sim.exchange.orders(self._user(key), open_only=True))

    def _op_position(self, symbol: str, key: str = "trader", subaccount: int | str = 0) -> str:
        """Net position in contracts (+ YES, - NO) of the user owning `key`, as text like 3.00."""
        views = self.sim.exchange.positions(self._user(key), subaccount=int(subaccount))
        qty = sum(v.position for v in views if v.symbol == symbol)
        return _contracts(qty)

    def _op_determine(self, symbol: str, result: str, price: str | None = None) -> None:
        """Close the market and record its result (`price`: YES value in dollars, scalar only)."""
        self.sim.determine_market(symbol, result, None if price is None else _price_units(price))

    def _op_settle(self, symbol: str, result: str | None = None, price: str | None = None) -> None:
        """Determine (if a result is given) and settle: the exchange pays out every net position
        and the gateway delivers MarketSettlementReports (35=UMS) to KalshiPT / KalshiRT(20127=Y)."""
        self.sim.settle_market(symbol, result, None if price is None else _price_units(price))

    def _op_advance_dropcopy_clock(self, by: str) -> str:
        """Age the drop-copy history by `by` (e.g. 181m); returns the total offset."""
        from fixengine.cert.scenario import parse_duration

        self._dc_offset += timedelta(seconds=parse_duration(by, "advance_dropcopy_clock by"))
        return str(self._dc_offset)


#: Settlement reports per page on the local target. Kalshi's page size is UNCONFIRMED; a small one
#: lets settlement-pt-pages see a batch split over pages with only three parties (the trader's
#: primary account and two subaccounts).
SETTLEMENT_PAGE_SIZE = 2


def _gateway_options():
    from fixengine.sim.gateway import GatewayOptions

    return GatewayOptions(settlement_page_size=SETTLEMENT_PAGE_SIZE)


def _price_units(dollars: str) -> int:
    value = Decimal(str(dollars)) * 10_000
    if value != value.to_integral_value():
        raise TargetError(f"price {dollars} has more than 4 decimals")
    return int(value)


def _contracts(qty: int) -> str:
    return f"{Decimal(qty) / 100:.2f}"

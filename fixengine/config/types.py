"""Typed, frozen configuration records for the client engine, and the Kalshi constants they use.

Everything here is plain data: loading and validation live in `fixengine.config.loader`,
QuickFIX settings generation in `fixengine.config.qf_settings`. Quantities and money are
exact integers in the project units (see fixengine/model.py): qty in 0.01 contract,
price in $0.0001, money in $0.000001.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from fixengine.errors import FixEngineError


#: A Kalshi API key id (KeyId / the YAML `key_id`): a UUID in 8-4-4-4-12 hex form.
API_KEY_ID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class ConfigError(FixEngineError):
    """A configuration that cannot be used. The message names the file, the key path and the problem."""

    def __init__(self, file: str, key_path: str, problem: str, line: int | None = None) -> None:
        self.file = file
        self.key_path = key_path
        self.problem = problem
        self.line = line
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {key_path}: {problem}" if key_path else f"{where}: {problem}")


class Environment(str, Enum):
    LOCAL_SIM = "local-sim"
    KALSHI_DEMO = "kalshi-demo"
    KALSHI_PROD = "kalshi-prod"


class SessionKind(str, Enum):
    """Kalshi FIX session types (part1 §2.2). The value is the YAML key under `sessions`."""

    NR = "NR"
    DC = "DC"
    RT = "RT"
    PT = "PT"
    RFQ = "RFQ"
    MD = "MD"


#: Port and TargetCompID per session kind; the ports are the same in every environment (part1 §2.2).
DEFAULT_PORT = {
    SessionKind.NR: 8228,
    SessionKind.DC: 8229,
    SessionKind.RT: 8230,
    SessionKind.PT: 8231,
    SessionKind.RFQ: 8232,
    SessionKind.MD: 8233,
}
DEFAULT_TARGET_COMP_ID = {kind: f"Kalshi{kind.value}" for kind in SessionKind}

#: Sessions without retransmission: every Logon must carry ResetSeqNumFlag(141)=Y (part1 §2.2, newest rule).
RESET_MANDATORY = frozenset({SessionKind.NR, SessionKind.DC, SessionKind.RFQ, SessionKind.MD})
#: Sessions that only live on the market-data host.
MARKET_DATA_KINDS = frozenset({SessionKind.MD})
#: Order-entry sessions where the per-order Logon flags (8013, 20126, 21007, 21008, 21011, ...) apply.
ORDER_ENTRY_KINDS = frozenset({SessionKind.NR, SessionKind.RT})
#: Sessions with retransmission, where 20127 / 20200 apply.
RETRANSMIT_KINDS = frozenset({SessionKind.RT, SessionKind.PT})

#: Kalshi's maximum message retention (hours) for MessageRetentionPeriod(20200).
MAX_RETENTION_HOURS = 72

#: Placeholder port meaning "the local simulator assigns it at start" (local-sim only).
AUTO_PORT = 0


class RateTier(str, Enum):
    BASIC = "Basic"
    ADVANCED = "Advanced"
    EXPERT = "Expert"
    PREMIER = "Premier"
    PARAGON = "Paragon"
    PRIME = "Prime"
    PRESTIGE = "Prestige"


#: (read tokens/s, write tokens/s) per tier, event contracts (part1 §2.8).
TIER_BUDGET = {
    RateTier.BASIC: (200, 100),
    RateTier.ADVANCED: (300, 300),
    RateTier.EXPERT: (600, 600),
    RateTier.PREMIER: (1_000, 1_000),
    RateTier.PARAGON: (2_000, 2_000),
    RateTier.PRIME: (4_000, 4_000),
    RateTier.PRESTIGE: (10_000, 8_000),
}

#: Documented default token cost of a write request (order, cancel, replace).
DEFAULT_WRITE_COST = 10


@dataclass(frozen=True, slots=True)
class TlsConfig:
    """TLS for the FIX connections. QuickFIX reads these only from the [DEFAULT] section."""

    enabled: bool
    min_version: str = "1.2"  # "1.2" or "1.3"; Kalshi requires at least TLS 1.2
    verify_server: bool = True
    ca_file: Path | None = None  # None + verify_server -> the system CA bundle
    server_cert_pin: Path | None = None  # PEM of the expected leaf; checked by fixengine.config.tls_check


@dataclass(frozen=True, slots=True)
class LogonOptions:
    """Kalshi Logon flags. None = tag omitted (server default applies)."""

    use_dollars: bool = True  # 21005
    cancel_orders_on_disconnect: bool | None = None  # 8013
    listener: bool | None = None  # 20126
    skip_pending_exec_reports: bool | None = None  # 21011
    use_expired_ord_status: bool | None = None  # 21012
    enable_ioc_cancel_report: bool | None = None  # 21007
    preserve_original_order_qty: bool | None = None  # 21008
    always_emit_new_before_trade: bool | None = None  # 21026
    split_collateral_return: bool | None = None  # 21027
    receive_settlement_reports: bool | None = None  # 20127
    message_retention_hours: int | None = None  # 20200

    def tags(self) -> tuple[tuple[int, str], ...]:
        """The (tag, value) pairs the session layer adds to its Logon (toAdmin), in tag order.

        ResetSeqNumFlag(141) is not here: QuickFIX adds it itself when ResetOnLogon=Y.
        """
        pairs = []
        for name, tag in LOGON_FLAG_TAGS.items():
            value = getattr(self, name)
            if value is None:
                continue
            pairs.append((tag, ("Y" if value else "N") if isinstance(value, bool) else str(value)))
        return tuple(sorted(pairs))


#: YAML name -> FIX tag of each Logon option.
LOGON_FLAG_TAGS = {
    "use_dollars": 21005,
    "cancel_orders_on_disconnect": 8013,
    "listener": 20126,
    "skip_pending_exec_reports": 21011,
    "use_expired_ord_status": 21012,
    "enable_ioc_cancel_report": 21007,
    "preserve_original_order_qty": 21008,
    "always_emit_new_before_trade": 21026,
    "split_collateral_return": 21027,
    "receive_settlement_reports": 20127,
    "message_retention_hours": 20200,
}


@dataclass(frozen=True, slots=True)
class SessionConfig:
    kind: SessionKind
    host: str
    port: int  # AUTO_PORT (0) = assigned by the local simulator
    target_comp_id: str
    api_key_id: str
    private_key: Path | None  # exactly one of private_key / private_key_env is set
    private_key_env: str | None
    heartbeat_s: int
    reset_on_logon: bool  # ResetSeqNumFlag(141)=Y on every Logon
    logon: LogonOptions

    @property
    def port_is_auto(self) -> bool:
        return self.port == AUTO_PORT

    def private_key_path(self) -> Path | None:
        """Where the private key is, or None when `private_key_env` names an unset variable.

        A relative path in the env var is taken relative to the current directory (as a shell would).
        """
        if self.private_key is not None:
            return self.private_key
        value = os.environ.get(self.private_key_env or "", "")
        return Path(value).expanduser() if value else None

    def private_key_status(self) -> tuple[bool, str]:
        """(readable, human explanation). Never opens the file: key material stays out of config code."""
        path = self.private_key_path()
        if path is None:
            return False, f"env {self.private_key_env} is not set"
        if not path.is_file():
            return False, f"{path} does not exist"
        if not os.access(path, os.R_OK):
            return False, f"{path} is not readable"
        return True, str(path)


@dataclass(frozen=True, slots=True)
class StorageConfig:
    message_store: str  # "file" or "memory"
    store_dir: Path | None  # None only with the memory store
    log_dir: Path | None  # None = no QuickFIX message log
    journal_dir: Path


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """Pre-trade limits, exact integers: qty units (0.01 contract), price units ($0.0001), money ($0.000001)."""

    max_order_qty: int
    max_order_notional: int
    max_position_per_market: int
    max_position_total: int
    max_open_orders: int
    price_collar: int  # max distance of an order price from the best price, price units
    daily_loss_limit: int  # money units, positive


@dataclass(frozen=True, slots=True)
class RateLimitConfig:
    tier: RateTier
    write_cost: int = DEFAULT_WRITE_COST  # tokens per order / cancel / replace

    @property
    def read_tokens_per_s(self) -> int:
        return TIER_BUDGET[self.tier][0]

    @property
    def write_tokens_per_s(self) -> int:
        return TIER_BUDGET[self.tier][1]

    @property
    def write_capacity(self) -> int:
        """Bucket size: 2x the per-second budget above Basic, 1x for Basic (part1 §2.8)."""
        return self.write_tokens_per_s * (1 if self.tier is RateTier.BASIC else 2)


@dataclass(frozen=True, slots=True)
class ReconnectConfig:
    initial_delay_s: float = 1.0
    max_delay_s: float = 30.0
    multiplier: float = 2.0

    def delay_s(self, attempt: int) -> float:
        """Delay before reconnect attempt `attempt` (0-based): exponential, capped."""
        return min(self.max_delay_s, self.initial_delay_s * self.multiplier ** max(0, attempt))


@dataclass(frozen=True, slots=True)
class QuickFixOptions:
    # lenient: inbound fields/tags our dictionary does not know are accepted rather than
    # session-rejected, because the published Kalshi dictionary lags the prose docs (part1 S22)
    # and rejecting an ExecutionReport would lose a fill. strict: full dictionary checks (sim tests).
    inbound_validation: str = "lenient"
    # Server SenderCompID is UNCONFIRMED ("Kalshi" in docs, "KalshiNR" observed, part1 §2.4), so
    # by default inbound CompIDs are not checked; the simulator sends the session name.
    check_comp_id: bool = False


@dataclass(frozen=True, slots=True)
class EngineConfig:
    source: str  # the file it was loaded from, for messages
    environment: Environment
    host: str
    market_data_host: str
    tls: TlsConfig
    rest_base_url: str | None  # None = assigned by the local simulator ("auto")
    sessions: Mapping[SessionKind, SessionConfig] = field(hash=False)  # read-only mapping
    storage: StorageConfig
    risk: RiskLimits
    rate_limit: RateLimitConfig
    reconnect: ReconnectConfig
    quickfix: QuickFixOptions

    def session(self, kind: SessionKind | str) -> SessionConfig:
        kind = SessionKind(kind)
        try:
            return self.sessions[kind]
        except KeyError:
            raise ConfigError(self.source, f"sessions.{kind.value}", "session is not configured") from None

    def with_endpoints(
        self,
        ports: Mapping[SessionKind | str, int] | None = None,
        rest_base_url: str | None = None,
        tls: TlsConfig | None = None,
    ) -> EngineConfig:
        """A copy with simulator-assigned ports / REST URL (local-sim `auto`) and optionally TLS filled in."""
        sessions = dict(self.sessions)
        for kind, port in (ports or {}).items():
            kind = SessionKind(kind)
            if kind not in sessions:
                raise ConfigError(self.source, f"sessions.{kind.value}", "session is not configured")
            if type(port) is not int or not 0 < port < 65536:
                raise ConfigError(self.source, f"sessions.{kind.value}.port", f"assigned port {port!r} is invalid")
            sessions[kind] = replace(sessions[kind], port=port)
        if rest_base_url is not None and not rest_base_url.startswith(("http://", "https://")):
            raise ConfigError(self.source, "rest_base_url", f"assigned URL {rest_base_url!r} is not http(s)")
        return replace(
            self,
            sessions=MappingProxyType(sessions),
            rest_base_url=rest_base_url or self.rest_base_url,
            tls=tls or self.tls,
        )

"""YAML file -> validated, frozen EngineConfig.

Every mistake raises one ConfigError naming the file, line, dotted key path and the problem.
Relative paths in the file (key files, store/log/journal directories) are resolved against the
directory of the config file, so the result does not depend on the current directory.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from fixengine.config.types import (
    API_KEY_ID_PATTERN,
    AUTO_PORT,
    DEFAULT_PORT,
    DEFAULT_TARGET_COMP_ID,
    DEFAULT_WRITE_COST,
    LOGON_FLAG_TAGS,
    MARKET_DATA_KINDS,
    MAX_RETENTION_HOURS,
    ORDER_ENTRY_KINDS,
    RESET_MANDATORY,
    RETRANSMIT_KINDS,
    EngineConfig,
    Environment,
    LogonOptions,
    QuickFixOptions,
    RateLimitConfig,
    RateTier,
    ReconnectConfig,
    RiskLimits,
    SessionConfig,
    SessionKind,
    StorageConfig,
    TlsConfig,
)
from fixengine.config.yaml_reader import (
    Section,
    as_bool,
    as_int,
    as_number_text,
    as_seconds,
    as_str,
    describe,
    one_of,
    read_yaml,
)

from fixengine.pricing import parse_money, parse_price_dollars, parse_qty

AUTO = "auto"
DEFAULT_HEARTBEAT_S = 30

_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")
_COMP_ID = re.compile(r"^[!-~]{1,64}$")  # printable ASCII, no spaces; SOH or '=' would break the wire
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: Logon option -> session kinds where Kalshi documents it (part1 §3.2; 20127 per the brief: RT, PT).
_LOGON_FLAG_KINDS = {
    "use_dollars": frozenset(SessionKind),
    "cancel_orders_on_disconnect": ORDER_ENTRY_KINDS,
    "listener": ORDER_ENTRY_KINDS,
    "skip_pending_exec_reports": ORDER_ENTRY_KINDS,
    "use_expired_ord_status": ORDER_ENTRY_KINDS,
    "enable_ioc_cancel_report": ORDER_ENTRY_KINDS,
    "preserve_original_order_qty": ORDER_ENTRY_KINDS,
    "always_emit_new_before_trade": ORDER_ENTRY_KINDS,
    "split_collateral_return": ORDER_ENTRY_KINDS,
    "receive_settlement_reports": RETRANSMIT_KINDS,
    "message_retention_hours": RETRANSMIT_KINDS,
}

#: Host suffixes that belong to one Kalshi environment: catches a demo config pointed at production.
_ENV_DOMAINS = {Environment.KALSHI_DEMO: ".demo.kalshi.co", Environment.KALSHI_PROD: ".kalshi.com"}


def load_config(path: str | Path) -> EngineConfig:
    """Read and validate a client config file."""
    path = Path(path)
    name = str(path)
    top = Section(name, "", read_yaml(path))
    base = path.resolve().parent
    cfg = _build(top, base)
    top.finish()
    return cfg


# --------------------------------------------------------------------- hosts and URLs


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: the only places plain TCP may go."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _as_host(value: Any) -> str:
    host = as_str(value)
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    if not _HOSTNAME.match(host):
        raise ValueError(f"is not a valid host name: {host!r}")
    return host


def _environment_mismatch(env: Environment, host: str) -> str | None:
    """A reason when `host` clearly belongs to another Kalshi environment, else None."""
    host = host.lower()
    if env is Environment.LOCAL_SIM:
        return None if is_loopback(host) else "local-sim must point at a loopback host (127.0.0.1 or localhost)"
    for other, suffix in _ENV_DOMAINS.items():
        if other is not env and host.endswith(suffix) and not host.endswith(_ENV_DOMAINS[env]):
            return f"{host} is a {other.value} host but environment is {env.value}"
    return None


# --------------------------------------------------------------------- top level


def _build(top: Section, base: Path) -> EngineConfig:
    env = top.get("environment", one_of({e.value: e for e in Environment}), required=True)
    host = top.get("host", _as_host, required=True)
    md_host = top.get("market_data_host", _as_host, default=host)
    for key, value in (("host", host), ("market_data_host", md_host)):
        reason = _environment_mismatch(env, value)
        if reason:
            raise top.error(key, reason)
    tls = _tls(top.section("tls", required=True), base, (host, md_host))
    rest = _rest_url(top, env)
    allow_shared = top.get("allow_shared_api_keys", as_bool, default=False)
    sessions = _sessions(top.section("sessions", required=True), env, host, md_host, base, allow_shared)
    return EngineConfig(
        source=top.file,
        environment=env,
        host=host,
        market_data_host=md_host,
        tls=tls,
        rest_base_url=rest,
        sessions=MappingProxyType(sessions),
        storage=_storage(top.section("storage", required=True), base),
        risk=_risk(top.section("risk", required=True)),
        rate_limit=_rate_limit(top.section("rate_limit", required=True)),
        reconnect=_reconnect(top.section("reconnect")),
        quickfix=_quickfix(top.section("quickfix")),
    )


def _tls(sec: Section, base: Path, hosts: tuple[str, ...]) -> TlsConfig:
    enabled = sec.get("enabled", as_bool, required=True)
    if not enabled:
        remote = next((h for h in hosts if not is_loopback(h)), None)
        if remote:
            raise sec.error(
                "enabled",
                f"TLS is mandatory for non-loopback host {remote}; plain TCP is only allowed to 127.0.0.0/8 or localhost",
            )
    min_version = sec.get("min_version", one_of({"1.2": "1.2", "1.3": "1.3"}), default="1.2")
    tls = TlsConfig(
        enabled=enabled,
        min_version=min_version,
        verify_server=sec.get("verify_server", as_bool, default=True),
        ca_file=sec.get("ca_file", lambda v: _existing_file(v, base), default=None),
        server_cert_pin=sec.get("server_cert_pin", lambda v: _existing_file(v, base), default=None),
    )
    sec.finish()
    return tls


def _existing_file(value: Any, base: Path) -> Path:
    path = _resolve(as_str(value), base)
    if not path.is_file():
        raise ValueError(f"file {path} does not exist")
    return path


def _resolve(text: str, base: Path) -> Path:
    path = Path(text).expanduser()
    return path if path.is_absolute() else (base / path).resolve()


def _rest_url(top: Section, env: Environment) -> str | None:
    url = top.get("rest_base_url", as_str, required=True)
    if url == AUTO:
        if env is not Environment.LOCAL_SIM:
            raise top.error("rest_base_url", "'auto' (assigned by the simulator) is only allowed for local-sim")
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise top.error("rest_base_url", f"must be an http(s) URL, got {url!r}")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise top.error("rest_base_url", f"must use https for non-loopback host {parts.hostname}")
    reason = _environment_mismatch(env, parts.hostname)
    if reason:
        raise top.error("rest_base_url", reason)
    return url.rstrip("/")


# --------------------------------------------------------------------- sessions


def _sessions(
    sec: Section, env: Environment, host: str, md_host: str, base: Path, allow_shared: bool
) -> dict[SessionKind, SessionConfig]:
    if not sec.keys():
        raise sec.whole_error("at least one session (NR, RT, DC, PT, RFQ, MD) must be configured")
    sessions: dict[SessionKind, SessionConfig] = {}
    key_owner: dict[str, SessionKind] = {}
    for key in sec.keys():
        try:
            kind = SessionKind(key)
        except ValueError:
            kinds = ", ".join(k.value for k in SessionKind)
            raise sec.error(key, f"unknown session kind (expected one of {kinds})") from None
        sub = sec.section(key)
        session = _session(sub, kind, env, md_host if kind in MARKET_DATA_KINDS else host, base)
        other = key_owner.get(session.api_key_id.lower())
        if other is not None and not allow_shared:
            # Kalshi allows one live FIX connection per API key (part1 §2.4): the second logon fails.
            raise sub.error(
                "api_key_id",
                f"same key as sessions.{other.value}; Kalshi allows one live connection per key "
                "(set allow_shared_api_keys: true if they never run at the same time)",
            )
        key_owner[session.api_key_id.lower()] = kind
        sessions[kind] = session
    return sessions


def _session(sec: Section, kind: SessionKind, env: Environment, host: str, base: Path) -> SessionConfig:
    port = sec.get("port", lambda v: _as_port(v, env), default=DEFAULT_PORT[kind])
    target = sec.get("target_comp_id", _as_comp_id, default=DEFAULT_TARGET_COMP_ID[kind])
    key_id = sec.get("api_key_id", _as_uuid, required=True)
    private_key, key_env = _private_key(sec, base)
    heartbeat = sec.get("heartbeat", _as_heartbeat, default=DEFAULT_HEARTBEAT_S)
    mandatory = kind in RESET_MANDATORY
    reset = sec.get("reset_on_logon", as_bool, default=mandatory)
    if mandatory and not reset:
        problem = f"must be true: Kalshi{kind.value} requires ResetSeqNumFlag(141)=Y on every Logon"
        raise sec.error("reset_on_logon", problem)
    logon = _logon(sec.section("logon"), kind)
    sec.finish()
    return SessionConfig(
        kind=kind,
        host=host,
        port=port,
        target_comp_id=target,
        api_key_id=key_id,
        private_key=private_key,
        private_key_env=key_env,
        heartbeat_s=heartbeat,
        reset_on_logon=reset,
        logon=logon,
    )


def _as_port(value: Any, env: Environment) -> int:
    if value == AUTO or (value == 0 and not isinstance(value, bool)):
        if env is not Environment.LOCAL_SIM:
            raise ValueError("'auto' (assigned by the simulator) is only allowed for local-sim")
        return AUTO_PORT
    port = as_int(value)
    if not 0 < port < 65536:
        raise ValueError(f"must be a TCP port 1-65535 or 'auto', got {port}")
    return port


def _as_comp_id(value: Any) -> str:
    text = as_str(value)
    if not _COMP_ID.match(text):
        raise ValueError(f"must be 1-64 printable ASCII characters without spaces, got {text!r}")
    return text


def _as_uuid(value: Any) -> str:
    text = as_str(value)
    if not API_KEY_ID_PATTERN.match(text):
        raise ValueError(f"must be an API key id (a UUID like 0f8fad5b-d9cb-469f-a165-70867728950e), got {text!r}")
    return text


def _as_heartbeat(value: Any) -> int:
    seconds = as_int(value)
    if seconds <= 3:
        raise ValueError(f"must be more than 3 seconds (Kalshi HeartBtInt rule), got {seconds}")
    return seconds


def _private_key(sec: Section, base: Path) -> tuple[Path | None, str | None]:
    has_path, has_env = sec.has("private_key"), sec.has("private_key_env")
    if has_path == has_env:
        key = "private_key" if has_path else "private_key_env"
        raise sec.error(
            key, "set exactly one of private_key (a file path) or private_key_env (an env var holding the path)"
        )
    if has_path:
        raw = sec.raw("private_key")
        # Never echo this value: if someone pasted key material here it must not reach a log.
        if not isinstance(raw, str) or "-----BEGIN" in raw or "\n" in raw.strip():
            raise sec.error("private_key", "must be a path to the PEM file, not the key itself (value not shown)")
        return _resolve(raw.strip(), base), None
    name = sec.get("private_key_env", as_str)
    if not _ENV_NAME.match(name):
        raise sec.error("private_key_env", f"must be an environment variable name, got {name!r}")
    return None, name


def _logon(sec: Section, kind: SessionKind) -> LogonOptions:
    values: dict[str, Any] = {}
    for name in LOGON_FLAG_TAGS:
        convert = _as_retention if name == "message_retention_hours" else as_bool
        value = sec.get(name, convert)
        if value is None:
            continue
        if kind not in _LOGON_FLAG_KINDS[name]:
            allowed = ", ".join(k.value for k in SessionKind if k in _LOGON_FLAG_KINDS[name])
            raise sec.error(name, f"tag {LOGON_FLAG_TAGS[name]} applies only to {allowed} sessions, not {kind.value}")
        values[name] = value
    sec.finish()
    options = LogonOptions(**values)
    if options.listener:
        if options.skip_pending_exec_reports is not True:
            problem = "a listener session (20126=Y) requires skip_pending_exec_reports: true (21011=Y)"
            raise sec.error("listener", problem)
        if options.cancel_orders_on_disconnect:
            problem = "must not be true on a listener session (Kalshi rejects 20126 with 8013=Y)"
            raise sec.error("cancel_orders_on_disconnect", problem)
    return options


def _as_retention(value: Any) -> int:
    hours = as_int(value)
    if not 1 <= hours <= MAX_RETENTION_HOURS:
        raise ValueError(f"must be 1 to {MAX_RETENTION_HOURS} hours, got {hours}")
    return hours


# --------------------------------------------------------------------- other sections


def _storage(sec: Section, base: Path) -> StorageConfig:
    store = sec.get("message_store", one_of({"file": "file", "memory": "memory"}), default="file")
    directory = lambda v: _resolve(as_str(v), base)  # noqa: E731
    storage = StorageConfig(
        message_store=store,
        store_dir=sec.get("store_dir", directory, required=store == "file"),
        log_dir=sec.get("log_dir", directory),
        journal_dir=sec.get("journal_dir", directory, required=True),
    )
    sec.finish()
    return storage


def _positive(parse):
    def convert(value: Any) -> int:
        units = parse(as_number_text(value))
        if units <= 0:
            raise ValueError(f"must be greater than zero, got {describe(value)}")
        return units

    return convert


def _collar(value: Any) -> int:
    units = _positive(parse_price_dollars)(value)
    if units >= 10_000:
        raise ValueError(f"must be less than 1 dollar, got {describe(value)}")
    return units


def _count(value: Any) -> int:
    count = as_int(value)
    if count <= 0:
        raise ValueError(f"must be greater than zero, got {count}")
    return count


def _risk(sec: Section) -> RiskLimits:
    risk = RiskLimits(
        max_order_qty=sec.get("max_order_qty", _positive(parse_qty), required=True),
        max_order_notional=sec.get("max_order_notional", _positive(parse_money), required=True),
        max_position_per_market=sec.get("max_position_per_market", _positive(parse_qty), required=True),
        max_position_total=sec.get("max_position_total", _positive(parse_qty), required=True),
        max_open_orders=sec.get("max_open_orders", _count, required=True),
        price_collar=sec.get("price_collar", _collar, required=True),
        daily_loss_limit=sec.get("daily_loss_limit", _positive(parse_money), required=True),
    )
    if risk.max_position_per_market > risk.max_position_total:
        raise sec.error("max_position_per_market", "must not exceed max_position_total")
    sec.finish()
    return risk


def _rate_limit(sec: Section) -> RateLimitConfig:
    config = RateLimitConfig(
        tier=sec.get("tier", one_of({t.value: t for t in RateTier}), required=True),
        write_cost=sec.get("write_cost", _count, default=DEFAULT_WRITE_COST),
    )
    sec.finish()
    return config


def _reconnect(sec: Section) -> ReconnectConfig:
    defaults = ReconnectConfig()
    config = ReconnectConfig(
        initial_delay_s=sec.get("initial_delay_s", as_seconds, default=defaults.initial_delay_s),
        max_delay_s=sec.get("max_delay_s", as_seconds, default=defaults.max_delay_s),
        multiplier=sec.get("multiplier", _as_multiplier, default=defaults.multiplier),
    )
    if config.max_delay_s < config.initial_delay_s:
        raise sec.error("max_delay_s", f"must not be less than initial_delay_s ({config.initial_delay_s:g})")
    sec.finish()
    return config


def _as_multiplier(value: Any) -> float:
    try:
        factor = float(as_number_text(value))
    except ValueError:
        factor = None
    if factor is None or not 1 <= factor < float("inf"):
        raise ValueError(f"must be a number >= 1, got {describe(value)}")
    return factor


def _quickfix(sec: Section) -> QuickFixOptions:
    defaults = QuickFixOptions()
    options = QuickFixOptions(
        inbound_validation=sec.get(
            "inbound_validation",
            one_of({"lenient": "lenient", "strict": "strict"}),
            default=defaults.inbound_validation,
        ),
        check_comp_id=sec.get("check_comp_id", as_bool, default=defaults.check_comp_id),
    )
    sec.finish()
    return options

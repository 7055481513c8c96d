"""Typed, validated configuration of the Kalshi exchange simulator (`config/simulator.yaml`).

Every mistake is a `SimConfigError` (a ConfigError) naming the file, the dotted key
path and the line, e.g. ``config/simulator.yaml:41: users[0].keys[1].key_id: must be ...``.

Public-key files may not exist when the config is checked (tests and the demo generate
keys at run time); `SimApiKey.public_key_pem()` fails clearly when the simulator starts.
Markets come inline (`markets:` list) or from a YAML/JSON file (`markets_file:`).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from fixengine.config.types import API_KEY_ID_PATTERN, DEFAULT_TARGET_COMP_ID, ConfigError, RateTier, SessionKind
from fixengine.config.yaml_reader import (
    DecimalText,
    LineDict,
    Section,
    as_bool,
    as_int,
    as_number_text,
    as_str,
    describe,
    one_of,
    read_yaml,
)
from fixengine.errors import FixEngineError
from fixengine.pricing import PricingError, TickGrid, parse_money, parse_price_dollars

DEFAULT_CONFIG_PATH = Path("config/simulator.yaml")

#: Market statuses the simulator models (REST `status` is richer; these are the trading states).
MARKET_STATUSES = ("inactive", "open", "paused", "closed", "determined", "settled")
#: Series fee types (REST Series.fee_type). `flat` semantics are UNCONFIRMED (see fees.py).
FEE_TYPES = ("quadratic", "quadratic_with_maker_fees", "quadratic_with_combo_maker_fees", "flat")
#: Subaccount numbers (AllocAccount 79): 0 = primary, 1-63 numbered subaccounts (part1 §4.2).
MAX_SUBACCOUNT = 63
SHARDS = (0, 1, 2, 3)


class SimConfigError(ConfigError):
    """A simulator configuration that cannot be used; the message names file, key path and problem
    exactly as the engine's ConfigError does (same fields, same text)."""


@dataclass(frozen=True, slots=True)
class SimTls:
    mode: str  # "off" | "on" | "generate"
    cert: Path | None = None  # PEM certificate chain (mode "on")
    key: Path | None = None  # PEM private key (mode "on")

    @property
    def enabled(self) -> bool:
        return self.mode != "off"


@dataclass(frozen=True, slots=True)
class SimApiKey:
    key_id: str  # UUID, the FIX SenderCompID
    public_key: Path  # PEM public key (may be generated after the config is checked)
    scopes: frozenset[str]  # subset of {"read", "write"}
    subaccount: int | None = None  # restricted to one subaccount, None = unrestricted
    source: str = ""  # "file:line key path" for error messages

    @property
    def can_write(self) -> bool:
        return "write" in self.scopes

    def public_key_pem(self) -> bytes:
        """The PEM bytes; a clear SimConfigError if the file is missing (the simulator calls this at start)."""
        try:
            return self.public_key.read_bytes()
        except FileNotFoundError:
            raise SimConfigError(self.source, "public_key", f"file {self.public_key} does not exist "
                                 "(generate the key pair before starting the simulator)") from None
        except OSError as exc:
            raise SimConfigError(self.source, "public_key", f"cannot read {self.public_key}: {exc}") from None


@dataclass(frozen=True, slots=True)
class SimUser:
    user_id: str
    balance: int  # money units ($0.000001)
    tier: RateTier
    fix_entitled: bool
    subaccounts: tuple[int, ...]  # always contains 0 (primary)
    keys: tuple[SimApiKey, ...]
    direct_member: bool = False  # fee rounding target: $0.0001 (direct) or $0.01 (non-direct)
    subaccount_balances: Mapping[int, int] = field(default_factory=dict)  # numbered subaccounts' cash


@dataclass(frozen=True, slots=True)
class SimMarket:
    ticker: str
    event_ticker: str
    series_ticker: str
    title: str
    status: str
    grid: TickGrid
    price_level_structure: str
    fractional: bool
    fee_type: str
    fee_multiplier: Fraction
    maker_fee_multiplier: Fraction | None  # None = same as fee_multiplier
    flat_fee: int  # money per contract for fee_type "flat" (UNCONFIRMED semantics)
    shard: int
    close_time: datetime | None
    result: str  # "" | "yes" | "no" | "scalar"
    settlement_price: int | None  # YES value in price units once determined
    high_volatility: bool = False  # RFQ High Volatility Market: short confirm / execution timers (part2 §5.2)


@dataclass(frozen=True, slots=True)
class SimRfq:
    """RFQ timers and limits (part2 §5.2); defaults are Kalshi's documented values."""

    confirm_window_s: float = 30.0  # accept -> QuoteConfirm (35=U7) deadline
    confirm_window_hvm_s: float = 3.0  # same on a high-volatility market
    execution_delay_s: float = 15.0  # confirm -> orders enter the book
    execution_delay_hvm_s: float = 1.0
    # Exchange expiry of an open RFQ: 24 h in older Kalshi pages, removed from the newest one
    # (current value UNCONFIRMED); 0 disables expiry.
    lifetime_s: float = 24 * 3600.0
    max_open_per_user: int = 100  # REST: at most 100 open RFQs per user


@dataclass(frozen=True, slots=True)
class SimConfig:
    source: str
    listen_host: str
    ports: Mapping[SessionKind, int]  # 0 = ephemeral
    tls: SimTls
    comp_id_mode: str  # "session": 49=<TargetCompID of the port>; "kalshi": 49=Kalshi (UNCONFIRMED which)
    connection_scope: str  # "key" (one live connection per key, default) | "key_and_session"
    retention_hours: int
    skew_tolerance_seconds: int
    users: tuple[SimUser, ...]
    markets: tuple[SimMarket, ...]
    id_seed: int = 0  # seed of the deterministic OrderID / TrdMatchID generator
    rfq: SimRfq = SimRfq()  # RFQ timers and limits (`rfq:` section)
    target_comp_ids: Mapping[SessionKind, str] = field(
        default_factory=lambda: MappingProxyType(dict(DEFAULT_TARGET_COMP_ID))
    )

    def server_comp_id(self, kind: SessionKind) -> str:
        """SenderCompID(49) the simulator writes on a session of this kind."""
        return "Kalshi" if self.comp_id_mode == "kalshi" else self.target_comp_ids[kind]

    def key(self, key_id: str) -> tuple[SimUser, SimApiKey] | None:
        for user in self.users:
            for key in user.keys:
                if key.key_id == key_id:
                    return user, key
        return None


# --------------------------------------------------------------------------- loading


def load_sim_config(path: str | Path = DEFAULT_CONFIG_PATH) -> SimConfig:
    """Read and validate a simulator config file; raise SimConfigError naming file + key."""
    path = Path(path)
    try:
        data = read_yaml(path)
    except FixEngineError as exc:
        raise SimConfigError(str(path), getattr(exc, "key_path", ""), getattr(exc, "problem", str(exc)),
                             getattr(exc, "line", None)) from None
    return sim_config_from_mapping(data, str(path), path.parent)


def sim_config_from_mapping(data: Mapping[str, Any], source: str = "<config>", base: Path | None = None) -> SimConfig:
    """Build a SimConfig from already-parsed data (tests build configs in code this way)."""
    base = base if base is not None else Path.cwd()
    top = Section(source, "", _as_line_dict(data))
    try:
        return _build(top, base)
    except FixEngineError as exc:
        if isinstance(exc, SimConfigError):
            raise
        raise SimConfigError(getattr(exc, "file", source), getattr(exc, "key_path", ""),
                             getattr(exc, "problem", str(exc)), getattr(exc, "line", None)) from None


def _build(top: Section, base: Path) -> SimConfig:
    listen_host = top.get("listen_host", as_str, default="127.0.0.1")
    ports = _ports(top.section("ports"))
    tls = _tls(top.section("tls"), base)
    comp_id_mode = top.get("server_comp_id", one_of({"session": "session", "kalshi": "kalshi"}), default="session")
    scope = top.get("connection_scope", one_of({"key": "key", "key_and_session": "key_and_session"}), default="key")
    retention = top.get("retention_hours", _int_range(1, 72), default=24)
    skew = top.get("skew_tolerance_seconds", _int_range(1, 3600), default=30)
    seed = top.get("id_seed", as_int, default=0)
    users = _users(top, base)
    markets = _markets(top, base)
    rfq = _rfq(top.section("rfq"))
    top.finish()
    return SimConfig(
        source=top.file, listen_host=listen_host, ports=MappingProxyType(ports), tls=tls,
        comp_id_mode=comp_id_mode, connection_scope=scope, retention_hours=retention,
        skew_tolerance_seconds=skew, users=users, markets=markets, id_seed=seed, rfq=rfq,
    )


def _rfq(sec: Section) -> SimRfq:
    defaults = SimRfq()
    values = {name: sec.get(name, _as_seconds, default=getattr(defaults, name))
              for name in ("confirm_window_s", "confirm_window_hvm_s", "execution_delay_s", "execution_delay_hvm_s",
                           "lifetime_s")}
    limit = sec.get("max_open_per_user", _int_range(1, 1_000_000), default=defaults.max_open_per_user)
    sec.finish()
    return SimRfq(max_open_per_user=limit, **values)


def _as_seconds(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"must be a number of seconds, got {describe(value)}")
    try:
        seconds = float(value if isinstance(value, (int, float)) else as_number_text(value))
    except (TypeError, ValueError):
        raise ValueError(f"must be a number of seconds, got {describe(value)}") from None
    if not 0 <= seconds <= 30 * 86400:
        raise ValueError("must be between 0 and 2592000 seconds")
    return seconds


def _ports(sec: Section) -> dict[SessionKind, int]:
    ports = {kind: 0 for kind in SessionKind}
    for kind in SessionKind:
        ports[kind] = sec.get(kind.value, _int_range(0, 65535), default=0)
    sec.finish()
    used = [p for p in ports.values() if p]
    if len(used) != len(set(used)):
        raise sec.whole_error("two session kinds share one port (use 0 for ephemeral ports)")
    return ports


def _tls(sec: Section, base: Path) -> SimTls:
    mode = sec.get("mode", one_of({"off": "off", "on": "on", "generate": "generate"}), default="off")
    cert = sec.get("cert", lambda v: _resolve(as_str(v), base), default=None)
    key = sec.get("key", lambda v: _resolve(as_str(v), base), default=None)
    sec.finish()
    if mode == "on" and (cert is None or key is None):
        raise sec.error("mode", "mode 'on' needs both cert and key paths (or use 'generate')")
    return SimTls(mode=mode, cert=cert, key=key)


def _users(top: Section, base: Path) -> tuple[SimUser, ...]:
    items = top.get("users", _as_list, required=True)
    users: list[SimUser] = []
    seen_users: set[str] = set()
    seen_keys: set[str] = set()
    for i, item in enumerate(items):
        sec = _item_section(top, "users", i, item)
        user = _user(sec, base)
        if user.user_id in seen_users:
            raise sec.error("user_id", f"duplicate user id {user.user_id!r}")
        seen_users.add(user.user_id)
        for key in user.keys:
            if key.key_id in seen_keys:
                raise sec.error("keys", f"API key {key.key_id} is listed twice")
            seen_keys.add(key.key_id)
        users.append(user)
    if not users:
        raise top.error("users", "at least one user is required")
    return tuple(users)


def _user(sec: Section, base: Path) -> SimUser:
    user_id = sec.get("user_id", as_str, required=True)
    balance = sec.get("balance", _as_money, required=True)
    if balance < 0:
        raise sec.error("balance", "must not be negative")
    tier = sec.get("tier", one_of({t.value: t for t in RateTier}), default=RateTier.PREMIER)
    entitled = sec.get("fix_entitled", as_bool, default=True)
    direct = sec.get("direct_member", as_bool, default=False)
    subs = sec.get("subaccounts", _as_list, default=[])
    subaccounts = {0}
    sub_balances: dict[int, int] = {}
    for j, value in enumerate(subs):
        # an entry is a number (empty subaccount) or {number: N, balance: "100.00"}
        if isinstance(value, dict):
            item = _item_section(sec, "subaccounts", j, value)
            number = item.get("number", _int_range(1, MAX_SUBACCOUNT), required=True)
            sub_balances[number] = item.get("balance", _as_money, default=0)
            item.finish()
            value = number
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SUBACCOUNT:
            raise sec.error("subaccounts", f"entry {j} must be a subaccount number 1-{MAX_SUBACCOUNT}, got {describe(value)}")
        if value in subaccounts:
            raise sec.error("subaccounts", f"subaccount {value} is listed twice")
        subaccounts.add(value)
    keys_raw = sec.get("keys", _as_list, default=[])
    keys = tuple(_key(_item_section(sec, "keys", j, item), base, subaccounts) for j, item in enumerate(keys_raw))
    sec.finish()
    return SimUser(user_id=user_id, balance=balance, tier=tier, fix_entitled=entitled,
                   subaccounts=tuple(sorted(subaccounts)), keys=keys, direct_member=direct,
                   subaccount_balances=MappingProxyType(sub_balances))


def _key(sec: Section, base: Path, subaccounts: set[int]) -> SimApiKey:
    key_id = sec.get("key_id", _as_uuid, required=True)
    public_key = sec.get("public_key", lambda v: _resolve(as_str(v), base), required=True)
    scopes_raw = sec.get("scopes", _as_list, default=["read", "write"])
    scopes = set()
    for value in scopes_raw:
        if value not in ("read", "write"):
            raise sec.error("scopes", f"each scope must be read or write, got {describe(value)}")
        scopes.add(value)
    if not scopes:
        raise sec.error("scopes", "at least one scope (read or write) is required")
    sub = sec.get("subaccount", _int_range(0, MAX_SUBACCOUNT), default=None)
    if sub is not None and sub not in subaccounts:
        raise sec.error("subaccount", f"subaccount {sub} is not one of this user's subaccounts")
    source = f"{sec.file}:{sec.line}: {sec.path}" if sec.line else f"{sec.file}: {sec.path}"
    sec.finish()
    return SimApiKey(key_id=key_id, public_key=public_key, scopes=frozenset(scopes), subaccount=sub, source=source)


def _markets(top: Section, base: Path) -> tuple[SimMarket, ...]:
    if top.has("markets") and top.has("markets_file"):
        raise top.error("markets_file", "give either markets (inline) or markets_file, not both")
    if top.has("markets_file"):
        path = top.get("markets_file", lambda v: _resolve(as_str(v), base))
        items, file = _read_markets_file(path), str(path)
        holder = Section(file, "", _as_line_dict({"markets": items}))
    else:
        holder = top
    items = holder.get("markets", _as_list, required=True)
    markets: list[SimMarket] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        sec = _item_section(holder, "markets", i, item)
        market = _market(sec)
        if market.ticker in seen:
            raise sec.error("ticker", f"duplicate market ticker {market.ticker!r}")
        seen.add(market.ticker)
        markets.append(market)
    if holder is not top:
        holder.finish()
    return tuple(markets)


def _read_markets_file(path: Path) -> list[Any]:
    """A .json file (a list, or {"markets": [...]}) or a .yaml/.yml file with a top-level `markets:` list."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"), parse_float=DecimalText)
        except FileNotFoundError:
            raise SimConfigError(str(path), "", "file not found") from None
        except (OSError, ValueError) as exc:
            raise SimConfigError(str(path), "", f"invalid JSON: {exc}") from None
    elif suffix in (".yaml", ".yml"):
        try:
            data = read_yaml(path)
        except FixEngineError as exc:
            raise SimConfigError(str(path), "", getattr(exc, "problem", str(exc)), getattr(exc, "line", None)) from None
    else:
        raise SimConfigError(str(path), "", "a markets file must end in .json, .yaml or .yml")
    if isinstance(data, dict):
        data = data.get("markets")
    if not isinstance(data, list):
        raise SimConfigError(str(path), "markets", "must be a list of markets")
    return data


def _market(sec: Section) -> SimMarket:
    ticker = sec.get("ticker", as_str, required=True)
    event_ticker = sec.get("event_ticker", as_str, default=ticker.rsplit("-", 1)[0])
    series_ticker = sec.get("series_ticker", as_str, default=event_ticker.split("-", 1)[0])
    title = sec.get("title", as_str, default=ticker)
    status = sec.get("status", one_of({s: s for s in MARKET_STATUSES}), default="open")
    grid, structure = _grid(sec)
    fractional = sec.get("fractional_trading", as_bool, default=False)
    fee_type = sec.get("fee_type", one_of({f: f for f in FEE_TYPES}), default="quadratic")
    fee_multiplier = sec.get("fee_multiplier", _as_fraction, default=Fraction(1))
    maker_multiplier = sec.get("maker_fee_multiplier", _as_fraction, default=None)
    flat_fee = sec.get("flat_fee", _as_money, default=0)
    shard = sec.get("shard", _int_range(0, 3), default=0)
    close_time = sec.get("close_time", _as_time, default=None)
    result = sec.get("result", one_of({"": "", "yes": "yes", "no": "no", "scalar": "scalar"}), default="")
    settlement_price = sec.get("settlement_price", _as_price_text, default=None)
    high_volatility = sec.get("high_volatility", as_bool, default=False)
    sec.finish()
    if status in ("determined", "settled") and not result:
        raise sec.error("result", f"a {status} market needs a result (yes, no or scalar)")
    if result == "scalar" and settlement_price is None:
        raise sec.error("settlement_price", "a scalar result needs settlement_price (YES value in dollars)")
    if result in ("yes", "no") and settlement_price is None:
        settlement_price = 10_000 if result == "yes" else 0
    return SimMarket(
        ticker=ticker, event_ticker=event_ticker, series_ticker=series_ticker, title=title, status=status,
        grid=grid, price_level_structure=structure, fractional=fractional, fee_type=fee_type,
        fee_multiplier=fee_multiplier, maker_fee_multiplier=maker_multiplier, flat_fee=flat_fee, shard=shard,
        close_time=close_time, result=result, settlement_price=settlement_price, high_volatility=high_volatility,
    )


def _grid(sec: Section) -> tuple[TickGrid, str]:
    structure = sec.get("price_level_structure", as_str, default=None)
    ranges = sec.raw("price_ranges")
    try:
        if ranges is not None:
            grid = TickGrid.from_price_ranges(ranges, structure)
            if grid.bands[0][0] != 0 or grid.bands[-1][1] != 10_000:
                raise sec.error("price_ranges", "the bands must cover $0.00 to $1.00 like Kalshi's price_ranges")
            return grid, structure or "custom"
        grid = TickGrid.from_structure(structure or "linear_cent")
    except PricingError as exc:
        raise sec.error("price_ranges" if ranges is not None else "price_level_structure", str(exc)) from None
    return grid, structure or "linear_cent"


# --------------------------------------------------------------------------- converters


def _as_line_dict(data: Any) -> Any:
    if isinstance(data, dict) and not isinstance(data, LineDict):
        out = LineDict({k: _as_line_dict(v) for k, v in data.items()})
        out.lines = {}
        out.line = None
        return out
    if isinstance(data, list):
        return [_as_line_dict(v) for v in data]
    return data


def _item_section(parent: Section, key: str, index: int, item: Any) -> Section:
    path = f"{parent.key_path(key)}[{index}]"
    if not isinstance(item, dict):
        raise SimConfigError(parent.file, path, f"must be a mapping, got {describe(item)}", parent.line_of(key))
    return Section(parent.file, path, _as_line_dict(item), getattr(item, "line", None) or parent.line_of(key))


def _as_list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"must be a list, got {describe(value)}")
    return value


def _int_range(low: int, high: int):
    def convert(value: Any) -> int:
        number = as_int(value)
        if not low <= number <= high:
            raise ValueError(f"must be between {low} and {high}, got {number}")
        return number

    return convert


def _as_uuid(value: Any) -> str:
    text = as_str(value)
    if not API_KEY_ID_PATTERN.match(text):
        raise ValueError(f"must be an API key id (a UUID), got {text!r}")
    return str(uuid.UUID(text))


def _as_money(value: Any) -> int:
    try:
        return parse_money(as_number_text(value))
    except PricingError as exc:
        raise ValueError(f"must be a dollar amount like \"1000.00\": {exc.reason}") from None


def _as_price_text(value: Any) -> int:
    try:
        price = parse_price_dollars(as_number_text(value))
    except PricingError as exc:
        raise ValueError(f"must be a dollar price like 0.3060: {exc.reason}") from None
    if price > 10_000:
        raise ValueError("must be between 0 and 1 dollar")
    return price


def _as_fraction(value: Any) -> Fraction:
    text = as_number_text(value)
    try:
        number = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"must be a number like 1 or 0.5, got {describe(value)}") from None
    if number < 0:
        raise ValueError("must not be negative")
    return number


def _as_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        # PyYAML turns an unquoted timestamp into a datetime; a naive one was written in UTC.
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    else:
        text = as_str(value)
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"must be an RFC 3339 time like 2026-12-31T21:00:00Z, got {text!r}") from None
    if moment.tzinfo is None:
        raise ValueError("must carry a time zone (e.g. a trailing Z for UTC)")
    return moment.astimezone(timezone.utc)


def _resolve(text: str, base: Path) -> Path:
    path = Path(text).expanduser()
    return path if path.is_absolute() else (base / path).resolve()

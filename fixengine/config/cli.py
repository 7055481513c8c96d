"""`fixengine config check FILE` and `fixengine config show FILE`.

check: validates the file and prints a short summary; a missing/unreadable private key file is
reported (key file: no) but is not an error, so the shipped demo/prod configs check cleanly on a
machine without keys -- pass --require-keys to make it one (e.g. right before going live).
--probe-tls also connects to each FIX endpoint and verifies its certificate (chain + host name
+ pin), which QuickFIX's own TLS does not fully do; it needs the network, so it is opt-in.
show: the resolved settings, risk limits in human units and the generated QuickFIX settings.
No key material is ever read or printed: only key ids, paths and env var names.
"""

from __future__ import annotations

import argparse

from fixengine.config.loader import load_config
from fixengine.config.qf_settings import settings_text
from fixengine.config.tls_check import check_server_certificate
from fixengine.config.types import ConfigError, EngineConfig, SessionConfig

try:
    from fixengine.pricing import format_money, format_price_dollars, format_qty
except ImportError:  # pragma: no cover - depends on the pricing package's __init__
    from fixengine.pricing.units import format_money, format_price_dollars, format_qty


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("config", help="check or show an engine configuration file")
    sub = parser.add_subparsers(dest="config_command", metavar="ACTION")
    sub.required = True

    check = sub.add_parser("check", help="validate a config file and print a summary")
    check.add_argument("file", help="YAML config, e.g. config/kalshi-demo.yaml")
    check.add_argument(
        "--require-keys", action="store_true", help="fail when a session's private key file is not readable"
    )
    check.add_argument(
        "--probe-tls",
        action="store_true",
        help="connect to each session endpoint and verify its TLS certificate (chain, host name, pin)",
    )
    check.set_defaults(func=run_check)

    show = sub.add_parser("show", help="print resolved settings and the generated QuickFIX settings")
    show.add_argument("file", help="YAML config")
    show.add_argument("--kinds", help="comma-separated session kinds to generate (default: all)")
    show.set_defaults(func=run_show)


def run_check(args: argparse.Namespace) -> int:
    cfg = load_config(args.file)
    settings_text(cfg)  # settings generation must work too (e.g. a CA bundle must exist for TLS)
    if args.require_keys:
        for s in cfg.sessions.values():
            readable, why = s.private_key_status()
            if not readable:
                key = "private_key" if s.private_key is not None else "private_key_env"
                raise ConfigError(cfg.source, f"sessions.{s.kind.value}.{key}", f"private key file not readable: {why}")
    print(f"config OK: {cfg.source}")
    print("\n".join(summary_lines(cfg)))
    if args.probe_tls:
        print("TLS endpoints:")
        for line in probe_lines(cfg):
            print(f"  {line}")
    return 0


def probe_lines(cfg: EngineConfig) -> list[str]:
    """One line per distinct endpoint; the first failure raises TlsCheckError (one line, exit 2)."""
    lines, seen = [], set()
    for s in cfg.sessions.values():
        if s.port_is_auto:
            lines.append(f"{s.kind.value}: port assigned by the simulator at start, not probed")
            continue
        if (s.host, s.port) not in seen:
            seen.add((s.host, s.port))
            lines.append(f"{s.kind.value}: {check_server_certificate(cfg, s.kind)}")
    return lines


def run_show(args: argparse.Namespace) -> int:
    cfg = load_config(args.file)
    kinds = [k.strip() for k in args.kinds.split(",")] if args.kinds else None
    generated = settings_text(cfg, kinds)  # first: a bad --kinds must fail before any output
    print("\n".join(summary_lines(cfg)))
    print("\n".join(detail_lines(cfg)))
    print("\n# generated QuickFIX settings")
    print(generated)
    return 0


def _tls_text(cfg: EngineConfig) -> str:
    tls = cfg.tls
    if not tls.enabled:
        return "plain TCP, loopback only"
    parts = [f"TLS >= {tls.min_version}"]
    if tls.verify_server:
        parts.append(f"server verified against {tls.ca_file or 'system CAs'}")
    else:
        parts.append("server NOT verified")
    if tls.server_cert_pin:
        parts.append(f"pinned to {tls.server_cert_pin}")
    return ", ".join(parts)


def _session_line(s: SessionConfig) -> str:
    readable, why = s.private_key_status()
    port = "auto" if s.port_is_auto else str(s.port)
    flags = " ".join(f"{tag}={value}" for tag, value in s.logon.tags())
    return (
        f"  {s.kind.value:<4} {s.host}:{port} -> {s.target_comp_id:<10} key {s.api_key_id}  "
        f"hb {s.heartbeat_s}s  141={'Y' if s.reset_on_logon else 'N'}  {flags}\n"
        f"       key file readable: {'yes' if readable else 'no'} ({why})"
    )


def summary_lines(cfg: EngineConfig) -> list[str]:
    rl = cfg.rate_limit
    return [
        f"environment: {cfg.environment.value}",
        f"host:        {cfg.host} ({_tls_text(cfg)})",
        f"market data: {cfg.market_data_host}",
        f"REST:        {cfg.rest_base_url or 'auto (assigned by the simulator)'}",
        f"rate limit:  {rl.tier.value}: write {rl.write_tokens_per_s} tokens/s, burst {rl.write_capacity}, "
        f"{rl.write_cost} tokens per order",
        "sessions:",
        *(_session_line(s) for s in cfg.sessions.values()),
    ]


def detail_lines(cfg: EngineConfig) -> list[str]:
    risk, st, rc = cfg.risk, cfg.storage, cfg.reconnect
    return [
        "risk limits:",
        f"  max order qty            {format_qty(risk.max_order_qty)} contracts",
        f"  max order notional       ${format_money(risk.max_order_notional)}",
        f"  max position per market  {format_qty(risk.max_position_per_market)} contracts",
        f"  max position total       {format_qty(risk.max_position_total)} contracts",
        f"  max open orders          {risk.max_open_orders}",
        f"  price collar             ${format_price_dollars(risk.price_collar)}",
        f"  daily loss limit         ${format_money(risk.daily_loss_limit)}",
        f"storage: {st.message_store} store {st.store_dir or '-'}, FIX log {st.log_dir or 'off'}, "
        f"journal {st.journal_dir}",
        f"reconnect: {rc.initial_delay_s:g}s x{rc.multiplier:g} up to {rc.max_delay_s:g}s",
        f"quickfix: inbound validation {cfg.quickfix.inbound_validation}, "
        f"CheckCompID {'Y' if cfg.quickfix.check_comp_id else 'N'}",
    ]

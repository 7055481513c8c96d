"""What a scenario runs against: endpoints, API keys by alias, tickers by alias, admin hook.

`Target` is plain data plus two callables, so the runner does not care whether the far end
is the local simulator (fixengine.cert.local_sim builds one) or Kalshi demo (built from a
client config by `target_from_client_config`).
"""

from __future__ import annotations

import ssl
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from fixengine.auth import PrivateKey, load_private_key_from_config
from fixengine.config import EngineConfig, SessionKind
from fixengine.errors import FixEngineError


class TargetError(FixEngineError):
    """The target cannot be used (missing key, unknown session, admin not available)."""


@dataclass(frozen=True, slots=True)
class KeyInfo:
    alias: str
    key_id: str
    private_key: PrivateKey = field(repr=False)


@dataclass(slots=True)
class Target:
    name: str  # "local-sim" or the client config's environment
    host: str
    ports: dict[str, int]  # session kind ("NR", "RT", ...) -> port
    target_comp_ids: dict[str, str]
    keys: dict[str, KeyInfo]
    tickers: dict[str, str]
    tls: ssl.SSLContext | None = None
    server_hostname: str | None = None
    capabilities: set[str] = field(default_factory=set)  # "admin", "local-sim", ...
    admin_call: Callable[[str, dict[str, Any]], Any] | None = None
    # called before each scenario; a local target resets (or restarts) the simulator for isolation
    prepare: Callable[[], None] | None = None
    # called after each scenario; a remote target mass-cancels what the scenario left resting
    cleanup: Callable[[], str] | None = None
    close: Callable[[], None] | None = None

    def has(self, requirement: str) -> bool:
        """`admin`, `local-sim`, `key:<alias>`, `kind:<NR|RT|...>`, `ticker:<alias>`."""
        kind, _, arg = requirement.partition(":")
        if kind == "key":
            return arg in self.keys
        if kind == "kind":
            return arg in self.ports
        if kind == "ticker":
            return arg in self.tickers
        return requirement in self.capabilities

    def key(self, alias: str) -> KeyInfo:
        try:
            return self.keys[alias]
        except KeyError:
            raise TargetError(f"no API key with alias {alias!r} on target {self.name}; "
                              f"known: {', '.join(sorted(self.keys)) or 'none'}") from None

    def admin(self, op: str, args: dict[str, Any]) -> Any:
        if self.admin_call is None:
            raise TargetError(f"target {self.name} has no admin API (simulator only)")
        return self.admin_call(op, args)


def client_tls_context(ca_file: str | None, verify: bool, min_version: str = "1.2") -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=ca_file) if verify else ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3 if min_version == "1.3" else ssl.TLSVersion.TLSv1_2
    return ctx


def target_from_client_config(cfg: EngineConfig, tickers: dict[str, str]) -> Target:
    """A remote target (Kalshi demo/prod): one key alias per configured session, named after it.

    Alias `trader` is the NR session's key (the key the order scenarios use); each session kind
    also gets its own alias in lower case (`nr`, `rt`, `dc`, ...). Kalshi allows one live
    connection per key, so scenarios that need a second party (`key:maker`) are skipped unless
    the config provides one.
    """
    keys: dict[str, KeyInfo] = {}
    ports: dict[str, int] = {}
    for kind, session in cfg.sessions.items():
        ports[kind.value] = session.port
        spec = str(session.private_key) if session.private_key else f"env:{session.private_key_env}"
        try:
            private = load_private_key_from_config(spec)
        except FixEngineError as exc:
            raise TargetError(f"sessions.{kind.value}: {exc}") from None
        keys[kind.value.lower()] = KeyInfo(kind.value.lower(), session.api_key_id, private)
    if SessionKind.NR.value.lower() in keys:
        nr = keys["nr"]
        keys["trader"] = KeyInfo("trader", nr.key_id, nr.private_key)
    tls = None
    if cfg.tls.enabled:
        tls = client_tls_context(str(cfg.tls.ca_file) if cfg.tls.ca_file else None,
                                 cfg.tls.verify_server, cfg.tls.min_version)
    target = Target(
        name=cfg.environment.value, host=cfg.host, ports=ports,
        target_comp_ids={kind.value: s.target_comp_id for kind, s in cfg.sessions.items()},
        keys=keys, tickers=dict(tickers), tls=tls, server_hostname=cfg.host,
        capabilities={cfg.environment.value},
    )
    if "trader" in keys and "NR" in ports:
        target.cleanup = lambda: mass_cancel(target)
    return target


def mass_cancel(target: Target, timeout: float = 5.0, pause_s: float = 1.1) -> str:
    """Cancel every open order of the `trader` key over KalshiNR (35=q, 530=6), then log out.

    Run after each scenario on a real venue so resting test orders never outlive their
    scenario. Returns a one-line outcome for the console; never raises for a venue refusal.
    """
    from fixengine.auth import sign_logon
    from fixengine.cert.variables import fix_time
    from fixengine.cert.wire import Disconnected, FixConnection, Transcript, encode

    key = target.key("trader")
    comp = target.target_comp_ids["NR"]
    conn = FixConnection("cleanup", target.host, target.ports["NR"], Transcript(), target.tls, target.server_hostname)
    outcome = "no answer"
    try:
        conn.connect(timeout)
        now = fix_time(datetime.now(timezone.utc))
        signature = sign_logon(key.private_key, now, 1, key.key_id, comp)
        head = [(49, key.key_id), (56, comp)]
        conn.send(encode([(35, "A"), *head, (34, "1"), (52, now), (98, "0"), (108, "30"), (95, str(len(signature))),
                          (96, signature), (141, "Y"), (1137, "9")]))
        reply = conn.receive(timeout)
        if reply is None or reply.msg_type != "A":
            return f"cleanup logon refused: {reply.get(58) if reply else 'no answer'}"
        conn.send(encode([(35, "q"), *head, (34, "2"), (52, fix_time(datetime.now(timezone.utc))),
                          (11, str(uuid.uuid4())), (530, "6")]))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = conn.receive(deadline - time.monotonic())
            if msg is not None and msg.msg_type in ("r", "j"):
                outcome = f"mass cancel answered 35={msg.msg_type} {msg.get(531) or msg.get(58) or ''}".strip()
                break
        conn.send(encode([(35, "5"), *head, (34, "3"), (52, fix_time(datetime.now(timezone.utc)))]))
    except (OSError, Disconnected) as exc:
        outcome = f"cleanup failed: {exc}"
    finally:
        conn.close()
    time.sleep(pause_s)  # OrderMassCancelRequest is limited to 1 per second (part1 §4.7)
    return outcome

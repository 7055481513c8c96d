"""QuickFIX SessionSettings generated from the typed config (no hand-written .cfg files).

A `SettingsPlan` is the plain-dict form (defaults + one dict per session): it renders the
familiar .cfg text for `fixengine config show` and builds the `quickfix.SessionSettings` the
engine uses, so the two can never disagree.

QuickFIX 1.16 facts this relies on (checked in the C++ sources, UtilitySSL.cpp / SessionFactory.cpp):
  * every SSL setting (SSLProtocol, CertificationAuthoritiesFile, ServerCertificateFile, ...) is
    read from the [DEFAULT] section only, so TLS is configured once per initiator/acceptor;
  * a client verifies the server chain only when CertificationAuthoritiesFile/Directory is set
    (then with the system roots added); it never checks the host name -- see tls_check.py;
  * StartTime == EndTime == 00:00:00 alone would log out and reset every session at midnight UTC
    (new "session period"); NonStopSession=Y keeps one 24h session that never resets by itself.
"""

from __future__ import annotations

import gc
import math
import ssl
import sysconfig
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from fixengine.config.types import (
    RESET_MANDATORY,
    ConfigError,
    EngineConfig,
    SessionConfig,
    SessionKind,
    TlsConfig,
)
from fixengine.errors import FixEngineError

BEGIN_STRING = "FIXT.1.1"
DEFAULT_APPL_VER_ID = "9"  # FIX50SP2, the only value Kalshi accepts

#: QuickFIX SSLProtocol strings (parsed by protocolOptions() in UtilitySSL.cpp).
_SSL_PROTOCOL = {
    "1.2": "all -SSLv2 -SSLv3 -TLSv1 -TLSv1_1",
    "1.3": "all -SSLv2 -SSLv3 -TLSv1 -TLSv1_1 -TLSv1_2",
}

_LENIENT = {"ValidateUserDefinedFields": "N", "AllowUnknownMsgFields": "Y", "ValidateFieldsOutOfOrder": "N"}
_STRICT = {"ValidateUserDefinedFields": "Y", "AllowUnknownMsgFields": "N", "ValidateFieldsOutOfOrder": "Y"}


def _yn(flag: bool) -> str:
    return "Y" if flag else "N"


# --------------------------------------------------------------------- data dictionaries


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def spec_paths() -> tuple[Path, Path]:
    """(transport, application) data dictionaries: the project's generated Kalshi specs."""
    from fixengine.fix.spec import APP_SPEC, TRANSPORT_SPEC

    return Path(TRANSPORT_SPEC), Path(APP_SPEC)


def stock_spec_paths() -> tuple[Path, Path]:
    """QuickFIX's own FIXT11.xml / FIX50SP2.xml (installed under <venv>/share/quickfix)."""
    share = Path(sysconfig.get_paths()["data"]) / "share" / "quickfix"
    return share / "FIXT11.xml", share / "FIX50SP2.xml"


# --------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class SettingsPlan:
    defaults: dict[str, str]
    sessions: tuple[dict[str, str], ...]  # each carries BeginString / SenderCompID / TargetCompID

    def text(self) -> str:
        """The .cfg form, for people: [DEFAULT] then one [SESSION] per session."""
        lines = ["[DEFAULT]", *(f"{k}={v}" for k, v in self.defaults.items()), ""]
        for session in self.sessions:
            lines += ["[SESSION]", *(f"{k}={v}" for k, v in session.items()), ""]
        return "\n".join(lines)

    def build(self) -> Any:
        """The quickfix.SessionSettings object (defaults first: QuickFIX merges them into each session)."""
        import quickfix as fix

        settings = fix.SessionSettings()
        settings.set(_dictionary(fix, self.defaults))
        for session in self.sessions:
            sid = fix.SessionID(session["BeginString"], session["SenderCompID"], session["TargetCompID"])
            settings.set(sid, _dictionary(fix, session))
        return settings


def _dictionary(fix: Any, values: Mapping[str, str]) -> Any:
    dictionary = fix.Dictionary()
    for key, value in values.items():
        dictionary.setString(key, value)
    return dictionary


def _common_defaults(transport: Path, app: Path, validation: str) -> dict[str, str]:
    return {
        "DefaultApplVerID": DEFAULT_APPL_VER_ID,
        "UseDataDictionary": "Y",
        "TransportDataDictionary": str(transport),
        "AppDataDictionary": str(app),
        "StartTime": "00:00:00",
        "EndTime": "00:00:00",
        "NonStopSession": "Y",
        "SocketNodelay": "Y",  # QuickFIX defaults to Nagle on (quickfix-notes.md)
        "TimestampPrecision": "3",  # Kalshi SendingTime is YYYYMMDD-HH:MM:SS.mmm
        **(_STRICT if validation == "strict" else _LENIENT),
    }


# --------------------------------------------------------------------- initiator (client)


def initiator_plan(
    cfg: EngineConfig,
    kinds: Iterable[SessionKind | str] | None = None,
    *,
    dictionaries: tuple[Path, Path] | None = None,
    allow_unresolved: bool = False,
) -> SettingsPlan:
    """Settings for the client sessions `kinds` (default: all configured), in the config's order.

    `allow_unresolved` renders simulator-assigned ports as `auto` (for display only).
    """
    chosen = _chosen_sessions(cfg, kinds)
    transport, app = dictionaries or spec_paths()
    defaults = {"ConnectionType": "initiator", **_common_defaults(transport, app, cfg.quickfix.inbound_validation)}
    # Kalshi documents an EMPTY QuoteID (`117=`) on a rejected QuoteStatusReport (35=AI 297=5);
    # QuickFIX would answer it with 35=3 373=4 and the maker would never learn its quote was refused.
    # Client side only: the simulator keeps QuickFIX's check on what clients send.
    defaults["ValidateFieldsHaveValues"] = "N"
    defaults["CheckCompID"] = _yn(cfg.quickfix.check_comp_id)
    # QuickFIX's own retry uses a fixed interval; the engine's backoff (cfg.reconnect) supervises above it.
    defaults["ReconnectInterval"] = str(max(1, math.ceil(cfg.reconnect.initial_delay_s)))
    if cfg.storage.message_store == "file":
        defaults["FileStorePath"] = str(cfg.storage.store_dir)
    if cfg.storage.log_dir is not None:
        defaults["FileLogPath"] = str(cfg.storage.log_dir)
    if cfg.tls.enabled:
        defaults.update(_client_tls(cfg.source, cfg.tls))
    sessions = tuple(_initiator_session(cfg, s, allow_unresolved) for s in chosen)
    return SettingsPlan(defaults, sessions)


def _chosen_sessions(cfg: EngineConfig, kinds: Iterable[SessionKind | str] | None) -> list[SessionConfig]:
    if kinds is None:
        return list(cfg.sessions.values())
    chosen = []
    for kind in kinds:
        try:
            kind = SessionKind(kind)
        except ValueError:
            raise ConfigError(cfg.source, "sessions", f"unknown session kind {kind!r}") from None
        chosen.append(cfg.session(kind))
    return chosen


def _initiator_session(cfg: EngineConfig, s: SessionConfig, allow_unresolved: bool) -> dict[str, str]:
    if s.port_is_auto and not allow_unresolved:
        raise ConfigError(
            cfg.source,
            f"sessions.{s.kind.value}.port",
            "is 'auto' (assigned by the simulator at start): call EngineConfig.with_endpoints() first",
        )
    reset = _yn(s.reset_on_logon)
    return {
        "BeginString": BEGIN_STRING,
        "SenderCompID": s.api_key_id,
        "TargetCompID": s.target_comp_id,
        "SocketConnectHost": s.host,
        "SocketConnectPort": "auto" if s.port_is_auto else str(s.port),
        "HeartBtInt": str(s.heartbeat_s),
        # ResetOnLogon=Y makes QuickFIX send 141=Y and start at 34=1; RT/PT continuity needs all N.
        "ResetOnLogon": reset,
        "ResetOnLogout": reset,
        "ResetOnDisconnect": reset,
    }


def _client_tls(source: str, tls: TlsConfig) -> dict[str, str]:
    values = {"SSLProtocol": _SSL_PROTOCOL[tls.min_version]}
    if not tls.verify_server:
        return values
    if tls.ca_file is not None:
        values["CertificationAuthoritiesFile"] = str(tls.ca_file)
        return values
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile):
        if candidate and Path(candidate).is_file():
            values["CertificationAuthoritiesFile"] = candidate
            return values
    for candidate in (paths.capath, paths.openssl_capath):
        if candidate and Path(candidate).is_dir():
            values["CertificationAuthoritiesDirectory"] = candidate
            return values
    raise ConfigError(source, "tls.ca_file", "verify_server is on but no system CA bundle was found: set tls.ca_file")


def quickfix_settings(cfg: EngineConfig, kinds: Iterable[SessionKind | str] | None = None, **kw: Any) -> Any:
    """quickfix.SessionSettings for the client sessions `kinds` (default: all configured)."""
    return initiator_plan(cfg, kinds, **kw).build()


def settings_text(cfg: EngineConfig, kinds: Iterable[SessionKind | str] | None = None) -> str:
    """The generated settings as .cfg text (unresolved simulator ports shown as `auto`)."""
    return initiator_plan(cfg, kinds, allow_unresolved=True).text()


def session_ids(cfg: EngineConfig, kinds: Iterable[SessionKind | str] | None = None) -> dict[SessionKind, str]:
    """SessionID string (as quickfix.SessionID.toString() prints it) -> kind, for routing callbacks."""
    return {s.kind: f"{BEGIN_STRING}:{s.api_key_id}->{s.target_comp_id}" for s in _chosen_sessions(cfg, kinds)}


# --------------------------------------------------------------------- acceptor (simulator side)


@dataclass(frozen=True)
class AcceptorSession:
    """One server-side session: the client `client_comp_id` logs on to `port` as `server_comp_id`."""

    port: int
    server_comp_id: str  # e.g. KalshiNR (the client's TargetCompID)
    client_comp_id: str  # the client's API key id
    kind: str | None = None  # a SessionKind value; reset-only kinds reset their state on logout/disconnect
    extra: Mapping[str, str] = field(default_factory=dict)  # any further per-session QuickFIX settings


def acceptor_plan(
    sessions: Iterable[AcceptorSession | tuple],
    *,
    cert_file: Path | None = None,
    key_file: Path | None = None,
    min_tls: str = "1.2",
    store_dir: Path | None = None,
    log_dir: Path | None = None,
    validation: str = "strict",
    dictionaries: tuple[Path, Path] | None = None,
    extra_defaults: Mapping[str, str] | None = None,
) -> SettingsPlan:
    """Acceptor settings with one SocketAcceptPort per session; TLS when `cert_file` is given.

    `sessions` holds AcceptorSession records or plain (port, server_comp_id, client_comp_id, kind) tuples.
    Without `store_dir` the caller should use a MemoryStoreFactory; without `log_dir`, no FileLog.
    """
    transport, app = dictionaries or spec_paths()
    defaults = {"ConnectionType": "acceptor", **_common_defaults(transport, app, validation)}
    defaults["CheckCompID"] = "Y"
    defaults["SocketReuseAddress"] = "Y"
    if store_dir is not None:
        defaults["FileStorePath"] = str(store_dir)
    if log_dir is not None:
        defaults["FileLogPath"] = str(log_dir)
    if cert_file is not None:
        defaults["SSLProtocol"] = _SSL_PROTOCOL[min_tls]
        defaults["ServerCertificateFile"] = str(cert_file)
        defaults["ServerCertificateKeyFile"] = str(key_file or cert_file)
    defaults.update(extra_defaults or {})
    plans = []
    for s in sessions:
        s = s if isinstance(s, AcceptorSession) else AcceptorSession(*s)
        reset_only = s.kind is not None and SessionKind(s.kind) in RESET_MANDATORY
        plan = {
            "BeginString": BEGIN_STRING,
            "SenderCompID": s.server_comp_id,
            "TargetCompID": s.client_comp_id,
            "SocketAcceptPort": str(s.port),
            # The client's 141=Y drives the reset at logon; reset-only kinds also forget state after it.
            "ResetOnLogon": "N",
            "ResetOnLogout": _yn(reset_only),
            "ResetOnDisconnect": _yn(reset_only),
        }
        plan.update(s.extra)
        plans.append(plan)
    return SettingsPlan(defaults, tuple(plans))


def acceptor_settings(sessions: Iterable[AcceptorSession | tuple], **kw: Any) -> Any:
    """quickfix.SessionSettings for a simulator/test acceptor; see `acceptor_plan`."""
    return acceptor_plan(sessions, **kw).build()


# --------------------------------------------------------------------- ready-to-start initiator


class DuplicateSessionError(FixEngineError):
    """A second initiator for a SessionID whose previous initiator object is still alive."""


@dataclass(eq=False)
class InitiatorParts:
    """A built (not started) QuickFIX initiator plus the objects it points into.

    SWIG does not keep the settings/factories alive for the C++ side: hold this object for as
    long as the initiator runs, then stop it and drop every reference to it.
    """

    initiator: Any
    settings: Any
    store_factory: Any
    log_factory: Any | None
    application: Any


# QuickFIX keeps one process-wide registry of sessions keyed by SessionID. Building a second
# initiator while the first object still exists (even stopped) leaves the new sessions out of the
# registry, and once the old object is freed the engine dereferences a missing session: measured
# here as a segfault. So build_initiator refuses instead, after collecting garbage once (an app
# that refers back to its owner forms a cycle that only the cyclic collector frees).
_LIVE_SESSIONS: "weakref.WeakValueDictionary[str, InitiatorParts]" = weakref.WeakValueDictionary()


def _claim_sessions(ids: Iterable[str], parts: InitiatorParts | None = None) -> None:
    ids = list(ids)
    if parts is None:
        busy = [sid for sid in ids if sid in _LIVE_SESSIONS]
        if busy:
            gc.collect()
            busy = [sid for sid in ids if sid in _LIVE_SESSIONS]
        if busy:
            raise DuplicateSessionError(
                f"session {busy[0]} already belongs to a live initiator in this process: stop it and drop "
                "every reference to it before building another (QuickFIX registers sessions process-wide)"
            )
        return
    for sid in ids:
        _LIVE_SESSIONS[sid] = parts


def build_initiator(
    cfg: EngineConfig,
    application: Any,
    kinds: Iterable[SessionKind | str] | None = None,
    *,
    threaded: bool = False,
    dictionaries: tuple[Path, Path] | None = None,
) -> InitiatorParts:
    """SSL or plain (per cfg.tls), file or memory store (per cfg.storage), file log if configured.

    Raises DuplicateSessionError when one of the sessions already has a live initiator.
    """
    import quickfix as fix

    settings = quickfix_settings(cfg, kinds, dictionaries=dictionaries)
    ids = session_ids(cfg, kinds).values()
    _claim_sessions(ids)
    if cfg.storage.message_store == "file":
        cfg.storage.store_dir.mkdir(parents=True, exist_ok=True)
        store = fix.FileStoreFactory(settings)
    else:
        store = fix.MemoryStoreFactory()
    log = None
    if cfg.storage.log_dir is not None:
        cfg.storage.log_dir.mkdir(parents=True, exist_ok=True)
        log = fix.FileLogFactory(settings)
    if cfg.tls.enabled:
        cls = fix.ThreadedSSLSocketInitiator if threaded else fix.SSLSocketInitiator
    else:
        cls = fix.ThreadedSocketInitiator if threaded else fix.SocketInitiator
    initiator = cls(application, store, settings, log) if log is not None else cls(application, store, settings)
    parts = InitiatorParts(initiator, settings, store, log, application)
    _claim_sessions(ids, parts)
    return parts

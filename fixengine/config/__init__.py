"""Typed engine configuration: YAML -> frozen dataclasses -> generated QuickFIX settings.

  load_config(path)            -> EngineConfig (ConfigError names file, line, key path, problem)
  quickfix_settings(cfg, kinds)-> quickfix.SessionSettings for the client sessions
  settings_text(cfg, kinds)    -> the same as .cfg text (for `fixengine config show`)
  acceptor_settings(sessions)  -> server-side settings for the simulator / tests
  build_initiator(cfg, app)    -> a ready (not started) SSL or plain initiator
  check_server_certificate(..) -> TLS pin / host name check QuickFIX itself does not do
"""

from fixengine.config.loader import is_loopback, load_config
from fixengine.config.qf_settings import (
    AcceptorSession,
    DuplicateSessionError,
    InitiatorParts,
    SettingsPlan,
    acceptor_plan,
    acceptor_settings,
    build_initiator,
    initiator_plan,
    quickfix_settings,
    session_ids,
    settings_text,
    spec_paths,
    stock_spec_paths,
)
from fixengine.config.tls_check import TlsCheckError, check_server_certificate, fetch_server_certificate
from fixengine.config.types import (
    AUTO_PORT,
    DEFAULT_PORT,
    DEFAULT_TARGET_COMP_ID,
    RESET_MANDATORY,
    TIER_BUDGET,
    ConfigError,
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

__all__ = [
    "AUTO_PORT",
    "DEFAULT_PORT",
    "DEFAULT_TARGET_COMP_ID",
    "RESET_MANDATORY",
    "TIER_BUDGET",
    "AcceptorSession",
    "ConfigError",
    "EngineConfig",
    "Environment",
    "DuplicateSessionError",
    "InitiatorParts",
    "LogonOptions",
    "QuickFixOptions",
    "RateLimitConfig",
    "RateTier",
    "ReconnectConfig",
    "RiskLimits",
    "SessionConfig",
    "SessionKind",
    "SettingsPlan",
    "StorageConfig",
    "TlsCheckError",
    "TlsConfig",
    "acceptor_plan",
    "acceptor_settings",
    "build_initiator",
    "check_server_certificate",
    "fetch_server_certificate",
    "initiator_plan",
    "is_loopback",
    "load_config",
    "quickfix_settings",
    "session_ids",
    "settings_text",
    "spec_paths",
    "stock_spec_paths",
]

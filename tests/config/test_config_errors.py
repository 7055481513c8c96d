"""Each class of mistake gives one exact message naming the file, line, key path and problem."""

from __future__ import annotations

import pytest

from fixengine.config import ConfigError, load_config
from fixengine.errors import FixEngineError

from config_helpers import DC_KEY, DELETE, NR_KEY, RT_KEY

RT = {"api_key_id": RT_KEY, "private_key_env": "RT_KEY"}

CASES = [
    # (changes, key path, exact problem)
    ({"environment": "staging"}, "environment", "must be one of local-sim, kalshi-demo, kalshi-prod, got 'staging'"),
    ({"tls.enabled": False}, "tls.enabled",
     "TLS is mandatory for non-loopback host fix.demo.kalshi.co; plain TCP is only allowed to 127.0.0.0/8 or localhost"),
    ({"tls.min_version": "1.1"}, "tls.min_version", "must be one of 1.2, 1.3, got '1.1'"),
    ({"tls.ca_file": "missing-ca.pem"}, "tls.ca_file", "file {tmp}/missing-ca.pem does not exist"),
    ({"sessions.NR.heartbeat": 3}, "sessions.NR.heartbeat", "must be more than 3 seconds (Kalshi HeartBtInt rule), got 3"),
    ({"sessions.NR.heartbeat": "30"}, "sessions.NR.heartbeat", "must be a whole number, got '30'"),
    ({"sessions.NR.hearbeat": 30, "sessions.NR.heartbeat": DELETE}, "sessions.NR.hearbeat", "unknown setting (did you mean 'heartbeat'?)"),
    ({"sessions.NR.reset_on_logon": False}, "sessions.NR.reset_on_logon",
     "must be true: KalshiNR requires ResetSeqNumFlag(141)=Y on every Logon"),
    ({"sessions.DC.reset_on_logon": False}, "sessions.DC.reset_on_logon",
     "must be true: KalshiDC requires ResetSeqNumFlag(141)=Y on every Logon"),
    ({"sessions.NR.logon.listener": True}, "sessions.NR.logon.listener",
     "a listener session (20126=Y) requires skip_pending_exec_reports: true (21011=Y)"),
    ({"sessions.NR.logon.listener": True, "sessions.NR.logon.skip_pending_exec_reports": True},
     "sessions.NR.logon.cancel_orders_on_disconnect",
     "must not be true on a listener session (Kalshi rejects 20126 with 8013=Y)"),
    ({"sessions.DC.logon": {"listener": False}}, "sessions.DC.logon.listener",
     "tag 20126 applies only to NR, RT sessions, not DC"),
    ({"sessions.NR.logon.receive_settlement_reports": True}, "sessions.NR.logon.receive_settlement_reports",
     "tag 20127 applies only to RT, PT sessions, not NR"),
    ({"sessions.RT": {**RT, "logon": {"message_retention_hours": 73}}}, "sessions.RT.logon.message_retention_hours",
     "must be 1 to 72 hours, got 73"),
    ({"sessions.NR.logon.use_dollars": "Y"}, "sessions.NR.logon.use_dollars", "must be true or false, got 'Y'"),
    ({"sessions.NR.logon.use_dolars": True, "sessions.NR.logon.use_dollars": DELETE}, "sessions.NR.logon.use_dolars", "unknown setting (did you mean 'use_dollars'?)"),
    ({"sessions.NR.api_key_id": "not-a-uuid"}, "sessions.NR.api_key_id",
     "must be an API key id (a UUID like 0f8fad5b-d9cb-469f-a165-70867728950e), got 'not-a-uuid'"),
    ({"sessions.DC.api_key_id": NR_KEY}, "sessions.DC.api_key_id",
     "same key as sessions.NR; Kalshi allows one live connection per key "
     "(set allow_shared_api_keys: true if they never run at the same time)"),
    ({"sessions.NR.private_key": "nr.pem"}, "sessions.NR.private_key",
     "set exactly one of private_key (a file path) or private_key_env (an env var holding the path)"),
    ({"sessions.NR.private_key_env": DELETE}, "sessions.NR.private_key_env",
     "set exactly one of private_key (a file path) or private_key_env (an env var holding the path)"),
    ({"sessions.NR.private_key_env": "MY-KEY"}, "sessions.NR.private_key_env",
     "must be an environment variable name, got 'MY-KEY'"),
    ({"sessions.NR.port": "auto"}, "sessions.NR.port", "'auto' (assigned by the simulator) is only allowed for local-sim"),
    ({"sessions.NR.port": 70000}, "sessions.NR.port", "must be a TCP port 1-65535 or 'auto', got 70000"),
    ({"sessions.NR.target_comp_id": "Kalshi NR"}, "sessions.NR.target_comp_id",
     "must be 1-64 printable ASCII characters without spaces, got 'Kalshi NR'"),
    ({"sessions.XX": {"api_key_id": DC_KEY}}, "sessions.XX", "unknown session kind (expected one of NR, DC, RT, PT, RFQ, MD)"),
    ({"sessions": {}}, "sessions", "at least one session (NR, RT, DC, PT, RFQ, MD) must be configured"),
    ({"host": "mm.fix.elections.kalshi.com"}, "host", "mm.fix.elections.kalshi.com is a kalshi-prod host but environment is kalshi-demo"),
    ({"market_data_host": "bad host"}, "market_data_host", "is not a valid host name: 'bad host'"),
    ({"rest_base_url": "http://external-api.demo.kalshi.co/trade-api/v2"}, "rest_base_url",
     "must use https for non-loopback host external-api.demo.kalshi.co"),
    ({"rest_base_url": "https://external-api.kalshi.com/trade-api/v2"}, "rest_base_url",
     "external-api.kalshi.com is a kalshi-prod host but environment is kalshi-demo"),
    ({"rest_base_url": "auto"}, "rest_base_url", "'auto' (assigned by the simulator) is only allowed for local-sim"),
    ({"environment": "local-sim"}, "host", "local-sim must point at a loopback host (127.0.0.1 or localhost)"),
    ({"storage.message_store": "sql"}, "storage.message_store", "must be one of file, memory, got 'sql'"),
    ({"storage.journal_dir": DELETE}, "storage.journal_dir", "required setting is missing"),
    ({"risk": DELETE}, "risk", "required setting is missing"),
    ({"risk.max_order_qty": "1.234"}, "risk.max_order_qty", "invalid quantity '1.234': more than 2 decimal places"),
    ({"risk.max_order_notional": "-5"}, "risk.max_order_notional", "must be greater than zero, got '-5'"),
    ({"risk.max_order_notional": "1e3"}, "risk.max_order_notional", "invalid money amount '1e3': not a plain decimal number"),
    ({"risk.price_collar": "1.00"}, "risk.price_collar", "must be less than 1 dollar, got '1.00'"),
    ({"risk.max_open_orders": 0}, "risk.max_open_orders", "must be greater than zero, got 0"),
    ({"risk.max_position_per_market": 5000}, "risk.max_position_per_market", "must not exceed max_position_total"),
    ({"risk.max_loss": "5"}, "risk.max_loss", "unknown setting (check the spelling)"),
    ({"rate_limit.tier": "Gold"}, "rate_limit.tier",
     "must be one of Basic, Advanced, Expert, Premier, Paragon, Prime, Prestige, got 'Gold'"),
    ({"reconnect.max_delay_s": 0.5}, "reconnect.max_delay_s", "must not be less than initial_delay_s (1)"),
    ({"reconnect.initial_delay_s": -1}, "reconnect.initial_delay_s", "must be a positive number of seconds, got -1"),
    ({"reconnect.multiplier": 0.5}, "reconnect.multiplier", "must be a number >= 1, got number 0.5"),
    ({"quickfix": {"inbound_validation": "loose"}}, "quickfix.inbound_validation", "must be one of lenient, strict, got 'loose'"),
    ({"enviroment": "kalshi-demo", "environment": DELETE}, "environment", "required setting is missing (found 'enviroment': a typo?)"),
    ({"tls": "yes"}, "tls", "must be a mapping of settings, got 'yes'"),
]


@pytest.mark.parametrize("changes, key_path, problem", CASES, ids=[c[1] + ":" + c[2][:30] for c in CASES])
def test_each_mistake_has_one_exact_message(write_config, tmp_path, changes, key_path, problem):
    path = write_config(changes)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    exc = info.value
    problem = problem.replace("{tmp}", str(tmp_path))
    assert (exc.file, exc.key_path, exc.problem) == (str(path), key_path, problem)
    assert isinstance(exc.line, int) and exc.line >= 1
    assert str(exc) == f"{path}:{exc.line}: {key_path}: {problem}"
    assert "\n" not in str(exc)
    assert isinstance(exc, FixEngineError)


def test_line_number_points_at_the_key(write_config):
    text = (
        "environment: kalshi-demo\nhost: fix.demo.kalshi.co\nrest_base_url: https://x.demo.kalshi.co/v2\n"
        "tls:\n  enabled: true\nsessions:\n  NR:\n    api_key_id: nope\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(write_config(text=text))
    assert info.value.line == 8
    assert str(info.value).startswith(f"{info.value.file}:8: sessions.NR.api_key_id: must be an API key id")


def test_duplicate_key_is_an_error(write_config):
    text = "environment: kalshi-demo\nhost: a.demo.kalshi.co\nhost: b.demo.kalshi.co\n"
    with pytest.raises(ConfigError) as info:
        load_config(write_config(text=text))
    assert info.value.line == 3
    assert info.value.problem == "invalid YAML: duplicate key 'host' (first at line 2)"


def test_yaml_syntax_error_names_the_line(write_config):
    path = write_config(text="environment: kalshi-demo\nsessions:\n  NR: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.file == str(path)
    assert info.value.problem.startswith("invalid YAML: ")
    assert info.value.line == 4


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: file not found"


def test_top_level_must_be_a_mapping(write_config):
    path = write_config(text="- a\n- b\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: the top level must be a mapping of settings"


def test_pasted_key_material_is_never_echoed(write_config):
    secret = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n"
    path = write_config({"sessions.NR.private_key_env": DELETE, "sessions.NR.private_key": secret})
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert info.value.key_path == "sessions.NR.private_key"
    assert "must be a path to the PEM file, not the key itself (value not shown)" in message
    assert "MIIE" not in message and "BEGIN" not in message


def test_shared_keys_can_be_allowed_explicitly(write_config):
    cfg = load_config(write_config({"sessions.DC.api_key_id": NR_KEY, "allow_shared_api_keys": True}))
    assert cfg.session("DC").api_key_id == cfg.session("NR").api_key_id

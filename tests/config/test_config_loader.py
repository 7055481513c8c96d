"""Valid configs load into the expected typed values."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixengine.config import (
    AUTO_PORT,
    ConfigError,
    Environment,
    RateTier,
    SessionKind,
    TlsConfig,
    load_config,
)
from fixengine.config.types import RateLimitConfig, ReconnectConfig

from config_helpers import DC_KEY, MD_KEY, NR_KEY, RT_KEY

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["local-sim", "kalshi-demo", "kalshi-prod"])
def test_shipped_configs_load(name):
    cfg = load_config(REPO / "config" / f"{name}.yaml")
    assert cfg.environment is Environment(name)
    assert SessionKind.NR in cfg.sessions
    nr = cfg.session("NR")
    assert nr.target_comp_id == "KalshiNR"
    assert nr.reset_on_logon is True
    assert (21005, "Y") in nr.logon.tags()


def test_shipped_remote_configs_use_the_fact_sheet_endpoints():
    demo = load_config(REPO / "config" / "kalshi-demo.yaml")
    prod = load_config(REPO / "config" / "kalshi-prod.yaml")
    assert (demo.host, demo.market_data_host) == ("fix.demo.kalshi.co", "marketdata.fix.demo.kalshi.co")
    assert demo.rest_base_url == "https://external-api.demo.kalshi.co/trade-api/v2"
    assert (prod.host, prod.market_data_host) == ("mm.fix.elections.kalshi.com", "marketdata.fix.elections.kalshi.com")
    assert prod.rest_base_url == "https://external-api.kalshi.com/trade-api/v2"
    for cfg in (demo, prod):
        assert cfg.tls.enabled and cfg.tls.verify_server and cfg.tls.min_version == "1.2"
        assert cfg.session("NR").port == 8228 and cfg.session("DC").port == 8229
        assert all(s.private_key_env for s in cfg.sessions.values())  # keys only via env vars


def test_local_sim_is_plain_loopback_with_auto_endpoints():
    cfg = load_config(REPO / "config" / "local-sim.yaml")
    assert cfg.tls.enabled is False
    assert cfg.rest_base_url is None
    assert all(s.port == AUTO_PORT and s.port_is_auto for s in cfg.sessions.values())
    resolved = cfg.with_endpoints(ports={"NR": 40001, SessionKind.DC: 40002}, rest_base_url="http://127.0.0.1:40003/trade-api/v2")
    assert resolved.session("NR").port == 40001 and resolved.session("DC").port == 40002
    assert resolved.rest_base_url == "http://127.0.0.1:40003/trade-api/v2"
    assert cfg.session("NR").port == AUTO_PORT  # the original is unchanged (frozen)
    with_tls = cfg.with_endpoints(tls=TlsConfig(enabled=True, ca_file=Path("/tmp/sim.crt")))
    assert with_tls.tls.enabled and with_tls.tls.ca_file == Path("/tmp/sim.crt")


def test_with_endpoints_rejects_bad_ports_and_unknown_sessions():
    cfg = load_config(REPO / "config" / "local-sim.yaml")
    with pytest.raises(ConfigError, match=r"sessions\.NR\.port: assigned port 70000 is invalid"):
        cfg.with_endpoints(ports={"NR": 70000})
    with pytest.raises(ConfigError, match=r"sessions\.MD: session is not configured"):
        cfg.with_endpoints(ports={"MD": 40000})


def test_defaults_by_session_kind(write_config):
    cfg = load_config(
        write_config(
            {
                "sessions.RT": {"api_key_id": RT_KEY, "private_key_env": "RT_KEY", "reset_on_logon": False},
                "sessions.MD": {"api_key_id": MD_KEY, "private_key_env": "MD_KEY"},
            }
        )
    )
    nr, dc, rt, md = (cfg.session(k) for k in ("NR", "DC", "RT", "MD"))
    assert [s.port for s in (nr, dc, rt, md)] == [8228, 8229, 8230, 8233]
    assert [s.target_comp_id for s in (nr, dc, rt, md)] == ["KalshiNR", "KalshiDC", "KalshiRT", "KalshiMD"]
    assert md.host == "marketdata.fix.demo.kalshi.co" and nr.host == "fix.demo.kalshi.co"
    assert dc.heartbeat_s == 30 and dc.reset_on_logon is True
    assert rt.reset_on_logon is False
    assert dc.logon.tags() == ((21005, "Y"),)  # use_dollars defaults on, nothing else sent


def test_rt_reset_defaults_to_continuity(write_config):
    cfg = load_config(write_config({"sessions.RT": {"api_key_id": RT_KEY, "private_key_env": "RT_KEY"}}))
    assert cfg.session("RT").reset_on_logon is False


def test_logon_tags_for_a_full_rt_listener(write_config):
    rt = {
        "api_key_id": RT_KEY,
        "private_key_env": "RT_KEY",
        "logon": {
            "use_dollars": True,
            "listener": True,
            "skip_pending_exec_reports": True,
            "use_expired_ord_status": False,
            "enable_ioc_cancel_report": True,
            "preserve_original_order_qty": True,
            "always_emit_new_before_trade": True,
            "split_collateral_return": True,
            "receive_settlement_reports": True,
            "message_retention_hours": 72,
        },
    }
    cfg = load_config(write_config({"sessions.RT": rt}))
    assert cfg.session("RT").logon.tags() == (
        (20126, "Y"),
        (20127, "Y"),
        (20200, "72"),
        (21005, "Y"),
        (21007, "Y"),
        (21008, "Y"),
        (21011, "Y"),
        (21012, "N"),
        (21026, "Y"),
        (21027, "Y"),
    )


def test_risk_limits_are_exact_integers(write_config):
    text = write_config().read_text().replace("'250.00'", "1234.567891").replace("'0.10'", "0.0950")
    cfg = load_config(write_config(text=text))
    risk = cfg.risk
    assert risk.max_order_qty == 10_000  # 100 contracts in 0.01 units
    assert risk.max_order_notional == 1_234_567_891  # unquoted decimal parsed exactly, $0.000001 units
    assert risk.max_position_per_market == 50_000
    assert risk.max_position_total == 200_000
    assert risk.max_open_orders == 50
    assert risk.price_collar == 950  # $0.0950 in $0.0001 units
    assert risk.daily_loss_limit == 500_000_000


def test_relative_paths_resolve_against_the_config_directory(write_config, tmp_path):
    cfg = load_config(write_config())
    assert cfg.storage.store_dir == tmp_path / "var" / "store"
    assert cfg.storage.journal_dir == tmp_path / "var" / "journal"
    assert cfg.session("DC").private_key == tmp_path / "keys" / "dc.pem"


def test_private_key_status_never_needs_the_key_contents(write_config, tmp_path, monkeypatch):
    cfg = load_config(write_config())
    nr, dc = cfg.session("NR"), cfg.session("DC")
    monkeypatch.delenv("TEST_NR_KEY_FILE", raising=False)
    assert nr.private_key_status() == (False, "env TEST_NR_KEY_FILE is not set")
    assert dc.private_key_status() == (False, f"{tmp_path / 'keys' / 'dc.pem'} does not exist")
    key = tmp_path / "nr.pem"
    key.write_text("not read by config code")
    monkeypatch.setenv("TEST_NR_KEY_FILE", str(key))
    assert nr.private_key_path() == key
    assert nr.private_key_status() == (True, str(key))


@pytest.mark.parametrize(
    "tier, write, capacity",
    [("Basic", 100, 100), ("Advanced", 300, 600), ("Premier", 1_000, 2_000), ("Prestige", 8_000, 16_000)],
)
def test_rate_tiers(write_config, tier, write, capacity):
    cfg = load_config(write_config({"rate_limit.tier": tier}))
    assert cfg.rate_limit.tier is RateTier(tier)
    assert cfg.rate_limit.write_tokens_per_s == write
    assert cfg.rate_limit.write_capacity == capacity
    assert cfg.rate_limit.write_cost == 10


def test_rate_limit_read_budget():
    assert RateLimitConfig(RateTier.PRESTIGE).read_tokens_per_s == 10_000
    assert RateLimitConfig(RateTier.BASIC).read_tokens_per_s == 200


def test_reconnect_backoff_doubles_and_caps():
    backoff = ReconnectConfig(initial_delay_s=0.5, max_delay_s=5, multiplier=2)
    assert [backoff.delay_s(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 5, 5]


def test_loopback_hosts_may_use_plain_tcp(write_config):
    for host in ("127.0.0.1", "127.5.6.7", "localhost", "::1"):
        cfg = load_config(
            write_config(
                {
                    "environment": "local-sim",
                    "host": host,
                    "market_data_host": host,
                    "rest_base_url": "http://127.0.0.1:8080/trade-api/v2",
                    "tls.enabled": False,
                }
            )
        )
        assert cfg.host == host and not cfg.tls.enabled


def test_config_is_frozen(write_config):
    cfg = load_config(write_config())
    with pytest.raises(AttributeError):
        cfg.host = "elsewhere"  # type: ignore[misc]
    with pytest.raises(TypeError):
        cfg.sessions[SessionKind.RT] = cfg.session("NR")  # type: ignore[index]


def test_keys_ids_are_kept_exactly(write_config):
    cfg = load_config(write_config())
    assert cfg.session("NR").api_key_id == NR_KEY and cfg.session("DC").api_key_id == DC_KEY


@pytest.mark.parametrize("name", ["kalshi-demo", "kalshi-prod"])
def test_commented_session_examples_are_valid(name, tmp_path):
    """The RT/PT/RFQ/MD blocks shipped as comments load once uncommented (the docs stay honest)."""
    lines, uuids = [], iter(f"00000000-0000-4000-8000-0000000000a{i}" for i in range(10))
    for line in (REPO / "config" / f"{name}.yaml").read_text().splitlines():
        if line.startswith("  # ") and not line.startswith("  # Further"):
            line = "  " + line[4:]
        lines.append(line.replace("<uuid>", next(uuids)) if "<uuid>" in line else line)
    path = tmp_path / f"{name}.yaml"
    path.write_text("\n".join(lines))
    cfg = load_config(path)
    assert [k.value for k in cfg.sessions] == ["NR", "DC", "RT", "PT", "RFQ", "MD"]
    assert [s.port for s in cfg.sessions.values()] == [8228, 8229, 8230, 8231, 8232, 8233]
    assert cfg.session("RT").logon.listener and not cfg.session("RT").reset_on_logon
    assert cfg.session("MD").host == cfg.market_data_host != cfg.host


def test_with_endpoints_rejects_a_non_http_rest_url():
    cfg = load_config(REPO / "config" / "local-sim.yaml")
    with pytest.raises(ConfigError, match=r"rest_base_url: assigned URL 'ftp://x' is not http\(s\)"):
        cfg.with_endpoints(rest_base_url="ftp://x")

"""A remote (Kalshi demo) target built from a client config: keys by alias, TLS, skipped capabilities."""

import io
from pathlib import Path

import pytest

from fixengine.auth import generate_private_key, private_key_pem
from fixengine.cert.runner import SKIP
from fixengine.cert.suite import DEFAULT_SCENARIO_DIR, discover, run_suite
from fixengine.cert.target import target_from_client_config
from fixengine.cli import main
from fixengine.config import load_config

DEMO = Path(__file__).resolve().parents[2] / "config" / "kalshi-demo.yaml"


@pytest.fixture
def demo_config(tmp_path, monkeypatch):
    key_file = tmp_path / "k.pem"
    key_file.write_bytes(private_key_pem(generate_private_key()))
    monkeypatch.setenv("KALSHI_DEMO_NR_KEY_FILE", str(key_file))
    monkeypatch.setenv("KALSHI_DEMO_DC_KEY_FILE", str(key_file))
    return load_config(DEMO)


def test_demo_target_takes_hosts_ports_and_keys_from_the_client_config(demo_config):
    target = target_from_client_config(demo_config, {"main": "KXDEMO-1"})
    assert target.name == "kalshi-demo" and target.host == "fix.demo.kalshi.co"
    assert target.ports["NR"] == 8228 and target.target_comp_ids["NR"] == "KalshiNR"
    assert target.keys["trader"].key_id == demo_config.session("NR").api_key_id
    assert {"trader", "nr", "dc"} <= set(target.keys)
    assert target.tls is not None and target.server_hostname == "fix.demo.kalshi.co"
    assert not target.has("admin") and target.has("kind:NR") and not target.has("key:maker")


def test_scenarios_needing_the_simulator_or_extra_keys_are_skipped_without_connecting(demo_config):
    target = target_from_client_config(demo_config, {"main": "KXDEMO-1"})
    chosen = discover(DEFAULT_SCENARIO_DIR, ["logon-not-entitled", "order-fok", "order-rate-limit",
                                             "order-off-grid-price", "rt-server-resend"])
    run = run_suite(chosen, target, out=io.StringIO())
    assert [r.verdict for r in run.results] == [SKIP] * 5
    reasons = {r.name: r.message for r in run.results}
    assert "ticker:subpenny" in reasons["order-off-grid-price"] and "kind:RT" in reasons["rt-server-resend"]
    assert all(not r.transcript.entries for r in run.results)
    assert run.exit_code == 0


def test_a_remote_run_without_a_main_ticker_cannot_start(demo_config, capsys):
    assert main(["cert", "run", "--config", str(DEMO), "--scenario", "logon-good"]) == 2
    assert "--ticker main=" in capsys.readouterr().err

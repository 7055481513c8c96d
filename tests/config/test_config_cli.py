"""`fixengine config check` / `show`: output and exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fixengine.cli import main

from config_helpers import DC_KEY, NR_KEY

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["local-sim", "kalshi-demo", "kalshi-prod"])
def test_shipped_configs_pass_check(name, capsys):
    assert main(["config", "check", str(REPO / "config" / f"{name}.yaml")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("config OK: ")
    assert f"environment: {name}" in out
    assert "NR " in out and "KalshiNR" in out
    assert "key file readable: " in out


def test_check_summary_lists_sessions_ports_keys_and_key_files(write_config, tmp_path, capsys, monkeypatch):
    key = tmp_path / "nr.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\nSECRETSECRET\n-----END PRIVATE KEY-----\n")
    monkeypatch.setenv("TEST_NR_KEY_FILE", str(key))
    assert main(["config", "check", str(write_config())]) == 0
    out = capsys.readouterr().out
    assert "host:        fix.demo.kalshi.co (TLS >= 1.2, server verified against system CAs)" in out
    assert f"fix.demo.kalshi.co:8228 -> KalshiNR   key {NR_KEY}" in out
    assert f"fix.demo.kalshi.co:8229 -> KalshiDC   key {DC_KEY}" in out
    assert f"key file readable: yes ({key})" in out
    assert f"key file readable: no ({tmp_path / 'keys' / 'dc.pem'} does not exist)" in out
    assert "write 1000 tokens/s, burst 2000" in out
    assert "SECRET" not in out


def test_check_error_is_one_line_and_exit_2(write_config, capsys):
    path = write_config({"sessions.NR.heartbeat": 2})
    assert main(["config", "check", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"fixengine: error: {path}:")
    assert lines[0].endswith("sessions.NR.heartbeat: must be more than 3 seconds (Kalshi HeartBtInt rule), got 2")


def test_require_keys_turns_a_missing_key_file_into_an_error(write_config, capsys, monkeypatch):
    monkeypatch.delenv("TEST_NR_KEY_FILE", raising=False)
    path = write_config()
    assert main(["config", "check", "--require-keys", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        f"fixengine: error: {path}: sessions.NR.private_key_env: "
        "private key file not readable: env TEST_NR_KEY_FILE is not set"
    )


def test_show_prints_resolved_settings_and_quickfix_text(write_config, capsys):
    assert main(["config", "show", str(write_config()), "--kinds", "NR"]) == 0
    out = capsys.readouterr().out
    assert "max order notional       $250.0000" in out
    assert "price collar             $0.1000" in out
    assert "max order qty            100.00 contracts" in out
    assert "[DEFAULT]\nConnectionType=initiator" in out
    assert out.count("[SESSION]") == 1
    assert f"SenderCompID={NR_KEY}" in out


def test_command_line_exit_code_without_traceback(write_config):
    path = write_config({"rate_limit.tier": "Gold"})
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-m", "fixengine", "config", "check", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().endswith("rate_limit.tier: must be one of Basic, Advanced, Expert, Premier, Paragon, Prime, Prestige, got 'Gold'")


def test_show_with_unknown_kind_fails_before_printing(write_config, capsys):
    assert main(["config", "show", str(write_config()), "--kinds", "NR,XX"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().endswith("sessions: unknown session kind 'XX'")

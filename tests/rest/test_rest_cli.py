"""`fixengine markets list|show` and `fixengine orderbook` against the simulator's REST face."""

from __future__ import annotations

from pathlib import Path

from fixengine.cli import main

from rest_world import BTC_LIVE, HIGH

REPO = Path(__file__).resolve().parents[2]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_markets_list_filters_and_formats(server, capsys):
    code, out, _ = run(capsys, "markets", "list", "--base-url", server.url,
                       "--series", "KXHIGHNY", "--status", "open")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["TICKER", "STATUS", "YES", "BID", "YES", "ASK", "LAST", "VOLUME",
                                "OPEN", "INT", "TICKS"]
    assert lines[2].split() == [HIGH, "active", "0.4200", "0.4300", "0.3200", "18432.25",
                                "7350.75", "linear_cent"]
    assert lines[-1] == "1 market(s)"


def test_markets_list_pages_through_everything(server, capsys):
    code, out, _ = run(capsys, "markets", "list", "--base-url", server.url, "--series", "KXTEST")
    assert code == 0 and out.splitlines()[-1] == "25 market(s)"


def test_markets_show_prints_grid(server, capsys):
    code, out, _ = run(capsys, "markets", "show", BTC_LIVE, "--base-url", server.url)
    assert code == 0
    assert "tapered_deci_cent (279 valid prices, 0.0010 to 0.9990)" in out
    assert "band           0.0000 - 0.1000 step 0.0010" in out
    assert "yes bid        0.0950 x 155.50" in out
    assert "yes ask        0.0990 x 0.37" in out


def test_orderbook_table_both_sides(server, capsys):
    code, out, _ = run(capsys, "orderbook", HIGH, "--base-url", server.url)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == HIGH
    assert lines[1].split() == ["YES", "BID", "SIZE", "|", "NO", "BID", "SIZE"]
    assert lines[3].split() == ["0.4200", "103.00", "|", "0.5700", "72612.49"]  # best first
    assert lines[5].split() == ["0.0100", "5000.00", "|", "0.0100", "800.00"]
    assert lines[-2] == "implied YES ask: 0.4300 x 72612.49"
    assert lines[-1] == "implied NO ask:  0.5800 x 103.00"


def test_orderbook_empty_and_depth(server, capsys):
    code, out, _ = run(capsys, "orderbook", "KXNOPE-1", "--base-url", server.url)
    assert code == 0 and "(empty book)" in out and "implied YES ask: none" in out
    code, out, _ = run(capsys, "orderbook", HIGH, "--depth", "1", "--base-url", server.url)
    assert code == 0 and "0.4100" not in out and "0.4200" in out


def test_config_file_supplies_base_url(server, capsys, tmp_path):
    text = (REPO / "config" / "local-sim.yaml").read_text()
    assert "rest_base_url: auto" in text
    config = tmp_path / "client.yaml"
    config.write_text(text.replace("rest_base_url: auto", f"rest_base_url: {server.url}")
                      .replace("../var/", str(tmp_path) + "/"))
    code, out, _ = run(capsys, "markets", "show", HIGH, "--config", str(config))
    assert code == 0 and out.startswith("ticker")


def test_auto_url_in_config_is_a_clear_error(capsys):
    code, out, err = run(capsys, "markets", "list", "--config", str(REPO / "config" / "local-sim.yaml"))
    assert code == 2 and out == ""
    assert "rest_base_url is 'auto'" in err and err.count("\n") == 1


def test_unknown_market_and_dead_server_are_one_line_errors(server, capsys):
    code, _, err = run(capsys, "markets", "show", "KXNOPE-1", "--base-url", server.url)
    assert code == 2 and "HTTP 404 not_found: market not found" in err
    code, _, err = run(capsys, "markets", "list", "--base-url", "ftp://example")
    assert code == 2 and "must start with http" in err


def test_client_from_engine_config_signs_with_session_key(server, rsa_key, tmp_path):
    from fixengine.auth import private_key_pem
    from fixengine.config import load_config
    from fixengine.rest import KalshiRestClient

    text = (REPO / "config" / "local-sim.yaml").read_text()
    (tmp_path / "sim-keys").mkdir()
    (tmp_path / "sim-keys" / "trader-nr.key.pem").write_bytes(private_key_pem(rsa_key))
    path = tmp_path / "client.yaml"
    path.write_text(text.replace("rest_base_url: auto", f"rest_base_url: {server.url}")
                    .replace("../var/", str(tmp_path) + "/"))
    config = load_config(path)
    with KalshiRestClient.from_config(config, session="NR") as c:
        assert c.session.signer.key_id == config.session("NR").api_key_id
        assert c.session.bucket.refill_per_s == 1000  # Premier read budget from the config
        assert c.balance().balance == 123_456_789

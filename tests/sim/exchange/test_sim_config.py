"""Simulator config: the shipped file loads, and mistakes name file + key."""

import json
from fractions import Fraction
from pathlib import Path

import pytest

from fixengine.config.types import RateTier, SessionKind
from fixengine.errors import FixEngineError
from fixengine.sim.config import SimConfigError, load_sim_config, sim_config_from_mapping
from fixengine.sim.exchange import Exchange

REPO = Path(__file__).resolve().parents[3]
KEY = "0f8fad5b-d9cb-469f-a165-70867728950e"


def minimal(**overrides):
    data = {
        "users": [{"user_id": "u1", "balance": "100.00",
                   "keys": [{"key_id": KEY, "public_key": "keys/u1.pem"}]}],
        "markets": [{"ticker": "M-1"}],
    }
    data.update(overrides)
    return data


def test_shipped_config_loads_and_builds_an_exchange():
    cfg = load_sim_config(REPO / "config" / "simulator.yaml")
    assert cfg.listen_host == "127.0.0.1" and cfg.ports[SessionKind.NR] == 0
    assert len(cfg.users) == 2 and all(2 <= len(u.keys) <= 4 for u in cfg.users)
    structures = {m.price_level_structure for m in cfg.markets}
    assert {"tapered_deci_cent", "deci_cent", "linear_cent"} <= structures
    assert any(m.fractional for m in cfg.markets) and any(m.shard == 2 for m in cfg.markets)
    assert cfg.server_comp_id(SessionKind.NR) == "KalshiNR"
    ex = Exchange.from_config(cfg)
    user = cfg.users[0]
    assert ex.balance(user.user_id).cash == user.balance
    assert ex.balance(user.user_id, 1).cash == 500_000_000
    assert ex.user_for_key(user.keys[0].key_id) == user.user_id


def test_defaults():
    cfg = sim_config_from_mapping(minimal(), "x.yaml", Path("/base"))
    assert cfg.comp_id_mode == "session" and cfg.connection_scope == "key"
    assert cfg.retention_hours == 24 and cfg.skew_tolerance_seconds == 30 and not cfg.tls.enabled
    user = cfg.users[0]
    assert user.tier is RateTier.PREMIER and user.fix_entitled and user.subaccounts == (0,)
    assert user.keys[0].public_key == Path("/base/keys/u1.pem") and user.keys[0].can_write
    market = cfg.markets[0]
    assert market.status == "open" and market.fee_multiplier == Fraction(1) and market.shard == 0
    assert market.grid.is_on_grid(100) and not market.grid.is_on_grid(150)


def test_missing_public_key_fails_clearly_at_start(tmp_path):
    cfg = sim_config_from_mapping(minimal(), "x.yaml", tmp_path)
    with pytest.raises(SimConfigError, match="does not exist"):
        cfg.users[0].keys[0].public_key_pem()
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "u1.pem").write_bytes(b"PEM")
    assert cfg.users[0].keys[0].public_key_pem() == b"PEM"


@pytest.mark.parametrize("override,key_path", [
    ({"ports": {"NR": 70000}}, "ports.NR"),
    ({"ports": {"XX": 1}}, "ports.XX"),
    ({"tls": {"mode": "on"}}, "tls.mode"),
    ({"server_comp_id": "other"}, "server_comp_id"),
    ({"retention_hours": 100}, "retention_hours"),
    ({"typo": 1}, "typo"),
    ({"users": [{"user_id": "u1", "balance": "abc"}]}, "users[0].balance"),
    ({"users": [{"user_id": "u1", "balance": "1", "tier": "Gold"}]}, "users[0].tier"),
    ({"users": [{"user_id": "u1", "balance": "1", "subaccounts": [64]}]}, "users[0].subaccounts"),
    ({"users": [{"user_id": "u1", "balance": "1", "keys": [{"key_id": "nope", "public_key": "k"}]}]},
     "users[0].keys[0].key_id"),
    ({"users": [{"user_id": "u1", "balance": "1", "keys": [{"key_id": KEY, "public_key": "k",
                                                                "subaccount": 3}]}]}, "users[0].keys[0].subaccount"),
    ({"users": [{"user_id": "u1", "balance": "1", "keys": [{"key_id": KEY, "public_key": "k",
                                                                "scopes": ["admin"]}]}]}, "users[0].keys[0].scopes"),
    ({"markets": [{"ticker": "M", "price_level_structure": "bogus"}]}, "markets[0].price_level_structure"),
    ({"markets": [{"ticker": "M", "price_ranges": [{"start": "0", "end": "0.5", "step": "0.01"}]}]},
     "markets[0].price_ranges"),
    ({"markets": [{"ticker": "M", "shard": 4}]}, "markets[0].shard"),
    ({"markets": [{"ticker": "M", "status": "live"}]}, "markets[0].status"),
    ({"markets": [{"ticker": "M", "fee_type": "cubic"}]}, "markets[0].fee_type"),
    ({"markets": [{"ticker": "M", "close_time": "tomorrow"}]}, "markets[0].close_time"),
    ({"markets": [{"ticker": "M", "status": "determined"}]}, "markets[0].result"),
    ({"markets": [{"ticker": "M"}, {"ticker": "M"}]}, "markets[1].ticker"),
])
def test_errors_name_file_and_key(override, key_path):
    with pytest.raises(SimConfigError) as info:
        sim_config_from_mapping(minimal(**override), "sim.yaml")
    assert info.value.key_path == key_path, str(info.value)
    assert str(info.value).startswith("sim.yaml")
    assert isinstance(info.value, FixEngineError)


def test_markets_from_json_file(tmp_path):
    (tmp_path / "m.json").write_text(json.dumps({"markets": [
        {"ticker": "J-1", "price_ranges": [{"start": "0.0000", "end": "1.0000", "step": "0.0010"}],
         "fractional_trading": True, "fee_type": "quadratic_with_maker_fees", "fee_multiplier": 0.5}]}))
    data = minimal()
    del data["markets"]
    data["markets_file"] = "m.json"
    cfg = sim_config_from_mapping(data, "x.yaml", tmp_path)
    market = cfg.markets[0]
    assert market.grid.is_on_grid(10) and market.fee_multiplier == Fraction(1, 2) and market.fractional


def test_yaml_file_errors_carry_line_numbers(tmp_path):
    path = tmp_path / "sim.yaml"
    path.write_text("users:\n  - user_id: u1\n    balance: '1'\n    keys: []\nmarkets:\n  - ticker: M\n    shard: 9\n")
    with pytest.raises(SimConfigError) as info:
        load_sim_config(path)
    assert info.value.key_path == "markets[0].shard" and str(path) in str(info.value)


def test_markets_from_yaml_file_and_subaccount_balances(tmp_path):
    (tmp_path / "m.yaml").write_text("markets:\n  - ticker: Y-1\n    price_level_structure: deci_cent\n"
                                     "    settlement_price: 0.3060\n    result: scalar\n    status: determined\n")
    data = minimal()
    del data["markets"]
    data["markets_file"] = "m.yaml"
    data["users"][0]["subaccounts"] = [{"number": 3, "balance": "25.50"}, 5]
    cfg = sim_config_from_mapping(data, "x.yaml", tmp_path)
    assert cfg.markets[0].settlement_price == 3060 and cfg.markets[0].status == "determined"
    user = cfg.users[0]
    assert user.subaccounts == (0, 3, 5) and user.subaccount_balances[3] == 25_500_000
    ex = Exchange.from_config(cfg)
    assert ex.balance("u1", 3).cash == 25_500_000 and ex.balance("u1", 5).cash == 0


def test_markets_and_markets_file_are_exclusive(tmp_path):
    with pytest.raises(SimConfigError, match="not both"):
        sim_config_from_mapping(minimal(markets_file="m.json"), "x.yaml", tmp_path)

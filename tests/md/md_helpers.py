"""Shared pieces of the KalshiMD tests (a module name of its own: `conftest` is ambiguous across test dirs)."""

from __future__ import annotations

from pathlib import Path

from kalshi_test_acceptor import sim_key

LINEAR = "KXMD-LINEAR"
OTHER = "KXMD-OTHER"
MAX_SYMBOLS = 3
KEY_NAMES = ("md", "md2", "maker")


def sim_mapping(ring) -> dict:
    def key(name):
        return sim_key(ring, name)

    return {
        "listen_host": "127.0.0.1",
        "ports": {"NR": 0, "MD": 0},
        "tls": {"mode": "off"},
        "users": [
            {"user_id": "md-user", "balance": "10000.00", "tier": "Premier", "keys": [key("md"), key("md2")]},
            {"user_id": "maker-user", "balance": "50000.00", "tier": "Prime", "keys": [key("maker")]},
        ],
        "markets": [
            {"ticker": LINEAR, "status": "open", "price_level_structure": "linear_cent"},
            {"ticker": OTHER, "status": "open", "price_level_structure": "linear_cent"},
        ],
    }


def md_config(tmp: Path, ring, name: str, port: int):
    from kalshi_test_acceptor import write_client_config

    from fixengine.config import load_config

    key_id, priv, _ = ring[name]
    tmp.mkdir(parents=True, exist_ok=True)
    path = write_client_config(tmp, {"MD": (key_id, priv, {"use_dollars": True}, None)}, store="memory")
    return load_config(path).with_endpoints(ports={"MD": port})

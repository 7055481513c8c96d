"""Client configs for engine tests (written to tmp dirs; keys generated at test time)."""

from __future__ import annotations

import time
from pathlib import Path

from kalshi_test_acceptor import sim_key, write_client_config

LINEAR = "KXENG-LINEAR"
SUBPENNY = "KXENG-SUBPENNY"
KEY_NAMES = ("trader", "maker", "rt", "trader_b", "poll", "tls", "basic", "basic2")


def sim_mapping(keyring, tls: str = "off") -> dict:
    def key(name):
        return sim_key(keyring, name)

    return {
        "listen_host": "127.0.0.1",
        "ports": {"NR": 0, "RT": 0},
        "tls": {"mode": tls},
        "users": [
            {"user_id": "trader-user", "balance": "10000.00", "tier": "Premier", "subaccounts": [1, 2],
             "keys": [key("trader"), key("rt"), key("trader_b"), key("poll"), key("tls")]},
            {"user_id": "maker-user", "balance": "50000.00", "tier": "Prime", "keys": [key("maker")]},
            {"user_id": "basic-user", "balance": "1000.00", "tier": "Basic", "keys": [key("basic"), key("basic2")]},
        ],
        "markets": [
            {"ticker": LINEAR, "status": "open", "price_level_structure": "linear_cent"},
            {"ticker": SUBPENNY, "status": "open", "price_level_structure": "tapered_deci_cent",
             "fractional_trading": True},
        ],
    }


DEFAULT_LOGON = {
    "use_dollars": True,
    "skip_pending_exec_reports": True,
    "use_expired_ord_status": True,
    "enable_ioc_cancel_report": True,
}


def engine_config(tmp: Path, keyring, name: str, kind: str = "NR", logon: dict | None = None,
                  reset: bool | None = None, **kw) -> Path:
    key_id, priv, _ = keyring[name]
    tmp.mkdir(parents=True, exist_ok=True)
    return write_client_config(tmp, {kind: (key_id, priv, dict(logon or DEFAULT_LOGON), reset)}, **kw)


current_sim = None  # the running session simulator (set by conftest), for failure messages


def wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()

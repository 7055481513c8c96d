"""Client configs (YAML in tmp dirs) pointing at the test simulator's ports."""

from __future__ import annotations

from pathlib import Path

from fixengine.config import load_config
from kalshi_test_acceptor import write_client_config


def client_config(tmp: Path, sim, keyring, kind: str, name: str, logon: dict | None = None):
    key_id, _, _, priv = keyring[name]
    tmp.mkdir(parents=True, exist_ok=True)
    path = write_client_config(tmp, {kind: (key_id, priv, dict(logon or {"use_dollars": True}), None)})
    path.write_text(path.read_text().replace("port: auto", f"port: {sim.ports[kind]}"))
    return path, load_config(path)

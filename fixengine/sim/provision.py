"""Throw-away key pairs for a simulator config (demo, dry runs, certification rehearsals).

The simulator config names each API key's *public* key file; the matching private key is
written beside it as ``<name>.key.pem`` (mode 0600), which is where config/local-sim*.yaml
look for it. Keys are generated fresh: nothing secret is ever committed.
"""

from __future__ import annotations

from pathlib import Path

from fixengine.auth import write_key_pair
from fixengine.sim.config import SimConfig


def private_key_path(public_key: Path) -> Path:
    """`trader-nr.pub.pem` -> `trader-nr.key.pem` (same folder)."""
    name = public_key.name
    stem = name[: -len(".pub.pem")] if name.endswith(".pub.pem") else public_key.stem
    return public_key.with_name(f"{stem}.key.pem")


def provision_keys(config: SimConfig) -> dict[str, Path]:
    """Generate a key pair for every API key in the config; returns key id -> private key path."""
    written: dict[str, Path] = {}
    for user in config.users:
        for api_key in user.keys:
            public = Path(api_key.public_key)
            public.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            private = private_key_path(public)
            private.unlink(missing_ok=True)  # throw-away keys: each run gets fresh ones
            public.unlink(missing_ok=True)
            write_key_pair(private, public)
            written[api_key.key_id] = private
    return written

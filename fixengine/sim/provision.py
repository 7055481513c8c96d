"""Throw-away key pairs for a simulator config (demo, dry runs, certification rehearsals).

The simulator config names each API key's *public* key file; the matching private key is
written beside it as ``<name>.key.pem`` (mode 0600), which is where config/local-sim*.yaml
look for it. Keys are generated fresh: nothing secret is ever committed.
"""

from __future__ import annotations

import os
from pathlib import Path

from fixengine.auth import generate_private_key, private_key_pem, public_key_pem
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
            key = generate_private_key()
            public = Path(api_key.public_key)
            public.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            private = private_key_path(public)
            if private.exists():
                private.unlink()
            fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(private_key_pem(key))
            public.write_text(public_key_pem(key))
            written[api_key.key_id] = private
    return written

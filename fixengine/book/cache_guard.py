"""Keep numba's on-disk kernel cache in step with the kernels' *dependencies*.

numba keys a cached kernel on the file that defines it, not on the constants it
imported (layout.py) or the kernels it calls from another file: after editing
layout.py, a stale cache would run old row numbers against new arrays. So the
kernel modules call `drop_stale_cache()` on import: it hashes the three source
files and deletes this package's cached kernels when the hash changed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_SOURCES = ("layout.py", "kernels_depth.py", "kernels_orders.py")
_STAMP = "book-kernels.sha256"


def sources_digest() -> str:
    digest = hashlib.sha256()
    for name in _SOURCES:
        digest.update((_PACKAGE / name).read_bytes())
    return digest.hexdigest()


def drop_stale_cache(cache_dir: Path = _PACKAGE / "__pycache__") -> bool:
    """Delete cached kernels built from other sources; True when something was dropped."""
    digest = sources_digest()
    stamp = cache_dir / _STAMP
    try:
        if stamp.read_text() == digest:
            return False
    except OSError:
        pass  # no stamp yet: treat the cache as stale
    dropped = False
    for cached in cache_dir.glob("kernels_*.nb[ic]"):
        try:
            cached.unlink()
            dropped = True
        except OSError:
            pass  # another process removed it first
    try:
        cache_dir.mkdir(exist_ok=True)
        stamp.write_text(digest)
    except OSError:
        pass  # read-only install: numba then caches elsewhere (NUMBA_CACHE_DIR)
    return dropped

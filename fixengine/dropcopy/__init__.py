"""Drop copy for Kalshi: KalshiDC range replay (U1/U2/U3) and listener sessions (20126=Y)."""

from fixengine.dropcopy.client import (
    DropCopyClient,
    DropCopyError,
    DropCopyRejected,
    ListenerClient,
    Replay,
    listener_config,
)

__all__ = ["DropCopyClient", "DropCopyError", "DropCopyRejected", "ListenerClient", "Replay", "listener_config"]

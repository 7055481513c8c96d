"""Hand events to a queue and to user callbacks, the one way every client object does it.

Callbacks are user code running on QuickFIX's thread (or the poller's): one that raises is logged
and counted, never allowed to stop the message processing that called it - an uncaught exception
in a QuickFIX callback would kill the process (quickfix-notes).
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


def fan_out(items: Iterable[T], sink: queue.SimpleQueue[T] | None, callbacks: list[Callable[[T], None]],
            log: logging.Logger, what: str) -> int:
    """Put each item on `sink` (if any), then call every callback with it; returns how many
    callbacks raised (each logged on the caller's `log` as "<what> callback failed on <item>")."""
    errors = 0
    for item in items:
        if sink is not None:
            sink.put(item)
        for callback in callbacks:
            try:
                callback(item)
            except Exception:  # noqa: BLE001 - a user callback's bug must not stop message handling
                errors += 1
                log.exception("%s callback failed on %r", what, item)
    return errors

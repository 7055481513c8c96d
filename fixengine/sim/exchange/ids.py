"""Identifiers the exchange hands out: ExecIDs, OrderIDs, TrdMatchIDs, operation ids.

ExecID (part1 §4.8, part2 §3.5): ``clock;event`` on shard 0 and ``clock;event;shard``
on other shards, monotonically increasing per shard when compared numerically
component by component. Here ``clock`` is a per-shard logical clock that ticks once
per exchange operation touching that shard, and ``event`` is a per-shard event
counter that never resets, so both components only grow.

OrderIDs and trade ids are UUID-shaped strings from a seeded generator, so a run is
reproducible given the config seed and the clock.
"""

from __future__ import annotations

import random

from fixengine.model import PENDING_EXEC_ID


def format_exec_id(clock: int, event: int, shard: int) -> str:
    return f"{clock};{event}" if shard == 0 else f"{clock};{event};{shard}"


def parse_exec_id(text: str) -> tuple[int, int, int]:
    """(clock, event, shard) of an ExecID; ValueError for pending / malformed ids."""
    if text == PENDING_EXEC_ID:
        raise ValueError("the pending ExecID -1;-1 names no event")
    parts = text.split(";")
    if len(parts) not in (2, 3) or not all(p.isdigit() and p.isascii() for p in parts):
        raise ValueError(f"not an ExecID (clock;event[;shard]): {text[:40]!r}")
    clock, event = int(parts[0]), int(parts[1])
    shard = int(parts[2]) if len(parts) == 3 else 0
    if len(parts) == 3 and shard == 0:
        raise ValueError(f"shard 0 ExecIDs have two parts: {text[:40]!r}")
    return clock, event, shard


def exec_id_key(text: str) -> tuple[int, int, int]:
    """Sort key (shard, clock, event): order ExecIDs of one shard numerically."""
    clock, event, shard = parse_exec_id(text)
    return shard, clock, event


class ExecIdSequencer:
    """Per-shard logical clock + event counter.

    `clock_base` is where the logical clock starts. The exchange derives it from its clock at
    start (Unix microseconds), so a restarted simulator keeps issuing ExecIDs above the previous
    run's: a client that journals ExecIDs for de-duplication never mistakes a new report
    for one it has already seen.
    """

    def __init__(self, shards: int = 4, clock_base: int = 0) -> None:
        self._clock = [clock_base] * shards
        self._event = [0] * shards
        self._last_op = [-1] * shards
        self._op = 0

    def begin_operation(self) -> None:
        """Start a new exchange operation: the next event on each shard ticks its clock."""
        self._op += 1

    def next(self, shard: int) -> str:
        if self._last_op[shard] != self._op:
            self._last_op[shard] = self._op
            self._clock[shard] += 1
        self._event[shard] += 1
        return format_exec_id(self._clock[shard], self._event[shard], shard)

    def last(self, shard: int) -> str | None:
        """The latest ExecID issued on `shard`, or None if none yet."""
        if self._event[shard] == 0:
            return None
        return format_exec_id(self._clock[shard], self._event[shard], shard)


class IdGenerator:
    """Reproducible UUID-shaped ids (version 4 layout) from a seed."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(seed)

    def uuid(self) -> str:
        """Same text as str(uuid.UUID(int=bits, version=4)), without building a UUID object."""
        bits = self._rng.getrandbits(128)
        bits = (bits & _CLEAR_VERSION_VARIANT) | _VERSION_4_VARIANT
        h = f"{bits:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_CLEAR_VERSION_VARIANT = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_VERSION_4_VARIANT = (0x4000 << 64) | (0x8000 << 48)

"""Every predefined QuickFIX session of the simulator and what we know about it.

One entry per (session kind, API key). The gate leaves a *ticket* (the validated Logon flags)
before it forwards a Logon; the application only lets a Logon through QuickFIX when the ticket
is there, so nobody can bypass the gate by connecting to the internal port directly.
Flags survive a disconnect: an offline RT session keeps receiving reports into its store
written the way its last Logon asked for.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

import quickfix as fix

from fixengine.config.types import SessionKind
from fixengine.sim.gateway.logon import LogonFlags


@dataclass(slots=True, eq=False)
class SessionEntry:
    name: str  # "<TargetCompID>:<key>", the session_id given to the exchange
    kind: SessionKind
    key_id: str
    user_id: str
    can_write: bool
    sid: fix.SessionID
    session: fix.Session | None = None
    flags: LogonFlags | None = None
    ticket: tuple[LogonFlags, int] | None = None
    conn_id: int = 0  # gate connection of the current / last logon
    logged_on: bool = False
    sent: deque = field(default_factory=deque)  # (MsgSeqNum, time sent) for RT/PT retention
    pruned_upto: int = 0  # highest MsgSeqNum already outside the retention window

    @property
    def listener(self) -> bool:
        return bool(self.flags and self.flags.listener)


class SessionRegistry:
    def __init__(self) -> None:
        self._by_pair: dict[tuple[str, str], SessionEntry] = {}
        self._by_name: dict[str, SessionEntry] = {}
        self._by_user: dict[str, list[SessionEntry]] = {}
        self._lock = threading.Lock()

    def add(self, entry: SessionEntry) -> None:
        self._by_pair[(entry.sid.getSenderCompID().getValue(), entry.key_id)] = entry
        self._by_name[entry.name] = entry
        self._by_user.setdefault(entry.user_id, []).append(entry)

    def for_sid(self, sid: fix.SessionID) -> SessionEntry | None:
        return self._by_pair.get((sid.getSenderCompID().getValue(), sid.getTargetCompID().getValue()))

    def by_name(self, name: str) -> SessionEntry | None:
        return self._by_name.get(name)

    def lookup(self, target: str, key_id: str) -> SessionEntry | None:
        return self._by_pair.get((target, key_id))

    def listeners_of(self, user_id: str) -> list[SessionEntry]:
        """Listener sessions of the user that can receive now (live) or later (RT store)."""
        return [e for e in self._by_user.get(user_id, ()) if e.listener and (e.logged_on or e.kind is SessionKind.RT)]

    def sessions_of(self, user_id: str) -> list[SessionEntry]:
        """Every session (any kind, online or not) of the user's API keys."""
        return list(self._by_user.get(user_id, ()))

    def entries(self) -> list[SessionEntry]:
        return list(self._by_name.values())

    # ---- logon lifecycle (gate thread / QuickFIX threads) -----------------------------
    def issue_ticket(self, target: str, flags: LogonFlags, conn_id: int) -> None:
        entry = self.lookup(target, flags.key_id)
        if entry is not None:
            with self._lock:
                entry.ticket = (flags, conn_id)

    def redeem_ticket(self, entry: SessionEntry) -> bool:
        with self._lock:
            ticket, entry.ticket = entry.ticket, None
            if ticket is None:
                return False
            entry.flags, entry.conn_id = ticket
            if entry.flags.reset:  # 141=Y empties QuickFIX's store: nothing old is retained any more
                entry.sent.clear()
                entry.pruned_upto = 0
            return True

    def note_sent(self, entry: SessionEntry, seq: int, now: datetime) -> None:
        entry.sent.append((seq, now))

    def outside_retention(self, entry: SessionEntry, begin_seq: int, now: datetime) -> bool:
        """True if message `begin_seq` has already left the retention window (20200 hours)."""
        limit = (entry.flags.retention_hours if entry.flags else 24) * 3600
        sent = entry.sent
        while sent and (now - sent[0][1]).total_seconds() > limit:
            entry.pruned_upto = max(entry.pruned_upto, sent.popleft()[0])
        return begin_seq <= entry.pruned_upto

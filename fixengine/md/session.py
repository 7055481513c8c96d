"""The KalshiMD initiator session: logon like every Kalshi session (141=Y is mandatory on MD),
inbound W/X/Y/f handed to a MarketDataClient, subscriptions restored after every (re)logon.

    md = MarketDataSession(cfg, client)      # cfg: EngineConfig with an MD session (market_data_host)
    md.start(); md.wait_logon()
    client.subscribe(["KXHIGHNY-26AUG25-B85.5"])
    ...
    md.stop()

The connection machinery (backoff, fatal logon refusals, poll mode, stop/release) is
`fixengine.session.FixConnection`'s; only the Application differs, because KalshiSessionApp
routes order-entry messages and ignores market data.

Sequence watch. KalshiMD has no retransmission: QuickFIX answers a gap with a ResendRequest, and
whatever comes back (a GapFill, PossDup copies) means updates were skipped. Every inbound message's
MsgSeqNum is checked against the last one; a jump, a PossDup message or a SequenceReset tells the
client that every subscribed book may be stale, and it re-requests snapshots.
"""

from __future__ import annotations

import logging
import random

import quickfix as fix

from fixengine.config.types import EngineConfig, SessionKind
from fixengine.md.client import MarketDataClient
from fixengine.session.app import KalshiSessionApp
from fixengine.session.connection import FixConnection

log = logging.getLogger(__name__)

MD = SessionKind.MD


class _Events:
    """The SessionHandler the base application reports lifecycle and rejects to."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str | None]] = []
        self.business_rejects: list = []
        self.session_rejects: list = []

    def on_session_event(self, kind, event: str, text: str | None) -> None:
        self.events.append((event, text))

    def on_exec_report(self, report, wire=None) -> None:  # never sent on KalshiMD
        log.warning("KalshiMD: unexpected ExecutionReport ignored")

    def on_cancel_reject(self, reject) -> None:
        log.warning("KalshiMD: unexpected OrderCancelReject ignored")

    def on_mass_cancel_report(self, report) -> None:
        log.warning("KalshiMD: unexpected OrderMassCancelReport ignored")

    def on_business_reject(self, reject) -> None:
        self.business_rejects.append(reject)
        log.warning("KalshiMD business reject: %s", reject)

    def on_session_reject(self, reject) -> None:
        self.session_rejects.append(reject)
        log.warning("KalshiMD session reject: %s", reject)

    def on_parse_error(self, kind, error: Exception, raw: str) -> None:
        log.warning("KalshiMD: unparsable message %s: %s", raw[:200], error)


class MarketDataApp(KalshiSessionApp):
    def __init__(self, states, handler: _Events, supervisor, client: MarketDataClient) -> None:
        super().__init__(states, handler, supervisor)
        self.client = client
        self.last_seq = 0

    def on_logon(self, session_id: fix.SessionID) -> None:
        self.last_seq = 1  # our Logon's answer was 34=1 (141=Y)
        super().on_logon(session_id)
        self.client.resubscribe_all()

    def from_admin(self, message: fix.Message, session_id: fix.SessionID) -> None:
        header = message.getHeader()
        if header.getField(35) == "4":
            self.client.session_break("SequenceReset received")
        self._watch(header)
        super().from_admin(message, session_id)

    def from_app(self, message: fix.Message, session_id: fix.SessionID) -> None:
        header = message.getHeader()
        self._watch(header)
        msg_type = header.getField(35)
        client = self.client
        if msg_type == "X":
            client.on_incremental(message.toString())
        elif msg_type == "W":
            client.on_snapshot(message.toString())
        elif msg_type == "f":
            client.on_security_status(message.toString())
        elif msg_type == "Y":
            client.on_reject(message.toString())
        else:
            super().from_app(message, session_id)

    def _watch(self, header: fix.Header) -> None:
        seq = int(header.getField(34))
        if header.isSetField(43) and header.getField(43) == "Y":
            self.client.session_break("PossDup message")
        elif self.last_seq and seq > self.last_seq + 1:
            self.client.session_break(f"MsgSeqNum jumped from {self.last_seq} to {seq}")
        self.last_seq = max(self.last_seq, seq)


class MarketDataSession(FixConnection):
    """A FixConnection with exactly one session, KalshiMD, feeding `client`."""

    def __init__(self, cfg: EngineConfig, client: MarketDataClient, *, poll_mode: bool = False,
                 rng: random.Random | None = None, dictionaries: tuple | None = None) -> None:
        self.events = _Events()
        self.client = client
        client.send = self.send_md
        super().__init__(cfg, self.events, [MD], poll_mode=poll_mode, rng=rng, dictionaries=dictionaries,
                         app_factory=lambda states, events, conn: MarketDataApp(states, events, conn, client))

    def send_md(self, message: fix.Message) -> bool:
        return self.send(MD, message)

    def wait_logon(self, kind: SessionKind = MD, timeout: float = 10.0) -> None:
        super().wait_logon(kind, timeout)

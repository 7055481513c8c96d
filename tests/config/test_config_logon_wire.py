"""What the generated initiator settings put on the wire in the Logon (plain TCP on 127.0.0.1).

Proves the settings, not just their text: ResetOnLogon=Y makes QuickFIX send 141=Y (NR),
RT continuity sends no 141, HeartBtInt/DefaultApplVerID/CompIDs come through, and SendingTime
carries milliseconds (TimestampPrecision=3), the format Kalshi signs and checks.
"""

from __future__ import annotations

import copy
import re
import socket
import threading

import pytest
import quickfix as fix
import yaml

from fixengine.config import AcceptorSession, acceptor_settings, build_initiator, load_config, stock_spec_paths
from fixengine.sim.gateway.acceptor import InternalAcceptor

from config_helpers import BASE, LOCAL_SIM, NR_KEY, RT_KEY, set_path

WAIT_S = 15.0


class LogonCatcher(fix.Application):
    """Keeps each received Logon as raw text; every callback guarded (exceptions kill the process)."""

    def __init__(self, expected: int) -> None:
        super().__init__()
        self.logons: dict[str, str] = {}
        self.logged_on: set[str] = set()
        self.expected = expected
        self.done = threading.Event()
        self.errors: list[str] = []

    def _guard(self, fn) -> None:
        try:
            fn()
        except BaseException as exc:  # noqa: BLE001 - must never reach QuickFIX
            self.errors.append(repr(exc))

    def _record_logon(self, message, session_id) -> None:
        if message.getHeader().getField(35) == "A":
            self.logons[session_id.getTargetCompID().getValue()] = message.toString().replace("\x01", "|")

    def _record_session(self, session_id) -> None:
        self.logged_on.add(session_id.getTargetCompID().getValue())
        if len(self.logged_on) >= self.expected:
            self.done.set()

    def onCreate(self, session_id):
        self._guard(lambda: None)

    def onLogon(self, session_id):
        self._guard(lambda: self._record_session(session_id))

    def onLogout(self, session_id):
        self._guard(lambda: None)

    def toAdmin(self, message, session_id):
        self._guard(lambda: None)

    def fromAdmin(self, message, session_id):
        self._guard(lambda: self._record_logon(message, session_id))

    def toApp(self, message, session_id):
        self._guard(lambda: None)

    def fromApp(self, message, session_id):
        self._guard(lambda: None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def logons(tmp_path_factory):
    """Run one acceptor + initiator pair once for the module (each dictionary parse costs ~1 s)."""
    port = free_port()
    server = LogonCatcher(expected=2)
    settings = acceptor_settings(
        [AcceptorSession(port, "KalshiNR", NR_KEY, "NR"), AcceptorSession(port, "KalshiRT", RT_KEY, "RT")],
        dictionaries=stock_spec_paths(),
    )
    # Driven by poll() on our own thread: QuickFIX 1.16's threaded Acceptor::stop() races its engine
    # thread (use-after-free, seen as segfaults); see fixengine/sim/gateway/acceptor.py.
    acceptor = InternalAcceptor(fix.SocketAcceptor(server, fix.MemoryStoreFactory(), settings), port, frozenset())
    acceptor.start()
    changes = {
        **LOCAL_SIM,
        "tls.enabled": False,
        "sessions.RT": {"api_key_id": RT_KEY, "private_key_env": "RT_KEY", "heartbeat": 12},
        "storage": {"message_store": "memory", "journal_dir": "j"},
    }
    data = copy.deepcopy(BASE)
    for dotted, value in changes.items():
        set_path(data, dotted, value)
    path = tmp_path_factory.mktemp("wire") / "client.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    cfg = load_config(path)
    cfg = cfg.with_endpoints(ports={"NR": port, "RT": port})
    client = LogonCatcher(expected=2)
    parts = build_initiator(cfg, client, ["NR", "RT"], dictionaries=stock_spec_paths())
    parts.initiator.start()
    try:
        assert server.done.wait(WAIT_S), f"logons seen: {sorted(server.logons)}"
        assert client.done.wait(WAIT_S)
    finally:
        parts.initiator.stop(True)
        acceptor.stop()
    assert server.errors == [] and client.errors == []
    return server.logons


def fields(raw: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in raw.strip("|").split("|"))


def test_nr_logon_resets_and_carries_kalshi_header_fields(logons):
    nr = fields(logons[NR_KEY])
    assert nr["8"] == "FIXT.1.1"
    assert (nr["49"], nr["56"], nr["34"]) == (NR_KEY, "KalshiNR", "1")
    assert (nr["98"], nr["108"], nr["1137"], nr["141"]) == ("0", "30", "9", "Y")
    assert re.fullmatch(r"\d{8}-\d\d:\d\d:\d\d\.\d{3}", nr["52"])


def test_rt_logon_keeps_continuity(logons):
    rt = fields(logons[RT_KEY])
    assert (rt["49"], rt["56"], rt["108"]) == (RT_KEY, "KalshiRT", "12")
    assert "141" not in rt

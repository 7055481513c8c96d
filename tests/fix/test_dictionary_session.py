"""End to end: real QuickFIX sessions with UseDataDictionary=Y on both sides accept Kalshi traffic.

An initiator (the client, SenderCompID = API key) logs on to an acceptor (KalshiNR) with every
Kalshi Logon flag and a signature in 96 without 95. Then every application example of the fact
sheets is sent through the sessions in its documented direction: client messages by the
initiator, server messages by the acceptor. Each side validates what it receives with the
generated dictionaries; a dictionary gap would show up as a session Reject (35=3) and a missing
delivery.
"""

from __future__ import annotations

import re
import socket
import threading
import time

import pytest
import quickfix as fix

from fixengine.fix import spec
from fixengine.fix.app import GuardedApplication
from test_fact_sheet_examples import EXAMPLES, SKIPPED, prepare  # same folder; pytest puts it on sys.path

pytestmark = pytest.mark.slow

KEY = "0f8fad5b-d9cb-469f-a165-70867728950e"
ADMIN = set("0A12345")
LOGON_FLAGS = {8013: "Y", 20127: "Y", 20200: "48", 21003: "Y", 21005: "Y", 21006: "N", 21007: "Y",
               21008: "Y", 21011: "Y", 21012: "Y", 21026: "Y", 21027: "Y", 21032: "N"}


class Recorder(GuardedApplication):
    def __init__(self, is_client: bool):
        super().__init__()
        self.is_client = is_client
        self.logged_on = threading.Event()
        self.received: list[str] = []
        self.admin_in: list[str] = []
        self.lock = threading.Lock()
        self.session_id = None

    def on_logon(self, session_id):
        self.session_id = session_id
        self.logged_on.set()

    def to_admin(self, message, session_id):
        if self.is_client and message.getHeader().getField(35) == "A":
            message.setField(96, "A" * 342 + "==")
            for tag, value in LOGON_FLAGS.items():
                message.setField(tag, value)

    def from_admin(self, message, session_id):
        with self.lock:
            self.admin_in.append(message.toString().replace(spec.SOH, "|"))

    def from_app(self, message, session_id):
        with self.lock:
            self.received.append(message.getHeader().getField(35))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings(tmp_path, role: str, port: int) -> fix.SessionSettings:
    sender, target = ("KalshiNR", KEY) if role == "acceptor" else (KEY, "KalshiNR")
    socket_line = (f"SocketAcceptPort={port}" if role == "acceptor"
                   else f"SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\nHeartBtInt=30\nReconnectInterval=1")
    text = f"""[DEFAULT]
ConnectionType={role}
StartTime=00:00:00
EndTime=00:00:00
UseDataDictionary=Y
TransportDataDictionary={spec.TRANSPORT_SPEC}
AppDataDictionary={spec.APP_SPEC}
DefaultApplVerID=FIX.5.0SP2
ResetOnLogon=Y
SocketNodelay=Y
{socket_line}
[SESSION]
BeginString=FIXT.1.1
SenderCompID={sender}
TargetCompID={target}
"""
    path = tmp_path / f"{role}.cfg"
    path.write_text(text)
    return fix.SessionSettings(str(path))


def app_examples() -> list[tuple[bool, str]]:
    """(sent by the client?, SOH message) for every application example."""
    out = []
    for _, message in EXAMPLES:
        msgtype = re.search(r"\|35=([^|]*)\|", message).group(1)
        if message in SKIPPED or msgtype in ADMIN:
            continue
        sender = re.search(r"\|49=([^|]*)\|", message).group(1)
        out.append((not sender.startswith("Kalshi"), prepare(message)))
    return out


def wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_kalshi_traffic_passes_real_sessions(tmp_path):
    port = free_port()
    server, client = Recorder(is_client=False), Recorder(is_client=True)
    acceptor = fix.SocketAcceptor(server, fix.MemoryStoreFactory(), settings(tmp_path, "acceptor", port))
    initiator = fix.SocketInitiator(client, fix.MemoryStoreFactory(), settings(tmp_path, "initiator", port))
    acceptor.start()
    initiator.start()
    try:
        assert client.logged_on.wait(20) and server.logged_on.wait(20)
        examples = app_examples()
        for from_client, raw in examples:
            message = fix.Message(raw, spec.transport_dictionary(), spec.app_dictionary(), False)
            session = client.session_id if from_client else server.session_id
            assert fix.Session.sendToTarget(message, session)
        to_server = [m.getHeader().getField(35) for c, m in
                     ((c, fix.Message(r, spec.transport_dictionary(), spec.app_dictionary(), False))
                      for c, r in examples) if c]
        to_client = len(examples) - len(to_server)
        assert wait_for(lambda: len(server.received) >= len(to_server) and len(client.received) >= to_client)
    finally:
        initiator.stop()
        acceptor.stop()
    assert sorted(server.received) == sorted(to_server)
    assert len(client.received) == to_client
    rejects = [m for m in server.admin_in + client.admin_in if "|35=3|" in m]
    assert rejects == []
    assert server.callback_errors == 0 and client.callback_errors == 0
    logon = next(m for m in server.admin_in if "|35=A|" in m)
    assert "|21005=Y|" in logon and "|96=" in logon and "|95=" not in logon

"""End to end: real QuickFIX sessions with UseDataDictionary=Y on both sides accept Kalshi traffic.

An initiator (the client, SenderCompID = API key) logs on to an acceptor (KalshiNR) with every
Kalshi Logon flag and a signature in 96 without 95. Then every application example of the fact
sheets is sent through the sessions in its documented direction: client messages by the
initiator, server messages by the acceptor. Each side validates what it receives with the
generated dictionaries; a dictionary gap would show up as a session Reject (35=3) and a missing
delivery. Both sides load the runtime application dictionary (spec.APP_SPEC), so a second test
proves a type Kalshi answers with 380=3 (35=H) still reaches the application, while a type the
runtime file trims (35=6 IOI) is refused by the session layer.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time

import pytest
import quickfix as fix

from fixengine.fix import spec
from fixengine.fix.app import GuardedApplication
from fixengine.sim.gateway.acceptor import InternalAcceptor
from test_fact_sheet_examples import EXAMPLES, SKIPPED, prepare  # same folder; pytest puts it on sys.path

pytestmark = pytest.mark.slow

KEY = "0f8fad5b-d9cb-469f-a165-70867728950e"
ADMIN = set("0A12345")
LOGON_FLAGS = {8013: "Y", 20127: "Y", 20200: "48", 21003: "Y", 21005: "Y", 21006: "N", 21007: "Y",
               21008: "Y", 21011: "Y", 21012: "Y", 21026: "Y", 21027: "Y", 21032: "N"}


class Recorder(GuardedApplication):
    def __init__(self, is_client: bool, unsupported: frozenset = frozenset()):
        super().__init__()
        self.is_client = is_client
        self.unsupported = unsupported  # answered with 35=j 380=3, as the simulator does
        self.logged_on = threading.Event()
        self.received: list[str] = []
        self.app_in: list[str] = []
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
        msgtype = message.getHeader().getField(35)
        with self.lock:
            self.received.append(msgtype)
            self.app_in.append(message.toString().replace(spec.SOH, "|"))
        if msgtype in self.unsupported:
            # Built by hand, not by raising fix.UnsupportedMessageType: QuickFIX 1.16's own
            # generateBusinessReject puts DefaultApplVerID (1137) in the 35=j body on FIXT
            # sessions, which a validating peer refuses with 35=3 373=0.
            reject = fix.Message()
            reject.getHeader().setField(35, "j")
            reject.setField(45, message.getHeader().getField(34))
            reject.setField(372, msgtype)
            reject.setField(380, "3")
            reject.setField(58, "Unsupported message type")
            fix.Session.sendToTarget(reject, session_id)


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


@contextlib.contextmanager
def logged_on_pair(tmp_path, server: Recorder, client: Recorder):
    port = free_port()
    # poll()-driven: QuickFIX 1.16's threaded Acceptor::stop() races its engine thread (segfaults).
    acceptor = InternalAcceptor(fix.SocketAcceptor(server, fix.MemoryStoreFactory(), settings(tmp_path, "acceptor", port)),
                                port, frozenset())
    initiator = fix.SocketInitiator(client, fix.MemoryStoreFactory(), settings(tmp_path, "initiator", port))
    acceptor.start()
    initiator.start()
    try:
        assert client.logged_on.wait(20) and server.logged_on.wait(20)
        yield
    finally:
        initiator.stop()
        acceptor.stop()


def test_kalshi_traffic_passes_real_sessions(tmp_path):
    server, client = Recorder(is_client=False), Recorder(is_client=True)
    with logged_on_pair(tmp_path, server, client):
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
    assert sorted(server.received) == sorted(to_server)
    assert len(client.received) == to_client
    rejects = [m for m in server.admin_in + client.admin_in if "|35=3|" in m]
    assert rejects == []
    assert server.callback_errors == 0 and client.callback_errors == 0
    logon = next(m for m in server.admin_in if "|35=A|" in m)
    assert "|21005=Y|" in logon and "|96=" in logon and "|95=" not in logon


def client_message(msgtype: str, body: str) -> fix.Message:
    raw = f"8=FIXT.1.1|9=0|35={msgtype}|49={KEY}|56=KalshiNR|34=2|52=20260820-14:31:10.001|{body}10=000|"
    raw = spec.recompute_length_and_checksum(raw.replace("|", spec.SOH))
    return fix.Message(raw, spec.transport_dictionary(), spec.full_app_dictionary(), False)


def test_runtime_dictionary_passes_unsupported_types_to_the_application(tmp_path):
    """35=H is in the runtime dictionary: it reaches fromApp, which answers 35=j 380=3 (and the
    client's session accepts that). 35=6 (IOI) is trimmed: the session refuses it, 35=3 373=11."""
    server = Recorder(is_client=False, unsupported=frozenset({"H"}))
    client = Recorder(is_client=True)
    with logged_on_pair(tmp_path, server, client):
        assert fix.Session.sendToTarget(client_message("H", "11=b4f1|55=KXHIGHNY-26AUG21-B85.5|54=1|"),
                                        client.session_id)
        assert fix.Session.sendToTarget(client_message("6", "23=i1|28=N|55=X|54=1|27=S|"), client.session_id)
        assert wait_for(lambda: client.received and any("|35=3|" in m for m in client.admin_in))
    assert server.received == ["H"]
    assert client.received == ["j"]
    assert "|380=3|" in client.app_in[0] and "|372=H|" in client.app_in[0]
    reject = next(m for m in client.admin_in if "|35=3|" in m)
    assert "|373=11|" in reject and "|372=6|" in reject
    assert not any("|35=3|" in m for m in server.admin_in)  # the client accepted the 35=j
    assert server.callback_errors == 0 and client.callback_errors == 0

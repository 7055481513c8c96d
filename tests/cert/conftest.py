"""A canned FIX counterparty for runner tests: a thread that answers each framed message via a script."""

from __future__ import annotations

import socket
import threading

import pytest

from fixengine.auth import generate_private_key
from fixengine.cert.target import KeyInfo, Target
from fixengine.cert.wire import FixMessage, Framer, encode

KEY_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"


class FakeServer:
    """`script(msg, server)` returns a list of (msg_type, [(tag, value), ...]) replies, or "close"."""

    def __init__(self, script) -> None:
        self.script = script
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        self.received: list[FixMessage] = []
        self.out_seq = 1
        self._stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def reply(self, msg_type: str, fields) -> bytes:
        raw = encode([(35, msg_type), (49, "KalshiNR"), (56, KEY_ID), (34, str(self.out_seq)),
                      (52, "20261125-16:00:00.000")] + list(fields))
        self.out_seq += 1
        return raw

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        framer = Framer()
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                for item in framer.feed(data):
                    if not isinstance(item, FixMessage):
                        continue
                    self.received.append(item)
                    answer = self.script(item, self)
                    if answer == "close":
                        conn.close()
                        return
                    for msg_type, fields in answer:
                        conn.sendall(self.reply(msg_type, fields))

    def close(self) -> None:
        self._stop = True
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() of the serving thread
        except OSError:
            pass
        self.listener.close()


@pytest.fixture(scope="session")
def trader_key():
    return generate_private_key()


@pytest.fixture
def fake(trader_key):
    servers = []

    def make(script):
        server = FakeServer(script)
        servers.append(server)
        target = Target(name="fake", host="127.0.0.1", ports={"NR": server.port, "RT": server.port},
                        target_comp_ids={"NR": "KalshiNR", "RT": "KalshiRT"},
                        keys={"trader": KeyInfo("trader", KEY_ID, trader_key)}, tickers={"main": "KXA-1"},
                        capabilities={"admin"}, admin_call=lambda op, args: f"{op}:{sorted(args.items())}")
        return server, target

    yield make
    for server in servers:
        server.close()

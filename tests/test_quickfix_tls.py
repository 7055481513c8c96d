"""Proof that the installed quickfix has working TLS, using the generated settings.

A self-signed certificate is made at test time; a QuickFIX SSLSocketAcceptor (stock FIX50SP2
dictionary) and an SSLSocketInitiator (built from a client config by fixengine.config, with the
project's generated Kalshi dictionaries) log on over TLS on 127.0.0.1 with FIXT.1.1 / FIX50SP2. Negative cases: a plain-TCP client gets no FIX reply from
the TLS port, and an initiator that trusts a different CA never logs on.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import threading
import time
from pathlib import Path

import pytest
import quickfix as fix
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fixengine.sim.gateway.acceptor import InternalAcceptor
from fixengine.config import (
    AcceptorSession,
    acceptor_settings,
    build_initiator,
    load_config,
    stock_spec_paths,
)

KEY_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
LOGON_WAIT_S = 15.0
NO_LOGON_WAIT_S = 1.5
# Negative cases make exactly one attempt: QuickFIX's SSL acceptor runs each handshake as a
# blocking loop (up to 10 s, UtilitySSL.cpp acceptSSLConnection) and an initiator stopped while a
# retry is connecting can leave that loop waiting, which would stall the acceptor's stop().
ONE_ATTEMPT_RETRY_S = 60


def make_self_signed(directory: Path, name: str) -> tuple[Path, Path]:
    """A P-256 certificate for 127.0.0.1/localhost (EC keys are fast to generate)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder(fix.Application):
    """Records logons; every callback is guarded (an escaping exception kills the process)."""

    def __init__(self) -> None:
        super().__init__()
        self.logged_on = threading.Event()
        self.errors: list[str] = []

    def _guard(self, fn, *args) -> None:
        try:
            fn(*args)
        except BaseException as exc:  # noqa: BLE001 - must never reach QuickFIX
            self.errors.append(repr(exc))

    def onCreate(self, session_id):
        self._guard(lambda: None)

    def onLogon(self, session_id):
        self._guard(lambda: self.logged_on.set())

    def onLogout(self, session_id):
        self._guard(lambda: None)

    def toAdmin(self, message, session_id):
        self._guard(lambda: None)

    def fromAdmin(self, message, session_id):
        self._guard(lambda: None)

    def toApp(self, message, session_id):
        self._guard(lambda: None)

    def fromApp(self, message, session_id):
        self._guard(lambda: None)


def client_config(tmp: Path, port: int, *, tls: bool, ca_file: Path | None, retry_s: int = 1):
    tls_block = f"  enabled: true\n  ca_file: {ca_file}\n" if tls else "  enabled: false\n"
    path = tmp / "client.yaml"
    path.write_text(
        f"""
environment: local-sim
host: 127.0.0.1
rest_base_url: auto
tls:
{tls_block}
sessions:
  NR:
    port: auto
    api_key_id: {KEY_ID}
    private_key: client.pem
    heartbeat: 30
storage:
  message_store: memory
  journal_dir: journal
risk:
  max_order_qty: 10
  max_order_notional: 10.00
  max_position_per_market: 10
  max_position_total: 10
  max_open_orders: 5
  price_collar: 0.10
  daily_loss_limit: 10.00
rate_limit:
  tier: Premier
reconnect:
  initial_delay_s: {retry_s}
  max_delay_s: 60
quickfix:
  inbound_validation: strict
  check_comp_id: true
""",
        encoding="utf-8",
    )
    return load_config(path).with_endpoints(ports={"NR": port})


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """One TLS acceptor for the module (building it parses the dictionaries: ~1 s)."""
    tmp = tmp_path_factory.mktemp("tls")
    cert, key = make_self_signed(tmp, "server")
    port = free_port()
    settings = acceptor_settings(
        [AcceptorSession(port, "KalshiNR", KEY_ID, "NR")],
        cert_file=cert,
        key_file=key,
        dictionaries=stock_spec_paths(),
    )
    app = Recorder()
    store = fix.MemoryStoreFactory()
    # poll()-driven: QuickFIX 1.16's threaded Acceptor::stop() races its engine thread (segfaults).
    acceptor = InternalAcceptor(fix.SSLSocketAcceptor(app, store, settings), port, frozenset())
    acceptor.start()
    try:
        yield port, cert, app
    finally:
        acceptor.stop()
    assert app.errors == []


@pytest.fixture
def tls_acceptor(tls_server):
    port, cert, app = tls_server
    app.logged_on.clear()
    return port, cert, app


def run_initiator(cfg, wait_s: float, dictionaries=None) -> Recorder:
    """Build from the generated settings (project Kalshi dictionaries unless told otherwise) and run."""
    app = Recorder()
    parts = build_initiator(cfg, app, dictionaries=dictionaries)
    parts.initiator.start()
    try:
        app.logged_on.wait(wait_s)
    finally:
        parts.initiator.stop(True)
    assert app.errors == []
    return app


def test_logon_completes_over_tls(tmp_path, tls_acceptor):
    port, cert, server = tls_acceptor
    cfg = client_config(tmp_path, port, tls=True, ca_file=cert)
    started = time.monotonic()
    client = run_initiator(cfg, LOGON_WAIT_S)
    assert client.logged_on.is_set(), "initiator did not log on over TLS"
    assert server.logged_on.wait(1.0), "acceptor did not see the logon"
    assert time.monotonic() - started < LOGON_WAIT_S


def _fix_logon_bytes() -> bytes:
    body = f"35=A\x0149={KEY_ID}\x0156=KalshiNR\x0134=1\x0152=20260101-00:00:00.000\x0198=0\x01108=30\x01141=Y\x011137=9\x01"
    head = f"8=FIXT.1.1\x019={len(body)}\x01"
    checksum = sum((head + body).encode()) % 256
    return (head + body + f"10={checksum:03d}\x01").encode()


def test_plain_tcp_client_gets_no_fix_reply_from_tls_port(tls_acceptor):
    port, _cert, server = tls_acceptor
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(_fix_logon_bytes())
        reply = b""
        try:
            while chunk := conn.recv(4096):
                reply += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    assert b"8=FIXT" not in reply  # at most a TLS alert record, then the server closes
    assert not server.logged_on.is_set()


@pytest.mark.slow
def test_plain_quickfix_initiator_cannot_log_on_to_tls_port(tmp_path, tls_acceptor):
    port, _cert, server = tls_acceptor
    cfg = client_config(tmp_path, port, tls=False, ca_file=None, retry_s=ONE_ATTEMPT_RETRY_S)
    client = run_initiator(cfg, NO_LOGON_WAIT_S, dictionaries=stock_spec_paths())
    assert not client.logged_on.is_set()
    assert not server.logged_on.is_set()


@pytest.mark.slow
def test_initiator_rejects_server_signed_by_untrusted_ca(tmp_path, tls_acceptor):
    port, _cert, server = tls_acceptor
    other_ca, _ = make_self_signed(tmp_path, "other-ca")
    cfg = client_config(tmp_path, port, tls=True, ca_file=other_ca, retry_s=ONE_ATTEMPT_RETRY_S)
    client = run_initiator(cfg, NO_LOGON_WAIT_S, dictionaries=stock_spec_paths())
    assert not client.logged_on.is_set()
    assert not server.logged_on.is_set()

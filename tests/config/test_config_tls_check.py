"""check_server_certificate: chain + host name verification and certificate pinning (QuickFIX does neither)."""

from __future__ import annotations

import socket
import ssl
import threading

import pytest

from fixengine.config import TlsCheckError, check_server_certificate, load_config
from fixengine.config.tls_check import fingerprint

from config_helpers import DELETE, LOCAL_SIM, make_certificate


@pytest.fixture
def tls_server(tmp_path):
    """A Python TLS server on 127.0.0.1 serving the certificate `serve(cert, key)` chooses."""
    servers = []

    def serve(cert, key) -> int:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(10)

        def loop():
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                try:
                    with ctx.wrap_socket(conn, server_side=True):
                        pass
                except (OSError, ssl.SSLError):
                    pass  # the client refused our certificate: expected in negative tests

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        servers.append((listener, thread))
        return listener.getsockname()[1]

    yield serve
    for listener, thread in servers:
        try:
            listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone does not
        except OSError:
            pass
        listener.close()
        thread.join(timeout=5)


def tls_config(write_config, port, **tls):
    changes = {
        **LOCAL_SIM,
        "sessions.DC": DELETE,
        "tls": {"enabled": True, **tls},
    }
    return load_config(write_config(changes)).with_endpoints(ports={"NR": port})


def test_verified_and_pinned(write_config, tmp_path, tls_server):
    cert, key = make_certificate(tmp_path, "server")
    port = tls_server(cert, key)
    cfg = tls_config(write_config, port, ca_file=str(cert), server_cert_pin=str(cert))
    result = check_server_certificate(cfg, "NR")
    der = ssl.PEM_cert_to_DER_cert(cert.read_text())
    assert result == f"127.0.0.1:{port}: chain and host name verified, matches pin (sha256 {fingerprint(der)})"


def test_pin_mismatch_is_refused(write_config, tmp_path, tls_server):
    cert, key = make_certificate(tmp_path, "server")
    other, _ = make_certificate(tmp_path, "other")
    port = tls_server(cert, key)
    cfg = tls_config(write_config, port, verify_server=False, server_cert_pin=str(other))
    with pytest.raises(TlsCheckError, match=rf"TLS 127\.0\.0\.1:{port}: certificate .* does not match the pinned .*other\.crt"):
        check_server_certificate(cfg, "NR")


def test_pin_alone_accepts_the_pinned_self_signed_server(write_config, tmp_path, tls_server):
    cert, key = make_certificate(tmp_path, "server")
    port = tls_server(cert, key)
    cfg = tls_config(write_config, port, verify_server=False, server_cert_pin=str(cert))
    assert "not verified, matches pin" in check_server_certificate(cfg, "NR")


def test_untrusted_chain_is_refused(write_config, tmp_path, tls_server):
    cert, key = make_certificate(tmp_path, "server")
    other, _ = make_certificate(tmp_path, "other")
    port = tls_server(cert, key)
    cfg = tls_config(write_config, port, ca_file=str(other))
    with pytest.raises(TlsCheckError, match="server certificate rejected: .*certificate"):
        check_server_certificate(cfg, "NR")


def test_host_name_mismatch_is_refused(write_config, tmp_path, tls_server):
    cert, key = make_certificate(tmp_path, "server", sans=("fix.example.org",))
    port = tls_server(cert, key)
    cfg = tls_config(write_config, port, ca_file=str(cert))
    with pytest.raises(TlsCheckError, match="server certificate rejected: IP address mismatch"):
        check_server_certificate(cfg, "NR")


def test_plain_loopback_has_nothing_to_check(write_config):
    changes = {
        **LOCAL_SIM,
        "tls.enabled": False,
    }
    cfg = load_config(write_config(changes))
    assert check_server_certificate(cfg, "NR") == "127.0.0.1:8228: plain TCP (loopback), nothing to check"


def test_connection_refused_is_a_clear_error(write_config, tmp_path):
    cert, _ = make_certificate(tmp_path, "server")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = tls_config(write_config, port, ca_file=str(cert))
    with pytest.raises(TlsCheckError, match=rf"TLS 127\.0\.0\.1:{port}: handshake failed"):
        check_server_certificate(cfg, "NR", timeout_s=2)


def test_cli_probe_tls(write_config, tmp_path, tls_server, capsys):
    from fixengine.cli import main

    cert, key = make_certificate(tmp_path, "server")
    other, _ = make_certificate(tmp_path, "other")
    port = tls_server(cert, key)
    base = {
        **LOCAL_SIM,
        "sessions.DC": DELETE,
        "sessions.NR.port": port,
    }
    good = write_config({**base, "tls": {"enabled": True, "ca_file": str(cert), "server_cert_pin": str(cert)}})
    assert main(["config", "check", "--probe-tls", str(good)]) == 0
    out = capsys.readouterr().out
    assert f"TLS endpoints:\n  NR: 127.0.0.1:{port}: chain and host name verified, matches pin" in out

    bad = write_config({**base, "tls": {"enabled": True, "ca_file": str(cert), "server_cert_pin": str(other)}}, name="bad.yaml")
    assert main(["config", "check", "--probe-tls", str(bad)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "does not match the pinned" in err[0]

"""Server certificate check that QuickFIX's SSL initiator does not do.

QuickFIX 1.16 verifies the server chain (when a CA file is configured) but never the host name,
and it has no certificate pinning. Kalshi recommends pinning the server certificate (part1 §2.3),
so the engine calls `check_server_certificate` for each FIX endpoint before starting the
initiator: a TLS handshake with Python's ssl module that checks chain + host name (when
verify_server is on) and compares the leaf certificate with the pinned PEM (when configured).
"""

from __future__ import annotations

import hashlib
import socket
import ssl
from pathlib import Path

from fixengine.config.types import EngineConfig, SessionKind, TlsConfig
from fixengine.errors import FixEngineError

_MIN_VERSION = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}


class TlsCheckError(FixEngineError):
    """The server's TLS endpoint failed verification or did not match the pinned certificate."""


def fingerprint(der: bytes) -> str:
    """SHA-256 of a DER certificate, as colon-separated hex (what `openssl x509 -fingerprint` shows)."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _context(tls: TlsConfig) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = _MIN_VERSION[tls.min_version]
    if tls.verify_server:
        if tls.ca_file is not None:
            ctx.load_verify_locations(cafile=str(tls.ca_file))
        else:
            ctx.load_default_certs()
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def fetch_server_certificate(host: str, port: int, tls: TlsConfig, timeout_s: float = 5.0) -> bytes:
    """Handshake with host:port under `tls` rules and return the server's leaf certificate (DER)."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as raw:
            with _context(tls).wrap_socket(raw, server_hostname=host) as conn:
                der = conn.getpeercert(binary_form=True)
    except ssl.SSLCertVerificationError as exc:
        raise TlsCheckError(f"TLS {host}:{port}: server certificate rejected: {exc.verify_message}") from None
    except (OSError, ssl.SSLError) as exc:
        raise TlsCheckError(f"TLS {host}:{port}: handshake failed: {exc}") from None
    if not der:
        raise TlsCheckError(f"TLS {host}:{port}: server sent no certificate")
    return der


def _pinned_der(path: Path) -> bytes:
    try:
        return ssl.PEM_cert_to_DER_cert(path.read_text(encoding="ascii"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise TlsCheckError(f"pinned certificate {path} is not a readable PEM certificate: {exc}") from None


def check_server_certificate(cfg: EngineConfig, kind: SessionKind | str, timeout_s: float = 5.0) -> str:
    """Verify the TLS endpoint of session `kind`; return a one-line description of what was checked.

    Plain-TCP configs (loopback only) have nothing to check.
    """
    session = cfg.session(kind)
    if not cfg.tls.enabled:
        return f"{session.host}:{session.port}: plain TCP (loopback), nothing to check"
    der = fetch_server_certificate(session.host, session.port, cfg.tls, timeout_s)
    checks = ["chain and host name verified" if cfg.tls.verify_server else "not verified"]
    if cfg.tls.server_cert_pin is not None:
        expected = _pinned_der(cfg.tls.server_cert_pin)
        if der != expected:
            raise TlsCheckError(
                f"TLS {session.host}:{session.port}: certificate {fingerprint(der)} does not match "
                f"the pinned {cfg.tls.server_cert_pin} ({fingerprint(expected)})"
            )
        checks.append("matches pin")
    return f"{session.host}:{session.port}: {', '.join(checks)} (sha256 {fingerprint(der)})"

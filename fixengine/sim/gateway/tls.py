"""TLS for the gate: Kalshi requires TLS 1.2+ on every port (part1 §2.3).

When no certificate is configured, a self-signed one for localhost / 127.0.0.1 is generated
at start (RSA-2048, valid one day). The PEM files go to a private temporary directory so a
client under test can pin the exact leaf (part1 §2.3 recommends pinning).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True, slots=True)
class ServerCert:
    cert_file: Path
    key_file: Path


def generate_self_signed(directory: Path | None = None, host: str = "127.0.0.1") -> ServerCert:
    """Write a fresh self-signed certificate + key (key file mode 0600) and return their paths."""
    directory = Path(directory or tempfile.mkdtemp(prefix="fixengine-sim-tls-"))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fixengine simulator")])
    now = dt.datetime.now(dt.timezone.utc)
    alt_names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    for text in {host, "127.0.0.1"}:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(text)))
        except ValueError:
            alt_names.append(x509.DNSName(text))
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file = directory / "sim-cert.pem"
    key_file = directory / "sim-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    return ServerCert(cert_file, key_file)


def server_context(cert: ServerCert) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(cert.cert_file), str(cert.key_file))
    return ctx

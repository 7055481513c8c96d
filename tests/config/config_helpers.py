"""Shared data for config tests: a valid client config as a dict, and a dotted-key setter."""

from __future__ import annotations

from typing import Any

NR_KEY = "0f8fad5b-d9cb-469f-a165-70867728950e"
DC_KEY = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
RT_KEY = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"
MD_KEY = "3f2c9a1e-8b7d-4c6e-9f10-2a4b6c8d0e12"

BASE: dict[str, Any] = {
    "environment": "kalshi-demo",
    "host": "fix.demo.kalshi.co",
    "market_data_host": "marketdata.fix.demo.kalshi.co",
    "rest_base_url": "https://external-api.demo.kalshi.co/trade-api/v2",
    "tls": {"enabled": True, "min_version": "1.2"},
    "sessions": {
        "NR": {
            "api_key_id": NR_KEY,
            "private_key_env": "TEST_NR_KEY_FILE",
            "heartbeat": 30,
            "logon": {"use_dollars": True, "cancel_orders_on_disconnect": True},
        },
        "DC": {"api_key_id": DC_KEY, "private_key": "keys/dc.pem"},
    },
    "storage": {"message_store": "file", "store_dir": "var/store", "log_dir": "var/log", "journal_dir": "var/journal"},
    "risk": {
        "max_order_qty": 100,
        "max_order_notional": "250.00",
        "max_position_per_market": 500,
        "max_position_total": 2000,
        "max_open_orders": 50,
        "price_collar": "0.10",
        "daily_loss_limit": "500.00",
    },
    "rate_limit": {"tier": "Premier"},
    "reconnect": {"initial_delay_s": 1, "max_delay_s": 30, "multiplier": 2},
}

#: The changes that turn BASE into a local-simulator config on loopback (tests add their TLS choice).
LOCAL_SIM: dict[str, Any] = {
    "environment": "local-sim",
    "host": "127.0.0.1",
    "market_data_host": "127.0.0.1",
    "rest_base_url": "http://127.0.0.1:9000/trade-api/v2",
}


def set_path(data: dict, dotted: str, value: Any) -> None:
    """Set (or, with value=DELETE, remove) a dotted key in nested dicts."""
    *parents, last = dotted.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    if value is DELETE:
        data.pop(last, None)
    else:
        data[last] = value


DELETE = object()


def make_certificate(directory, name: str, sans: tuple[str, ...] = ("localhost", "127.0.0.1")):
    """A self-signed P-256 certificate + key (PEM files) valid for `sans`; returns (cert, key) paths."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def san(value: str):
        try:
            return x509.IPAddress(ipaddress.ip_address(value))
        except ValueError:
            return x509.DNSName(value)

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
        .add_extension(x509.SubjectAlternativeName([san(s) for s in sans]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path

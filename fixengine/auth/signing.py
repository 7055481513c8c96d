"""Kalshi request signatures: the FIX Logon RawData(96) and the REST headers.

FIX (part1 §3.3): RSASSA-PSS / SHA-256 / MGF1-SHA-256 / salt 32 over
    SendingTime SOH MsgType SOH MsgSeqNum SOH SenderCompID SOH TargetCompID
(no trailing SOH), standard base64 with padding. Only the Logon is signed.

REST (kalshi-rest §2): same PSS parameters over
    timestamp_ms + METHOD + path            (path without host or query string)
carried in KALSHI-ACCESS-KEY / -TIMESTAMP / -SIGNATURE.

Ed25519 keys sign the same bytes with plain Ed25519. The REST SDK does this;
for FIX it is UNCONFIRMED (only a third-party claim), so callers that accept
Ed25519 on FIX logons should make it a configurable choice.

Verifiers return False on any malformed input (bad base64, wrong length, wrong
key) and never raise: they sit on network input paths.
"""

from __future__ import annotations

import base64
import binascii
import time
from typing import Callable, Mapping
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from fixengine.auth.keys import PrivateKey, PublicKey
from fixengine.errors import FixEngineError

SOH = "\x01"
PSS_SALT_LENGTH = 32  # == SHA-256 digest length, as Kalshi's samples use

HEADER_KEY = "KALSHI-ACCESS-KEY"
HEADER_TIMESTAMP = "KALSHI-ACCESS-TIMESTAMP"
HEADER_SIGNATURE = "KALSHI-ACCESS-SIGNATURE"

_SIGN_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=PSS_SALT_LENGTH)
_VERIFY_PSS_AUTO = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
_SHA256 = hashes.SHA256()


class SigningError(FixEngineError):
    """Inputs that cannot be signed unambiguously, or an unsupported key object."""


class RestAuthError(FixEngineError):
    """A REST request whose authentication headers are missing, stale or wrong."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"REST authentication failed: {reason}")


# ---------------------------------------------------------------------------- primitives


def sign_bytes(private_key: PrivateKey, message: bytes) -> str:
    """Base64 signature of `message`: RSA-PSS(SHA-256, salt 32) or plain Ed25519."""
    if isinstance(private_key, rsa.RSAPrivateKey):
        signature = private_key.sign(message, _SIGN_PSS, _SHA256)
    elif isinstance(private_key, ed25519.Ed25519PrivateKey):
        signature = private_key.sign(message)
    else:
        raise SigningError(f"cannot sign with a {type(private_key).__name__}; use an RSA or Ed25519 private key")
    return base64.b64encode(signature).decode("ascii")


def verify_bytes(
    public_key: PublicKey, signature_b64: str | bytes, message: bytes, allow_auto_salt: bool = True
) -> bool:
    """True iff `signature_b64` is a valid signature of `message`; False on anything malformed.

    With RSA, salt 32 is tried first; `allow_auto_salt` then also accepts any
    salt length (harmless per part1 §3.3, and what lenient servers do).
    """
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError, TypeError):
        return False
    if not signature:
        return False
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            if len(signature) != (public_key.key_size + 7) // 8:
                return False
            try:
                public_key.verify(signature, message, _SIGN_PSS, _SHA256)
                return True
            except InvalidSignature:
                if not allow_auto_salt:
                    return False
            public_key.verify(signature, message, _VERIFY_PSS_AUTO, _SHA256)
            return True
        if isinstance(public_key, ed25519.Ed25519PublicKey):
            public_key.verify(signature, message)
            return True
    except (InvalidSignature, ValueError, TypeError):
        return False
    return False


# ---------------------------------------------------------------------------- FIX logon


def _field(value: object, name: str) -> str:
    text = str(value)
    if SOH in text:
        raise SigningError(f"{name} contains an SOH character, the pre-hash would be ambiguous")
    return text


def logon_prehash(sending_time: str, msg_type: str, seq_num: int | str, sender: str, target: str) -> bytes:
    """The exact bytes Kalshi signs: 52, 35, 34, 49, 56 joined by SOH, no trailing SOH.

    Pass the values exactly as they appear on the wire (a verifier must not
    re-format what it received); an int seq_num is rendered without padding.
    """
    return SOH.join(
        (
            _field(sending_time, "SendingTime"),
            _field(msg_type, "MsgType"),
            _field(seq_num, "MsgSeqNum"),
            _field(sender, "SenderCompID"),
            _field(target, "TargetCompID"),
        )
    ).encode("utf-8")


def sign_logon(
    private_key: PrivateKey, sending_time: str, seq_num: int | str, sender: str, target: str, msg_type: str = "A"
) -> str:
    """RawData(96) for a Logon: base64 (344 chars for RSA-2048). Ed25519 on FIX is UNCONFIRMED."""
    return sign_bytes(private_key, logon_prehash(sending_time, msg_type, seq_num, sender, target))


def verify_logon(
    public_key: PublicKey,
    signature_b64: str | bytes,
    sending_time: str,
    seq_num: int | str,
    sender: str,
    target: str,
    msg_type: str = "A",
    allow_auto_salt: bool = True,
) -> bool:
    """Check a Logon's RawData against the received 52/34/49/56; never raises on garbage."""
    try:
        message = logon_prehash(sending_time, msg_type, seq_num, sender, target)
    except SigningError:
        return False
    return verify_bytes(public_key, signature_b64, message, allow_auto_salt)


# ---------------------------------------------------------------------------- REST


def rest_path(path_or_url: str) -> str:
    """The signed path: no scheme/host, no query string, no fragment ("/trade-api/v2/portfolio/orders")."""
    if "://" in path_or_url:
        path = urlsplit(path_or_url).path or "/"
    else:
        path = path_or_url.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/"):
        raise SigningError(f"REST path must start with '/': {path_or_url[:120]!r}")
    return path


def rest_message(timestamp_ms: int | str, method: str, path: str) -> bytes:
    """timestamp_ms + METHOD + path, no separators; body never included."""
    return f"{timestamp_ms}{method.upper()}{rest_path(path)}".encode("utf-8")


def rest_signature(private_key: PrivateKey, timestamp_ms: int | str, method: str, path: str) -> str:
    """KALSHI-ACCESS-SIGNATURE value for one request."""
    return sign_bytes(private_key, rest_message(timestamp_ms, method, path))


def current_time_ms() -> int:
    """Unix time in integer milliseconds (no float rounding)."""
    return time.time_ns() // 1_000_000


def rest_headers(
    key_id: str, private_key: PrivateKey, method: str, path: str, now_ms: int | None = None
) -> dict[str, str]:
    """The three Kalshi auth headers for one request (`path` may include a query or be a full URL)."""
    timestamp = str(current_time_ms() if now_ms is None else int(now_ms))
    return {
        HEADER_KEY: key_id,
        HEADER_TIMESTAMP: timestamp,
        HEADER_SIGNATURE: rest_signature(private_key, timestamp, method, path),
    }


def verify_rest(
    public_key: PublicKey,
    signature_b64: str | bytes,
    timestamp_ms: int | str,
    method: str,
    path: str,
    allow_auto_salt: bool = True,
) -> bool:
    """Check one REST signature; never raises on garbage."""
    try:
        message = rest_message(timestamp_ms, method, path)
    except SigningError:
        return False
    return verify_bytes(public_key, signature_b64, message, allow_auto_salt)


def authenticate_rest(
    headers: Mapping[str, str],
    method: str,
    path: str,
    public_key_for: Callable[[str], PublicKey | None],
    now: int | None = None,
    max_skew_ms: int | None = None,
) -> str:
    """Server side: return the key id of a correctly signed request or raise RestAuthError.

    `headers` lookups should be case-insensitive (httpx/starlette header maps are).
    Kalshi's timestamp tolerance is UNCONFIRMED, so `max_skew_ms=None` skips the check.
    """
    key_id = headers.get(HEADER_KEY)
    timestamp = headers.get(HEADER_TIMESTAMP)
    signature = headers.get(HEADER_SIGNATURE)
    if not key_id or not timestamp or not signature:
        raise RestAuthError("missing KALSHI-ACCESS-KEY, -TIMESTAMP or -SIGNATURE header")
    if not (timestamp.isascii() and timestamp.isdigit()):
        raise RestAuthError("KALSHI-ACCESS-TIMESTAMP is not integer milliseconds")
    if max_skew_ms is not None:
        current = current_time_ms() if now is None else now
        if abs(current - int(timestamp)) > max_skew_ms:
            raise RestAuthError("KALSHI-ACCESS-TIMESTAMP is too far from server time")
    public_key = public_key_for(key_id)
    if public_key is None:
        raise RestAuthError("unknown API key")
    if not verify_rest(public_key, signature, timestamp, method, path):
        raise RestAuthError("INCORRECT_API_KEY_SIGNATURE")
    return key_id

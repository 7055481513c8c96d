"""Loading, generating and serialising Kalshi API keys.

Kalshi keys are RSA-2048 (PKCS#8 "PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY" PEM);
Ed25519 keys are accepted by the REST SDK and claimed by one third party for FIX
(UNCONFIRMED for FIX, see part1 §3.3), so they load here too.

Error messages name the source (a path or an environment variable) and a reason
chosen here, never the library's message or the file's content, so that no
fragment of a private key can reach a log. Exceptions are raised ``from None``
for the same reason: a chained traceback is still a log line.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Mapping, Union

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from fixengine.errors import FixEngineError

PrivateKey = Union[rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey]
PublicKey = Union[rsa.RSAPublicKey, ed25519.Ed25519PublicKey]

RSA_BITS = 2048  # what Kalshi issues and documents (part1 §3.3)
_MAX_KEY_FILE_BYTES = 64 * 1024  # a PEM key is a few KB; refuse to slurp anything larger
_PEM_MARK = b"-----BEGIN "
_ENV_PREFIX = "env:"


class KeyLoadError(FixEngineError):
    """A key could not be read or is not usable. Names the source and reason, never key material."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"cannot load key from {source}: {reason}")


def _password_bytes(password: str | bytes | None) -> bytes | None:
    if password is None or isinstance(password, bytes):
        return password
    return password.encode("utf-8")


def _read_key_file(path: Path) -> bytes:
    source = str(path)
    try:
        size = path.stat().st_size
        if size > _MAX_KEY_FILE_BYTES:
            raise KeyLoadError(source, f"file is {size} bytes, too large to be a PEM key")
        return path.read_bytes()
    except FileNotFoundError:
        raise KeyLoadError(source, "no such file") from None
    except IsADirectoryError:
        raise KeyLoadError(source, "is a directory, expected a PEM key file") from None
    except PermissionError:
        raise KeyLoadError(source, "permission denied") from None
    except OSError as exc:
        raise KeyLoadError(source, f"cannot read file ({exc.strerror or type(exc).__name__})") from None


def _pem_label(data: bytes) -> str:
    """The PEM type label ("PRIVATE KEY", "PUBLIC KEY", ...) or "" (label text only, no payload)."""
    start = data.find(_PEM_MARK)
    if start < 0:
        return ""
    end = data.find(b"-----", start + len(_PEM_MARK))
    if end < 0 or end - start > 80:
        return ""
    return data[start + len(_PEM_MARK) : end].decode("ascii", "replace")


def private_key_from_pem(data: bytes, source: str, password: str | bytes | None = None) -> PrivateKey:
    """Parse PEM private key bytes; `source` names where they came from, for error messages."""
    label = _pem_label(data)
    if not label:
        raise KeyLoadError(source, "not a PEM file (no '-----BEGIN' line)")
    if "PUBLIC KEY" in label:
        raise KeyLoadError(source, f"holds a public key ({label}), expected the private key")
    if "CERTIFICATE" in label:
        raise KeyLoadError(source, f"holds a certificate ({label}), expected the private key")
    secret = _password_bytes(password)
    try:
        if label == "OPENSSH PRIVATE KEY":
            key = serialization.load_ssh_private_key(data, secret)
        else:
            key = serialization.load_pem_private_key(data, secret)
    except TypeError:
        # cryptography raises TypeError for "encrypted but no password" and the reverse.
        if secret is None:
            raise KeyLoadError(source, "key is encrypted and no password was given") from None
        raise KeyLoadError(source, "key is not encrypted but a password was given") from None
    except UnsupportedAlgorithm:
        raise KeyLoadError(source, "key uses an unsupported algorithm or encryption") from None
    except ValueError:
        if "ENCRYPTED" in label and secret is not None:
            raise KeyLoadError(source, "wrong password or corrupt encrypted key") from None
        raise KeyLoadError(source, f"corrupt or unsupported {label} data") from None
    if not isinstance(key, (rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)):
        raise KeyLoadError(source, f"{type(key).__name__.lstrip('_')} is not supported; use RSA or Ed25519")
    return key


# Parsed keys are cached by (path, inode, size, mtime, password): signing happens
# once per logon, but reconnect loops and several sessions share one key file.
_CACHE: dict[tuple, PrivateKey] = {}
_CACHE_LOCK = threading.Lock()


def load_private_key(path: str | os.PathLike[str], password: str | bytes | None = None) -> PrivateKey:
    """Load an RSA (PKCS#8 or PKCS#1) or Ed25519 private key from a PEM file."""
    file = Path(path).expanduser()
    try:
        st = file.stat()
        cache_key = (str(file.resolve()), st.st_ino, st.st_size, st.st_mtime_ns, _password_bytes(password))
    except OSError:
        cache_key = None  # let _read_key_file produce the precise error
    if cache_key is not None:
        with _CACHE_LOCK:
            cached = _CACHE.get(cache_key)
        if cached is not None:
            return cached
    key = private_key_from_pem(_read_key_file(file), str(file), password)
    if cache_key is not None:
        with _CACHE_LOCK:
            _CACHE[cache_key] = key
    return key


def load_private_key_from_config(
    spec: str, password: str | bytes | None = None, environ: Mapping[str, str] | None = None
) -> PrivateKey:
    """Load a private key named by configuration.

    `spec` is either a file path (``~`` expanded) or ``env:NAME``, where the
    environment variable NAME holds either PEM text or a path to a PEM file.
    Keeping PEM in an environment variable suits containers; the error messages
    then name the variable, never its value.
    """
    env = os.environ if environ is None else environ
    if not spec.startswith(_ENV_PREFIX):
        return load_private_key(spec, password)
    name = spec[len(_ENV_PREFIX) :]
    source = f"environment variable {name}"
    if not name:
        raise KeyLoadError(spec, "expected env:NAME with a variable name")
    value = env.get(name)
    if not value:
        raise KeyLoadError(source, "not set or empty")
    if value.lstrip().startswith("-----BEGIN"):
        return private_key_from_pem(value.encode("utf-8"), source, password)
    return load_private_key(value, password)


def load_public_key(path_or_pem: str | bytes | os.PathLike[str] | PublicKey | PrivateKey) -> PublicKey:
    """A public key from PEM text/bytes, a PEM file path, or a key object (private keys give their public half)."""
    if isinstance(path_or_pem, (rsa.RSAPublicKey, ed25519.Ed25519PublicKey)):
        return path_or_pem
    if isinstance(path_or_pem, (rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)):
        return path_or_pem.public_key()
    if isinstance(path_or_pem, bytes):
        data, source = path_or_pem, "PEM data"
    elif isinstance(path_or_pem, str) and path_or_pem.lstrip().startswith("-----BEGIN"):
        data, source = path_or_pem.encode("utf-8"), "PEM text"
    else:
        file = Path(path_or_pem).expanduser()
        data, source = _read_key_file(file), str(file)
    label = _pem_label(data)
    if not label:
        raise KeyLoadError(source, "not a PEM file (no '-----BEGIN' line)")
    if "PRIVATE KEY" in label:
        # Derive rather than refuse: handy for `keys show-public`, and nothing is printed.
        return private_key_from_pem(data, source).public_key()
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise KeyLoadError(source, f"corrupt or unsupported {label} data") from None
    if not isinstance(key, (rsa.RSAPublicKey, ed25519.Ed25519PublicKey)):
        raise KeyLoadError(source, f"{type(key).__name__.lstrip('_')} is not supported; use RSA or Ed25519")
    return key


def generate_private_key(key_type: str = "rsa", bits: int = RSA_BITS) -> PrivateKey:
    """A fresh key: RSA (public exponent 65537) or Ed25519."""
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"unknown key type {key_type!r}; expected 'rsa' or 'ed25519'")


def private_key_pem(key: PrivateKey, password: str | bytes | None = None) -> bytes:
    """PKCS#8 PEM: a plain "PRIVATE KEY" block, or an "ENCRYPTED PRIVATE KEY" block with a password."""
    secret = _password_bytes(password)
    encryption = (
        serialization.BestAvailableEncryption(secret) if secret else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def public_key_pem(key: PublicKey | PrivateKey) -> str:
    """SubjectPublicKeyInfo PEM text ("BEGIN PUBLIC KEY"), the form Kalshi asks you to register."""
    public = load_public_key(key)
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def public_key_fingerprint(key: PublicKey | PrivateKey) -> str:
    """SHA-256 of the DER SubjectPublicKeyInfo, hex: a short name for matching key files to registrations."""
    public = load_public_key(key)
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "SHA256:" + hashlib.sha256(der).hexdigest()


def key_type_name(key: PublicKey | PrivateKey) -> str:
    """Human description: "RSA-2048" or "Ed25519"."""
    public = load_public_key(key)
    if isinstance(public, rsa.RSAPublicKey):
        return f"RSA-{public.key_size}"
    return "Ed25519"


def write_new_file(path: str | os.PathLike[str], data: bytes, mode: int) -> None:
    """Create `path` exclusively with `mode` (fchmod makes the mode exact whatever the umask)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def write_key_pair(private_path: Path, public_path: Path, key: PrivateKey | None = None) -> PrivateKey:
    """Write a (new, unless given) key pair: the private PEM created exclusively with mode 0600, the
    public PEM with 0644. If the public file cannot be written the private one is removed, so no
    half pair is left behind. Raises OSError (FileExistsError when either file exists)."""
    key = key if key is not None else generate_private_key()
    write_new_file(private_path, private_key_pem(key), 0o600)
    try:
        write_new_file(public_path, public_key_pem(key).encode("ascii"), 0o644)
    except OSError:
        Path(private_path).unlink(missing_ok=True)
        raise
    return key

"""Key loading: every supported format, every failure, and no key material in errors."""

import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from fixengine.auth import (
    KeyLoadError,
    key_type_name,
    load_private_key,
    load_private_key_from_config,
    load_public_key,
    private_key_pem,
    public_key_fingerprint,
    public_key_pem,
    sign_logon,
    verify_logon,
)
from fixengine.errors import FixEngineError


def pem(key, fmt, password=None):
    enc = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, fmt, enc)


def secret_lines(pem_bytes):
    """The base64 body lines of a PEM: none may ever appear in a message."""
    return [line for line in pem_bytes.decode().splitlines() if line and not line.startswith("-----")]


def assert_no_key_material(message, pem_bytes):
    for line in secret_lines(pem_bytes):
        assert line not in message
        assert line[:16] not in message


def same_key(a, b):
    return public_key_pem(a) == public_key_pem(b)


def test_load_pkcs8_pkcs1_and_ed25519(tmp_path, rsa_key, ed_key):
    cases = {
        "pkcs8.key": pem(rsa_key, serialization.PrivateFormat.PKCS8),
        "pkcs1.key": pem(rsa_key, serialization.PrivateFormat.TraditionalOpenSSL),
        "ed.key": pem(ed_key, serialization.PrivateFormat.PKCS8),
        "ed-openssh.key": pem(ed_key, serialization.PrivateFormat.OpenSSH),
    }
    assert b"BEGIN RSA PRIVATE KEY" in cases["pkcs1.key"]
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        key = load_private_key(tmp_path / name)
        expected = ed_key if name.startswith("ed") else rsa_key
        assert same_key(key, expected), name
    assert key_type_name(rsa_key) == "RSA-2048" and key_type_name(ed_key) == "Ed25519"


def test_encrypted_key(tmp_path, rsa_key):
    path = tmp_path / "enc.key"
    data = pem(rsa_key, serialization.PrivateFormat.PKCS8, b"hunter2")
    path.write_bytes(data)
    assert same_key(load_private_key(path, "hunter2"), rsa_key)
    assert same_key(load_private_key(path, b"hunter2"), rsa_key)
    with pytest.raises(KeyLoadError, match="encrypted and no password") as info:
        load_private_key(path)
    assert_no_key_material(str(info.value), data)
    with pytest.raises(KeyLoadError, match="wrong password") as info:
        load_private_key(path, "bad-pass-xyz")
    assert "hunter2" not in str(info.value) and "bad-pass-xyz" not in str(info.value)


def test_password_given_for_plain_key(tmp_path, rsa_key):
    path = tmp_path / "plain.key"
    path.write_bytes(pem(rsa_key, serialization.PrivateFormat.PKCS8))
    with pytest.raises(KeyLoadError, match="not encrypted but a password"):
        load_private_key(path, "pw")


def test_load_errors_name_path_and_reason(tmp_path, rsa_key):
    missing = tmp_path / "nope.key"
    with pytest.raises(KeyLoadError) as info:
        load_private_key(missing)
    assert str(missing) in str(info.value) and "no such file" in str(info.value)
    assert isinstance(info.value, FixEngineError)

    with pytest.raises(KeyLoadError, match="directory"):
        load_private_key(tmp_path)

    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(KeyLoadError, match="not a PEM file"):
        load_private_key(text)

    public = tmp_path / "pub.pem"
    public.write_text(public_key_pem(rsa_key))
    with pytest.raises(KeyLoadError, match="holds a public key"):
        load_private_key(public)

    big = tmp_path / "big.key"
    big.write_bytes(b"x" * 100_000)
    with pytest.raises(KeyLoadError, match="too large"):
        load_private_key(big)


def test_corrupt_key_never_leaks_material(tmp_path, rsa_key):
    data = pem(rsa_key, serialization.PrivateFormat.PKCS8)
    lines = data.decode().splitlines()
    lines[5] = lines[5][::-1]  # damage the DER in the middle
    corrupt = ("\n".join(lines) + "\n").encode()
    path = tmp_path / "corrupt.key"
    path.write_bytes(corrupt)
    with pytest.raises(KeyLoadError) as info:
        load_private_key(path)
    message = str(info.value)
    assert str(path) in message and "corrupt" in message
    assert_no_key_material(message, data)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_unsupported_key_type(tmp_path):
    ec_key = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "ec.key"
    path.write_bytes(pem(ec_key, serialization.PrivateFormat.PKCS8))
    with pytest.raises(KeyLoadError, match="not supported; use RSA or Ed25519"):
        load_private_key(path)


def test_parsed_keys_are_cached_and_refreshed(tmp_path, rsa_key, ed_key):
    path = tmp_path / "k.key"
    path.write_bytes(pem(rsa_key, serialization.PrivateFormat.PKCS8))
    first = load_private_key(path)
    assert load_private_key(str(path)) is first
    path.write_bytes(pem(ed_key, serialization.PrivateFormat.PKCS8))
    os.utime(path, ns=(1, 1))  # force a different mtime even on coarse clocks
    assert same_key(load_private_key(path), ed_key)


def test_load_from_config(tmp_path, rsa_key):
    data = pem(rsa_key, serialization.PrivateFormat.PKCS8)
    path = tmp_path / "cfg.key"
    path.write_bytes(data)
    assert same_key(load_private_key_from_config(str(path)), rsa_key)
    env = {"KEY_PEM": data.decode(), "KEY_PATH": str(path), "EMPTY": ""}
    assert same_key(load_private_key_from_config("env:KEY_PEM", environ=env), rsa_key)
    assert same_key(load_private_key_from_config("env:KEY_PATH", environ=env), rsa_key)
    for spec, reason in (("env:MISSING", "not set"), ("env:EMPTY", "not set"), ("env:", "variable name")):
        with pytest.raises(KeyLoadError, match=reason):
            load_private_key_from_config(spec, environ=env)
    env["BROKEN"] = "-----BEGIN PRIVATE KEY-----\nAAAA" + secret_lines(data)[3] + "\n-----END PRIVATE KEY-----\n"
    with pytest.raises(KeyLoadError) as info:
        load_private_key_from_config("env:BROKEN", environ=env)
    assert "environment variable BROKEN" in str(info.value)
    assert_no_key_material(str(info.value), data)


def test_load_public_key_forms(tmp_path, rsa_key, ed_key):
    text = public_key_pem(rsa_key)
    assert text.startswith("-----BEGIN PUBLIC KEY-----")
    path = tmp_path / "k.pub.pem"
    path.write_text(text)
    pkcs1 = rsa_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
    for form in (text, text.encode(), path, str(path), pkcs1, rsa_key, rsa_key.public_key()):
        assert public_key_pem(load_public_key(form)) == text
    priv = tmp_path / "k.key"
    priv.write_bytes(pem(ed_key, serialization.PrivateFormat.PKCS8))
    assert public_key_pem(load_public_key(priv)) == public_key_pem(ed_key)
    with pytest.raises(KeyLoadError, match="not a PEM"):
        load_public_key(b"junk")
    with pytest.raises(KeyLoadError, match="corrupt"):
        load_public_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    with pytest.raises(KeyLoadError, match="no such file"):
        load_public_key(tmp_path / "missing.pem")


def test_fingerprint_and_generated_pem_round_trip(tmp_path, rsa_key):
    fp = public_key_fingerprint(rsa_key)
    assert fp.startswith("SHA256:") and len(fp) == 7 + 64
    assert fp == public_key_fingerprint(load_public_key(public_key_pem(rsa_key)))
    path = tmp_path / "gen.key"
    path.write_bytes(private_key_pem(rsa_key))
    loaded = load_private_key(path)
    raw = sign_logon(loaded, "20260820-14:30:05.123", 1, "uuid", "KalshiNR")
    assert verify_logon(load_public_key(public_key_pem(rsa_key)), raw, "20260820-14:30:05.123", 1, "uuid", "KalshiNR")
    enc = tmp_path / "gen-enc.key"
    enc.write_bytes(private_key_pem(rsa_key, "pw"))
    assert b"ENCRYPTED PRIVATE KEY" in enc.read_bytes()
    assert same_key(load_private_key(enc, "pw"), rsa_key)

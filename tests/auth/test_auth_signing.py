"""FIX logon and REST signatures, including the fact sheet's test vector (part1 §3.3)."""

import base64

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from fixengine.auth import (
    HEADER_KEY,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    RestAuthError,
    SigningError,
    authenticate_rest,
    load_public_key,
    logon_prehash,
    rest_headers,
    rest_message,
    rest_path,
    rest_signature,
    sign_bytes,
    sign_logon,
    verify_bytes,
    verify_logon,
    verify_rest,
)

# ---- test vector, copied from the fact sheet (part1 §3.3)
VEC_TIME = "20260820-14:30:05.123"
VEC_SENDER = "0f8fad5b-d9cb-469f-a165-70867728950e"
VEC_TARGET = "KalshiNR"
VEC_PREHASH_HEX = (
    "32303236303832302d31343a33303a30352e313233014101310130663866616435622d643963622d34363966"
    "2d613136352d373038363737323839353065014b616c7368694e52"
)
VEC_RAWDATA = (
    "CvBM3v4ZkvjY0Ads4geA+7xD2/9F+et9r451JYIyBu4jvU9P+Ol03cawq6JHc7Z/dB/+AeUo+ZJ8i6Jdw2VsNClLiLuG9DFPOLRZOgPSlh0hsz+fF8w3"
    "2A/+N+6mC1HVsrWLEod1VR2FFrLCuAlaJ2ydQjI10U5egcLAtzKeoRAQpYBeBL9S+z78CLjl83qW8kflOWxlhdpwfOnN8tfTguOJaITRM6s6nd7kRtb1"
    "lSyPnK0hI+hISg5tT/zPJcLa+CtiBFetdzbcb6grWStje06Y07qQoJl8ac/zocUsY00zUo0J7eSJ9XzoL9VKf3Cf6+0A7pf7hpEPhwE49wHFZQ=="
)
VEC_PUBLIC_PEM = """-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAp8i9bsZZnECbmEcZdV6R
aOwJVqo2ViG9GmhUFuhC1rL9yJ3rk6so4CHzs5JyZ3OWHrO6ySyxCFfN3a3e8VBm
cB4K9ekXo+FyHnn0MsjWqN2qHQ7XfOyDi/i5mE5/mZJ+WA5fZ6wbXTNkKVCf2T/N
sPQR4eGdSZblRqZxA1HoohEzy8eId06VBiFB+Q/2fRySsH4MSjNw/zzNwsVtIKrO
XN3eX814XBOQWma/7vntSw0o9Gu2DkVMkUwR5XGfa4DSaYEXAiEmcyuHl46CLRKw
35ZmM4nQTvVNeq2GuCSoJqTQWhWOSRl38Q8DoN7xQDPlL+xAWpxi75kmltgkSMjM
wwIDAQAB
-----END PUBLIC KEY-----
"""


def test_prehash_matches_fact_sheet_vector():
    prehash = logon_prehash(VEC_TIME, "A", 1, VEC_SENDER, VEC_TARGET)
    assert prehash.hex() == VEC_PREHASH_HEX
    assert len(prehash) == 71
    assert logon_prehash(VEC_TIME, "A", "1", VEC_SENDER, VEC_TARGET) == prehash
    assert not prehash.endswith(b"\x01")


def test_verifier_accepts_fact_sheet_signature():
    public = load_public_key(VEC_PUBLIC_PEM)
    assert verify_logon(public, VEC_RAWDATA, VEC_TIME, 1, VEC_SENDER, VEC_TARGET)
    assert verify_logon(public, VEC_RAWDATA, VEC_TIME, 1, VEC_SENDER, VEC_TARGET, allow_auto_salt=False)
    assert verify_logon(public, VEC_RAWDATA.encode(), VEC_TIME, "1", VEC_SENDER, VEC_TARGET)


@pytest.mark.parametrize(
    "time, seq, sender, target",
    [
        ("20260820-14:30:05.124", 1, VEC_SENDER, VEC_TARGET),
        (VEC_TIME, 2, VEC_SENDER, VEC_TARGET),
        (VEC_TIME, "01", VEC_SENDER, VEC_TARGET),  # padding changes the bytes
        (VEC_TIME, 1, VEC_SENDER.upper(), VEC_TARGET),
        (VEC_TIME, 1, VEC_SENDER, "KalshiRT"),
        (VEC_TIME, 1, VEC_SENDER, "Kalshi"),
    ],
)
def test_verifier_rejects_any_changed_field(time, seq, sender, target):
    public = load_public_key(VEC_PUBLIC_PEM)
    assert not verify_logon(public, VEC_RAWDATA, time, seq, sender, target)


@pytest.mark.parametrize(
    "garbage",
    ["", "!!!!", "abc", "é" * 8, VEC_RAWDATA[:-4], VEC_RAWDATA[:-2] + "A=", "A" * 344, VEC_RAWDATA + "AAAA",
     VEC_RAWDATA.replace("+", "-").replace("/", "_"), None, 12345, b"\x00\xff"],
)
def test_verifier_never_raises_on_garbage(garbage):
    public = load_public_key(VEC_PUBLIC_PEM)
    assert verify_logon(public, garbage, VEC_TIME, 1, VEC_SENDER, VEC_TARGET) is False


def test_verifier_rejects_wrong_msg_type():
    public = load_public_key(VEC_PUBLIC_PEM)
    assert not verify_logon(public, VEC_RAWDATA, VEC_TIME, 1, VEC_SENDER, VEC_TARGET, msg_type="5")


def test_rsa_sign_logon_round_trip(rsa_key):
    raw = sign_logon(rsa_key, VEC_TIME, 1, VEC_SENDER, "KalshiRT")
    assert len(raw) == 344 and raw.endswith("==")
    assert "-" not in raw and "_" not in raw
    assert len(base64.b64decode(raw, validate=True)) == 256
    public = rsa_key.public_key()
    assert verify_logon(public, raw, VEC_TIME, 1, VEC_SENDER, "KalshiRT", allow_auto_salt=False)
    assert not verify_logon(public, raw, VEC_TIME, 1, VEC_SENDER, "KalshiNR")
    # PSS is randomised: two signatures differ but both verify
    assert sign_logon(rsa_key, VEC_TIME, 1, VEC_SENDER, "KalshiRT") != raw


def test_signature_uses_documented_pss_parameters(rsa_key):
    """An independent verifier with exactly the documented parameters accepts ours."""
    raw = sign_logon(rsa_key, VEC_TIME, 1, VEC_SENDER, VEC_TARGET)
    rsa_key.public_key().verify(
        base64.b64decode(raw),
        bytes.fromhex(VEC_PREHASH_HEX),
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH),
        hashes.SHA256(),
    )


def test_auto_salt_is_a_parameter(rsa_key):
    message = b"salt test"
    other_salt = rsa_key.sign(
        message, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.MAX_LENGTH), hashes.SHA256()
    )
    sig = base64.b64encode(other_salt).decode()
    assert verify_bytes(rsa_key.public_key(), sig, message, allow_auto_salt=True)
    assert not verify_bytes(rsa_key.public_key(), sig, message, allow_auto_salt=False)


def test_ed25519_logon_round_trip(ed_key, rsa_key):
    raw = sign_logon(ed_key, VEC_TIME, 1, VEC_SENDER, VEC_TARGET)
    assert len(base64.b64decode(raw)) == 64
    assert verify_logon(ed_key.public_key(), raw, VEC_TIME, 1, VEC_SENDER, VEC_TARGET)
    assert not verify_logon(ed_key.public_key(), raw, VEC_TIME, 2, VEC_SENDER, VEC_TARGET)
    # wrong key type for the signature: False, not an exception
    assert not verify_logon(rsa_key.public_key(), raw, VEC_TIME, 1, VEC_SENDER, VEC_TARGET)
    rsa_raw = sign_logon(rsa_key, VEC_TIME, 1, VEC_SENDER, VEC_TARGET)
    assert not verify_logon(ed_key.public_key(), rsa_raw, VEC_TIME, 1, VEC_SENDER, VEC_TARGET)


def test_soh_in_a_field_is_refused(rsa_key):
    with pytest.raises(SigningError):
        sign_logon(rsa_key, VEC_TIME, 1, VEC_SENDER + "\x01x", VEC_TARGET)
    assert not verify_logon(rsa_key.public_key(), VEC_RAWDATA, VEC_TIME, 1, "a\x01b", VEC_TARGET)


def test_unsupported_key_object():
    with pytest.raises(SigningError):
        sign_bytes("not a key", b"x")
    assert verify_bytes("not a key", VEC_RAWDATA, b"x") is False


# ---------------------------------------------------------------------------- REST


def test_rest_message_strips_query_and_host():
    expected = b"1703123456789GET/trade-api/v2/portfolio/orders"
    assert rest_message(1703123456789, "GET", "/trade-api/v2/portfolio/orders?limit=5") == expected
    assert rest_message("1703123456789", "get", "/trade-api/v2/portfolio/orders") == expected
    assert rest_message(1703123456789, "GET", "https://api.elections.kalshi.com/trade-api/v2/portfolio/orders?x=1") == expected
    assert rest_path("/trade-api/ws/v2") == "/trade-api/ws/v2"
    with pytest.raises(SigningError):
        rest_path("trade-api/v2/markets")


def test_rest_headers_round_trip(rsa_key):
    headers = rest_headers("key-123", rsa_key, "post", "/trade-api/v2/portfolio/orders?dry=1", now_ms=1703123456789)
    assert headers[HEADER_KEY] == "key-123"
    assert headers[HEADER_TIMESTAMP] == "1703123456789"
    signature = headers[HEADER_SIGNATURE]
    public = rsa_key.public_key()
    assert verify_rest(public, signature, 1703123456789, "POST", "/trade-api/v2/portfolio/orders")
    assert not verify_rest(public, signature, 1703123456790, "POST", "/trade-api/v2/portfolio/orders")
    assert not verify_rest(public, signature, 1703123456789, "GET", "/trade-api/v2/portfolio/orders")
    assert not verify_rest(public, signature, 1703123456789, "POST", "/trade-api/v2/portfolio/order")
    assert not verify_rest(public, "garbage", 1703123456789, "POST", "/trade-api/v2/portfolio/orders")
    assert not verify_rest(public, signature, 1703123456789, "POST", "no-leading-slash")


def test_rest_headers_default_clock(rsa_key):
    import time

    before = time.time_ns() // 1_000_000
    headers = rest_headers("k", rsa_key, "GET", "/trade-api/v2/portfolio/balance")
    after = time.time_ns() // 1_000_000
    assert before <= int(headers[HEADER_TIMESTAMP]) <= after


def test_rest_signature_with_ed25519(ed_key):
    sig = rest_signature(ed_key, 1, "GET", "/trade-api/v2/portfolio/balance")
    assert verify_rest(ed_key.public_key(), sig, 1, "GET", "/trade-api/v2/portfolio/balance?x")


def test_authenticate_rest(rsa_key):
    keys = {"key-1": rsa_key.public_key()}
    path = "/trade-api/v2/portfolio/balance"
    good = rest_headers("key-1", rsa_key, "GET", path, now_ms=1_000_000)
    assert authenticate_rest(good, "GET", path + "?a=b", keys.get, now=1_000_500, max_skew_ms=5_000) == "key-1"
    assert authenticate_rest(good, "GET", path, keys.get) == "key-1"  # skew check off by default

    def reason(headers, **kw):
        with pytest.raises(RestAuthError) as info:
            authenticate_rest(headers, "GET", path, keys.get, **kw)
        return info.value.reason

    assert "missing" in reason({HEADER_KEY: "key-1"})
    assert "unknown" in reason({**good, HEADER_KEY: "key-2"})
    assert "integer" in reason({**good, HEADER_TIMESTAMP: "1e6"})
    assert "too far" in reason(good, now=2_000_000, max_skew_ms=5_000)
    assert reason({**good, HEADER_SIGNATURE: "AAAA"}) == "INCORRECT_API_KEY_SIGNATURE"
    assert reason({**good, HEADER_TIMESTAMP: "1000001"}) == "INCORRECT_API_KEY_SIGNATURE"

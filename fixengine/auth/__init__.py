"""Kalshi API keys and signatures: FIX Logon RawData(96) and REST auth headers.

Sign once per logon (or per REST request), never per order; load keys once
(load_private_key caches parsed keys per file).
"""

from fixengine.auth.keys import (
    RSA_BITS,
    KeyLoadError,
    PrivateKey,
    PublicKey,
    generate_private_key,
    key_type_name,
    load_private_key,
    load_private_key_from_config,
    load_public_key,
    private_key_from_pem,
    private_key_pem,
    public_key_fingerprint,
    public_key_pem,
    write_key_pair,
    write_new_file,
)
from fixengine.auth.signing import (
    HEADER_KEY,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    PSS_SALT_LENGTH,
    RestAuthError,
    SigningError,
    authenticate_rest,
    current_time_ms,
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

__all__ = [name for name in dir() if not name.startswith("_")]

"""`fixengine keys ...`: create an API key pair and show the public half.

The private key is written once, mode 0600, and never printed; the public key
(SubjectPublicKeyInfo PEM) is printed so it can be pasted into Kalshi's API-key
page, which then shows the key id to use as SenderCompID / KALSHI-ACCESS-KEY.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from fixengine.auth.keys import (
    RSA_BITS,
    KeyLoadError,
    generate_private_key,
    key_type_name,
    load_private_key,
    load_public_key,
    private_key_pem,
    public_key_fingerprint,
    public_key_pem,
    write_new_file,
)
from fixengine.errors import FixEngineError

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
DEFAULT_NAME = "kalshi"


class KeyFileError(FixEngineError):
    """Key files cannot be written (already exist, bad name, unwritable directory)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    keys = subparsers.add_parser("keys", help="create and inspect Kalshi API keys")
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="ACTION")
    keys_sub.required = True

    gen = keys_sub.add_parser("generate", help="write NAME.key (0600) and NAME.pub.pem; print the public key")
    gen.add_argument("--out", required=True, type=Path, help="directory for the key files (created if missing)")
    gen.add_argument("--name", default=DEFAULT_NAME, help=f"file name stem (default: {DEFAULT_NAME})")
    gen.add_argument("--type", dest="key_type", choices=("rsa", "ed25519"), default="rsa",
                     help="rsa = RSA-2048 as Kalshi documents (default); ed25519 is UNCONFIRMED on FIX")
    gen.add_argument("--bits", type=int, default=RSA_BITS, help=argparse.SUPPRESS)
    gen.add_argument("--password-env", metavar="VAR",
                     help="encrypt the private key with the password in environment variable VAR")
    gen.set_defaults(func=_cmd_generate)

    show = keys_sub.add_parser("show-public", help="print the public key of a private or public PEM file")
    show.add_argument("path", type=Path)
    show.add_argument("--password-env", metavar="VAR", help="environment variable holding the key's password")
    show.set_defaults(func=_cmd_show_public)


def _password_from_env(var: str | None) -> str | None:
    if var is None:
        return None
    value = os.environ.get(var)
    if not value:
        raise KeyFileError(f"environment variable {var} (key password) is not set or empty")
    return value


def _cmd_generate(args: argparse.Namespace) -> int:
    if not _NAME_RE.fullmatch(args.name):
        raise KeyFileError(f"bad --name {args.name[:80]!r}: use letters, digits, '.', '_' or '-' (max 64)")
    if args.key_type == "rsa" and args.bits < 2048:
        raise KeyFileError(f"--bits {args.bits} is too small; Kalshi uses RSA-2048")
    password = _password_from_env(args.password_env)
    out: Path = args.out.expanduser()
    private_path = out / f"{args.name}.key"
    public_path = out / f"{args.name}.pub.pem"
    try:
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise KeyFileError(f"cannot create directory {out}: {exc.strerror}") from None
    existing = [str(p) for p in (private_path, public_path) if p.exists() or p.is_symlink()]
    if existing:
        raise KeyFileError(f"refusing to overwrite existing key file(s): {', '.join(existing)}")

    key = generate_private_key(args.key_type, args.bits)
    public_text = public_key_pem(key)
    try:
        write_new_file(private_path, private_key_pem(key, password), 0o600)
    except FileExistsError:
        raise KeyFileError(f"refusing to overwrite existing key file: {private_path}") from None
    except OSError as exc:
        raise KeyFileError(f"cannot write {private_path}: {exc.strerror}") from None
    try:
        write_new_file(public_path, public_text.encode("ascii"), 0o644)
    except OSError as exc:
        # Lost a race for the public file: remove the private key we just created
        # (ours, created exclusively) so that no half pair is left behind.
        private_path.unlink(missing_ok=True)
        if isinstance(exc, FileExistsError):
            raise KeyFileError(f"refusing to overwrite existing key file: {public_path}") from None
        raise KeyFileError(f"cannot write {public_path}: {exc.strerror}") from None

    print(f"Generated {key_type_name(key)} key pair.")
    protection = "mode 0600, encrypted" if password else "mode 0600"
    print(f"  private key: {private_path}  ({protection}; keep it secret, never share it)")
    print(f"  public key:  {public_path}")
    print(f"  fingerprint: {public_key_fingerprint(key)}")
    if args.key_type == "ed25519":
        print("  note: Kalshi documents RSA-PSS for FIX logons; Ed25519 on FIX is UNCONFIRMED (REST accepts it).")
    print()
    print("Register this public key with Kalshi (Account settings -> API keys), then use the key id it")
    print("shows as SenderCompID(49) for FIX and KALSHI-ACCESS-KEY for REST:")
    print()
    print(public_text, end="")
    return 0


def _cmd_show_public(args: argparse.Namespace) -> int:
    password = _password_from_env(args.password_env)
    path: Path = args.path.expanduser()
    # load_public_key derives the public half of an unencrypted private key too,
    # and names the path with a precise reason for anything else.
    key = load_private_key(path, password) if password else load_public_key(path)
    print(f"{key_type_name(key)}  {public_key_fingerprint(key)}")
    print(public_key_pem(key), end="")
    return 0


__all__ = ["register", "KeyFileError", "KeyLoadError"]

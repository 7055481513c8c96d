"""Shared test material: the fact sheet's §5.6 RFQ messages by name, and id substitution."""

from __future__ import annotations

import uuid
from pathlib import Path

NAMES = ("creator_R", "ack", "broadcast_R", "maker_S", "ai_pending", "notice_S", "UA", "UC_ok", "UC_expired",
         "ai_accepted", "U7", "U8_ok", "U8_rejected", "ER_fill", "Z", "U9", "ai_cancelled", "UE", "UB_canceled",
         "AG_maker", "UB_expired", "mve_R", "mve_ack", "mve_AG", "D_accept", "ER_expired")
_LINES = [line.strip() for line in (Path(__file__).parent / "fact_sheet_rfq.txt").read_text().splitlines()
          if line.startswith("8=")]
EXAMPLES = dict(zip(NAMES, _LINES, strict=True))

TICKER = "KXHIGHNY-26AUG25-B85.5"
CLIENT_ID = "0c7e2a54-1b3d-4f6a-9e8d-7c6b5a4f3e2d"
SERVER_ID = "a9d8c7b6-5e4f-4a3b-9c2d-1e0f9a8b7c6d"
QUOTE_ID = "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"
ACCEPT_CL_ORD_ID = "4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b"
D_CL_ORD_ID = "8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d"
HEADER_TAGS = {8, 9, 10, 34, 35, 49, 52, 56}


def example(name: str, **replace: str) -> str:
    """The named example with ids swapped (e.g. client=rfq.client_id) - the sheet's ids are fixed."""
    text = EXAMPLES[name]
    ids = {"client": CLIENT_ID, "server": SERVER_ID, "quote": QUOTE_ID, "clord": ACCEPT_CL_ORD_ID,
           "dclord": D_CL_ORD_ID}
    for key, value in replace.items():
        text = text.replace(ids[key], value)
    return text


def body(raw: str) -> list[tuple[int, str]]:
    """Body fields in wire order (header and trailer dropped), from '|' or SOH text."""
    sep = "\x01" if "\x01" in raw else "|"
    out = []
    for part in raw.split(sep):
        if part:
            tag, _, value = part.partition("=")
            if int(tag) not in HEADER_TAGS:
                out.append((int(tag), value))
    return out


def soh(raw: str) -> str:
    return raw.replace("|", "\x01")


def offline_engine(tmp_path: Path, kind: str = "RT", logon: dict | None = None, reset: bool | None = None):
    """An Engine whose session is replaced by a recorder: `engine.sent` holds every message it
    sends (stamped with 34 as QuickFIX would), `engine.connected = False` makes sends fail."""
    from fixengine.auth import write_key_pair
    from fixengine.engine import Engine
    from kalshi_test_acceptor import free_port, write_client_config

    priv, pub = tmp_path / "k.pem", tmp_path / "k.pub.pem"
    write_key_pair(priv, pub)
    logon = {"use_dollars": False} if logon is None else logon
    cfg = write_client_config(tmp_path, {kind: (str(uuid.uuid4()), priv, logon, reset)})
    engine = Engine.from_config(cfg, ports={kind: free_port()})
    engine.sent = []

    def send(kind, message):
        if not engine.connected:
            return False
        message.getHeader().setField(34, str(len(engine.sent) + 1))  # as QuickFIX stamps it on send
        engine.sent.append(message.toString())
        return True

    engine.connected = True
    engine.conn.send = send
    return engine

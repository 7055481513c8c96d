"""The Kalshi Logon (35=A): sign exactly the header QuickFIX is about to send.

QuickFIX fills 8/49/56/34/52 into the header *before* calling toAdmin and serialises the message
right after it without touching 52 again, so the signature is computed over those very values
(part 1 §3.3: pre-hash = 52 SOH 35 SOH 34 SOH 49 SOH 56). One subtlety: when a Logon carries
141=Y QuickFIX resets its sequence numbers after toAdmin and rewrites 34 to 1, so for a reset
Logon 34 is set to 1 here first and that is what gets signed.
"""

from __future__ import annotations

import quickfix as fix

from fixengine.auth import sign_logon
from fixengine.config.types import SessionConfig
from fixengine.fix import tags as T
from fixengine.session.kinds import resets_on_logon

DEFAULT_APPL_VER_ID = "9"  # FIX50SP2, the only value Kalshi accepts


def fill_logon(message: fix.Message, session: SessionConfig, private_key: object) -> str:
    """Complete an outgoing Logon in place; returns the signed SendingTime (for logs/tests)."""
    header = message.getHeader()
    reset = resets_on_logon(session.kind, session.reset_on_logon)
    if reset:
        message.setField(T.RESET_SEQ_NUM_FLAG, "Y")
        header.setField(T.MSG_SEQ_NUM, "1")
    else:
        message.setField(T.RESET_SEQ_NUM_FLAG, "N")
    if header.isSetField(T.SENDER_SUB_ID):  # Kalshi rejects a Logon carrying SenderSubID (part 1 §3.1)
        header.removeField(T.SENDER_SUB_ID)
    sending_time = header.getField(T.SENDING_TIME)
    signature = sign_logon(
        private_key,
        sending_time,
        header.getField(T.MSG_SEQ_NUM),
        header.getField(T.SENDER_COMP_ID),
        header.getField(T.TARGET_COMP_ID),
    )
    message.setField(T.ENCRYPT_METHOD, "0")
    message.setField(T.HEART_BT_INT, str(session.heartbeat_s))
    message.setField(T.DEFAULT_APPL_VER_ID, DEFAULT_APPL_VER_ID)
    # RawData is a FIX DATA field: QuickFIX (and most engines) only parse it behind its length.
    message.setField(T.RAW_DATA_LENGTH, str(len(signature)))
    message.setField(T.RAW_DATA, signature)
    for tag, value in session.logon.tags():
        message.setField(tag, value)
    return sending_time

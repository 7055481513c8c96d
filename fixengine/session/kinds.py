"""Session kinds and the rules that differ between them (fact sheet part 1 §2.2, §3.6, §4.7).

The enum itself is the config's (`fixengine.config.SessionKind`: NR, DC, RT, PT, RFQ, MD) so
configuration and session layer can never disagree; this module adds the session-layer rules.
Reset rules follow the newest documentation: retransmission exists only on RT and PT, so every
other kind logs on with ResetSeqNumFlag(141)=Y; RT/PT keep continuity with 141=N unless the
configuration asks for a reset.
"""

from __future__ import annotations

from fixengine.config.types import ORDER_ENTRY_KINDS, RESET_MANDATORY, RETRANSMIT_KINDS, SessionKind

__all__ = ["SessionKind", "must_reset", "retransmits", "order_entry", "mass_cancel_allowed", "resets_on_logon"]


def must_reset(kind: SessionKind) -> bool:
    """Every Logon of this kind must carry 141=Y (no message continuity)."""
    return kind in RESET_MANDATORY


def retransmits(kind: SessionKind) -> bool:
    """The exchange keeps a message store and answers ResendRequest on this kind."""
    return kind in RETRANSMIT_KINDS


def order_entry(kind: SessionKind) -> bool:
    return kind in ORDER_ENTRY_KINDS


def mass_cancel_allowed(kind: SessionKind) -> bool:
    """OrderMassCancelRequest (35=q) works only on KalshiNR."""
    return kind is SessionKind.NR


def resets_on_logon(kind: SessionKind, configured_reset: bool) -> bool:
    """141 value the Logon carries: forced Y where mandatory, else as configured."""
    return must_reset(kind) or configured_reset

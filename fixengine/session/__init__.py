"""Kalshi initiator session layer on QuickFIX: signed logon, session kinds, reconnect policy,
inbound parsing (getField-based) and outbound message templates."""

from fixengine.session.connection import FixConnection, LogonRefusedError, SessionDownError
from fixengine.session.kinds import SessionKind, mass_cancel_allowed, must_reset, retransmits
from fixengine.session.records import BusinessReject, CancelReject, MassCancelReport, SessionReject
from fixengine.session.templates import OrderFields, OrderTemplates

__all__ = [
    "BusinessReject",
    "CancelReject",
    "FixConnection",
    "LogonRefusedError",
    "MassCancelReport",
    "OrderFields",
    "OrderTemplates",
    "SessionDownError",
    "SessionKind",
    "SessionReject",
    "mass_cancel_allowed",
    "must_reset",
    "retransmits",
]

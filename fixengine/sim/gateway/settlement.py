"""Market settlement reports (35=UMS, part2 §4) for the exchange's `MarketSettled` event.

Who receives them (§4.1): every KalshiPT session of a party's user unless it logged on with
ReceiveSettlementReports(20127)=N (PT defaults to Y), and every KalshiRT session that logged on
with 20127=Y. Nothing on NR, DC, RFQ or MD. Each user sees only its own party entries; a key
restricted to one subaccount sees only that subaccount's entries [sim choice: Kalshi does not
say]. Deliveries go through `Router.send`, so an offline PT/RT session gets them into its
QuickFIX store and they are resent on request after reconnect.

Message layout (§4.2): top level 20105 (fresh per page), 55, 715, 20106 (pages in the batch:
the fact sheet's inference that it counts messages), 20107 (yes/no/scalar), 730 (settlement value
in cents, 2 decimals), 893 (N on all but the last page); one 20108 entry per party with 20109,
20110=24, 704/705 and the nested 1703 {1704 payout dollars, 1705=PAYOUT} and 136 {137 fee, 138=USD,
139=4, 891=0} groups, in the documented order.

Identifiers (formats UNCONFIRMED, §8.4): 20109 is a UUID derived from user + subaccount, stable
across settlements; 20105 is a UUID derived from the exchange's report id, the user and the page
number, so the same page has the same id on every session of that user and ids are
reproducible under a seeded exchange.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Callable, Iterable

import quickfix as fix

from fixengine.config.types import SessionKind
from fixengine.fix.spec import parse_message
from fixengine.pricing import format_money, format_qty
from fixengine.sim.exchange.events import MarketSettled, SettlementEntry
from fixengine.sim.gateway.registry import SessionEntry, SessionRegistry

#: Party entries per UMS page. Kalshi's page size is UNCONFIRMED; 100 keeps a page far below
#: the gateway's 64 KiB message limit (one entry is about 110 bytes).
DEFAULT_PAGE_SIZE = 100
PARTY_ROLE_CUSTOMER_ACCOUNT = "24"
_PARTY_NAMESPACE = uuid.UUID("6f1c1b8e-5d0a-4c36-9a57-3f0e2d6b8c41")  # fixed: party ids stay stable
_PAGE_NAMESPACE = uuid.UUID("0b7d2e55-3c1f-4e8a-9d60-7a2f4c9e1b38")


def party_id(user_id: str, subaccount: int) -> str:
    """MarketSettlementPartyID(20109) of one user + subaccount (stable across runs)."""
    return str(uuid.uuid5(_PARTY_NAMESPACE, f"{user_id}/{subaccount}"))


def page_id(report_id: str, scope: str, page: int) -> str:
    """MarketSettlementReportID(20105) of one page of one audience's batch."""
    return str(uuid.uuid5(_PAGE_NAMESPACE, f"{report_id}/{scope}/{page}"))


def settlement_price_cents(units: int) -> str:
    """SettlementPrice(730): price units ($0.0001) as cents with 2 decimals, exact (3060 -> 30.60)."""
    cents, hundredths = divmod(units, 100)
    return f"{cents}.{hundredths:02d}"


@dataclass(frozen=True, slots=True)
class Page:
    report_id: str
    number: int  # 1-based
    total: int
    entries: tuple[SettlementEntry, ...]


def paginate(event: MarketSettled, scope: str, entries: list[SettlementEntry], page_size: int) -> list[Page]:
    """Split one audience's entries into pages; `scope` names the audience (user, or user#sub)."""
    chunks = [tuple(entries[i:i + page_size]) for i in range(0, len(entries), page_size)]
    return [Page(page_id(event.report_id, scope, n), n, len(chunks), chunk)
            for n, chunk in enumerate(chunks, start=1)]


def build_report(event: MarketSettled, page: Page) -> fix.Message:
    """One UMS page. Built as text and parsed with the Kalshi dictionary: a parsed message keeps
    the dictionary's field order inside repeating groups (20109, 20110, 704, 705, 1703, 136, as
    documented), which groups assembled with quickfix.Group cannot (they sort by tag)."""
    fields = [(35, "UMS"), (20105, page.report_id), (55, event.symbol), (715, event.clearing_date),
              (20106, page.total), (20107, event.result), (730, settlement_price_cents(event.settlement_price)),
              (20108, len(page.entries))]
    for entry in page.entries:
        fields.extend(_party(entry))
    fields.append((893, "Y" if page.number == page.total else "N"))
    body = "".join(f"{tag}={value}\x01" for tag, value in fields)
    head = f"8=FIXT.1.1\x019={len(body)}\x01"
    checksum = sum((head + body).encode()) % 256
    return parse_message(f"{head}{body}10={checksum:03d}\x01")


def _party(entry: SettlementEntry) -> list[tuple[int, object]]:
    return [
        (20109, party_id(entry.user_id, entry.subaccount)), (20110, PARTY_ROLE_CUSTOMER_ACCOUNT),
        (704, format_qty(entry.long_qty)), (705, format_qty(entry.short_qty)),
        (1703, 1), (1704, format_money(entry.payout, 2)), (1705, "PAYOUT"),
        # sub-cent digits kept: payout + fee == the exact settlement value
        (136, 1), (137, format_money(entry.fee, 2)), (138, "USD"), (139, "4"), (891, "0"),
    ]


def wants_reports(entry: SessionEntry) -> bool:
    """PT unless 20127=N (the logon sets the PT default), RT only with 20127=Y."""
    flags = entry.flags
    return (entry.kind in (SessionKind.PT, SessionKind.RT) and flags is not None
            and flags.settlement_reports and entry.session is not None)


class SettlementReporter:
    """`Router.event_routes` member: MarketSettled -> UMS pages to each party's sessions."""

    def __init__(self, registry: SessionRegistry, send: Callable[[SessionEntry, fix.Message], None],
                 key_subaccount: Callable[[str], int | None], page_size: int = DEFAULT_PAGE_SIZE) -> None:
        if page_size < 1:
            raise ValueError(f"settlement page size must be at least 1, got {page_size}")
        self.registry = registry
        self.send = send
        self.key_subaccount = key_subaccount
        self.page_size = page_size
        self.pages_sent = 0

    def __call__(self, event) -> bool:
        if not isinstance(event, MarketSettled):
            return False
        for user_id, entries in _by_user(event.entries).items():
            for session in self.registry.sessions_of(user_id):
                if wants_reports(session):
                    self._deliver(event, session, entries)
        return True

    def _deliver(self, event: MarketSettled, session: SessionEntry, entries: list[SettlementEntry]) -> None:
        only = self.key_subaccount(session.key_id)
        visible = [e for e in entries if only is None or e.subaccount == only]
        scope = session.user_id if only is None else f"{session.user_id}#{only}"  # page ids follow content
        for page in paginate(event, scope, visible, self.page_size):
            self.send(session, build_report(event, page))
            self.pages_sent += 1


def _by_user(entries: Iterable[SettlementEntry]) -> dict[str, list[SettlementEntry]]:
    out: dict[str, list[SettlementEntry]] = {}
    for entry in entries:
        out.setdefault(entry.user_id, []).append(entry)
    return out

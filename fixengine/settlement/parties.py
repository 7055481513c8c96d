"""Which book subaccount a settlement party entry (20109 MarketSettlementPartyID) belongs to.

A user's PT (or RT 20127=Y) session carries one entry per account/subaccount of that user that
held the market. The party id's format is UNCONFIRMED (part 2 §4.2): the simulator sends a
UUID per user+subaccount, other sources may send the subaccount number. So, in order:

1. an explicit mapping given by the caller (party id -> subaccount);
2. a Book constructed with its own `party_subaccount` mapping: that mapping, as the book uses it;
3. ids learned earlier (step 5), including from the journal after a restart;
4. a decimal id is the subaccount number;
5. the one subaccount whose holding in the market is exactly the entry's YES/NO quantities
   (and not already taken by another entry of the page) - then remembered for the id;
6. otherwise the primary account 0.

The book is then given the page with each party id replaced by its subaccount number, which
the book's default mapping reads back unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from fixengine.book.feed import default_party_subaccount
from fixengine.model import SettlementReport


class PartyResolver:
    def __init__(self, book=None, mapping: Mapping[str, int] | Callable[[str], int | None] | None = None) -> None:
        self.book = book
        self._explicit = mapping
        book_map = getattr(book, "_party_subaccount", None)
        # A Book built with party_subaccount= maps ids itself; respect it and hand it ids unchanged.
        self.book_maps_ids = book_map is not None and book_map is not default_party_subaccount
        self._book_map = book_map
        self.learned: dict[str, int] = {}

    def learn(self, party_id: str, subaccount: int) -> None:
        self.learned[party_id] = subaccount

    def _given(self, party_id: str) -> int | None:
        m = self._explicit
        if m is None:
            return None
        return m.get(party_id) if isinstance(m, Mapping) else m(party_id)

    def resolve(self, report: SettlementReport) -> list[int]:
        """The subaccount of each party entry (call with the book's lock held)."""
        subs: list[int] = []
        for party in report.parties:
            sub = self._given(party.party_id)
            if sub is None and self.book_maps_ids:
                sub = self._book_map(party.party_id)
            if sub is None:
                sub = self.learned.get(party.party_id)
            if sub is None and party.party_id.isdigit():
                sub = int(party.party_id)
            if sub is None:
                sub = self._by_holding(report.symbol, party.long_qty, party.short_qty, set(subs))
                if sub is not None:
                    self.learned[party.party_id] = sub
            subs.append(0 if sub is None else sub)
        return subs

    def _by_holding(self, symbol: str, long_qty: int, short_qty: int, taken: set[int]) -> int | None:
        if self.book is None or not (long_qty or short_qty):
            return None
        positions = self.book.positions
        found = [s for s in range(self.book.max_subaccounts) if s not in taken
                 and _held(positions.position(symbol, s)) == (long_qty, short_qty)]
        return found[0] if len(found) == 1 else None

    def for_book(self, report: SettlementReport, subs: list[int]) -> SettlementReport:
        """The page as the book should see it: party ids replaced by subaccount numbers."""
        if self.book_maps_ids and self._explicit is None:
            return report
        parties = [replace(p, party_id=str(s)) for p, s in zip(report.parties, subs)]
        return replace(report, parties=parties)


def _held(view) -> tuple[int, int]:
    return view.yes_qty, view.no_qty

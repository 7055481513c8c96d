"""Market settlement reports (35=UMS, part 2 §4): KalshiPT client, batch reassembly, SQLite journal.

    from fixengine.settlement import SettlementClient
    with SettlementClient(cfg) as client:          # a KalshiPT session with its own API key
        batch = client.next_batch(timeout=60)      # SettlementBatch: symbol, result, price, parties

An Engine on KalshiRT with `receive_settlement_reports: true` runs the same SettlementProcessor
(journal + book + batch events). `fixengine settlements listen|list|show` is the command line.
"""

from fixengine.settlement.batches import BatchAssembler, BatchParty, SettlementBatch
from fixengine.settlement.client import SettlementClient, SettlementError, default_settlement_journal
from fixengine.settlement.journal import SettlementJournal, SettlementJournalError
from fixengine.settlement.processor import PageOutcome, SettlementProcessor

__all__ = [
    "BatchAssembler", "BatchParty", "PageOutcome", "SettlementBatch", "SettlementClient", "SettlementError",
    "SettlementJournal", "SettlementJournalError", "SettlementProcessor", "default_settlement_journal",
]

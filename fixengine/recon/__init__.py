"""Reconciliation of the engine's order journal with drop-copy / listener reports and REST.

    view = JournalView.load("orders.sqlite")
    result = reconcile(view, ReportSet.build(reports), RestView.fetch(client))
    repair("orders.sqlite", result, reports_set, rest, book=book)   # back-fill what was missed

`Reconciler` is the continuous form (feed reports as they arrive); `fixengine reconcile` the CLI.
"""

from fixengine.recon.breaks import Break, BreakType, Severity
from fixengine.recon.continuous import Reconciler
from fixengine.recon.eod import write_eod
from fixengine.recon.reconcile import ReconResult, reconcile
from fixengine.recon.repair import RepairReport, book_from_journal, repair
from fixengine.recon.sources import JournalView, ReportSet, RestView, read_reports_jsonl, write_reports_jsonl
from fixengine.recon.store import ReconStore

__all__ = ["Break", "BreakType", "JournalView", "ReconResult", "ReconStore", "Reconciler", "RepairReport",
           "ReportSet", "RestView", "Severity", "book_from_journal", "read_reports_jsonl", "reconcile", "repair",
           "write_eod", "write_reports_jsonl"]

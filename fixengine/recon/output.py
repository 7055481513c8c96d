"""Reconciliation output: terminal summary, CSV and JSON files, and the exit code.

Exit codes: 0 clean, 1 breaks found, 2 could not run (raised as FixEngineError by the CLI).
Values print in the shared conventions: dollars with 4 decimals, contract counts with 2.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from fixengine.recon.breaks import CSV_COLUMNS, SEVERITY_RANK, Break, Severity
from fixengine.recon.reconcile import ReconResult

EXIT_CLEAN, EXIT_BREAKS, EXIT_ERROR = 0, 1, 2
QTY_FIELDS = {"qty", "cum_qty", "net", "net_at_settlement"}
MONEY_FIELDS = {"fee", "payout"}


def dollars(money: int) -> str:
    """Money units ($0.000001) as dollars with 4 decimals, rounded half away from zero."""
    sign = "-" if money < 0 else ""
    units = (abs(money) + 50) // 100
    return f"{sign}{units // 10_000}.{units % 10_000:04d}"


def price_text(price: int) -> str:
    return f"{price // 10_000}.{price % 10_000:04d}" if price >= 0 else "-" + price_text(-price)


def count_text(qty: int) -> str:
    sign = "-" if qty < 0 else ""
    return f"{sign}{abs(qty) // 100}.{abs(qty) % 100:02d}"


def value_text(field: str, value) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) and not isinstance(value, bool):
        if field in QTY_FIELDS:
            return count_text(value)
        if field == "price":
            return price_text(value)
        if field in MONEY_FIELDS:
            return dollars(value)
    return str(value)


def exit_code(result: ReconResult) -> int:
    return EXIT_CLEAN if result.clean else EXIT_BREAKS


def summary_table(result: ReconResult, limit: int = 25) -> str:
    lines = [f"reconciled {' + '.join(result.sources)} in {result.seconds * 1000:.1f} ms"]
    stats = ", ".join(f"{k}={v}" for k, v in sorted(result.stats.items()))
    lines.append(f"  {stats}")
    if result.clean:
        lines.append("CLEAN: no breaks")
        return "\n".join(lines)
    counts: dict[tuple[str, str], int] = {}
    for b in result.breaks:
        counts[(b.type.value, b.severity.value)] = counts.get((b.type.value, b.severity.value), 0) + 1
    rows = [["break type", "severity", "count"]]
    for (kind, sev), n in sorted(counts.items(), key=lambda kv: (SEVERITY_RANK[Severity(kv[0][1])], kv[0][0])):
        rows.append([kind, sev, str(n)])
    rows.append(["TOTAL", "", str(len(result.breaks))])
    lines += _table(rows, right={2})
    lines.append("")
    detail = [["severity", "type", "ticker", "sub", "ExecID / OrderID", "field", "ours", "theirs", "diff", "vs"]]
    for b in result.breaks[:limit]:
        detail.append([b.severity.value, b.type.value, b.ticker or "-", "-" if b.subaccount is None else
                       str(b.subaccount), b.exec_id or b.order_id or b.cl_ord_id or "-", b.field,
                       value_text(b.field, b.ours), value_text(b.field, b.theirs), value_text(b.field, b.diff),
                       b.theirs_source])
    lines += _table(detail, right={6, 7, 8})
    if len(result.breaks) > limit:
        lines.append(f"... and {len(result.breaks) - limit} more (see the CSV / JSON files)")
    return "\n".join(lines)


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for n, row in enumerate(rows):
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
        out.append("  ".join(cells).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def write_csv(path: str | Path, breaks: list[Break]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(CSV_COLUMNS)
        for b in breaks:
            d = b.to_dict()
            w.writerow(["" if d[c] is None else d[c] for c in CSV_COLUMNS])


def result_dict(result: ReconResult, run_id: int | None = None, repair: list[str] | None = None) -> dict:
    return {"run_id": run_id, "clean": result.clean, "exit_code": exit_code(result), "sources": list(result.sources),
            "seconds": result.seconds, "stats": result.stats, "by_type": result.by_type(),
            "breaks": [b.to_dict() for b in result.breaks], "repair": repair}


def write_json(path: str | Path, result: ReconResult, run_id: int | None = None,
               repair: list[str] | None = None) -> None:
    Path(path).write_text(json.dumps(result_dict(result, run_id, repair), indent=2, default=str) + "\n", "utf-8")

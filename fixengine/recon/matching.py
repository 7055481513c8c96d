"""Fill comparison: the vectorised fast path and the per-record reference it is measured against.

`compare_fills(ours, theirs)` joins two FillSets on ExecID (or on OrderID + TrdMatchID when
`theirs` has no ExecIDs, i.e. REST) and returns a `FillMatch`: the row pairs, the rows missing on
each side and the break records for every field that differs. `naive_compare` does the same
work one record at a time over ExecReport objects; the benchmark runs both on the same data and
the tests check that they find the same breaks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fixengine.model import ExecReport, ExecType, PENDING_EXEC_ID
from fixengine.recon.breaks import Break, BreakType, Severity
from fixengine.recon.fills import SIDE_CODE, FillSet, match_key, paused_gc

# field name -> (break type, severity)
FIELD_BREAKS = {
    "qty": (BreakType.QTY_MISMATCH, Severity.CRITICAL),
    "price": (BreakType.PRICE_MISMATCH, Severity.CRITICAL),
    "fee": (BreakType.FEE_MISMATCH, Severity.HIGH),
    "side": (BreakType.FILL_FIELD_MISMATCH, Severity.CRITICAL),
    "subaccount": (BreakType.FILL_FIELD_MISMATCH, Severity.CRITICAL),
    "symbol": (BreakType.FILL_FIELD_MISMATCH, Severity.CRITICAL),
    "order_id": (BreakType.FILL_FIELD_MISMATCH, Severity.HIGH),
}
NUMERIC = ("qty", "price", "fee", "side", "subaccount")


@dataclass(slots=True)
class FillMatch:
    ours: FillSet
    theirs: FillSet
    pairs_ours: np.ndarray  # row in ours of each matched pair
    pairs_theirs: np.ndarray  # row in theirs of the same pair
    only_ours: np.ndarray  # rows of ours with no counterpart
    only_theirs: np.ndarray  # rows of theirs with no counterpart
    breaks: list[Break]


def join(ours: FillSet, theirs: FillSet, by_exec_id: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """For each row of `theirs`, the row of `ours` with the same key (-1 if none); and a hit mask on ours."""
    if by_exec_id:
        index = ours.index()
        keys = theirs.exec_id
    else:
        index = ours.match_index()
        keys = [match_key(o, m) for o, m in zip(theirs.order_id, theirs.match_id)]
    get = index.get
    rows = np.fromiter((get(k, -1) for k in keys), dtype=np.int64, count=len(keys))
    hit = np.zeros(len(ours), dtype=bool)
    hit[rows[rows >= 0]] = True
    return rows, hit


def compare_fills(ours: FillSet, theirs: FillSet, by_exec_id: bool = True) -> FillMatch:
    with paused_gc():
        return _compare(ours, theirs, by_exec_id)


def _compare(ours: FillSet, theirs: FillSet, by_exec_id: bool) -> FillMatch:
    rows, hit = join(ours, theirs, by_exec_id)
    matched = np.nonzero(rows >= 0)[0]
    po, pt = rows[matched], matched
    breaks: list[Break] = []
    for name in NUMERIC:
        a, b = getattr(ours, name)[po], getattr(theirs, name)[pt]
        for k in np.nonzero(a != b)[0]:
            breaks.append(field_break(name, ours, theirs, int(po[k]), int(pt[k]), int(a[k]), int(b[k])))
    for name in ("symbol", "order_id"):
        a_col, b_col = getattr(ours, name), getattr(theirs, name)
        # object arrays: the element-wise string comparison runs in NumPy's C loop
        a, b = _objects(a_col)[po], _objects(b_col)[pt]
        for k in np.nonzero(a != b)[0].tolist():
            i, j = int(po[k]), int(pt[k])
            breaks.append(field_break(name, ours, theirs, i, j, a_col[i], b_col[j]))
    return FillMatch(ours, theirs, po, pt, np.nonzero(~hit)[0], np.nonzero(rows < 0)[0], breaks)


def _objects(values: list) -> np.ndarray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return arr


def field_break(name: str, ours: FillSet, theirs: FillSet, i: int, j: int, a, b) -> Break:
    kind, severity = FIELD_BREAKS[name]
    numeric = name in ("qty", "price", "fee")
    fix = {"qty": "correct the fill quantity on our side by diff",
           "price": "correct the fill price on our side by diff",
           "fee": "post the fee difference"}.get(name, f"investigate: the two sources disagree on {name}")
    return Break(kind, severity, ours.source, theirs.source, name, a, b, (b - a) if numeric else None,
                 exec_id=ours.exec_id[i] or theirs.exec_id[j] or None, order_id=ours.order_id[i],
                 cl_ord_id=ours.cl_ord_id[i] or None, ticker=ours.symbol[i],
                 subaccount=int(ours.subaccount[i]), fix=fix,
                 detail=f"{ours.source} {name}={a} vs {theirs.source} {name}={b}")


# ---------------------------------------------------------------------------- reference (pure Python)
def naive_compare(ours: list[ExecReport], theirs: list[ExecReport], ours_source: str = "journal",
                  theirs_source: str = "reports") -> tuple[list[Break], list[str], list[str]]:
    """Record-at-a-time comparison over ExecReport objects: (field breaks, ExecIDs only ours, only theirs)."""
    mine: dict[str, ExecReport] = {}
    for r in ours:
        if r.exec_type == ExecType.TRADE and r.exec_id != PENDING_EXEC_ID and r.exec_id not in mine:
            mine[r.exec_id] = r
    other: dict[str, ExecReport] = {}
    for r in theirs:
        if r.exec_type == ExecType.TRADE and r.exec_id != PENDING_EXEC_ID and r.exec_id not in other:
            other[r.exec_id] = r
    breaks: list[Break] = []
    only_theirs: list[str] = []
    for exec_id, t in other.items():
        o = mine.get(exec_id)
        if o is None:
            only_theirs.append(exec_id)
            continue
        for name, a, b in (("qty", o.last_qty or 0, t.last_qty or 0),
                           ("price", _px(o), _px(t)),
                           ("fee", o.fee or 0, t.fee or 0),
                           ("side", SIDE_CODE[o.side], SIDE_CODE[t.side]),
                           ("subaccount", o.subaccount, t.subaccount),
                           ("symbol", o.symbol, t.symbol),
                           ("order_id", o.order_id, t.order_id)):
            if a != b:
                kind, severity = FIELD_BREAKS[name]
                numeric = name in ("qty", "price", "fee")
                breaks.append(Break(kind, severity, ours_source, theirs_source, name, a, b,
                                    (b - a) if numeric else None, exec_id=exec_id, order_id=o.order_id,
                                    cl_ord_id=o.cl_ord_id, ticker=o.symbol, subaccount=o.subaccount))
    only_ours = [e for e in mine if e not in other]
    return breaks, only_ours, only_theirs


def _px(r: ExecReport) -> int:
    return r.last_px if r.last_px is not None else (r.price or 0)

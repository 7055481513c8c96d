"""End-of-day report: Markdown a person reads, with a hand-written SVG chart of position and P&L.

Per market and subaccount: net position, contracts bought / sold, realized P&L, fees, P&L net of
fees, the exchange's position when REST was read, and the break list. The chart plots each
market's net position (top panel) and the account's P&L (bottom) after every journal fill, as
step lines over the trading day (UTC). P&L on the chart is realized P&L net of fees plus the open
position marked at the market's last own fill price (the only price the journal knows).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape
from pathlib import Path

from fixengine.engine.positions import Position
from fixengine.recon.fills import FillSet
from fixengine.recon.output import count_text, dollars, value_text
from fixengine.recon.reconcile import ReconResult
from fixengine.recon.sources import JournalView, RestView

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
MAX_SERIES = len(COLORS)


@dataclass(slots=True)
class Timeline:
    times: list[float]  # seconds since the first fill's midnight UTC (or fill index when no times)
    nets: dict[tuple[str, int], list[int]]  # per market: net after each fill
    pnl: list[int]  # account P&L (money units) after each fill
    day: str  # YYYY-MM-DD of the first fill, "" when unknown
    timed: bool


def _seconds(text: str | None) -> float | None:
    if not text:
        return None
    for fmt in ("%Y%m%d-%H:%M:%S.%f", "%Y%m%d-%H:%M:%S"):
        try:
            t = dt.datetime.strptime(text, fmt)
            return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6 + (t.toordinal() * 86400.0)
        except ValueError:
            continue
    try:
        t = dt.datetime.fromisoformat(text)
        return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6 + (t.toordinal() * 86400.0)
    except ValueError:
        return None


def timeline(fills: FillSet) -> Timeline:
    positions: dict[tuple[str, int], Position] = {}
    marks: dict[tuple[str, int], int] = {}
    stamps = [_seconds(t) for t in fills.time]
    timed = bool(stamps) and all(s is not None for s in stamps)
    base = (min(stamps) // 86400) * 86400 if timed else 0.0
    day = dt.date.fromordinal(int(base // 86400)).isoformat() if timed else ""
    keys = sorted({(s, int(sub)) for s, sub in zip(fills.symbol, fills.subaccount.tolist())})
    nets: dict[tuple[str, int], list[int]] = {k: [] for k in keys}
    times: list[float] = []
    pnl: list[int] = []
    order = sorted(range(len(fills)), key=lambda i: stamps[i]) if timed else range(len(fills))
    for i in order:
        key = (fills.symbol[i], int(fills.subaccount[i]))
        p = positions.get(key)
        if p is None:
            p = positions[key] = Position(key[0], key[1])
        price = int(fills.price[i])
        p.apply(int(fills.side[i]) == 1, price, int(fills.qty[i]), int(fills.fee[i]))
        marks[key] = price
        times.append(stamps[i] - base if timed else float(len(times)))
        for k in keys:
            nets[k].append(positions[k].net if k in positions else 0)
        pnl.append(sum(_marked(pos, marks[k]) for k, pos in positions.items()))
    return Timeline(times, nets, pnl, day, timed)


def _marked(p: Position, mark: int) -> int:
    if p.net > 0:
        open_pnl = mark * p.net - p.open_value
    elif p.net < 0:
        open_pnl = p.open_value - mark * -p.net
    else:
        open_pnl = 0
    return p.realized - p.fees + open_pnl


# ---------------------------------------------------------------------------- SVG
def svg_chart(tl: Timeline, width: int = 820, panel: int = 190) -> str:
    left, right, top, gap = 70, 230, 30, 50
    height = top + 2 * panel + gap + 40
    plot_w = width - left - right
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="18" font-size="13" font-weight="bold">Position and P&amp;L over the day'
           f'{" " + tl.day + " (UTC)" if tl.day else ""}</text>']
    if not tl.times:
        out.append(f'<text x="{left}" y="{top + 40}">no fills in the journal</text></svg>')
        return "\n".join(out)
    t0, t1 = min(tl.times), max(tl.times)
    if t1 == t0:
        t1 = t0 + 1

    def x(t: float) -> float:
        return left + (t - t0) / (t1 - t0) * plot_w

    series = list(tl.nets.items())[:MAX_SERIES]
    pos_values = [v / 100 for _, vals in series for v in vals] + [0.0]
    out += _panel(top, panel, left, plot_w, "net position (contracts, +YES / -NO)", pos_values, x, tl,
                  [(f"{k[0]}" + (f" /{k[1]}" if k[1] else ""), [v / 100 for v in vals], COLORS[n])
                   for n, (k, vals) in enumerate(series)], width - right + 10)
    pnl_values = [v / 1e6 for v in tl.pnl] + [0.0]
    out += _panel(top + panel + gap, panel, left, plot_w, "P&L, $ (realized - fees + open at last fill)",
                  pnl_values, x, tl, [("account P&L", [v / 1e6 for v in tl.pnl], "#000000")], width - right + 10)
    out.append("</svg>")
    return "\n".join(out)


def _panel(y0: int, h: int, left: int, w: int, title: str, values: list[float], x, tl: Timeline,
           lines: list[tuple[str, list[float], str]], legend_x: int) -> list[str]:
    lo, hi = min(values), max(values)
    if hi == lo:
        hi, lo = hi + 1, lo - 1
    pad = (hi - lo) * 0.08
    lo, hi = lo - pad, hi + pad

    def y(v: float) -> float:
        return y0 + h - (v - lo) / (hi - lo) * h

    out = [f'<rect x="{left}" y="{y0}" width="{w}" height="{h}" fill="none" stroke="#999"/>',
           f'<text x="{left}" y="{y0 - 6}" font-weight="bold">{escape(title)}</text>',
           f'<line x1="{left}" y1="{y(0):.1f}" x2="{left + w}" y2="{y(0):.1f}" stroke="#ccc" stroke-dasharray="4 3"/>']
    for v in (lo + pad, (lo + hi) / 2, hi - pad):
        out.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:,.2f}</text>')
    for t in (min(tl.times), (min(tl.times) + max(tl.times)) / 2, max(tl.times)):
        label = _clock(t) if tl.timed else f"fill {int(t) + 1}"
        out.append(f'<text x="{x(t):.1f}" y="{y0 + h + 14}" text-anchor="middle">{label}</text>')
    for n, (name, vals, color) in enumerate(lines):
        pts: list[str] = []
        prev = 0.0
        for t, v in zip(tl.times, vals):
            pts.append(f"{x(t):.1f},{y(prev):.1f}")
            pts.append(f"{x(t):.1f},{y(v):.1f}")
            prev = v
        pts.append(f"{left + w:.1f},{y(prev):.1f}")
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.6" points="{" ".join(pts)}"/>')
        ly = y0 + 12 + n * 15
        out.append(f'<rect x="{legend_x}" y="{ly - 8}" width="10" height="10" fill="{color}"/>')
        label = name if len(name) <= 34 else name[:33] + "\u2026"
        out.append(f'<text x="{legend_x + 14}" y="{ly + 1}">{escape(label)}</text>')
    return out


def _clock(seconds: float) -> str:
    s = int(seconds) % 86400
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


# ---------------------------------------------------------------------------- Markdown
def markdown(view: JournalView, result: ReconResult, rest: RestView | None = None, chart: str | None = None,
             title: str = "End-of-day reconciliation") -> str:
    tl_day = timeline(view.fills).day
    lines = [f"# {title}{' — ' + tl_day if tl_day else ''}", ""]
    status = "**CLEAN** — every source agrees" if result.clean else f"**{len(result.breaks)} break(s)**"
    lines += [f"Sources: {', '.join(result.sources)}. Result: {status}.", "",
              f"Journal: {view.path}; {len(view.tracker.orders)} orders, {len(view.fills)} fills.", ""]
    lines += ["## Positions and P&L per market", "",
              "| market | sub | net | bought | sold | realized P&L $ | fees $ | P&L net of fees $ | exchange net |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    tot = [0, 0, 0]
    for (ticker, sub), p in sorted(view.positions.positions.items()):
        theirs = "-"
        if rest is not None:
            rp = rest.positions.get((ticker, sub))
            theirs = count_text(rp.position) if rp is not None else ("settled" if (ticker, sub) in rest.settlements
                                                                       else "0.00")
        lines.append(f"| {ticker} | {sub} | {count_text(p.net)} | {count_text(p.bought)} | {count_text(p.sold)} | "
                     f"{dollars(p.realized)} | {dollars(p.fees)} | {dollars(p.pnl)} | {theirs} |")
        tot[0] += p.realized
        tot[1] += p.fees
        tot[2] += p.pnl
    lines += [f"| **total** | | | | | {dollars(tot[0])} | {dollars(tot[1])} | {dollars(tot[2])} | |", ""]
    if rest is not None and rest.settlements:
        lines += ["## Settlements (REST)", "", "| market | sub | result | YES held | NO held | revenue $ |",
                  "|---|---:|---|---:|---:|---:|"]
        for (ticker, sub), s in sorted(rest.settlements.items()):
            lines.append(f"| {ticker} | {sub} | {s.market_result} | {count_text(s.yes_count)} | "
                         f"{count_text(s.no_count)} | {dollars(s.revenue_cents * 10_000)} |")
        lines.append("")
    if chart:
        lines += ["## Position and P&L over the day", "", f"![position and P&L]({chart})", ""]
    lines += ["## Breaks", ""]
    if result.clean:
        lines.append("None.")
    else:
        lines += ["| severity | type | market | sub | ExecID / OrderID | field | ours | theirs | diff | vs | fix |",
                  "|---|---|---|---:|---|---|---:|---:|---:|---|---|"]
        for b in result.breaks:
            lines.append(f"| {b.severity.value} | {b.type.value} | {b.ticker or '-'} | "
                         f"{'-' if b.subaccount is None else b.subaccount} | "
                         f"{b.exec_id or b.order_id or b.cl_ord_id or '-'} | {b.field} | "
                         f"{value_text(b.field, b.ours)} | {value_text(b.field, b.theirs)} | "
                         f"{value_text(b.field, b.diff)} | {b.theirs_source} | {b.fix.replace('|', '/')} |")
    lines.append("")
    lines.append("Units: net, bought, sold in contracts; money in dollars (4 decimals).")
    return "\n".join(lines) + "\n"


def write_eod(out_dir: str | Path, view: JournalView, result: ReconResult, rest: RestView | None = None) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "eod.svg").write_text(svg_chart(timeline(view.fills)) + "\n", "utf-8")
    path = out / "eod.md"
    path.write_text(markdown(view, result, rest, chart="eod.svg"), "utf-8")
    return path

"""Issue-6 flows against the simulator: RFQ steps, order-group requests and settlement pages, each
next to a baseline measured in the same run.

One simulator (KalshiRT, KalshiRFQ, KalshiPT; plain TCP on 127.0.0.1, fresh keys, a manual
exchange clock) runs in this process on its own QuickFIX threads. Clients, all threaded:
  creator   Engine on KalshiRT: RFQs (engine.rfq), order groups (engine.groups), plain orders
  maker     RfqMaker on KalshiRFQ (another user): quotes every RFQ through quote_fn, confirms
            every accepted quote through confirm_fn
  settler   SettlementClient on KalshiPT of a third user holding the settled markets in many
            subaccounts (one party entry each), its own Book and SQLite journal

1. RFQ creator round trips, per cycle: R -> b (ack), R -> quote seen by the creator (through the
   maker's quote_fn and 35=S), UA -> UC, the maker's U7 -> U8, and execution timer -> the
   creator's fill. Baseline: NewOrderSingle -> ack (150=0) on the same creator Engine.
2. Order-group requests on the same Engine: UOG Create -> UOH, UOG Reset -> UOH, same baseline.
   Steps of 1, 2 and the baseline are interleaved per cycle (shuffled), so drifting load on a
   shared machine hits them alike.
3. Settlement: (a) end to end, admin settle -> the batch delivered to on_batch on the PT client;
   (b) in-process, the pages recorded in (a) (report ids and symbol rewritten per replay) fed to
   a fresh SettlementProcessor (parse + dedup + book + journal + batch assembly), against a
   baseline of one 35=8 fill: parse + journal record + book position update.

    .venv/bin/python bench/rfq_settlement.py            # 2,000 cycles, 64 parties x 8 pages
    .venv/bin/python bench/rfq_settlement.py --quick    # 100 cycles, 16 parties x 4 pages
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from time import perf_counter_ns

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_lines, markdown_table, percentile, ratio  # noqa: E402

RFQ_MKT, ORDER_MKT = "KXBRFQ-26DEC31-A", "KXBORD-26DEC31-A"
STL_PREFIX = "KXBSTL-26DEC31-S"
CREATOR, MAKER, SETTLER, STL_MAKER = "bench-creator", "bench-maker", "bench-settler", "bench-stl-maker"
KEY_NAMES = ("creator_rt", "maker_rfq", "settler_pt", "stl_maker")
EXECUTION_TIMER_S = 15.1  # the exchange executes a confirmed quote 15 s after the accept
STL_PRICE = 3000  # the settler's subaccounts buy YES at $0.30 before each settlement
STL_WARMUP = 1  # settlements before the measured ones (first journal writes, kernel warm-up)
REPLAY_WARMUP = 5
WRITES_PER_CYCLE = 7  # D, F, UOG x 3, R, UA: every one spends Write-bucket tokens
BUDGET_SHARE = 0.5  # cycles are paced to half the tier's Write refill: no local waits, no 380=8
CLIENT_YAML = """\
environment: local-sim
host: 127.0.0.1
market_data_host: 127.0.0.1
rest_base_url: auto
tls:
  enabled: false
sessions:
  {kind}:
    port: {port}
    api_key_id: {key_id}
    private_key: {key_path}
    heartbeat: 30
    logon:
{logon}storage:
  message_store: memory
  journal_dir: {folder}/journal
risk:
  max_order_qty: 100
  max_order_notional: 1000.00
  max_position_per_market: 1000
  max_position_total: 10000
  max_open_orders: 100
  price_collar: 0.99
  daily_loss_limit: 1000000.00
rate_limit:
  tier: Prestige
quickfix:
  inbound_validation: lenient
  check_comp_id: true
"""
LOGON = {"RT": {"use_dollars": True, "skip_pending_exec_reports": True, "use_expired_ord_status": True},
         "RFQ": {"use_dollars": True}, "PT": {"use_dollars": True}}


# ====================================================================== time marks


class Marks:
    """First time (perf_counter_ns) each named step was seen by a callback; the bench thread waits on them."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.at: dict[str, int] = {}

    def mark(self, name: str) -> None:
        now = perf_counter_ns()
        with self._cond:
            if name not in self.at:
                self.at[name] = now
                self._cond.notify_all()

    def reset(self) -> None:
        with self._cond:
            self.at.clear()

    def wait(self, name: str, timeout: float = 5.0) -> int:
        with self._cond:
            if not self._cond.wait_for(lambda: name in self.at, timeout):
                raise TimeoutError(f"no '{name}' within {timeout} s (seen: {sorted(self.at)})")
            return self.at[name]


@dataclass
class Series:
    """Latency samples (ns) per measure, in insertion order of the measures."""

    samples: dict[str, list[int]] = field(default_factory=dict)

    def add(self, name: str, ns: int) -> None:
        self.samples.setdefault(name, []).append(ns)

    def stats(self, name: str) -> tuple[int, float, float, float]:
        """n, p50, p90, p99 in us."""
        values = sorted(v / 1000.0 for v in self.samples.get(name, []))
        if not values:
            return 0, 0.0, 0.0, 0.0
        return len(values), percentile(values, 50), percentile(values, 90), percentile(values, 99)


# ====================================================================== set-up


def _keys(folder: Path) -> dict[str, tuple[str, Path, Path]]:
    from fixengine.auth import write_key_pair

    ring = {}
    for name in KEY_NAMES:
        priv, pub = folder / f"{name}.key.pem", folder / f"{name}.pub.pem"
        write_key_pair(priv, pub)
        ring[name] = (str(uuid.uuid4()), priv, pub)
    return ring


def _sim_mapping(ring: dict, parties: int, rounds: int) -> dict:
    def key(name: str) -> dict:
        return {"key_id": ring[name][0], "public_key": str(ring[name][2]), "scopes": ["read", "write"]}

    markets = [RFQ_MKT, ORDER_MKT] + [f"{STL_PREFIX}{r:03d}" for r in range(STL_WARMUP + rounds)]
    return {
        "listen_host": "127.0.0.1",
        "ports": {"RT": 0, "RFQ": 0, "PT": 0},
        "tls": {"mode": "off"},
        "skew_tolerance_seconds": 3600,  # logons only: the exchange clock runs 15 s ahead per RFQ cycle
        "users": [
            {"user_id": CREATOR, "balance": "1000000.00", "tier": "Prestige", "keys": [key("creator_rt")]},
            {"user_id": MAKER, "balance": "1000000.00", "tier": "Prestige", "keys": [key("maker_rfq")]},
            {"user_id": SETTLER, "balance": "100000.00", "tier": "Prestige", "keys": [key("settler_pt")],
             "subaccounts": [{"number": k, "balance": "10000.00"} for k in range(1, parties)]},
            {"user_id": STL_MAKER, "balance": "10000000.00", "tier": "Prestige", "keys": [key("stl_maker")]},
        ],
        "markets": [{"ticker": t, "status": "open", "price_level_structure": "linear_cent"} for t in markets],
    }


def _client_cfg(folder: Path, ring: dict, name: str, kind: str, port: int):
    from fixengine.config import load_config

    key_id, priv, _ = ring[name]
    sub = folder / name
    sub.mkdir()
    logon = "".join(f"      {k}: {str(v).lower()}\n" for k, v in LOGON[kind].items())
    path = sub / "client.yaml"
    path.write_text(CLIENT_YAML.format(kind=kind, port=port, key_id=key_id, key_path=priv, logon=logon, folder=sub))
    return load_config(path)


@dataclass
class World:
    sim: object
    clock: object
    creator: object
    maker: object
    settler: object
    marks: Marks
    batches: dict  # symbol -> (perf_counter_ns when delivered, SettlementBatch)
    folder: Path
    cycle_ns: int = 0  # shortest start-to-start time of a cycle (Write-budget pacing)

    def close(self) -> None:
        for client in (self.settler, self.maker, self.creator):
            if client is None:
                continue
            try:
                client.close()
            except Exception as exc:  # noqa: BLE001 - teardown keeps going
                print(f"close failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        self.sim.stop()


def start_world(folder: Path, parties: int, page_size: int, rounds: int) -> World:
    from fixengine.config.types import SessionKind
    from fixengine.engine import Engine
    from fixengine.rfq import QuoteDecision, RfqMaker
    from fixengine.settlement import SettlementClient
    from fixengine.sim.config import sim_config_from_mapping
    from fixengine.sim.exchange.clock import ManualClock
    from fixengine.sim.gateway import GatewayOptions
    from fixengine.sim.server import Simulator

    ring = _keys(folder)
    config = sim_config_from_mapping(_sim_mapping(ring, parties, rounds))
    clock = ManualClock(datetime.now(timezone.utc))
    options = GatewayOptions(kinds=frozenset({SessionKind.RT, SessionKind.RFQ, SessionKind.PT}),
                             settlement_page_size=page_size)
    sim = Simulator(config, clock=clock, options=options, admin_port=None, tick_s=0, rest=False).start()
    marks, batches = Marks(), {}
    world = World(sim, clock, None, None, None, marks, batches, folder)
    try:
        creator_cfg = _client_cfg(folder, ring, "creator_rt", "RT", sim.ports["RT"])
        limits = creator_cfg.rate_limit
        world.cycle_ns = int(1e9 * WRITES_PER_CYCLE * limits.write_cost / (limits.write_tokens_per_s * BUDGET_SHARE))
        world.creator = Engine(creator_cfg, event_queue=False, journal_path=folder / "creator.sqlite")
        for market in config.markets:
            world.creator.set_tick_grid(market.ticker, market.grid, fractional=market.fractional)
        world.creator.on_event(lambda event: _on_creator_event(marks, event))

        def quote_fn(rfq):
            marks.mark("maker:rfq")
            return QuoteDecision(yes_bid="0.45", no_bid="0.52")

        def confirm_fn(quote):
            marks.mark("maker:confirm")  # confirm() sends the U7 right after this returns
            return True

        world.maker = RfqMaker(_client_cfg(folder, ring, "maker_rfq", "RFQ", sim.ports["RFQ"]), quote_fn, confirm_fn,
                               on_event=lambda event: marks.mark(f"maker:{event.step}"), event_queue=False)

        def on_batch(batch):
            batches[batch.symbol] = (perf_counter_ns(), batch)
            marks.mark(f"batch:{batch.symbol}")

        world.settler = SettlementClient(_client_cfg(folder, ring, "settler_pt", "PT", sim.ports["PT"]),
                                         journal_path=folder / "settler-settlements.sqlite", on_batch=on_batch)
        world.creator.connect()
        world.maker.connect()
        world.settler.connect()
    except BaseException:
        world.close()
        raise
    return world


def _on_creator_event(marks: Marks, event) -> None:
    from fixengine.engine import EventKind

    kind = event.kind
    if kind is EventKind.RFQ:
        marks.mark(f"rfq:{event.report.step}")
    elif kind is EventKind.ORDER_GROUP:
        marks.mark(f"group:{event.report.change}")
    elif event.order is not None:
        marks.mark(f"{kind.value}:{event.order.ticker}")


# ====================================================================== cycles


def order_cycle(w: World, series: Series, measure: bool) -> None:
    """Baseline: a resting NewOrderSingle -> its ack; then cancelled (not timed)."""
    w.marks.reset()
    t0 = perf_counter_ns()
    order = w.creator.new_order(ORDER_MKT, "buy_yes", "0.01", "1", "gtc")
    ack = w.marks.wait(f"ack:{ORDER_MKT}")
    if measure:
        series.add("order: D -> ack (baseline)", ack - t0)
    w.creator.cancel(order)
    w.marks.wait(f"done:{ORDER_MKT}")


def group_cycle(w: World, series: Series, measure: bool) -> None:
    """UOG Create -> UOH, UOG Reset -> UOH; then Delete (not timed)."""
    w.marks.reset()
    t0 = perf_counter_ns()
    group = w.creator.groups.create(limit_contracts=50)
    created = w.marks.wait("group:created")
    t1 = perf_counter_ns()
    w.creator.groups.reset(group)
    reset = w.marks.wait("group:reset")
    if measure:
        series.add("group: UOG create -> UOH", created - t0)
        series.add("group: UOG reset -> UOH", reset - t1)
    w.creator.groups.delete(group)
    w.marks.wait("group:deleted")


def rfq_cycle(w: World, series: Series, measure: bool, i: int) -> None:
    """One RFQ from request to execution; the creator alternates selling and buying YES."""
    from fixengine.rfq import RfqStatus

    marks = w.marks
    marks.reset()
    t0 = perf_counter_ns()
    rfq = w.creator.rfq.create(RFQ_MKT, qty="1")
    b_at, quote_at = marks.wait("rfq:ack"), marks.wait("rfq:quote")
    maker_at = marks.wait("maker:rfq")
    quote = next(iter(rfq.quotes.values()))
    t1 = perf_counter_ns()
    accept = w.creator.rfq.accept(quote, "sell_yes" if i % 2 == 0 else "buy_yes")
    uc_at = marks.wait("rfq:accepted")
    u7_at, u8_at = marks.wait("maker:confirm"), marks.wait("maker:confirmed")
    w.clock.advance(timedelta(seconds=EXECUTION_TIMER_S))
    t2 = perf_counter_ns()
    w.sim.tick()
    fill_at = marks.wait(f"fill:{RFQ_MKT}")
    if not w.creator.wait(lambda: rfq.status is RfqStatus.EXECUTED, 5.0):
        raise TimeoutError(f"RFQ {rfq.client_id} not executed: {rfq.status}")
    if measure:
        series.add("rfq: R -> b", b_at - t0)
        series.add("rfq: R -> maker quote_fn", maker_at - t0)
        series.add("rfq: R -> quote seen by creator", quote_at - t0)
        series.add("rfq: UA -> UC", uc_at - t1)
        series.add("rfq: maker U7 -> U8", u8_at - u7_at)
        series.add("rfq: timer tick -> creator fill", fill_at - t2)


def run_cycles(w: World, warmup: int, n: int, seed: int) -> tuple[Series, list[str]]:
    series, failures = Series(), []
    rng = random.Random(seed)
    next_at = perf_counter_ns()
    for i in range(warmup + n):
        gap = next_at - perf_counter_ns()
        if gap > 0:
            time.sleep(gap / 1e9)
        next_at = perf_counter_ns() + w.cycle_ns
        steps = [lambda m: order_cycle(w, series, m), lambda m: group_cycle(w, series, m),
                 lambda m, i=i: rfq_cycle(w, series, m, i)]
        rng.shuffle(steps)
        for step in steps:
            try:
                step(i >= warmup)
            except TimeoutError as exc:
                failures.append(f"cycle {i}: {exc}")
                if len(failures) > 5:
                    raise RuntimeError("too many failed cycles: " + "; ".join(failures)) from exc
    return series, failures


# ====================================================================== settlement


def settle_rounds(w: World, rounds: int, parties: int, series: Series) -> list[tuple[str, int]]:
    """Per round: subaccount k of the settler buys k+1 YES (admin orders), then the market settles."""
    from fixengine.model import Side

    done = []
    for r in range(STL_WARMUP + rounds):
        symbol = f"{STL_PREFIX}{r:03d}"
        total = parties * (parties + 1) // 2
        w.sim.add_liquidity(STL_MAKER, symbol, Side.SELL, STL_PRICE, total * 100)
        for k in range(parties):
            w.sim.add_liquidity(SETTLER, symbol, Side.BUY, STL_PRICE, (k + 1) * 100, subaccount=k)
        t0 = perf_counter_ns()
        w.sim.settle_market(symbol, "yes")
        at = w.marks.wait(f"batch:{symbol}", timeout=10.0)
        batch = w.batches[symbol][1]
        if len(batch.parties) != parties or not batch.complete:
            raise RuntimeError(f"{symbol}: batch of {len(batch.parties)} parties (want {parties}), "
                               f"complete={batch.complete}")
        if r >= STL_WARMUP:
            series.add("settle e2e: admin settle -> batch delivered", at - t0)
            series.add("settle e2e: same, per page", (at - t0) // batch.pages)
        done.append((symbol, batch.pages))
    return done


def replay_pages(w: World, symbol: str, replays: int, series: Series) -> tuple[int, int]:
    """Feed the recorded pages of `symbol` to fresh-id copies through one SettlementProcessor whose
    Book holds the positions the pages settle (so parties resolve by holding, as in production)."""
    from fixengine.book import Book
    from fixengine.model import Side
    from fixengine.session.parse import parse_settlement_report_text
    from fixengine.settlement import SettlementJournal, SettlementProcessor

    pages = [p.raw for p in w.settler.journal.pages(symbol)]  # in arrival order
    if not pages:
        raise RuntimeError(f"no recorded pages for {symbol}")
    parsed = [parse_settlement_report_text(raw) for raw in pages]
    book = Book()
    proc = SettlementProcessor(SettlementJournal(w.folder / "replay-settlements.sqlite"), book=book)
    delivered: list[int] = []
    matched = [0, 0]  # party entries whose subaccount was found by holding / all entries

    def on_batch(batch) -> None:
        delivered.append(perf_counter_ns())
        matched[0] += sum(party.cost is not None for party in batch.parties)
        matched[1] += len(batch.parties)

    proc.on_batch(on_batch)
    for j in range(REPLAY_WARMUP + replays):
        measure = j >= REPLAY_WARMUP  # the first batches open the journal and warm the book's kernels
        replay_symbol = f"KXBRPL-26DEC31-R{j:05d}"
        book.add_market(replay_symbol, "linear_cent")
        wires = []
        for raw, report in zip(pages, parsed):
            for party in report.parties:  # subaccount k held k+1 contracts
                book.positions.apply_fill(replay_symbol, Side.BUY, STL_PRICE, party.long_qty,
                                          subaccount=party.long_qty // 100 - 1)
            wires.append(raw.replace(report.report_id, str(uuid.uuid4())).replace(symbol, replay_symbol))
        t_batch = perf_counter_ns()
        for k, wire in enumerate(wires):
            t0 = perf_counter_ns()
            outcome = proc.process_wire(wire, "KalshiPT")
            t1 = perf_counter_ns()
            if outcome.status != "applied":
                raise RuntimeError(f"replayed page refused: {outcome.status} {outcome.error}")
            if not measure:
                continue
            if k < len(wires) - 1:
                series.add("settle page: parse+book+journal (not closing)", t1 - t0)
                series.add("settle page: same, per party entry", (t1 - t0) // len(parsed[k].parties))
            else:
                series.add("settle page: closing page -> batch delivered", delivered[-1] - t0)
        if measure:
            series.add("settle batch: all pages -> batch delivered", delivered[-1] - t_batch)
            for wire in wires[:-1]:  # where a page's time goes: the parse alone
                t0 = perf_counter_ns()
                parse_settlement_report_text(wire, "KalshiPT")
                series.add("settle page: parse only (not closing)", perf_counter_ns() - t0)
    proc.close()
    return len(pages), len(parsed[0].parties), matched[0], matched[1]


def er_baseline(folder: Path, count: int, series: Series) -> None:
    """One 35=8 fill as the engine takes it: parse the wire, journal it, update the book's position."""
    from roundtrip import _report_template  # the simulator-shaped ExecutionReport the round-trip bench uses

    from fixengine.book import Book
    from fixengine.engine.journal import Journal
    from fixengine.model import Side
    from fixengine.session.parse import parse_exec_report_text

    template = _report_template("1", fill=True)
    template.setField(55, ORDER_MKT)
    journal, book = Journal(folder / "baseline-orders.sqlite"), Book()
    book.add_market(ORDER_MKT, "linear_cent")
    wires = []
    for i in range(count):
        template.setField(17, f"exec-{i}")
        template.setField(11, f"cl-{i}")
        wires.append(template.toString())
    for wire in wires:
        t0 = perf_counter_ns()
        report = parse_exec_report_text(wire, True, "KalshiRT")
        journal.exec_report(report, wire)
        book.positions.apply_fill(report.symbol, Side.BUY, report.last_px, report.last_qty, fee=0)
        series.add(ER_BASE, perf_counter_ns() - t0)
    for wire in wires:
        t0 = perf_counter_ns()
        parse_exec_report_text(wire, True, "KalshiRT")
        series.add(ER_PARSE, perf_counter_ns() - t0)
    journal.close()


# ====================================================================== report

BASE, ER_BASE = "order: D -> ack (baseline)", "35=8 fill: parse+journal+book (baseline)"
ER_PARSE = "35=8 fill: parse only"


def _rows(series: Series, names: list[str], base: str) -> list[list[str]]:
    ref = series.stats(base)
    rows = []
    for name in names:
        n, p50, p90, p99 = series.stats(name)
        if n == 0:
            continue
        rows.append([name, f"{n:,}", f"{p50:.1f}", f"{p90:.1f}", f"{p99:.1f}",
                     "-" if name == base else ratio(p50, ref[1]), "-" if name == base else ratio(p99, ref[3])])
    return rows


HEADERS = ["measure", "n", "p50 us", "p90 us", "p99 us", "p50 / baseline", "p99 / baseline"]
NOTES = """\
How to read this
- Round trips run from just before the client call (create / accept / groups.create / new_order)
  to the moment the client's callback sees the answer (engine event, maker event, on_batch): the
  engine's parsing, state, journal and event delivery are inside. U7 -> U8 starts in the maker's
  confirm_fn, right before it sends the U7. "timer tick -> creator fill": the exchange clock is
  moved past the 15 s execution timer, then the fill travels to the creator.
- The simulator shares this process (and its GIL) with the clients, on 2 CPUs shared with
  everything else: compare a row with its baseline from the same run, not runs with each other.
- Cycles interleave baseline, group and RFQ steps in a shuffled order; one request in flight.
  Cycles start at most every {cycle_ms:.1f} ms: half the tier's Write refill, so no step waits
  for the engine's Write bucket (the waits counter below the table says whether one did).
- Settlement e2e: every round settles a market held by the PT user's subaccounts 0..P-1 (one
  party entry each), paged by the simulator; one warm-up settlement first, not counted. The figure
  includes the simulator's own work (payouts, pages) and the PT client's per-page processing.
- Settlement in-process: the recorded pages are replayed with new report ids and symbol into one
  SettlementProcessor (WAL SQLite journal, numba Book holding the settled positions)."""


def report(series: Series, args, failures: list[str], stl: tuple[int, int, int], elapsed: float, creator) -> str:
    pages, parties_per_page, matched, entries, replays = stl
    rfq_names = [name for name in series.samples if name.startswith(("rfq:", "group:"))]
    e2e_names = [name for name in series.samples if name.startswith("settle e2e")]
    stl_names = [name for name in series.samples if name.startswith("settle") and name not in e2e_names]
    out = [f"# RFQ, order groups and settlement ({args.n:,} cycles after {args.warmup:,} warm-up; "
           f"{args.rounds} settlements of {args.parties} parties, {args.page_size} per page)", "",
           "Machine:", machine_lines(), "",
           "## RFQ and order-group round trips vs a plain order ack (same creator Engine, KalshiRT)", "",
           markdown_table(HEADERS, _rows(series, [BASE] + rfq_names, BASE)), "",
           f"## Settlement end to end vs the same order ack ({args.parties} party entries, "
           f"{args.page_size} per page, PT client)", "",
           markdown_table(HEADERS, _rows(series, [BASE] + e2e_names, BASE)), "",
           f"## Settlement pages on the client vs one ExecutionReport, in-process ({pages} pages of <= "
           f"{parties_per_page} parties, {replays} replays of the recorded batch)", "",
           markdown_table(HEADERS, _rows(series, [ER_BASE, ER_PARSE] + stl_names, ER_BASE)), "",
           f"- replayed party entries matched to the book's holdings (cost and realized P&L known): "
           f"{matched:,} of {entries:,}",
           f"- creator counters: local Write-bucket waits {creator.throttle.throttled}, 380=8 from the exchange "
           f"{creator.throttle.exchange_limited}, callback errors {creator.callback_errors}, parse errors "
           f"{len(creator.parse_errors)}"]
    if failures:
        out += ["", f"## Failed cycles ({len(failures)}, excluded)", "", *(f"- {f}" for f in failures[:10])]
    out += ["", NOTES.format(cycle_ms=args.cycle_ns / 1e6), "", f"Wall time {elapsed:.0f} s."]
    return "\n".join(out)


# ====================================================================== main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="RFQ / order-group / settlement round trips vs baselines")
    parser.add_argument("--quick", action="store_true", help="100 cycles, 5 settlements of 16 parties (~10 s)")
    parser.add_argument("--n", type=int, default=None, help="measured cycles (default 2,000)")
    parser.add_argument("--warmup", type=int, default=None, help="warm-up cycles (default 100)")
    parser.add_argument("--rounds", type=int, default=None, help="end-to-end settlements (default 50)")
    parser.add_argument("--parties", type=int, default=None, help="subaccounts settled per market, 1-64 (default 64)")
    parser.add_argument("--page-size", type=int, default=None, help="party entries per UMS page (default 8)")
    parser.add_argument("--replays", type=int, default=None, help="in-process batch replays (default 500)")
    parser.add_argument("--seed", type=int, default=6, help="step shuffle seed")
    args = parser.parse_args(argv)
    quick = args.quick
    args.n = args.n if args.n is not None else (100 if quick else 2_000)
    args.warmup = args.warmup if args.warmup is not None else (10 if quick else 100)
    args.rounds = args.rounds if args.rounds is not None else (5 if quick else 50)
    args.parties = args.parties if args.parties is not None else (16 if quick else 64)
    args.page_size = args.page_size if args.page_size is not None else (4 if quick else 8)
    args.replays = args.replays if args.replays is not None else (50 if quick else 500)
    if not 1 <= args.parties <= 64:
        parser.error(f"--parties {args.parties}: 1-64 (the primary account and 63 subaccounts)")
    if args.n < 1 or args.rounds < 1 or args.replays < 1 or args.page_size < 1:
        parser.error("--n, --rounds, --replays and --page-size must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fixengine-bench-rfq-") as tmp:
        folder = Path(tmp)
        world = start_world(folder, args.parties, args.page_size, args.rounds)
        try:
            print(f"connected; {args.warmup + args.n:,} cycles, {args.rounds} settlements...", file=sys.stderr,
                  flush=True)
            args.cycle_ns = world.cycle_ns
            series, failures = run_cycles(world, args.warmup, args.n, args.seed)
            settled = settle_rounds(world, args.rounds, args.parties, series)
            replay = replay_pages(world, settled[0][0], args.replays, series)
            pages = replay[0]
            er_baseline(folder, max(args.replays * pages, 200), series)
            callback_errors = world.sim.gateway.stats()["callback_errors"]
            text = report(series, args, failures, (*replay, args.replays),
                          time.monotonic() - started, world.creator)
        finally:
            world.close()
    print(text)
    if callback_errors:
        print(f"simulator callback errors: {callback_errors}", file=sys.stderr)
        return 1
    return 1 if len(failures) > max(1, args.n // 100) else 0


if __name__ == "__main__":
    sys.exit(main())

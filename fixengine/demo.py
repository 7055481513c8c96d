"""`fixengine demo` (what `make demo` runs): a short trading session against the embedded simulator.

It starts the Kalshi simulator in-process on free loopback ports, generates throw-away keys,
logs on two accounts over real FIX sessions (a market maker on KalshiNR + KalshiRFQ and a trader
on KalshiRT), and walks through resting and crossing orders (a NO-side order and a subpenny market
included), a replace, a cancel, an exchange reject with its reason, a pre-trade risk block, a mass
cancel, an order group tripping, one RFQ from request to execution, and two markets settling into
realized P&L (demo_flows.py), then prints the final orders and positions.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from fixengine import demo_flows
from fixengine.config import load_config
from fixengine.config.types import SessionKind, TlsConfig
from fixengine.engine.engine import Engine
from fixengine.engine.orders import Order
from fixengine.pricing import format_money, format_price_dollars, format_qty
from fixengine.rest.cache import ReferenceCache
from fixengine.rest.client import KalshiRestClient
from fixengine.rfq.maker import RfqMaker
from fixengine.rfq.maker_records import QuoteDecision
from fixengine.settlement.client import SettlementClient
from fixengine.sim.config import load_sim_config
from fixengine.sim.provision import provision_keys
from fixengine.sim.server import Simulator

REPO = Path(__file__).resolve().parents[1]
SIM_CONFIG = REPO / "config" / "simulator.yaml"
TRADER_CONFIG = REPO / "config" / "local-sim.yaml"
MAKER_CONFIG = REPO / "config" / "local-sim-maker.yaml"

WEATHER = "KXHIGHNY-26NOV25-B55.5"  # linear_cent
CRYPTO = "KXBTC15M-26NOV251700-T95000"  # tapered_deci_cent: $0.001 ticks below $0.10


def register(subparsers) -> None:
    parser = subparsers.add_parser("demo", help="trade against the embedded Kalshi simulator (make demo)")
    parser.add_argument("--sim-config", default=str(SIM_CONFIG), help="simulator config (default: %(default)s)")
    parser.set_defaults(func=run)


def say(text: str) -> None:
    print(text, flush=True)


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    sim_config = load_sim_config(args.sim_config)
    written = provision_keys(sim_config)
    say(f"keys      generated {len(written)} throw-away key pairs under {_common_dir(written.values())}")
    work = Path(tempfile.mkdtemp(prefix="fixengine-demo-"))
    try:
        with Simulator(sim_config, admin_port=None) as sim, ExitStack() as sessions:
            ports = ", ".join(f"{kind} {port}" for kind, port in sorted(sim.ports.items()))
            say(f"simulator listening on 127.0.0.1: {ports}")
            grids = _reference_data(sim)
            # Kalshi's REST no longer reports a per-market fractional flag; the simulator's config does.
            fractional = {m.ticker: m.fractional for m in sim.config.markets}
            # Every client is closed (QuickFIX objects released) before the simulator stops, also
            # when a logon fails half-way: left to interpreter exit, QuickFIX teardown can crash.
            maker = _engine(sessions, MAKER_CONFIG, sim, work / "maker", grids, fractional, "NR")
            trader = _engine(sessions, TRADER_CONFIG, sim, work / "trader", grids, fractional, "RT")
            quoter = _rfq_maker(sessions, sim, maker, grids, work / "quoter")
            _post_trade(sessions, sim, maker, work / "maker")
            _session(maker, trader)
            demo_flows.order_group(maker, trader, 10)
            demo_flows.rfq(maker, trader, quoter, 11)
            demo_flows.settlement(sim, maker, trader, 12)
            _print_tables(maker, trader)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    say(f"\ndone in {time.monotonic() - started:.1f} s")
    return 0


def _reference_data(sim: Simulator) -> dict:
    """Markets and tick grids through the simulator's REST face, as against Kalshi."""
    with KalshiRestClient(sim.rest.url, tier=None) as client:
        cache = ReferenceCache(client)
        try:
            grids = cache.preload(status=None)
        finally:
            cache.close()
    structures = ", ".join(sorted({str(g.num_levels) for g in grids.values()}))
    say(f"REST      {sim.rest.url}: {len(grids)} markets with tick grids (levels per grid: {structures})")
    return grids


def _common_dir(paths) -> str:
    folders = {str(Path(p).parent) for p in paths}
    return folders.pop() if len(folders) == 1 else ", ".join(sorted(folders))


def _sim_endpoints(config_path: Path, sim: Simulator, work: Path):
    """The client config pointed at this simulator run, with its stores in the run's work dir: the
    simulator starts from sequence number 1 every run, so yesterday's RT/PT store must not be used."""
    cfg = load_config(config_path)
    ports = {kind: port for kind, port in sim.ports.items() if kind in {k.value for k in cfg.sessions}}
    # The simulator terminates TLS with a certificate it generated at start: trust exactly that one.
    tls = TlsConfig(enabled=True, ca_file=sim.tls_cert) if sim.tls_cert is not None else None
    work.mkdir(parents=True, exist_ok=True)
    storage = dataclasses.replace(cfg.storage, store_dir=work / "store", log_dir=None, journal_dir=work)
    return dataclasses.replace(cfg.with_endpoints(ports=ports, tls=tls), storage=storage)


def _engine(sessions: ExitStack, config_path: Path, sim: Simulator, work: Path, grids, fractional,
            session: str) -> Engine:
    engine = Engine(_sim_endpoints(config_path, sim, work), session=session, journal_path=work / "journal.sqlite")
    sessions.callback(engine.close)
    for ticker, grid in grids.items():
        engine.set_tick_grid(ticker, grid, fractional=fractional.get(ticker))
    engine.connect()
    say(f"logon     {config_path.name}: {engine.session_cfg.api_key_id} on Kalshi{engine.kind.value} "
        f"({'dollars' if engine.use_dollars else 'cents'})")
    return engine


def _quote(rfq) -> QuoteDecision:
    """The maker's RFQ strategy hook: bid 0.42 for YES and 0.55 for NO (sum 0.97 <= $1)."""
    return QuoteDecision(yes_bid="0.42", no_bid="0.55")


def _rfq_maker(sessions: ExitStack, sim: Simulator, maker: Engine, grids, work: Path) -> RfqMaker:
    hvm = [m.ticker for m in sim.config.markets if m.high_volatility]
    quoter = RfqMaker(_sim_endpoints(MAKER_CONFIG, sim, work), _quote, tick_grids=grids, hvm_markets=hvm,
                      engine=maker)
    sessions.callback(quoter.close)
    quoter.connect()
    say(f"logon     {MAKER_CONFIG.name}: {quoter.session_cfg.api_key_id} on KalshiRFQ (quotes RFQs)")
    return quoter


def _post_trade(sessions: ExitStack, sim: Simulator, maker: Engine, work: Path) -> SettlementClient:
    """The maker's order-entry session is KalshiNR: its settlement reports come on KalshiPT."""
    cfg = _sim_endpoints(MAKER_CONFIG, sim, work / "post-trade")
    client = SettlementClient(cfg, engine=maker, journal_path=work / "settlements.sqlite")
    sessions.callback(client.close)
    client.connect()
    say(f"logon     {MAKER_CONFIG.name}: {cfg.session(SessionKind.PT).api_key_id} on KalshiPT (settlement reports)")
    return client


def _settle(engine: Engine, order: Order, done=lambda o: o.status.value != "pending_new") -> Order:
    engine.wait(lambda: done(order) and not order.pending, timeout=5.0)
    return order


def _show(who: str, order: Order) -> None:
    extra = f" reason={order.reject_reason}" if order.reject_reason else ""
    avg = format_price_dollars(order.avg_px) if order.avg_px is not None else "-"
    say(f"          {who:<6} {order.user_side:<8} {order.ticker:<28} {format_qty(order.qty):>7} @ "
        f"{format_price_dollars(order.user_price)}  -> {order.status.value} filled {format_qty(order.cum_qty)}"
        f" avg {avg}{extra}")


def _session(maker: Engine, trader: Engine) -> None:
    say("\n1. maker quotes both sides of the weather market (resting orders)")
    bid = _settle(maker, maker.new_order(WEATHER, "buy_yes", "0.45", "20", "gtc"))
    ask = _settle(maker, maker.new_order(WEATHER, "sell_yes", "0.48", "20", "gtc"))
    _show("maker", bid)
    _show("maker", ask)

    say("\n2. trader lifts the offer: buy 5 YES at 0.48 (crosses)")
    lift = _settle(trader, trader.new_order(WEATHER, "buy_yes", "0.48", "5", "ioc"), lambda o: o.is_done)
    _show("trader", lift)

    say("\n3. trader buys NO at 0.55 == sells YES at 0.45 into the maker's bid")
    no_buy = _settle(trader, trader.new_order(WEATHER, "buy_no", "0.55", "3", "ioc"), lambda o: o.is_done)
    _show("trader", no_buy)

    say("\n4. subpenny market: maker bids 0.095 (a $0.001 tick), trader sells into it")
    sub_bid = _settle(maker, maker.new_order(CRYPTO, "buy_yes", "0.095", "10", "gtc"))
    sub_hit = _settle(trader, trader.new_order(CRYPTO, "sell_yes", "0.095", "4", "ioc"), lambda o: o.is_done)
    _show("maker", sub_bid)
    _show("trader", sub_hit)

    say("\n5. maker replaces the weather bid: 0.45 -> 0.44, size 20 -> 25 (total, incl. the 3 filled)")
    maker.replace(bid, price="0.44", qty="25")
    _settle(maker, bid, lambda o: o.price == 4400)
    _show("maker", bid)

    say("\n6. maker cancels the weather offer")
    maker.cancel(ask)
    _settle(maker, ask, lambda o: o.is_done)
    _show("maker", ask)

    say("\n7. the exchange rejects an order for a market it does not list")
    unknown = _settle(trader, trader.new_order("KXNOSUCH-26NOV25", "buy_yes", "0.50", "1", "gtc"),
                      lambda o: o.is_done)
    _show("trader", unknown)

    say("\n8. pre-trade risk blocks an order above max_order_qty before it is sent")
    blocked = trader.new_order(WEATHER, "buy_yes", "0.40", "1000", "gtc")
    _show("trader", blocked)

    say("\n9. maker mass-cancels everything still resting")
    resting = [o for o in (bid, sub_bid) if o.is_open]
    maker.mass_cancel()
    maker.wait(lambda: all(o.is_done for o in resting), timeout=5.0)
    for order in resting:
        _show("maker", order)


def _print_tables(maker: Engine, trader: Engine) -> None:
    say("\nFinal orders")
    say(f"  {'account':<7} {'side':<8} {'ticker':<28} {'qty':>7} {'price':>7} {'filled':>7} {'status':<10} reason")
    for who, engine in (("maker", maker), ("trader", trader)):
        for order in engine.orders.values():
            say(f"  {who:<7} {order.user_side:<8} {order.ticker:<28} {format_qty(order.qty):>7} "
                f"{format_price_dollars(order.user_price):>7} {format_qty(order.cum_qty):>7} "
                f"{order.status.value:<10} {order.reject_reason or ''}")
    say("\nFinal positions from the numba book (YES/NO held, cost basis, realized P&L before fees, fees)")
    say(f"  {'account':<7} {'ticker':<28} {'YES':>7} {'NO':>7} {'exposure':>9} {'realized':>9} {'fees':>8}")
    for who, engine in (("maker", maker), ("trader", trader)):
        for ticker in engine.book.markets():
            pos = engine.book.positions.position(ticker)
            if not (pos.yes_qty or pos.no_qty or pos.realized_pnl or pos.fees):
                continue
            say(f"  {who:<7} {ticker:<28} {format_qty(pos.yes_qty):>7} {format_qty(pos.no_qty):>7} "
                f"{format_money(pos.exposure):>9} {format_money(pos.realized_pnl):>9} {format_money(pos.fees):>8}")
        total = engine.book.positions.account_totals()
        say(f"  {who:<7} {'(account total)':<28} {'':>7} {'':>7} {format_money(total.exposure):>9} "
            f"{format_money(total.realized_pnl):>9} {format_money(total.fees):>8}")

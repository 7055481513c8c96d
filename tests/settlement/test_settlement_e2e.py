"""Settlement reports end to end over real sockets against the simulator (KalshiPT and KalshiRT).

Two accounts trade over FIX: the trader on KalshiNR (its book fed by the fills) with a
SettlementClient on KalshiPT settling into that book, the maker on KalshiRT with 20127=Y (the
engine's own settlement handling). The simulator settles each market (final: every test uses
markets of its own) and both sides must end flat with realized P&L = settlement value - cost.
"""

from __future__ import annotations

import gc
import io
import json
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from fixengine.cli import main
from fixengine.config import load_config
from fixengine.config.types import SessionKind
from fixengine.engine import Engine, EventKind, OrderStatus
from fixengine.settlement import SettlementBatch, SettlementClient, SettlementJournal
from fixengine.sim.config import sim_config_from_mapping
from fixengine.sim.exchange.clock import ManualClock
from fixengine.sim.gateway import GatewayOptions
from fixengine.sim.server import Simulator

sys.path.insert(0, str(Path(__file__).parent.parent / "session"))
from kalshi_test_acceptor import make_keyring, sim_key, write_client_config  # noqa: E402
from contextlib import redirect_stderr, redirect_stdout  # noqa: E402

pytestmark = pytest.mark.slow

YES_MKT, NO_MKT, SCALAR_MKT, OFFLINE_MKT, CLI_MKT, PAGED_MKT = (
    "KXSTL-26DEC31-Y", "KXSTL-26DEC31-N", "KXSTL-26DEC31-S", "KXSTL-26DEC31-O", "KXSTL-26DEC31-C", "KXSTL-26DEC31-P")
KEYS = ("t_nr", "t_pt", "m_rt", "t_pt_cli")
TRADER_LOGON = {"use_dollars": True, "skip_pending_exec_reports": True, "use_expired_ord_status": True}


@pytest.fixture(scope="module")
def keyring(tmp_path_factory):
    return make_keyring(tmp_path_factory.mktemp("stlkeys"), KEYS)


@pytest.fixture(scope="module")
def sim(keyring):
    def key(name):
        return sim_key(keyring, name)

    mapping = {
        "listen_host": "127.0.0.1", "ports": {"NR": 0, "RT": 0, "PT": 0}, "tls": {"mode": "off"},
        "users": [{"user_id": "trader-user", "balance": "10000.00", "tier": "Premier",
                   "subaccounts": [{"number": 1, "balance": "100.00"}],
                   "keys": [key("t_nr"), key("t_pt"), key("t_pt_cli")]},
                  {"user_id": "maker-user", "balance": "50000.00", "tier": "Premier", "keys": [key("m_rt")]}],
        "markets": [{"ticker": t, "status": "open", "price_level_structure": "linear_cent"}
                    for t in (YES_MKT, NO_MKT, SCALAR_MKT, OFFLINE_MKT, CLI_MKT, PAGED_MKT)],
    }
    # one party entry per UMS page: a user holding a market in two subaccounts gets a two-page batch
    options = GatewayOptions(kinds=frozenset({SessionKind.NR, SessionKind.RT, SessionKind.PT}), settlement_page_size=1)
    simulator = Simulator(sim_config_from_mapping(mapping), clock=ManualClock(datetime.now(timezone.utc)),
                          options=options, admin_port=None, tick_s=0.1, rest=False).start()
    yield simulator
    stats = simulator.gateway.stats()
    simulator.stop()
    assert stats["callback_errors"] == 0, stats["recent_callback_errors"]


def config(tmp: Path, keyring, name: str, kind: str, logon: dict, sim):
    key_id, priv, _ = keyring[name]
    tmp.mkdir(parents=True, exist_ok=True)
    path = write_client_config(tmp, {kind: (key_id, priv, logon, None)})
    return load_config(path).with_endpoints(ports={kind: sim.ports[kind]})


@pytest.fixture(scope="module")
def world(sim, keyring, tmp_path_factory):
    """trader (NR engine + PT client on its book) and maker (RT engine, 20127=Y), all logged on."""
    tmp = tmp_path_factory.mktemp("stlworld")
    trader = Engine(config(tmp / "t", keyring, "t_nr", "NR", TRADER_LOGON, sim))
    maker = Engine(config(tmp / "m", keyring, "m_rt", "RT", TRADER_LOGON | {"receive_settlement_reports": True}, sim))
    pt_cfg = config(tmp / "p", keyring, "t_pt", "PT", {"use_dollars": True, "message_retention_hours": 72}, sim)
    # only `state` refers to the PT client: the reconnect test replaces it with a new one
    state = {"trader": trader, "maker": maker, "pt": SettlementClient(pt_cfg, engine=trader), "pt_cfg": pt_cfg,
             "sim": sim}
    trader.connect()
    maker.connect()
    state["pt"].connect()
    yield state
    if state["pt"] is not None:
        state["pt"].close()
    trader.close()
    maker.close()


def trade(world, symbol: str, price: str, qty: str) -> None:
    """The trader buys YES from the maker (who then holds NO)."""
    trader, maker = world["trader"], world["maker"]
    offer = maker.new_order(symbol, "sell_yes", price, qty, tif="gtc")
    assert maker.wait(lambda: offer.status is OrderStatus.WORKING)
    lift = trader.new_order(symbol, "buy_yes", price, qty, tif="ioc")
    assert trader.wait(lambda: lift.status is OrderStatus.FILLED)
    units = int(qty) * 100
    assert trader.wait(lambda: position(trader, symbol).yes_qty == units)
    assert maker.wait(lambda: position(maker, symbol).no_qty == units)


def position(engine: Engine, symbol: str, subaccount: int = 0):
    """Read under the engine's lock: the report thread may be half way through a kernel update."""
    with engine._lock:
        return engine.book.positions.position(symbol, subaccount)


def pt_batch(pt: SettlementClient, symbol: str, timeout: float = 5.0) -> SettlementBatch:
    assert pt.wait_for(lambda got: any(b.symbol == symbol for b in got), timeout), pt.stats
    return next(b for b in pt.received if b.symbol == symbol)


def engine_batch(engine: Engine, symbol: str, timeout: float = 5.0) -> SettlementBatch:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        while not engine.events.empty():
            event = engine.events.get()
            if event.kind is EventKind.SETTLEMENT and event.report.symbol == symbol:
                return event.report
        time.sleep(0.01)
    raise AssertionError(f"no SETTLEMENT event for {symbol}")


def test_pt_logon_takes_its_flags_from_the_config(world, keyring):
    """20127 omitted (KalshiPT's default is on), MessageRetentionPeriod 20200=72 from the config."""
    entries = [e for e in world["sim"].gateway.registry.sessions_of("trader-user") if e.key_id == keyring["t_pt"][0]]
    flags = [(e.kind, e.flags.settlement_reports, e.flags.retention_hours) for e in entries if e.logged_on]
    assert flags == [(SessionKind.PT, True, 72)], [(e.kind, e.flags) for e in entries]


@pytest.mark.parametrize("symbol, result, value, price, qty", [
    (YES_MKT, "yes", None, "0.30", "6"),
    (NO_MKT, "no", None, "0.45", "4"),
    (SCALAR_MKT, "scalar", 3_060, "0.25", "7"),
])
def test_settlement_reaches_pt_client_and_rt_engine(world, symbol, result, value, price, qty):
    trader, maker, pt = world["trader"], world["maker"], world["pt"]
    trade(world, symbol, price, qty)
    units, paid = int(qty) * 100, int(float(price) * 10_000)
    trader_before = position(trader, symbol)
    maker_before = position(maker, symbol)
    assert trader_before.yes_cost == units * paid

    world["sim"].settle_market(symbol, result, value)

    yes_value = {"yes": 10_000, "no": 0}.get(result, value)
    batch = pt_batch(pt, symbol)
    assert (batch.result, batch.settlement_price, batch.complete, batch.pages) == (result, yes_value, True, 1)
    [party] = batch.parties
    assert (party.long_qty, party.short_qty) == (units, 0)
    assert party.payout + party.fee == units * yes_value  # exact: rounding residue is the fee
    assert party.cost == trader_before.yes_cost
    assert party.realized_pnl == units * yes_value - party.cost
    assert party.net_pnl == party.payout - party.cost  # realized after the settlement fee = payout - cost
    settled = position(trader, symbol)
    assert (settled.yes_qty, settled.no_qty, settled.yes_cost, settled.no_cost) == (0, 0, 0, 0)
    assert settled.realized_pnl - trader_before.realized_pnl == party.realized_pnl
    assert settled.payout == party.payout

    # the maker's RT engine (20127=Y) handles its own party entry the same way
    mine = engine_batch(maker, symbol)
    [m_party] = mine.parties
    assert (m_party.long_qty, m_party.short_qty) == (0, units)
    assert m_party.payout + m_party.fee == units * (10_000 - yes_value)
    assert m_party.realized_pnl == units * (10_000 - yes_value) - maker_before.no_cost
    m_settled = position(maker, symbol)
    assert (m_settled.yes_qty, m_settled.no_qty) == (0, 0)
    stored = maker.settlements.journal.batches(symbol)
    assert [(b.result, b.complete) for b in stored] == [(result, True)]
    assert pt.journal.pages(symbol)[0].raw.startswith("8=FIXT.1.1\x01")


def test_two_subaccounts_make_a_two_page_batch_settled_per_subaccount(world):
    trader, maker, pt = world["trader"], world["maker"], world["pt"]
    offer = maker.new_order(PAGED_MKT, "sell_yes", "0.30", "5", tif="gtc")
    assert maker.wait(lambda: offer.status is OrderStatus.WORKING)
    for qty, sub in (("2", 0), ("3", 1)):
        lift = trader.new_order(PAGED_MKT, "buy_yes", "0.30", qty, tif="ioc", subaccount=sub)
        assert trader.wait(lambda: lift.status is OrderStatus.FILLED), lift.status
    assert trader.wait(lambda: position(trader, PAGED_MKT, 1).yes_qty == 300)

    world["sim"].settle_market(PAGED_MKT, "yes")

    batch = pt_batch(pt, PAGED_MKT)
    assert (batch.pages, batch.total_reports, batch.complete) == (2, 2, True)
    by_sub = {p.subaccount: p for p in batch.parties}  # party ids are UUIDs: placed by what each held
    assert (by_sub[0].long_qty, by_sub[1].long_qty) == (200, 300)
    assert by_sub[0].realized_pnl == 200 * 7_000 and by_sub[1].realized_pnl == 300 * 7_000
    for sub, units in ((0, 200), (1, 300)):
        pos = position(trader, PAGED_MKT, sub)
        assert (pos.yes_qty, pos.payout) == (0, units * 10_000)
    maker_batch = engine_batch(maker, PAGED_MKT)
    assert maker_batch.pages == 1 and maker_batch.parties[0].short_qty == 500


def test_pt_client_offline_during_settlement_gets_it_after_reconnect(world, tmp_path):
    trader, sim = world["trader"], world["sim"]
    trade(world, OFFLINE_MKT, "0.20", "3")
    before = position(trader, OFFLINE_MKT)
    journal_path = world["pt"].journal.path
    world["pt"].close()
    world["pt"] = None
    gc.collect()  # QuickFIX registers sessions process-wide: the old initiator must be gone

    sim.settle_market(OFFLINE_MKT, "yes")  # stored for the offline KalshiPT session

    again = SettlementClient(world["pt_cfg"], engine=trader, journal_path=journal_path)
    world["pt"] = again
    again.connect()
    batch = pt_batch(again, OFFLINE_MKT)
    assert batch.parties[0].realized_pnl == 300 * 10_000 - before.yes_cost
    page = again.journal.pages(OFFLINE_MKT)[0]
    assert page.poss_dup  # resent after the reconnect (43=Y)
    assert position(trader, OFFLINE_MKT).yes_qty == 0
    # the earlier markets' pages were journaled before: nothing was re-applied
    assert again.stats["duplicates"] == 0 and again.stats["pages"] == 1
    assert {b.symbol for b in SettlementJournal(journal_path).batches()} >= {YES_MKT, NO_MKT, SCALAR_MKT, OFFLINE_MKT}


def test_cli_listen_prints_the_batch_and_list_reads_the_journal(world, keyring, tmp_path):
    key_id, priv, _ = keyring["t_pt_cli"]
    path = write_client_config(tmp_path, {"PT": (key_id, priv, {"use_dollars": True}, None)})
    out, err, codes = io.StringIO(), io.StringIO(), []

    def listen():
        with redirect_stdout(out), redirect_stderr(err):
            codes.append(main(["settlements", "listen", "--config", str(path), "--port", str(world["sim"].ports["PT"]),
                               "--count", "1", "--timeout", "20"]))

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    registry = world["sim"].gateway.registry
    deadline = time.monotonic() + 10
    while not any(e.key_id == key_id and e.logged_on for e in registry.sessions_of("trader-user")):
        assert time.monotonic() < deadline, err.getvalue()
        time.sleep(0.02)
    trade(world, CLI_MKT, "0.40", "2")
    world["sim"].settle_market(CLI_MKT, "no")
    thread.join(20)
    assert codes == [0], err.getvalue()
    header, row = out.getvalue().splitlines()
    assert header.split()[:3] == ["date", "symbol", "result"]
    # date symbol result price long short payout fee realized pages (no fills seen: P&L unknown)
    assert row.split()[1:] == [CLI_MKT, "no", "0.0000", "2.00", "0.00", "0.0000", "0.0000", "-", "1/1"]
    assert "1 batch(es); 1 page(s)" in err.getvalue()

    listed = io.StringIO()
    with redirect_stdout(listed):
        assert main(["settlements", "list", "--config", str(path), "--json"]) == 0
    [batch] = json.loads(listed.getvalue())
    assert (batch["symbol"], batch["result"], batch["long_qty"], batch["payout"]) == (CLI_MKT, "no", "2.00", "0.0000")

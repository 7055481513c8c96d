"""A simulator exchange with its REST face, and exchange events turned into ExecReports.

Trades go through `Exchange` directly; `reports_of` converts the trader's events into the
ExecutionReports the listener / drop copy would deliver (same ExecIDs, TrdMatchIDs, quantities).
"""

from __future__ import annotations

from datetime import datetime, timezone

from fixengine.auth import generate_private_key, public_key_pem
from fixengine.model import ExecReport, ExecType, Side
from fixengine.sim.config import sim_config_from_mapping
from fixengine.sim.exchange import Exchange, ManualClock
from fixengine.sim.exchange.events import OrderAccepted, OrderCanceled, OrderFilled, OrderReplaced

TRADER = "5b7f8a1e-0c1d-4e2f-9a3b-4c5d6e7f8a90"
MM = "9a8b7c6d-5e4f-4321-8765-0fedcba98765"
TRADER_KEY = "0f8fad5b-d9cb-469f-a165-70867728950e"
MM_KEY = "3f2c9a1e-8b7d-4c6e-9f10-2a4b6c8d0e12"
LINEAR = "KXHIGHNY-26NOV25-B55.5"
TAPERED = "KXBTC15M-26NOV251700-T95000"
T0 = datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc)


def make_exchange(tmp_path):
    keys = {"trader": generate_private_key(), "mm": generate_private_key()}
    for name, key in keys.items():
        (tmp_path / f"{name}.pub.pem").write_text(public_key_pem(key))
    config = sim_config_from_mapping({
        "users": [
            {"user_id": TRADER, "balance": "1000.00", "tier": "Basic",
             "subaccounts": [{"number": 1, "balance": "100.00"}],
             "keys": [{"key_id": TRADER_KEY, "public_key": "trader.pub.pem"}]},
            {"user_id": MM, "balance": "5000.00", "tier": "Prime",
             "keys": [{"key_id": MM_KEY, "public_key": "mm.pub.pem"}]},
        ],
        "markets": [
            {"ticker": LINEAR, "price_level_structure": "linear_cent", "close_time": "2027-12-31T04:59:00Z"},
            {"ticker": TAPERED, "price_level_structure": "tapered_deci_cent", "fractional_trading": True,
             "shard": 2},
        ],
    }, "test-sim.yaml", tmp_path)
    clock = ManualClock(T0)
    return Exchange.from_config(config, clock=clock), config, keys, clock


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y%m%d-%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def reports_of(events, user_id: str = TRADER) -> list[ExecReport]:
    out = []
    for ev in events:
        if getattr(ev, "user_id", None) != user_id:
            continue
        kind = {OrderAccepted: ExecType.NEW, OrderFilled: ExecType.TRADE, OrderCanceled: ExecType.CANCELED,
                OrderReplaced: ExecType.REPLACED}.get(type(ev))
        if kind is None:
            continue
        o = ev.order
        r = ExecReport(ev.exec_id, o.order_id, o.cl_ord_id, kind, o.status, o.side, o.symbol, o.order_qty,
                       o.leaves_qty, o.cum_qty, avg_px=o.avg_px, price=o.price,
                       orig_cl_ord_id=getattr(ev, "prev_cl_ord_id", None) or o.orig_cl_ord_id,
                       transact_time=_ts(o.transact_time), subaccount=o.subaccount, time_in_force=o.tif)
        if kind is ExecType.TRADE:
            f = ev.fill
            r.last_px, r.last_qty, r.fee, r.trd_match_id = f.price, f.qty, f.fee, f.trade_id
            r.long_qty, r.short_qty, r.aggressor = f.long_qty, f.short_qty, f.aggressor
            r.transact_time = _ts(f.time)
        out.append(r)
    return out


def side_word(side: Side) -> str:
    return "buy_yes" if side is Side.BUY else "buy_no"

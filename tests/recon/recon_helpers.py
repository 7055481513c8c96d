"""Hand-built inputs for reconciliation tests: journals, execution reports and REST records."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from fixengine.engine import journal as J
from fixengine.engine.orders import Order
from fixengine.engine.recovery import encode_order
from fixengine.model import ExecReport, ExecType, OrdStatus, Side
from fixengine.rest.portfolio import Fill as RestFill
from fixengine.rest.portfolio import MarketPosition, Settlement
from fixengine.rest.portfolio import Order as RestOrder

MKT = "KXHIGHNY-26NOV25-B55.5"
MKT2 = "KXBTC15M-26NOV251700-T95000"
T = datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc)


def order(key: str, ticker: str = MKT, side: Side = Side.BUY, price: int = 4500, qty: int = 1000,
          sub: int = 0) -> Order:
    user_side = "buy_yes" if side is Side.BUY else "buy_no"
    return Order(key, ticker, side, user_side, price, qty, "1", subaccount=sub)


def new_ack(o: Order, exec_id: str, order_id: str) -> ExecReport:
    return ExecReport(exec_id, order_id, o.key, ExecType.NEW, OrdStatus.NEW, o.side, o.ticker, o.qty, o.qty, 0,
                      price=o.price, subaccount=o.subaccount)


def fill(o: Order, exec_id: str, order_id: str, qty: int, cum: int, px: int | None = None, fee: int = 7000,
         match: str | None = None, net: int | None = None) -> ExecReport:
    leaves = o.qty - cum
    status = OrdStatus.FILLED if leaves == 0 else OrdStatus.PARTIALLY_FILLED
    r = ExecReport(exec_id, order_id, o.key, ExecType.TRADE, status, o.side, o.ticker, o.qty, leaves, cum,
                   avg_px=px or o.price, price=o.price, last_px=px or o.price, last_qty=qty, fee=fee,
                   transact_time="20261125-15:00:01.000", subaccount=o.subaccount,
                   trd_match_id=match or f"t-{exec_id}")
    if net is not None:
        r.long_qty, r.short_qty = max(net, 0), max(-net, 0)
    return r


def cancel(o: Order, exec_id: str, order_id: str, cum: int) -> ExecReport:
    return ExecReport(exec_id, order_id, o.key, ExecType.CANCELED, OrdStatus.CANCELED, o.side, o.ticker, o.qty, 0,
                      cum, price=o.price, subaccount=o.subaccount)


def write_journal(path: Path, orders: list[Order], reports: list[ExecReport]) -> Path:
    j = J.Journal(path)
    for o in orders:
        j.append(J.NEW, o.key, encode_order(o))
    for r in reports:
        j.exec_report(r)
    j.close()
    return path


def rest_fill(r: ExecReport) -> RestFill:
    buy = r.side is Side.BUY
    return RestFill(r.trd_match_id, r.order_id, r.symbol, 0, "yes" if buy else "no", "bid" if buy else "ask",
                    r.last_qty, r.last_px, 10_000 - r.last_px, True, r.fee or 0, created_time=T,
                    subaccount_number=r.subaccount)


def rest_order(o: Order, order_id: str, status: str, filled: int) -> RestOrder:
    buy = o.side is Side.BUY
    return RestOrder(order_id, "user", o.key, o.ticker, "yes" if buy else "no", "bid" if buy else "ask", "limit",
                     status, o.price, 10_000 - o.price, filled, o.qty - filled if status == "resting" else 0, o.qty,
                     0, 0, 0, 0, subaccount_number=o.subaccount)


def rest_position(ticker: str, net: int, fees: int = 0) -> MarketPosition:
    return MarketPosition(ticker, 0, 0, net, 0, 0, fees, T)


def rest_settlement(ticker: str, yes: int, no: int, revenue_cents: int, result: str = "yes",
                    value_cents: int | None = None) -> Settlement:
    return Settlement(ticker, 0, ticker.rsplit("-", 1)[0], result, yes, 0, no, 0, revenue_cents, T, 0, value_cents)

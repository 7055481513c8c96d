"""Kalshi Trade API v2 JSON objects built from the simulator's records.

Key sets, names and value types follow the REST fact sheet §4 and its §9 samples
(SDK 3.34 field sets): prices as 4-dp dollar strings, counts as 2-dp strings, money with
at least 4 dp (6 when needed), the few legacy integer-cent fields as ints, times as
RFC 3339 UTC with "Z".
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from fixengine.model import OrdStatus, Side
from fixengine.pricing import ONE_DOLLAR, format_money, format_price_dollars, format_qty
from fixengine.sim.exchange.events import Fill, OrderView
from fixengine.sim.rest.protocol import (
    BalanceInfo, BookDepth, EventInfo, MarketInfo, PositionInfo, SeriesInfo, SettlementInfo,
)

MONEY_PER_CENT = 10_000

px = format_price_dollars
qty = format_qty


def money(units: int) -> str:
    return format_money(units, 4)


def signed_qty(units: int) -> str:
    return "-" + format_qty(-units) if units < 0 else format_qty(units)


def ts(value: datetime | None) -> str | None:
    """RFC 3339 UTC: whole seconds without a fraction, else microseconds, then "Z"."""
    if value is None:
        return None
    value = value.astimezone(timezone.utc)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return text + "Z"


def _number(value: Decimal) -> int | float:
    """Strikes are JSON numbers on the wire; integral values print as ints (69, not 69.0)."""
    return int(value) if value == value.to_integral_value() else float(value)


# ---------------------------------------------------------------------------- markets


def market_json(m: MarketInfo, book: BookDepth) -> dict[str, Any]:
    best_yes = book.yes_bids[-1] if book.yes_bids else None
    best_no = book.no_bids[-1] if book.no_bids else None
    # Empty-side sentinels (§4.3): no YES bid -> yes_bid 0 / no_ask 1; no NO bid -> yes_ask 1 / no_bid 0.
    yes_bid, yes_bid_size = best_yes if best_yes else (0, 0)
    no_bid, yes_ask_size = best_no if best_no else (0, 0)
    out: dict[str, Any] = {
        "ticker": m.ticker,
        "event_ticker": m.event_ticker,
        "market_type": "binary",
        "title": m.title,
        "subtitle": "",
        "yes_sub_title": m.yes_sub_title,
        "no_sub_title": m.yes_sub_title if m.no_sub_title is None else m.no_sub_title,
        "created_time": ts(m.created_time),
        "updated_time": ts(m.updated_time or m.created_time),
        "open_time": ts(m.open_time),
        "close_time": ts(m.close_time),
        "expected_expiration_time": ts(m.latest_expiration_time or m.close_time),
        "expiration_time": ts(m.latest_expiration_time or m.close_time),
        "latest_expiration_time": ts(m.latest_expiration_time or m.close_time),
        "settlement_timer_seconds": m.settlement_timer_seconds,
        "status": m.status,
        "yes_bid_dollars": px(yes_bid),
        "yes_bid_size_fp": qty(yes_bid_size),
        "yes_ask_dollars": px(ONE_DOLLAR - no_bid) if best_no else px(ONE_DOLLAR),
        "yes_ask_size_fp": qty(yes_ask_size),
        "no_bid_dollars": px(no_bid),
        "no_ask_dollars": px(ONE_DOLLAR - yes_bid) if best_yes else px(ONE_DOLLAR),
        "last_price_dollars": px(m.last_price),
        "volume_fp": qty(m.volume),
        "volume_24h_fp": qty(m.volume_24h),
        "result": m.result,
        "can_close_early": m.can_close_early,
        "open_interest_fp": qty(m.open_interest),
        "notional_value_dollars": px(ONE_DOLLAR),
        # The simulator keeps no 24-hour history: "previous" equals the current quote.
        "previous_yes_bid_dollars": px(yes_bid),
        "previous_yes_ask_dollars": px(ONE_DOLLAR - no_bid) if best_no else px(ONE_DOLLAR),
        "previous_price_dollars": px(m.last_price),
        "settlement_bounds_type": "default",
        "expiration_value": "",
    }
    if m.settlement_value is not None:
        out["settlement_value_dollars"] = px(m.settlement_value)
    if m.settled_time is not None:
        out["settlement_ts"] = ts(m.settled_time)
    if m.early_close_condition is not None:
        out["early_close_condition"] = m.early_close_condition
    if m.strike_type is not None:
        out["strike_type"] = m.strike_type
    if m.floor_strike is not None:
        out["floor_strike"] = _number(m.floor_strike)
    if m.cap_strike is not None:
        out["cap_strike"] = _number(m.cap_strike)
    out["rules_primary"] = m.rules_primary
    out["rules_secondary"] = m.rules_secondary
    out["price_level_structure"] = m.price_level_structure
    out["price_ranges"] = [{"start": px(s), "end": px(e), "step": px(st)}
                           for s, e, st in m.price_ranges]
    out["exchange_index"] = m.exchange_index
    return out


def orderbook_json(book: BookDepth, depth: int = 0) -> dict[str, Any]:
    """``orderbook_fp``: bids only, ascending, best last; depth N keeps the N best levels."""
    yes, no = book.yes_bids, book.no_bids
    if depth:
        yes, no = yes[-depth:], no[-depth:]
    return {"yes_dollars": [[px(p), qty(q)] for p, q in yes],
            "no_dollars": [[px(p), qty(q)] for p, q in no]}


def event_json(e: EventInfo, nested: list[dict] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "event_ticker": e.event_ticker,
        "series_ticker": e.series_ticker,
        "title": e.title,
        "sub_title": e.sub_title,
        "collateral_return_type": "MECNET" if e.mutually_exclusive else "",
        "mutually_exclusive": e.mutually_exclusive,
        "category": e.category,
    }
    if e.strike_date is not None:
        out["strike_date"] = ts(e.strike_date)
    out["product_metadata"] = {}
    out["settlement_sources"] = []
    out["last_updated_ts"] = ts(e.last_updated)
    out["exchange_index"] = e.exchange_index
    if nested is not None:
        out["markets"] = nested
    return out


def series_json(s: SeriesInfo) -> dict[str, Any]:
    return {
        "ticker": s.ticker,
        "frequency": s.frequency,
        "title": s.title,
        "category": s.category,
        "categories": [s.category] if s.category else [],
        "tags": list(s.tags),
        "settlement_sources": [],
        "contract_url": "",
        "contract_terms_url": "",
        "product_metadata": None,
        "fee_type": s.fee_type,
        "fee_multiplier": _number(s.fee_multiplier),
        "additional_prohibitions": [],
        "last_updated_ts": ts(s.last_updated),
        "exchange_index": s.exchange_index,
    }


# ---------------------------------------------------------------------------- exchange


SHARD_NAMES = ((0, "Default"), (1, "Combos"), (2, "Crypto & Commodities"),
               (3, "Tennis, Baseball, Basketball"))


def exchange_status_json(exchange_active: bool, trading_active: bool) -> dict[str, Any]:
    def one(index: int, name: str) -> dict[str, Any]:
        return {"exchange_index": index, "description": name, "exchange_active": exchange_active,
                "trading_active": trading_active,
                "intra_exchange_transfers_active": exchange_active}
    return {"exchange_active": exchange_active, "trading_active": trading_active,
            "intra_exchange_transfers_active": exchange_active,
            "exchange_index_statuses": [one(i, n) for i, n in SHARD_NAMES]}


def schedule_json(year: int) -> dict[str, Any]:
    """Open all day, every day, except the weekly Thursday 03:00-05:00 ET pause (§4.12)."""
    all_day = [{"open_time": "00:00", "close_time": "00:00"}]
    days = {d: list(all_day) for d in ("monday", "tuesday", "wednesday", "friday",
                                       "saturday", "sunday")}
    days["thursday"] = [{"open_time": "00:00", "close_time": "03:00"},
                        {"open_time": "05:00", "close_time": "00:00"}]
    week = {"start_time": f"{year}-01-01T00:00:00Z", "end_time": f"{year + 1}-01-01T00:00:00Z"}
    week.update({d: days[d] for d in ("monday", "tuesday", "wednesday", "thursday", "friday",
                                      "saturday", "sunday")})
    return {"schedule": {"standard_hours": [week], "maintenance_windows": []}}


# ---------------------------------------------------------------------------- portfolio


def balance_json(b: BalanceInfo, breakdown: bool = True) -> dict[str, Any]:
    """`breakdown` False for subaccount-restricted keys, which Kalshi serves without it (§4.13)."""
    out: dict[str, Any] = {
        "balance": b.balance // MONEY_PER_CENT,  # legacy cents, truncated (§4.13)
        "balance_dollars": money(b.balance),
        "portfolio_value": b.portfolio_value // MONEY_PER_CENT,
        "updated_ts": int(b.updated.timestamp()),
    }
    if breakdown:
        out["balance_breakdown"] = [{"exchange_index": i, "balance": money(v)} for i, v in b.by_shard]
    return out


def market_position_json(p: PositionInfo) -> dict[str, Any]:
    return {
        "ticker": p.ticker, "exchange_index": p.exchange_index,
        "total_traded_dollars": money(p.total_traded), "position_fp": signed_qty(p.position),
        "market_exposure_dollars": money(p.market_exposure),
        "realized_pnl_dollars": money(p.realized_pnl), "fees_paid_dollars": money(p.fees_paid),
        "last_updated_ts": ts(p.last_updated),
    }


def event_positions_json(positions: list[PositionInfo]) -> list[dict[str, Any]]:
    """Per-event totals over the given market positions, in first-seen order."""
    totals: dict[str, list[int]] = {}
    for p in positions:
        t = totals.setdefault(p.event_ticker, [0, 0, 0, 0, 0])
        t[0] += p.market_exposure
        t[1] += abs(p.position)
        t[2] += p.market_exposure
        t[3] += p.realized_pnl
        t[4] += p.fees_paid
    return [{"event_ticker": e, "total_cost_dollars": money(t[0]),
             "total_cost_shares_fp": qty(t[1]), "event_exposure_dollars": money(t[2]),
             "realized_pnl_dollars": money(t[3]), "fees_paid_dollars": money(t[4])}
            for e, t in totals.items()]


def _sides(side: Side) -> dict[str, str]:
    """Buy = bid YES (outcome yes); Sell = offer YES == buy NO (outcome no, book ask)."""
    if side == Side.BUY:
        return {"side": "yes", "action": "buy", "outcome_side": "yes", "book_side": "bid"}
    return {"side": "no", "action": "buy", "outcome_side": "no", "book_side": "ask"}


def fill_json(f: Fill) -> dict[str, Any]:
    s = _sides(f.side)
    return {
        "fill_id": f.trade_id, "trade_id": f.trade_id, "order_id": f.order_id,
        "ticker": f.symbol, "market_ticker": f.symbol, "exchange_index": f.shard,
        "outcome_side": s["outcome_side"], "book_side": s["book_side"],
        "side": s["side"], "action": s["action"], "count_fp": qty(f.qty),
        "yes_price_dollars": px(f.price), "no_price_dollars": px(ONE_DOLLAR - f.price),
        "is_taker": f.aggressor, "created_time": ts(f.time), "fee_cost": money(f.fee),
        "subaccount_number": f.subaccount, "ts": int(f.time.timestamp()),
    }


def order_status(o: OrderView) -> str:
    if o.is_open:
        return "resting"
    return "executed" if o.status == OrdStatus.FILLED else "canceled"


STP_NAMES = {1: "taker_at_cross", 2: "maker"}


def order_json(o: OrderView) -> dict[str, Any]:
    s = _sides(o.side)
    out: dict[str, Any] = {
        "order_id": o.order_id, "user_id": o.user_id, "client_order_id": o.cl_ord_id,
        "ticker": o.symbol, "side": s["side"], "action": s["action"],
        "outcome_side": s["outcome_side"], "book_side": s["book_side"], "type": "limit",
        "status": order_status(o),
        "yes_price_dollars": px(o.price), "no_price_dollars": px(ONE_DOLLAR - o.price),
        "fill_count_fp": qty(o.cum_qty), "remaining_count_fp": qty(o.leaves_qty),
        "initial_count_fp": qty(o.original_qty),
        "taker_fill_cost_dollars": money(o.taker_fill_cost),
        "maker_fill_cost_dollars": money(o.maker_fill_cost),
        "taker_fees_dollars": money(o.taker_fees), "maker_fees_dollars": money(o.maker_fees),
        "expiration_time": ts(o.expire_time), "created_time": ts(o.created_time),
        "last_update_time": ts(o.transact_time),
        "self_trade_prevention_type": STP_NAMES.get(o.stp, "taker_at_cross"),
        "cancel_order_on_pause": o.cancel_on_pause,
        "subaccount_number": o.subaccount, "exchange_index": o.shard,
    }
    if o.order_group:
        out["order_group_id"] = o.order_group
    return out


def settlement_json(s: SettlementInfo) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ticker": s.ticker, "exchange_index": s.exchange_index, "event_ticker": s.event_ticker,
        "market_result": s.market_result, "yes_count_fp": qty(s.yes_count),
        "yes_total_cost_dollars": money(s.yes_total_cost), "no_count_fp": qty(s.no_count),
        "no_total_cost_dollars": money(s.no_total_cost),
        "revenue": s.revenue // MONEY_PER_CENT, "settled_time": ts(s.settled_time),
        "fee_cost": money(s.fee_cost),
    }
    if s.value is not None:
        out["value"] = s.value // 100  # price units -> cents
    return out


def error_json(code: str, message: str, details: str | None = None) -> dict[str, Any]:
    inner = {"code": code, "message": message}
    if details:
        inner["details"] = details
    return {"error": inner}

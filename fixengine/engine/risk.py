"""Pre-trade risk: every rule is checked before anything is sent.

A breach returns a `RiskBreach` naming the rule (`rule`) and the numbers; the engine turns it into
an immediate local reject whose reason starts with ``RISK_<RULE>``. Limits are integers in the
project's units (qty units of 0.01 contract, price units of $0.0001, money units of $0.000001);
None disables a rule. Exposure counts working orders as if they filled (worst case), so a burst of
orders cannot step over a position limit before the first fill arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fixengine.pricing.arith import order_cost
from fixengine.pricing.units import format_money, format_price_dollars, format_qty

if TYPE_CHECKING:
    from fixengine.engine.orders import Order, OrderTracker
    from fixengine.engine.positions import PositionBook


@dataclass(slots=True)
class RiskLimits:
    max_order_qty: int | None = None
    max_order_notional: int | None = None  # money at risk of one order (price paid x qty)
    max_position_per_market: int | None = None  # |net| worst case, qty units
    max_position_total: int | None = None  # sum over markets of worst-case |net|
    max_open_orders: int | None = None
    price_collar: int | None = None  # price units allowed beyond the opposite best price
    daily_loss_limit: int | None = None  # money units (positive number)


@dataclass(slots=True, frozen=True)
class RiskBreach:
    rule: str
    detail: str

    @property
    def reason(self) -> str:
        return f"RISK_{self.rule.upper()}: {self.detail}"


@dataclass(slots=True)
class BestPrices:
    bid: int | None = None  # best YES bid, price units
    ask: int | None = None  # best YES ask


class RiskChecker:
    def __init__(self, limits: RiskLimits, tracker: OrderTracker, positions: PositionBook) -> None:
        self.limits = limits
        self.tracker = tracker
        self.positions = positions
        self.best: dict[str, BestPrices] = {}
        self.killed: str | None = None  # reason, when the kill switch is engaged
        self.daily_pnl = 0  # money units, realized net of fees since the day started
        self.day: str | None = None

    # ------------------------------------------------------------------ inputs
    def set_best_prices(self, ticker: str, bid: int | None, ask: int | None) -> None:
        self.best[ticker] = BestPrices(bid, ask)

    def on_realized(self, amount: int, day: str) -> None:
        if day != self.day:
            self.day, self.daily_pnl = day, 0
        self.daily_pnl += amount

    def loss_limit_hit(self) -> bool:
        limit = self.limits.daily_loss_limit
        return limit is not None and -self.daily_pnl >= limit

    # ------------------------------------------------------------------ checks
    def check_new(self, ticker: str, buy: bool, price: int, qty: int, subaccount: int) -> RiskBreach | None:
        lim = self.limits
        if self.killed is not None:
            return RiskBreach("kill_switch", f"trading blocked: {self.killed}")
        if self.loss_limit_hit():
            return RiskBreach("daily_loss_limit", f"realized P&L today {format_money(self.daily_pnl)} "
                              f"reached the limit -{format_money(lim.daily_loss_limit)}")
        if lim.max_order_qty is not None and qty > lim.max_order_qty:
            return RiskBreach("max_order_qty", f"qty {format_qty(qty)} > limit {format_qty(lim.max_order_qty)}")
        if lim.max_order_notional is not None:
            cost = order_cost("1" if buy else "2", price, qty)
            if cost > lim.max_order_notional:
                return RiskBreach("max_order_notional", f"cost {format_money(cost)} > limit "
                                  f"{format_money(lim.max_order_notional)}")
        if lim.max_open_orders is not None:
            count = len(self.tracker.open)
            if count >= lim.max_open_orders:
                return RiskBreach("max_open_orders", f"{count} open orders, limit {lim.max_open_orders}")
        breach = self._check_collar(ticker, buy, price)
        if breach is not None:
            return breach
        return self._check_positions(ticker, buy, qty, subaccount, exclude=None)

    def check_replace(self, order: Order, price: int, qty: int) -> RiskBreach | None:
        lim = self.limits
        if self.killed is not None:
            return RiskBreach("kill_switch", f"trading blocked: {self.killed}")
        buy = order.side.value == "1"
        added = qty - order.cum_qty  # new leaves
        if lim.max_order_qty is not None and qty > lim.max_order_qty:
            return RiskBreach("max_order_qty", f"qty {format_qty(qty)} > limit {format_qty(lim.max_order_qty)}")
        if lim.max_order_notional is not None:
            cost = order_cost(order.side.value, price, qty)
            if cost > lim.max_order_notional:
                return RiskBreach("max_order_notional", f"cost {format_money(cost)} > limit "
                                  f"{format_money(lim.max_order_notional)}")
        breach = self._check_collar(order.ticker, buy, price)
        if breach is not None:
            return breach
        return self._check_positions(order.ticker, buy, max(added, 0), order.subaccount, exclude=order)

    def _check_collar(self, ticker: str, buy: bool, price: int) -> RiskBreach | None:
        collar = self.limits.price_collar
        best = self.best.get(ticker)
        if collar is None or best is None:
            return None
        if buy:
            ref = best.ask if best.ask is not None else best.bid
            if ref is not None and price > ref + collar:
                return RiskBreach("price_collar", f"bid {format_price_dollars(price)} more than "
                                  f"{format_price_dollars(collar)} through best {format_price_dollars(ref)}")
        else:
            ref = best.bid if best.bid is not None else best.ask
            if ref is not None and price < ref - collar:
                return RiskBreach("price_collar", f"offer {format_price_dollars(price)} more than "
                                  f"{format_price_dollars(collar)} through best {format_price_dollars(ref)}")
        return None

    def _exposure(self, ticker: str, subaccount: int, exclude: Order | None) -> tuple[int, int]:
        """(worst-case long YES, worst-case long NO) for a market: position plus open orders."""
        net = self.positions.net(ticker, subaccount)
        open_buy = open_sell = 0
        for o in self.tracker.open.values():
            if o is exclude or o.ticker != ticker or o.subaccount != subaccount:
                continue
            if o.side.value == "1":
                open_buy += o.leaves_qty
            else:
                open_sell += o.leaves_qty
        return max(net + open_buy, 0), max(-(net - open_sell), 0)

    def _check_positions(self, ticker: str, buy: bool, qty: int, subaccount: int,
                         exclude: Order | None) -> RiskBreach | None:
        lim = self.limits
        if lim.max_position_per_market is None and lim.max_position_total is None:
            return None
        long_yes, long_no = self._exposure(ticker, subaccount, exclude)
        after = long_yes + qty if buy else long_no + qty
        if lim.max_position_per_market is not None and after > lim.max_position_per_market:
            return RiskBreach("max_position_per_market", f"{ticker} worst-case position {format_qty(after)} "
                              f"> limit {format_qty(lim.max_position_per_market)}")
        if lim.max_position_total is not None:
            total = qty
            markets = {(o.ticker, o.subaccount) for o in self.tracker.open.values()}
            markets.update(self.positions.positions.keys())
            for market, sub in markets:
                yes, no = self._exposure(market, sub, exclude)
                if (market, sub) == (ticker, subaccount):
                    yes, no = (yes + qty, no) if buy else (yes, no + qty)
                    total -= qty
                total += max(yes, no)
            if total > lim.max_position_total:
                return RiskBreach("max_position_total", f"worst-case total position {format_qty(total)} "
                                  f"> limit {format_qty(lim.max_position_total)}")
        return None

"""One market's YES order book: bids (Side BUY) and offers (Side SELL), price-time priority.

Each side maps price -> an insertion-ordered dict of resting orders (FIFO queue).
Removing an order is O(1) inside its level; levels are kept in a SortedDict.
"""

from __future__ import annotations

from typing import Iterator

from sortedcontainers import SortedDict

from fixengine.model import Side
from fixengine.pricing import ONE_DOLLAR
from fixengine.sim.exchange.orders import Order


class OrderBook:
    __slots__ = ("symbol", "bids", "asks")

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.bids: SortedDict = SortedDict()  # price -> {order_id: Order}
        self.asks: SortedDict = SortedDict()

    def _side(self, side: Side) -> SortedDict:
        return self.bids if side is Side.BUY else self.asks

    # ----------------------------------------------------------------- mutation

    def add(self, order: Order) -> None:
        """Append at the back of its price level's queue."""
        levels = self._side(order.side)
        level = levels.get(order.price)
        if level is None:
            level = levels[order.price] = {}
        level[order.order_id] = order

    def remove(self, order: Order) -> None:
        levels = self._side(order.side)
        level = levels.get(order.price)
        if level is None or level.pop(order.order_id, None) is None:
            return
        if not level:
            del levels[order.price]

    def contains(self, order: Order) -> bool:
        level = self._side(order.side).get(order.price)
        return level is not None and order.order_id in level

    # ----------------------------------------------------------------- matching views

    def crossing_levels(self, side: Side, limit: int) -> Iterator[tuple[int, dict]]:
        """Opposite levels an incoming order on `side` at `limit` may trade with, best first.

        Yields live level dicts; the caller may remove orders while iterating over a copy.
        """
        if side is Side.BUY:
            for price in list(self.asks.irange(maximum=limit)):
                level = self.asks.get(price)
                if level:
                    yield price, level
        else:
            for price in list(self.bids.irange(minimum=limit, reverse=True)):
                level = self.bids.get(price)
                if level:
                    yield price, level

    def best(self, side: Side) -> int | None:
        levels = self._side(side)
        if not levels:
            return None
        return levels.keys()[-1] if side is Side.BUY else levels.keys()[0]

    def would_cross(self, side: Side, price: int) -> bool:
        opposite = self.best(Side.SELL if side is Side.BUY else Side.BUY)
        if opposite is None:
            return False
        return opposite <= price if side is Side.BUY else opposite >= price

    # ----------------------------------------------------------------- reporting

    def depth(self, side: Side) -> list[tuple[int, int]]:
        """(YES price, total leaves) per level, best first."""
        levels = self._side(side)
        keys = reversed(levels.keys()) if side is Side.BUY else levels.keys()
        return [(price, sum(o.leaves_qty for o in levels[price].values())) for price in keys]

    def rest_levels(self) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Kalshi REST shape: (YES bids, NO bids), each ascending by its own price, best last.

        A resting offer of YES at p is a NO bid at 1 - p.
        """
        yes = [(p, q) for p, q in reversed(self.depth(Side.BUY))]
        no = [(ONE_DOLLAR - p, q) for p, q in reversed(self.depth(Side.SELL))]
        return yes, no

    def orders(self) -> Iterator[Order]:
        for levels in (self.bids, self.asks):
            for level in levels.values():
                yield from level.values()

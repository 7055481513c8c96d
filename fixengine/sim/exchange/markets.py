"""Runtime state of one simulated market (status, grid, fees, book, statistics)."""

from __future__ import annotations

from datetime import datetime

from fixengine.pricing import TickGrid
from fixengine.sim.config import SimMarket
from fixengine.sim.exchange.book import OrderBook
from fixengine.sim.exchange.fees import FeeSchedule

OPEN = "open"
PAUSED = "paused"
INACTIVE = "inactive"
CLOSED = "closed"
DETERMINED = "determined"
SETTLED = "settled"
#: statuses in which no order may be entered any more
FINISHED = frozenset({CLOSED, DETERMINED, SETTLED})


class Market:
    __slots__ = (
        "ticker", "event_ticker", "series_ticker", "title", "status", "grid", "price_level_structure",
        "fractional", "fees", "shard", "close_time", "result", "settlement_price", "book", "last_price",
        "volume", "open_interest", "settled_time", "updated_time", "high_volatility",
    )

    def __init__(self, ticker: str, *, event_ticker: str, series_ticker: str, title: str, status: str,
                 grid: TickGrid, price_level_structure: str, fractional: bool, fees: FeeSchedule, shard: int,
                 close_time: datetime | None = None, result: str = "", settlement_price: int | None = None,
                 high_volatility: bool = False) -> None:
        self.ticker = ticker
        self.event_ticker = event_ticker
        self.series_ticker = series_ticker
        self.title = title
        self.status = status
        self.grid = grid
        self.price_level_structure = price_level_structure
        self.fractional = fractional
        self.fees = fees
        self.shard = shard
        self.close_time = close_time
        self.result = result
        self.settlement_price = settlement_price
        self.book = OrderBook(ticker)
        self.last_price: int | None = None
        self.volume = 0  # qty units traded
        self.open_interest = 0  # qty units of YES (== NO) contracts outstanding
        self.settled_time: datetime | None = None
        self.updated_time: datetime | None = None
        self.high_volatility = high_volatility  # RFQ timers: 3 s confirm / 1 s execution (part2 §5.2)

    @classmethod
    def from_config(cls, cfg: SimMarket) -> Market:
        return cls(
            cfg.ticker, event_ticker=cfg.event_ticker, series_ticker=cfg.series_ticker, title=cfg.title,
            status=cfg.status, grid=cfg.grid, price_level_structure=cfg.price_level_structure,
            fractional=cfg.fractional,
            fees=FeeSchedule(cfg.fee_type, cfg.fee_multiplier, cfg.maker_fee_multiplier, cfg.flat_fee),
            shard=cfg.shard, close_time=cfg.close_time, result=cfg.result, settlement_price=cfg.settlement_price,
            high_volatility=cfg.high_volatility,
        )

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

"""Own orders, positions and market depth: a numba book and a pure-Python reference.

`Book` keeps everything in preallocated NumPy arrays (struct-of-arrays: one
contiguous row per field) updated by `@njit(cache=True, nogil=True)` kernels;
`ReferenceBook` keeps the same state in sortedcontainers/dicts and has the same
API. Both expose three facades: `book.depth` (DepthBook), `book.orders`
(OrderBook) and `book.positions` (PositionBook), plus the feeds
`apply_exec_report(s)` / `apply_settlement` (also on `book.positions`).

    book = Book()                                   # 5,000 markets, 1,000,000 orders, 64 subaccounts
    book.add_market("KXHIGHNY-26NOV25-B55.5", TickGrid.from_price_ranges(market["price_ranges"]))
    book.depth.load_snapshot(ticker, yes=[(4000, 25_000)], no=[(5500, 4_000)])   # REST orderbook_fp
    book.depth.apply_delta(ticker, "no", 5500, -1_000)
    book.depth.top(ticker)                          # (YES bid, size, YES ask, size)
    book.depth.cost_to_buy(ticker, "yes", 10_000)   # Walk(filled_qty, cost, worst_price)
    book.positions.apply_exec_reports(reports)      # ExecutionReports from any session
    book.positions.apply_settlement(settlement)     # MarketSettlementReport pages
    book.positions.position(ticker, subaccount=0).net_pnl
    book.errors.count, book.errors.last             # bad input: counted, never raised

Units are the project's fixed-point integers: price $0.0001, qty 0.01 contract,
money $0.000001 (= price x qty, so every notional is exact).

Memory. Depth is dense over each market's own tick grid (TickGrid from
fixengine.pricing.ticks), not over all 10,001 possible prices: a linear_cent
market takes 99 columns, a deci-cent one 999. Markets take consecutive columns
of one `levels` array sized by `level_capacity` (default: every market on the
default grid plus room for 64 centi-cent grids). Defaults (5,000 markets,
1,000,000 orders, 64 subaccounts) preallocate 157 MiB (`memory_breakdown()`):
depth 52 MiB (6 rows of 1.13 M levels), orders 84 MiB (88 bytes a slot incl.
the free-slot stack), positions 20 MiB. A 10,001-level dense layout would need
400 MB per row. Nothing is reallocated after construction; when a capacity
runs out the operation is refused with a counted error.

Depth. Kalshi publishes bids only. YES bids are stored at their YES price, NO
bids at the YES price of the ask they imply (1 - NO price), so the best YES ask
is the lowest NO-bid level; best levels are cached per market (O(1) queries).
Prices in the API are each side's own price, as in REST/WebSocket books.

Positions (Kalshi netting). A fill of Side.BUY at YES price p buys YES at p;
Side.SELL at p buys NO at 1 - p. A buy of YES first closes NO held in the same
market (selling it at 1 - p) and a buy of NO first closes YES (selling it at p);
only the rest opens. Closing q of Q held contracts whose remaining cost is C
realizes q x exit price - floor(C x q / Q) (all of C on the last contract, so no
residue is left). Average cost = cost / qty as an exact Fraction. Realized P&L
is before fees; fees (MiscFeeAmt, money units, negative = rebate) are summed
apart, net = realized - fees. Exposure = max loss = cost of the YES plus cost of
the NO contracts still held. Settlement closes both sides at the settlement
value (YES worth SettlementPrice, NO worth 1 - it) into realized P&L, and books
the report's payout and fee (the fee is the payout's rounding residue, so
net P&L equals cash). Totals per subaccount are kept incrementally; account
totals sum the subaccounts.

Orders. Slots are O(1) handles; OrderID/ClOrdID (and every ClOrdID a replace
gave the order) map to slots through dicts. Open quantity of own orders per
market/price/side is kept next to depth. Queue-ahead estimate: the published
size at the level when the order joined, minus every later decrease of that
level (assumed to come from ahead; trades always do), capped by the level's
published size that is not ours; 0 after our first fill; reset on a replace
that loses priority (price change or size increase); unknown (None) when the
market's depth was not known when the order joined.

Bad input (unknown order/market, fill larger than the open quantity, off-grid
price, negative or zero size, subaccount out of range, ...) never raises and
never changes state: the operation returns a status code and the book's
`errors` (an ErrorLog) counts it and keeps the last errors with details.
"""

from fixengine.book.book import Book, DepthBook, OrderBook, PositionBook
from fixengine.book.feed import BookError, ErrorLog
from fixengine.book.reference import ReferenceBook
from fixengine.book.views import OrderView, PositionView, Walk

__all__ = [
    "Book", "BookError", "DepthBook", "ErrorLog", "OrderBook", "OrderView", "PositionBook", "PositionView",
    "ReferenceBook", "Walk",
]

"""Array layout, codes and status values shared by the numba book and the reference.

Everything the numba kernels touch lives in a handful of 2-D integer arrays whose
rows (or columns) are named here; the reference implementation uses the same codes so that both
books report identical states and errors.
"""

from __future__ import annotations

from fixengine.model import OrdStatus, Side, TimeInForce

ONE_DOLLAR = 10_000  # price units per dollar: a YES and a NO price add up to this

# --------------------------------------------------------------------- depth
YES = 0  # depth side: YES bids, priced in YES price
NO = 1  # depth side: NO bids, priced in NO price (= YES asks at 1 - price)
SIDE_NAMES = {"yes": YES, "no": NO}

# rows of the `levels` array [LEVEL_ROWS, level_capacity]; a market owns the
# columns offset .. offset+num_levels-1, column k being its k-th YES price.
ROW_YES_BID = 0  # YES bid size at YES price p
ROW_NO_BID = 1  # NO bid size at NO price 1-p, stored at YES price p (the YES ask)
ROW_OWN_BUY = 2  # open quantity of own BUY orders at YES price p
ROW_OWN_SELL = 3  # open quantity of own SELL orders at YES price p (rest as NO bids)
ROW_YES_GONE = 4  # total size ever removed from the YES bid level (drives queue-ahead estimates)
ROW_NO_GONE = 5  # same for the NO bid level
GONE_OFFSET = ROW_YES_GONE - ROW_YES_BID  # bid row + GONE_OFFSET = its removed-size row
LEVEL_ROWS = 6

# columns of the per-market table `mkt` [max_markets, MKT_FIELDS]
M_ACTIVE = 0  # 1 once add_market ran
M_NLEVELS = 1
M_OFFSET = 2  # first column of this market in `levels`
M_BEST_YES = 3  # highest level with a YES bid, -1 when none
M_BEST_NO = 4  # lowest level with a NO bid (= best YES ask), -1 when none
M_DEPTH_KNOWN = 5  # 1 after a snapshot or a delta: queue-ahead estimates need it
M_SETTLED = 6  # 1 after a settlement
M_SETTLE_VALUE = 7  # YES value at settlement, price units
M_NSUBS = 8  # the book's subaccount count, kept per market so kernels need no extra argument
M_NRUNS = 9
M_RUN0 = 10  # runs of equally spaced prices: (first price, step, count, first level)
RUN_FIELDS = 4
MAX_RUNS = 8
MKT_FIELDS = M_RUN0 + RUN_FIELDS * MAX_RUNS

# --------------------------------------------------------------------- orders
# rows of `o32` [O32_ROWS, max_orders + 1]; slot 0 is never used (0 means "none")
O_MARKET = 0
O_SUB = 1
O_SIDE = 2  # 0 buy YES, 1 sell YES (= buy NO)
O_PRICE = 3  # YES limit price
O_LEVEL = 4  # index of O_PRICE in the market's grid
O_TIF = 5
O_GROUP = 6  # interned order-group id, 0 = none
O_STATE = 7  # ST_* below; ST_FREE marks an unused slot
O32_ROWS = 8
# rows of `o64` [O64_ROWS, max_orders + 1]
Q_ORIG = 0  # OrderQty: total ever ordered (filled + open)
Q_OPEN = 1  # LeavesQty
Q_FILLED = 2  # CumQty
Q_AHEAD0 = 3  # queue ahead when the order joined its level, -1 when depth unknown
Q_FILL_COST = 4  # sum of fill qty x YES fill price (money units) -> average price
Q_GONE0 = 5  # the level's removed-size counter when the order joined it
O64_ROWS = 6

BUY = 0
SELL = 1
SIDE_CODE = {Side.BUY: BUY, Side.SELL: SELL}


def side_code(side: Side) -> int:
    """BUY/SELL code of a Side, -1 for anything else (identity tests: hashing an Enum is slow)."""
    return BUY if side is Side.BUY else SELL if side is Side.SELL else -1

CODE_SIDE = {BUY: Side.BUY, SELL: Side.SELL}

ST_FREE = 0
ST_PENDING_NEW = 1
ST_NEW = 2
ST_PARTIAL = 3
ST_PENDING_CANCEL = 4
ST_PENDING_REPLACE = 5
STATE_STATUS = {
    ST_PENDING_NEW: OrdStatus.PENDING_NEW,
    ST_NEW: OrdStatus.NEW,
    ST_PARTIAL: OrdStatus.PARTIALLY_FILLED,
    ST_PENDING_CANCEL: OrdStatus.PENDING_CANCEL,
    ST_PENDING_REPLACE: OrdStatus.PENDING_REPLACE,
}
STATUS_STATE = {status: state for state, status in STATE_STATUS.items()}

TIF_CODES = {tif: i for i, tif in enumerate(TimeInForce)}
CODE_TIF = {i: tif for tif, i in TIF_CODES.items()}

# --------------------------------------------------------------------- positions
# rows of `pos` [POS_FIELDS, max_markets * max_subaccounts + max_subaccounts];
# cell m*S+s holds market m / subaccount s, cell M*S+s the subaccount's totals.
P_YES_QTY = 0
P_NO_QTY = 1
P_YES_COST = 2  # money paid for the YES contracts still held
P_NO_COST = 3  # money paid for the NO contracts still held
P_REALIZED = 4  # realized P&L before fees
P_FEES = 5  # fees paid (negative = rebates), including settlement rounding fees
P_PAYOUT = 6  # settlement payouts received
P_VOLUME = 7  # qty traded
POS_FIELDS = 8

# --------------------------------------------------------------------- batch ops
# rows of an `ops` array [OP_COLS, n] for apply_ops: column i is operation i
OP_ADD = 1  # slot market sub side price orig open filled tif group state
OP_FILL = 2  # slot qty(orig col) price fee : own order fill + position
OP_POS_FILL = 3  # market sub side price qty fee : position only
OP_CANCEL = 4  # slot : cancel / expire / reject of a resting order
OP_REPLACE = 5  # slot price(-1 keep) orig open
OP_STATE = 6  # slot state
OP_SETTLE = 7  # market sub price(=YES value) fee(=settlement fee) open(=payout)
C_OP, C_SLOT, C_MARKET, C_SUB, C_SIDE, C_PRICE, C_QTY, C_OPEN, C_FILLED, C_FEE, C_TIF, C_GROUP, C_STATE = range(13)
OP_COLS = 13

# --------------------------------------------------------------------- status
OK = 0
OK_CLOSED = 1  # the order left the book: its slot is free again
E_UNKNOWN_ORDER = 2
E_UNKNOWN_MARKET = 3
E_BAD_SUBACCOUNT = 4
E_OFF_GRID = 5  # price off the market's grid or outside (0, 1)
E_BAD_SIZE = 6  # zero/negative size or inconsistent order quantities
E_OVERFILL = 7  # fill larger than the open quantity
E_NEGATIVE_LEVEL = 8  # a depth delta would make a level negative
E_SLOT_IN_USE = 9
E_BAD_PRICE = 10  # fill price outside (0, 1)
E_BAD_OP = 11
E_BAD_REPORT = 12  # a report lacks a field its type needs (set by the feed)
E_SETTLE_MISMATCH = 13  # settlement positions differ from the book (book value is used)
E_CAPACITY = 14  # no free order slot

ERROR_NAMES = {
    E_UNKNOWN_ORDER: "unknown order",
    E_UNKNOWN_MARKET: "unknown market",
    E_BAD_SUBACCOUNT: "subaccount out of range",
    E_OFF_GRID: "price off the market's grid",
    E_BAD_SIZE: "bad size",
    E_OVERFILL: "fill larger than open quantity",
    E_NEGATIVE_LEVEL: "depth delta would make a level negative",
    E_SLOT_IN_USE: "slot already in use",
    E_BAD_PRICE: "price outside (0, 1)",
    E_BAD_OP: "bad operation code",
    E_BAD_REPORT: "report lacks a required field",
    E_SETTLE_MISMATCH: "settlement positions differ from the book",
    E_CAPACITY: "order capacity exhausted",
}

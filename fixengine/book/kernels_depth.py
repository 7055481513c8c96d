"""numba kernels over market depth (`mkt` table + `levels` rows, see layout.py).

Depth is stored by YES price: column k of a market is its k-th valid YES price.
A NO bid at NO price q is the YES ask 1-q, so it is stored in ROW_NO_BID at the
level of YES price 1-q. Best YES bid = highest level with a YES bid; best YES
ask = lowest level with a NO bid. Both are cached in the market row and kept up
to date on every change, so top-of-book queries are O(1); when the best level
empties the cache walks to the next non-empty level (amortised by the walk that
filled it).

Status codes come from layout.py; the kernels never raise.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from fixengine.book.cache_guard import drop_stale_cache
from fixengine.book.layout import (
    E_BAD_OP,
    E_BAD_SIZE,
    GONE_OFFSET,
    E_NEGATIVE_LEVEL,
    E_OFF_GRID,
    E_UNKNOWN_MARKET,
    M_ACTIVE,
    M_BEST_NO,
    M_BEST_YES,
    M_DEPTH_KNOWN,
    M_NLEVELS,
    M_NRUNS,
    M_OFFSET,
    M_RUN0,
    NO,
    OK,
    ONE_DOLLAR,
    ROW_NO_BID,
    ROW_YES_BID,
    RUN_FIELDS,
    YES,
)

drop_stale_cache()  # before any kernel of this package is loaded from the cache

# The kernels never allocate, so they run without numba's reference-counting runtime
# (_nrt=False): with it, every call between kernels that passes arrays pays atomic
# incref/decref pairs (~20-50 ns measured), more than the work itself.
JIT = dict(cache=True, nogil=True, _nrt=False)


@njit(**JIT)
def level_of(mkt, m, price):
    """Dense level of a YES price in market m's grid, -1 when off grid."""
    for r in range(mkt[m, M_NRUNS]):
        base = M_RUN0 + RUN_FIELDS * r
        first = mkt[m, base]
        step = mkt[m, base + 1]
        k = price - first
        if k >= 0 and k % step == 0 and k // step < mkt[m, base + 2]:
            return mkt[m, base + 3] + k // step
    return -1


@njit(**JIT)
def price_of(mkt, m, level):
    """YES price of a dense level of market m (inverse of level_of)."""
    for r in range(mkt[m, M_NRUNS] - 1, -1, -1):
        base = M_RUN0 + RUN_FIELDS * r
        if level >= mkt[m, base + 3]:
            return mkt[m, base] + (level - mkt[m, base + 3]) * mkt[m, base + 1]
    return -1


@njit(**JIT)
def market_ok(mkt, m):
    return 0 <= m < mkt.shape[0] and mkt[m, M_ACTIVE] == 1


@njit(**JIT)
def side_level(mkt, m, side, price):
    """(row, level) of a bid on `side` at the side's own price, level -1 when invalid."""
    if side == YES:
        yes_price = price
        row = ROW_YES_BID
    else:
        yes_price = ONE_DOLLAR - price
        row = ROW_NO_BID
    if price <= 0 or price >= ONE_DOLLAR:
        return row, -1
    return row, level_of(mkt, m, yes_price)


@njit(**JIT)
def _refresh_best(mkt, levels, m, row, level, qty):
    """Keep the cached best YES bid (highest) / best YES ask (lowest NO-bid level) right."""
    off = mkt[m, M_OFFSET]
    if row == ROW_YES_BID:
        best = mkt[m, M_BEST_YES]
        if qty > 0 and level > best:
            mkt[m, M_BEST_YES] = level
        elif qty == 0 and level == best:
            k = level - 1
            while k >= 0 and levels[ROW_YES_BID, off + k] == 0:
                k -= 1
            mkt[m, M_BEST_YES] = k
    else:
        best = mkt[m, M_BEST_NO]
        if qty > 0 and (best < 0 or level < best):
            mkt[m, M_BEST_NO] = level
        elif qty == 0 and level == best:
            n = mkt[m, M_NLEVELS]
            k = level + 1
            while k < n and levels[ROW_NO_BID, off + k] == 0:
                k += 1
            mkt[m, M_BEST_NO] = k if k < n else -1


@njit(**JIT)
def depth_update(mkt, levels, m, side, price, qty, absolute):
    """Set (absolute=1) or add to (absolute=0) the bid size on `side` at the side's own price."""
    if not market_ok(mkt, m):
        return E_UNKNOWN_MARKET
    if side != YES and side != NO:
        return E_BAD_OP
    row, level = side_level(mkt, m, side, price)
    if level < 0:
        return E_OFF_GRID
    col = mkt[m, M_OFFSET] + level
    if absolute:
        if qty < 0:
            return E_BAD_SIZE
        new = qty
    else:
        new = levels[row, col] + qty
        if new < 0:
            return E_NEGATIVE_LEVEL
    if new < levels[row, col]:
        levels[row + GONE_OFFSET, col] += levels[row, col] - new
    levels[row, col] = new
    mkt[m, M_DEPTH_KNOWN] = 1
    _refresh_best(mkt, levels, m, row, level, new)
    return OK


@njit(**JIT)
def depth_update_batch(mkt, levels, markets, sides, prices, qtys, absolute, status):
    """Apply many updates in order; status[i] gets each one's code. Returns how many applied."""
    applied = 0
    for i in range(markets.shape[0]):
        code = depth_update(mkt, levels, markets[i], sides[i], prices[i], qtys[i], absolute)
        status[i] = code
        if code == OK:
            applied += 1
    return applied


@njit(cache=True, nogil=True)  # allocates scratch arrays: needs the runtime
def depth_load(mkt, levels, m, sides, prices, qtys, status):
    """Replace a market's published depth with a snapshot; bad entries are skipped (status[i]).

    Each level moves to its new size in one step, so only real decreases count as
    removed size for queue-ahead estimates. Returns the number of bad entries.
    """
    if not market_ok(mkt, m):
        return -1
    n = mkt[m, M_NLEVELS]
    off = mkt[m, M_OFFSET]
    new = np.zeros((2, n), dtype=np.int64)
    bad = 0
    for i in range(sides.shape[0]):
        status[i] = OK
        if sides[i] != YES and sides[i] != NO:
            status[i] = E_BAD_OP
        else:
            row, level = side_level(mkt, m, sides[i], prices[i])
            if level < 0:
                status[i] = E_OFF_GRID
            elif qtys[i] < 0:
                status[i] = E_BAD_SIZE
            else:
                new[row, level] = qtys[i]
        if status[i] != OK:
            bad += 1
    for row in (ROW_YES_BID, ROW_NO_BID):
        for k in range(n):
            old = levels[row, off + k]
            if new[row, k] < old:
                levels[row + GONE_OFFSET, off + k] += old - new[row, k]
            levels[row, off + k] = new[row, k]
    best_yes = -1
    best_no = -1
    for k in range(n):
        if levels[ROW_YES_BID, off + k] > 0:
            best_yes = k
        if best_no < 0 and levels[ROW_NO_BID, off + k] > 0:
            best_no = k
    mkt[m, M_BEST_YES] = best_yes
    mkt[m, M_BEST_NO] = best_no
    mkt[m, M_DEPTH_KNOWN] = 1
    return bad


@njit(**JIT)
def depth_top(mkt, levels, m):
    """(best YES bid, its size, best YES ask, its size); prices -1 and sizes 0 when a side is empty."""
    if not market_ok(mkt, m):
        return -1, 0, -1, 0
    off = mkt[m, M_OFFSET]
    bid_level = mkt[m, M_BEST_YES]
    ask_level = mkt[m, M_BEST_NO]
    bid = -1
    bid_qty = 0
    ask = -1
    ask_qty = 0
    if bid_level >= 0:
        bid = price_of(mkt, m, bid_level)
        bid_qty = levels[ROW_YES_BID, off + bid_level]
    if ask_level >= 0:
        ask = price_of(mkt, m, ask_level)
        ask_qty = levels[ROW_NO_BID, off + ask_level]
    return bid, bid_qty, ask, ask_qty


@njit(**JIT)
def depth_size_at(mkt, levels, m, side, price):
    """Published bid size on `side` at the side's own price (0 when off grid or unknown)."""
    if not market_ok(mkt, m) or (side != YES and side != NO):
        return 0
    row, level = side_level(mkt, m, side, price)
    if level < 0:
        return 0
    return levels[row, mkt[m, M_OFFSET] + level]


@njit(**JIT)
def depth_cost_to_buy(mkt, levels, m, side, qty):
    """Walk the opposite bids to buy `qty` of `side`: (qty filled, cost in money units, worst price).

    Buying YES lifts YES asks (NO bids, cheapest YES price first); buying NO lifts
    NO asks (YES bids, highest YES price first, paying 1 - YES price).
    """
    if not market_ok(mkt, m) or qty <= 0 or (side != YES and side != NO):
        return 0, 0, -1
    off = mkt[m, M_OFFSET]
    n = mkt[m, M_NLEVELS]
    left = qty
    cost = 0
    worst = -1
    if side == YES:
        k = mkt[m, M_BEST_NO]
        while k >= 0 and k < n and left > 0:
            size = levels[ROW_NO_BID, off + k]
            if size > 0:
                take = min(size, left)
                worst = price_of(mkt, m, k)
                cost += take * worst
                left -= take
            k += 1
    else:
        k = mkt[m, M_BEST_YES]
        while k >= 0 and left > 0:
            size = levels[ROW_YES_BID, off + k]
            if size > 0:
                take = min(size, left)
                worst = ONE_DOLLAR - price_of(mkt, m, k)
                cost += take * worst
                left -= take
            k -= 1
    return qty - left, cost, worst



@njit(**JIT)
def depth_top_batch(mkt, levels, markets, out):
    """depth_top for many markets: out[i] = (bid, bid size, ask, ask size)."""
    for i in range(markets.shape[0]):
        bid, bid_qty, ask, ask_qty = depth_top(mkt, levels, markets[i])
        out[i, 0] = bid
        out[i, 1] = bid_qty
        out[i, 2] = ask
        out[i, 3] = ask_qty


@njit(**JIT)
def depth_cost_batch(mkt, levels, markets, sides, qtys, out):
    """depth_cost_to_buy for many requests: out[i] = (qty filled, cost, worst price)."""
    for i in range(markets.shape[0]):
        filled, cost, worst = depth_cost_to_buy(mkt, levels, markets[i], sides[i], qtys[i])
        out[i, 0] = filled
        out[i, 1] = cost
        out[i, 2] = worst

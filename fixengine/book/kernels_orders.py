"""numba kernels for own orders, positions and settlements (layout in layout.py).

Every kernel validates all of its inputs before it writes anything, so a bad
input leaves the state untouched and only returns an error code. Positions use
Kalshi netting: a buy of YES first closes NO contracts held in the same market
(selling NO at 1 - p), a sell of YES (= buy of NO at 1 - p) first closes YES.
Closing q of Q contracts whose remaining cost is C removes floor(C*q/Q) of cost
(all of C when q == Q), computed without overflowing int64 as
(C//Q)*q + (C%Q)*q//Q; realized P&L is proceeds minus that removed cost.
"""

from __future__ import annotations

from numba import njit

from fixengine.book.kernels_depth import level_of, market_ok
from fixengine.book.layout import (
    BUY,
    C_FEE,
    C_FILLED,
    C_GROUP,
    C_MARKET,
    C_OP,
    C_OPEN,
    C_PRICE,
    C_QTY,
    C_SIDE,
    C_SLOT,
    C_STATE,
    C_SUB,
    C_TIF,
    E_BAD_OP,
    E_BAD_PRICE,
    E_BAD_SIZE,
    E_BAD_SUBACCOUNT,
    E_OFF_GRID,
    E_OVERFILL,
    E_SLOT_IN_USE,
    E_UNKNOWN_MARKET,
    E_UNKNOWN_ORDER,
    GONE_OFFSET,
    M_DEPTH_KNOWN,
    M_NSUBS,
    M_OFFSET,
    M_SETTLED,
    M_SETTLE_VALUE,
    O_GROUP,
    O_LEVEL,
    O_MARKET,
    O_PRICE,
    O_SIDE,
    O_STATE,
    O_SUB,
    O_TIF,
    OK,
    OK_CLOSED,
    ONE_DOLLAR,
    OP_ADD,
    OP_CANCEL,
    OP_FILL,
    OP_POS_FILL,
    OP_REPLACE,
    OP_SETTLE,
    OP_STATE,
    P_FEES,
    P_NO_COST,
    P_NO_QTY,
    P_PAYOUT,
    P_REALIZED,
    P_VOLUME,
    P_YES_COST,
    P_YES_QTY,
    Q_AHEAD0,
    Q_FILL_COST,
    Q_FILLED,
    Q_GONE0,
    Q_OPEN,
    Q_ORIG,
    ROW_NO_BID,
    ROW_OWN_BUY,
    ROW_OWN_SELL,
    ROW_YES_BID,
    ST_FREE,
    ST_NEW,
    ST_PARTIAL,
    ST_PENDING_NEW,
    ST_PENDING_REPLACE,
    SELL,
)

# The kernels never allocate, so they run without numba's reference-counting runtime
# (_nrt=False): with it, every call between kernels that passes arrays pays atomic
# incref/decref pairs (~20-50 ns measured), more than the work itself.
JIT = dict(cache=True, nogil=True, _nrt=False)


@njit(**JIT)
def _rows(side):
    """(published depth row, own-open row) an order of this side rests in."""
    if side == BUY:
        return ROW_YES_BID, ROW_OWN_BUY
    return ROW_NO_BID, ROW_OWN_SELL


@njit(**JIT)
def _working(o32, slot):
    return 1 <= slot < o32.shape[1] and o32[O_STATE, slot] != ST_FREE


@njit(**JIT)
def _join_queue(mkt, levels, o64, slot, m, side, level):
    """Remember the published size (all ahead of us) and the level's removed-size counter on joining."""
    row, _ = _rows(side)
    col = mkt[m, M_OFFSET] + level
    if mkt[m, M_DEPTH_KNOWN] == 0:
        o64[Q_AHEAD0, slot] = -1
    else:
        o64[Q_AHEAD0, slot] = levels[row, col]
    o64[Q_GONE0, slot] = levels[row + GONE_OFFSET, col]


@njit(**JIT)
def order_add(mkt, levels, o32, o64, slot, m, sub, side, price, orig, open_, filled, tif, group, state):
    """Put an order into a free slot; open_ + filled <= orig, open_ > 0."""
    if slot < 1 or slot >= o32.shape[1] or o32[O_STATE, slot] != ST_FREE:
        return E_SLOT_IN_USE
    if not market_ok(mkt, m):
        return E_UNKNOWN_MARKET
    if sub < 0 or sub >= mkt[m, M_NSUBS]:
        return E_BAD_SUBACCOUNT
    if (side != BUY and side != SELL) or state < ST_PENDING_NEW or state > ST_PENDING_REPLACE:
        return E_BAD_OP
    if orig <= 0 or open_ <= 0 or filled < 0 or open_ + filled > orig:
        return E_BAD_SIZE
    level = level_of(mkt, m, price)
    if level < 0:
        return E_OFF_GRID
    _, own_row = _rows(side)
    levels[own_row, mkt[m, M_OFFSET] + level] += open_
    o32[O_MARKET, slot] = m
    o32[O_SUB, slot] = sub
    o32[O_SIDE, slot] = side
    o32[O_PRICE, slot] = price
    o32[O_LEVEL, slot] = level
    o32[O_TIF, slot] = tif
    o32[O_GROUP, slot] = group
    o32[O_STATE, slot] = state
    o64[Q_ORIG, slot] = orig
    o64[Q_OPEN, slot] = open_
    o64[Q_FILLED, slot] = filled
    _join_queue(mkt, levels, o64, slot, m, side, level)
    o64[Q_FILL_COST, slot] = 0
    return OK


@njit(**JIT)
def order_new(mkt, levels, o32, o64, slot, m, sub, side, price, qty, tif, group, state):
    """order_add for a fresh order (nothing filled yet): fewer arguments, a cheaper call from Python."""
    return order_add(mkt, levels, o32, o64, slot, m, sub, side, price, qty, qty, 0, tif, group, state)


@njit(**JIT)
def _close_slot(mkt, levels, o32, o64, slot):
    """Take what is still open out of the own-open level and free the slot."""
    m = o32[O_MARKET, slot]
    _, own_row = _rows(o32[O_SIDE, slot])
    levels[own_row, mkt[m, M_OFFSET] + o32[O_LEVEL, slot]] -= o64[Q_OPEN, slot]
    o64[Q_OPEN, slot] = 0
    o32[O_STATE, slot] = ST_FREE
    return OK_CLOSED


@njit(**JIT)
def order_cancel(mkt, levels, o32, o64, slot):
    """Cancel / expire / reject: the order leaves the book."""
    if not _working(o32, slot):
        return E_UNKNOWN_ORDER
    return _close_slot(mkt, levels, o32, o64, slot)


@njit(**JIT)
def _removed_cost(cost, held, qty):
    """Cost share of `qty` out of `held` contracts: floor(cost*qty/held), overflow-free."""
    return (cost // held) * qty + ((cost % held) * qty) // held


@njit(**JIT)
def _pos_check(mkt, pos, m, sub, side, price, qty):
    n_subs = pos.shape[1] // (mkt.shape[0] + 1)
    if not market_ok(mkt, m):
        return E_UNKNOWN_MARKET
    if sub < 0 or sub >= n_subs:
        return E_BAD_SUBACCOUNT
    if side != BUY and side != SELL:
        return E_BAD_OP
    if qty <= 0:
        return E_BAD_SIZE
    if price <= 0 or price >= ONE_DOLLAR:
        return E_BAD_PRICE
    return OK


@njit(**JIT)
def _add_to(pos, cell, total, field, delta):
    pos[field, cell] += delta
    pos[field, total] += delta


@njit(**JIT)
def _pos_apply(mkt, pos, m, sub, side, price, qty, fee):
    """Net a validated fill into the position; BUY = buy YES at price, SELL = buy NO at 1 - price."""
    n_subs = pos.shape[1] // (mkt.shape[0] + 1)
    cell = m * n_subs + sub
    total = mkt.shape[0] * n_subs + sub
    if side == BUY:
        close_qty_f, close_cost_f, open_qty_f, open_cost_f = P_NO_QTY, P_NO_COST, P_YES_QTY, P_YES_COST
        close_px = ONE_DOLLAR - price  # selling NO
        open_px = price
    else:
        close_qty_f, close_cost_f, open_qty_f, open_cost_f = P_YES_QTY, P_YES_COST, P_NO_QTY, P_NO_COST
        close_px = price  # selling YES
        open_px = ONE_DOLLAR - price
    held = pos[close_qty_f, cell]
    closing = min(qty, held)
    if closing > 0:
        removed = _removed_cost(pos[close_cost_f, cell], held, closing)
        _add_to(pos, cell, total, close_qty_f, -closing)
        _add_to(pos, cell, total, close_cost_f, -removed)
        _add_to(pos, cell, total, P_REALIZED, closing * close_px - removed)
    opening = qty - closing
    if opening > 0:
        _add_to(pos, cell, total, open_qty_f, opening)
        _add_to(pos, cell, total, open_cost_f, opening * open_px)
    _add_to(pos, cell, total, P_FEES, fee)
    _add_to(pos, cell, total, P_VOLUME, qty)


@njit(**JIT)
def pos_fill(mkt, pos, m, sub, side, price, qty, fee):
    """A fill that moves the position only (its order is not tracked)."""
    code = _pos_check(mkt, pos, m, sub, side, price, qty)
    if code == OK:
        _pos_apply(mkt, pos, m, sub, side, price, qty, fee)
    return code


@njit(**JIT)
def order_fill(mkt, levels, o32, o64, pos, slot, qty, price, fee):
    """A fill of a tracked order: order quantities, own-open level and position move together."""
    if not _working(o32, slot):
        return E_UNKNOWN_ORDER
    if qty <= 0:
        return E_BAD_SIZE
    if qty > o64[Q_OPEN, slot]:
        return E_OVERFILL
    m = o32[O_MARKET, slot]
    side = o32[O_SIDE, slot]
    code = _pos_check(mkt, pos, m, o32[O_SUB, slot], side, price, qty)
    if code != OK:
        return code
    _pos_apply(mkt, pos, m, o32[O_SUB, slot], side, price, qty, fee)
    _, own_row = _rows(side)
    levels[own_row, mkt[m, M_OFFSET] + o32[O_LEVEL, slot]] -= qty
    o64[Q_OPEN, slot] -= qty
    o64[Q_FILLED, slot] += qty
    o64[Q_FILL_COST, slot] += qty * price
    if o64[Q_AHEAD0, slot] > 0:
        o64[Q_AHEAD0, slot] = 0  # we traded, so everything ahead of us did
    if o64[Q_OPEN, slot] == 0:
        o32[O_STATE, slot] = ST_FREE
        return OK_CLOSED
    if o32[O_STATE, slot] == ST_NEW or o32[O_STATE, slot] == ST_PENDING_NEW:
        o32[O_STATE, slot] = ST_PARTIAL  # a pending cancel/replace stays pending
    return OK


@njit(**JIT)
def order_replace(mkt, levels, o32, o64, slot, price, orig, open_):
    """Replace price (-1 keeps it) and quantity; open_ == 0 closes the order."""
    if not _working(o32, slot):
        return E_UNKNOWN_ORDER
    m = o32[O_MARKET, slot]
    if price < 0:
        price = o32[O_PRICE, slot]
    level = level_of(mkt, m, price)
    if level < 0:
        return E_OFF_GRID
    if orig <= 0 or open_ < 0 or open_ + o64[Q_FILLED, slot] > orig:
        return E_BAD_SIZE
    side = o32[O_SIDE, slot]
    _, own_row = _rows(side)
    off = mkt[m, M_OFFSET]
    loses_priority = level != o32[O_LEVEL, slot] or open_ > o64[Q_OPEN, slot]
    levels[own_row, off + o32[O_LEVEL, slot]] -= o64[Q_OPEN, slot]
    o64[Q_ORIG, slot] = orig
    o64[Q_OPEN, slot] = open_
    o32[O_PRICE, slot] = price
    o32[O_LEVEL, slot] = level
    if open_ == 0:
        o32[O_STATE, slot] = ST_FREE
        return OK_CLOSED
    levels[own_row, off + level] += open_
    if loses_priority:
        _join_queue(mkt, levels, o64, slot, m, side, level)
    o32[O_STATE, slot] = ST_PARTIAL if o64[Q_FILLED, slot] > 0 else ST_NEW
    return OK


@njit(**JIT)
def order_set_state(o32, o64, slot, state):
    """Pending / acknowledged states; an ack after a fill keeps the order partially filled."""
    if not _working(o32, slot):
        return E_UNKNOWN_ORDER
    if state < ST_PENDING_NEW or state > ST_PENDING_REPLACE:
        return E_BAD_OP
    if (state == ST_NEW or state == ST_PENDING_NEW) and o64[Q_FILLED, slot] > 0:
        state = ST_PARTIAL
    o32[O_STATE, slot] = state
    return OK


@njit(**JIT)
def settle(mkt, pos, m, sub, yes_value, payout, fee):
    """Close a position at the settlement value: YES worth yes_value, NO worth 1 - yes_value."""
    n_subs = pos.shape[1] // (mkt.shape[0] + 1)
    if not market_ok(mkt, m):
        return E_UNKNOWN_MARKET
    if sub < 0 or sub >= n_subs:
        return E_BAD_SUBACCOUNT
    if yes_value < 0 or yes_value > ONE_DOLLAR:
        return E_BAD_PRICE
    cell = m * n_subs + sub
    total = mkt.shape[0] * n_subs + sub
    value = pos[P_YES_QTY, cell] * yes_value + pos[P_NO_QTY, cell] * (ONE_DOLLAR - yes_value)
    _add_to(pos, cell, total, P_REALIZED, value - pos[P_YES_COST, cell] - pos[P_NO_COST, cell])
    for field in (P_YES_QTY, P_NO_QTY, P_YES_COST, P_NO_COST):
        _add_to(pos, cell, total, field, -pos[field, cell])
    _add_to(pos, cell, total, P_PAYOUT, payout)
    _add_to(pos, cell, total, P_FEES, fee)
    mkt[m, M_SETTLED] = 1
    mkt[m, M_SETTLE_VALUE] = yes_value
    return OK


@njit(**JIT)
def queue_ahead(mkt, levels, o32, o64, slot):
    """Estimated quantity ahead of a working order; -1 unknown depth, -2 not a working order.

    Everything published at the level when the order joined is ahead of it; every
    later decrease of the level is assumed to come from ahead (trades always do);
    and nothing can be ahead beyond the level's published size that is not ours.
    """
    if not _working(o32, slot):
        return -2
    ahead0 = o64[Q_AHEAD0, slot]
    if ahead0 < 0:
        return -1
    m = o32[O_MARKET, slot]
    row, own_row = _rows(o32[O_SIDE, slot])
    col = mkt[m, M_OFFSET] + o32[O_LEVEL, slot]
    gone = levels[row + GONE_OFFSET, col] - o64[Q_GONE0, slot]
    others = max(0, levels[row, col] - levels[own_row, col])
    return min(max(0, ahead0 - gone), others)


@njit(**JIT)
def _apply_op(mkt, levels, o32, o64, pos, ops, i):
    kind = ops[C_OP, i]
    if kind == OP_ADD:
        return order_add(mkt, levels, o32, o64, ops[C_SLOT, i], ops[C_MARKET, i], ops[C_SUB, i], ops[C_SIDE, i],
                         ops[C_PRICE, i], ops[C_QTY, i], ops[C_OPEN, i], ops[C_FILLED, i], ops[C_TIF, i],
                         ops[C_GROUP, i], ops[C_STATE, i])
    if kind == OP_FILL:
        return order_fill(mkt, levels, o32, o64, pos, ops[C_SLOT, i], ops[C_QTY, i], ops[C_PRICE, i], ops[C_FEE, i])
    if kind == OP_POS_FILL:
        return pos_fill(mkt, pos, ops[C_MARKET, i], ops[C_SUB, i], ops[C_SIDE, i], ops[C_PRICE, i], ops[C_QTY, i],
                        ops[C_FEE, i])
    if kind == OP_CANCEL:
        return order_cancel(mkt, levels, o32, o64, ops[C_SLOT, i])
    if kind == OP_REPLACE:
        return order_replace(mkt, levels, o32, o64, ops[C_SLOT, i], ops[C_PRICE, i], ops[C_QTY, i], ops[C_OPEN, i])
    if kind == OP_STATE:
        return order_set_state(o32, o64, ops[C_SLOT, i], ops[C_STATE, i])
    if kind == OP_SETTLE:
        return settle(mkt, pos, ops[C_MARKET, i], ops[C_SUB, i], ops[C_PRICE, i], ops[C_OPEN, i], ops[C_FEE, i])
    return E_BAD_OP


@njit(**JIT)
def apply_ops(mkt, levels, o32, o64, pos, ops, status):
    """Apply operation i = column ops[:, i] (rows named C_* in layout) in order; status[i] gets its code.

    Column-major so that a batch of one kind of operation only writes (and the
    kernel only reads) the few rows that kind uses. Returns how many succeeded.
    """
    done = 0
    for i in range(ops.shape[1]):
        code = _apply_op(mkt, levels, o32, o64, pos, ops, i)
        status[i] = code
        if code == OK or code == OK_CLOSED:
            done += 1
    return done


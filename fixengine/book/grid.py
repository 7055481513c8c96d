"""A market's tick grid as a few runs of equally spaced prices, for the kernels.

`fixengine.pricing.ticks.TickGrid` is the authority on valid prices. The kernels
need the same index_of/price_at mapping without Python objects, so a grid is
compressed into at most MAX_RUNS runs (first price, step, count, first level):
linear_cent is one run of 99 levels, tapered_deci_cent three runs. Every
documented Kalshi grid fits in three.
"""

from __future__ import annotations

from fixengine.book.layout import MAX_RUNS
from fixengine.errors import UserInputError
from fixengine.pricing.ticks import TickGrid

DEFAULT_STRUCTURE = "linear_cent"


def as_tick_grid(grid: TickGrid | str | None) -> TickGrid:
    """Accept a TickGrid, a price_level_structure label, or None (the default grid)."""
    if grid is None:
        return TickGrid.from_structure(DEFAULT_STRUCTURE)
    if isinstance(grid, TickGrid):
        return grid
    if isinstance(grid, str):
        return TickGrid.from_structure(grid)
    raise UserInputError(f"not a tick grid: {grid!r}")


def grid_runs(grid: TickGrid) -> list[tuple[int, int, int, int]]:
    """Split the grid's ascending prices into maximal arithmetic runs."""
    prices = grid.levels()
    runs: list[tuple[int, int, int, int]] = []
    i = 0
    while i < len(prices):
        first = prices[i]
        if i + 1 == len(prices):
            runs.append((first, 1, 1, i))
            break
        step = prices[i + 1] - first
        j = i + 1
        while j + 1 < len(prices) and prices[j + 1] - prices[j] == step:
            j += 1
        runs.append((first, step, j - i + 1, i))
        i = j + 1
    if len(runs) > MAX_RUNS:
        raise UserInputError(f"tick grid {grid!r} has {len(runs)} runs of equal steps; the book supports {MAX_RUNS}")
    return runs

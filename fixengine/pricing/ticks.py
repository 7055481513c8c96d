"""Per-market tick grids built from REST ``price_ranges`` bands.

Facts (kalshi-fix part1 §6.2, kalshi-rest §5.3): a market publishes contiguous
bands ``{start, end, step}`` in dollars; a price is valid iff 0 < p < $1, it lies
in some band and ``(p - start)`` is a multiple of that band's step. The bands are
authoritative; the ``price_level_structure`` label is only a name (new labels
appear), so ``from_structure`` exists for the simulator and tests, while live
markets should use ``from_price_ranges``.

A shared endpoint (band[i].end == band[i+1].start) is on both bands' grids
because every band spans a whole number of steps, so it is valid whichever band
"owns" it. For dense indexing each band owns the half-open span (start, end]
(the first band also owns its start), which counts every level exactly once.

All lookups are arithmetic over at most a few bands: no per-price tables, so
thousands of markets cost nothing. ``levels_array``/``index_table`` build numpy
arrays on demand for the numba book.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from functools import lru_cache
from typing import Iterable, Mapping

from fixengine.pricing.errors import (
    InvalidTickGridError,
    OffGridPriceError,
    PriceOutOfRangeError,
    PricingError,
    UnknownPriceStructureError,
)
from fixengine.pricing.units import ONE_DOLLAR, format_price_dollars, parse_order_price_dollars, parse_price_dollars

# Steps in price units for the words used by the center_{X}_edge_{Y}_cent labels.
_STEP_WORDS = {"whole": 100, "half": 50, "quint": 20, "deci": 10, "centi": 1}

# price_level_structure -> bands (start, end, step) in price units, for every label
# documented in part1 §6.2 / kalshi-rest §5.3. Equal-step structures are one band,
# as live markets emit them. The center_{X}_edge_{Y}_cent family has edges below
# $0.10 and above $0.90, except center_deci_edge_centi_cent (edges $0.01 / $0.99).
# Undocumented labels are refused rather than guessed from the naming rule.
_W, _H, _Q, _D, _C = 100, 50, 20, 10, 1  # whole, half, quint, deci, centi cent steps


def _three_bands(edge_step: int, center_step: int, edge: int = 1000) -> tuple[tuple[int, int, int], ...]:
    return ((0, edge, edge_step), (edge, ONE_DOLLAR - edge, center_step), (ONE_DOLLAR - edge, ONE_DOLLAR, edge_step))


_STRUCTURES: dict[str, tuple[tuple[int, int, int], ...]] = {
    "linear_cent": ((0, ONE_DOLLAR, _W),),
    "deci_cent": ((0, ONE_DOLLAR, _D),),
    "tapered_deci_cent": _three_bands(_D, _W),
    "center_whole_edge_half_cent": _three_bands(_H, _W),
    "center_whole_edge_quint_cent": _three_bands(_Q, _W),
    "center_half_edge_half_cent": ((0, ONE_DOLLAR, _H),),
    "center_half_edge_quint_cent": _three_bands(_Q, _H),
    "center_half_edge_deci_cent": _three_bands(_D, _H),
    "center_quint_edge_quint_cent": ((0, ONE_DOLLAR, _Q),),
    "center_quint_edge_deci_cent": _three_bands(_D, _Q),
    "center_centi_edge_centi_cent": ((0, ONE_DOLLAR, _C),),
    "center_deci_edge_centi_cent": _three_bands(_C, _D, edge=100),
}

#: Every label from_structure accepts, in the fact sheet's order.
DOCUMENTED_STRUCTURES = tuple(_STRUCTURES)


def _band_text(band: Mapping[str, object], key: str, position: int) -> int:
    try:
        value = band[key]
    except (KeyError, TypeError):
        raise InvalidTickGridError(repr(band), f"band {position} has no {key!r}") from None
    if isinstance(value, int) and not isinstance(value, bool):
        return value  # already price units (internal callers)
    return parse_price_dollars(value)  # type: ignore[arg-type]


class TickGrid:
    """The set of valid prices of one market and fast navigation over it."""

    __slots__ = ("bands", "name", "_ends", "_offsets", "_kmin", "_counts", "num_levels", "min_price", "max_price")

    def __init__(self, bands: Iterable[tuple[int, int, int]], name: str | None = None) -> None:
        self.bands = tuple((int(s), int(e), int(st)) for s, e, st in bands)
        self.name = name
        self._check_bands()
        self._ends = tuple(e for _, e, _ in self.bands)
        kmins, counts, offsets = [], [], []
        total = 0
        for i, (start, end, step) in enumerate(self.bands):
            kmin = 0 if i == 0 else 1  # a band shares its start with the previous band's end
            kmax = (end - start) // step
            if start + kmin * step <= 0:
                kmin = 1  # $0 is not a tradable price
            if end >= ONE_DOLLAR:
                kmax -= 1  # nor is $1
            count = max(0, kmax - kmin + 1)
            kmins.append(kmin)
            counts.append(count)
            offsets.append(total)
            total += count
        self._kmin = tuple(kmins)
        self._counts = tuple(counts)
        self._offsets = tuple(offsets)
        self.num_levels = total
        if total == 0:
            raise InvalidTickGridError(self._describe(), "no valid price strictly between 0 and 1 dollar")
        self.min_price = self.price_at(0)
        self.max_price = self.price_at(total - 1)

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_price_ranges(cls, ranges: Iterable[Mapping[str, object]], name: str | None = None) -> TickGrid:
        """Build from REST ``price_ranges``: [{"start": "0.0000", "end": "0.1000", "step": "0.0010"}, ...]."""
        try:
            items = list(ranges)
        except TypeError:
            raise InvalidTickGridError(repr(ranges), "price_ranges must be a list of bands") from None
        try:
            bands = [
                (_band_text(b, "start", i), _band_text(b, "end", i), _band_text(b, "step", i))
                for i, b in enumerate(items)
            ]
        except InvalidTickGridError:
            raise
        except PricingError as exc:
            raise InvalidTickGridError(exc.text, f"bad number in price_ranges: {exc.reason}") from None
        return _cached_grid(tuple(bands), name)

    @classmethod
    def from_structure(cls, name: str) -> TickGrid:
        """Build from a ``price_level_structure`` label (simulator/tests; live code should use bands)."""
        try:
            bands = _STRUCTURES[name]
        except KeyError:
            raise UnknownPriceStructureError(
                name, "known structures: " + ", ".join(DOCUMENTED_STRUCTURES)
            ) from None
        return _cached_grid(bands, name)

    @staticmethod
    def structure_names() -> tuple[str, ...]:
        """Every label from_structure accepts."""
        return DOCUMENTED_STRUCTURES

    def to_price_ranges(self) -> list[dict[str, str]]:
        """The bands in REST form, 4-decimal dollar strings."""
        return [
            {"start": format_price_dollars(s), "end": format_price_dollars(e), "step": format_price_dollars(st)}
            for s, e, st in self.bands
        ]

    def _describe(self) -> str:
        return ", ".join(
            f"{format_price_dollars(s)}-{format_price_dollars(e)}:{format_price_dollars(st)}" for s, e, st in self.bands
        )

    def _check_bands(self) -> None:
        if not self.bands:
            raise InvalidTickGridError("[]", "price_ranges is empty")
        previous_end = None
        for i, (start, end, step) in enumerate(self.bands):
            span = f"{format_price_dollars(start)}-{format_price_dollars(end)}"
            where = f"band {i} ({span} step {format_price_dollars(step)})"
            if step <= 0:
                raise InvalidTickGridError(self._describe(), f"{where}: step must be positive")
            if not 0 <= start < end <= ONE_DOLLAR:
                raise InvalidTickGridError(self._describe(), f"{where}: must satisfy 0 <= start < end <= 1")
            if (end - start) % step:
                raise InvalidTickGridError(self._describe(), f"{where}: span is not a whole number of steps")
            if previous_end is not None and start != previous_end:
                raise InvalidTickGridError(
                    self._describe(), f"{where}: starts at {format_price_dollars(start)} but the previous band "
                    f"ends at {format_price_dollars(previous_end)} (bands must be contiguous and ascending)"
                )
            previous_end = end

    # ------------------------------------------------------------------ queries

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        return f"TickGrid({label}{self._describe()})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TickGrid):
            return NotImplemented
        return self.bands == other.bands or list(self.levels()) == list(other.levels())

    def __hash__(self) -> int:
        return hash((self.num_levels, self.min_price, self.max_price))

    def _band_of(self, price: int) -> int:
        """Index of the band that owns `price`; caller guarantees bands[0].start <= price <= last end."""
        return bisect_left(self._ends, price)

    def is_on_grid(self, price: int) -> bool:
        """True iff `price` is a valid order price of this market."""
        if not 0 < price < ONE_DOLLAR or price < self.bands[0][0] or price > self._ends[-1]:
            return False
        start, _, step = self.bands[bisect_left(self._ends, price)]
        return (price - start) % step == 0

    def validate(self, price: int) -> int:
        """Return `price` if valid, else raise PriceOutOfRangeError / OffGridPriceError naming it."""
        if self.is_on_grid(price):
            return price
        text = format_price_dollars(price)
        if not 0 < price < ONE_DOLLAR:
            raise PriceOutOfRangeError(text, "order prices must be strictly between 0 and 1 dollar")
        if price < self.bands[0][0] or price > self._ends[-1]:
            raise PriceOutOfRangeError(
                text, f"outside this market's price bands {format_price_dollars(self.bands[0][0])}-"
                f"{format_price_dollars(self._ends[-1])}"
            )
        start, _, step = self.bands[self._band_of(price)]
        neighbours = [p for p in (self.next_down(price), self.next_up(price)) if p is not None]
        raise OffGridPriceError(
            text, f"not a multiple of the {format_price_dollars(step)} tick from {format_price_dollars(start)}; "
            "nearest valid prices: " + ", ".join(format_price_dollars(p) for p in neighbours)
        )

    def parse_order_price(self, text: str) -> int:
        """Parse a dollar order price and check it against this grid."""
        return self.validate(parse_order_price_dollars(text))

    def round_down(self, price: int) -> int:
        """Largest valid price <= `price`; PriceOutOfRangeError if there is none."""
        if price >= self.max_price:
            return self.max_price
        if price < self.min_price:
            raise PriceOutOfRangeError(format_price_dollars(price), "below the lowest valid price")
        start, _, step = self.bands[bisect_left(self._ends, price)]
        return start + (price - start) // step * step

    def round_up(self, price: int) -> int:
        """Smallest valid price >= `price`; PriceOutOfRangeError if there is none."""
        if price <= self.min_price:
            return self.min_price
        if price > self.max_price:
            raise PriceOutOfRangeError(format_price_dollars(price), "above the highest valid price")
        start, _, step = self.bands[bisect_left(self._ends, price)]
        return start - (start - price) // step * step

    def next_up(self, price: int) -> int | None:
        """Smallest valid price strictly above `price`, or None at the top of the grid."""
        if price >= self.max_price:
            return None
        return self.round_up(price + 1)

    def next_down(self, price: int) -> int | None:
        """Largest valid price strictly below `price`, or None at the bottom of the grid."""
        if price <= self.min_price:
            return None
        return self.round_down(price - 1)

    def index_of(self, price: int) -> int:
        """Dense index 0..num_levels-1 of a valid price (ascending)."""
        self.validate(price)
        band = bisect_left(self._ends, price)
        start, _, step = self.bands[band]
        return self._offsets[band] + (price - start) // step - self._kmin[band]

    def price_at(self, index: int) -> int:
        """The valid price at dense `index` (inverse of index_of)."""
        if not 0 <= index < self.num_levels:
            raise IndexError(f"tick index {index} out of range 0..{self.num_levels - 1}")
        # A band that contributes no level has the same offset as its successor (or
        # == num_levels when last), so bisect_right always lands on a non-empty band.
        band = bisect_right(self._offsets, index) - 1
        start, _, step = self.bands[band]
        return start + (self._kmin[band] + index - self._offsets[band]) * step

    def levels(self) -> list[int]:
        """Every valid price, ascending."""
        out: list[int] = []
        for (start, _, step), kmin, count in zip(self.bands, self._kmin, self._counts):
            first = start + kmin * step
            out.extend(range(first, first + count * step, step))
        return out

    def levels_array(self):
        """Valid prices as a numpy int64 array (for numba kernels)."""
        import numpy as np

        return np.asarray(self.levels(), dtype=np.int64)

    def index_table(self):
        """numpy int32 array of length ONE_DOLLAR+1: price -> dense index, or -1 when not valid."""
        import numpy as np

        table = np.full(ONE_DOLLAR + 1, -1, dtype=np.int32)
        table[self.levels_array()] = np.arange(self.num_levels, dtype=np.int32)
        return table


@lru_cache(maxsize=256)
def _cached_grid(bands: tuple[tuple[int, int, int], ...], name: str | None) -> TickGrid:
    """Markets share a handful of structures, so identical bands share one immutable grid."""
    return TickGrid(bands, name)

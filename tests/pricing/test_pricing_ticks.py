"""Tick grids: every documented structure, band validation, navigation and errors."""

import pytest

from fixengine.pricing import (
    DOCUMENTED_STRUCTURES,
    InvalidTickGridError,
    OffGridPriceError,
    PriceOutOfRangeError,
    PricingError,
    TickGrid,
    UnknownPriceStructureError,
    format_price_dollars,
)

# (name, num_levels, a few valid prices, a few off-grid prices inside the range)
STRUCTURES = [
    ("linear_cent", 99, [100, 5000, 9900], [50, 5050, 9950]),
    ("deci_cent", 999, [10, 4560, 9990], [1, 4565, 9995]),
    ("tapered_deci_cent", 100 + 80 + 99, [10, 950, 1000, 1100, 9000, 9010], [1055, 5050, 8990, 5]),
    ("center_whole_edge_half_cent", 20 + 80 + 19, [50, 950, 1100, 9050], [20, 1150, 9020]),
    ("center_whole_edge_quint_cent", 50 + 80 + 49, [20, 980, 1100, 9980], [50, 1120, 9990]),
    ("center_half_edge_half_cent", 199, [50, 1150, 9950], [20, 1120]),
    ("center_half_edge_quint_cent", 50 + 160 + 49, [20, 1150, 9020], [10, 1120, 9010]),
    ("center_half_edge_deci_cent", 100 + 160 + 99, [10, 1150, 9010], [1, 1120, 9015]),
    ("center_quint_edge_quint_cent", 499, [20, 5020, 9980], [10, 5050]),
    ("center_quint_edge_deci_cent", 100 + 400 + 99, [10, 1020, 9010], [1, 1010, 9015]),
    ("center_centi_edge_centi_cent", 9999, [1, 5001, 9999], []),
    ("center_deci_edge_centi_cent", 100 + 980 + 99, [1, 99, 100, 110, 9900, 9901, 9999], [105, 5005, 9895]),
]


def test_every_documented_structure_is_covered():
    assert {s[0] for s in STRUCTURES} == set(DOCUMENTED_STRUCTURES)
    assert set(TickGrid.structure_names()) == set(DOCUMENTED_STRUCTURES)


@pytest.mark.parametrize("name, count, valid, off_grid", STRUCTURES)
def test_structure_levels(name, count, valid, off_grid):
    grid = TickGrid.from_structure(name)
    assert grid.name == name
    assert grid.num_levels == count
    levels = grid.levels()
    assert len(levels) == count
    assert levels == sorted(set(levels))
    assert 0 < grid.min_price == levels[0] and levels[-1] == grid.max_price < 10_000
    for price in valid:
        assert grid.is_on_grid(price), price
        assert grid.validate(price) == price
    for price in off_grid:
        assert not grid.is_on_grid(price), price
        with pytest.raises(OffGridPriceError):
            grid.validate(price)


@pytest.mark.parametrize("name", DOCUMENTED_STRUCTURES)
def test_whole_cents_valid_in_every_structure(name):
    grid = TickGrid.from_structure(name)
    assert all(grid.is_on_grid(c * 100) for c in range(1, 100))


@pytest.mark.parametrize("name", DOCUMENTED_STRUCTURES)
def test_structure_round_trips_through_price_ranges(name):
    grid = TickGrid.from_structure(name)
    again = TickGrid.from_price_ranges(grid.to_price_ranges())
    assert again == grid
    assert again.levels() == grid.levels()


def test_rest_example_bands():
    grid = TickGrid.from_price_ranges(
        [
            {"start": "0.0000", "end": "0.1000", "step": "0.0010"},
            {"start": "0.1000", "end": "0.9000", "step": "0.0100"},
            {"start": "0.9000", "end": "1.0000", "step": "0.0010"},
        ]
    )
    assert grid == TickGrid.from_structure("tapered_deci_cent")
    assert grid.is_on_grid(950)  # 44=0.0950 is valid on this grid (part1 §9)
    assert not TickGrid.from_structure("linear_cent").is_on_grid(950)


def test_split_bands_equal_to_single_band():
    split = TickGrid.from_price_ranges(
        [{"start": "0", "end": "0.5", "step": "0.005"}, {"start": "0.5", "end": "1", "step": "0.005"}]
    )
    assert split == TickGrid.from_structure("center_half_edge_half_cent")
    assert split.index_of(5000) == 99  # shared endpoint counted once


def test_identical_bands_share_one_grid():
    ranges = [{"start": "0.0000", "end": "1.0000", "step": "0.0100"}]
    assert TickGrid.from_price_ranges(ranges) is TickGrid.from_price_ranges(list(ranges))


def test_partial_coverage_grid():
    grid = TickGrid.from_price_ranges([{"start": "0.2000", "end": "0.3000", "step": "0.0100"}])
    assert grid.min_price == 2000 and grid.max_price == 3000 and grid.num_levels == 11
    with pytest.raises(PriceOutOfRangeError, match="outside this market.s price bands"):
        grid.validate(1900)
    assert grid.round_up(100) == 2000
    assert grid.round_down(9000) == 3000


@pytest.mark.parametrize(
    "ranges, reason",
    [
        ([], "empty"),
        ([{"start": "0", "end": "1"}], "no 'step'"),
        (["0-1"], "no 'start'"),
        ([{"start": "0", "end": "1", "step": "0"}], "step must be positive"),
        ([{"start": "0.5", "end": "0.5", "step": "0.01"}], "0 <= start < end <= 1"),
        ([{"start": "0", "end": "1.01", "step": "0.01"}], "0 <= start < end <= 1"),
        ([{"start": "0", "end": "1", "step": "0.003"}], "whole number of steps"),
        (
            [{"start": "0", "end": "0.1", "step": "0.001"}, {"start": "0.2", "end": "1", "step": "0.01"}],
            "contiguous",
        ),
        (
            [{"start": "0.1", "end": "1", "step": "0.01"}, {"start": "0", "end": "0.1", "step": "0.001"}],
            "contiguous",
        ),
        (
            [{"start": "0", "end": "0.5", "step": "0.01"}, {"start": "0.4", "end": "1", "step": "0.01"}],
            "contiguous",
        ),
        ([{"start": "0", "end": "1", "step": "1"}], "no valid price"),
        ([{"start": "0", "end": "1", "step": "abc"}], "bad number"),
        ([{"start": "-0.1", "end": "1", "step": "0.01"}], "bad number"),
        (None, "list of bands"),
    ],
)
def test_bad_price_ranges(ranges, reason):
    with pytest.raises(InvalidTickGridError) as info:
        TickGrid.from_price_ranges(ranges)
    assert reason in str(info.value)
    assert isinstance(info.value, PricingError)


def test_unknown_structure():
    with pytest.raises(UnknownPriceStructureError) as info:
        TickGrid.from_structure("center_banana_edge_cent")
    assert info.value.text == "center_banana_edge_cent"
    assert "linear_cent" in str(info.value)


def test_validate_range_errors_name_the_price():
    grid = TickGrid.from_structure("linear_cent")
    for price in (0, 10_000, -100, 12_000):
        with pytest.raises(PriceOutOfRangeError) as info:
            grid.validate(price)
        assert info.value.text == format_price_dollars(price)
    with pytest.raises(OffGridPriceError, match="0.0500, 0.0600") as info:
        grid.validate(555)
    assert info.value.text == "0.0555"


def test_parse_order_price_against_grid():
    grid = TickGrid.from_structure("tapered_deci_cent")
    assert grid.parse_order_price("0.0950") == 950
    with pytest.raises(OffGridPriceError):
        grid.parse_order_price("0.1050")
    with pytest.raises(PriceOutOfRangeError):
        grid.parse_order_price("1.00")


def test_navigation_tapered():
    grid = TickGrid.from_structure("tapered_deci_cent")
    assert grid.round_down(1055) == 1000 and grid.round_up(1055) == 1100
    assert grid.round_down(955) == 950 and grid.round_up(955) == 960
    assert grid.next_up(990) == 1000 and grid.next_up(1000) == 1100
    assert grid.next_down(1100) == 1000 and grid.next_down(1000) == 990
    assert grid.next_up(8990) == 9000 and grid.next_up(9000) == 9010
    assert grid.next_down(9010) == 9000 and grid.next_down(9000) == 8900
    assert grid.next_up(grid.max_price) is None
    assert grid.next_down(grid.min_price) is None
    assert grid.next_up(0) == grid.min_price
    assert grid.next_down(10_000) == grid.max_price
    with pytest.raises(PriceOutOfRangeError):
        grid.round_down(5)
    with pytest.raises(PriceOutOfRangeError):
        grid.round_up(9995)
    assert grid.round_up(-50) == grid.min_price
    assert grid.round_down(20_000) == grid.max_price


def test_dense_index():
    grid = TickGrid.from_structure("center_deci_edge_centi_cent")
    assert grid.index_of(1) == 0
    assert grid.index_of(100) == 99  # shared endpoint, owned by the first band
    assert grid.index_of(110) == 100
    assert grid.index_of(9999) == grid.num_levels - 1
    assert grid.price_at(99) == 100 and grid.price_at(100) == 110
    with pytest.raises(IndexError):
        grid.price_at(grid.num_levels)
    with pytest.raises(IndexError):
        grid.price_at(-1)
    with pytest.raises(OffGridPriceError):
        grid.index_of(105)


def test_numpy_views():
    grid = TickGrid.from_structure("tapered_deci_cent")
    levels = grid.levels_array()
    assert levels.dtype.name == "int64" and list(levels) == grid.levels()
    table = grid.index_table()
    assert len(table) == 10_001
    assert table[950] == grid.index_of(950) and table[955] == -1 and table[0] == -1 and table[10_000] == -1
    assert (table >= 0).sum() == grid.num_levels

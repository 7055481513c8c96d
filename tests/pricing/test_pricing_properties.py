"""Hypothesis properties: text round trips, grid navigation invariants."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from fixengine.pricing import (
    DOCUMENTED_STRUCTURES,
    PricingError,
    TickGrid,
    format_money,
    format_price_dollars,
    format_qty,
    parse_money,
    parse_price_dollars,
    parse_qty,
)

FAST = settings(max_examples=300, deadline=None)


def decimal_text(max_places):
    """Well-formed non-negative decimals with 0..max_places decimals (optionally zero-padded)."""
    return st.builds(
        lambda whole, frac, pad: f"{whole}.{frac}{'0' * pad}" if frac else str(whole),
        st.integers(0, 10**6),
        st.one_of(st.just(""), st.integers(0, 10**max_places - 1).map(lambda f: str(f).zfill(max_places))),
        st.integers(0, 3),
    )


@FAST
@given(st.integers(0, 10**9))
def test_price_format_parse(units):
    assert parse_price_dollars(format_price_dollars(units)) == units


@FAST
@given(decimal_text(4))
def test_price_parse_matches_decimal(text):
    units = parse_price_dollars(text)
    assert Decimal(units) / 10_000 == Decimal(text)
    assert Decimal(format_price_dollars(units)) == Decimal(text)


@FAST
@given(st.integers(0, 10**9))
def test_qty_format_parse(units):
    assert parse_qty(format_qty(units)) == units


@FAST
@given(decimal_text(2))
def test_qty_parse_matches_decimal(text):
    assert Decimal(parse_qty(text)) / 100 == Decimal(text)


@FAST
@given(st.integers(-(10**12), 10**12), st.integers(0, 6))
def test_money_format_parse(units, places):
    text = format_money(units, places)
    assert parse_money(text) == units
    assert len(text.partition(".")[2]) >= places


@FAST
@given(st.text(max_size=12))
def test_parsers_raise_only_pricing_errors(text):
    for parse in (parse_price_dollars, parse_qty, parse_money):
        try:
            value = parse(text)
        except PricingError:
            continue
        assert isinstance(value, int)
        # anything accepted is a plain ASCII decimal that Decimal agrees with
        assert Decimal(value) == Decimal(text) * {parse_price_dollars: 10_000, parse_qty: 100, parse_money: 10**6}[parse]


grids = st.sampled_from(DOCUMENTED_STRUCTURES).map(TickGrid.from_structure)


@FAST
@given(grids, st.integers(-100, 10_100))
def test_rounding_brackets_price(grid, price):
    if grid.min_price <= price:
        down = grid.round_down(price)
        assert down <= price and grid.is_on_grid(down)
        assert grid.next_up(down) is None or grid.next_up(down) > price
    if price <= grid.max_price:
        up = grid.round_up(price)
        assert up >= price and grid.is_on_grid(up)
        assert grid.next_down(up) is None or grid.next_down(up) < price
    if grid.is_on_grid(price):
        assert grid.round_down(price) == price == grid.round_up(price)


@FAST
@given(grids, st.data())
def test_next_up_down_inverse(grid, data):
    index = data.draw(st.integers(0, grid.num_levels - 1))
    price = grid.price_at(index)
    assert grid.index_of(price) == index
    up = grid.next_up(price)
    if index == grid.num_levels - 1:
        assert up is None
    else:
        assert up == grid.price_at(index + 1) and grid.next_down(up) == price
    down = grid.next_down(price)
    if index == 0:
        assert down is None
    else:
        assert down == grid.price_at(index - 1) and grid.next_up(down) == price


@st.composite
def random_bands(draw):
    """Contiguous bands with random steps over a random sub-range of [0, 1]."""
    steps = [1, 2, 5, 10, 20, 50, 100, 250]
    start = draw(st.integers(0, 50)) * 100
    bands = []
    for _ in range(draw(st.integers(1, 4))):
        step = draw(st.sampled_from(steps))
        n = draw(st.integers(1, max(1, (10_000 - start) // step)))
        end = start + n * step
        if end > 10_000:
            break
        bands.append({"start": format_price_dollars(start), "end": format_price_dollars(end), "step": format_price_dollars(step)})
        start = end
        if start == 10_000:
            break
    return bands


@settings(max_examples=200, deadline=None)
@given(random_bands())
def test_random_grids_are_consistent(bands):
    try:
        grid = TickGrid.from_price_ranges(bands)
    except PricingError as exc:
        assert "no valid price" in str(exc)
        return
    levels = grid.levels()
    assert len(levels) == grid.num_levels == len(set(levels))
    assert levels == sorted(levels)
    # brute force: exactly the prices on some band's grid, strictly inside (0, 1)
    expected = set()
    for band in bands:
        s, e, step = (parse_price_dollars(band[k]) for k in ("start", "end", "step"))
        expected.update(p for p in range(s, e + 1, step) if 0 < p < 10_000)
    assert set(levels) == expected
    for index, price in enumerate(levels):
        assert grid.index_of(price) == index and grid.price_at(index) == price
    on_grid = set(levels)
    for price in range(0, 10_001, 7):
        assert grid.is_on_grid(price) == (price in on_grid)

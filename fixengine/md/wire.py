"""KalshiMD message bodies -> plain tuples, straight from the raw FIX text (part2 §6.1).

QuickFIX's per-field getters cost ~0.7-14 µs each (quickfix-notes); a repeating group of eight
fields per entry read that way would dominate the feed. One `str.split` of the whole message and
a walk over it is several times cheaper, so W and X are parsed here from `Message.toString()`.

Units: prices arrive in dollars (`0.4400`) and become $0.0001 units; sizes arrive as 2-decimal
contract counts and become 0.01-contract units. Anything else is a MarketDataParseError.
"""

from __future__ import annotations

from fixengine.errors import FixEngineError

SOH = "\x01"
BID, OFFER, TRADE = 0, 1, 2
NEW, CHANGE, DELETE = 0, 1, 2


class MarketDataParseError(FixEngineError):
    """A KalshiMD message that does not follow the documented layout."""


def dollars_to_units(text: str) -> int:
    """"0.4400" -> 4400. At most 4 decimals; no sign, no exponent."""
    whole, dot, frac = text.partition(".")
    if len(frac) > 4 or not (whole.isdigit() or (whole == "" and frac)) or (frac and not frac.isdigit()):
        raise MarketDataParseError(f"bad price {text!r}")
    return int(whole or "0") * 10_000 + (int(frac.ljust(4, "0")) if frac else 0)


def qty_to_units(text: str) -> int:
    """"120.00" -> 12000 (0.01 contract units). At most 2 decimals."""
    whole, dot, frac = text.partition(".")
    if len(frac) > 2 or not whole.isdigit() or (frac and not frac.isdigit()):
        raise MarketDataParseError(f"bad size {text!r}")
    return int(whole) * 100 + (int(frac.ljust(2, "0")) if frac else 0)


def parse_incremental(raw: str) -> list[tuple[int, str, int, int, int, int]]:
    """X -> [(action 279, symbol 55, type 269, price units, size units, aggressor 2446 or 0)].

    Entries start at each 279 (the group delimiter); 55 may be absent on later entries and then
    repeats the previous entry's symbol (FIX convention for instrument-less repeats)."""
    out: list[tuple[int, str, int, int, int, int]] = []
    action = -1
    symbol = ""
    kind = price = size = aggressor = 0
    try:
        for part in raw.split(SOH):
            eq = part.find("=")
            if eq < 0:
                continue
            tag = part[:eq]
            if tag == "279":
                if action >= 0:
                    out.append((action, symbol, kind, price, size, aggressor))
                action = int(part[eq + 1:])
                kind = price = size = aggressor = 0
            elif action < 0:
                continue
            elif tag == "55":
                symbol = part[eq + 1:]
            elif tag == "269":
                kind = int(part[eq + 1:])
            elif tag == "270":
                price = dollars_to_units(part[eq + 1:])
            elif tag == "271":
                size = qty_to_units(part[eq + 1:])
            elif tag == "2446":
                aggressor = int(part[eq + 1:])
            elif tag == "10":
                break
    except ValueError as exc:
        raise MarketDataParseError(f"bad IncrementalRefresh field: {exc}") from None
    if action >= 0:
        out.append((action, symbol, kind, price, size, aggressor))
    if any(a not in (NEW, CHANGE, DELETE) or k not in (BID, OFFER, TRADE) or not s for a, s, k, *_ in out):
        raise MarketDataParseError("IncrementalRefresh entry with unknown 279/269 or without 55")
    return out


def parse_snapshot(raw: str) -> tuple[str, list[tuple[int, int, int]]]:
    """W -> (symbol, [(type 269, price units, size units)]). An unknown ticker gives no entries."""
    symbol = ""
    levels: list[tuple[int, int, int]] = []
    kind = -1
    price = size = 0
    try:
        for part in raw.split(SOH):
            tag, _, value = part.partition("=")
            if tag == "55" and kind < 0:
                symbol = value
            elif tag == "269":
                if kind >= 0:
                    levels.append((kind, price, size))
                kind = int(value)
                price = size = 0
            elif tag == "270":
                price = dollars_to_units(value)
            elif tag == "271":
                size = qty_to_units(value)
            elif tag == "10":
                break
    except ValueError as exc:
        raise MarketDataParseError(f"bad SnapshotFullRefresh field: {exc}") from None
    if kind >= 0:
        levels.append((kind, price, size))
    if not symbol:
        raise MarketDataParseError("SnapshotFullRefresh without Symbol(55)")
    if any(k not in (BID, OFFER) for k, _, _ in levels):
        raise MarketDataParseError("SnapshotFullRefresh level with 269 other than 0/1")
    return symbol, levels


def fields_of(raw: str) -> dict[str, str]:
    """Every tag's first value (for the small messages Y / f)."""
    out: dict[str, str] = {}
    for part in raw.split(SOH):
        tag, sep, value = part.partition("=")
        if sep and tag not in out:
            out[tag] = value
    return out

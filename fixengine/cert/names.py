"""Field names <-> tag numbers for scenario files and reports, read from the Kalshi dictionaries.

Scenario authors may write `ClOrdID: ...` or `11: ...`; reports print `11(ClOrdID)=...`.
The dictionaries (specs/FIXT11.xml and specs/KalshiFIX50SP2.xml) are the single source of
names, so a Kalshi custom tag added there is usable in scenarios at once.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET

from fixengine.fix.spec import FULL_APP_SPEC, TRANSPORT_SPEC


@functools.cache
def _tables() -> tuple[dict[str, int], dict[int, str]]:
    by_name: dict[str, int] = {}
    by_tag: dict[int, str] = {}
    for path in (TRANSPORT_SPEC, FULL_APP_SPEC):
        root = ET.parse(path).getroot()
        fields = root.find("fields")
        if fields is None:
            continue
        for node in fields.findall("field"):
            tag = int(node.get("number", "0"))
            name = node.get("name", "")
            by_tag.setdefault(tag, name)
            by_name.setdefault(name.lower(), tag)
    return by_name, by_tag


def tag_of(key: str | int) -> int:
    """Tag number of a field given as a number, numeric text or dictionary name (case-insensitive)."""
    if isinstance(key, bool):
        raise KeyError(f"{key!r} is not a field")
    if isinstance(key, int):
        return key
    text = str(key).strip()
    if text.isdigit():
        return int(text)
    try:
        return _tables()[0][text.lower()]
    except KeyError:
        raise KeyError(f"unknown field name {text!r} (use the dictionary name, e.g. ClOrdID, or the tag number)") from None


def name_of(tag: int) -> str:
    """Dictionary name of a tag, or "" when the dictionaries do not define it."""
    return _tables()[1].get(tag, "")


def label(tag: int) -> str:
    """`11(ClOrdID)` or just `5001` for an undefined tag."""
    name = name_of(tag)
    return f"{tag}({name})" if name else str(tag)

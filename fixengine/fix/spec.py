"""Where the Kalshi FIX dictionaries live, and cached QuickFIX views of them.

``SPEC_DIR`` is the repository's ``specs/`` folder (found relative to this file), or the
folder named by the environment variable ``FIXENGINE_SPECS``. All dictionaries are generated
by ``python -m fixengine.fix.specgen`` and committed; nothing here reads the venv's stock specs.

``APP_SPEC`` is the *runtime* application dictionary (KalshiFIX50SP2-runtime.xml): the full one
trimmed to the messages Kalshi uses or answers with 35=j 380=3, with identical definitions. Every
session loads it (QuickFIX parses it and deep-copies it per session, so the full FIX 5.0 SP2
file made startup slow). ``FULL_APP_SPEC`` (KalshiFIX50SP2.xml) is the complete dictionary, for
tools that want every standard name and for checks that the trim lost nothing.

QuickFIX 1.16's ``DataDictionary.validate`` checks enum values, formats and NumInGroup counts
of top-level fields only; inside repeating groups it checks just the required fields (an unknown
tag ends a group and is then rejected at the top level). ``validate_message`` adds a value and
format pass over every field and a count check at every nesting level, so a wrong enum deep in a
group (PartyRole, CollateralAmountType, MDEntryType, ...) or a short nested group is caught too.

API: ``transport_dictionary()`` / ``app_dictionary()`` / ``full_app_dictionary()`` (cached
``quickfix.DataDictionary``), ``parse_message(raw, full=False)``, ``validate_message(raw,
full=False)`` (``full=True`` uses the full application dictionary) and
``recompute_length_and_checksum(raw)``.
"""

from __future__ import annotations

import functools
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from fixengine.errors import UserInputError

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_DIR = Path(os.environ.get("FIXENGINE_SPECS") or REPO_ROOT / "specs")
TRANSPORT_SPEC = SPEC_DIR / "FIXT11.xml"
APP_SPEC = SPEC_DIR / "KalshiFIX50SP2-runtime.xml"
FULL_APP_SPEC = SPEC_DIR / "KalshiFIX50SP2.xml"
CUSTOM_SPEC = SPEC_DIR / "kalshi-custom.yaml"

SOH = "\x01"
ADMIN_MSGTYPES = frozenset("0A12345n")  # QuickFIX validates these against the transport dictionary


class FixSpecError(UserInputError):
    """A FIX message does not conform to the Kalshi dictionaries."""


@functools.cache
def transport_dictionary():
    """The FIXT.1.1 session dictionary as a cached ``quickfix.DataDictionary``."""
    import quickfix

    return quickfix.DataDictionary(str(TRANSPORT_SPEC))


@functools.cache
def app_dictionary():
    """The runtime FIX 5.0 SP2 + Kalshi application dictionary (APP_SPEC), cached."""
    import quickfix

    return quickfix.DataDictionary(str(APP_SPEC))


@functools.cache
def full_app_dictionary():
    """The full FIX 5.0 SP2 + Kalshi application dictionary (FULL_APP_SPEC), cached."""
    import quickfix

    return quickfix.DataDictionary(str(FULL_APP_SPEC))


def _app(full: bool):
    """(application dictionary, its file) for the runtime or the full variant."""
    return (full_app_dictionary(), FULL_APP_SPEC) if full else (app_dictionary(), APP_SPEC)


@functools.cache
def field_types(path: str) -> dict[int, str]:
    """Tag -> QuickFIX type name, read from a dictionary file (the binding cannot report types)."""
    fields = ET.parse(path).getroot().find("fields")
    return {int(node.get("number")): node.get("type") for node in fields}


_DECIMAL = re.compile(r"-?(\d+\.?\d*|\.\d+)")
_INT = re.compile(r"-?\d+")
_DATE = re.compile(r"\d{8}")
_TIME = re.compile(r"\d{2}:\d{2}:\d{2}(\.\d{1,9})?")
_TIMESTAMP = re.compile(r"\d{8}-\d{2}:\d{2}:\d{2}(\.\d{1,9})?")
_FORMATS: dict[str, re.Pattern | None] = {
    **dict.fromkeys(("INT", "SEQNUM", "LENGTH", "NUMINGROUP", "TAGNUM", "DAYOFMONTH"), _INT),
    **dict.fromkeys(("PRICE", "QTY", "AMT", "FLOAT", "PERCENTAGE", "PRICEOFFSET"), _DECIMAL),
    **dict.fromkeys(("UTCDATEONLY", "UTCDATE", "LOCALMKTDATE"), _DATE),
    "UTCTIMEONLY": _TIME,
    "UTCTIMESTAMP": _TIMESTAMP,
    "BOOLEAN": re.compile(r"[YN]"),
    "CHAR": re.compile(r".", re.S),
    "MULTIPLECHARVALUE": re.compile(r"\S( \S)*"),
}


def recompute_length_and_checksum(raw: str) -> str:
    """Rewrite BodyLength(9) and CheckSum(10) of an SOH-delimited message to match its bytes."""
    begin_end = raw.index(SOH) + 1
    body_start = raw.index(SOH, begin_end) + 1
    trailer_at = raw.rindex(SOH + "10=", 0, len(raw) - 1) + 1
    body = raw[body_start:trailer_at]
    head = raw[:begin_end] + f"9={len(body.encode())}{SOH}" + body
    return head + f"10={sum(head.encode()) % 256:03d}{SOH}"


def split_fields(raw: str) -> list[tuple[int, str]]:
    """(tag, value) pairs in wire order. Every tag Kalshi uses is SOH-free text (96 is STRING
    in these dictionaries), so a plain split is exact."""
    pairs = []
    for item in raw.rstrip(SOH).split(SOH):
        tag, sep, value = item.partition("=")
        if not sep or not tag.isdigit():
            raise FixSpecError(f"malformed field {item!r}")
        pairs.append((int(tag), value))
    return pairs


def parse_message(raw: str | bytes, full: bool = False):
    """Parse with the transport and an application dictionary (groups resolved); checks
    BodyLength/CheckSum only."""
    import quickfix

    text = raw.decode("latin-1") if isinstance(raw, bytes) else raw
    try:
        return quickfix.Message(text, transport_dictionary(), _app(full)[0], True)
    except quickfix.FIXException as exc:
        raise FixSpecError(f"unparseable FIX message: {exc}") from exc


def validate_message(raw: str | bytes, full: bool = False):
    """Parse and fully validate one message the way a QuickFIX session with
    UseDataDictionary=Y would, plus enum/format checks inside repeating groups.
    ``full=True`` validates against FULL_APP_SPEC instead of the runtime APP_SPEC.
    Returns the parsed ``quickfix.Message``; raises FixSpecError naming the problem."""
    import quickfix

    text = raw.decode("latin-1") if isinstance(raw, bytes) else raw
    message = parse_message(text, full)
    msgtype = message.getHeader().getField(35)
    transport = transport_dictionary()
    app, app_path = (transport, TRANSPORT_SPEC) if msgtype in ADMIN_MSGTYPES else _app(full)
    try:
        quickfix.DataDictionary.validate(message, transport, app)
    except quickfix.FIXException as exc:
        raise FixSpecError(f"35={msgtype} rejected by the dictionary: {type(exc).__name__}: {exc}") from exc
    pairs = split_fields(text)
    check_field_values(pairs, transport, app, app_path)
    app_types = field_types(str(app_path))
    count_tags = {tag for tag, _ in pairs if app_types.get(tag) == "NUMINGROUP"}
    check_group_counts(message, count_tags)
    return message


def check_group_counts(fieldmap, count_tags: set[int]) -> None:
    """NumInGroup == number of parsed entries, at every nesting level (QuickFIX checks only the
    top level; a short nested group would otherwise pass with its fields re-homed)."""
    for tag in count_tags:
        if not fieldmap.isSetField(tag):
            continue
        declared, parsed = int(fieldmap.getField(tag)), fieldmap.groupCount(tag)
        if declared != parsed:
            raise FixSpecError(f"group {tag}: NumInGroup={declared} but {parsed} entries parsed")
        for index in range(1, parsed + 1):
            check_group_counts(fieldmap.getGroupRef(index, tag), count_tags)


def check_field_values(pairs: list[tuple[int, str]], transport, app, app_path: Path) -> None:
    """Enum and format check of every field, wherever it sits (header, body, any group);
    `app_path` is the file `app` was loaded from (the binding cannot report field types)."""
    for tag, value in pairs:
        in_transport = transport.isHeaderField(tag) or transport.isTrailerField(tag)
        dd, path = (transport, TRANSPORT_SPEC) if in_transport else (app, app_path)
        if not dd.isField(tag):
            raise FixSpecError(f"tag {tag} is not defined in {path.name}")
        if dd.hasFieldValue(tag) and not dd.isFieldValue(tag, value):
            raise FixSpecError(f"tag {tag}: value {value!r} is not an allowed enum value")
        pattern = _FORMATS.get(field_types(str(path)).get(tag, ""))
        if pattern is not None and not pattern.fullmatch(value):
            raise FixSpecError(f"tag {tag}: value {value!r} is not a valid {field_types(str(path))[tag]}")

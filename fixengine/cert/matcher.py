"""Field matchers of `expect` steps and the field-by-field diff a failing step prints.

A matcher is built from the scenario text once (`Matcher.parse`) and applied to a received
value (None when the tag is absent). Forms, as written in a scenario file:

  "0"  /  12            exact text (after variables are expanded); ints become their text
  0.56                  a YAML float: numeric equality (0.56 == "0.5600"); quote it to test text
  ~  (null)             the tag must be absent
  {regex: '^\\d+;\\d+$'} full match of a regular expression
  {any: true}           present with any value
  {absent: true}        not present
  {empty: true}         absent, or present with an empty value
  {one_of: ["4", "C"]}  exact text, one of several
  {eq|ne|lt|le|gt|ge: 10}  numeric comparison (exact decimals, never binary floats)
  {not: "8"}            present and different from the text
  {save: oid}           remember the received value as variable `oid` (alone: also requires presence)

Several keys combine (all must hold), e.g. `{regex: '^[0-9a-f-]{36}$', save: oid}`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

_NUMERIC = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_KEYS = set(_NUMERIC) | {"regex", "any", "absent", "empty", "one_of", "not", "save"}
_COMPARE: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
}


class MatcherError(ValueError):
    """A matcher written wrongly in a scenario file."""


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        return None
    return value if value.is_finite() else None


@dataclass(slots=True)
class Matcher:
    """One field's expectation. Text parts may hold variables; `expand` resolves them."""

    exact: str | None = None
    regex: str | None = None
    one_of: list[str] | None = None
    not_: str | None = None
    numeric: list[tuple[str, str]] = field(default_factory=list)  # (op, number text)
    absent: bool = False
    empty: bool = False
    present: bool = False
    save: str | None = None

    @classmethod
    def parse(cls, spec: Any) -> Matcher:
        if spec is None:
            return cls(absent=True)
        if isinstance(spec, bool):
            return cls(exact="Y" if spec else "N")
        if isinstance(spec, int):
            return cls(exact=str(spec))
        if isinstance(spec, float):
            return cls(numeric=[("eq", repr(spec))])
        if isinstance(spec, str):
            return cls(exact=spec)
        if not isinstance(spec, dict):
            raise MatcherError(f"a matcher is a value or a mapping of {sorted(_KEYS)}, got {type(spec).__name__}")
        unknown = set(spec) - _KEYS
        if unknown:
            raise MatcherError(f"unknown matcher key(s) {sorted(unknown)}; use {sorted(_KEYS)}")
        m = cls()
        if "regex" in spec:
            m.regex = str(spec["regex"])
            try:
                re.compile(m.regex)
            except re.error as exc:
                if "{" not in m.regex:  # a pattern with variables is checked after expansion
                    raise MatcherError(f"bad regex {m.regex!r}: {exc}") from None
        if "one_of" in spec:
            if not isinstance(spec["one_of"], list) or not spec["one_of"]:
                raise MatcherError("one_of needs a non-empty list")
            m.one_of = [_text(v) for v in spec["one_of"]]
        if "not" in spec:
            m.not_ = _text(spec["not"])
        for op in _NUMERIC:
            if op in spec:
                number = _text(spec[op])
                if "{" not in number and _decimal(number) is None:
                    raise MatcherError(f"{op} needs a number, got {spec[op]!r}")
                m.numeric.append((op, number))
        m.absent = bool(spec.get("absent", False))
        m.empty = bool(spec.get("empty", False))
        if m.empty and len(spec) > 1:
            raise MatcherError("empty cannot be combined with other matchers")
        m.present = bool(spec.get("any", False)) or "save" in spec
        if "save" in spec:
            m.save = str(spec["save"])
        if m.absent and (m.present or m.regex or m.one_of or m.numeric or m.not_):
            raise MatcherError("absent cannot be combined with other matchers")
        return m

    def expand(self, resolve: Callable[[str], str]) -> Matcher:
        """A copy with variables in the text parts resolved."""
        return Matcher(
            exact=resolve(self.exact) if self.exact is not None else None,
            regex=resolve(self.regex) if self.regex is not None else None,
            one_of=[resolve(v) for v in self.one_of] if self.one_of is not None else None,
            not_=resolve(self.not_) if self.not_ is not None else None,
            numeric=[(op, resolve(v)) for op, v in self.numeric],
            absent=self.absent, empty=self.empty, present=self.present, save=self.save,
        )

    def check(self, value: str | None) -> str | None:
        """None when `value` (None = absent) satisfies the matcher, else why not."""
        if self.absent:
            return None if value is None else "should be absent"
        if self.empty:
            return None if not value else "should be empty or absent"
        if value is None:
            return "missing"
        if self.exact is not None and value != self.exact:
            return "differs"
        if self.regex is not None and re.fullmatch(self.regex, value) is None:
            return f"does not match /{self.regex}/"
        if self.one_of is not None and value not in self.one_of:
            return "not one of the allowed values"
        if self.not_ is not None and value == self.not_:
            return f"must not be {self.not_!r}"
        for op, number in self.numeric:
            got, want = _decimal(value), _decimal(number)
            if got is None:
                return "not a number"
            if want is None:
                return f"bad number {number!r} in the scenario"
            if not _COMPARE[op](got, want):
                return f"fails {_NUMERIC[op]} {number}"
        return None

    def describe(self) -> str:
        """The expectation in words, for diffs: `'0'`, `/regex/`, `absent`, `>= 10`, `any`."""
        parts: list[str] = []
        if self.absent:
            return "absent"
        if self.empty:
            return "empty or absent"
        if self.exact is not None:
            parts.append(repr(self.exact))
        if self.regex is not None:
            parts.append(f"/{self.regex}/")
        if self.one_of is not None:
            parts.append("one of " + ", ".join(repr(v) for v in self.one_of))
        if self.not_ is not None:
            parts.append(f"not {self.not_!r}")
        parts.extend(f"{_NUMERIC[op]} {number}" for op, number in self.numeric)
        if not parts:
            parts.append("any value")
        if self.save:
            parts.append(f"(saved as {self.save})")
        return " and ".join(parts)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "Y" if value else "N"
    return str(value)


@dataclass(slots=True)
class FieldResult:
    tag: int
    expected: str
    got: str | None
    problem: str | None  # None = this field matched


def match_fields(matchers: dict[int, Matcher], get: Callable[[int], str | None]) -> list[FieldResult]:
    """Apply every matcher; the result lists all fields (matched or not) in scenario order."""
    results = []
    for tag, matcher in matchers.items():
        value = get(tag)
        results.append(FieldResult(tag, matcher.describe(), value, matcher.check(value)))
    return results


def render_diff(results: list[FieldResult], label: Callable[[int], str]) -> list[str]:
    """Field-by-field lines: `  ok   39(OrdStatus) = '0'` / `  FAIL 58(Text): expected ..., got ...`."""
    lines = []
    for r in results:
        got = "<absent>" if r.got is None else repr(r.got)
        if r.problem is None:
            lines.append(f"  ok   {label(r.tag)} = {got}")
        else:
            lines.append(f"  FAIL {label(r.tag)}: expected {r.expected}, got {got} ({r.problem})")
    return lines

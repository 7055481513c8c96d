"""Field matchers and the diff a failing expect prints."""

import pytest

from fixengine.cert.matcher import Matcher, MatcherError, match_fields, render_diff
from fixengine.cert.names import label


@pytest.mark.parametrize("spec, value, ok", [
    ("0", "0", True), ("0", "00", False), (12, "12", True), (None, None, True), (None, "x", False),
    (0.56, "0.5600", True), (0.56, "0.57", False), (True, "Y", True),
    ({"regex": r"^\d+;\d+$"}, "4;7", True), ({"regex": r"^\d+;\d+$"}, "4;7;1", False),
    ({"any": True}, "", True), ({"any": True}, None, False),
    ({"absent": True}, None, True), ({"absent": True}, "", False),
    ({"empty": True}, None, True), ({"empty": True}, "", True), ({"empty": True}, "x", False),
    ({"one_of": ["4", "C"]}, "C", True), ({"one_of": ["4", "C"]}, "8", False),
    ({"ge": 10}, "10.00", True), ({"gt": 10}, "10.00", False), ({"lt": "0.5"}, "0.4999", True),
    ({"eq": 10}, "ten", False), ({"not": "8"}, "0", True), ({"not": "8"}, "8", False),
    ({"regex": r"^\d+\.\d{2,}$", "eq": 10}, "10.00", True), ({"regex": r"^\d+\.\d{2,}$", "eq": 10}, "10", False),
])
def test_matcher_forms(spec, value, ok):
    assert (Matcher.parse(spec).check(value) is None) is ok


def test_save_requires_presence():
    m = Matcher.parse({"save": "oid"})
    assert m.save == "oid"
    assert m.check(None) == "missing"
    assert m.check("abc") is None


@pytest.mark.parametrize("spec", [{"regex": "("}, {"eq": "abc"}, {"absent": True, "any": True}, {"bogus": 1},
                                  {"one_of": []}, [1, 2], {"empty": True, "eq": 1}])
def test_bad_matchers_are_refused(spec):
    with pytest.raises(MatcherError):
        Matcher.parse(spec)


def test_expand_resolves_variables_in_every_text_part():
    m = Matcher.parse({"one_of": ["{a}", "x"], "ge": "{n}"}).expand(lambda t: t.replace("{a}", "A").replace("{n}", "3"))
    assert m.one_of == ["A", "x"] and m.numeric == [("ge", "3")]


def test_diff_lists_every_field_with_expected_and_received():
    matchers = {150: Matcher.parse("4"), 58: Matcher.parse("POST_ONLY_CROSS"), 14: Matcher.parse(0.0)}
    received = {150: "4", 14: "0.00"}
    results = match_fields(matchers, received.get)
    lines = render_diff(results, label)
    assert lines[0] == "  ok   150(ExecType) = '4'"
    assert lines[1] == "  FAIL 58(Text): expected 'POST_ONLY_CROSS', got <absent> (missing)"
    assert lines[2].startswith("  ok   14(CumQty)")

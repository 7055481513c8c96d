"""Runner extensions for issue #6's scenarios: `admin ... expect:` checks, hour durations, and the
two-party / extra-session shape the group, drop-copy, listener, settlement and RFQ scenarios use."""

import pytest

from fixengine.cert.runner import FAIL, PASS, ScenarioRunner
from fixengine.cert.scenario import ScenarioError, parse_duration, parse_scenario


def run(text, target):
    return ScenarioRunner(parse_scenario(text, "t.yaml"), target).run()


def test_hour_durations():
    assert parse_duration("3h", "w") == 10800.0
    assert parse_duration("181m", "w") == 10860.0
    with pytest.raises(ScenarioError):
        parse_duration("3d", "w")


def test_admin_expect_passes_when_the_result_matches(fake):
    _, target = fake(lambda msg, server: [])
    result = run("ref: x\nsteps:\n  - admin: {op: pause, args: {symbol: '{ticker:main}'}, "
                 "expect: {regex: '^pause:.*KXA-1.*$'}}", target)
    assert result.verdict == PASS, result.message
    assert any("returned" in (e.text or "") for e in result.transcript.entries)


def test_admin_expect_fails_with_the_value_it_got(fake):
    _, target = fake(lambda msg, server: [])
    target.admin_call = lambda op, args: 3
    result = run("ref: x\nsteps:\n  - admin: {op: open_orders, args: {key: trader}, expect: \"0\"}", target)
    assert result.verdict == FAIL
    assert "admin open_orders returned '3', expected '0'" in result.message
    assert "t.yaml:3" in result.message


def test_admin_expect_numeric_and_variables(fake):
    _, target = fake(lambda msg, server: [])
    target.admin_call = lambda op, args: "-10.00"
    ok = run("ref: x\nsteps:\n  - set: {want: '-10'}\n  - admin: {op: position, args: {symbol: a}, expect: {eq: '{want}'}}",
             target)
    assert ok.verdict == PASS, ok.message
    bad = run("ref: x\nsteps:\n  - admin: {op: position, args: {symbol: a}, expect: 10.0}", target)
    assert bad.verdict == FAIL and "fails == 10.0" in bad.message


def test_admin_expect_bad_matcher_is_a_scenario_error():
    with pytest.raises(ScenarioError, match="admin expect"):
        parse_scenario("ref: x\nsteps:\n  - admin: {op: position, expect: {bogus: 1}}", "t.yaml")


def test_requirements_name_every_extra_key_and_kind():
    sc = parse_scenario("""
ref: part2 §3
session: {kind: NR, key: trader}
steps:
  - connect: {conn: dc, kind: DC, key: dc}
  - connect: {conn: mm, kind: RFQ, key: maker}
  - send: {conn: dc, type: U1, fields: {BeginExecID: "{e1}"}}
""", "t.yaml")
    assert {"key:dc", "kind:DC", "key:maker", "kind:RFQ"} <= set(sc.requires)

"""Scenario file parsing: the documented format, and clear errors with file:line."""

import pytest

from fixengine.cert.scenario import ScenarioError, parse_duration, parse_scenario
from fixengine.cert.suite import DEFAULT_SCENARIO_DIR, discover

GOOD = """
name: sample
ref: part1 §3.4
title: a sample
session: {kind: NR, key: trader, flags: {CancelOrdersOnDisconnect: "Y"}}
requires: [admin]
steps:
  - connect: {}
  - logon: {fields: {ResetSeqNumFlag: null}, ack: false}
  - send: {type: D, fields: {ClOrdID: "{clordid:o1}", 44: "0.5600"}, checksum: wrong}
  - send: {type: "1", fields: [[112, A], [112, B]]}
  - send_raw: "8=FIXT.1.1|9=5|"
  - expect:
      type: "8"
      timeout: 500ms
      fields: {ExecType: "0", Text: ~, OrderID: {save: oid}}
  - expect_all: {messages: [{type: "8"}, {type: "9", fields: {CxlRejReason: "1"}}]}
  - expect_silence: 1s
  - expect_disconnect: {timeout: 2s, allow: ["5"]}
  - wait: 100ms
  - admin: {op: pause, args: {symbol: X}}
  - repeat: {times: 2, steps: [{send: {type: "0"}}]}
  - set: {x: "{now}"}
  - note: hello
  - disconnect
"""


def test_a_full_scenario_parses():
    sc = parse_scenario(GOOD, "sample.yaml")
    assert sc.name == "sample" and sc.ref == "part1 §3.4"
    assert sc.requires == ("admin", "key:trader", "kind:NR")  # explicit first, then implied by the steps
    assert sc.session.flags == ((8013, "Y"),)
    kinds = [s.kind for s in sc.steps]
    assert kinds[:4] == ["connect", "logon", "send", "send"]
    logon = sc.steps[1]
    assert logon.args["fields"] == [(141, None)] and logon.args["ack"] is False
    assert sc.steps[2].args["fields"] == [(11, "{clordid:o1}"), (44, "0.5600")]
    assert sc.steps[3].args["fields"] == [(112, "A"), (112, "B")]
    expect = sc.steps[5]
    assert expect.args["timeout"] == 0.5 and set(expect.args["fields"]) == {150, 58, 37}
    assert expect.line == 13  # the line of "- expect:" (line 1 is the empty first line)


@pytest.mark.parametrize("text, fragment", [
    ("steps: [connect: {}]", "`ref`"),
    ("ref: x\nsteps: []", "non-empty"),
    ("ref: x\nsteps:\n  - fly: {}", "unknown step 'fly'"),
    ("ref: x\nsteps:\n  - send: {fields: {}}", "send needs `type`"),
    ("ref: x\nsteps:\n  - send: {type: D, fields: {NoSuchField: 1}}", "unknown field name 'NoSuchField'"),
    ("ref: x\nsteps:\n  - send: {type: D, fields: {Price: 0.56}}", "quoted text"),
    ("ref: x\nsteps:\n  - expect: {type: '8', fields: {Text: {regex: '('}}}", "bad regex"),
    ("ref: x\nsteps:\n  - expect: {type: '8', timeout: soon}", "duration"),
    ("ref: x\nsession: {kind: XX}\nsteps: [connect: {}]", "session kind"),
    ("ref: x\nbogus: 1\nsteps: [connect: {}]", "unknown top-level"),
    ("ref: x\nsteps:\n  - connect: {colour: red}", "unknown option"),
    ("ref: [unclosed", "invalid YAML"),
])
def test_mistakes_are_reported_with_location(text, fragment):
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "bad.yaml")
    assert fragment in str(info.value)
    assert str(info.value).startswith("bad.yaml")


def test_requirements_are_implied_by_keys_kinds_tickers_and_admin():
    sc = parse_scenario("""
ref: x
session: {kind: NR, key: trader}
steps:
  - connect: {conn: l, key: trader2, kind: RT}
  - repeat: {times: 1, steps: [{admin: {op: tick}}]}
  - send: {conn: l, type: D, fields: {Symbol: "{ticker:subpenny}", 1: "{key_id:maker}"}}
""", "x.yaml")
    assert sc.requires == ("key:trader2", "kind:RT", "admin", "ticker:subpenny", "key:maker")


def test_durations():
    assert parse_duration("2s", "x") == 2.0
    assert parse_duration("250ms", "x") == 0.25
    assert parse_duration(3, "x") == 3.0
    assert parse_duration("1m", "x") == 60.0


def test_every_shipped_scenario_parses_and_names_its_fact_sheet_section():
    scenarios = discover(DEFAULT_SCENARIO_DIR)
    assert len(scenarios) >= 35
    for sc in scenarios:
        assert sc.ref.startswith("part"), sc.path
        assert sc.title, sc.path

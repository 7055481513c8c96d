"""The runner against a canned counterparty: verdicts, diffs, transcript focus, sequence handling."""

from fixengine.auth import verify_logon
from fixengine.cert.runner import ERROR, FAIL, PASS, SKIP, ScenarioRunner
from fixengine.cert.scenario import parse_scenario


def logon_then(reply_to_d):
    def script(msg, server):
        if msg.msg_type == "A":
            return [("A", [(98, "0"), (108, msg.get(108)), (141, "Y"), (1137, "9")])]
        if msg.msg_type == "D":
            return reply_to_d(msg)
        if msg.msg_type == "1":
            return [("0", [(112, msg.get(112))])]
        if msg.msg_type == "5":
            return "close"
        return []
    return script


def new_ack(msg):
    return [("8", [(11, msg.get(11)), (37, "OID-1"), (17, "4;7"), (150, "0"), (39, "0"), (44, msg.get(44)),
                   (151, "10.00"), (14, "0.00")])]


ORDER = """
ref: part1 §4.2
session: {kind: NR, key: trader}
steps:
  - connect: {}
  - logon: {}
  - send: {type: D, fields: {ClOrdID: "{clordid:o1}", OrderQty: "10", OrdType: "2", Price: "{px:0.56}",
                             Side: "1", Symbol: "{ticker:main}", TimeInForce: "1"}}
  - expect:
      type: "8"
      fields: {ClOrdID: "{clordid:o1}", ExecType: "0", Price: "0.5600", LeavesQty: 10.0, OrderID: {save: oid}}
  - send: {type: "1", fields: {TestReqID: "{var:oid}"}}
  - expect: {type: "0", fields: {TestReqID: OID-1}}
"""


def run(text, target):
    return ScenarioRunner(parse_scenario(text, "t.yaml"), target).run()


def test_a_matching_conversation_passes_and_signs_what_it_sends(fake, trader_key):
    server, target = fake(logon_then(new_ack))
    result = run(ORDER, target)
    assert result.verdict == PASS, result.message
    logon = server.received[0]
    assert logon.get(141) == "Y" and logon.get(21005) == "Y" and logon.get(95) == "344"
    assert verify_logon(trader_key.public_key(), logon.get(96), logon.get(52), logon.get(34), logon.get(49),
                        logon.get(56))
    assert [m.get(34) for m in server.received] == ["1", "2", "3"]
    assert server.received[1].get(44) == "0.5600"


def test_a_wrong_field_fails_with_a_field_by_field_diff_and_transcript_focus(fake):
    def posts_cancel(msg):
        return [("8", [(11, msg.get(11)), (150, "4"), (39, "4"), (44, msg.get(44)), (151, "0.00"), (58, "NOPE")])]

    server, target = fake(logon_then(posts_cancel))
    result = run(ORDER, target)
    assert result.verdict == FAIL
    assert "t.yaml:9: expect [main]" in result.message
    assert "FAIL 150(ExecType): expected '0', got '4' (differs)" in result.message
    assert "ok   44(Price) = '0.5600'" in result.message
    assert "also: 58(Text)='NOPE'" in result.message
    focus = result.transcript.entries[result.focus]
    assert focus.direction == "in" and b"150=4" in focus.raw


def test_timeout_and_unexpected_close_are_failures(fake):
    server, target = fake(logon_then(lambda msg: []))
    result = run(ORDER.replace('type: "8"\n', 'type: "8"\n      timeout: 200ms\n'), target)
    assert result.verdict == FAIL and "within 0.2s" in result.message
    assert "timeout after 0.2s" in result.transcript.entries[result.focus].text

    server2, target2 = fake(logon_then(lambda msg: "close"))
    result2 = run(ORDER, target2)
    assert result2.verdict == FAIL and "connection was closed" in result2.message


def test_expect_disconnect_and_silence(fake):
    server, target = fake(logon_then(new_ack))
    ok = run("""
ref: part1 §3.8
steps:
  - connect: {}
  - logon: {}
  - expect_silence: 200ms
  - send: {type: "5"}
  - expect_disconnect: {timeout: 1s}
""", target)
    assert ok.verdict == PASS, ok.message
    stays = run("""
ref: part1 §3.8
steps:
  - connect: {}
  - logon: {}
  - expect_disconnect: {timeout: 300ms}
""", target)
    assert stays.verdict == FAIL and "stayed open" in stays.message


def test_garbled_sends_do_not_use_a_sequence_number_and_resends_do_not_rewind(fake):
    server, target = fake(logon_then(new_ack))
    result = run("""
ref: part1 §3.6
steps:
  - connect: {}
  - logon: {}
  - send: {type: "0", checksum: wrong}
  - send: {type: "0", body_length: "+3"}
  - send: {type: "0"}
  - send: {type: "0", header: {MsgSeqNum: "2", PossDupFlag: "Y"}}
  - send: {type: "0", header: {MsgSeqNum: "{seq+2}"}}
  - send: {type: "0"}
  - wait: 200ms
""", target)
    assert result.verdict == PASS, result.message
    seqs = [m.get(34) for m in server.received]
    assert seqs == ["1", "2", "2", "2", "2", "5", "6"]
    assert server.received[1].problems and server.received[2].problems


def test_server_sequence_gaps_are_reported(fake):
    def skip_numbers(msg, server):
        if msg.msg_type == "A":
            return [("A", [(141, "Y")])]
        server.out_seq += 2
        return [("0", [(112, msg.get(112))])]

    server, target = fake(skip_numbers)
    result = run("""
ref: part1 §3.6
steps:
  - connect: {}
  - logon: {}
  - send: {type: "1", fields: {TestReqID: X}}
  - expect: {type: "0", fields: {TestReqID: X}}
""", target)
    assert result.verdict == FAIL and "MsgSeqNum(34) is 4, expected 2" in result.message


def test_expect_all_accepts_any_order_and_names_what_is_missing(fake):
    def two_reports(msg):
        return [("8", [(11, "B"), (150, "4")]), ("8", [(11, "A"), (150, "0")])]

    server, target = fake(logon_then(two_reports))
    text = """
ref: part1 §4.4
steps:
  - connect: {}
  - logon: {}
  - send: {type: D, fields: {ClOrdID: X}}
  - expect_all:
      timeout: 500ms
      messages:
        - {type: "8", fields: {ClOrdID: A, ExecType: "0"}}
        - {type: "8", fields: {ClOrdID: B, ExecType: "4"}}
"""
    assert run(text, target).verdict == PASS
    missing = run(text.replace("ExecType: \"4\"}}", "ExecType: \"4\"}}\n        - {type: \"9\"}"), target)
    assert missing.verdict == FAIL and "35='9'" in missing.message


def test_skip_error_and_admin(fake):
    server, target = fake(logon_then(new_ack))
    skipped = run("ref: x\nrequires: [\"key:maker\"]\nsteps: [connect: {}]", target)
    assert skipped.verdict == SKIP and "key:maker" in skipped.message
    error = run("ref: x\nsteps:\n  - connect: {}\n  - send: {type: D, fields: {ClOrdID: '{ghost}'}}", target)
    assert error.verdict == ERROR and "unknown variable 'ghost'" in error.message and "t.yaml:4" in error.message
    admin = run("ref: x\nsteps:\n  - admin: {op: pause, args: {symbol: '{ticker:main}'}, save: r}\n"
                "  - set: {copy: '{r}'}", target)
    assert admin.verdict == PASS
    assert "admin pause {'symbol': 'KXA-1'}" in admin.transcript.entries[0].text


def test_repeat_numbers_iterations(fake):
    server, target = fake(logon_then(new_ack))
    result = run("""
ref: x
steps:
  - connect: {}
  - logon: {}
  - repeat: {times: 3, steps: [{send: {type: "1", fields: {TestReqID: "R{i}"}}}]}
  - expect: {type: "0", fields: {TestReqID: R1}}
  - expect: {type: "0", fields: {TestReqID: R2}}
  - expect: {type: "0", fields: {TestReqID: R3}}
""", target)
    assert result.verdict == PASS, result.message


def test_remote_cleanup_mass_cancels_after_each_scenario(fake):
    from fixengine.cert.suite import run_suite
    from fixengine.cert.target import mass_cancel
    import io

    def script(msg, server):
        if msg.msg_type == "A":
            return [("A", [(141, "Y")])]
        if msg.msg_type == "q":
            return [("r", [(11, msg.get(11)), (531, "6")])]
        return "close" if msg.msg_type == "5" else []

    server, target = fake(script)
    target.cleanup = lambda: mass_cancel(target, pause_s=0)
    scenario = parse_scenario("ref: x\nsteps:\n  - connect: {}\n  - logon: {}\n", "t.yaml")
    run = run_suite([scenario], target, out=io.StringIO())
    assert run.results[0].transcript.entries[-1].text == "mass cancel answered 35=r 6"
    types = [m.msg_type for m in server.received]
    assert types == ["A", "A", "q", "5"]
    assert server.received[2].get(530) == "6"

"""Evidence writers on canned results: redaction, JUnit XML, Markdown, console lines."""

import xml.etree.ElementTree as ET

from fixengine.cert.report import (context_lines, failure_block, junit_xml, markdown_report, progress_line, redact,
                                   summary_line, write_reports)
from fixengine.cert.runner import ERROR, FAIL, PASS, SKIP, ScenarioResult
from fixengine.cert.wire import Transcript, encode

SIG = "Q" * 342 + "=="
LOGON = encode([(35, "A"), (49, "KEY"), (56, "KalshiNR"), (34, "1"), (52, "20261125-16:00:00.000"),
                (98, "0"), (108, "30"), (95, "344"), (96, SIG), (141, "Y"), (1137, "9")])
PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----"


def canned(verdict=FAIL, message="t.yaml:9: expect [main]: expected 35='8'\n  FAIL 150(ExecType): expected '0', got '4'"):
    transcript = Transcript()
    transcript.note("main", "connected (TCP) to 127.0.0.1:1")
    transcript.add("main", "out", LOGON)
    transcript.add("main", "in", encode([(35, "A"), (34, "1")]))
    for i in range(12):
        transcript.add("main", "in", encode([(35, "0"), (34, str(i + 2))]))
    transcript.note("main", "oops " + PEM)
    return ScenarioResult("order-x", "specs/cert/order-x.yaml", "part1 §4.4", "purpose", verdict, message,
                          line=9, focus=2, seconds=0.25, transcript=transcript)


def test_signatures_and_key_material_never_reach_a_report():
    assert "<redacted 344 chars>" in redact(LOGON) and SIG not in redact(LOGON)
    result = canned(message="failed near " + PEM)
    for text in (markdown_report([result], "local-sim", 1.0), junit_xml([result], "s", "local-sim", 1.0),
                 failure_block(result)):
        assert SIG not in text
        assert "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" not in text
        assert "BEGIN PRIVATE KEY" not in text


def test_failure_block_shows_the_transcript_around_the_focus():
    result = canned()
    lines = context_lines(result)
    assert lines[0].startswith("   #0") and any(line.startswith("=> #2") for line in lines)
    assert len(lines) == 2 + 1 + 2  # two before the focus (start of transcript), focus, two after
    block = failure_block(result)
    assert "FAIL 150(ExecType)" in block and "transcript around the failure" in block


def test_junit_xml_counts_and_embeds_transcripts():
    results = [canned(PASS, ""), canned(), canned(ERROR, "t.yaml:3: send: unknown variable"), canned(SKIP, "lacks admin")]
    root = ET.fromstring(junit_xml(results, "fixengine-cert", "local-sim", 2.5))
    suite = root.find("testsuite")
    assert suite.get("tests") == "4" and suite.get("failures") == "1"
    assert suite.get("errors") == "1" and suite.get("skipped") == "1"
    cases = suite.findall("testcase")
    assert cases[1].find("failure").get("message").startswith("t.yaml:9")
    assert cases[2].find("error") is not None and cases[3].find("skipped") is not None
    assert "ref: part1 §4.4" in cases[0].find("system-out").text


def test_markdown_has_summary_table_verdicts_and_transcripts(tmp_path):
    results = [canned(PASS, ""), canned()]
    md = markdown_report(results, "local-sim", 1.5)
    assert "| 2 | [order-x](#order-x) | part1 §4.4 | **FAIL** | 0.25s |" in md
    assert md.count("<summary>transcript</summary>") == 2
    assert "2 scenarios: 1 passed, 1 failed, 0 errors, 0 skipped" in md
    junit, report = write_reports(results, tmp_path / "out", "local-sim", 1.5)
    assert junit.exists() and report.read_text().startswith("# FIX certification report")


def test_console_lines():
    line = progress_line(canned(SKIP, "target lacks: admin"), 3, 12)
    assert line.startswith("[ 3/12] SKIP  order-x") and "target lacks: admin" in line
    assert summary_line([canned(PASS, ""), canned()], 3.0) == (
        "2 scenarios: 1 passed, 1 failed, 0 errors, 0 skipped in 3.0s")

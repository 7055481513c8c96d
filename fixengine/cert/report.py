"""Evidence: console lines, JUnit XML and a Markdown report with every transcript.

Everything that leaves the runner goes through `redact`: RawData(96) (the logon signature),
Password(554) / NewPassword(925) and anything that looks like PEM key material are replaced
by a marker that keeps only the length, so a report can be attached to a ticket safely.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from fixengine.cert.runner import ERROR, FAIL, PASS, SKIP, ScenarioResult
from fixengine.cert.wire import SOH, TranscriptEntry, split_fields

SECRET_TAGS = frozenset({96, 554, 925})
_PEM = re.compile(r"-----BEGIN [A-Z ]+-----.*?(-----END [A-Z ]+-----|$)", re.S)
_ARROWS = {"out": "->", "in": "<-", "note": "--"}
CONTEXT_BEFORE = 8
CONTEXT_AFTER = 2


def redact_text(text: str) -> str:
    return _PEM.sub("<redacted key material>", text)


def redact(raw: bytes) -> str:
    """Wire bytes as a `|`-separated line with secrets replaced (lengths kept)."""
    parts = []
    for tag, value in split_fields(raw):
        if tag in SECRET_TAGS:
            value = f"<redacted {len(value)} chars>"
        parts.append(f"{tag}={value}" if tag >= 0 else value)
    line = "|".join(parts) + ("|" if raw.endswith(SOH.encode()) else "")
    return redact_text("".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in line))


def entry_line(entry: TranscriptEntry) -> str:
    head = f"#{entry.index:<3d} +{entry.at:8.3f}s {entry.conn:<8s} {_ARROWS.get(entry.direction, '??')}"
    if entry.direction == "note":
        return f"{head} {redact_text(entry.text)}"
    note = f"   [{redact_text(entry.text)}]" if entry.text else ""
    return f"{head} {redact(entry.raw)}{note}"


def transcript_lines(result: ScenarioResult) -> list[str]:
    return [entry_line(e) for e in result.transcript.entries]


def context_lines(result: ScenarioResult) -> list[str]:
    """The transcript around the failure (a few entries before, one or two after)."""
    entries = result.transcript.entries
    if not entries:
        return []
    focus = result.focus if result.focus is not None else len(entries) - 1
    lo, hi = max(0, focus - CONTEXT_BEFORE), min(len(entries), focus + CONTEXT_AFTER + 1)
    return [("=> " if e.index == focus else "   ") + entry_line(e) for e in entries[lo:hi]]


# ---------------------------------------------------------------------- console


def progress_line(result: ScenarioResult, position: int, total: int) -> str:
    mark = {PASS: "PASS ", FAIL: "FAIL ", ERROR: "ERROR", SKIP: "SKIP "}[result.verdict]
    line = f"[{position:>{len(str(total))}}/{total}] {mark} {result.name:<40s} {result.seconds:6.2f}s  ({result.ref})"
    if result.verdict == SKIP:
        line += f"  {result.message}"
    return line


def failure_block(result: ScenarioResult) -> str:
    lines = [f"--- {result.verdict.upper()}: {result.name} ({result.ref})", redact_text(result.message)]
    context = context_lines(result)
    if context:
        lines.append("  transcript around the failure:")
        lines += ["  " + c for c in context]
    return "\n".join(lines)


def summary_line(results: list[ScenarioResult], seconds: float) -> str:
    counts = Counter(r.verdict for r in results)
    return (f"{len(results)} scenarios: {counts[PASS]} passed, {counts[FAIL]} failed, "
            f"{counts[ERROR]} errors, {counts[SKIP]} skipped in {seconds:.1f}s")


# ---------------------------------------------------------------------- JUnit XML


def junit_xml(results: list[ScenarioResult], suite: str, target: str, seconds: float) -> str:
    counts = Counter(r.verdict for r in results)
    root = ET.Element("testsuites")
    ts = ET.SubElement(root, "testsuite", name=suite, tests=str(len(results)), failures=str(counts[FAIL]),
                       errors=str(counts[ERROR]), skipped=str(counts[SKIP]), time=f"{seconds:.3f}",
                       timestamp=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"))
    props = ET.SubElement(ts, "properties")
    ET.SubElement(props, "property", name="target", value=target)
    for r in results:
        case = ET.SubElement(ts, "testcase", classname=f"{suite}.{target}", name=r.name, time=f"{r.seconds:.3f}",
                             file=r.path)
        if r.verdict in (FAIL, ERROR):
            tag = "failure" if r.verdict == FAIL else "error"
            node = ET.SubElement(case, tag, message=redact_text(r.message.splitlines()[0] if r.message else r.verdict))
            node.text = failure_block(r)
        elif r.verdict == SKIP:
            ET.SubElement(case, "skipped", message=r.message)
        out = ET.SubElement(case, "system-out")
        out.text = f"ref: {r.ref}\n" + "\n".join(transcript_lines(r))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# ---------------------------------------------------------------------- Markdown


def markdown_report(results: list[ScenarioResult], target: str, seconds: float) -> str:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    lines = [
        "# FIX certification report", "",
        f"- target: `{target}`", f"- run at: {now}", f"- {summary_line(results, seconds)}",
        "- secrets: RawData(96) signatures, passwords and key material are redacted", "",
        "| # | scenario | fact-sheet ref | verdict | time |", "|---|---|---|---|---|",
    ]
    for i, r in enumerate(results, 1):
        lines.append(f"| {i} | [{r.name}](#{_anchor(r.name)}) | {r.ref} | **{r.verdict.upper()}** | {r.seconds:.2f}s |")
    for r in results:
        lines += ["", f"## {r.name}", "", f"- file: `{r.path}`", f"- checks: {r.ref}"]
        if r.title:
            lines.append(f"- purpose: {r.title}")
        if r.description:
            lines.append(f"- note: {r.description}")
        lines.append(f"- verdict: **{r.verdict.upper()}** in {r.seconds:.2f}s")
        if r.message:
            lines += ["", "```text", redact_text(r.message), "```"]
        if r.transcript.entries:
            lines += ["", "<details><summary>transcript</summary>", "", "```text"]
            lines += transcript_lines(r)
            lines += ["```", "", "</details>"]
    return "\n".join(lines) + "\n"


def _anchor(name: str) -> str:
    return re.sub(r"[^a-z0-9 -]", "", name.lower()).replace(" ", "-")


def write_reports(results: list[ScenarioResult], report_dir: Path, target: str, seconds: float) -> tuple[Path, Path]:
    report_dir.mkdir(parents=True, exist_ok=True)
    junit = report_dir / "cert-junit.xml"
    md = report_dir / "cert-report.md"
    junit.write_text(junit_xml(results, "fixengine-cert", target, seconds), encoding="utf-8")
    md.write_text(markdown_report(results, target, seconds), encoding="utf-8")
    return junit, md



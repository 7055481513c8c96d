"""Store, CSV / JSON / terminal output, end-of-day report and the CLI's exit codes."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET

from fixengine.cli import main
from fixengine.recon.breaks import CSV_COLUMNS
from fixengine.recon.eod import markdown, svg_chart, timeline
from fixengine.recon.output import dollars, summary_table, write_csv, write_json
from fixengine.recon.reconcile import reconcile
from fixengine.recon.sources import JournalView, ReportSet, read_reports_jsonl, write_reports_jsonl
from fixengine.recon.store import ReconStore, stored_breaks

from recon_helpers import MKT, MKT2, fill, new_ack, order, write_journal


def _scenario(tmp_path):
    a, b = order("a"), order("b", ticker=MKT2, price=3000, qty=500)
    rs = [new_ack(a, "1;1", "OA"), fill(a, "2;2", "OA", 400, 400), fill(b, "3;3", "OB", 500, 500),
          fill(a, "4;4", "OA", 600, 1000)]
    rs[3].transact_time = "20261125-18:30:00.000"
    path = write_journal(tmp_path / "j.sqlite", [a, b], rs[:3])
    return path, rs


def test_dollars_and_tables():
    assert dollars(-13_904_760) == "-13.9048" and dollars(50) == "0.0001" and dollars(0) == "0.0000"


def test_store_keeps_runs_breaks_and_resolves(tmp_path):
    path, rs = _scenario(tmp_path)
    reports = ReportSet.build(rs)
    first = reconcile(JournalView.load(path), reports)
    with ReconStore(tmp_path / "recon.sqlite") as store:
        run1 = store.record(first, str(path), 1)
        assert len(store.open_breaks()) == len(first.breaks)
        assert [b.key for b in stored_breaks(store, run1)] == [b.key for b in first.breaks]
        write_reports_jsonl(tmp_path / "r.jsonl", rs[:3])  # the fill 4;4 never came: fewer breaks
        second = reconcile(JournalView.load(path), ReportSet.build(read_reports_jsonl([tmp_path / "r.jsonl"])))
        run2 = store.record(second, str(path), 0 if second.clean else 1)
        assert second.clean and store.open_breaks() == []
        status = store.status(first.breaks[0].key)
        assert status["resolved"] == 1 and status["resolved_run"] == run2 and status["first_run"] == run1
        assert [r["breaks"] for r in store.runs()] == [len(first.breaks), 0]
    with ReconStore(tmp_path / "recon.sqlite") as store:  # persistent
        assert len(store.runs()) == 2


def test_csv_json_and_terminal_summary(tmp_path):
    path, rs = _scenario(tmp_path)
    result = reconcile(JournalView.load(path), ReportSet.build(rs))
    write_csv(tmp_path / "b.csv", result.breaks)
    write_json(tmp_path / "b.json", result, 7)
    rows = list(csv.DictReader(open(tmp_path / "b.csv", encoding="utf-8")))
    assert list(rows[0]) == list(CSV_COLUMNS) and len(rows) == len(result.breaks)
    assert rows[0]["type"] == "fill_missing_in_journal" and rows[0]["exec_id"] == "4;4"
    data = json.loads((tmp_path / "b.json").read_text())
    assert data["run_id"] == 7 and data["exit_code"] == 1 and data["by_type"]["fill_missing_in_journal"] == 1
    table = summary_table(result)
    assert "fill_missing_in_journal" in table and "6.00" in table and "TOTAL" in table


def test_eod_markdown_and_svg(tmp_path):
    path, rs = _scenario(tmp_path)
    view = JournalView.load(path)
    result = reconcile(view, ReportSet.build(rs))
    text = markdown(view, result, chart="eod.svg")
    assert "| KXHIGHNY-26NOV25-B55.5 | 0 | 4.00 | 4.00 | 0.00 |" in text
    assert "fill_missing_in_journal" in text and "![position and P&L](eod.svg)" in text
    tl = timeline(view.fills)
    assert tl.nets[(MKT, 0)] == [400, 400] and tl.nets[(MKT2, 0)] == [0, 500] and tl.timed
    svg = svg_chart(tl)
    root = ET.fromstring(svg)  # well-formed XML
    assert root.tag.endswith("svg") and svg.count("<polyline") == 3


def test_cli_exit_codes_repair_and_files(tmp_path):
    path, rs = _scenario(tmp_path)
    write_reports_jsonl(tmp_path / "r.jsonl", rs)
    out = tmp_path / "out"
    base = ["reconcile", "--journal", str(path), "--reports", str(tmp_path / "r.jsonl"), "--out", str(out)]
    assert main(base) == 1
    assert {p.name for p in out.iterdir()} == {"breaks.csv", "breaks.json", "eod.md", "eod.svg"}
    assert main(base + ["--repair"]) == 0
    assert main(base) == 0
    with ReconStore(tmp_path / "recon.sqlite") as store:
        runs = store.runs()
        assert [r["exit_code"] for r in runs] == [1, 1, 0, 0] and runs[2]["repaired"] == 1
    assert main(["reconcile", "--journal", str(tmp_path / "nope.sqlite")]) == 2
    (tmp_path / "bad.jsonl").write_text("{not json\n")
    assert main(["reconcile", "--journal", str(path), "--reports", str(tmp_path / "bad.jsonl")]) == 2
    assert main(["reconcile", "--journal", str(path), "--key-id", "k"]) == 2


def test_cli_json_output(tmp_path, capsys):
    path, rs = _scenario(tmp_path)
    write_reports_jsonl(tmp_path / "r.jsonl", rs[:3])
    code = main(["reconcile", "--journal", str(path), "--reports", str(tmp_path / "r.jsonl"), "--out",
                 str(tmp_path / "o"), "--json", "--no-eod", "--store", str(tmp_path / "s.sqlite")])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["clean"] and data["run_id"] == 1
    assert not (tmp_path / "o" / "eod.md").exists()

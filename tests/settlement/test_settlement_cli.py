"""`fixengine settlements list|show` on a journal filled with the fact sheet's examples."""

from __future__ import annotations

import json

from fixengine.book import Book
from fixengine.cli import main
from fixengine.model import ExecReport, ExecType, OrdStatus, Side
from fixengine.settlement import SettlementJournal, SettlementProcessor
from ums_examples import NO_40, SCALAR_7, TWO_PAGE_1, TWO_PAGE_2, YES_100

PARTY = "8d7c6b5a-4e3f-4a2b-9c1d-0e9f8a7b6c5d"


def journal_with_examples(tmp_path, *, open_batch: bool = False):
    path = tmp_path / "settlements.sqlite"
    book = Book()
    # the scalar market was bought at $0.25 for 7 contracts: its realized P&L is known
    book.apply_exec_report(ExecReport(exec_id="f1", order_id="o1", cl_ord_id="c1", exec_type=ExecType.TRADE,
                                      ord_status=OrdStatus.FILLED, side=Side.BUY, symbol="KXCPIYOY-26JUL-T3.0",
                                      order_qty=700, leaves_qty=0, cum_qty=700, price=2_500, last_px=2_500,
                                      last_qty=700))
    proc = SettlementProcessor(SettlementJournal(path), book=book)
    for wire in (YES_100, NO_40, SCALAR_7, TWO_PAGE_1) + (() if open_batch else (TWO_PAGE_2,)):
        assert proc.process_wire(wire, "KalshiPT").status == "applied"
    proc.close()
    return path


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["settlements", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_prints_one_row_per_batch_with_fixed_decimals(tmp_path, capsys):
    path = journal_with_examples(tmp_path)
    code, out, _ = run(capsys, "list", "--journal", str(path))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["date", "symbol", "result", "price"]
    rows = {line.split()[1] + "/" + line.split()[2]: line.split() for line in lines[1:]}
    assert set(rows) == {"KXHIGHNY-26AUG25-B85.5/yes", "KXHIGHNY-26AUG25-B87.5/no", "KXCPIYOY-26JUL-T3.0/scalar"}
    assert len(lines) == 5  # header + 4 batches (B85.5 settled twice in the examples)
    scalar = rows["KXCPIYOY-26JUL-T3.0/scalar"]
    # date symbol result price long short payout fee realized pages
    assert scalar == ["20260826", "KXCPIYOY-26JUL-T3.0", "scalar", "0.3060", "7.00", "0.00", "2.1400", "0.0020",
                      "0.3920", "1"]  # realized = 7 x 0.306 - 7 x 0.25
    no = rows["KXHIGHNY-26AUG25-B87.5/no"]
    assert no[3:9] == ["0.0000", "0.00", "40.00", "40.0000", "0.0000", "-"]  # book never held it: P&L unknown
    two_page = [line.split() for line in lines[1:] if line.split()[-1] == "2/2"]
    assert two_page and two_page[0][4:7] == ["35.00", "5.00", "35.0000"]


def test_list_filters_by_symbol_and_speaks_json(tmp_path, capsys):
    path = journal_with_examples(tmp_path)
    code, out, _ = run(capsys, "list", "--journal", str(path), "--symbol", "KXCPIYOY-26JUL-T3.0", "--json")
    assert code == 0
    [batch] = json.loads(out)
    assert batch["settlement_price"] == "0.3060" and batch["payout"] == "2.1400" and batch["fee"] == "0.0020"
    assert batch["parties"][0]["party_id"] == PARTY and batch["parties"][0]["cost"] == "1.7500"


def test_show_lists_parties_and_pages(tmp_path, capsys):
    path = journal_with_examples(tmp_path)
    code, out, _ = run(capsys, "show", "KXHIGHNY-26AUG25-B85.5", "--journal", str(path))
    assert code == 0
    for text in ("party-A", "party-B", "party-C", PARTY, "11111111-2222-4333-8444-555555555555", "100.0000"):
        assert text in out
    code, out, _ = run(capsys, "show", "KXHIGHNY-26AUG25-B85.5", "--journal", str(path), "--json")
    data = json.loads(out)
    assert [p["msg_seq_num"] for p in data["pages"]] == [2, 5, 6]
    assert data["pages"][0]["raw"].startswith("8=FIXT.1.1|9=344|35=UMS|")


def test_an_open_batch_is_listed_incomplete(tmp_path, capsys):
    path = journal_with_examples(tmp_path, open_batch=True)
    code, out, _ = run(capsys, "list", "--journal", str(path))
    assert code == 0
    assert any("(incomplete)" in line and "1/2" in line for line in out.splitlines())


def test_missing_journal_and_unknown_symbol_are_user_errors(tmp_path, capsys):
    code, _, err = run(capsys, "list", "--journal", str(tmp_path / "nope.sqlite"))
    assert code == 2 and "no settlement journal" in err
    path = journal_with_examples(tmp_path)
    code, _, err = run(capsys, "show", "KXNOPE", "--journal", str(path))
    assert code == 2 and "no settlement of KXNOPE" in err

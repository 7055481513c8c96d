"""`fixengine dropcopy replay|listen` -> JSONL that `fixengine reconcile --reports` reads."""

from __future__ import annotations

import argparse
import io
import threading

import pytest

from fixengine.config.types import SessionKind
from fixengine.dropcopy import cli as dccli
from fixengine.dropcopy.client import DropCopyRejected
from fixengine.engine import journal as J
from fixengine.engine.orders import Order
from fixengine.engine.recovery import encode_order
from fixengine.model import Side
from fixengine.errors import UserInputError
from fixengine.recon import cli as reconcli
from fixengine.recon.sources import read_reports_jsonl

from dc_world import LINEAR, SHARDED

pytestmark = pytest.mark.slow  # several simulators and client logons per test
from dc_config import client_config
from dc_helpers import history_ids, trade, wait_listening


def run(argv: list[str]) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="fixengine")
    sub = parser.add_subparsers(dest="command")
    dccli.register(sub)
    reconcli.register(sub)
    args = parser.parse_args(argv)
    buf = io.StringIO()
    code = args.func(args, buf)
    return code, buf.getvalue()


def test_replay_to_jsonl_feeds_reconcile_and_repair(sim, keyring, tmp_path):
    trade(sim, keyring, "cli-1", qty=300, rest_qty=100)
    trade(sim, keyring, "cli-2", symbol=SHARDED)
    s0, s2 = history_ids(sim), history_ids(sim, 2)
    path, _ = client_config(tmp_path / "dc", sim, keyring, "DC", "dc")
    out = tmp_path / "dc.jsonl"
    base = ["dropcopy", "replay", "--logout-timeout", "0.2", "--config", str(path), "--out", str(out)]
    code, text = run(base + ["--range", s0[0], "--range", f"{s2[0]}..{s2[-1]}"])
    assert code == 0 and f"wrote {len(s0) + len(s2)} reports" in text
    assert [r.exec_id for r in read_reports_jsonl([out])] == s0 + s2
    code, text = run(base + ["--append", "--range", s0[0]])  # again: nothing duplicated
    assert code == 0 and f"wrote 0 reports" in text and f"({len(s0)} already there)" in text
    assert len(read_reports_jsonl([out])) == len(s0) + len(s2)

    journal = tmp_path / "orders.sqlite"
    jr = J.Journal(journal)  # the engine journaled its intents, then died before any report
    for cl, symbol in (("cli-1", LINEAR), ("cli-2", SHARDED)):
        order = Order(cl, symbol, Side.BUY, "buy_yes", 4500, 400 if cl == "cli-1" else 200, "1")
        jr.append(J.NEW, cl, encode_order(order))
    jr.close()
    recon = ["reconcile", "--journal", str(journal), "--reports", str(out), "--out", str(tmp_path / "r"),
             "--no-eod"]
    assert run(recon)[0] == 1  # the fills are missing from the (empty) journal
    code, text = run(recon + ["--repair"])
    assert code == 0 and "appended" in text
    assert run(recon)[0] == 0
    assert run(recon + ["--repair"])[1].count("appended 0 execution report") == 1  # nothing twice


def test_replay_errors_are_user_errors(sim, keyring, tmp_path):
    path, _ = client_config(tmp_path, sim, keyring, "DC", "dc")
    with pytest.raises(UserInputError):
        run(["dropcopy", "replay", "--logout-timeout", "0.2", "--config", str(path), "--out", str(tmp_path / "x"), "--range", "1;1.."])
    trade(sim, keyring, "cli-e")
    with pytest.raises(DropCopyRejected, match="21004=4"):
        run(["dropcopy", "replay", "--logout-timeout", "0.2", "--config", str(path), "--out", str(tmp_path / "x"),
             "--range", f"{history_ids(sim)[0]}..99999999999;1"])


def test_listen_records_the_account(sim, keyring, tmp_path):
    path, _ = client_config(tmp_path, sim, keyring, "NR", "listener")
    out = tmp_path / "live.jsonl"
    def trade_once_listening():
        wait_listening(sim, SessionKind.NR, keyring["listener"][0])
        trade(sim, keyring, "live-1")

    timer = threading.Thread(target=trade_once_listening, daemon=True)
    timer.start()
    code, text = run(["dropcopy", "listen", "--logout-timeout", "0.2", "--config", str(path), "--out", str(out), "--seconds", "3"])
    timer.join(timeout=30)
    assert not timer.is_alive(), "the trade never completed"
    assert code == 0
    got = read_reports_jsonl([out])
    fills = [e.exec_id for e in sim.exchange.history("trader-user") if type(e).__name__ == "OrderFilled"]
    assert fills and set(fills) <= {r.exec_id for r in got}

"""`make demo` must keep working: run the real command and check what it shows."""

import subprocess
import sys

import pytest


@pytest.mark.slow
def test_demo_runs_the_whole_flow():
    proc = subprocess.run([sys.executable, "-m", "fixengine", "demo"], capture_output=True, text=True, timeout=240)
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr[-2000:]
    # both accounts logged on over real FIX sessions
    assert out.count("logon     ") == 2
    # crossing orders filled, including the NO-side order and the subpenny market
    assert "buy_yes  KXHIGHNY-26NOV25-B55.5          5.00 @ 0.4800  -> filled" in out
    assert "buy_no   KXHIGHNY-26NOV25-B55.5          3.00 @ 0.5500  -> filled" in out
    assert "sell_yes KXBTC15M-26NOV251700-T95000     4.00 @ 0.0950  -> filled" in out
    # replace, cancel, exchange reject with its reason, local risk block, mass cancel
    assert "25.00 @ 0.4400  -> partially_filled" in out
    assert "reason=MARKET_NOT_FOUND" in out
    assert "reason=RISK_MAX_ORDER_QTY" in out
    assert "Final positions" in out
    trader_rows = [line for line in out.splitlines() if line.startswith("  trader  KX")]
    assert any(" 2.00 " in row for row in trader_rows if "KXHIGHNY" in row)

"""`make demo` must keep working: run the real command and check what it shows."""

import subprocess
import sys

import pytest


@pytest.mark.slow
def test_demo_runs_the_whole_flow():
    proc = subprocess.run([sys.executable, "-m", "fixengine", "demo"], capture_output=True, text=True, timeout=240)
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr[-2000:]
    # both accounts logged on over real FIX sessions: maker NR + RFQ + PT, trader RT
    assert out.count("logon     ") == 4
    assert "on KalshiRT" in out and "on KalshiRFQ" in out and "on KalshiPT" in out
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
    assert any(" 6.00 " in row for row in trader_rows if "KXGREENLAND" in row)
    assert any(" 0.00    0.00 " in row and "0.9500" in row for row in trader_rows if "KXHIGHNY" in row)
    # order group: the fill over the limit stands, the other member is canceled, new orders refused
    assert "4.00 @ 0.2900  -> canceled filled 2.00 avg 0.2900 reason=ORDER_GROUP_CANCEL" in out
    assert "group triggered: 6.00 contracts matched" in out
    assert "reason=ORDER_GROUP_TRIGGERED" in out and "reset -> group active" in out
    # RFQ from request to execution between the two accounts
    assert "35=S  maker" in out and "quotes YES bid 0.4200 / NO bid 0.5500 for 10.00" in out
    assert "35=UC accept executed; the maker's quote" in out and "is confirmed (35=U8)" in out
    assert "sell_yes KXBTC15M-26NOV251700-T95000    10.00 @ 0.4200  -> filled filled 10.00" in out
    # settlement into realized P&L on both sides (trader via RT 20127=Y, maker via PT)
    assert "trader KXHIGHNY-26NOV25-B55.5       yes held YES 2.00 / NO 0.00 -> flat; realized P&L -0.0900 -> 0.9500" in out
    assert "maker  KXBTC15M-26NOV251700-T95000  no  held YES 14.00 / NO 0.00 -> flat; realized P&L 0.0000 -> -4.5800" in out

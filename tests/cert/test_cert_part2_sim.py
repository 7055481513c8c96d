"""Issue #6 scenarios (order groups, drop copy, listener, settlement) can fail: each test breaks one
simulator behaviour and checks that the matching scenario reports it. Also the local target's
admin operations those scenarios rely on. Slow: one simulator of its own (fresh markets, since a
settlement ends its market for good)."""

import io

import pytest

from fixengine.cert.local_sim import LocalSimTarget
from fixengine.cert.runner import FAIL, PASS
from fixengine.cert.suite import DEFAULT_SCENARIO_DIR, discover, run_suite
from fixengine.cert.target import TargetError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local():
    target = LocalSimTarget()
    target.prepare()
    yield target
    target.close()


def run_one(local, name):
    local.prepare()
    run = run_suite(discover(DEFAULT_SCENARIO_DIR, [name]), local.target, out=io.StringIO())
    return run.results[0]


def test_group_that_never_trips_fails_the_volume_scenario(local, monkeypatch):
    from fixengine.sim.exchange.groups import OrderGroupMixin

    monkeypatch.setattr(OrderGroupMixin, "_group_fill", lambda self, order, qty, now, events: None)
    result = run_one(local, "group-trip-volume")
    assert result.verdict == FAIL
    assert "ORDER_GROUP_CANCEL" in result.message and "did not arrive" in result.message


def test_listener_without_fan_out_fails_the_listener_scenario(local, monkeypatch):
    from fixengine.sim.gateway.registry import SessionRegistry

    monkeypatch.setattr(SessionRegistry, "listeners_of", lambda self, user_id: [])
    result = run_one(local, "listener-receives-account-reports")
    assert result.verdict == FAIL
    assert "[listen]" in result.message and "nothing matching arrived" in result.message


def test_replay_that_drops_a_report_fails_the_range_scenario(local, monkeypatch):
    from fixengine.sim.gateway.dropcopy import DropCopyReplayer

    original = DropCopyReplayer.select
    monkeypatch.setattr(DropCopyReplayer, "select", lambda self, *a: original(self, *a)[:-1])
    result = run_one(local, "dropcopy-replay-range")
    assert result.verdict == FAIL
    assert "[dc]" in result.message and "17(ExecID)" in result.message


def test_replay_without_look_back_fails_the_begin_too_old_scenario(local, monkeypatch):
    from datetime import timedelta

    from fixengine.sim.gateway.dropcopy import DropCopyOptions

    replayer = local.sim.gateway.dropcopy
    monkeypatch.setattr(replayer, "options", DropCopyOptions(lookback=timedelta(days=30)))
    result = run_one(local, "dropcopy-reject-begin-too-old")
    assert result.verdict == FAIL
    assert "expected 35='U3'" in result.message and "got 35=8" in result.message


def test_settlement_rounding_up_fails_the_scalar_scenario(local, monkeypatch):
    import fixengine.sim.exchange.admin as admin

    cent = 10_000
    monkeypatch.setattr(admin, "settlement_rounding", lambda raw: (-(-raw // cent) * cent, raw - (-(-raw // cent) * cent)))
    result = run_one(local, "settlement-pt-scalar")
    assert result.verdict == FAIL
    assert "== 2.14, got '2.15'" in result.message and "got '-0.008'" in result.message


def test_admin_operations_of_the_local_target(local):
    local.prepare()
    assert local.admin("position", {"symbol": "KXCERTCPI-26DEC-T3.0", "key": "trader"}) == "0.00"
    assert local.admin("advance_dropcopy_clock", {"by": "3h"}) == "3:00:00"
    local.prepare()  # the offset is for one scenario only
    replayer = local.sim.gateway.dropcopy
    assert abs((replayer.clock() - local.sim.clock()).total_seconds()) < 1
    with pytest.raises(TargetError, match="unknown admin op"):
        local.admin("no_such_op", {})


def test_the_part2_scenarios_pass_on_an_unbroken_simulator(local):
    local.prepare()
    run = run_suite(discover(DEFAULT_SCENARIO_DIR, ["group-*", "dropcopy-*", "listener-*"]), local.target,
                    out=io.StringIO())
    assert all(r.verdict == PASS for r in run.results), [(r.name, r.message) for r in run.results if r.verdict != PASS]


def test_quotes_without_price_checks_fail_the_quote_reject_scenarios(local, monkeypatch):
    from fixengine.sim.exchange.rfq import RfqMixin

    monkeypatch.setattr(RfqMixin, "_quote_price_problem", staticmethod(lambda req, market: None))
    for name in ("rfq-quote-reject-sum", "rfq-quote-reject-off-grid"):
        result = run_one(local, name)
        assert result.verdict == FAIL, name
        assert "297(QuoteStatus): expected '5', got '10'" in result.message, name


def test_confirm_window_that_never_lapses_fails_the_late_confirm_scenario(local, monkeypatch):
    from fixengine.sim.exchange.rfq import RfqMixin

    monkeypatch.setattr(RfqMixin, "_void", lambda self, quote, now, events: None)
    result = run_one(local, "rfq-late-confirm")
    assert result.verdict == FAIL
    assert "21010(QuoteConfirmStatus)" in result.message


def test_group_ids_without_uuid_check_fail_the_malformed_id_scenario(local, monkeypatch):
    import fixengine.sim.gateway.decode as decode

    monkeypatch.setattr(decode, "is_uuid", lambda text: True)
    result = run_one(local, "group-malformed-id")
    assert result.verdict == FAIL
    assert "FAIL 35(MsgType): expected '3', got 'j'" in result.message


def test_settlement_reports_ignoring_20127_fail_the_rt_opt_in_scenario(local, monkeypatch):
    import fixengine.sim.gateway.settlement as settlement
    from fixengine.config.types import SessionKind

    monkeypatch.setattr(settlement, "wants_reports", lambda entry: (
        entry.kind in (SessionKind.PT, SessionKind.RT) and entry.flags is not None and entry.session is not None))
    result = run_one(local, "settlement-rt-opt-in")
    assert result.verdict == FAIL
    assert "[rt2]" in result.message and "35(MsgType)=UMS" in result.message

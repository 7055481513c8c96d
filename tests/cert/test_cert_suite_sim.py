"""End to end: the whole shipped suite against the simulator, and a deliberately broken simulator
making the matching scenario fail. Slow: the simulator's start-up dominates. The CLI runs live in
test_cert_cli_sim.py so that only one simulator is alive per process at a time."""

import io

import pytest

from fixengine.cert.local_sim import LocalSimTarget
from fixengine.cert.runner import FAIL, PASS, SKIP
from fixengine.cert.suite import DEFAULT_SCENARIO_DIR, discover, run_suite

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local():
    target = LocalSimTarget()
    target.prepare()
    yield target
    target.close()


def test_the_whole_suite_passes_against_the_simulator(local, tmp_path):
    out = io.StringIO()
    run = run_suite(discover(DEFAULT_SCENARIO_DIR), local.target, tmp_path, out=out)
    bad = [f"{r.name}: {r.message}" for r in run.results if r.verdict not in (PASS, SKIP)]
    assert not bad, out.getvalue()
    assert all(r.verdict == PASS for r in run.results), out.getvalue()  # local-sim has every capability
    assert run.exit_code == 0
    assert (tmp_path / "cert-junit.xml").exists() and (tmp_path / "cert-report.md").exists()


def test_a_simulator_that_accepts_bad_signatures_fails_the_signature_scenario(local, monkeypatch):
    import fixengine.sim.gateway.authority as authority

    monkeypatch.setattr(authority, "verify_logon", lambda *args, **kwargs: True)
    run = run_suite(discover(DEFAULT_SCENARIO_DIR, ["logon-bad-signature"]), local.target, out=io.StringIO())
    result = run.results[0]
    assert result.verdict == FAIL and run.exit_code == 1
    assert "logon-bad-signature.yaml" in result.message
    assert "expected 35='5', 58(Text) /(?i).*signature.*/" in result.message
    assert "FAIL 35(MsgType): expected '5', got 'A'" in result.message
    assert b"35=A" in result.transcript.entries[result.focus].raw


def test_a_simulator_without_post_only_fails_the_post_only_scenario(local, monkeypatch):
    from fixengine.sim.exchange.book import OrderBook

    monkeypatch.setattr(OrderBook, "would_cross", lambda self, side, price: False)
    run = run_suite(discover(DEFAULT_SCENARIO_DIR, ["order-post-only-cross"]), local.target, out=io.StringIO())
    result = run.results[0]
    assert result.verdict == FAIL
    assert "FAIL 150(ExecType): expected '4', got 'F'" in result.message
    assert "FAIL 58(Text): expected 'POST_ONLY_CROSS', got <absent>" in result.message


def test_a_simulator_ignoring_cancel_on_disconnect_fails_that_scenario(local, monkeypatch):
    from fixengine.sim.exchange.exchange import Exchange

    monkeypatch.setattr(Exchange, "cancel_all_for_key", lambda self, key_id, *args, **kwargs: [])
    run = run_suite(discover(DEFAULT_SCENARIO_DIR, ["order-cancel-on-disconnect"]), local.target, out=io.StringIO())
    result = run.results[0]
    assert result.verdict == FAIL
    assert "order-cancel-on-disconnect.yaml" in result.message and "[listener]" in result.message
    assert "150(ExecType) '4'" in result.message and "nothing matching arrived" in result.message

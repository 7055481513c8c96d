"""Session layer against a verifying QuickFIX acceptor: signed logon, refusal, reconnect."""

from __future__ import annotations

import time

import pytest

from fixengine.auth import generate_private_key, load_public_key
from fixengine.config import load_config
from fixengine.config.types import SessionKind
from fixengine.session import FixConnection, LogonRefusedError
from kalshi_test_acceptor import KalshiTestAcceptor, make_key, write_client_config


class Recorder:
    def __init__(self):
        self.events = []
        self.reports = []

    def on_session_event(self, kind, event, text):
        self.events.append((kind, event, text))

    def on_exec_report(self, report, wire=None):
        self.reports.append(report)

    on_cancel_reject = on_mass_cancel_report = on_business_reject = on_session_reject = on_exec_report

    def on_parse_error(self, kind, error, raw):
        self.reports.append(error)


def _setup(tmp_path, logon=None, reset=None, kind="NR", public_key=None):
    key_id, key, key_path = make_key(tmp_path)
    acceptor = KalshiTestAcceptor(tmp_path, key_id, public_key or key, target=f"Kalshi{kind}", kind=kind)
    logon = logon if logon is not None else {"use_dollars": True, "skip_pending_exec_reports": True}
    cfg_path = write_client_config(tmp_path, {kind: (key_id, key_path, logon, reset)})
    cfg = load_config(cfg_path).with_endpoints(ports={kind: acceptor.port})
    return acceptor, cfg


@pytest.mark.parametrize("poll_mode", [False, True])
def test_signed_logon_is_verified_by_acceptor(tmp_path, poll_mode):
    acceptor, cfg = _setup(tmp_path)
    rec = Recorder()
    conn = FixConnection(cfg, rec, [SessionKind.NR], poll_mode=poll_mode)
    try:
        conn.start()
        conn.wait_logon(SessionKind.NR, timeout=10)
        assert conn.is_logged_on(SessionKind.NR)
        logon = acceptor.app.logons[-1]
        assert logon[141] == "Y" and logon[34] == "1"
        assert logon[98] == "0" and logon[1137] == "9" and logon[108] == "30"
        assert logon[95] == str(len(logon[96])) == "344"
        assert logon[21005] == "Y" and logon[21011] == "Y"
        assert 8013 not in logon
        assert ("logon" in [e[1] for e in rec.events])
        assert conn.app.callback_errors == 0
    finally:
        conn.stop()
        acceptor.stop()


@pytest.mark.slow
def test_bad_key_stops_without_logon_storm(tmp_path):
    other = generate_private_key()
    acceptor, cfg = _setup(tmp_path, public_key=load_public_key(other))
    rec = Recorder()
    conn = FixConnection(cfg, rec, [SessionKind.NR])
    try:
        conn.start()
        with pytest.raises(LogonRefusedError, match="signature verification failed"):
            conn.wait_logon(SessionKind.NR, timeout=10)
        time.sleep(2.5)  # several ReconnectIntervals: a storm would show up here
        assert len(acceptor.app.logons) == 1
        assert ("logon_refused" in [e[1] for e in rec.events])
        assert conn.by_kind[SessionKind.NR].reenable_at is None
    finally:
        conn.stop()
        acceptor.stop()


@pytest.mark.slow
def test_already_exists_is_reported(tmp_path):
    acceptor, cfg = _setup(tmp_path)
    acceptor.app.refuse_text = "already exists"
    conn = FixConnection(cfg, Recorder(), [SessionKind.NR])
    try:
        conn.start()
        with pytest.raises(LogonRefusedError, match="already exists"):
            conn.wait_logon(SessionKind.NR, timeout=10)
    finally:
        conn.stop()
        acceptor.stop()


@pytest.mark.slow
def test_reconnects_with_backoff_after_disconnect(tmp_path):
    acceptor, cfg = _setup(tmp_path)
    rec = Recorder()
    conn = FixConnection(cfg, rec, [SessionKind.NR])
    try:
        conn.start()
        conn.wait_logon(SessionKind.NR, timeout=10)
        first = acceptor.app.logon_count
        import quickfix as fix

        for sid in acceptor.acceptor.getSessions():
            fix.Session.lookupSession(sid).disconnect()
        assert acceptor.wait(lambda: acceptor.app.logon_count > first, timeout=10)
        conn.wait_logon(SessionKind.NR, timeout=5)
        kinds = [e[1] for e in rec.events]
        assert kinds.count("logon") == 2 and "logout" in kinds
        assert len(acceptor.app.logons) == 2  # one Logon per connection, no burst
    finally:
        conn.stop()
        acceptor.stop()


@pytest.mark.slow
def test_rt_continuity_logon_uses_141_n_and_stored_sequence(tmp_path):
    acceptor, cfg = _setup(tmp_path, kind="RT", logon={"use_dollars": True})
    conn = FixConnection(cfg, Recorder(), [SessionKind.RT])
    try:
        conn.start()
        conn.wait_logon(SessionKind.RT, timeout=10)
        assert acceptor.app.logons[-1][141] == "N"
    finally:
        conn.stop()
        acceptor.stop()


def test_backoff_grows_and_is_jittered(tmp_path):
    acceptor, cfg = _setup(tmp_path)
    conn = FixConnection(cfg, Recorder(), [SessionKind.NR])
    try:
        delays = [conn.backoff_delay(n) for n in range(1, 6)]
        # initial 0.2 s, x2, capped at 2 s; jitter keeps each within [50 %, 100 %] of its base
        bases = [0.2, 0.4, 0.8, 1.6, 2.0]
        for d, b in zip(delays, bases):
            assert 0.5 * b <= d <= b
    finally:
        acceptor.stop()

import quickfix as fix
import pytest

from fixengine.fix.app import GuardedApplication


class Exploding(GuardedApplication):
    def from_app(self, message, session_id):
        raise KeyError("boom")

    def from_admin(self, message, session_id):
        raise fix.RejectLogon("bad signature")


def test_ordinary_exception_is_contained_and_counted():
    app = Exploding()
    sid = fix.SessionID("FIXT.1.1", "A", "B")
    app.fromApp(fix.Message(), sid)
    app.fromApp(fix.Message(), sid)
    assert app.callback_errors == 2
    assert "fromApp: KeyError" in app.recent_errors[-1]


def test_protocol_exception_crosses_the_boundary():
    app = Exploding()
    with pytest.raises(fix.RejectLogon):
        app.fromAdmin(fix.Message(), fix.SessionID("FIXT.1.1", "A", "B"))
    assert app.callback_errors == 0


def test_recent_errors_are_bounded():
    app = Exploding()
    app.keep_errors = 3
    for _ in range(10):
        app.fromApp(fix.Message(), fix.SessionID("FIXT.1.1", "A", "B"))
    assert app.callback_errors == 10
    assert len(app.recent_errors) == 3

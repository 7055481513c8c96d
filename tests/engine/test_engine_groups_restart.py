"""Order-group requests in flight across a restart, sessions without resend, and rejects that
carry no RefMsgType(372). Same harness as test_engine_groups.py: a real engine and journal, a
recorder in place of QuickFIX's send, inbound messages from the fact sheet's wire text."""

from __future__ import annotations

import uuid

import pytest

from engine_helpers import engine_config
from fixengine.config.types import SessionKind
from fixengine.engine import Engine
from fixengine.engine import engine as engine_module
from fixengine.engine.events import EventKind
from fixengine.engine.groups import GroupState
from fixengine.fix.spec import parse_message
from fixengine.session import parse
from test_engine_groups import (BMR_NOT_FOUND, CENTS, ER_GROUP_CANCEL, GID, UOH_CREATE, UOH_RESET, FakeConnection,
                                drain, er, group_events, place, uoh, wire)

SESSION_REJECT_NO_372 = ("8=FIXT.1.1|9=1|35=3|49=KalshiRT|56=x|34=3|52=20260825-14:30:00.000|45=7|373=5|"
                         "58=bad value|10=000|")


@pytest.fixture
def make(tmp_path, keyring, monkeypatch):
    """make(kind, journal, reset) -> (engine, recorder); engines on one journal share its file."""
    monkeypatch.setattr(engine_module, "FixConnection", FakeConnection)
    made = []
    key_id = str(uuid.uuid4())

    def build(kind="RT", journal="j.sqlite", reset=None):
        _, priv, pub = keyring["trader"]
        path = engine_config(tmp_path / f"cfg{len(made)}", {"unit": (key_id, priv, pub)}, "unit", kind=kind,
                             logon=CENTS, reset=reset)
        engine = Engine.from_config(path, ports={kind: 9}, journal_path=tmp_path / journal)  # never connects
        made.append(engine)
        return engine, engine.conn.send

    yield build
    for engine in made:
        engine.journal.close()


def session_reject(engine, text=SESSION_REJECT_NO_372, **changes):
    engine.on_session_reject(parse.parse_session_reject(parse_message(wire(text, **changes)), "KalshiRT"))


def triggered_group(engine):
    group = engine.groups.create(5000)
    uoh(engine, UOH_CREATE)
    order = place(engine, group)
    er(engine, ER_GROUP_CANCEL, t11=order.key)  # inferred trigger
    assert group.state is GroupState.TRIGGERED
    return group


def restart(make, engine, kind="RT", reset=None):
    engine.journal.close()
    return make(kind, reset=reset)


# ---------------------------------------------------------------------- requests survive a restart
def test_rt_reset_in_flight_survives_a_restart_and_its_resent_answer_reactivates(make):
    engine, rec = make()
    group = triggered_group(engine)
    engine.groups.reset(group)  # sent, the engine stops before the UOH arrives
    again, _ = restart(make, engine)
    restored = again.groups.get(GID)
    assert (restored.state, restored.in_flight) == (GroupState.TRIGGERED, ["reset"])
    drain(again)
    uoh(again, UOH_RESET, t43="Y")  # KalshiRT resends the answer (PossDup)
    assert restored.state is GroupState.ACTIVE and not restored.busy
    assert group_events(drain(again)) == [("reset", GroupState.ACTIVE)]
    assert place(again, restored).reject_reason is None  # no longer refused locally
    third, _ = restart(make, again)
    assert third.groups.get(GID).state is GroupState.ACTIVE and not third.groups._pending


def test_restored_requests_keep_their_seq_and_order(make):
    engine, rec = make()
    group = triggered_group(engine)
    rec.seq = 40
    engine.groups.delete(group)  # 34=40
    fresh = engine.groups.create(7, subaccount=3, shard=2)  # 34=41
    again, _ = restart(make, engine)
    restored = again.groups.get(GID)
    pending = [(r.action, r.seq) for r in again.groups._pending]
    assert pending == [(3, 40), (1, 41)] and restored.in_flight == ["delete"]
    twin = next(g for g in again.groups.all() if g.group_id is None)
    assert (twin.state, twin.limit_contracts, twin.subaccount, twin.shard) == (GroupState.PENDING, 7, 3, 2)
    assert fresh is not twin
    drain(again)
    again.on_business_reject(parse.parse_business_reject(parse_message(wire(BMR_NOT_FOUND, t45="40")), "KalshiRT"))
    assert restored.last_error == "delete: ORDER_GROUP_NOT_FOUND" and not restored.busy
    uoh(again, UOH_CREATE, t20130="9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a", t20132="700", t79="3")
    assert (twin.state, twin.group_id) == (GroupState.ACTIVE, "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a")
    assert group_events(drain(again)) == [("delete_rejected", GroupState.TRIGGERED), ("created", GroupState.ACTIVE)]


def test_answered_and_failed_requests_are_not_restored(make):
    engine, rec = make()
    group = triggered_group(engine)
    engine.groups.reset(group)
    uoh(engine, UOH_RESET)
    rec.up = False
    engine.groups.trigger(group)  # not sent: failed at once
    again, _ = restart(make, engine)
    assert not again.groups._pending and again.groups.get(GID).in_flight == []


def test_nr_requests_found_pending_at_start_fail_as_session_lost(make):
    engine, _ = make("NR")
    group = triggered_group(engine)
    engine.groups.reset(group)
    again, _ = restart(make, engine, "NR")
    restored = again.groups.get(GID)
    assert restored.state is GroupState.TRIGGERED and not restored.busy
    assert restored.last_error.startswith("reset: SESSION_LOST")
    assert group_events(drain(again)) == [("reset_rejected", GroupState.TRIGGERED)]
    third, _ = restart(make, again, "NR")
    assert not third.groups._pending


class Crash(Exception):
    """The engine dies inside send(): the request is journaled, its MsgSeqNum is not."""


def test_request_restored_without_seq_stays_pending_and_holds_no_rejects(make):
    engine, rec = make()
    group = triggered_group(engine)

    def crash():
        raise Crash

    rec.during_send = crash
    with pytest.raises(Crash):
        engine.groups.reset(group)
    again, _ = restart(make, engine)
    restored = again.groups.get(GID)
    assert restored.in_flight == ["reset"] and again.groups._pending[0].seq is None
    drain(again)
    again.on_business_reject(parse.parse_business_reject(parse_message(wire(BMR_NOT_FOUND)), "KalshiRT"))
    assert group_events(drain(again)) == [("request_rejected", None)]  # 45=11 is no request of ours: not held
    uoh(again, UOH_RESET)  # the answer still finds it by the group id
    assert restored.state is GroupState.ACTIVE and not restored.busy


# ---------------------------------------------------------------------- sessions without resend
@pytest.mark.parametrize("reset, lost", [(True, True), (False, False)])
def test_rt_with_reset_on_logon_fails_requests_at_logout(make, reset, lost):
    engine, _ = make("RT", reset=reset)
    waiting = engine.groups.create(10)
    engine.on_session_event(SessionKind.RT, "logout", None)
    if lost:  # 141=Y: the answer is never resent
        assert waiting.state is GroupState.REJECTED and waiting.reason.startswith("SESSION_LOST")
        assert not waiting.busy
    else:  # KalshiRT resends it after the next logon
        assert waiting.state is GroupState.PENDING and waiting.in_flight == ["create"]


def test_rt_with_reset_on_logon_fails_requests_pending_at_start(make):
    engine, _ = make("RT", reset=True)
    engine.groups.create(10)
    again, _ = restart(make, engine, "RT", reset=True)
    (twin,) = again.groups.all()
    assert twin.state is GroupState.REJECTED and twin.reason.startswith("SESSION_LOST") and not twin.busy


# ---------------------------------------------------------------------- rejects without 372
def test_reject_without_372_fails_the_uog_sent_with_that_seq(make):
    engine, rec = make()
    rec.seq = 7
    group = engine.groups.create(10)
    session_reject(engine)
    assert group.state is GroupState.REJECTED and group.reason == "SESSION_REJECT 373=5: bad value"
    events = drain(engine)
    assert group_events(events) == [("create_rejected", GroupState.REJECTED)]
    assert not [e for e in events if e.kind is EventKind.SESSION]  # consumed by the group handler


def test_reject_without_372_for_another_seq_goes_to_the_engine(make):
    engine, rec = make()
    rec.seq = 8
    group = engine.groups.create(10)
    session_reject(engine)  # 45=7: not our UOG
    assert group.state is GroupState.PENDING and group.busy
    events = drain(engine)
    assert [e.kind for e in events] == [EventKind.SESSION] and "373=5" in events[0].text


def test_reject_without_372_racing_the_sender_is_matched_once_the_seq_is_known(make):
    engine, rec = make()
    rec.seq = 7
    rec.during_send = lambda: session_reject(engine)
    group = engine.groups.create(10)
    assert group.state is GroupState.REJECTED and not group.busy
    events = drain(engine)
    assert [e.kind for e in events] == [EventKind.SESSION, EventKind.ORDER_GROUP]  # the engine saw it too


def test_reject_without_372_is_offered_to_each_handler_once(make):
    engine, rec = make()
    calls = []

    def twice_registered(reject):
        calls.append("rfq-like")
        return False

    for msg_type in ("R", "UA"):
        engine.add_reject_handler(msg_type, twice_registered)
    engine.add_reject_handler("ZZ", lambda reject: calls.append("taker") or True)
    session_reject(engine)
    assert calls == ["rfq-like", "taker"]
    assert not [e for e in drain(engine) if e.kind is EventKind.SESSION]
    session_reject(engine, SESSION_REJECT_NO_372.replace("|373=", "|372=UA|373="))  # only that MsgType's handler
    assert calls == ["rfq-like", "taker", "rfq-like"]


def test_rfq_requester_declines_a_reject_without_372_it_did_not_send(make):
    engine, rec = make()
    assert engine.rfq is not None  # registers its handler for R / UA / UE
    session_reject(engine)
    assert [e.kind for e in drain(engine)] == [EventKind.SESSION]

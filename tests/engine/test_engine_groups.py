"""Order groups on the client, driven by the fact sheet's recorded messages (part 2 §2.6).

The engine is real (journal, tracker, templates); only QuickFIX's send is replaced by a recorder
that stamps MsgSeqNum(34) on the message the way Session.send does, and inbound messages are the
fact sheet's wire text (9/10 recomputed where a field is changed) fed through the same parse
functions the session layer uses.
"""

from __future__ import annotations

import uuid

import pytest

from engine_helpers import engine_config
from fixengine.config.types import SessionKind
from fixengine.engine import Engine
from fixengine.engine import engine as engine_module
from fixengine.engine import journal as J
from fixengine.engine.events import EventKind
from fixengine.engine.groups import GroupState, OrderGroups
from fixengine.engine.orders import OrderStatus
from fixengine.errors import FixEngineError, UserInputError
from fixengine.fix.spec import parse_message, recompute_length_and_checksum
from fixengine.session import parse

GID = "b7e4c1d2-5a6f-4e3b-8c9d-0f1a2b3c4d5e"
GID2 = "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f"
CLIENT = "3f2c9a1e-8b7d-4c6e-9f10-2a4b6c8d0e12"
TICKER = "KXHIGHNY-26AUG25-B85.5"
CENTS = {"use_dollars": False, "skip_pending_exec_reports": True}

UOH_CREATE = ("8=FIXT.1.1|9=148|35=UOH|49=KalshiNR|56=3f2c9a1e-8b7d-4c6e-9f10-2a4b6c8d0e12|34=4|"
              "52=20260825-14:30:00.012|20130=b7e4c1d2-5a6f-4e3b-8c9d-0f1a2b3c4d5e|20132=5000|79=0|10=014|")
UOH_CREATE_SUB2 = ("8=FIXT.1.1|9=147|35=UOH|49=KalshiNR|56=3f2c9a1e-8b7d-4c6e-9f10-2a4b6c8d0e12|34=5|"
                   "52=20260825-14:30:01.010|20130=2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f|20132=250|79=2|10=234|")
UOH_RESET = ("8=FIXT.1.1|9=137|35=UOH|49=KalshiNR|56=3f2c9a1e-8b7d-4c6e-9f10-2a4b6c8d0e12|34=6|"
             "52=20260825-14:30:02.009|20130=b7e4c1d2-5a6f-4e3b-8c9d-0f1a2b3c4d5e|79=0|10=027|")
UOH_UPDATE = ("8=FIXT.1.1|9=148|35=UOH|49=KalshiNR|56=3f2c9a1e-8b7d-4c6e-9f10-2a4b6c8d0e12|34=9|"
              "52=20260825-14:30:05.011|20130=b7e4c1d2-5a6f-4e3b-8c9d-0f1a2b3c4d5e|20132=2500|79=0|10=025|")
BMR_NOT_FOUND = ("8=FIXT.1.1|9=133|35=j|49=KalshiNR|56=3f2c9a1e-8b7d-4c6e-9f10-2a4b6c8d0e12|34=10|"
                 "52=20260825-14:30:06.004|45=11|372=UOG|380=1|58=ORDER_GROUP_NOT_FOUND|10=151|")
ER_GROUP_CANCEL = ("8=FIXT.1.1|9=312|35=8|49=KalshiNR|56=3f2c9a1e-8b7d-4c6e-9f10-2a4b6c8d0e12|34=14|"
                   "52=20260825-14:30:09.250|37=e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b|"
                   "11=6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d|17=8812034;57|150=4|39=4|54=1|"
                   "55=KXHIGHNY-26AUG25-B85.5|38=3.00|14=3.00|151=0.00|6=45|44=45|58=ORDER_GROUP_CANCEL|"
                   "60=20260825-14:30:09.248|30=0|10=165|")
ER_RISK_REJECT = ("8=FIXT.1.1|9=282|35=8|49=KalshiNR|56=3f2c9a1e-8b7d-4c6e-9f10-2a4b6c8d0e12|34=15|"
                  "52=20260825-14:30:10.003|37=NONE|11=7b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e|17=-1;-1|150=8|39=8|"
                  "54=1|55=KXHIGHNY-26AUG25-B85.5|38=5.00|14=0.00|151=0.00|6=0|103=3|"
                  "58=EXCEEDED_ORDER_GROUP_RISK_LIMIT|60=20260825-14:30:10.002|10=121|")


def wire(text: str, **changes: str) -> str:
    """Fact-sheet text -> SOH wire; `changes` ("t11"="x") replace a tag's value (9/10 recomputed)."""
    fields = text.rstrip("|").split("|")
    for key, value in changes.items():
        tag = key[1:] + "="
        fields = [tag + value if f.startswith(tag) else f for f in fields]
    return recompute_length_and_checksum("\x01".join(fields) + "\x01")


class Recorder:
    """Stands in for FixConnection.send: stamps 34 like QuickFIX, keeps what was sent."""

    def __init__(self, first_seq: int = 5) -> None:
        self.seq = first_seq
        self.sent: list[dict[int, str]] = []
        self.up = True
        self.during_send = None  # callable run inside send (a reply racing the sender)

    def __call__(self, kind, message) -> bool:
        if not self.up:
            return False
        message.getHeader().setField(34, str(self.seq))
        fields = {int(f.split("=", 1)[0]): f.split("=", 1)[1] for f in message.toString().split("\x01") if f}
        self.sent.append(fields)
        self.seq += 1
        if self.during_send is not None:
            hook, self.during_send = self.during_send, None
            hook()
        return True


class FakeConnection:
    """No QuickFIX initiator (building one costs ~0.3 s): the engine only sends through it here."""

    def __init__(self, cfg, handler, kinds, **kw) -> None:
        self.send = Recorder()

    def is_logged_on(self, kind) -> bool:
        return self.send.up


@pytest.fixture
def make_engine(tmp_path, keyring, monkeypatch):
    monkeypatch.setattr(engine_module, "FixConnection", FakeConnection)
    made = []

    def make(journal="j.sqlite", **group_options):
        _, priv, pub = keyring["trader"]
        ring = {"unit": (str(uuid.uuid4()), priv, pub)}
        path = engine_config(tmp_path / f"cfg{len(made)}", ring, "unit", logon=CENTS)
        engine = Engine.from_config(path, ports={"NR": 9}, journal_path=tmp_path / journal)  # never connects
        rec = engine.conn.send
        if group_options:
            for name, value in group_options.items():
                setattr(engine.groups, name, value)
        made.append(engine)
        return engine, rec

    yield make
    for engine in made:
        engine.journal.close()


def drain(engine):
    out = []
    while not engine.events.empty():
        out.append(engine.events.get())
    return out


def group_events(events):
    return [(e.report.change, e.report.group.state if e.report.group else None) for e in events
            if e.kind is EventKind.ORDER_GROUP]


def uoh(engine, text, **changes):
    engine.on_app_message(SessionKind.NR, "UOH", parse_message(wire(text, **changes)))


def bmr(engine, text, **changes):
    engine.on_business_reject(parse.parse_business_reject(parse_message(wire(text, **changes)), "KalshiNR"))


def er(engine, text, **changes):
    raw = wire(text, **changes)
    engine.on_exec_report(parse.parse_exec_report_text(raw, False, "KalshiNR"), raw)


def created(engine, rec, text=UOH_CREATE, **kw):
    group = engine.groups.create(5000, **kw)
    uoh(engine, text)
    return group


# ---------------------------------------------------------------------- messages out
def test_create_sends_uog_action_1_with_limit_and_no_group_id(make_engine):
    engine, rec = make_engine()
    group = engine.groups.create(5000)
    sent = rec.sent[-1]
    assert sent[35] == "UOG" and sent[20131] == "1" and sent[20132] == "5000"
    assert 20130 not in sent and 79 not in sent and 100 not in sent
    assert group.state is GroupState.PENDING and group.group_id is None and group.busy
    engine.groups.create("250", subaccount=2, shard=1)
    assert (rec.sent[-1][20132], rec.sent[-1][79], rec.sent[-1][100]) == ("250", "2", "1")


@pytest.mark.parametrize("bad", [0, 1_000_001, -5, 2.5, "2.5", "ten", True, None])
def test_create_refuses_bad_limits_locally(make_engine, bad):
    engine, rec = make_engine()
    with pytest.raises(UserInputError, match="limit"):
        engine.groups.create(bad)
    assert rec.sent == [] and engine.groups.all() == []


@pytest.mark.parametrize("field, value", [("subaccount", 64), ("subaccount", -1), ("shard", 4), ("shard", "1")])
def test_create_refuses_bad_subaccount_or_shard(make_engine, field, value):
    engine, rec = make_engine()
    with pytest.raises(UserInputError, match=field):
        engine.groups.create(10, **{field: value})
    assert rec.sent == []


def test_uoh_answers_create_then_actions_carry_id_and_subaccount(make_engine):
    engine, rec = make_engine()
    group = created(engine, rec)
    assert (group.state, group.group_id, group.limit, group.limit_contracts) == (GroupState.ACTIVE, GID, 500_000, 5000)
    assert not group.busy and engine.groups.get(GID) is group
    assert group_events(drain(engine)) == [("created", GroupState.ACTIVE)]
    sub = engine.groups.create(250, subaccount=2, shard=1)
    uoh(engine, UOH_CREATE_SUB2)
    assert sub.group_id == GID2
    for action, code in (("reset", "2"), ("delete", "3"), ("trigger", "4")):
        assert getattr(engine.groups, action)(sub)
        assert {k: rec.sent[-1].get(k) for k in (35, 20131, 20130, 79, 100, 20132)} == {
            35: "UOG", 20131: code, 20130: GID2, 79: "2", 100: "1", 20132: None}
    engine.groups.update(GID, "2500")  # by id as well as by handle
    assert (rec.sent[-1][20131], rec.sent[-1][20130], rec.sent[-1][20132]) == ("5", GID, "2500")
    assert 79 not in rec.sent[-1]


def test_update_answer_sets_limit_and_reset_answer_reactivates(make_engine):
    engine, rec = make_engine()
    group = created(engine, rec)
    engine.groups.update(group, 2500)
    assert group.in_flight == ["update"]
    uoh(engine, UOH_UPDATE)
    assert group.limit_contracts == 2500 and not group.busy
    engine.groups.trigger(group)
    uoh(engine, UOH_RESET)  # a Trigger answer has the same shape as a Reset answer
    assert group.state is GroupState.TRIGGERED and group.reason == "manual Trigger"
    engine.groups.reset(group)
    uoh(engine, UOH_RESET)
    assert group.state is GroupState.ACTIVE and group.reason is None
    changes = [c for c, _ in group_events(drain(engine))]
    assert changes == ["created", "limit_updated", "triggered", "reset"]


# ---------------------------------------------------------------------- correlation
def test_answers_in_request_order_match_creates_by_echo_and_actions_by_id(make_engine):
    engine, rec = make_engine()
    first = created(engine, rec)
    big = engine.groups.create(5000)
    small = engine.groups.create(250, subaccount=2)
    engine.groups.reset(first)
    uoh(engine, UOH_RESET)  # id known -> the pending Reset, although two Creates are older
    assert first.in_flight == [] and big.busy and small.busy
    uoh(engine, UOH_CREATE_SUB2)  # echoes 250 / 79=2 -> the second Create, not the oldest
    assert small.group_id == GID2 and big.group_id is None
    uoh(engine, UOH_CREATE, t20130="9d9d9d9d-0000-4000-8000-000000000001")
    assert big.group_id == "9d9d9d9d-0000-4000-8000-000000000001" and big.state is GroupState.ACTIVE


def test_business_reject_fails_the_request_sent_with_that_seq(make_engine):
    engine, rec = make_engine()
    group = created(engine, rec)
    engine.groups.trigger(group)  # 34=6
    rec.seq = 11
    engine.groups.reset(group)  # 34=11: the fact sheet's 35=j cites 45=11 (and has no 379)
    drain(engine)
    bmr(engine, BMR_NOT_FOUND)
    assert group.in_flight == ["trigger"] and group.state is GroupState.ACTIVE
    assert group.last_error == "reset: ORDER_GROUP_NOT_FOUND"
    events = drain(engine)
    assert group_events(events) == [("reset_rejected", GroupState.ACTIVE)]
    assert "ORDER_GROUP_NOT_FOUND" in events[0].text and events[0].report.cause.ref_seq_num == 11


def test_reject_racing_the_sender_is_held_until_the_seq_is_known(make_engine):
    engine, rec = make_engine()
    rec.seq = 11
    rec.during_send = lambda: bmr(engine, BMR_NOT_FOUND, t58="CUSTOMER_ACCOUNT_NOT_FOUND")
    group = engine.groups.create(10, subaccount=9)
    assert group.state is GroupState.REJECTED and group.reason == "CUSTOMER_ACCOUNT_NOT_FOUND"
    assert group_events(drain(engine)) == [("create_rejected", GroupState.REJECTED)]


def test_session_reject_of_a_uog_fails_it(make_engine):
    engine, rec = make_engine()
    group = engine.groups.create(10)
    raw = wire("8=FIXT.1.1|9=1|35=3|49=KalshiNR|56=x|34=3|52=20260825-14:30:00.000|45=5|371=20130|372=UOG|"
               "373=5|58=bad id|10=000|")
    engine.on_session_reject(parse.parse_session_reject(parse_message(raw), "KalshiNR"))
    assert group.state is GroupState.REJECTED and group.reason == "SESSION_REJECT 373=5: bad id"


def test_unmatched_answers_are_reported_not_dropped(make_engine):
    engine, rec = make_engine()
    uoh(engine, UOH_CREATE_SUB2)  # no request pending: adopted
    group = engine.groups.get(GID2)
    assert group is not None and (group.state, group.subaccount, group.limit_contracts) == (GroupState.ACTIVE, 2, 250)
    bmr(engine, BMR_NOT_FOUND)
    assert group_events(drain(engine)) == [("adopted", GroupState.ACTIVE), ("request_rejected", None)]


def test_send_failure_and_nr_logout_fail_requests(make_engine):
    engine, rec = make_engine()
    rec.up = False
    lost = engine.groups.create(10)
    assert lost.state is GroupState.REJECTED and lost.reason.startswith("SESSION_DOWN")
    rec.up = True
    waiting = engine.groups.create(10)
    engine.on_session_event(SessionKind.NR, "logout", None)
    assert waiting.state is GroupState.REJECTED and waiting.reason.startswith("SESSION_LOST")
    assert not waiting.busy


def test_groups_need_an_order_entry_session(make_engine):
    engine, rec = make_engine()
    engine.kind = SessionKind.DC
    with pytest.raises(FixEngineError, match="KalshiNR or KalshiRT"):
        engine.groups.create(10)
    assert rec.sent == []


# ---------------------------------------------------------------------- orders and triggers
def place(engine, group, qty="10", **kw):
    return engine.new_order(TICKER, "buy_yes", "0.45", qty, order_group=group, **kw)


def test_order_into_group_sends_526_and_group_cancel_infers_trigger(make_engine):
    engine, rec = make_engine()
    group = created(engine, rec)
    order = place(engine, group)
    assert rec.sent[-1][35] == "D" and rec.sent[-1][526] == GID and order.order_group == GID
    assert group.orders() == [order] and group.open_orders() == [order]
    drain(engine)
    er(engine, ER_GROUP_CANCEL, t11=order.key)
    assert order.status is OrderStatus.CANCELED and order.last_text == "ORDER_GROUP_CANCEL"
    assert group.state is GroupState.TRIGGERED and "ORDER_GROUP_CANCEL" in group.reason
    kinds = [e.kind for e in drain(engine)]
    assert kinds == [EventKind.ACK, EventKind.CANCEL, EventKind.DONE, EventKind.ORDER_GROUP]
    sent_before = len(rec.sent)
    refused = place(engine, GID)  # by id too
    assert refused.status is OrderStatus.REJECTED and refused.local_reject
    assert refused.reject_reason.startswith("ORDER_GROUP_TRIGGERED") and len(rec.sent) == sent_before
    engine.groups.refuse_when_triggered = False
    passed = place(engine, group)
    assert passed.status is OrderStatus.PENDING_NEW and rec.sent[-1][526] == GID


def test_subaccount_mismatch_and_unusable_handles_are_refused(make_engine):
    engine, rec = make_engine()
    group = created(engine, rec)
    with pytest.raises(UserInputError, match="subaccount 0, the order to subaccount 1"):
        place(engine, group, subaccount=1)
    pending = engine.groups.create(7)
    with pytest.raises(UserInputError, match="no id yet"):
        place(engine, pending)
    with pytest.raises(UserInputError, match="OrderGroup handle or a group id"):
        place(engine, 12)
    other = "0f0f0f0f-1111-4222-8333-444455556666"  # unknown here: the exchange decides
    assert place(engine, other).status is OrderStatus.PENDING_NEW and rec.sent[-1][526] == other
    with pytest.raises(UserInputError, match="not known to this engine"):
        engine.groups.reset(other)
    engine.groups.delete(group)
    uoh(engine, UOH_RESET)
    assert group.state is GroupState.DELETED
    assert place(engine, group).reject_reason.startswith("ORDER_GROUP_DELETED")
    with pytest.raises(UserInputError, match="deleted"):
        engine.groups.reset(group)


def test_exchange_order_rejects_are_surfaced_on_the_order(make_engine):
    engine, rec = make_engine()
    group = created(engine, rec)
    order = place(engine, group)
    er(engine, ER_RISK_REJECT, t11=order.key)
    assert order.status is OrderStatus.REJECTED
    assert (order.reject_reason, order.reject_code) == ("EXCEEDED_ORDER_GROUP_RISK_LIMIT", 3)
    missing = place(engine, "0f0f0f0f-1111-4222-8333-444455556666")
    er(engine, ER_RISK_REJECT, t11=missing.key, t103="11", t58="ORDER_GROUP_NOT_FOUND")
    assert (missing.reject_reason, missing.reject_code) == ("ORDER_GROUP_NOT_FOUND", 11)
    assert group.state is GroupState.ACTIVE  # a refusal is not a trigger


def fill_text(order_key: str, exec_id: str, qty: str, cum: str, leaves: str, at: str) -> dict:
    return dict(t11=order_key, t17=exec_id, t150="F", t39="2" if leaves == "0.00" else "1", t38="10.00",
                t14=cum, t151=leaves, t58="", t60=at)


def trade(engine, order, exec_id, qty, cum, leaves, at):
    raw = wire(ER_GROUP_CANCEL, **fill_text(order.key, exec_id, qty, cum, leaves, at))
    raw = raw.replace("\x0158=\x01", f"\x0131=45\x0132={qty}\x01")
    raw = recompute_length_and_checksum(raw)
    engine.on_exec_report(parse.parse_exec_report_text(raw, False, "KalshiNR"), raw)


def test_own_fill_count_infers_a_trigger_when_nothing_rests(make_engine):
    engine, rec = make_engine(clock=lambda: 1_787_668_215.0)  # 2026-08-25 14:30:15 UTC
    group = engine.groups.create(15)
    uoh(engine, UOH_CREATE, t20132="15")
    order = place(engine, group, qty="10")
    trade(engine, order, "1;1", "6.00", "6.00", "4.00", "20260825-14:29:50.000")  # 25 s ago: drops out
    trade(engine, order, "1;2", "4.00", "10.00", "0.00", "20260825-14:30:06.000")
    assert group.state is GroupState.ACTIVE and group.matched() == 400
    second = place(engine, group, qty="10")
    trade(engine, second, "1;3", "10.00", "10.00", "0.00", "20260825-14:30:07.000")
    assert group.matched() == 1400 and group.state is GroupState.ACTIVE  # 14 <= 15
    third = place(engine, group, qty="2")
    trade(engine, third, "1;4", "2.00", "2.00", "0.00", "20260825-14:30:08.000")
    assert group.state is GroupState.TRIGGERED and "16.00 contracts" in group.reason
    assert group_events(drain(engine))[-1] == ("triggered", GroupState.TRIGGERED)
    assert group.matched(now=1_787_668_224.0) == 0  # 15 s after the last fill


def test_trigger_at_limit_and_update_below_volume(make_engine):
    now = [1_787_668_206.0]  # 2026-08-25 14:30:06 UTC
    engine, rec = make_engine(clock=lambda: now[0], trigger_at_limit=True)
    group = engine.groups.create(10)
    uoh(engine, UOH_CREATE, t20132="10")
    order = place(engine, group, qty="10")
    trade(engine, order, "2;1", "10.00", "10.00", "0.00", "20260825-14:30:05.000")
    assert group.state is GroupState.TRIGGERED  # == limit counts with trigger_at_limit
    engine.groups.reset(group)
    uoh(engine, UOH_RESET)
    assert group.state is GroupState.ACTIVE and group.matched() == 0
    engine.groups.trigger_at_limit = False
    now[0] += 4.0
    later = place(engine, group, qty="8")
    trade(engine, later, "2;2", "8.00", "8.00", "0.00", "20260825-14:30:09.000")
    engine.groups.update(group, 7)
    uoh(engine, UOH_UPDATE, t20132="7")
    assert group.limit_contracts == 7 and group.state is GroupState.TRIGGERED
    assert [c for c, _ in group_events(drain(engine))][-2:] == ["limit_updated", "triggered"]


# ---------------------------------------------------------------------- journal and restart
def test_groups_survive_a_restart_on_the_same_journal(make_engine):
    engine, rec = make_engine("restart.sqlite")
    group = created(engine, rec)
    sub = engine.groups.create(250, subaccount=2, shard=1)
    uoh(engine, UOH_CREATE_SUB2)
    order = place(engine, group)
    er(engine, ER_GROUP_CANCEL, t11=order.key)
    snapshots = [d for _, kind, _, d in engine.journal.records() if kind == J.GROUP and "request" not in d]
    assert len(snapshots) == 3  # two creates answered, one inferred trigger
    engine.journal.close()
    again, rec2 = make_engine("restart.sqlite")
    restored = again.groups.get(GID)
    assert (restored.state, restored.limit_contracts, restored.subaccount, restored.shard) == (
        GroupState.TRIGGERED, 5000, 0, 0)
    assert "ORDER_GROUP_CANCEL" in restored.reason
    assert [o.key for o in restored.orders()] == [order.key]
    twin = again.groups.get(GID2)
    assert (twin.state, twin.limit_contracts, twin.subaccount, twin.shard) == (GroupState.ACTIVE, 250, 2, 1)
    assert len(again.groups.all()) == 2 and not again.groups._pending
    assert place(again, restored).reject_reason.startswith("ORDER_GROUP_TRIGGERED")
    again.groups.reset(restored)
    assert rec2.sent[-1][20130] == GID and sub is not twin


def test_engine_exposes_order_groups(make_engine):
    engine, _ = make_engine()
    assert isinstance(engine.groups, OrderGroups) and engine.groups.all() == []

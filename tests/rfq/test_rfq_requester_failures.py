"""Requester failure paths: an accept whose 35=D cannot be built, session loss on a KalshiRT session
that resets (141=Y, nothing resent) versus one that resends, and an unsolicited 35=UB naming the
RFQ only by its server id. Engines use a KalshiRT config and are never connected."""

from __future__ import annotations

import uuid

import pytest

from fixengine.config.types import SessionKind
from fixengine.engine import journal as J
from fixengine.engine.events import EventKind
from fixengine.engine.orders import OrderStatus
from fixengine.errors import UserInputError
from fixengine.rfq import AcceptStatus, QuoteState, RfqStatus
from fixengine.rfq.parse import RfqParseError, parse_rfq_message
from rfq_helpers import CLIENT_ID, SERVER_ID, TICKER, example, offline_engine


def _engine(tmp_path, reset):
    return offline_engine(tmp_path, "RT", {"use_dollars": False}, reset)


@pytest.fixture(scope="module")
def resetting(tmp_path_factory):
    """KalshiRT configured with reset_on_logon: true (141=Y): what a drop loses never comes back."""
    engine = _engine(tmp_path_factory.mktemp("rfq141y"), True)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def resending(tmp_path_factory):
    """KalshiRT as configured by default (141=N): the exchange resends what a drop lost."""
    engine = _engine(tmp_path_factory.mktemp("rfq141n"), None)
    yield engine
    engine.close()


def _fresh(engine):
    engine.connected = True
    _events(engine)
    return engine


def _events(engine):
    out = []
    while not engine.events.empty():
        out.append(engine.events.get())
    return out


def _open_rfq(engine, yes="0.4500"):
    rfq = engine.rfq.create(TICKER, qty="100")
    server = str(uuid.uuid4())
    engine.rfq.handle_raw(example("ack", client=rfq.client_id).replace(SERVER_ID, server))
    quote_id = str(uuid.uuid4())
    notice = example("notice_S", quote=quote_id).replace(SERVER_ID, server).replace("132=0.4500", f"132={yes}")
    engine.rfq.handle_raw(notice)
    return rfq, rfq.quotes[quote_id]


def _rfq_rows(engine, text_prefix):
    with engine._lock:
        return [data for _, kind, _, data in engine.journal.records()
                if kind == J.RFQ and (data.get("text") or "").startswith(text_prefix)]


# ------------------------------------------------------------------ accept_with_order build errors
def test_sub_penny_quote_accepted_with_order_on_a_cents_session_leaves_the_quote_open(resending):
    engine = _fresh(resending)
    rfq, quote = _open_rfq(engine, yes="0.4550")
    sent = len(engine.sent)
    with pytest.raises(UserInputError) as refused:
        engine.rfq.accept_with_order(quote, "sell_yes")
    assert quote.state is QuoteState.OPEN and rfq.accepts == [] and len(engine.sent) == sent
    assert "whole cents" in str(refused.value) and quote.quote_id in str(refused.value)
    # the same quote can still be taken with AcceptQuote (no price on the wire)
    accept = engine.rfq.accept(quote, "sell_yes")
    assert accept.status is AcceptStatus.PENDING and quote.state is QuoteState.ACCEPT_PENDING


def test_a_35d_that_fails_to_build_ends_the_accept_rejected_and_frees_the_quote(resending, monkeypatch):
    engine = _fresh(resending)
    rfq, quote = _open_rfq(engine)

    def broken(fields):
        raise RuntimeError("template exploded")

    monkeypatch.setattr(engine.templates, "quote_accept_order", broken)
    with pytest.raises(RuntimeError, match="exploded"):
        engine.rfq.accept_with_order(quote, "sell_yes")
    failed = rfq.accepts[-1]
    assert failed.status is AcceptStatus.REJECTED and failed.text.startswith("NOT_SENT")
    assert failed.order.status is OrderStatus.REJECTED and failed.cl_ord_id not in engine.orders
    assert quote.state is QuoteState.OPEN
    rows = [d for d in _rfq_rows(engine, "NOT_SENT") if d.get("cl_ord_id") == failed.cl_ord_id]
    assert rows and rows[-1]["status"] == "rejected"  # journaled: a restart sees it ended
    monkeypatch.undo()
    retry = engine.rfq.accept_with_order(quote, "sell_yes")  # a retry is not blocked
    assert retry.status is AcceptStatus.PENDING and engine.orders[retry.cl_ord_id] is retry.order


# ------------------------------------------------------------------ session loss
def _in_flight(engine):
    """A create without 35=b, an open RFQ with a pending 35=UE, an RFQ with a pending 35=UA."""
    created = engine.rfq.create(TICKER, qty="5")
    canceling, _ = _open_rfq(engine)
    assert engine.rfq.cancel(canceling)
    accepting, quote = _open_rfq(engine)
    accept = engine.rfq.accept(quote, "sell_yes")
    return created, canceling, accepting, quote, accept


def _logout(engine):
    engine.connected = False
    engine.on_session_event(SessionKind.RT, "logout", "connection lost")
    engine.connected = True


def test_logout_on_a_141y_session_ends_what_will_never_be_answered(resetting):
    engine = _fresh(resetting)
    created, canceling, accepting, quote, accept = _in_flight(engine)
    _events(engine)
    _logout(engine)
    assert created.status is RfqStatus.REJECTED and created.text.startswith("SESSION_LOST")
    assert canceling.status is RfqStatus.OPEN and canceling.text.startswith("SESSION_LOST")
    assert accept.status is AcceptStatus.REJECTED and accept.text.startswith("SESSION_LOST")
    assert accept.order.status is OrderStatus.REJECTED and not accept.order.is_open
    assert quote.state is QuoteState.OPEN and accepting.is_open
    steps = [e.report.step for e in _events(engine) if e.kind is EventKind.RFQ]
    assert sorted(steps) == ["accept_rejected", "cancel_lost", "rejected"]
    journaled = {d.get("client_id") or d.get("cl_ord_id") for d in _rfq_rows(engine, "SESSION_LOST")}
    assert {created.client_id, canceling.client_id, accept.cl_ord_id} <= journaled
    # nothing is stuck: the cancel and the accept can be made again
    assert engine.rfq.cancel(canceling) and canceling.status is RfqStatus.CANCEL_PENDING
    assert engine.rfq.accept(quote, "sell_yes").status is AcceptStatus.PENDING


def test_logout_on_a_resending_rt_keeps_waiting_for_the_answers(resending):
    engine = _fresh(resending)
    created, canceling, accepting, quote, accept = _in_flight(engine)
    _events(engine)
    _logout(engine)
    assert created.status is RfqStatus.PENDING and canceling.status is RfqStatus.CANCEL_PENDING
    assert accept.status is AcceptStatus.PENDING and quote.state is QuoteState.ACCEPT_PENDING
    assert [e for e in _events(engine) if e.kind is EventKind.RFQ] == []
    # the answers the exchange resends after the logon still apply
    engine.rfq.handle_raw(example("UB_canceled", client=canceling.client_id))
    assert canceling.status is RfqStatus.CANCELED


# ------------------------------------------------------------------ 35=UB ids
def test_unsolicited_expiry_named_only_by_the_server_id(resending):
    engine = _fresh(resending)
    rfq, quote = _open_rfq(engine)
    expired = example("UB_expired").replace(f"131={CLIENT_ID}|", "").replace(SERVER_ID, rfq.rfq_id)
    _, record = parse_rfq_message(expired)
    assert record.quote_req_id is None and record.rfq_id == rfq.rfq_id and record.status == 2
    engine.rfq.handle_raw(expired)
    assert rfq.status is RfqStatus.EXPIRED and quote.state is QuoteState.CLOSED
    assert [e.report.step for e in _events(engine) if e.kind is EventKind.RFQ][-1] == "expired"


def test_cancel_status_without_any_rfq_id_is_unreadable():
    bare = example("UB_expired").replace(f"131={CLIENT_ID}|", "").replace(f"|21023={SERVER_ID}", "")
    with pytest.raises(RfqParseError, match="neither 131"):
        parse_rfq_message(bare)

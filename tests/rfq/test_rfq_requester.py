"""The requester state machine on a real Engine (KalshiRT config, never connected): outbound
messages are captured at the session's send, inbound ones are the fact sheet's §5.6 messages with
the ids the requester generated."""

from __future__ import annotations

import uuid

import pytest

from fixengine.engine.events import EventKind
from fixengine.book import Book
from fixengine.engine.orders import OrderStatus, OrderTracker
from fixengine.engine.recovery import replay
from fixengine.rfq import AcceptStatus, QuoteState, RfqError, RfqStatus
from fixengine.session.parse import parse_exec_report_text
from fixengine.session.records import BusinessReject, SessionReject
from rfq_helpers import SERVER_ID, TICKER, body, example, offline_engine, soh

LOGON = {"use_dollars": False}


def _engine(tmp_path, kind="RT"):
    return offline_engine(tmp_path, kind, LOGON)


@pytest.fixture(scope="module")
def shared_engine(tmp_path_factory):
    """One engine for the module (building one costs ~1.5 s); every test works on its own RFQ."""
    engine = _engine(tmp_path_factory.mktemp("rfqeng"))
    yield engine
    engine.close()


@pytest.fixture
def engine(shared_engine):
    shared_engine.connected = True
    _events(shared_engine)
    return shared_engine


def _events(engine):
    out = []
    while not engine.events.empty():
        out.append(engine.events.get())
    return out


def _rfq_steps(engine):
    return [e.report.step for e in _events(engine) if e.kind is EventKind.RFQ]


def _open_rfq(engine):
    rfq = engine.rfq.create(TICKER, qty="100")
    engine.rfq.handle_raw(example("ack", client=rfq.client_id))
    engine.rfq.handle_raw(example("notice_S", quote=str(uuid.uuid4())))  # quote ids are unique
    return rfq, rfq.quotes[next(iter(rfq.quotes))]


def test_requester_refuses_a_non_rt_session(tmp_path):
    engine = _engine(tmp_path, "NR")
    try:
        with pytest.raises(RfqError, match="KalshiRT only"):
            engine.rfq.create(TICKER, qty="1")
    finally:
        engine.close()


def test_create_sends_r_and_the_ack_opens_it(engine):
    rfq = engine.rfq.create(TICKER, qty="100", rest_remainder=True)
    fields = body(engine.sent[-1])
    assert fields == [(131, rfq.client_id), (146, "1"), (55, TICKER), (38, "100.00"), (21015, "Y")]
    assert rfq.status is RfqStatus.PENDING
    engine.rfq.handle_raw(example("ack", client=rfq.client_id))
    assert (rfq.status, rfq.rfq_id, rfq.ex_destination) == (RfqStatus.OPEN, SERVER_ID, 0)
    assert engine.rfq.get(SERVER_ID) is rfq
    assert _rfq_steps(engine) == ["sent", "ack"]


def test_create_validates_inputs(engine):
    with pytest.raises(ValueError, match="exactly one"):
        engine.rfq.create(TICKER)
    with pytest.raises(ValueError, match="exactly one"):
        engine.rfq.create(TICKER, qty="1", cost="10")
    with pytest.raises(ValueError, match="float"):
        engine.rfq.create(TICKER, qty=1.5)
    rfq = engine.rfq.create(TICKER, cost="12.50")
    assert dict(body(engine.sent[-1]))[152] == "12.50" and rfq.cost == 12_500_000


def test_creation_reject_and_session_down(engine):
    rfq = engine.rfq.create(TICKER, qty="1")
    engine.rfq.handle_raw(example("mve_AG").replace("2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b", rfq.client_id))
    assert (rfq.status, rfq.reject_code, rfq.text) == (RfqStatus.REJECTED, 99, "legs repeat the same market")
    engine.connected = False
    down = engine.rfq.create(TICKER, qty="1")
    assert down.status is RfqStatus.REJECTED and down.text.startswith("SESSION_DOWN")
    assert _rfq_steps(engine)[-2:] == ["rejected", "rejected"]


def test_quote_notice_is_kept_in_exact_units(engine):
    rfq, quote = _open_rfq(engine)
    assert (quote.yes_bid, quote.no_bid, quote.qty, quote.quoter_id, quote.state) == (4500, 5200, 10_000, "c41d22e0",
                                                                                      QuoteState.OPEN)
    assert rfq.best_quote("2") is quote and engine.rfq.quote(quote.quote_id) is quote
    quote.state = QuoteState.ACCEPTED
    engine.rfq.handle_raw(example("notice_S", quote=quote.quote_id))  # a KalshiRT resend changes nothing
    assert engine.rfq.quote(quote.quote_id) is quote and quote.state is QuoteState.ACCEPTED
    quote.state = QuoteState.OPEN
    # the same maker quoting again replaces its previous quote
    newer = example("notice_S").replace("117=5d4c3b2a", "117=6e5d4c3b").replace("132=0.4500", "132=0.4600")
    engine.rfq.handle_raw(newer)
    assert quote.state is QuoteState.REPLACED and rfq.best_quote("2").yes_bid == 4600


def test_accept_ua_then_fill_updates_order_positions_and_rfq(engine):
    rfq, quote = _open_rfq(engine)
    accept = engine.rfq.accept(quote, "sell_yes")
    ua = dict(body(engine.sent[-1]))
    assert ua == {117: quote.quote_id, 21023: SERVER_ID, 54: "2", 38: "100.00", 11: accept.cl_ord_id}
    assert (accept.price, accept.qty, accept.order.status) == (4500, 10_000, OrderStatus.PENDING_NEW)
    assert engine.orders[accept.cl_ord_id] is accept.order and quote.state is QuoteState.ACCEPT_PENDING
    engine.rfq.handle_raw(example("UC_ok", clord=accept.cl_ord_id, quote=quote.quote_id))
    assert accept.status is AcceptStatus.ACCEPTED and quote.state is QuoteState.ACCEPTED
    fill = parse_exec_report_text(soh(example("ER_fill", clord=accept.cl_ord_id)), False, "KalshiRT")
    engine.on_exec_report(fill)
    assert accept.order.status is OrderStatus.FILLED and accept.order.cum_qty == 10_000
    assert engine.positions.net(TICKER) == -10_000  # sold YES = long NO
    assert accept.status is AcceptStatus.EXECUTED and rfq.status is RfqStatus.EXECUTED
    steps = _rfq_steps(engine)
    assert steps[-3:] == ["accept_sent", "accepted", "executed"]
    tracker = OrderTracker()  # the journal alone rebuilds the accepted quote's order
    replay(engine.journal, tracker, Book(max_markets=8, max_orders=256, max_subaccounts=1))
    rebuilt = tracker.orders[accept.cl_ord_id]
    assert (rebuilt.status, rebuilt.cum_qty, rebuilt.side.value, rebuilt.price) == (OrderStatus.FILLED, 10_000, "2",
                                                                                    4500)


def test_accept_side_mapping_and_checks(engine):
    rfq, quote = _open_rfq(engine)
    accept = engine.rfq.accept(quote, "buy_yes", qty="10")
    assert dict(body(engine.sent[-1]))[54] == "1" and accept.price == 4800 and accept.qty == 1000
    with pytest.raises(RfqError, match="accept_pending"):
        engine.rfq.accept(quote, "buy_no")
    only_yes = example("notice_S").replace("117=5d4c3b2a", "117=7f6e5d4c").replace("|133=0.5200", "")
    only_yes = only_yes.replace("448=c41d22e0", "448=other")
    engine.rfq.handle_raw(only_yes)
    q2 = rfq.quotes["7f6e5d4c-1f0e-4d9c-8b7a-6f5e4d3c2b1a"]
    with pytest.raises(ValueError, match="no NO bid"):
        engine.rfq.accept(q2, "buy_yes")


def test_uc_expired_rejects_the_order_and_the_quote_is_gone(engine):
    rfq, quote = _open_rfq(engine)
    accept = engine.rfq.accept(quote, "sell_yes")
    engine.rfq.handle_raw(example("UC_expired", quote=quote.quote_id))  # no ClOrdID echo: matched by QuoteID
    assert accept.status is AcceptStatus.REJECTED and accept.text == "EXPIRED"
    assert quote.state is QuoteState.UNAVAILABLE
    assert accept.order.status is OrderStatus.REJECTED and not accept.order.is_open
    assert "accept_rejected" in _rfq_steps(engine)


def test_voided_acceptance_after_an_ok(engine):
    _rfq, quote = _open_rfq(engine)
    accept = engine.rfq.accept(quote, "sell_yes")
    engine.rfq.handle_raw(example("UC_ok", clord=accept.cl_ord_id, quote=quote.quote_id))
    void = example("UC_expired", quote=quote.quote_id).replace("21025=1", f"21025=1|11={accept.cl_ord_id}")
    engine.rfq.handle_raw(void)
    assert accept.status is AcceptStatus.VOIDED and accept.order.is_done


def test_accept_with_order_and_stale_quote_reject(engine):
    _rfq, quote = _open_rfq(engine)
    accept = engine.rfq.accept_with_order(quote, "sell_yes")
    d = dict(body(engine.sent[-1]))
    assert {k: d[k] for k in (11, 38, 40, 44, 54, 55, 117, 21023)} == {
        11: accept.cl_ord_id, 38: "100.00", 40: "2", 44: "45", 54: "2", 55: TICKER, 117: quote.quote_id,
        21023: SERVER_ID}
    assert 59 not in d
    stale = parse_exec_report_text(soh(example("ER_expired", dclord=accept.cl_ord_id)), False, "KalshiRT")
    engine.on_exec_report(stale)
    assert accept.order.status is OrderStatus.REJECTED and accept.order.reject_code == 8
    assert accept.status is AcceptStatus.REJECTED and quote.state is QuoteState.UNAVAILABLE


def test_cancel_and_unsolicited_expiry(engine):
    rfq, quote = _open_rfq(engine)
    assert engine.rfq.cancel(rfq)
    assert dict(body(engine.sent[-1])) == {131: rfq.client_id, 21023: SERVER_ID}
    assert rfq.status is RfqStatus.CANCEL_PENDING and not engine.rfq.cancel(rfq)
    engine.rfq.handle_raw(example("UB_canceled", client=rfq.client_id).replace("21013=0", "21013=1|58=busy"))
    assert rfq.status is RfqStatus.OPEN and rfq.text == "busy"
    engine.rfq.handle_raw(example("UB_expired", client=rfq.client_id))
    assert rfq.status is RfqStatus.EXPIRED and quote.state is QuoteState.CLOSED
    with pytest.raises(RfqError, match="closed"):
        engine.rfq.accept(quote, "sell_yes")
    other = engine.rfq.create(TICKER, qty="1")
    engine.rfq.cancel(other)
    engine.rfq.handle_raw(example("UB_canceled", client=other.client_id))
    assert other.status is RfqStatus.CANCELED
    assert _rfq_steps(engine)[-3:] == ["sent", "cancel_sent", "canceled"]


def test_business_and_session_rejects_reach_the_right_request(engine):
    rfq = engine.rfq.create(TICKER, qty="1")
    engine.on_business_reject(BusinessReject(None, "R", rfq.client_id, 8, "rate limited"))
    assert rfq.status is RfqStatus.REJECTED and rfq.text == "rate limited"
    rfq2, quote = _open_rfq(engine)
    accept = engine.rfq.accept(quote, "sell_yes")
    engine.on_session_reject(SessionReject(7, "UA", 54, 5, "Value is incorrect", ref_cl_ord_id=accept.cl_ord_id))
    assert accept.status is AcceptStatus.REJECTED and accept.order.status is OrderStatus.REJECTED
    assert quote.state is QuoteState.OPEN  # nothing reached the exchange's quote: it can be taken again
    engine.rfq.cancel(rfq2)
    engine.on_business_reject(BusinessReject(None, "UE", rfq2.client_id, 6, "not authorized"))
    assert rfq2.status is RfqStatus.OPEN and rfq2.text == "not authorized"
    generic = [e for e in _events(engine) if e.kind is EventKind.REJECT and e.order is None]
    assert generic == []  # every reject was claimed by the requester


def test_combo_rfq_takes_the_resolved_ticker_or_the_validation_detail(engine):
    legs = [("KXNFLGAME-26SEP10DALPHI", "KXNFLGAME-26SEP10DALPHI-PHI", "yes"),
            ("KXNFLGAME-26SEP13KCBUF", "KXNFLGAME-26SEP13KCBUF-KC", "no")]
    combo = engine.rfq.create_combo("KXMVECROSSCATEGORY-SHARD1-R", legs, qty="50")
    sent = dict(body(engine.sent[-1]))
    assert sent[20180] == "KXMVECROSSCATEGORY-SHARD1-R" and sent[20181] == "2" and 55 not in sent
    engine.rfq.handle_raw(example("mve_ack").replace("1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a", combo.client_id))
    resolved = "KXMVECROSSCATEGORY-S2026-ABCDEF12345"
    assert (combo.status, combo.ticker, combo.ex_destination) == (RfqStatus.OPEN, resolved, 1)
    bad = engine.rfq.create_combo("KXMVECROSSCATEGORY-SHARD1-R", [legs[0], legs[0]], qty="50")
    engine.rfq.handle_raw(example("mve_AG").replace("2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b", bad.client_id))
    assert (bad.status, bad.mve_reason, bad.offending_legs) == (RfqStatus.REJECTED, "duplicated_legs",
                                                                ("KXNFLGAME-26SEP10DALPHI-PHI",))
    with pytest.raises(ValueError, match="combo leg"):
        engine.rfq.create_combo("C", [("E", "M", "maybe")], qty="1")


def test_prefer_better_quote_takes_the_better_price(engine):
    rfq, quote = _open_rfq(engine)
    better = example("notice_S").replace("117=5d4c3b2a", "117=8a7b6c5d").replace("132=0.4500", "132=0.4700")
    engine.rfq.handle_raw(better.replace("448=c41d22e0", "448=second"))
    q2 = rfq.quotes["8a7b6c5d-1f0e-4d9c-8b7a-6f5e4d3c2b1a"]
    accept = engine.rfq.accept(quote, "sell_yes", prefer_better=True)
    assert dict(body(engine.sent[-1]))[21022] == "Y"
    ok = example("UC_ok", clord=accept.cl_ord_id, quote=quote.quote_id)
    ok = ok.replace(f"21024={quote.quote_id}", f"21024={q2.quote_id}")
    engine.rfq.handle_raw(ok)
    assert accept.accepted_quote_id == q2.quote_id and q2.state is QuoteState.ACCEPTED
    assert quote.state is QuoteState.OPEN and accept.price == accept.order.price == 4700


def test_session_reject_naming_only_the_sequence_number(engine):
    rfq = engine.rfq.create(TICKER, qty="1")
    seq = len(engine.sent)
    engine.on_session_reject(SessionReject(seq, "R", 146, 5, "Incorrect NumInGroup count"))
    assert rfq.status is RfqStatus.REJECTED and rfq.text == "Incorrect NumInGroup count"
    stranger = engine.rfq.create(TICKER, qty="1")
    engine.on_session_reject(SessionReject(99_999, "R", 146, 5, "unknown"))
    assert stranger.status is RfqStatus.PENDING  # nothing matched: the engine reports it generically
    assert any(e.kind is EventKind.SESSION and "unknown" in (e.text or "") for e in _events(engine))

"""The maker state machine (RfqMaker, never connected): outbound messages captured at the
session's send, inbound ones are the fact sheet's §5.6 maker-side messages with our quote ids."""

from __future__ import annotations

import uuid

import pytest

from fixengine.auth import write_key_pair
from fixengine.config import load_config
from fixengine.pricing.ticks import TickGrid
from fixengine.config.types import SessionKind
from fixengine.errors import UserInputError
from fixengine.model import Side
from fixengine.rfq import MakerQuoteStatus, QuoteDecision, RfqMaker, RfqMakerError, validate_decision
from fixengine.session.records import BusinessReject
from kalshi_test_acceptor import free_port, write_client_config
from rfq_helpers import EXAMPLES, QUOTE_ID, SERVER_ID, TICKER, body, example


@pytest.fixture(scope="module")
def shared_maker(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rfqmaker")
    priv, pub = tmp / "m.pem", tmp / "m.pub.pem"
    write_key_pair(priv, pub)
    path = write_client_config(tmp, {"RFQ": (str(uuid.uuid4()), priv, {"use_dollars": False}, None)})
    cfg = load_config(path).with_endpoints(ports={"RFQ": free_port()})
    maker = RfqMaker(cfg, lambda rfq: None)
    maker.sent = []

    def send(kind, message):
        maker.sent.append(message.toString())
        return maker.up

    maker.conn.send = send
    yield maker
    maker.close()


@pytest.fixture
def maker(shared_maker):
    shared_maker.up = True
    shared_maker.confirm_fn = None
    shared_maker.tick_grids.clear()
    shared_maker.validate = True
    shared_maker.engine = None
    shared_maker.accepted_side_semantics = "echo"
    _events(shared_maker)
    return shared_maker


def _events(maker):
    out = []
    while not maker.events.empty():
        out.append(maker.events.get())
    return out


def _steps(maker):
    return [e.step for e in _events(maker)]


def _broadcast(maker, decision, rfq_id=SERVER_ID):
    seen = []

    def quote_fn(rfq):
        seen.append(rfq)
        return decision(rfq) if callable(decision) else decision

    maker.quote_fn = quote_fn
    maker.handle_raw(EXAMPLES["broadcast_R"].replace(SERVER_ID, rfq_id))
    return seen[0]


def _quoted(maker, rfq_id=None):
    rfq_id = rfq_id or str(uuid.uuid4())
    rfq = _broadcast(maker, QuoteDecision(yes_bid="0.45", no_bid="0.52"), rfq_id)
    return rfq, rfq.current_quote


def test_broadcast_calls_quote_fn_and_sends_the_quote_in_cents(maker):
    rfq = _broadcast(maker, QuoteDecision(yes_bid="0.45", no_bid=5200))
    assert (rfq.rfq_id, rfq.ticker, rfq.qty, rfq.requester_id) == (SERVER_ID, TICKER, 10_000, "7f3e91ac")
    quote = rfq.current_quote
    expected = sorted(body(example("maker_S", quote=quote.quote_id)))
    assert sorted(body(maker.sent[-1])) == expected
    maker.handle_raw(example("ai_pending", quote=quote.quote_id))
    assert quote.status is MakerQuoteStatus.PENDING and (quote.qty, quote.yes_size) == (10_000, 10_000)
    assert _steps(maker) == ["rfq", "quote_sent", "pending"]


def test_quote_fn_none_declines_and_sends_nothing(maker):
    before = len(maker.sent)
    rfq = _broadcast(maker, None, str(uuid.uuid4()))
    assert len(maker.sent) == before and rfq.current_quote is None
    assert _steps(maker) == ["rfq", "declined"]


@pytest.mark.parametrize("decision, error", [
    (QuoteDecision(yes_bid="0.60", no_bid="0.45"), "exceeds \\$1"),
    (QuoteDecision(), "at least one side"),
    (QuoteDecision(yes_bid="0", no_bid=0), "at least one side"),
    (QuoteDecision(yes_bid="1.00"), "between 0 and 1"),
    (QuoteDecision(yes_bid="0.455"), "not a whole cent"),
    (QuoteDecision(no_bid="0.45", subaccount=64), "0-63"),
])
def test_invalid_decisions_are_refused_locally_with_the_rule(maker, decision, error):
    before = len(maker.sent)
    _broadcast(maker, decision, str(uuid.uuid4()))
    events = _events(maker)
    assert [e.step for e in events] == ["rfq", "invalid_decision"]
    assert len(maker.sent) == before
    import re
    assert re.search(error, events[-1].text), events[-1].text


def test_tick_grid_checked_when_known():
    grid = TickGrid.from_structure("linear_cent")
    with pytest.raises(ValueError, match="tick grid"):
        validate_decision(QuoteDecision(yes_bid="0.4550"), grid=grid, use_dollars=True)
    with pytest.raises(ValueError, match="tick grid"):
        validate_decision(QuoteDecision(no_bid="0.0150"), grid=grid, use_dollars=True)
    assert validate_decision(QuoteDecision(yes_bid="0.4550"), use_dollars=True) == (4550, 0)
    assert validate_decision(QuoteDecision(yes_bid="0.40", no_bid="0.60"), grid=grid) == (4000, 6000)  # sum == $1


def test_quote_fn_exception_is_contained(maker):
    errors = maker.callback_errors
    _broadcast(maker, lambda rfq: 1 / 0, str(uuid.uuid4()))
    events = _events(maker)
    assert events[-1].step == "quote_fn_error" and "ZeroDivisionError" in events[-1].text
    assert maker.callback_errors == errors + 1


def test_accepted_quote_is_confirmed_at_once(maker):
    rfq, quote = _quoted(maker)
    maker.handle_raw(example("ai_accepted", quote=quote.quote_id, server=rfq.rfq_id))
    assert dict(body(maker.sent[-1])) == {117: quote.quote_id, 21023: rfq.rfq_id}  # U7
    assert quote.status is MakerQuoteStatus.CONFIRM_SENT and quote.accepted_side == "2"
    assert quote.confirm_deadline - quote.accepted_at == 30.0
    maker.handle_raw(example("U8_ok", quote=quote.quote_id))
    assert quote.status is MakerQuoteStatus.CONFIRMED and maker.confirmed()[-1] is quote
    assert _steps(maker)[-4:] == ["quote_sent", "accepted", "confirm_sent", "confirmed"]


def test_confirm_fn_declines_then_a_late_manual_confirm_is_refused(maker):
    maker.confirm_fn = lambda quote: False
    rfq, quote = _quoted(maker)
    before = len(maker.sent)
    maker.handle_raw(example("ai_accepted", quote=quote.quote_id, server=rfq.rfq_id))
    assert quote.status is MakerQuoteStatus.DECLINED and len(maker.sent) == before
    quote.confirm_deadline = 0.0  # the window has passed
    assert maker.confirm(quote)
    assert _events(maker)[-1].text.startswith("after the confirmation window")
    maker.handle_raw(example("U8_rejected", quote=quote.quote_id))
    assert quote.status is MakerQuoteStatus.CONFIRM_REJECTED and quote.text == "quote not in accepted state"
    assert not maker.confirm(quote)


def test_requote_replaces_and_cancel_round_trip(maker):
    rfq, first = _quoted(maker)
    second = maker.requote(rfq, QuoteDecision(yes_bid="0.46", post_only=True))
    assert dict(body(maker.sent[-1]))[18] == "6" and dict(body(maker.sent[-1]))[132] == "46"
    assert first.status is MakerQuoteStatus.REPLACED and rfq.current_quote is second
    assert maker.cancel_quote(second)
    assert dict(body(maker.sent[-1])) == {117: second.quote_id, 21023: rfq.rfq_id}  # Z
    maker.handle_raw(example("U9", quote=second.quote_id).replace("298=0", "298=1|58=NOT_FOUND"))
    assert second.status is MakerQuoteStatus.SENT and second.text == "NOT_FOUND"
    assert maker.cancel_quote(second)
    maker.handle_raw(example("U9", quote=second.quote_id))
    assert second.status is MakerQuoteStatus.CANCELLED and not maker.cancel_quote(second)


def test_rfq_closed_drops_live_quotes(maker):
    rfq, quote = _quoted(maker)
    maker.handle_raw(example("AG_maker", server=rfq.rfq_id))
    assert not rfq.is_open and rfq.close_reason == 99 and quote.status is MakerQuoteStatus.CLOSED
    assert maker.open_rfqs() == [r for r in maker.open_rfqs() if r is not rfq]
    with pytest.raises(RfqMakerError, match="closed"):
        maker.requote(rfq, QuoteDecision(yes_bid="0.40"))


def test_rejected_status_without_quote_id_and_business_reject(maker):
    rfq, quote = _quoted(maker)
    rejected = example("ai_pending", server=rfq.rfq_id).replace(f"117={QUOTE_ID}", "117=")
    rejected = rejected.replace("297=10", "297=5|58=RFQ_CLOSED")
    maker.handle_raw(rejected)
    assert quote.status is MakerQuoteStatus.REJECTED and quote.text == "RFQ_CLOSED"
    other = maker.requote(rfq, QuoteDecision(no_bid="0.50"))
    maker.session_events.on_business_reject(BusinessReject(None, "S", other.quote_id, 8, "rate limited"))
    assert other.status is MakerQuoteStatus.REJECTED and other.text == "rate limited"


def test_session_down_refuses_without_losing_the_live_quote(maker):
    rfq, quote = _quoted(maker)
    maker.up = False
    again = maker.requote(rfq, QuoteDecision(yes_bid="0.40"))
    assert again.status is MakerQuoteStatus.REJECTED and again.text.startswith("SESSION_DOWN")
    assert quote.status is MakerQuoteStatus.SENT and rfq.current_quote is again
    with pytest.raises(RfqMakerError, match="SESSION_DOWN"):
        maker.cancel_quote(quote)
    assert quote.status is MakerQuoteStatus.SENT


def _drop(maker):
    maker.up = False
    maker.session_events.on_session_event(SessionKind.RFQ, "logout", "connection lost")
    maker.up = True


def test_a_drop_leaves_no_quote_waiting_for_an_answer_that_never_comes(maker):
    _rfq1, sent = _quoted(maker)  # 35=S out, no 35=AI
    rfq2, confirming = _quoted(maker)
    maker.handle_raw(example("ai_accepted", quote=confirming.quote_id, server=rfq2.rfq_id))  # U7 goes out
    _rfq3, canceling = _quoted(maker)
    maker.handle_raw(example("ai_pending", quote=canceling.quote_id))
    assert maker.cancel_quote(canceling)
    _rfq4, confirmed = _quoted(maker)
    maker.handle_raw(example("ai_accepted", quote=confirmed.quote_id, server=_rfq4.rfq_id))
    maker.handle_raw(example("U8_ok", quote=confirmed.quote_id))
    assert (sent.status, confirming.status, canceling.status) == (
        MakerQuoteStatus.SENT, MakerQuoteStatus.CONFIRM_SENT, MakerQuoteStatus.CANCEL_PENDING)
    _events(maker)
    _drop(maker)
    assert sent.status is MakerQuoteStatus.UNKNOWN and sent.text.startswith("SESSION_LOST")
    assert confirming.status is MakerQuoteStatus.UNKNOWN and confirming.text.startswith("SESSION_LOST")
    assert canceling.status is MakerQuoteStatus.PENDING and confirmed.status is MakerQuoteStatus.CONFIRMED
    events = _events(maker)
    assert events[0].step == "session" and events[0].text == "logout: connection lost"
    lost = {e.quote.quote_id: e.text for e in events if e.step == "session_lost"}
    assert {sent.quote_id, confirming.quote_id, canceling.quote_id} <= set(lost)  # (the shared maker has more)
    assert confirmed.quote_id not in lost
    assert "was confirm_sent" in lost[confirming.quote_id]
    # nothing is stuck: both can be cancelled again, and a later 35=AI still applies
    assert maker.cancel_quote(canceling) and maker.cancel_quote(sent)
    maker.handle_raw(example("U9", quote=sent.quote_id).replace("298=0", "298=1|58=NOT_FOUND"))
    assert sent.status is MakerQuoteStatus.UNKNOWN
    maker.handle_raw(example("ai_pending", quote=sent.quote_id))
    assert sent.status is MakerQuoteStatus.PENDING


class _ExpectingEngine:
    def __init__(self):
        self.orders = {}

    def expect_order(self, order):
        self.orders[order.key] = order


@pytest.mark.parametrize("semantics, bid, side, user_side, price", [
    ("echo", "yes", Side.BUY, "buy_yes", 4500),  # 54=2 echoes the creator's side: it took our YES bid
    ("accepted_side", "no", Side.SELL, "buy_no", 4800),  # 54=2 = No: it took our NO bid (YES at 1 - 0.52)
])
def test_accepted_side_meaning_is_configurable(maker, semantics, bid, side, user_side, price):
    maker.accepted_side_semantics = semantics
    maker.engine = _ExpectingEngine()
    rfq, quote = _quoted(maker)
    maker.handle_raw(example("ai_accepted", quote=quote.quote_id, server=rfq.rfq_id))  # carries 54=2
    maker.handle_raw(example("U8_ok", quote=quote.quote_id))
    assert (quote.accepted_side, quote.accepted_bid) == ("2", bid)
    order = maker.engine.orders[quote.quote_id]
    assert (order.side, order.user_side, order.price, order.qty) == (side, user_side, price, 10_000)


def test_unknown_accepted_side_semantics_is_refused(tmp_path):
    priv, pub = tmp_path / "m.pem", tmp_path / "m.pub.pem"
    write_key_pair(priv, pub)
    path = write_client_config(tmp_path, {"RFQ": (str(uuid.uuid4()), priv, {"use_dollars": False}, None)})
    cfg = load_config(path).with_endpoints(ports={"RFQ": free_port()})
    with pytest.raises(UserInputError, match="accepted_side_semantics 'table'"):
        RfqMaker(cfg, lambda rfq: None, accepted_side_semantics="table")

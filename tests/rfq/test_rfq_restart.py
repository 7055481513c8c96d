"""The RFQ requester's state survives a restart: journal -> new Engine on the same journal -> the
same RFQs, quotes and accepts; resent (PossDup) messages change nothing and publish nothing.
Engines use a KalshiRT config and are never connected (outbound captured at the session's send)."""

from __future__ import annotations

import uuid

import pytest

from fixengine.auth import write_key_pair
from fixengine.config.types import SessionKind
from fixengine.engine import Engine
from fixengine.engine import journal as J
from fixengine.engine.events import EventKind
from fixengine.engine.orders import OrderStatus
from fixengine.rfq import AcceptStatus, QuoteState, RfqStatus
from fixengine.rfq import journal_codec as C
from fixengine.session.parse import parse_exec_report_text
from kalshi_test_acceptor import free_port, write_client_config
from rfq_helpers import SERVER_ID, TICKER, body, example, soh


class Restartable:
    """One config (so one journal and one QuickFIX store) and the engine currently running on it."""

    def __init__(self, tmp_path):
        priv, pub = tmp_path / "k.pem", tmp_path / "k.pub.pem"
        write_key_pair(priv, pub)
        self.cfg = write_client_config(tmp_path, {"RT": (str(uuid.uuid4()), priv, {"use_dollars": False}, None)})
        self.port = free_port()
        self.engine = self._start()

    def _start(self):
        engine = Engine.from_config(self.cfg, ports={"RT": self.port})
        engine.sent = []

        def send(kind, message):
            message.getHeader().setField(34, str(1000 + len(engine.sent)))  # as QuickFIX stamps it
            engine.sent.append(message.toString())
            return True

        engine.conn.send = send
        return engine

    def restart(self):
        """Close and start anew. The caller must hold no reference to the old engine (nor its
        requester): QuickFIX registers sessions process-wide until the old initiator is freed."""
        self.engine.close()
        self.engine = None
        self.engine = self._start()
        return self.engine

    def close(self):
        self.engine.close()


@pytest.fixture
def node(tmp_path):
    n = Restartable(tmp_path)
    yield n
    n.close()


def _steps(engine):
    out = []
    while not engine.events.empty():
        event = engine.events.get()
        if event.kind is EventKind.RFQ:
            out.append(event.report.step)
    return out


def _quote_msg(quote_id, yes="0.4500", quoter="c41d22e0", server=SERVER_ID):
    raw = example("notice_S").replace("117=5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a", f"117={quote_id}")
    raw = raw.replace("131=a9d8c7b6-5e4f-4a3b-9c2d-1e0f9a8b7c6d", f"131={server}")
    return raw.replace("132=0.4500", f"132={yes}").replace("448=c41d22e0", f"448={quoter}")


def _ack(rfq, server):
    return example("ack", client=rfq.client_id).replace(SERVER_ID, server)


def _snapshot(requester):
    """Everything the requester knows, as plain values (object identity aside)."""
    def quote(q):
        return (q.quote_id, q.rfq_id, q.ticker, q.yes_bid, q.no_bid, q.qty, q.yes_size, q.no_size, q.quoter_id,
                q.state, q.text)

    def accept(a):
        return (a.cl_ord_id, a.quote.quote_id, a.side, a.wire_side, a.qty, a.price, a.via, a.prefer_better, a.status,
                a.accepted_quote_id, a.text, a.order.key, a.order.status, a.order.cum_qty, a.order.price)

    rfqs = [(r.client_id, r.ticker, r.qty, r.cost, r.rest_remainder, r.replace_existing, r.subaccount, r.status,
             r.rfq_id, r.ex_destination, r.reject_code, r.text, r.mve_collection, r.mve_legs, r.mve_reason,
             r.offending_legs, [quote(q) for q in r.quotes.values()], [accept(a) for a in r.accepts])
            for r in requester.rfqs.values()]
    return (rfqs, sorted(quote(q) for q in requester._quotes.values()),
            sorted(accept(a) for a in requester._accepts.values()), dict(requester._sent),
            sorted(requester._by_server_id))


def _busy_history(engine):
    """RFQs in every state: open with a replaced and an accepted quote, executed, canceled,
    expired, refused, cancel pending, a combo; plus a quote for an RFQ this engine never made."""
    rfq = engine.rfq
    live = rfq.create(TICKER, qty="100", rest_remainder=True)
    rfq.handle_raw(_ack(live, "srv-live"))
    rfq.handle_raw(_quote_msg("q-old", server="srv-live"))
    rfq.handle_raw(_quote_msg("q-new", yes="0.4600", server="srv-live"))  # same maker: replaces q-old
    rfq.handle_raw(_quote_msg("q-other", yes="0.4400", quoter="other", server="srv-live"))
    taken = rfq.accept("q-new", "sell_yes", prefer_better=True)
    rfq.handle_raw(example("UC_ok", clord=taken.cl_ord_id, quote="q-new"))

    done = rfq.create(TICKER, qty="10")
    rfq.handle_raw(_ack(done, "srv-done"))
    rfq.handle_raw(_quote_msg("q-done", server="srv-done"))
    filled = rfq.accept("q-done", "sell_yes")
    rfq.handle_raw(example("UC_ok", clord=filled.cl_ord_id, quote="q-done"))
    engine.on_exec_report(parse_exec_report_text(soh(example("ER_fill", clord=filled.cl_ord_id)), False, "KalshiRT"))

    canceled = rfq.create(TICKER, cost="12.50")
    rfq.handle_raw(_ack(canceled, "srv-cxl"))
    rfq.handle_raw(_quote_msg("q-cxl", server="srv-cxl"))
    rfq.cancel(canceled)
    rfq.handle_raw(example("UB_canceled", client=canceled.client_id))

    expired = rfq.create(TICKER, qty="1")
    rfq.handle_raw(_ack(expired, "srv-exp"))
    rfq.handle_raw(example("UB_expired", client=expired.client_id).replace(SERVER_ID, "srv-exp"))

    refused = rfq.create(TICKER, qty="1")
    rfq.handle_raw(example("mve_AG").replace("2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b", refused.client_id))

    pending_cancel = rfq.create(TICKER, qty="2", subaccount=3)
    rfq.handle_raw(_ack(pending_cancel, "srv-pc"))
    rfq.cancel(pending_cancel)

    legs = [("KXNFLGAME-26SEP10DALPHI", "KXNFLGAME-26SEP10DALPHI-PHI", "yes")]
    combo = rfq.create_combo("KXMVECROSSCATEGORY-SHARD1-R", legs, qty="5")
    rfq.handle_raw(example("mve_ack").replace("1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a", combo.client_id))

    rfq.handle_raw(_quote_msg("q-stranger", server="srv-unknown"))
    return {"live": live, "done": done, "canceled": canceled, "expired": expired, "refused": refused,
            "pending_cancel": pending_cancel, "combo": combo, "taken": taken, "filled": filled}


def test_journal_replay_rebuilds_the_same_state(node):
    made = _busy_history(node.engine)
    before = _snapshot(node.engine.rfq)
    statuses = {name: made[name].status for name in ("live", "done", "canceled", "expired", "refused",
                                                      "pending_cancel", "combo")}
    assert statuses == {"live": RfqStatus.OPEN, "done": RfqStatus.EXECUTED, "canceled": RfqStatus.CANCELED,
                        "expired": RfqStatus.EXPIRED, "refused": RfqStatus.REJECTED,
                        "pending_cancel": RfqStatus.CANCEL_PENDING, "combo": RfqStatus.OPEN}
    engine = node.restart()
    assert engine.recovery.rfq and "RFQ records" in str(engine.recovery)
    assert _snapshot(engine.rfq) == before
    assert _steps(engine) == []  # rebuilt history is not news
    open_ids = {r.client_id for r in engine.rfq.open_rfqs()}
    assert open_ids == {made["live"].client_id, made["pending_cancel"].client_id, made["combo"].client_id}
    live = engine.rfq.get("srv-live")
    assert live is engine.rfq.get(made["live"].client_id) and [q.state for q in live.quotes.values()] == [
        QuoteState.REPLACED, QuoteState.ACCEPTED, QuoteState.OPEN]
    taken = live.accepts[0]
    assert taken.order is engine.orders[taken.cl_ord_id] and taken.quote is live.quotes["q-new"]
    assert engine.rfq.get("srv-done").accepts[0].order.status is OrderStatus.FILLED
    # a second restart with nothing in between: still the same (restoring wrote nothing new)
    count = engine.journal.count(J.RFQ)
    del engine, live, taken
    assert _snapshot(node.restart().rfq) == before and node.engine.journal.count(J.RFQ) == count


def test_resent_messages_after_a_restart_change_nothing(node):
    rfq = node.engine.rfq
    live = rfq.create(TICKER, qty="100")
    ack = _ack(live, "srv-1")
    quote = _quote_msg("q-1", server="srv-1")
    rfq.handle_raw(ack)
    rfq.handle_raw(quote)
    accept = rfq.accept("q-1", "sell_yes")
    uc = example("UC_ok", clord=accept.cl_ord_id, quote="q-1")
    rfq.handle_raw(uc)
    other = rfq.create(TICKER, qty="1")
    rfq.handle_raw(_ack(other, "srv-2"))
    rfq.cancel(other)
    ub = example("UB_canceled", client=other.client_id)
    rfq.handle_raw(ub)
    before = _snapshot(rfq)
    del rfq
    engine = node.restart()
    _steps(engine)
    for raw in (ack, quote, uc, ub, example("UB_expired", client=other.client_id).replace(SERVER_ID, "srv-2")):
        engine.rfq.handle_raw(raw.replace("|52=", "|43=Y|97=Y|52="))  # as KalshiRT resends them
    assert _steps(engine) == [] and engine.rfq.duplicates == 5 and engine.rfq.unmatched == []
    assert _snapshot(engine.rfq) == before


def test_duplicates_within_one_run_publish_once(node):
    engine, rfq = node.engine, node.engine.rfq
    live = rfq.create(TICKER, qty="100")
    for _ in range(2):
        rfq.handle_raw(_ack(live, "srv-d"))
        rfq.handle_raw(_quote_msg("q-d", server="srv-d"))
    accept = rfq.accept("q-d", "sell_yes")
    for _ in range(2):
        rfq.handle_raw(example("UC_ok", clord=accept.cl_ord_id, quote="q-d"))
    fill = parse_exec_report_text(soh(example("ER_fill", clord=accept.cl_ord_id)), False, "KalshiRT")
    engine.on_exec_report(fill)
    rfq.handle_raw(example("UC_ok", clord=accept.cl_ord_id, quote="q-d"))  # a late resend: executed stays
    rfq.handle_raw(example("UB_expired", client=live.client_id).replace(SERVER_ID, "srv-d"))  # closed already
    assert accept.status is AcceptStatus.EXECUTED and live.status is RfqStatus.EXECUTED
    assert _steps(engine) == ["sent", "ack", "quote", "accept_sent", "accepted", "executed"]
    refused = rfq.create(TICKER, qty="1")
    cancel_no = example("UB_canceled", client=refused.client_id).replace("21013=0", "21013=1|58=busy")
    rfq.handle_raw(_ack(refused, "srv-r"))
    rfq.cancel(refused)
    rfq.handle_raw(cancel_no)
    rfq.handle_raw(cancel_no)
    assert refused.status is RfqStatus.OPEN and rfq.duplicates == 6
    assert _steps(engine) == ["sent", "ack", "cancel_sent", "cancel_rejected"]


def test_accept_and_cancel_after_a_restart(node):
    rfq = node.engine.rfq
    first, second = rfq.create(TICKER, qty="100"), rfq.create(TICKER, qty="10")
    rfq.handle_raw(_ack(first, "srv-a"))
    rfq.handle_raw(_ack(second, "srv-b"))
    rfq.handle_raw(_quote_msg("q-a", server="srv-a"))
    del rfq
    engine = node.restart()
    _steps(engine)
    accept = engine.rfq.accept("q-a", "sell_yes")
    assert dict(body(engine.sent[-1])) == {117: "q-a", 21023: "srv-a", 54: "2", 38: "100.00",
                                           11: accept.cl_ord_id}
    engine.rfq.handle_raw(example("UC_ok", clord=accept.cl_ord_id, quote="q-a"))
    engine.on_exec_report(parse_exec_report_text(soh(example("ER_fill", clord=accept.cl_ord_id)), False,
                                                 "KalshiRT"))
    assert accept.order.status is OrderStatus.FILLED and engine.positions.net(TICKER) == -10_000
    assert engine.rfq.get("srv-a").status is RfqStatus.EXECUTED
    assert engine.rfq.cancel(second.client_id)
    assert dict(body(engine.sent[-1])) == {131: second.client_id, 21023: "srv-b"}
    engine.rfq.handle_raw(example("UB_canceled", client=second.client_id))
    assert engine.rfq.get("srv-b").status is RfqStatus.CANCELED and engine.rfq.open_rfqs() == []
    assert _steps(engine) == ["accept_sent", "accepted", "executed", "cancel_sent", "canceled"]


def test_inbound_before_the_strategy_touches_rfq_rebuilds_it(node):
    """KalshiRT resends while logging on: the requester is rebuilt from the journal when the
    engine starts, so a resent RFQ message is not dropped because the strategy has not used
    `engine.rfq` yet."""
    live = node.engine.rfq.create(TICKER, qty="100")
    node.engine.rfq.handle_raw(_ack(live, "srv-l"))
    engine = node.restart()
    assert "_rfq" in engine.__dict__  # restored at start-up, before any message arrives

    class Wire:  # what on_app_message gets from QuickFIX: only toString() is used
        def __init__(self, raw):
            self.raw = soh(raw)

        def toString(self):
            return self.raw

    engine.on_app_message(SessionKind.RT, "S", Wire(_quote_msg("q-l", server="srv-l")))
    assert "_rfq" in engine.__dict__ and engine.rfq.get("srv-l").quotes["q-l"].state is QuoteState.OPEN
    assert _steps(engine) == ["quote"]


def test_accept_in_flight_at_the_stop_is_settled_from_the_replayed_order(node):
    rfq = node.engine.rfq
    live = rfq.create(TICKER, qty="100")
    rfq.handle_raw(_ack(live, "srv-f"))
    rfq.handle_raw(_quote_msg("q-f", server="srv-f"))
    accept = rfq.accept("q-f", "sell_yes")
    rfq.handle_raw(example("UC_ok", clord=accept.cl_ord_id, quote="q-f"))
    lost = live.accepts[0].cl_ord_id
    del rfq
    engine = node.restart()
    # the resent fill reaches the engine before anything touches the requester
    engine.on_exec_report(parse_exec_report_text(soh(example("ER_fill", clord=lost)), False, "KalshiRT"))
    restored = engine.rfq.get("srv-f")
    assert restored.accepts[0].status is AcceptStatus.EXECUTED and restored.status is RfqStatus.EXECUTED
    assert restored.quotes["q-f"].state is QuoteState.EXECUTED and engine.rfq.open_rfqs() == []
    del engine
    again = node.restart()  # the settling was journaled
    assert again.rfq.get("srv-f").accepts[0].status is AcceptStatus.EXECUTED


def test_accept_journaled_but_never_sent_is_refused_on_restart(node):
    rfq = node.engine.rfq
    live = rfq.create(TICKER, qty="100")
    rfq.handle_raw(_ack(live, "srv-u"))
    rfq.handle_raw(_quote_msg("q-u", server="srv-u"))
    half = rfq._prepare("q-u", "sell_yes", None, "UA", False)  # the engine stops before submit_tracked
    del rfq
    engine = node.restart()
    restored = engine.rfq.get("srv-u")
    accept = restored.accepts[0]
    assert accept.cl_ord_id == half.cl_ord_id and accept.status is AcceptStatus.REJECTED
    assert accept.text == C.NOT_SENT and accept.order.status is OrderStatus.REJECTED
    assert accept.cl_ord_id not in engine.orders  # nothing the exchange could know
    assert restored.quotes["q-u"].state is QuoteState.OPEN and restored.is_open  # it can be taken again
    assert engine.rfq.accept("q-u", "sell_yes").status is AcceptStatus.PENDING


def test_records_are_keyed_by_the_rfq(node):
    rfq = node.engine.rfq
    live = rfq.create(TICKER, qty="100")
    rfq.handle_raw(_ack(live, "srv-k"))
    rfq.handle_raw(_quote_msg("q-k", server="srv-k"))
    accept = rfq.accept("q-k", "sell_yes")
    with node.engine._lock:
        rows = [(key, data["t"]) for _, kind, key, data in node.engine.journal.records() if kind == J.RFQ]
        order_rows = [kind for _, kind, key, _ in node.engine.journal.records() if key == accept.cl_ord_id]
    assert rows == [(live.client_id, "rfq"), (None, "sent"), (live.client_id, "rfq"), (live.client_id, "quote"),
                    (live.client_id, "quote"), (live.client_id, "accept"), (None, "sent")]
    assert order_rows == ["new"]  # the accept's order keeps its ClOrdID key to itself


def test_accept_ended_before_its_order_is_settled_silently_on_restart(node):
    """The engine stopped between journaling an accept's end and ending its order: the restart
    ends the order (journaled) and publishes nothing - it is history, not news."""
    rfq = node.engine.rfq
    live = rfq.create(TICKER, qty="100")
    rfq.handle_raw(_ack(live, "srv-e"))
    rfq.handle_raw(_quote_msg("q-e", server="srv-e"))
    accept = rfq.accept("q-e", "sell_yes")
    with rfq._lock:  # what _end_accept journals before it asks the engine to end the order
        accept.status, accept.text = AcceptStatus.REJECTED, "EXPIRED"
        accept.quote.state = QuoteState.UNAVAILABLE
        rfq._save(accept.quote, accept)
    key = accept.cl_ord_id
    assert node.engine.orders[key].is_open
    del rfq, accept, live
    engine = node.restart()
    order = engine.orders[key]
    assert order.status is OrderStatus.REJECTED and order.reject_reason == "ACCEPT_REJECTED: EXPIRED"
    published = []
    while not engine.events.empty():
        published.append(engine.events.get())
    assert [e for e in published if e.kind in (EventKind.REJECT, EventKind.RFQ) or e.order is not None] == []
    del engine, order
    again = node.restart()  # the order's end was journaled
    assert again.orders[key].status is OrderStatus.REJECTED
    assert again.rfq.get("srv-e").accepts[0].status is AcceptStatus.REJECTED

"""The RFQ requester's state in the engine journal (record kind journal.RFQ), and its rebuild.

Every state change writes snapshots of what it touched, each a JSON object tagged by "t":

    {"t": "rfq", ...every Rfq field but quotes / accepts}          one per change of an RFQ
    {"t": "quote", "owner": <QuoteReqID or null>, ...Quote fields} a quote as received / restated
    {"t": "accept", "owner": ..., "quote_id": ..., ...Accept fields} an accept (its Order is the
                                                                   engine's own, journaled as NEW)
    {"t": "sent", "seq": n, "type": "R" | "UA" | "UE" | "D", "id": ...}  what a 35=3 / 35=j may cite

Replay applies them in write order and the last snapshot of an id wins, so the rebuilt objects are
what the live requester had at its last committed write. Snapshots rather than message replay:
the records stay readable on their own, and a message the requester applied differently in an
older version cannot change the rebuilt state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fixengine.engine.orders import Order, OrderStatus
from fixengine.model import Side
from fixengine.rfq.records import Accept, AcceptStatus, Quote, QuoteState, Rfq, RfqStatus

RFQ_FIELDS = ("client_id", "ticker", "qty", "cost", "rest_remainder", "replace_existing", "subaccount", "status",
              "rfq_id", "ex_destination", "reject_code", "text", "mve_collection", "mve_legs", "mve_reason",
              "offending_legs")
QUOTE_FIELDS = ("quote_id", "rfq_id", "ticker", "yes_bid", "no_bid", "qty", "yes_size", "no_size", "quoter_id",
                "state", "text")
ACCEPT_FIELDS = ("cl_ord_id", "side", "wire_side", "qty", "price", "via", "prefer_better", "status",
                 "accepted_quote_id", "text")
NOT_SENT = "NOT_SENT: the engine stopped before this accept was handed to the session"
SENT_KEEP = 4096  # MsgSeqNums remembered for reject correlation (as live)


def _plain(value):
    if isinstance(value, (RfqStatus, QuoteState, AcceptStatus)):
        return value.value
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def rfq_record(rfq: Rfq) -> dict:
    return {"t": "rfq", **{f: _plain(getattr(rfq, f)) for f in RFQ_FIELDS}}


def quote_record(quote: Quote, owner: str | None) -> dict:
    return {"t": "quote", "owner": owner, **{f: _plain(getattr(quote, f)) for f in QUOTE_FIELDS}}


def accept_record(accept: Accept, owner: str | None) -> dict:
    return {"t": "accept", "owner": owner, "quote_id": accept.quote.quote_id,
            **{f: _plain(getattr(accept, f)) for f in ACCEPT_FIELDS}}


def sent_record(seq: int, msg_type: str, our_id: str) -> dict:
    return {"t": "sent", "seq": seq, "type": msg_type, "id": our_id}


def record_key(data: dict) -> str | None:
    """The journal row's key: the QuoteReqID of the RFQ the snapshot belongs to (an accept's order
    keeps its ClOrdID key to itself), None for a quote of no known RFQ and for sent-seq records."""
    return data["client_id"] if data["t"] == "rfq" else data.get("owner")


@dataclass
class RestoredState:
    rfqs: dict[str, Rfq] = field(default_factory=dict)  # by QuoteReqID, creation order
    quotes: dict[str, Quote] = field(default_factory=dict)
    accepts: dict[str, Accept] = field(default_factory=dict)  # by ClOrdID
    sent: dict[int, tuple[str, str]] = field(default_factory=dict)
    unsent_accepts: list[Accept] = field(default_factory=list)  # journaled, but no order was ever tracked

    @property
    def by_server_id(self) -> dict[str, Rfq]:
        return {r.rfq_id: r for r in self.rfqs.values() if r.rfq_id}


def restore(records: list[dict], orders: dict[str, Order]) -> RestoredState:
    """Rebuild the requester's objects from journal snapshots; `orders` are the engine's tracked
    orders (already replayed), on which each accept's order is found by its ClOrdID."""
    state = RestoredState()
    for data in records:
        tag = data.get("t")
        if tag == "rfq":
            _apply_rfq(state, data)
        elif tag == "quote":
            _apply_quote(state, data)
        elif tag == "accept":
            _apply_accept(state, data, orders)
        elif tag == "sent":
            state.sent.pop(data["seq"], None)
            state.sent[data["seq"]] = (data["type"], data["id"])
            if len(state.sent) > SENT_KEEP:
                del state.sent[next(iter(state.sent))]
    return state


def _apply_rfq(state: RestoredState, data: dict) -> None:
    values = {f: data.get(f) for f in RFQ_FIELDS}
    values["status"] = RfqStatus(values["status"])
    values["mve_legs"] = tuple(tuple(leg) for leg in values["mve_legs"] or ())
    values["offending_legs"] = tuple(values["offending_legs"] or ())
    rfq = state.rfqs.get(values["client_id"])
    if rfq is None:
        state.rfqs[values["client_id"]] = Rfq(**values)
        return
    for name, value in values.items():
        setattr(rfq, name, value)


def _apply_quote(state: RestoredState, data: dict) -> None:
    values = {f: data.get(f) for f in QUOTE_FIELDS}
    values["state"] = QuoteState(values["state"])
    quote = state.quotes.get(values["quote_id"])
    if quote is None:
        quote = state.quotes[values["quote_id"]] = Quote(**values)
    else:
        for name, value in values.items():
            setattr(quote, name, value)
    owner = state.rfqs.get(data.get("owner") or "")
    if owner is not None and quote.quote_id not in owner.quotes:
        owner.quotes[quote.quote_id] = quote


def _apply_accept(state: RestoredState, data: dict, orders: dict[str, Order]) -> None:
    accept = state.accepts.get(data["cl_ord_id"])
    if accept is not None:
        accept.qty, accept.price, accept.text = data["qty"], data["price"], data["text"]
        accept.status, accept.accepted_quote_id = AcceptStatus(data["status"]), data["accepted_quote_id"]
        return
    quote = state.quotes.get(data["quote_id"])
    if quote is None:  # cannot happen with records this module wrote (the quote is always first)
        return
    owner = state.rfqs.get(data.get("owner") or "")
    order = orders.get(data["cl_ord_id"])
    unsent = order is None
    if unsent:
        order = _unsent_order(data, quote, owner)
    accept = Accept(data["cl_ord_id"], quote, data["side"], data["wire_side"], data["qty"], data["price"],
                    data["via"], order, bool(data["prefer_better"]), AcceptStatus(data["status"]),
                    data["accepted_quote_id"], data["text"])
    state.accepts[accept.cl_ord_id] = accept
    if owner is not None:
        owner.accepts.append(accept)
    if unsent:
        state.unsent_accepts.append(accept)


def _unsent_order(data: dict, quote: Quote, owner: Rfq | None) -> Order:
    """The accept was journaled and the engine stopped before it tracked (and sent) the order."""
    tif = "1" if owner is not None and owner.rest_remainder else "3"
    order = Order(data["cl_ord_id"], quote.ticker or (owner.ticker if owner else ""), Side(data["wire_side"]),
                  data["side"], data["price"], data["qty"], tif, subaccount=owner.subaccount if owner else 0)
    order.status, order.leaves_qty, order.reject_reason, order.local_reject = (OrderStatus.REJECTED, 0, NOT_SENT,
                                                                               True)
    return order

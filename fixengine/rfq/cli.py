"""`fixengine rfq`: request quotes and take one (creator, KalshiRT), or quote fixed prices (maker, KalshiRFQ).

Exit codes: 0 done (request: the accepted quote executed, or no --side was given), 1 no quote taken
or the acceptance failed / was voided, 2 could not run (bad input or config, logon refused, RFQ
refused).
"""

from __future__ import annotations

import argparse
import sys
import time

from fixengine.config import load_config
from fixengine.config.types import EngineConfig, SessionKind
from fixengine.engine import userterms as U
from fixengine.errors import FixEngineError, UserInputError
from fixengine.pricing.units import format_price_dollars, format_qty
from fixengine.rfq.maker import RfqMaker
from fixengine.rfq.maker_records import MakerEvent, QuoteDecision, validate_decision
from fixengine.rfq.records import AcceptStatus, RfqStatus

EPILOG = """\
sides (creator terms): sell_yes / buy_no take the maker's YES bid (AcceptQuote 54=2);
  buy_yes / sell_no take its NO bid (54=1). Prices print in dollars, sizes in contracts.
timers: the maker must confirm within 30 s (3 s on high-volatility markets); the orders reach the
  book 15 s (1 s) after the confirm, so give --fill-wait more than that.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("rfq", help="RFQ: request and accept quotes (KalshiRT) or make quotes (KalshiRFQ)",
                              description=__doc__.splitlines()[0], epilog=EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="rfq_command", metavar="ACTION")
    sub.required = True
    r = sub.add_parser("request", help="create an RFQ, print the quotes, optionally take the best")
    _common(r)
    r.add_argument("ticker", help="market ticker")
    size = r.add_mutually_exclusive_group(required=True)
    size.add_argument("--qty", help="contracts, e.g. 10 or 2.50")
    size.add_argument("--cost", help="target cost in dollars, e.g. 25.00")
    r.add_argument("--side", help="take the best quote for this side (sell_yes, buy_yes, buy_no, sell_no)")
    r.add_argument("--via", choices=["ua", "order"], default="ua",
                   help="accept with AcceptQuote (ua) or a NewOrderSingle carrying the QuoteID (order)")
    r.add_argument("--quote-wait", type=float, default=5.0, help="seconds to collect quotes")
    r.add_argument("--fill-wait", type=float, default=60.0, help="seconds to wait for the execution")
    r.add_argument("--rest-remainder", action="store_true", help="RestRemainder(21015)=Y")
    r.add_argument("--replace-existing", action="store_true", help="ReplaceExisting(21016)=Y")
    r.set_defaults(func=cmd_request)
    m = sub.add_parser("make", help="quote fixed YES/NO bids on every RFQ broadcast and confirm acceptances")
    _common(m)
    m.add_argument("--yes-bid", help="price paid per YES contract, dollars (omit: YES side not quoted)")
    m.add_argument("--no-bid", help="price paid per NO contract, dollars (omit: NO side not quoted)")
    m.add_argument("--post-only", action="store_true", help="ExecInst(18)=6")
    m.add_argument("--no-confirm", action="store_true", help="never confirm an acceptance (it is voided)")
    m.add_argument("--seconds", type=float, default=60.0, help="how long to run")
    m.add_argument("--oe-config", metavar="FILE", help="the maker user's order-entry config: track executed quotes")
    m.add_argument("--oe-port", type=int, metavar="N", help="override the order-entry session port")
    m.add_argument("--accepted-side", choices=["echo", "accepted_side"], default="echo",
                   help="how to read 54 on an accepted quote's 35=AI (UNCONFIRMED): echo of the creator's "
                        "AcceptQuote side (Kalshi's example, default) or 1=Yes/2=No (the field table)")
    m.set_defaults(func=cmd_make)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", required=True, metavar="FILE", help="client config (YAML) with the session's key")
    p.add_argument("--port", type=int, metavar="N", help="override the session port (local simulator 'auto')")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for logon / each answer")


def _config(path: str, port: int | None, kind: SessionKind) -> EngineConfig:
    cfg = load_config(path)
    if kind not in cfg.sessions:
        raise UserInputError(f"{path}: no {kind.value} session configured (the RFQ {_ROLE[kind]} needs Kalshi"
                             f"{kind.value})")
    if port is not None:
        return cfg.with_endpoints(ports={kind: port})
    if cfg.session(kind).port_is_auto:
        raise UserInputError(f"{path}: session {kind.value} port is 'auto': give the port")
    return cfg


_ROLE = {SessionKind.RT: "creator", SessionKind.RFQ: "maker", SessionKind.NR: "order entry"}


# ------------------------------------------------------------------ creator


def cmd_request(args: argparse.Namespace, out=None) -> int:
    out = out or sys.stdout
    from fixengine.engine import Engine

    wire_side = U.parse_side(args.side)[0].value if args.side else None
    engine = Engine(_config(args.config, args.port, SessionKind.RT), session=SessionKind.RT)
    try:
        engine.connect(args.timeout)
        rfq = engine.rfq.create(args.ticker, qty=args.qty, cost=args.cost, rest_remainder=args.rest_remainder,
                                replace_existing=args.replace_existing)
        engine.wait(lambda: rfq.status is not RfqStatus.PENDING, args.timeout)
        if rfq.status is not RfqStatus.OPEN:
            raise FixEngineError(f"RFQ {rfq.client_id} {rfq.status.value}: {rfq.text or 'no answer'}")
        print(f"rfq {rfq.rfq_id} open on {rfq.ticker} (exchange index {rfq.ex_destination})", file=out)
        time.sleep(max(0.0, args.quote_wait))
        for quote in rfq.quotes.values():
            print(f"quote {quote.quote_id} from {quote.quoter_id}: yes bid {_px(quote.yes_bid)} x "
                  f"{_qty(quote.yes_size)}, no bid {_px(quote.no_bid)} x {_qty(quote.no_size)}", file=out)
        if wire_side is None:
            return _cancel(engine, rfq, args.timeout, out, 0)
        quote = rfq.best_quote(wire_side)
        if quote is None:
            print(f"no quote to {args.side}", file=out)
            return _cancel(engine, rfq, args.timeout, out, 1)
        take = engine.rfq.accept if args.via == "ua" else engine.rfq.accept_with_order
        accept = take(quote, args.side)
        ended = (AcceptStatus.EXECUTED, AcceptStatus.REJECTED, AcceptStatus.VOIDED)
        engine.wait(lambda: accept.status in ended and not accept.order.is_open, args.fill_wait)
        order = accept.order
        print(f"accept {accept.cl_ord_id}: {accept.status.value}"
              + (f" ({accept.text})" if accept.text else "")
              + f"; order {order.status.value} {_qty(order.cum_qty)} @ {_px(order.avg_px)}"
              + f"; position {_qty(engine.positions.net(rfq.ticker, rfq.subaccount))} YES", file=out)
        if accept.status is not AcceptStatus.EXECUTED:
            return _cancel(engine, rfq, args.timeout, out, 1)
        return 0
    finally:
        engine.close()


def _cancel(engine, rfq, timeout: float, out, code: int) -> int:
    if engine.rfq.cancel(rfq):
        engine.wait(lambda: rfq.status is not RfqStatus.CANCEL_PENDING, timeout)
        print(f"rfq {rfq.rfq_id} {rfq.status.value}", file=out)
    return code


def _px(units: int | None) -> str:
    return "-" if units is None else format_price_dollars(units)


def _qty(units: int | None) -> str:
    return "-" if units is None else format_qty(units)


# ------------------------------------------------------------------ maker


def cmd_make(args: argparse.Namespace, out=None) -> int:
    out = out or sys.stdout
    decision = QuoteDecision(yes_bid=args.yes_bid, no_bid=args.no_bid, post_only=args.post_only)
    validate_decision(decision)  # refuse bad prices before logging on
    engine = None
    if args.oe_config:
        from fixengine.engine import Engine

        oe_cfg = load_config(args.oe_config)
        if args.oe_port is not None:
            oe_cfg = oe_cfg.with_endpoints(ports={kind: args.oe_port for kind in oe_cfg.sessions})
        engine = Engine(oe_cfg)

    def show(event: MakerEvent) -> None:
        if event.step == "session":
            return
        quote = event.quote
        what = f" quote {quote.quote_id} {quote.status.value}" if quote is not None else ""
        rfq = f" rfq {event.rfq.rfq_id} {event.rfq.ticker}" if event.rfq is not None else ""
        print(f"{event.step}:{rfq}{what}" + (f" ({event.text})" if event.text else ""), file=out, flush=True)

    maker = RfqMaker(_config(args.config, args.port, SessionKind.RFQ), lambda rfq: decision,
                     (lambda quote: False) if args.no_confirm else None, on_event=show, event_queue=False,
                     engine=engine, accepted_side_semantics=args.accepted_side)
    try:
        if engine is not None:
            engine.connect(args.timeout)
        maker.connect(args.timeout)
        print(f"quoting yes {args.yes_bid or '-'} / no {args.no_bid or '-'} for {args.seconds:g} s", file=out,
              flush=True)
        time.sleep(max(0.0, args.seconds))
    finally:
        maker.close()
        if engine is not None:
            engine.close()
    print(f"done: {len(maker.rfqs)} RFQs seen, {len(maker.confirmed())} quotes confirmed", file=out)
    return 0

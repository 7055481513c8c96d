"""The second half of `make demo`: an order group tripping, one RFQ from request to execution
between two accounts, and a market settling into realized P&L (issue #6 flows).

Run by fixengine.demo after the order-entry walk-through; each step prints what happened on the
wire in user terms. The trader trades on KalshiRT (the RFQ creator's session, logged on with
ReceiveSettlementReports 20127=Y); the market maker quotes from its own KalshiRFQ session.
"""

from __future__ import annotations

from fixengine.engine.engine import Engine
from fixengine.engine.groups import GroupState
from fixengine.pricing import format_money, format_price_dollars, format_qty
from fixengine.rfq.maker import RfqMaker
from fixengine.rfq.maker_records import MakerQuoteStatus
from fixengine.rfq.records import AcceptStatus, RfqStatus
from fixengine.sim.server import Simulator

GREENLAND = "KXGREENLAND-29"  # deci_cent grid
CRYPTO = "KXBTC15M-26NOV251700-T95000"  # a high-volatility market in config/simulator.yaml: 3 s / 1 s RFQ timers
WEATHER = "KXHIGHNY-26NOV25-B55.5"


def say(text: str) -> None:
    print(text, flush=True)


def _line(who: str, order) -> str:
    avg = format_price_dollars(order.avg_px) if order.avg_px is not None else "-"
    reason = order.reject_reason or order.last_text
    extra = f" reason={reason}" if reason else ""
    return (f"          {who:<6} {order.user_side:<8} {order.ticker:<28} {format_qty(order.qty):>7} @ "
            f"{format_price_dollars(order.user_price)}  -> {order.status.value} filled {format_qty(order.cum_qty)}"
            f" avg {avg}{extra}")


def order_group(maker: Engine, trader: Engine, step: int) -> None:
    say(f"\n{step}. order group: the trader caps its matched volume at 5 contracts per rolling 15 s")
    group = trader.groups.create(5)
    trader.groups.wait(group)
    say(f"          group {group.group_id} {group.state.value}, limit {group.limit_contracts} contracts")
    bids = [trader.new_order(GREENLAND, "buy_yes", price, "4", "gtc", order_group=group) for price in ("0.30", "0.29")]
    trader.wait(lambda: all(o.order_id for o in bids))
    say("    maker sells 6 YES into both bids: 4 @ 0.30 + 2 @ 0.29 = 6 matched > 5 -> the group trips")
    hit = maker.new_order(GREENLAND, "sell_yes", "0.29", "6", "ioc")
    maker.wait(lambda: hit.is_done)
    trader.wait(lambda: all(o.is_done for o in bids) and group.state is GroupState.TRIGGERED)
    for order in bids:
        say(_line("trader", order))
    say(f"          group {group.state.value}: {format_qty(group.matched())} contracts matched in the window")
    refused = trader.new_order(GREENLAND, "buy_yes", "0.28", "1", "gtc", order_group=group)
    say(_line("trader", refused))
    trader.groups.reset(group)
    trader.groups.wait(group)
    say(f"          reset -> group {group.state.value}; orders may join it again")


def rfq(maker: Engine, trader: Engine, quoter: RfqMaker, step: int) -> None:
    say(f"\n{step}. RFQ: the trader asks for 10 contracts of {CRYPTO} on KalshiRT")
    request = trader.rfq.create(CRYPTO, qty="10")
    trader.wait(lambda: request.status is not RfqStatus.PENDING)
    say(f"          35=b  RFQ {request.rfq_id} {request.status.value}")
    trader.wait(lambda: bool(request.open_quotes()), timeout=5.0)
    quote = request.open_quotes()[0]
    say(f"          35=S  maker {quote.quoter_id} quotes YES bid {format_price_dollars(quote.yes_bid)} / "
        f"NO bid {format_price_dollars(quote.no_bid)} for {format_qty(quote.qty)}")
    accept = trader.rfq.accept(quote, "sell_yes")
    say("    trader sells YES into the maker's YES bid (AcceptQuote 54=2); the maker confirms (U7) and, after "
        "the 1 s execution timer of this high-volatility market, both orders meet on the book")
    trader.wait(lambda: accept.status in (AcceptStatus.EXECUTED, AcceptStatus.REJECTED, AcceptStatus.VOIDED)
                and accept.order.is_done, timeout=15.0)
    made = quoter.quotes.get(quote.quote_id)
    quoter.wait(lambda: made is not None and made.status is MakerQuoteStatus.CONFIRMED, timeout=5.0)
    maker.wait(lambda: not maker.open_orders(), timeout=5.0)
    state = made.status.value if made is not None else "unknown to the maker"
    say(f"          35=UC accept {accept.status.value}; the maker's quote {quote.quote_id} is {state} (35=U8)")
    say(_line("trader", accept.order))


def settlement(sim: Simulator, maker: Engine, trader: Engine, step: int) -> None:
    say(f"\n{step}. settlement: the simulator settles two markets (admin); 35=UMS reaches the trader on KalshiRT "
        "(20127=Y) and the maker on KalshiPT")
    for ticker, result in ((WEATHER, "yes"), (CRYPTO, "no")):
        before = {who: _snapshot(engine, ticker) for who, engine in (("maker", maker), ("trader", trader))}
        sim.settle_market(ticker, result)
        for who, engine in (("maker", maker), ("trader", trader)):
            engine.wait(lambda: _flat(engine, ticker), timeout=5.0)
            yes, no, realized = before[who]
            after = engine.book.positions.position(ticker)
            say(f"          {who:<6} {ticker:<28} {result:<3} held YES {format_qty(yes)} / NO {format_qty(no)} -> "
                f"flat; realized P&L {format_money(realized)} -> {format_money(after.realized_pnl)}")


def _snapshot(engine: Engine, ticker: str) -> tuple[int, int, int]:
    pos = engine.book.positions.position(ticker)
    return pos.yes_qty, pos.no_qty, pos.realized_pnl


def _flat(engine: Engine, ticker: str) -> bool:
    pos = engine.book.positions.position(ticker)
    return pos.yes_qty == 0 and pos.no_qty == 0

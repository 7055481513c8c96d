"""Exchange core of the simulator: markets, accounts, matching engine, events.

    from fixengine.sim.exchange import Exchange, ManualClock, NewOrder, ...

Module map: requests.py / events.py (the published API), exchange.py (facade: submit,
cancel, replace, mass cancel), trading.py (matching, trade bookkeeping), admin.py (time,
pauses, close, settlement), groups.py (order groups), queries.py (read-only views),
state.py (data + primitives), accounts.py (cash, reservations, positions), fees.py,
validation.py (reject Text/103), book.py, orders.py, markets.py, ids.py, clock.py.

Choices where Kalshi's behaviour is UNCONFIRMED (each also noted where it is coded):
* self-trade prevention compares users (all subaccounts of a user); `stp_scope="subaccount"`;
* mass cancel cancels every open order of the user (`mass_cancel_scope` "key"/"session");
  a subaccount-restricted key only reaches its subaccount;
* MaxExecutionCost: fees excluded, partial fills within the cap stand, the rest is canceled
  (Text IMMEDIATE_OR_CANCELLED, reason MAX_COST);
* off-grid price -> INVALID_ORDER/103=11; bad quantity -> INVALID_ORDER/103=13; ExDestination
  naming the wrong shard -> MARKET_NOT_FOUND/103=1; unknown order on F/G -> Text NOT_FOUND 102=1;
  cancel of a filled order -> CANNOT_UPDATE_FILLED_ORDER 102=0 (replace: 102=2);
* a replace with STP 1 that would cross the user's own order -> 102=18 SELF_CROSS_ATTEMPT;
* fee type `flat`: a configured fee per contract for takers and makers;
* CancelOrderOnPause Text TRADING_PAUSED / EXCHANGE_PAUSED; expiry/close/disconnect/mass
  cancels carry no Text (the reason tells the gateway 150=4 vs C);
* CollateralAmountChange sign: negative = money left the balance.
"""

from fixengine.sim.exchange.clock import ManualClock, clearing_date, day_order_expiry, system_clock
from fixengine.sim.exchange.events import (
    HISTORY_EVENTS,
    REJECT_EXEC_ID,
    CancelReason,
    CancelRejected,
    Event,
    ExchangeStatusChanged,
    Fill,
    MarketSettled,
    MarketStatusChanged,
    MassCancelReport,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    OrderView,
    SettlementEntry,
)
from fixengine.sim.exchange.admin import ExchangeAdminError
from fixengine.sim.exchange.exchange import Exchange
from fixengine.sim.exchange.groups import OrderGroupRejected, OrderGroupResponse
from fixengine.sim.exchange.ids import exec_id_key, format_exec_id, parse_exec_id
from fixengine.sim.exchange.queries import BalanceView, MarketView, OrderbookView, PositionView
from fixengine.sim.exchange.requests import STP_MAKER, STP_TAKER_AT_CROSS, CancelOrder, MassCancel, NewOrder, ReplaceOrder

__all__ = [name for name in dir() if not name.startswith("_")]

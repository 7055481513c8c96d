"""Domain records shared by the session layer, the engine, the book and reconciliation.

Plain slotted dataclasses with integer fixed-point fields (see fixengine.pricing):
  price fields -> int units of $0.0001 (always the YES price, as on the wire)
  qty fields   -> int units of 0.01 contract
  money fields -> int units of $0.000001
None means "the field was absent on the wire".

These records are what the FIX parsers produce and what the book, the journal and the
reconciler consume, so that none of them needs to know QuickFIX.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Side(str, Enum):
    """FIX Side(54). BUY = bid YES (== sell NO); SELL = offer YES (== buy NO)."""

    BUY = "1"
    SELL = "2"


class TimeInForce(str, Enum):
    DAY = "0"
    GTC = "1"
    IOC = "3"
    FOK = "4"
    GTD = "6"


class ExecType(str, Enum):
    NEW = "0"
    CANCELED = "4"
    REPLACED = "5"
    PENDING_CANCEL = "6"
    REJECTED = "8"
    PENDING_NEW = "A"
    EXPIRED = "C"
    PENDING_REPLACE = "E"
    TRADE = "F"


class OrdStatus(str, Enum):
    NEW = "0"
    PARTIALLY_FILLED = "1"
    FILLED = "2"
    CANCELED = "4"
    REPLACED = "5"
    PENDING_CANCEL = "6"
    REJECTED = "8"
    PENDING_NEW = "A"
    EXPIRED = "C"
    PENDING_REPLACE = "E"


#: OrdStatus values after which an order can no longer trade.
TERMINAL_STATUSES = frozenset({OrdStatus.FILLED, OrdStatus.CANCELED, OrdStatus.REJECTED, OrdStatus.EXPIRED})

#: ExecID carried by pending reports; never a dedup key (drop copy never replays them).
PENDING_EXEC_ID = "-1;-1"


@dataclass(slots=True)
class ExecReport:
    """One ExecutionReport (35=8), whatever session delivered it (NR, RT, listener, DC)."""

    exec_id: str
    order_id: str
    cl_ord_id: str
    exec_type: ExecType
    ord_status: OrdStatus
    side: Side
    symbol: str
    order_qty: int
    leaves_qty: int
    cum_qty: int
    avg_px: int | None = None
    price: int | None = None
    orig_cl_ord_id: str | None = None
    last_px: int | None = None
    last_qty: int | None = None
    fee: int | None = None  # MiscFeeAmt(137), money units
    transact_time: str | None = None  # UTCTimestamp text as received
    subaccount: int = 0  # AllocAccount(79); 0 = primary
    long_qty: int | None = None  # LongQty(704): net YES after the trade
    short_qty: int | None = None  # ShortQty(705): net NO after the trade
    aggressor: bool | None = None  # AggressorIndicator(1057)
    trd_match_id: str | None = None  # TrdMatchID(880)
    text: str | None = None  # Text(58)
    ord_rej_reason: int | None = None  # OrdRejReason(103)
    last_mkt: str | None = None  # LastMkt(30): exchange shard index
    expire_time: str | None = None  # ExpireTime(126)
    time_in_force: TimeInForce | None = None
    collateral_change: int | None = None  # CollateralAmountChange(1704), money units
    clearing_date: str | None = None  # ClearingBusinessDate(715)
    poss_dup: bool = False  # PossDupFlag(43) on the header
    session: str | None = None  # which session kind delivered it (KalshiNR, KalshiRT, ...)

    @property
    def is_pending(self) -> bool:
        return self.exec_id == PENDING_EXEC_ID

    @property
    def is_fill(self) -> bool:
        return self.exec_type == ExecType.TRADE


@dataclass(slots=True)
class SettlementParty:
    party_id: str
    long_qty: int  # YES contracts held at settlement (qty units)
    short_qty: int  # NO contracts held at settlement (qty units)
    payout: int  # CollateralAmountChange(1704), money units
    fee: int  # MiscFeeAmt(137), money units


@dataclass(slots=True)
class SettlementReport:
    """One MarketSettlementReport (35=UMS) page."""

    report_id: str
    symbol: str
    clearing_date: str
    result: str  # "yes" | "no" | "scalar"
    settlement_price_cents_x100: int  # SettlementPrice(730) is cents with 2 dp: 30.60 -> 3060
    last_fragment: bool = True
    total_reports: int | None = None
    parties: list[SettlementParty] = field(default_factory=list)

    @property
    def yes_value(self) -> int:
        """Value of one YES contract in price units ($0.0001): 30.60 cents -> 3060."""
        return self.settlement_price_cents_x100

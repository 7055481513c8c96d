"""Exchange events -> Kalshi ExecutionReport / OrderCancelReject / OrderMassCancelReport messages.

Field set per part1 §4.8 and examples §9.7-9.15. How a report looks depends on the *receiving*
session's Logon flags (`LogonFlags`): cents vs dollars (21005), 38 = original size (21008),
150=C for expiry/close (21012), 21030/21031 (21027). Prices are 4-decimal dollars in dollar
mode and cents in cents mode; a sub-cent value in cents mode (possible only on sub-penny
grids, where Kalshi's behaviour is UNCONFIRMED) is written as decimal cents, e.g. "56.5".
Quantities always carry 2 decimals; money (fees, collateral) is dollars whatever the mode.
"""

from __future__ import annotations

from datetime import datetime

import quickfix as fix

from fixengine.model import PENDING_EXEC_ID, ExecType, OrdStatus
from fixengine.pricing import format_money, format_price_dollars, format_qty
from fixengine.sim.exchange.events import (
    CancelRejected,
    CancelReason,
    MassCancelReport,
    OrderRejected,
    OrderView,
)
from fixengine.sim.gateway.logon import LogonFlags

_EXPIRY_REASONS = (CancelReason.EXPIRY, CancelReason.CLOSE)


def price_text(units: int, dollars: bool) -> str:
    if dollars:
        return format_price_dollars(units)
    cents, rest = divmod(units, 100)
    if not rest:
        return str(cents)
    return f"{cents}.{rest:02d}".rstrip("0")


def ts(moment: datetime) -> str:
    """UTCTimestamp with milliseconds (Kalshi's precision)."""
    return moment.strftime("%Y%m%d-%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def _new(msg_type: str) -> fix.Message:
    msg = fix.Message()
    msg.getHeader().setField(35, msg_type)
    return msg


def execution_report(order: OrderView, exec_id: str, exec_type: str, ord_status: str, flags: LogonFlags,
                     text: str | None = None, transact_time: datetime | None = None) -> fix.Message:
    """The fields every ExecutionReport of a known order carries."""
    dollars = flags.use_dollars
    msg = _new("8")
    set_ = msg.setField
    set_(37, order.order_id)
    set_(11, order.cl_ord_id)
    if order.orig_cl_ord_id and exec_type in ("4", "5", "6", "E", "C"):
        set_(41, order.orig_cl_ord_id)
    set_(17, exec_id)
    set_(150, exec_type)
    set_(39, ord_status)
    set_(54, order.side.value)
    set_(55, order.symbol)
    set_(38, format_qty(order.original_qty if flags.preserve_qty else order.cum_qty + order.leaves_qty))
    set_(44, price_text(order.price, dollars))
    set_(151, format_qty(order.leaves_qty))
    set_(14, format_qty(order.cum_qty))
    avg = order.avg_px
    set_(6, price_text(avg if avg is not None else 0, dollars))
    set_(60, ts(transact_time or order.transact_time))
    if order.subaccount:
        set_(79, str(order.subaccount))
    if order.expire_time is not None:
        set_(126, ts(order.expire_time))
    if text:
        set_(58, text)
    return msg


def pending_report(order: OrderView, exec_type: str, flags: LogonFlags, transact_time: datetime,
                   leaves_qty: int | None = None) -> fix.Message:
    """A/6/E report (ExecID -1;-1); `order` is the state before the request took effect."""
    msg = execution_report(order, PENDING_EXEC_ID, exec_type, exec_type, flags, transact_time=transact_time)
    if leaves_qty is not None:
        msg.setField(151, format_qty(leaves_qty))
    return msg


def accepted_report(order: OrderView, exec_id: str, flags: LogonFlags) -> fix.Message:
    return execution_report(order, exec_id, ExecType.NEW.value, OrdStatus.NEW.value, flags)


def fill_report(event, flags: LogonFlags, terminal_cancel: bool = False) -> fix.Message:
    """150=F. `terminal_cancel`: the IOC remainder was canceled in the same cycle and this session
    gets no separate cancel report (21007=N), so this last fill carries 39=4 and 151=0."""
    order, fill = event.order, event.fill
    status = OrdStatus.PARTIALLY_FILLED.value if order.leaves_qty else OrdStatus.FILLED.value
    if terminal_cancel:
        status = OrdStatus.CANCELED.value
    msg = execution_report(order, event.exec_id, ExecType.TRADE.value, status, flags, transact_time=fill.time)
    if terminal_cancel:
        msg.setField(151, format_qty(0))
        if not flags.preserve_qty:
            msg.setField(38, format_qty(order.cum_qty))
    set_ = msg.setField
    set_(31, price_text(fill.price, flags.use_dollars))
    set_(32, format_qty(fill.qty))
    set_(30, str(fill.shard))
    set_(715, fill.clearing_date)
    set_(880, fill.trade_id)
    set_(1057, "Y" if fill.aggressor else "N")
    set_(704, format_qty(fill.long_qty))
    set_(705, format_qty(fill.short_qty))
    fee = fix.Group(136, 137)
    fee.setField(137, format_money(fill.fee))
    fee.setField(138, "USD")
    fee.setField(139, "4")
    fee.setField(891, "0")
    msg.addGroup(fee)
    collateral = fix.Group(1703, 1704)
    collateral.setField(1704, format_money(fill.collateral_change))
    collateral.setField(1705, "BALANCE")
    msg.addGroup(collateral)
    if flags.split_collateral and fill.collateral_return:
        # Ranged (MECNET/DIRECNET) netting is not modelled: the whole release is single-market.
        set_(21030, format_money(fill.collateral_return))
    return msg


def canceled_report(event, flags: LogonFlags) -> fix.Message:
    expired = flags.expired_status and event.reason in _EXPIRY_REASONS
    code = ExecType.EXPIRED.value if expired else ExecType.CANCELED.value
    return execution_report(event.order, event.exec_id, code, code, flags, text=event.text)


def replaced_report(event, flags: LogonFlags) -> fix.Message:
    order = event.order
    status = OrdStatus.PARTIALLY_FILLED.value if order.cum_qty else OrdStatus.NEW.value
    msg = execution_report(order, event.exec_id, ExecType.REPLACED.value, status, flags)
    msg.setField(41, event.prev_cl_ord_id)
    msg.setField(59, "6" if order.expire_time is not None else "1")
    return msg


def rejected_report(event: OrderRejected, flags: LogonFlags) -> fix.Message:
    """150=8 for a refused NewOrderSingle. OrderID on rejects is UNCONFIRMED: `NONE` (FIX convention)."""
    req = event.request
    msg = _new("8")
    set_ = msg.setField
    set_(37, "NONE")
    set_(11, req.cl_ord_id)
    set_(17, event.exec_id)
    set_(150, ExecType.REJECTED.value)
    set_(39, OrdStatus.REJECTED.value)
    set_(54, req.side.value)
    set_(55, req.symbol)
    set_(38, format_qty(req.qty))
    set_(44, price_text(req.price, flags.use_dollars))
    set_(151, format_qty(0))
    set_(14, format_qty(0))
    set_(6, price_text(0, flags.use_dollars))
    set_(103, str(event.ord_rej_reason))
    set_(58, event.text)
    set_(60, ts(event.transact_time))
    if req.subaccount:
        set_(79, str(req.subaccount))
    return msg


def cancel_reject(event: CancelRejected) -> fix.Message:
    req = event.request
    msg = _new("9")
    set_ = msg.setField
    set_(37, event.order_id or "NONE")
    set_(11, req.cl_ord_id)
    set_(41, req.orig_cl_ord_id)
    # OrdStatus of an unknown order: FIX uses 8 (Rejected) when the order cannot be found.
    set_(39, event.order_status.value if event.order_status is not None else OrdStatus.REJECTED.value)
    set_(434, str(event.response_to))
    set_(102, str(event.cxl_rej_reason))
    set_(58, event.text)
    set_(60, ts(event.transact_time))
    return msg


def mass_cancel_report(event: MassCancelReport) -> fix.Message:
    msg = _new("r")
    set_ = msg.setField
    set_(11, event.request.cl_ord_id)
    set_(37, event.mass_cancel_id)
    set_(530, "6")
    set_(531, "6" if event.accepted else "0")
    if not event.accepted:
        set_(532, "99")  # MassCancelRejectReason values are UNCONFIRMED: 99 = Other, see Text
        if event.reject_text:
            set_(58, event.reject_text)
    set_(60, ts(event.transact_time))
    return msg


def business_reject(ref_seq: str, ref_msg_type: str, reason: int, text: str, ref_id: str | None) -> fix.Message:
    msg = _new("j")
    set_ = msg.setField
    if ref_seq:
        set_(45, ref_seq)
    set_(372, ref_msg_type)
    if ref_id:
        set_(379, ref_id)
    set_(380, str(reason))
    set_(58, text)
    return msg


def session_reject(ref_seq: str, ref_msg_type: str, ref_tag: int, reason: int, text: str) -> fix.Message:
    """Reject (35=3) written by the gateway itself (see decode.SessionReject)."""
    msg = _new("3")
    set_ = msg.setField
    set_(45, ref_seq)
    set_(371, str(ref_tag))
    set_(372, ref_msg_type)
    set_(373, str(reason))
    set_(58, text)
    return msg


def group_response(event) -> fix.Message:
    """OrderGroupResponse (35=UOH): 20130, 20132 (whole contracts, echoed on Create/Update), 79."""
    msg = _new("UOH")
    msg.setField(20130, event.group_id)
    if event.contracts_limit is not None:
        msg.setField(20132, str(event.contracts_limit // 100))
    msg.setField(79, str(event.subaccount))
    return msg

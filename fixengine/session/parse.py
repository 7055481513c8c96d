"""Turn inbound QuickFIX messages into fixengine records without typed field objects.

Reading a field through a typed QuickFIX field object costs ~14 us, ``getField(tag)`` ~0.7 us
(quickfix-notes), so the rare messages (35=9, j, r, 3) are read with plain-tag getField calls and
the hot one (35=8) from its wire text (see parse_exec_report_text). Prices are read in the session's mode
(UseDollars(21005)=Y -> dollars with 4 dp, else integer cents); quantities and money are always
decimal (part 1 §6). A message that cannot be parsed raises MessageParseError naming the tag and
text, so the guarded callback can count and log it instead of dying.
"""

from __future__ import annotations

import operator

import _quickfix
import quickfix as fix

from fixengine.errors import FixEngineError
from fixengine.fix import tags as T
from fixengine.model import ExecReport, ExecType, OrdStatus, SettlementParty, SettlementReport, Side, TimeInForce
from fixengine.pricing.errors import PricingError
from fixengine.pricing.units import parse_money, parse_price, parse_price_cents_lenient, parse_qty
from fixengine.session.records import BusinessReject, CancelReject, MassCancelReport, SessionReject

_EXEC_TYPES = {e.value: e for e in ExecType}
_ORD_STATUSES = {s.value: s for s in OrdStatus}
_SIDES = {s.value: s for s in Side}
_TIFS = {t.value: t for t in TimeInForce}


class MessageParseError(FixEngineError):
    """An inbound message lacks a required tag or carries a value we cannot read."""

    def __init__(self, msg_type: str, tag: int, text: str | None, reason: str) -> None:
        self.tag = tag
        shown = "absent" if text is None else repr(text[:48])
        super().__init__(f"cannot parse 35={msg_type} tag {tag} ({shown}): {reason}")


# The SWIG functions behind FieldMap.getField / isSetField, called directly: the Python wrapper
# methods add ~0.3 us per call and an ExecutionReport needs 20-30 of them.
_get = _quickfix.FieldMap_getField
_has = _quickfix.FieldMap_isSetField


def _req(msg: fix.Message, tag: int, msg_type: str) -> str:
    if not _has(msg, tag):
        raise MessageParseError(msg_type, tag, None, "required tag missing")
    return _get(msg, tag)


def _opt(msg: fix.Message, tag: int) -> str | None:
    return _get(msg, tag) if _has(msg, tag) else None


def _enum(table: dict, text: str, tag: int, msg_type: str):
    value = table.get(text)
    if value is None:
        raise MessageParseError(msg_type, tag, text, "unknown value")
    return value


def _fields(raw: str) -> dict[str, str]:
    """tag text -> value of a FIX message string (a repeated tag keeps its last value).
    A plain loop: ~15 % faster than the equivalent comprehension over a generator."""
    out = {}
    for field in raw.split("\x01"):
        tag, _, value = field.partition("=")
        out[tag] = value
    return out


def _balance_change(raw: str, fields: dict[str, str]) -> str | None:
    """CollateralAmountChange(1704) of the BALANCE entry of group 1703 (the first entry otherwise)."""
    if "1704" not in fields:
        return None
    if raw.count("\x011704=") == 1:
        return fields["1704"]
    first = None
    for entry in raw.split("\x011704=")[1:]:
        value, _, rest = entry.partition("\x01")
        if rest.startswith("1705=BALANCE\x01"):
            return value
        first = first or value
    return first


_MONEY_CACHE: dict[str, int] = {}
_MONEY_CACHE_LIMIT = 1 << 14


def _money(text: str) -> int:
    """parse_money, memoized: fees and collateral changes repeat (a few distinct values per
    price), and the uncached parse is ~1.5 us per field on the fill path. Only successful
    parses are stored, so a hit never skips validation."""
    value = _MONEY_CACHE.get(text)
    if value is None:
        value = parse_money(text)
        if len(_MONEY_CACHE) < _MONEY_CACHE_LIMIT:
            _MONEY_CACHE[text] = value
    return value


_REQUIRED_ER = ("17", "37", "11", "150", "39", "54", "55", "38", "151", "14")
_required_er = operator.itemgetter(*_REQUIRED_ER)  # all ten in one C call


def parse_exec_report(msg: fix.Message, use_dollars: bool, session: str | None = None) -> ExecReport:
    """ExecutionReport (35=8) -> ExecReport; prices read in the session's mode."""
    return parse_exec_report_text(msg.toString(), use_dollars, session)


def parse_exec_report_text(raw: str, use_dollars: bool, session: str | None = None) -> ExecReport:
    """ExecutionReport from its wire text.

    Measured here: a received message's toString() costs under 1 us and splitting it into a dict
    ~10-15 us, while the 25-45 getField/isSetField calls an ExecutionReport needs cost 50-70 us
    through the SWIG binding, so ERs - the one message type on the hot path - are read this way.
    """
    mt = "8"
    f = _fields(raw)
    try:
        exec_id, order_id, cl_ord_id, exec_type, ord_status, side, symbol, order_qty, leaves, cum = _required_er(f)
    except KeyError:
        missing = next(tag for tag in _REQUIRED_ER if tag not in f)
        raise MessageParseError(mt, int(missing), None, "required tag missing") from None
    get = f.get
    try:
        et = _enum(_EXEC_TYPES, exec_type, T.EXEC_TYPE, mt)
        report = ExecReport(
            exec_id=exec_id, order_id=order_id, cl_ord_id=cl_ord_id, exec_type=et,
            ord_status=_enum(_ORD_STATUSES, ord_status, T.ORD_STATUS, mt),
            side=_enum(_SIDES, side, T.SIDE, mt), symbol=symbol,
            order_qty=parse_qty(order_qty), leaves_qty=parse_qty(leaves), cum_qty=parse_qty(cum),
            orig_cl_ord_id=get("41"), transact_time=get("60"), text=get("58"), expire_time=get("126"),
            trd_match_id=get("880"), last_mkt=get("30"), clearing_date=get("715"),
            poss_dup=get("43") == "Y", session=session,
        )
        if "44" in f:
            report.price = parse_price(f["44"], use_dollars)
        if "6" in f:
            report.avg_px = parse_price(f["6"], use_dollars)
        if "79" in f:
            report.subaccount = int(f["79"])
        if "59" in f:
            report.time_in_force = _enum(_TIFS, f["59"], T.TIME_IN_FORCE, mt)
        if "103" in f:
            report.ord_rej_reason = int(f["103"])
        if "31" in f:
            report.last_px = parse_price(f["31"], use_dollars)
        if "32" in f:
            report.last_qty = parse_qty(f["32"])
        if "137" in f:
            report.fee = _money(f["137"])
        if "704" in f:
            report.long_qty = parse_qty(f["704"])
        if "705" in f:
            report.short_qty = parse_qty(f["705"])
        if "1057" in f:
            report.aggressor = f["1057"] == "Y"
        collateral = _balance_change(raw, f)
        if collateral is not None:
            report.collateral_change = _money(collateral)
    except PricingError as exc:
        raise MessageParseError(mt, 0, getattr(exc, "text", None), str(exc)) from exc
    except ValueError as exc:
        raise MessageParseError(mt, 0, None, str(exc)) from exc
    return report


def _opt_int(msg: fix.Message, tag: int) -> int | None:
    text = _opt(msg, tag)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise MessageParseError("?", tag, text, "not an integer") from exc


def parse_cancel_reject(msg: fix.Message, session: str | None = None) -> CancelReject:
    """OrderCancelReject (35=9)."""
    return CancelReject(
        cl_ord_id=_req(msg, T.CL_ORD_ID, "9"),
        orig_cl_ord_id=_opt(msg, T.ORIG_CL_ORD_ID),
        order_id=_opt(msg, T.ORDER_ID),
        ord_status=_opt(msg, T.ORD_STATUS),
        response_to=_req(msg, T.CXL_REJ_RESPONSE_TO, "9"),
        reason=_opt_int(msg, T.CXL_REJ_REASON),
        text=_opt(msg, T.TEXT),
        session=session,
    )


def parse_mass_cancel_report(msg: fix.Message, session: str | None = None) -> MassCancelReport:
    """OrderMassCancelReport (35=r)."""
    return MassCancelReport(
        cl_ord_id=_req(msg, T.CL_ORD_ID, "r"),
        order_id=_opt(msg, T.ORDER_ID),
        response=_req(msg, T.MASS_CANCEL_RESPONSE, "r"),
        reject_reason=_opt(msg, T.MASS_CANCEL_REJECT_REASON),
        text=_opt(msg, T.TEXT),
        session=session,
    )


def parse_business_reject(msg: fix.Message, session: str | None = None) -> BusinessReject:
    """BusinessMessageReject (35=j)."""
    reason = _opt_int(msg, T.BUSINESS_REJECT_REASON)
    if reason is None:
        raise MessageParseError("j", T.BUSINESS_REJECT_REASON, None, "required tag missing")
    return BusinessReject(
        ref_seq_num=_opt_int(msg, T.REF_SEQ_NUM),
        ref_msg_type=_opt(msg, T.REF_MSG_TYPE),
        ref_id=_opt(msg, T.BUSINESS_REJECT_REF_ID),
        reason=reason,
        text=_opt(msg, T.TEXT),
        session=session,
    )


def parse_session_reject(msg: fix.Message, session: str | None = None) -> SessionReject:
    """Reject (35=3)."""
    return SessionReject(
        ref_seq_num=_opt_int(msg, T.REF_SEQ_NUM),
        ref_msg_type=_opt(msg, T.REF_MSG_TYPE),
        ref_tag=_opt_int(msg, T.REF_TAG_ID),
        reason=_opt_int(msg, T.SESSION_REJECT_REASON),
        text=_opt(msg, T.TEXT),
        session=session,
    )


_MARKET_RESULTS = frozenset({"yes", "no", "scalar"})


def parse_settlement_report_text(raw: str, session: str | None = None) -> SettlementReport:
    """MarketSettlementReport (35=UMS) from its wire text (part 2 §4.2).

    Walked in wire order because the party group (20108) nests two groups of its own
    (1703 collateral changes, 136 fees): 20109 opens a party entry and the fields after it
    belong to that entry until the next 20109 or a top-level field.
    """
    mt = "UMS"
    top: dict[str, str] = {}
    parties: list[SettlementParty] = []
    party: dict[str, str] | None = None

    def close_party() -> None:
        if party is not None:
            parties.append(SettlementParty(
                party_id=party.get("20109", ""),
                long_qty=parse_qty(party.get("704", "0")),
                short_qty=parse_qty(party.get("705", "0")),
                payout=_money(party.get("payout", "0")),
                fee=_money(party.get("137", "0")),
            ))

    last_amount: str | None = None
    for field in raw.split("\x01"):
        tag, _, value = field.partition("=")
        if tag == "20109":
            try:
                close_party()
            except PricingError as exc:
                raise MessageParseError(mt, 20108, None, f"party entry: {exc}") from None
            party = {"20109": value}
            last_amount = None
        elif party is not None and tag in ("20110", "704", "705", "137"):
            party[tag] = value
        elif party is not None and tag == "1704":
            last_amount = value
        elif party is not None and tag == "1705":
            # settlement money moves as PAYOUT (older docs: 2); a BALANCE entry is not the payout
            if value in ("PAYOUT", "2") and last_amount is not None:
                party["payout"] = last_amount
        else:
            top[tag] = value
    try:
        close_party()
    except PricingError as exc:
        raise MessageParseError(mt, 20108, None, f"party entry: {exc}") from None
    for tag in ("20105", "55", "20107", "730"):
        if not top.get(tag):
            raise MessageParseError(mt, int(tag), top.get(tag), "required field missing")
    try:
        price = parse_price_cents_lenient(top["730"])
    except PricingError as exc:
        raise MessageParseError(mt, 730, top["730"], str(exc)) from None
    if price > 10_000:  # 730 is the YES value in cents: at most 100.00
        raise MessageParseError(mt, 730, top["730"], "settlement price above 100 cents")
    # Older docs showed "Yes": accept any case, keep the documented lower-case spelling.
    result = top["20107"].lower()
    if result not in _MARKET_RESULTS:
        raise MessageParseError(mt, 20107, top["20107"], "expected yes, no or scalar")
    count = top.get("20108")
    if count is not None and (not count.isdigit() or int(count) != len(parties)):
        raise MessageParseError(mt, 20108, count, f"count does not match the {len(parties)} party entries")
    total = top.get("20106")
    if total is not None and (not total.isdigit() or int(total) < 1):
        raise MessageParseError(mt, 20106, total, "expected a positive page count")
    return SettlementReport(
        report_id=top["20105"],
        symbol=top["55"],
        clearing_date=top.get("715", ""),
        result=result,
        settlement_price_cents_x100=price,
        last_fragment=top.get("893", "Y") != "N",
        total_reports=int(total) if total is not None else None,
        parties=parties,
    )

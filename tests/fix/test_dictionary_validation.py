"""The dictionaries accept Kalshi's message shapes and reject what Kalshi would refuse.

Negative cases prove the dictionary is not too lax: a wrong enum value (top level or deep in a
group), an undefined tag, a tag on the wrong message, a missing required field, a bad format
or a short nested group is rejected by fixengine.fix.spec.validate_message.
"""

from __future__ import annotations

import pytest

from fixengine.errors import UserInputError
from fixengine.fix import spec

KEY = "0f8fad5b-d9cb-469f-a165-70867728950e"
SIG = "A" * 342 + "=="


def wire(msgtype: str, body: str, sender: str = KEY, target: str = "KalshiNR") -> str:
    head = f"8=FIXT.1.1|9=0|35={msgtype}|49={sender}|56={target}|34=2|52=20260820-14:31:10.001|"
    return spec.recompute_length_and_checksum((head + body + "10=000|").replace("|", spec.SOH))


def server(msgtype: str, body: str) -> str:
    return wire(msgtype, body, sender="KalshiNR", target=KEY)


NOS = "11=b4f1|38=10|40=2|44=0.5600|54=1|55=KXHIGHNY-26AUG21-B85.5|59=1|"
TRADE = (
    "37=1a2b|11=c9a0|17=812351;4|150=F|39=2|54=1|55=KXHIGHNY-26AUG21-B85.5|38=4.00|44=0.6100|"
    "31=0.6000|32=4.00|151=0.00|14=4.00|6=0.6000|60=20260820-14:32:00.510|"
)
FEES = "136=1|137=0.0700|138=USD|139=4|891=0|"
COLLATERAL = "1703=1|1704=-2.4700|1705=BALANCE|"
SETTLEMENT = (
    "20105=5b6c|55=KXHIGHNY-26AUG25-B85.5|715=20260826|20107=yes|730=100.00|20108=1|20109=p1|"
    "20110=24|704=100.00|705=0.00|1703=1|1704=100.00|1705=PAYOUT|{fees}893=Y|"
)


ACCEPTED = {
    "logon with every Kalshi flag, 96 without 95": (
        "A",
        f"98=0|108=30|96={SIG}|141=Y|1137=9|8013=Y|20126=N|20127=Y|20200=72|21003=Y|21005=Y|21006=N|"
        "21007=Y|21008=Y|21011=Y|21012=Y|21026=Y|21027=Y|21032=N|",
    ),
    "logon with 95 before 96": ("A", f"98=0|108=30|95=344|96={SIG}|141=Y|1137=9|"),
    "NOS without TransactTime or OrderQty rules of stock FIX": ("D", NOS),
    "NOS with every Kalshi order field": (
        "D",
        NOS + "18=6|100=-1|79=2|526=770e|20130=770e|2964=2|21006=Y|21009=2.50|117=5d4c|21023=a9d8|"
        "453=1|448=550e8400-e29b-41d4-a716-446655440000_customer1|452=24|",
    ),
    "reduce-only and post-only together": ("D", NOS.replace("59=1", "59=3") + "18=6 E|"),
    "cancel without OrderQty/TransactTime": ("F", "11=f0f1|41=e1e2|37=9d3c|54=1|55=X|79=2|"),
    "trade report with fee, collateral, split returns, parties": (
        "8",
        TRADE + "30=0|715=20260820|880=7d1e|1057=Y|704=4.00|705=0.00|79=3|" + FEES + COLLATERAL
        + "21030=1.20|21031=0.40|453=2|448=fcm_c1|452=24|448=op7|452=12|",
    ),
    "expired status with 21012": ("8", TRADE.replace("150=F|39=2", "150=C|39=C")),
    "order group create": ("UOG", "20131=1|20132=5000|79=2|100=0|"),
    "QuoteRequestAck on b": ("b", "131=0c7e|303=1|21023=a9d8|100=0|"),
    "combo RFQ with 38 as the group's first field": (
        "R",
        "131=1d2e|146=1|38=50|21015=N|21016=Y|20180=KXMVE|20181=2|20182=E1|20183=M1|20184=yes|"
        "20182=E2|20183=M2|20184=no|",
    ),
    "settlement with nested collateral and fee groups": ("UMS", SETTLEMENT.format(fees=FEES)),
    "security status determined": ("f", "55=KXHIGHNY-26AUG25-B85.5|326=100|"),
}

REJECTED = {
    "wrong ExecType": ("8", TRADE.replace("150=F", "150=Z"), "150"),
    "wrong PartyRole inside Parties group": ("8", TRADE + "453=1|448=x|452=999|", "452"),
    "wrong CollateralAmountType inside group": ("8", TRADE + "1703=1|1704=1|1705=CASH|", "1705"),
    "bad number format inside a group": ("8", TRADE + FEES.replace("137=0.0700", "137=abc"), "137"),
    "undefined tag": ("D", NOS + "333333=1|", "333333"),
    "Logon-only Kalshi tag on an order": ("D", NOS + "21005=Y|", "21005"),
    "custom tag on the wrong message": ("D", NOS + "20131=1|", "20131"),
    "order-entry tag on a Logon": ("A", f"98=0|108=30|96={SIG}|1137=9|21009=1|", "21009"),
    "bad boolean on Logon": ("A", f"98=0|108=30|96={SIG}|1137=9|21005=X|", "21005"),
    "ApplVerID other than FIX50SP2": ("A", f"98=0|108=30|96={SIG}|1137=7|", "1137"),
    "missing required ExecID": ("8", TRADE.replace("17=812351;4|", ""), "17"),
    "missing OrderGroupAction": ("UOG", "20132=5|", "20131"),
    "unknown OrderGroupAction": ("UOG", "20131=9|", "20131"),
    "market order": ("D", NOS.replace("40=2", "40=1"), "40"),
    "unsupported TimeInForce": ("D", NOS.replace("59=1", "59=2"), "59"),
    "unsupported ExecInst": ("D", NOS + "18=Q|", "18"),
    "MassQuoteAck shape on b": ("b", "131=0c7e|297=0|", "100"),
    "bad MVE leg side": ("R", "131=1|146=1|38=5|20180=K|20181=1|20182=E|20183=M|20184=maybe|", "20184"),
    "bad ClearingBusinessDate": ("8", TRADE + "715=2026-08-20|", "715"),
    "short nested fee group": ("UMS", SETTLEMENT.format(fees=FEES.replace("136=1", "136=2")), "136"),
    "group count mismatch at top level": ("8", TRADE + "453=2|448=x|452=24|", "Repeating group"),
}


BOTH = pytest.mark.parametrize("full", [False, True], ids=["runtime", "full"])


@BOTH
@pytest.mark.parametrize("name", ACCEPTED)
def test_kalshi_shapes_are_accepted(name, full):
    msgtype, body = ACCEPTED[name]
    make = wire if msgtype in ("A", "D", "F", "UOG", "R") else server
    spec.validate_message(make(msgtype, body), full=full)


@BOTH
@pytest.mark.parametrize("name", REJECTED)
def test_invalid_messages_are_rejected(name, full):
    msgtype, body, mentioned = REJECTED[name]
    with pytest.raises(spec.FixSpecError) as caught:
        spec.validate_message(wire(msgtype, body), full=full)
    assert mentioned in str(caught.value)
    assert isinstance(caught.value, UserInputError)


# Standard messages Kalshi answers with 35=j 380=3 (part2 6.2): they must pass the runtime
# dictionary, so QuickFIX hands them to the application instead of rejecting an invalid MsgType.
UNSUPPORTED_BUT_VALID = {
    "OrderStatusRequest": ("H", "11=b4f1|55=KXHIGHNY-26AUG21-B85.5|54=1|"),
    "OrderMassStatusRequest": ("AF", "584=m1|585=7|"),
    "SecurityListRequest": ("x", "320=s1|559=4|"),
    "RequestForPositions": ("AN", "710=p1|724=0|715=20260820|60=20260820-14:31:10.001|"),
}


@BOTH
@pytest.mark.parametrize("name", UNSUPPORTED_BUT_VALID)
def test_unsupported_kalshi_types_pass_the_dictionary(name, full):
    msgtype, body = UNSUPPORTED_BUT_VALID[name]
    assert spec.validate_message(wire(msgtype, body), full=full).getHeader().getField(35) == msgtype


def test_non_kalshi_type_is_trimmed_from_the_runtime_dictionary():
    """IOI (35=6) is neither used nor listed as answered by Kalshi: only the full file has it."""
    ioi = wire("6", "23=i1|28=N|55=X|54=1|27=S|")
    spec.validate_message(ioi, full=True)
    with pytest.raises(spec.FixSpecError, match="35=6 .*InvalidMessageType"):
        spec.validate_message(ioi)


def test_bad_checksum_is_rejected():
    raw = wire("D", NOS)
    with pytest.raises(spec.FixSpecError, match="CheckSum"):
        spec.validate_message(raw[:-4] + "000" + spec.SOH)


def test_recompute_length_and_checksum_matches_a_fact_sheet_example():
    sheet = (
        "8=FIXT.1.1|9=87|35=0|49=0f8fad5b-d9cb-469f-a165-70867728950e|56=KalshiNR|34=2|"
        "52=20260820-14:30:35.124|10=125|"
    ).replace("|", spec.SOH)
    broken = sheet.replace("9=87", "9=1").replace("10=125", "10=999")
    assert spec.recompute_length_and_checksum(broken) == sheet

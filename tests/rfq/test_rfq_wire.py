"""RFQ parsers and builders against every §5.6 worked-flow message of the fact sheet."""

from __future__ import annotations

import pytest

from fixengine.rfq import messages as M
from fixengine.rfq.parse import RfqParseError, parse_quote_price, parse_rfq_message
from fixengine.session.templates import OrderFields, OrderTemplates
from rfq_helpers import ACCEPT_CL_ORD_ID, CLIENT_ID, D_CL_ORD_ID, EXAMPLES, QUOTE_ID, SERVER_ID, TICKER, body

RFQ_EXAMPLES = [n for n in EXAMPLES if n not in ("ER_fill", "ER_expired", "D_accept")]


@pytest.mark.parametrize("name", RFQ_EXAMPLES)
def test_every_rfq_example_parses_with_soh_or_pipes(name):
    raw = EXAMPLES[name]
    assert parse_rfq_message(raw) == parse_rfq_message(raw.replace("|", "\x01"))


def test_creator_request_group_and_ack():
    _, r = parse_rfq_message(EXAMPLES["creator_R"])
    assert (r.quote_req_id, r.symbol, r.qty, r.cash, r.rest_remainder, r.misplaced) == (
        CLIENT_ID, TICKER, 10_000, None, False, ())
    _, ack = parse_rfq_message(EXAMPLES["ack"])
    assert (ack.quote_req_id, ack.request_type, ack.rfq_id, ack.ex_destination) == (CLIENT_ID, 1, SERVER_ID, 0)


def test_rest_remainder_outside_the_group_is_reported_as_misplaced():
    raw = EXAMPLES["creator_R"].replace("146=1|55=KXHIGHNY-26AUG25-B85.5|38=100|21015=N|",
                                        "21015=Y|146=1|55=KXHIGHNY-26AUG25-B85.5|38=100|")
    _, r = parse_rfq_message(raw)
    assert r.rest_remainder is None and r.misplaced == (21015,)


def test_broadcast_carries_server_id_decimal_size_and_requester():
    _, r = parse_rfq_message(EXAMPLES["broadcast_R"])
    assert (r.quote_req_id, r.symbol, r.qty, r.party_id) == (SERVER_ID, TICKER, 10_000, "7f3e91ac")


def test_maker_quote_in_cents_and_creator_notice_in_dollars_read_the_same():
    _, maker = parse_rfq_message(EXAMPLES["maker_S"])
    _, notice = parse_rfq_message(EXAMPLES["notice_S"])
    assert (maker.yes_bid, maker.no_bid) == (notice.yes_bid, notice.no_bid) == (4500, 5200)
    assert (notice.quote_id, notice.rfq_id, notice.qty, notice.yes_size, notice.no_size, notice.quoter_id) == (
        QUOTE_ID, SERVER_ID, 10_000, 10_000, 10_000, "c41d22e0")
    assert maker.quoter_id is None and not maker.post_only


@pytest.mark.parametrize("text, units", [("45", 4500), ("0.4500", 4500), ("0.045", 450), ("45.50", 4550),
                                         ("0", None), ("0.0000", None), ("99", 9900), ("1", 100)])
def test_quote_price_reads_cents_or_dollars(text, units):
    assert parse_quote_price(text) == units


def test_quote_price_refuses_garbage():
    with pytest.raises(ValueError):
        parse_quote_price("4x")
    with pytest.raises(ValueError):
        parse_quote_price("45.001")  # a thousandth of a cent


def test_status_reports():
    _, pending = parse_rfq_message(EXAMPLES["ai_pending"])
    assert (pending.status, pending.qty, pending.yes_bid, pending.no_bid, pending.yes_size) == (10, 10_000, 4500,
                                                                                               5200, 10_000)
    _, accepted = parse_rfq_message(EXAMPLES["ai_accepted"])
    assert (accepted.status, accepted.accepted_side, accepted.qty) == (0, "2", 10_000)
    _, cancelled = parse_rfq_message(EXAMPLES["ai_cancelled"])
    assert (cancelled.status, cancelled.quote_id, cancelled.rfq_id) == (17, QUOTE_ID, SERVER_ID)
    rejected = EXAMPLES["ai_pending"].replace(f"117={QUOTE_ID}", "117=").replace("297=10", "297=5|58=bad price")
    _, rej = parse_rfq_message(rejected)
    assert (rej.quote_id, rej.status, rej.text) == (None, 5, "bad price")


def test_accept_and_confirm_answers():
    _, ok = parse_rfq_message(EXAMPLES["UC_ok"])
    assert (ok.status, ok.accepted_quote_id, ok.cl_ord_id) == (0, QUOTE_ID, ACCEPT_CL_ORD_ID)
    _, expired = parse_rfq_message(EXAMPLES["UC_expired"])
    assert (expired.status, expired.text, expired.cl_ord_id) == (1, "EXPIRED", None)
    _, u8 = parse_rfq_message(EXAMPLES["U8_ok"])
    assert (u8.quote_id, u8.status) == (QUOTE_ID, 0)
    _, late = parse_rfq_message(EXAMPLES["U8_rejected"])
    assert (late.status, late.text) == (1, "quote not in accepted state")
    legacy = EXAMPLES["U8_ok"].replace("21010=0", "297=1")  # before v1.0.17
    assert parse_rfq_message(legacy)[1].status == 1


def test_cancel_answers_and_closures():
    _, u9 = parse_rfq_message(EXAMPLES["U9"])
    assert (u9.quote_id, u9.status) == (QUOTE_ID, 0)
    _, ub = parse_rfq_message(EXAMPLES["UB_canceled"])
    assert (ub.quote_req_id, ub.status, ub.rfq_id) == (CLIENT_ID, 0, None)
    _, expired = parse_rfq_message(EXAMPLES["UB_expired"])
    assert (expired.status, expired.rfq_id) == (2, SERVER_ID)
    _, ag = parse_rfq_message(EXAMPLES["AG_maker"])
    assert (ag.quote_req_id, ag.reason, ag.text) == (SERVER_ID, 99, "RFQ cancelled by requester")


def test_combo_request_ack_and_reject():
    _, r = parse_rfq_message(EXAMPLES["mve_R"])
    assert r.symbol is None and r.qty == 5000 and r.mve_collection == "KXMVECROSSCATEGORY-SHARD1-R"
    assert r.mve_legs == (("KXNFLGAME-26SEP10DALPHI", "KXNFLGAME-26SEP10DALPHI-PHI", "yes"),
                          ("KXNFLGAME-26SEP13KCBUF", "KXNFLGAME-26SEP13KCBUF-KC", "no"))
    _, ack = parse_rfq_message(EXAMPLES["mve_ack"])
    assert (ack.symbol, ack.ex_destination) == ("KXMVECROSSCATEGORY-S2026-ABCDEF12345", 1)
    _, ag = parse_rfq_message(EXAMPLES["mve_AG"])
    assert (ag.reason, ag.mve_reason, ag.offending_legs) == (99, "duplicated_legs", ("KXNFLGAME-26SEP10DALPHI-PHI",))


def test_missing_required_tag_names_it():
    with pytest.raises(RfqParseError, match="tag 21025"):
        parse_rfq_message(EXAMPLES["UC_ok"].replace("21025=0|", ""))
    with pytest.raises(RfqParseError, match="not an RFQ message"):
        parse_rfq_message(EXAMPLES["ER_fill"])


# ------------------------------------------------------------------ builders: record in, documented tags out


def _built(msg) -> str:
    return msg.toString()


def test_quote_request_builder_matches_the_example_in_group_order():
    built = _built(M.quote_request(CLIENT_ID, TICKER, qty=10_000))
    assert body(built) == [(131, CLIENT_ID), (146, "1"), (55, TICKER), (38, "100.00"), (21015, "N")]
    assert parse_rfq_message(built)[1] == parse_rfq_message(EXAMPLES["creator_R"])[1]


def test_quote_request_builder_cost_sized_with_flags_inside_the_group():
    built = _built(M.quote_request(CLIENT_ID, TICKER, cash=25_500_000, rest_remainder=True, replace_existing=True,
                                   subaccount=3))
    assert body(built) == [(79, "3"), (131, CLIENT_ID), (146, "1"), (55, TICKER), (152, "25.50"), (21015, "Y"),
                           (21016, "Y")]
    with pytest.raises(ValueError):
        M.quote_request(CLIENT_ID, TICKER, qty=100, cash=100)


def test_maker_quote_builder_cents_and_dollars():
    cents = _built(M.quote(QUOTE_ID, SERVER_ID, TICKER, 4500, 5200, use_dollars=False))
    assert sorted(body(cents)) == sorted(body(EXAMPLES["maker_S"]))
    dollars = _built(M.quote(QUOTE_ID, SERVER_ID, TICKER, 4550, 0, use_dollars=True, post_only=True, subaccount=2,
                             rest_remainder=True))
    assert dict(body(dollars)) == {117: QUOTE_ID, 131: SERVER_ID, 55: TICKER, 132: "0.4550", 133: "0", 18: "6",
                                   79: "2", 21015: "Y"}


def test_accept_confirm_cancel_builders_match_the_examples():
    ua = _built(M.accept_quote(QUOTE_ID, M.ACCEPT_YES_BID, rfq_id=SERVER_ID, qty=10_000, cl_ord_id=ACCEPT_CL_ORD_ID))
    assert parse_rfq_message(ua)[1] == parse_rfq_message(EXAMPLES["UA"])[1]
    assert {t for t, _ in body(ua)} == {t for t, _ in body(EXAMPLES["UA"])}
    assert sorted(body(_built(M.quote_confirm(QUOTE_ID, SERVER_ID)))) == sorted(body(EXAMPLES["U7"]))
    assert sorted(body(_built(M.quote_cancel(QUOTE_ID, SERVER_ID)))) == sorted(body(EXAMPLES["Z"]))
    assert body(_built(M.rfq_cancel(CLIENT_ID))) == body(EXAMPLES["UE"])
    better = dict(body(_built(M.accept_quote(QUOTE_ID, M.ACCEPT_NO_BID, prefer_better=True))))
    assert better == {117: QUOTE_ID, 54: "1", 21022: "Y"}
    with pytest.raises(ValueError):
        M.accept_quote(QUOTE_ID, "buy_yes")
    with pytest.raises(ValueError):
        M.rfq_cancel()


def test_new_order_single_accept_matches_the_example():
    fields = OrderFields(D_CL_ORD_ID, TICKER, "2", 4500, 10_000, "", quote_id=QUOTE_ID, rfq_id=SERVER_ID)
    msg = OrderTemplates(use_dollars=False).quote_accept_order(fields)
    msg.removeField(59)
    got = {t: v for t, v in body(msg.toString())}
    want = {t: v for t, v in body(EXAMPLES["D_accept"])}
    assert got.pop(38) == "100.00" and want.pop(38) == "100"
    assert got == want


def test_combo_request_builder_matches_the_example():
    legs = [("KXNFLGAME-26SEP10DALPHI", "KXNFLGAME-26SEP10DALPHI-PHI", "yes"),
            ("KXNFLGAME-26SEP13KCBUF", "KXNFLGAME-26SEP13KCBUF-KC", "no")]
    client = "1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a"
    built = M.combo_quote_request(client, "KXMVECROSSCATEGORY-SHARD1-R", legs, qty=5000).toString()
    got = body(built)
    want = body(EXAMPLES["mve_R"])
    assert got.pop(3) == (21015, "N")  # RestRemainder always sent, inside the group
    assert [t for t, _ in got] == [t for t, _ in want]  # 38 is the group delimiter, legs in order
    assert parse_rfq_message(built)[1].mve_legs == parse_rfq_message(EXAMPLES["mve_R"])[1].mve_legs
    cost = body(M.combo_quote_request(client, "C", legs[:1], cash=2_000_000).toString())
    assert cost[1:3] == [(146, "1"), (152, "2.00")]


def test_quote_price_round_trips_both_formats_for_every_price():
    from fixengine.pricing.units import format_price

    for units in range(1, 10_000):
        assert parse_quote_price(format_price(units, True)) == units
        if units % 100 == 0:
            assert parse_quote_price(format_price(units, False)) == units

"""Variable expansion in scenario text."""

from datetime import datetime, timezone

import pytest

from fixengine.cert.variables import VarContext, VariableError, expand, price_text

NOW = datetime(2026, 11, 25, 16, 30, 5, 123456, tzinfo=timezone.utc)


def ctx(**kw):
    base = dict(keys={"trader": "KEY-T", "maker": "KEY-M"}, key_alias="trader", target="KalshiNR", next_seq=7,
                tickers={"main": "KXA-1"}, clock=lambda: NOW)
    base.update(kw)
    return VarContext(**base)


def test_time_and_offsets():
    c = ctx()
    assert expand("{now}", c) == "20261125-16:30:05.123"
    assert expand("{now+60s}", c) == "20261125-16:31:05.123"
    assert expand("{now-31s}", c) == "20261125-16:29:34.123"
    assert expand("{now+1d:date}", c) == "20261126"
    assert expand("{now+500ms:sec}", c) == "20261125-16:30:05"


def test_identity_sequence_and_tickers():
    c = ctx()
    assert expand("{key_id}/{key_id:maker}/{target}", c) == "KEY-T/KEY-M/KalshiNR"
    assert expand("{seq} {seq+3} {seq-1}", c) == "7 10 6"
    assert expand("{ticker:main}", c) == "KXA-1"
    assert expand("{{literal}}", c) == "{literal}"


def test_clordids_are_stable_by_name_and_fresh_with_new():
    c = ctx()
    a1, a2, b = expand("{clordid:a}", c), expand("{clordid:a}", c), expand("{clordid:b}", c)
    assert a1 == a2 != b and len(a1) == 36
    assert expand("{clordid:new}", c) != expand("{clordid:new}", c)


def test_saved_values_and_repeat_index():
    c = ctx(saved={"oid": "O-1"}, index=3)
    assert expand("{var:oid} {oid} #{i}", c) == "O-1 O-1 #3"


def test_signature_uses_the_signer_and_its_length():
    c = ctx(signer=lambda variant: "S" * (344 if variant == "" else 10))
    assert expand("{signature_len}", c) == "344"
    assert expand("{signature:wrongkey}", c) == "S" * 10


@pytest.mark.parametrize("dollars, use_dollars, text", [
    ("0.56", True, "0.5600"), ("0.0950", True, "0.0950"), ("0.56", False, "56"), ("0.05", False, "5"),
])
def test_prices_follow_the_session_mode(dollars, use_dollars, text):
    assert price_text(dollars, use_dollars) == text
    assert expand(f"{{px:{dollars}}}", ctx(use_dollars=use_dollars)) == text


@pytest.mark.parametrize("text", ["{nope}", "{key_id:ghost}", "{ticker:ghost}", "{signature}", "{i}",
                                  "{clordid}", "{var:missing}", "{px:0.095}", "{target+1}", "{px:abc}"])
def test_bad_variables_name_the_problem(text):
    c = ctx(use_dollars=False)
    with pytest.raises(VariableError) as info:
        expand(text, c)
    assert text.split(":")[0].strip("{}").split("+")[0] in str(info.value)

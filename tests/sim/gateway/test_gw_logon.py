"""Logon over real sockets: the success shape and every refusal with its Kalshi text (part1 §3.2-3.4)."""

from __future__ import annotations

import ssl
import time
import uuid

import pytest

from fixengine.sim.config import sim_config_from_mapping
from fixengine.sim.gateway import texts
from fixengine.sim.server import Simulator
from conftest import config_mapping
from simgw_rawfix import RawFix, past

pytestmark = pytest.mark.slow


def refused(reply, text):
    assert reply is not None, "no answer"
    assert reply.type == "5", repr(reply)
    assert reply[58] == text
    return reply


def test_good_logon_reply_fields(client_factory, keyring):
    c = client_factory("trader")
    reply = c.logon({21005: "Y", 8013: "Y"}, heartbeat=30)
    assert reply.type == "A", repr(reply)
    assert (reply[98], reply[108], reply[1137], reply[141]) == ("0", "30", "9", "Y")
    assert reply[49] == "KalshiNR" and reply[56] == keyring["trader"][0]
    assert reply[34] == "1"
    assert c.logout().type == "5"


def test_logon_without_raw_data_length_is_accepted(client_factory):
    c = client_factory("trader")
    assert c.logon(with_95=False).type == "A"


def test_wrong_target_for_port(client_factory, keyring):
    c = client_factory("trader")
    c.target = "KalshiRT"  # RT's TargetCompID sent to the NR port
    reply = refused(c.logon(), texts.INVALID_TARGET)
    assert reply[49] == "KalshiNR" and reply[56] == keyring["trader"][0] and reply[34] == "1" and 52 in reply
    assert c.closed_by_peer()


def test_unknown_key(sim, keyring):
    c = RawFix(sim.ports["NR"], "00000000-0000-4000-8000-000000000000", "KalshiNR", keyring["trader"][1])
    refused(c.logon(), texts.UNKNOWN_KEY)
    c.close()


def test_bad_signature(client_factory, keyring):
    c = client_factory("other")
    refused(c.logon(key=keyring["maker"][1]), texts.BAD_SIGNATURE)
    assert c.closed_by_peer()


def test_sending_time_skew_gives_reject_373_10_then_logout(client_factory):
    c = client_factory("trader")
    reply = c.logon(sending_time=past(45))
    assert reply.type == "3" and reply[373] == "10" and reply[372] == "A" and reply[45] == "1"
    refused(c.recv(), texts.SENDING_TIME)


@pytest.mark.parametrize(
    "kwargs,text",
    [
        ({"reset": False}, texts.RESET_REQUIRED),
        ({"extra": [(21011, "Y")], "flags": {20126: "Y", 8013: "Y"}}, texts.LISTENER_NO_CANCEL),
        ({"flags": {20126: "Y"}}, texts.LISTENER_NEEDS_SKIP),
        ({"heartbeat": 3}, texts.HEARTBEAT),
        ({"flags": {20200: "48"}}, texts.RETENTION_KIND),
        ({"flags": {21005: "X"}}, texts.BAD_VALUE.format(tag=21005)),
    ],
)
def test_logon_body_rules(client_factory, kwargs, text):
    c = client_factory("other")
    refused(c.logon(**kwargs), text)


def test_sender_sub_id_on_logon_refused(client_factory):
    c = client_factory("other")
    c.connect()
    msg = c.logon_message()
    msg = msg.replace(b"\x0134=1\x01", b"\x0134=1\x0150=OPERATOR1\x01")
    # re-frame with the new length/checksum
    body = msg[msg.index(b"35="):msg.rindex(b"10=")]
    from simgw_rawfix import frame
    c.send_raw(frame(body))
    refused(c.recv(), texts.SENDER_SUB_ID)


def test_retention_over_72_hours_refused_on_rt(client_factory):
    c = client_factory("rt", "RT")
    refused(c.logon({20200: "73"}), texts.RETENTION)


def test_not_entitled(client_factory):
    c = client_factory("noent")
    refused(c.logon(), texts.NOT_ENTITLED)


def test_second_connection_same_key_already_exists(client_factory):
    first = client_factory("trader")
    assert first.logon().type == "A"
    second = client_factory("trader", "RT")  # scope "key": one connection across all ports
    refused(second.logon(reset=True), texts.ALREADY_EXISTS)
    assert first.recv(0.2) is None or first.sock is not None  # the first session is untouched


def test_reconnect_after_logout_is_accepted(client_factory):
    c = client_factory("trader")
    assert c.logon().type == "A"
    c.logout()
    c.close()
    again = client_factory("trader")
    assert again.logon().type == "A"


def test_first_message_not_logon_closes_silently(client_factory):
    c = client_factory("other")
    c.connect()
    c.send("0", [])
    assert c.recv(2.0) is None and c.closed_by_peer()


def test_garbage_before_logon_closes_silently(client_factory):
    c = client_factory("other")
    c.connect()
    c.send_raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert c.recv(2.0) is None and c.closed_by_peer()


def test_replayed_logon_is_refused(sim, client_factory):
    c = client_factory("other")
    raw = c.logon_message()
    c.connect()
    c.send_raw(raw)
    assert c.recv().type == "A"
    c.logout()
    c.close()
    deadline = time.monotonic() + 3
    while sim.gateway.gate.slots and time.monotonic() < deadline:
        time.sleep(0.01)
    thief = client_factory("other")
    thief.connect()
    thief.send_raw(raw)
    refused(thief.recv(), texts.REPLAYED_LOGON)


def test_bad_signature_storm_locks_the_key_out(sim, client_factory, keyring):
    for _ in range(sim.gateway.options.max_failed_logons):
        c = client_factory("basic")
        refused(c.logon(key=keyring["maker"][1]), texts.BAD_SIGNATURE)
        c.close()
    good = client_factory("basic")  # even a correct logon is refused while locked out
    refused(good.logon(), texts.THROTTLED)


def test_tls_logon(keyring):
    # fresh key ids: QuickFIX sessions are process-wide, the module's simulator still serves the others
    fresh = {name: (str(uuid.uuid4()), private, path) for name, (_, private, path) in keyring.items()}
    config = sim_config_from_mapping(config_mapping(fresh, tls={"mode": "generate"}, server_comp_id="kalshi"))
    with Simulator(config, admin_port=None, tick_s=0) as sim:
        ctx = ssl.create_default_context(cafile=str(sim.tls_cert))
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        key_id, private, _ = fresh["trader"]
        c = RawFix(sim.ports["NR"], key_id, "KalshiNR", private, tls=ctx)
        reply = c.logon({21005: "Y"})
        assert reply.type == "A", repr(reply)
        assert reply[49] == "Kalshi"  # server_comp_id: kalshi (the documented value)
        assert c.sock.version() in ("TLSv1.2", "TLSv1.3")
        c.logout()
        c.close()
        plain = RawFix(sim.ports["NR"], key_id, "KalshiNR", private)
        plain.connect()
        plain.send_raw(plain.logon_message())
        assert plain.recv(2.0) is None  # plain TCP against a TLS port never gets a FIX answer
        plain.close()


def test_two_simulators_cannot_serve_the_same_key(sim, keyring):
    config = sim_config_from_mapping(config_mapping(keyring))
    from fixengine.sim.config import SimConfigError

    with pytest.raises(SimConfigError, match="already served"):
        Simulator(config, admin_port=None, tick_s=0).start()


def test_internal_port_cannot_skip_the_gate(sim, keyring):
    key_id, private, _ = keyring["other"]
    direct = RawFix(sim.gateway.internal_ports[0], key_id, "KalshiNR", private)
    reply = direct.logon()
    assert reply is not None and reply.type == "5" and "gateway" in reply[58]
    direct.close()

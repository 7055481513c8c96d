"""Session behaviour end to end: RT resend, cancel-on-disconnect, garbage, admin API and faults."""

from __future__ import annotations

import os
import time

import pytest

from fixengine.sim.admin import admin_request
from simgw_rawfix import LINEAR, clid, frame

pytestmark = pytest.mark.slow


def logged_on(client_factory, name, kind="NR", flags=None, **kw):
    c = client_factory(name, kind)
    reply = c.logon({21005: "Y", 21011: "Y", **(flags or {})}, **kw)
    assert reply.type == "A", repr(reply)
    return c


def rest(c, price="0.2000", qty="1", side="1"):
    cl = clid()
    c.send("D", [(11, cl), (38, qty), (40, "2"), (44, price), (54, side), (55, LINEAR), (59, "1")])
    er = c.expect("8")
    assert er[150] == "0", repr(er)
    return cl, er


def still_trades(client_factory, name="trader2"):
    """Another session can log on and trade: the simulator survived whatever came before."""
    other = logged_on(client_factory, name)
    rest(other, "0.0500")
    other.logout()
    other.close()


# ------------------------------------------------------------------ RT retransmission


def test_rt_resend_after_reconnect(client_factory):
    rt = logged_on(client_factory, "rt", "RT")
    cl, _ = rest(rt, "0.4000", "2")
    rt.close()  # vanish without Logout; the order stays (no 8013)
    time.sleep(0.2)
    maker = logged_on(client_factory, "maker")
    maker.send("D", [(11, clid()), (38, "2"), (40, "2"), (44, "0.4000"), (54, "2"), (55, LINEAR), (59, "3")])
    assert maker.expect("8")[150] == "F"
    time.sleep(0.2)
    rt.sock = None
    reply = rt.logon({21005: "Y", 21011: "Y"}, reset=False)  # continuity: 141=N, next seq
    assert reply.type == "A" and 141 not in reply
    assert int(reply[34]) > rt.seq - 1  # the server's sequence moved on while we were away
    rt.send("2", [(7, "3"), (16, "0")])
    resent = rt.expect("8")
    assert (resent[43], resent[150], resent[11]) == ("Y", "F", cl) and 122 in resent


def test_nr_never_retransmits(client_factory):
    c = logged_on(client_factory, "trader")
    rest(c, "0.1500")
    c.send("2", [(7, "1"), (16, "0")])
    reset = c.expect("4")
    assert reset[123] == "Y"  # a gap fill: nothing is re-sent on NR
    assert c.collect(0.3) == []


# ------------------------------------------------------------------ CancelOrdersOnDisconnect


@pytest.mark.parametrize("how", ["logout", "drop"])
def test_cancel_orders_on_disconnect(client_factory, how):
    listener = logged_on(client_factory, "listener", flags={20126: "Y"})
    t = logged_on(client_factory, "trader", flags={8013: "Y"})
    cl, _ = rest(t, "0.2200")
    assert listener.expect("8")[11] == cl
    if how == "logout":
        t.logout()
    t.close()
    cancel = listener.expect("8", timeout=5)
    assert (cancel[150], cancel[39], cancel[11]) == ("4", "4", cl)


def test_no_cancel_without_8013(sim, client_factory):
    t = logged_on(client_factory, "trader")
    cl, er = rest(t, "0.2300")
    t.logout()
    t.close()
    time.sleep(0.3)
    assert sim.exchange.order(er[37]).leaves_qty == 100


# ------------------------------------------------------------------ garbage


def test_bad_checksum_is_ignored_and_session_continues(client_factory):
    c = logged_on(client_factory, "trader")
    body = f"35=D\x0149={c.key_id}\x0156=KalshiNR\x0134={c.seq}\x0152=20260101-00:00:00.000\x01".encode()
    c.send_raw(frame(body + b"11=x\x01", checksum=1))
    cl = clid()
    c.send("D", [(11, cl), (38, "1"), (40, "2"), (44, "0.1000"), (54, "1"), (55, LINEAR), (59, "1")])
    er = c.expect("8")
    assert er[11] == cl


def test_bad_body_length_is_dropped(client_factory):
    c = logged_on(client_factory, "trader")
    body = c.build("D", [(11, clid())], seq=c.seq)
    c.send_raw(body.replace(b"9=", b"9=1", 1))  # BodyLength too large: trailer not where it says
    c.send_raw(b"\x00\xff garbage \x01\x01 8=FIX.4.2")
    cl = clid()
    c.send("D", [(11, cl), (38, "1"), (40, "2"), (44, "0.1000"), (54, "1"), (55, LINEAR), (59, "1")])
    msgs = c.collect(1.0)
    assert any(m.type == "8" and m[11] == cl for m in msgs), msgs


def test_unknown_msg_type_and_missing_tag_get_session_rejects(client_factory):
    c = logged_on(client_factory, "trader")
    c.send("ZZ", [(58, "hello")])
    rej = c.expect("3")
    assert rej[373] == "11" and rej[45] == str(c.seq - 1)
    c.send("D", [(11, clid()), (38, "1"), (40, "2"), (44, "0.1000"), (54, "1"), (59, "1")])  # no 55
    missing = c.collect(1.0)
    assert missing and missing[0].type in ("3", "j") and missing[0].get(371, missing[0].get(58))
    c.send("1", [(112, "ping")])
    assert c.expect("0")[112] == "ping"


def test_oversized_message_cuts_connection(sim, client_factory):
    c = logged_on(client_factory, "trader")
    c.send("D", [(58, "x" * (sim.gateway.options.max_body_bytes + 10))])
    assert c.closed_by_peer(5)
    still_trades(client_factory)


def test_random_bytes_after_logon(client_factory):
    c = logged_on(client_factory, "trader")
    for _ in range(5):
        c.send_raw(os.urandom(512))
    c.send("1", [(112, "alive")])
    hb = c.expect("0", timeout=5)
    assert hb[112] == "alive"
    still_trades(client_factory)


def test_half_open_socket_times_out(sim, client_factory):
    listener = logged_on(client_factory, "listener", flags={20126: "Y"})
    t = logged_on(client_factory, "trader", flags={8013: "Y"}, heartbeat=4)
    cl, _ = rest(t, "0.2400")
    assert listener.expect("8")[11] == cl
    assert sim.freeze(t.key_id) == 1
    cancel = listener.expect("8", timeout=20)  # QuickFIX: TestRequest, no answer, disconnect, 8013
    assert (cancel[150], cancel[11]) == ("4", cl)


# ------------------------------------------------------------------ admin API and faults


def test_admin_books_orders_liquidity_pause_close(sim, client_factory):
    port = sim.admin_port
    books = admin_request(port, "/books")
    assert any(b["market"]["ticker"] == LINEAR for b in books)
    res = admin_request(port, "/add-liquidity", {"user": "maker-user", "symbol": LINEAR, "side": "sell",
                                                 "price": "0.7000", "qty": "3"})
    assert res["order_id"] and res["rejected"] is None
    orders = admin_request(port, "/orders?user=maker-user&open=1")
    assert any(o["order_id"] == res["order_id"] for o in orders)
    t = logged_on(client_factory, "trader")
    t.send("D", [(11, clid()), (38, "1"), (40, "2"), (44, "0.7000"), (54, "1"), (55, LINEAR), (59, "3")])
    assert t.expect("8")[31] == "0.7000"
    admin_request(port, "/pause", {"symbol": LINEAR})
    t.send("D", [(11, clid()), (38, "1"), (40, "2"), (44, "0.1000"), (54, "1"), (55, LINEAR), (59, "1")])
    paused = t.expect("8")
    assert paused[150] == "8" and paused[103] == "2"
    admin_request(port, "/resume", {"symbol": LINEAR})
    cl, _ = rest(t, "0.1000")
    sessions = admin_request(port, "/sessions")
    assert any(s["key_id"] == t.key_id and s["state"] == "live" for s in sessions)
    stats = admin_request(port, "/stats")
    assert stats["callback_errors"] == 0 and stats["reports_sent"] > 0 and stats["gate"]["counts"]["accepted"] > 0


def test_admin_drop_session_delay_and_drop_outbound(sim, client_factory):
    port = sim.admin_port
    t = logged_on(client_factory, "trader")
    assert admin_request(port, "/delay", {"key": t.key_id, "ms": 300})["connections"] == 1
    start = time.monotonic()
    rest(t, "0.1200")
    assert time.monotonic() - start >= 0.28
    admin_request(port, "/delay", {"key": t.key_id, "ms": 0})
    admin_request(port, "/drop-outbound", {"key": t.key_id, "count": 1, "msg_type": "8"})
    t.send("D", [(11, clid()), (38, "1"), (40, "2"), (44, "0.1300"), (54, "1"), (55, LINEAR), (59, "1")])
    assert t.collect(0.5) == []  # that report never arrives
    rest(t, "0.1400")  # the next one does
    assert admin_request(port, "/drop-session", {"key": t.key_id})["connections"] == 1
    assert t.closed_by_peer(3)


def test_cli_admin_commands(sim, capsys):
    from fixengine.cli import main

    port = str(sim.admin_port)
    assert main(["sim", "admin", "--admin-port", port, "books"]) == 0
    assert LINEAR in capsys.readouterr().out
    assert main(["sim", "admin", "--admin-port", port, "add-liquidity", "--user", "maker-user", "--symbol",
                 LINEAR, "--side", "sell", "--price", "0.9000", "--qty", "1"]) == 0
    assert '"OrderAccepted"' in capsys.readouterr().out
    assert main(["sim", "admin", "--admin-port", port, "orders", "--user", "maker-user", "--open"]) == 0
    assert '"price": 9000' in capsys.readouterr().out
    assert main(["sim", "admin", "--admin-port", "1", "books"]) == 2  # nothing listens there: one-line error
    assert "cannot reach" in capsys.readouterr().err


def test_rt_resend_outside_retention_is_rejected(keyring):
    """MessageRetentionPeriod(20200): a ResendRequest for messages older than the window -> 35=3."""
    import datetime as dt
    import uuid

    from conftest import config_mapping
    from fixengine.sim.config import sim_config_from_mapping
    from fixengine.sim.exchange.clock import ManualClock
    from fixengine.sim.server import Simulator
    from simgw_rawfix import RawFix

    fresh = {name: (str(uuid.uuid4()), private, path) for name, (_, private, path) in keyring.items()}
    clock = ManualClock(dt.datetime.now(dt.timezone.utc))
    config = sim_config_from_mapping(config_mapping(fresh))
    with Simulator(config, clock=clock, admin_port=None, tick_s=0) as sim:
        key_id, private, _ = fresh["rt"]
        c = RawFix(sim.ports["RT"], key_id, "KalshiRT", private)
        assert c.logon({21005: "Y", 21011: "Y", 20200: "1"}).type == "A"
        rest(c, "0.3000")
        c.send("2", [(7, "2"), (16, "0")])  # inside the window: resent
        assert c.expect("8")[43] == "Y"
        clock.advance(dt.timedelta(hours=2))
        c.send("2", [(7, "2"), (16, "0")])
        rej = c.expect("3")
        assert rej[371] == "7" and rej[373] == "5"
        c.logout()
        c.close()

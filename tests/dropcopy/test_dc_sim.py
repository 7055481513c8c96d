"""The simulator's KalshiDC over raw FIX (exact bytes): U1 -> replayed 35=8 -> U2, or U3 reasons 1-4."""

from __future__ import annotations

import dataclasses
import time
from datetime import timedelta

from fixengine.config.types import SessionKind
from fixengine.sim.gateway.dropcopy import DropCopyOptions
from fixengine.sim.exchange.ids import exec_id_key

from dc_world import SHARDED, TRADER
from dc_helpers import body, history_ids, trade, wait_listening
from simgw_rawfix import RawFix


def dc_client(sim, keyring, name: str = "dc", flags=None) -> RawFix:
    key_id, private = keyring[name][0], keyring[name][1]
    client = RawFix(sim.ports["DC"], key_id, "KalshiDC", private)
    answer = client.logon(flags)
    assert answer is not None and answer.type == "A", answer
    return client


def u1(client: RawFix, begin: str, end: str | None = None) -> int:
    seq = client.seq
    fields = [(21001, begin)] + ([(21002, end)] if end is not None else [])
    client.send("U1", fields)
    return seq


def answer(client: RawFix) -> tuple[list, object]:
    """(replayed ERs, final U2/U3) for one request."""
    reports = []
    while True:
        msg = client.recv(5.0)
        assert msg is not None, "no U2/U3"
        if msg.type == "0":
            continue
        if msg.type == "8":
            reports.append(msg)
            continue
        assert msg.type in ("U2", "U3"), msg
        return reports, msg


def test_dc_logon_needs_reset(sim, keyring):
    key_id, private = keyring["dc"][0], keyring["dc"][1]
    client = RawFix(sim.ports["DC"], key_id, "KalshiDC", private)
    refused = client.logon(reset=False)
    assert refused.type == "5"
    client.close()


def test_replay_matches_live_reports_byte_for_byte_with_new_seqnums(sim, keyring):
    listener = RawFix(sim.ports["NR"], keyring["listener"][0], "KalshiNR", keyring["listener"][1])
    assert listener.logon({20126: "Y", 21011: "Y", 21005: "Y"}).type == "A"
    wait_listening(sim, SessionKind.NR, keyring["listener"][0])
    trade(sim, keyring, "dc-1", qty=300, rest_qty=100)
    trade(sim, keyring, "dc-2", qty=100)
    live = {m[17]: m for m in listener.collect(0.5) if m.type == "8"}
    assert len(live) >= 3
    ids = history_ids(sim)
    dc = dc_client(sim, keyring, flags={21005: "Y"})
    ref = u1(dc, ids[0], ids[-1])
    reports, done = answer(dc)
    assert done.type == "U2" and done[45] == str(ref) and done[21003] == str(len(ids))
    assert [r[17] for r in reports] == ids
    seqs = [int(r[34]) for r in reports] + [int(done[34])]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))) and seqs[0] == 2  # new DC seq nums after Logon
    assert all(r[49] == "KalshiDC" and 43 not in r for r in reports)  # no PossDup on replays
    for r in reports:
        if r[17] in live:  # the acks of immediately traded orders were folded into the fill live
            assert body(r) == body(live[r[17]])
    assert {r[150] for r in reports} >= {"0", "F"}
    assert all(r[17] != "-1;-1" for r in reports)
    dc.logout()
    dc.close()
    listener.close()


def test_open_ended_and_ranges_stay_on_one_exchange_index(sim, keyring):
    trade(sim, keyring, "s0-1")
    trade(sim, keyring, "s2-1", symbol=SHARDED)
    trade(sim, keyring, "s2-2", symbol=SHARDED)
    shard0, shard2 = history_ids(sim, 0), history_ids(sim, 2)
    assert all(i.endswith(";2") and i.count(";") == 2 for i in shard2)
    dc = dc_client(sim, keyring)
    u1(dc, shard2[1])
    reports, done = answer(dc)
    assert done.type == "U2" and [r[17] for r in reports] == shard2[1:]
    assert {r[55] for r in reports} == {SHARDED}
    u1(dc, shard0[0])
    reports, done = answer(dc)
    assert [r[17] for r in reports] == shard0 and done[21003] == str(len(shard0))
    u1(dc, shard0[0], shard2[-1])  # End on another index
    assert answer(dc)[1][21004] == "4"
    # numeric, not string, comparison: "9;..." < "10;..." although "9" > "10" as text
    clock, event = (int(p) for p in shard0[-1].split(";"))
    u1(dc, shard0[0], f"{clock * 10};{event}")
    assert answer(dc)[1][21004] == "4"  # beyond the newest ExecID issued on that index
    dc.close()


def test_reject_reasons_begin_too_small_rate_limit_and_server_error(sim, keyring):
    # log on first: the simulator checks Logon SendingTime against its (manual) exchange clock
    dc = dc_client(sim, keyring)
    trade(sim, keyring, "old-1")
    old = history_ids(sim)
    sim.clock.advance(timedelta(hours=3, seconds=1))
    trade(sim, keyring, "new-1")
    new = [i for i in history_ids(sim) if i not in old]
    u1(dc, old[0])
    _, rejected = answer(dc)
    assert rejected.type == "U3" and rejected[21004] == "3"
    u1(dc, "-1;-1")
    assert answer(dc)[1][21004] == "3"
    ref = u1(dc, new[0])
    reports, done = answer(dc)
    assert done[45] == str(ref) and [r[17] for r in reports] == new
    sim.gateway.dropcopy.fail_next = 1
    u1(dc, new[0])
    assert answer(dc)[1][21004] == "2"
    now = [time.monotonic() + 100.0]  # past every real request so far
    sim.gateway.dropcopy.monotonic = lambda: now[0]
    sim.gateway.dropcopy.options = dataclasses.replace(DropCopyOptions(), max_requests=2, window_s=10.0)
    results = []
    for _ in range(3):
        u1(dc, new[0])
        results.append(answer(dc)[1])
    assert [m.type for m in results] == ["U2", "U2", "U3"] and results[2][21004] == "1"
    now[0] += 10.0
    u1(dc, new[0])
    assert answer(dc)[1].type == "U2"
    assert sim.gateway.dropcopy.rejects == {3: 2, 2: 1, 1: 1}
    dc.close()


def test_history_is_per_account_and_dc_is_read_only(sim, keyring):
    trade(sim, keyring, "mine-1")
    ids = history_ids(sim)
    other = dc_client(sim, keyring, "other_dc")
    u1(other, ids[0], ids[-1])
    reports, done = answer(other)
    assert reports == [] and done.type == "U2" and done[21003] == "0"
    other.send("D", [(11, "x-1"), (38, "1"), (40, "2"), (44, "30"), (54, "1"), (55, SHARDED), (59, "1")])
    bmr = other.expect("j")
    assert (bmr[372], bmr[380]) == ("D", "3")
    other.close()
    assert sim.exchange.orders(TRADER)  # nothing the DC session did touched the account
    assert exec_id_key(ids[-1]) <= exec_id_key(sim.exchange.last_exec_id(0))


def test_subaccount_restricted_key_cannot_open_dc_or_listener(sim, keyring):
    from fixengine.sim.gateway.dropcopy import RESTRICTED_KEY_TEXT

    key_id, private = keyring["sub_dc"][0], keyring["sub_dc"][1]
    for kind, flags in (("DC", None), ("NR", {20126: "Y", 21011: "Y"})):
        client = RawFix(sim.ports[kind], key_id, f"Kalshi{kind}", private)
        refused = client.logon(flags)
        assert refused.type == "5" and refused[58] == RESTRICTED_KEY_TEXT, refused
        client.close()
    plain = RawFix(sim.ports["NR"], key_id, "KalshiNR", private)  # a normal session is fine
    assert plain.logon().type == "A"
    plain.close()

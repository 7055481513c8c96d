"""Generated QuickFIX SessionSettings: keys and values per session kind, text form, acceptor helper."""

from __future__ import annotations

from pathlib import Path

import pytest
import quickfix as fix

from fixengine.config import (
    AcceptorSession,
    ConfigError,
    DuplicateSessionError,
    build_initiator,
    stock_spec_paths,
    acceptor_plan,
    acceptor_settings,
    initiator_plan,
    load_config,
    quickfix_settings,
    session_ids,
    settings_text,
    spec_paths,
)

from config_helpers import DC_KEY, LOCAL_SIM, MD_KEY, NR_KEY, RT_KEY

REPO = Path(__file__).resolve().parents[2]
RT = {"api_key_id": RT_KEY, "private_key_env": "RT_KEY", "heartbeat": 15}
MD = {"api_key_id": MD_KEY, "private_key_env": "MD_KEY"}


@pytest.fixture
def plain_cfg(write_config):
    changes = {
        **LOCAL_SIM,
        "tls.enabled": False,
        "storage": {"message_store": "memory", "journal_dir": "j"},
    }
    return load_config(write_config(changes))


@pytest.fixture
def cfg(write_config):
    return load_config(write_config({"sessions.RT": RT, "sessions.MD": MD}))


def by_target(plan):
    return {s["TargetCompID"]: s for s in plan.sessions}


def test_initiator_defaults(cfg, tmp_path):
    d = initiator_plan(cfg).defaults
    transport, app = spec_paths()
    assert d["ConnectionType"] == "initiator"
    assert d["DefaultApplVerID"] == "9"
    assert d["UseDataDictionary"] == "Y"
    assert d["TransportDataDictionary"] == str(transport) and transport.name == "FIXT11.xml"
    assert d["AppDataDictionary"] == str(app) and app.name == "KalshiFIX50SP2-runtime.xml"
    assert (d["StartTime"], d["EndTime"], d["NonStopSession"]) == ("00:00:00", "00:00:00", "Y")
    assert d["SocketNodelay"] == "Y"
    assert d["TimestampPrecision"] == "3"
    assert d["FileStorePath"] == str(tmp_path / "var" / "store")
    assert d["FileLogPath"] == str(tmp_path / "var" / "log")
    assert d["CheckCompID"] == "N"
    assert d["ReconnectInterval"] == "1"
    assert d["SSLProtocol"] == "all -SSLv2 -SSLv3 -TLSv1 -TLSv1_1"
    assert Path(d["CertificationAuthoritiesFile"]).is_file()  # the system bundle
    assert (d["ValidateUserDefinedFields"], d["AllowUnknownMsgFields"]) == ("N", "Y")  # lenient default


def test_initiator_sessions_per_kind(cfg):
    s = by_target(initiator_plan(cfg))
    assert list(s) == ["KalshiNR", "KalshiDC", "KalshiRT", "KalshiMD"]
    nr, dc, rt, md = s["KalshiNR"], s["KalshiDC"], s["KalshiRT"], s["KalshiMD"]
    assert nr == {
        "BeginString": "FIXT.1.1",
        "SenderCompID": NR_KEY,
        "TargetCompID": "KalshiNR",
        "SocketConnectHost": "fix.demo.kalshi.co",
        "SocketConnectPort": "8228",
        "HeartBtInt": "30",
        "ResetOnLogon": "Y",
        "ResetOnLogout": "Y",
        "ResetOnDisconnect": "Y",
    }
    assert (dc["SenderCompID"], dc["SocketConnectPort"]) == (DC_KEY, "8229")
    assert (rt["ResetOnLogon"], rt["ResetOnLogout"], rt["ResetOnDisconnect"]) == ("N", "N", "N")
    assert (rt["HeartBtInt"], rt["SocketConnectPort"]) == ("15", "8230")
    assert (md["SocketConnectHost"], md["SocketConnectPort"], md["ResetOnLogon"]) == (
        "marketdata.fix.demo.kalshi.co",
        "8233",
        "Y",
    )


def test_kinds_selects_sessions_in_the_given_order(cfg):
    plan = initiator_plan(cfg, ["RT", "NR"])
    assert [s["TargetCompID"] for s in plan.sessions] == ["KalshiRT", "KalshiNR"]
    with pytest.raises(ConfigError, match="sessions: unknown session kind 'ZZ'"):
        initiator_plan(cfg, ["ZZ"])
    with pytest.raises(ConfigError, match=r"sessions\.PT: session is not configured"):
        initiator_plan(cfg, ["PT"])


def test_tls_options(write_config, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    plan = initiator_plan(load_config(write_config({"tls.ca_file": "ca.pem", "tls.min_version": "1.3"})))
    assert plan.defaults["CertificationAuthoritiesFile"] == str(ca)
    assert plan.defaults["SSLProtocol"] == "all -SSLv2 -SSLv3 -TLSv1 -TLSv1_1 -TLSv1_2"
    unverified = initiator_plan(load_config(write_config({"tls.verify_server": False})))
    assert "CertificationAuthoritiesFile" not in unverified.defaults
    assert unverified.defaults["SSLProtocol"].startswith("all")


def test_plain_memory_store_and_strict_validation(write_config):
    changes = {
        **LOCAL_SIM,
        "tls.enabled": False,
        "storage": {"message_store": "memory", "journal_dir": "j"},
        "quickfix": {"inbound_validation": "strict", "check_comp_id": True},
    }
    d = initiator_plan(load_config(write_config(changes))).defaults
    assert not any(k.startswith(("SSL", "Certification")) for k in d)
    assert "FileStorePath" not in d and "FileLogPath" not in d
    assert (d["ValidateUserDefinedFields"], d["AllowUnknownMsgFields"], d["CheckCompID"]) == ("Y", "N", "Y")


def test_auto_ports_must_be_resolved_before_building():
    cfg = load_config(REPO / "config" / "local-sim.yaml")
    with pytest.raises(ConfigError, match=r"sessions\.NR\.port: is 'auto' .*with_endpoints"):
        quickfix_settings(cfg)
    assert "SocketConnectPort=auto" in settings_text(cfg)
    resolved = cfg.with_endpoints(ports={"NR": 41000, "DC": 41001, "RT": 41002, "PT": 41003})
    assert by_target(initiator_plan(resolved))["KalshiNR"]["SocketConnectPort"] == "41000"


def test_built_settings_match_the_plan(cfg):
    plan = initiator_plan(cfg)
    settings = quickfix_settings(cfg)
    assert isinstance(settings, fix.SessionSettings)
    assert settings.size() == 4
    for session in plan.sessions:
        sid = fix.SessionID(session["BeginString"], session["SenderCompID"], session["TargetCompID"])
        got = settings.get(sid)
        for key, value in {**plan.defaults, **session}.items():
            assert got.getString(key) == value, key
    assert settings.get().getString("SSLProtocol") == plan.defaults["SSLProtocol"]  # TLS lives in [DEFAULT]


def test_text_form(cfg):
    text = settings_text(cfg, ["NR"])
    sections = text.split("\n\n")
    assert sections[0].startswith("[DEFAULT]\nConnectionType=initiator\n")
    assert sections[1].splitlines()[:4] == ["[SESSION]", "BeginString=FIXT.1.1", f"SenderCompID={NR_KEY}", "TargetCompID=KalshiNR"]
    assert text.count("[SESSION]") == 1


def test_session_ids(cfg):
    ids = session_ids(cfg, ["NR"])
    sid = fix.SessionID("FIXT.1.1", NR_KEY, "KalshiNR")
    assert list(ids.values()) == [sid.toString()]


def test_acceptor_plan_for_the_simulator(tmp_path):
    cert, key = tmp_path / "s.crt", tmp_path / "s.key"
    plan = acceptor_plan(
        [
            AcceptorSession(9001, "KalshiNR", NR_KEY, "NR"),
            AcceptorSession(9003, "KalshiRT", RT_KEY, "RT", extra={"HeartBtInt": "30"}),
        ],
        cert_file=cert,
        key_file=key,
        store_dir=tmp_path / "store",
    )
    d = plan.defaults
    assert d["ConnectionType"] == "acceptor"
    assert (d["ServerCertificateFile"], d["ServerCertificateKeyFile"]) == (str(cert), str(key))
    assert d["SSLProtocol"] == "all -SSLv2 -SSLv3 -TLSv1 -TLSv1_1"
    assert (d["CheckCompID"], d["ValidateUserDefinedFields"], d["FileStorePath"]) == ("Y", "Y", str(tmp_path / "store"))
    nr, rt = plan.sessions
    assert (nr["SenderCompID"], nr["TargetCompID"], nr["SocketAcceptPort"]) == ("KalshiNR", NR_KEY, "9001")
    assert (nr["ResetOnLogout"], nr["ResetOnDisconnect"]) == ("Y", "Y")
    assert (rt["ResetOnLogout"], rt["ResetOnDisconnect"], rt["HeartBtInt"]) == ("N", "N", "30")


def test_acceptor_settings_build_without_tls():
    settings = acceptor_settings([AcceptorSession(9001, "KalshiNR", NR_KEY)])
    sid = fix.SessionID("FIXT.1.1", "KalshiNR", NR_KEY)
    assert settings.get(sid).getString("SocketAcceptPort") == "9001"
    assert not settings.get().has("ServerCertificateFile")


def test_acceptor_plan_accepts_plain_tuples():
    plan = acceptor_plan([(9005, "KalshiDC", DC_KEY, "DC")])
    (dc,) = plan.sessions
    assert (dc["SocketAcceptPort"], dc["SenderCompID"], dc["TargetCompID"], dc["ResetOnDisconnect"]) == (
        "9005",
        "KalshiDC",
        DC_KEY,
        "Y",
    )


class _App(fix.Application):
    """Never started: only onCreate runs (during construction). Bodies cannot raise."""

    def onCreate(self, session_id):
        return None

    def onLogon(self, session_id):
        return None

    def onLogout(self, session_id):
        return None

    def toAdmin(self, message, session_id):
        return None

    def fromAdmin(self, message, session_id):
        return None

    def toApp(self, message, session_id):
        return None

    def fromApp(self, message, session_id):
        return None


class _Owner:
    """Stands in for a connection object whose application points back at it (a reference cycle)."""

    def __init__(self, cfg):
        self.app = _App()
        self.app.owner = self
        self.parts = build_initiator(cfg, self.app, ["NR"], dictionaries=stock_spec_paths())


def test_second_live_initiator_for_the_same_session_is_refused(plain_cfg):
    first = build_initiator(plain_cfg, _App(), ["NR"], dictionaries=stock_spec_paths())
    with pytest.raises(DuplicateSessionError, match=f"session FIXT.1.1:{NR_KEY}->KalshiNR already belongs to a live initiator"):
        build_initiator(plain_cfg, _App(), ["NR"], dictionaries=stock_spec_paths())
    del first
    owner = _Owner(plain_cfg)  # allowed once the first is gone; its app points back at it (a cycle)
    assert isinstance(owner.parts.initiator, fix.SocketInitiator)
    del owner  # only the cyclic collector can free it: build_initiator collects before refusing
    assert build_initiator(plain_cfg, _App(), ["NR"], dictionaries=stock_spec_paths()).initiator is not None

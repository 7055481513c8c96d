"""A minimal Kalshi-like QuickFIX acceptor for session-layer tests (real sockets, ephemeral ports).

It verifies the Logon signature with fixengine.auth.verify_logon over the received 52/34/49/56,
checks 141/1137/98/108, and can be told to refuse logons with a given Logout text. It records the
Logon messages it saw so tests can assert on the exact fields.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from pathlib import Path

import quickfix as fix

from fixengine.auth import generate_private_key, load_public_key, private_key_pem, verify_logon, write_key_pair
from fixengine.config import AcceptorSession, acceptor_settings, stock_spec_paths, spec_paths

CLIENT_YAML = """\
environment: local-sim
host: 127.0.0.1
market_data_host: 127.0.0.1
rest_base_url: auto
tls:
  enabled: false
sessions:
{sessions}
storage:
  message_store: {store}
  store_dir: {dir}/store
  journal_dir: {dir}/journal
risk:
  max_order_qty: {max_order_qty}
  max_order_notional: 1000.00
  max_position_per_market: 1000
  max_position_total: 5000
  max_open_orders: 50
  price_collar: 0.20
  daily_loss_limit: 100.00
rate_limit:
  tier: {tier}
reconnect:
  initial_delay_s: {initial_delay}
  max_delay_s: 2
  multiplier: 2
quickfix:
  inbound_validation: lenient
  check_comp_id: false
"""

SESSION_YAML = """\
  {kind}:
    port: auto
    api_key_id: {key_id}
    private_key: {key_path}
    heartbeat: 30
{reset}    logon:
{logon}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dictionaries() -> tuple[Path, Path]:
    transport, app = spec_paths()
    if transport.is_file() and app.is_file():
        return transport, app
    return stock_spec_paths()


def make_key(tmp: Path, name: str = "client"):
    key = generate_private_key()
    path = tmp / f"{name}.key.pem"
    path.write_bytes(private_key_pem(key))
    return str(uuid.uuid4()), key, path


def make_keyring(folder: Path, names) -> dict[str, tuple[str, Path, Path]]:
    """A fresh key pair per name, written in `folder`: name -> (key_id, private PEM path, public PEM path)."""
    ring = {}
    for name in names:
        priv, pub = folder / f"{name}.key.pem", folder / f"{name}.pub.pem"
        write_key_pair(priv, pub)
        ring[name] = (str(uuid.uuid4()), priv, pub)
    return ring


def sim_key(ring: dict, name: str) -> dict:
    """The simulator-config entry (users[].keys[]) for keyring[name]: read and write scopes."""
    return {"key_id": ring[name][0], "public_key": str(ring[name][2]), "scopes": ["read", "write"]}


def write_client_config(tmp: Path, sessions: dict, *, store: str = "file", tier: str = "Premier",
                        initial_delay: float = 0.2, max_order_qty: int = 100) -> Path:
    """sessions: kind -> (key_id, key_path, logon dict, reset_on_logon or None)."""
    blocks = []
    for kind, (key_id, key_path, logon, reset) in sessions.items():
        logon_lines = "".join(f"      {k}: {str(v).lower() if isinstance(v, bool) else v}\n" for k, v in logon.items())
        reset_line = "" if reset is None else f"    reset_on_logon: {str(reset).lower()}\n"
        blocks.append(SESSION_YAML.format(kind=kind, key_id=key_id, key_path=key_path, reset=reset_line,
                                          logon=logon_lines or "      use_dollars: true\n"))
    text = CLIENT_YAML.format(sessions="".join(blocks), store=store, dir=tmp, tier=tier,
                              initial_delay=initial_delay, max_order_qty=max_order_qty)
    path = tmp / "client.yaml"
    path.write_text(text)
    return path


class VerifyingAcceptorApp(fix.Application):
    """Every callback is wrapped: an exception escaping here would kill the test process."""

    def __init__(self, public_key) -> None:
        super().__init__()
        self.public_key = public_key
        self.logons: list[dict[int, str]] = []
        self.refuse_text: str | None = None
        self.logged_on = threading.Event()
        self.received: list[str] = []
        self.errors: list[str] = []
        self.logon_count = 0

    def onCreate(self, sid):  # noqa: N802
        pass

    def onLogon(self, sid):  # noqa: N802
        self.logon_count += 1
        self.logged_on.set()

    def onLogout(self, sid):  # noqa: N802
        self.logged_on.clear()

    def toAdmin(self, msg, sid):  # noqa: N802
        pass

    def toApp(self, msg, sid):  # noqa: N802
        pass

    def fromApp(self, msg, sid):  # noqa: N802
        try:
            self.received.append(msg.toString())
        except Exception as exc:  # noqa: BLE001
            self.errors.append(repr(exc))

    def fromAdmin(self, msg, sid):  # noqa: N802
        reason = None
        try:
            if msg.getHeader().getField(35) != "A":
                return
            header = msg.getHeader()
            fields = {t: header.getField(t) for t in (34, 49, 52, 56)}
            for tag in (95, 96, 98, 108, 141, 1137, 8013, 21005, 21011, 21012, 21026, 21008):
                if msg.isSetField(tag):
                    fields[tag] = msg.getField(tag)
            self.logons.append(fields)
            if not verify_logon(self.public_key, fields.get(96, ""), fields[52], fields[34], fields[49], fields[56]):
                reason = "signature verification failed"
            elif fields.get(98) != "0" or fields.get(1137) != "9":
                reason = "bad 98/1137"
            elif self.refuse_text:
                reason = self.refuse_text
        except Exception as exc:  # noqa: BLE001
            self.errors.append(repr(exc))
            reason = "acceptor error"
        if reason:
            raise fix.RejectLogon(reason)


class KalshiTestAcceptor:
    """One session (KalshiNR by default) for one client key, on a free loopback port."""

    def __init__(self, tmp: Path, client_key_id: str, public_key, *, target: str = "KalshiNR", kind: str = "NR") -> None:
        self.port = free_port()
        self.app = VerifyingAcceptorApp(load_public_key(public_key))
        self.settings = acceptor_settings(
            [AcceptorSession(self.port, target, client_key_id, kind=kind)],
            validation="lenient", dictionaries=dictionaries(),
        )
        self.store = fix.MemoryStoreFactory()
        self.acceptor = fix.ThreadedSocketAcceptor(self.app, self.store, self.settings)
        self.acceptor.start()

    def stop(self) -> None:
        self.acceptor.stop(True)

    def wait(self, predicate, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.01)
        return predicate()

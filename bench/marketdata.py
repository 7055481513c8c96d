"""KalshiMD IncrementalRefresh: messages applied per second end to end, beside the bare parse rate.

    .venv/bin/python bench/marketdata.py            # 200,000 messages
    .venv/bin/python bench/marketdata.py --quick    # 20,000 messages, a few seconds

Rows, all in the same run over the same pre-built X messages (two entries each: one level change
on each side of a market, 100 markets on the linear_cent grid):
  (a) bare parse        fixengine.md.wire.parse_incremental on the raw text
  (b) parse + apply     MarketDataClient.on_incremental: parse, consistency checks, one numba batch
                        per message, top-of-book callback
  (c) end to end        a QuickFIX acceptor in a child process (own CPU and GIL) sends the messages
                        on a KalshiMD session after the client's 263=1 request; the client session
                        (MarketDataSession, threaded) applies them to the book; rate = messages /
                        (last applied - first applied)
Prints a Markdown table. Not a test: it reports, it does not assert goals.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from _common import READY, machine_lines, markdown_table

N_MARKETS = 100
SOH = "\x01"


def tickers() -> list[str]:
    return [f"KXBENCH-M{i:03d}" for i in range(N_MARKETS)]


def body(i: int) -> str:
    """The application body of message i: change the bid and the offer of market i % N."""
    t = tickers()[i % N_MARKETS]
    bid = 100 + (i // N_MARKETS) % 40 * 100  # never reaches the offers (>= 5000)
    size = 1 + i % 97
    return (f"268=2{SOH}279=1{SOH}55={t}{SOH}269=0{SOH}270=0.4000{SOH}271={size}.00{SOH}272=20260825{SOH}"
            f"273=15:00:56.198{SOH}279=1{SOH}55={t}{SOH}269=1{SOH}270=0.6000{SOH}271={size + bid // 100}.00{SOH}"
            f"272=20260825{SOH}273=15:00:56.198{SOH}")


def raw(i: int) -> str:
    return f"8=FIXT.1.1{SOH}9=0{SOH}35=X{SOH}49=KalshiMD{SOH}56=k{SOH}34={i + 2}{SOH}{body(i)}10=000{SOH}"


def snapshot_raw(t: str) -> str:
    return (f"35=W{SOH}55={t}{SOH}268=2{SOH}269=0{SOH}270=0.4000{SOH}271=1.00{SOH}269=1{SOH}270=0.6000{SOH}"
            f"271=1.00{SOH}10=000{SOH}")


def new_client(send=None):
    from fixengine.md import MarketDataClient

    tops = [0]
    client = MarketDataClient(send, on_top=lambda s, t: tops.__setitem__(0, tops[0] + 1))
    return client, tops


def bare_parse(messages: list[str]) -> float:
    from fixengine.md.wire import parse_incremental

    t0 = time.perf_counter()
    for m in messages:
        parse_incremental(m)
    return len(messages) / (time.perf_counter() - t0)


def parse_and_apply(messages: list[str]) -> float:
    client, _ = new_client()
    for t in tickers():
        client.subscribe([t])
        client.on_snapshot(snapshot_raw(t))
    on_incremental = client.on_incremental
    t0 = time.perf_counter()
    for m in messages:
        on_incremental(m)
    rate = len(messages) / (time.perf_counter() - t0)
    assert client.inconsistencies == 0, client.inconsistencies
    return rate


# --------------------------------------------------------------------- end to end
def serve(spec_file: str) -> None:
    """Child: a bare KalshiMD acceptor; on a 263=1 request send snapshots, then `n` X messages."""
    import quickfix as fix

    from fixengine.config import AcceptorSession, acceptor_settings, spec_paths

    spec = json.loads(Path(spec_file).read_text())
    n = spec["n"]

    class App(fix.Application):
        def onCreate(self, sid):  # noqa: N802
            self.sid = sid

        def onLogon(self, sid):  # noqa: N802
            pass

        def onLogout(self, sid):  # noqa: N802
            pass

        def toAdmin(self, msg, sid):  # noqa: N802
            pass

        def fromAdmin(self, msg, sid):  # noqa: N802
            pass

        def toApp(self, msg, sid):  # noqa: N802
            pass

        def fromApp(self, msg, sid):  # noqa: N802
            try:
                if msg.getHeader().getField(35) == "V" and msg.getField(263) == "1":
                    threading.Thread(target=self.blast, daemon=True).start()
            except Exception as exc:  # noqa: BLE001 - an escaping exception kills the process
                print("error", exc, file=sys.stderr)

        def blast(self):
            try:
                for t in tickers():
                    fix.Session.sendToTarget(_build("W", snapshot_raw(t)), self.sid)
                for msg in prebuilt:
                    fix.Session.sendToTarget(msg, self.sid)
            except Exception as exc:  # noqa: BLE001
                print("error", repr(exc), file=sys.stderr)

    prebuilt = [_build("X", body(i)) for i in range(n)]
    app = App()
    settings = acceptor_settings([AcceptorSession(spec["port"], "KalshiMD", spec["key_id"], kind="MD")],
                                 validation="lenient", dictionaries=spec_paths())
    acceptor = fix.ThreadedSocketAcceptor(app, fix.MemoryStoreFactory(), settings)
    acceptor.start()
    print(READY + json.dumps({"port": spec["port"]}), flush=True)
    sys.stdin.read()
    acceptor.stop()


def _build(msg_type: str, text: str):
    """A quickfix Message from the body text: top-level fields, then NoMDEntries(268) rows."""
    import quickfix as fix

    msg = fix.Message()
    msg.getHeader().setField(35, msg_type)
    row = None
    delimiter = "279" if msg_type == "X" else "269"
    for part in text.split(SOH):
        tag, sep, value = part.partition("=")
        if not sep or tag in ("35", "10", "268"):
            continue
        if tag == delimiter:
            if row is not None:
                msg.addGroup(row)
            row = fix.Group(268, int(delimiter))
        (row if row is not None else msg).setField(int(tag), value)
    if row is not None:
        msg.addGroup(row)
    return msg


def end_to_end(n: int) -> tuple[float, int]:
    import socket

    from fixengine.auth import generate_private_key, private_key_pem
    from fixengine.config import load_config
    from fixengine.md.session import MarketDataSession

    folder = Path(tempfile.mkdtemp(prefix="mdbench-"))
    key_id = str(uuid.uuid4())
    key_path = folder / "k.pem"
    key_path.write_bytes(private_key_pem(generate_private_key()))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    spec = folder / "spec.json"
    spec.write_text(json.dumps({"n": n, "key_id": key_id, "port": port}))
    child = subprocess.Popen([sys.executable, __file__, "--serve", str(spec)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        if not line.startswith(READY):
            raise RuntimeError(f"bench acceptor did not start: {line!r}")
        cfg = load_config(_client_yaml(folder, key_id, key_path)).with_endpoints(ports={"MD": port})
        done = threading.Event()
        marks: list[float] = []
        client, _ = new_client()
        apply_entries = client.apply_entries

        def counted(entries):
            apply_entries(entries)
            if not marks:
                marks.append(time.perf_counter())
            client.count = getattr(client, "count", 0) + 1
            if client.count == n:
                marks.append(time.perf_counter())
                done.set()

        client.apply_entries = counted
        session = MarketDataSession(cfg, client)
        session.start()
        session.wait_logon(timeout=15)
        client.subscribe(tickers())
        if not done.wait(timeout=max(60.0, n / 2000)):
            raise RuntimeError(f"only {getattr(client, 'count', 0)} of {n} messages arrived")
        session.stop()
        return (n - 1) / (marks[1] - marks[0]), client.inconsistencies
    finally:
        child.stdin.close()
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _client_yaml(folder: Path, key_id: str, key_path: Path) -> Path:
    path = folder / "client.yaml"
    path.write_text(f"""environment: local-sim
host: 127.0.0.1
market_data_host: 127.0.0.1
rest_base_url: auto
tls:
  enabled: false
sessions:
  MD:
    port: auto
    api_key_id: {key_id}
    private_key: {key_path}
    heartbeat: 30
storage:
  message_store: memory
  store_dir: {folder}/store
  journal_dir: {folder}/journal
risk:
  max_order_qty: 100
  max_order_notional: 1000.00
  max_position_per_market: 1000
  max_position_total: 5000
  max_open_orders: 50
  price_collar: 0.20
  daily_loss_limit: 100.00
rate_limit:
  tier: Basic
quickfix:
  inbound_validation: lenient
""")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 messages instead of 200,000")
    parser.add_argument("--serve", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return 0
    n = 20_000 if args.quick else 200_000
    messages = [raw(i) for i in range(n)]
    parse_rate = bare_parse(messages)
    apply_rate = parse_and_apply(messages)
    e2e_rate, bad = end_to_end(n)
    print(f"# KalshiMD incremental refresh: {n:,} X messages, 2 entries each, {N_MARKETS} markets\n")
    print(machine_lines() + "\n")
    print(markdown_table(["case", "messages/s", "µs/message", "vs bare parse"], [
        ["(a) bare parse (wire.parse_incremental)", f"{parse_rate:,.0f}", f"{1e6 / parse_rate:.2f}", "1.00x"],
        ["(b) parse + apply to the numba book", f"{apply_rate:,.0f}", f"{1e6 / apply_rate:.2f}",
         f"{apply_rate / parse_rate:.2f}x"],
        ["(c) end to end: socket -> QuickFIX -> book", f"{e2e_rate:,.0f}", f"{1e6 / e2e_rate:.2f}",
         f"{e2e_rate / parse_rate:.2f}x"],
    ]))
    print(f"\ninconsistencies seen end to end: {bad}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    raise SystemExit(main())

"""`fixengine sim ...`: run the simulator in the foreground, or talk to a running one.

    fixengine sim --config config/simulator.yaml [--admin-port 8299] [--settlement-page-size 100]
    fixengine sim admin books|orders|sessions|stats [--user ID] [--open]
    fixengine sim admin pause|resume [--symbol T] [--exchange]
    fixengine sim admin close --symbol T
    fixengine sim admin determine --symbol T --result yes|no|scalar [--price 0.3060]
    fixengine sim admin settle --symbol T [--result yes|no|scalar] [--price 0.3060]
    fixengine sim admin add-liquidity --user ID --symbol T --side buy|sell --price 0.56 --qty 10
    fixengine sim admin drop-session --key KEY
    fixengine sim admin delay --key KEY --ms 250
    fixengine sim admin drop-outbound --key KEY [--count 1] [--msg-type 8]
    fixengine sim admin freeze|unfreeze --key KEY
"""

from __future__ import annotations

import argparse
import json
import signal
import threading

from fixengine.sim.admin import DEFAULT_ADMIN_PORT, admin_request
from fixengine.sim.gateway.settlement import DEFAULT_PAGE_SIZE


def register(subparsers: argparse._SubParsersAction) -> None:
    sim = subparsers.add_parser("sim", help="run the Kalshi exchange simulator, or administer a running one")
    sim.add_argument("--config", default="config/simulator.yaml", help="simulator YAML (default: %(default)s)")
    sim.add_argument("--admin-port", type=int, default=DEFAULT_ADMIN_PORT,
                     help="loopback port of the admin API (0 = ephemeral; default: %(default)s)")
    sim.add_argument("--settlement-page-size", type=int, default=DEFAULT_PAGE_SIZE,
                     help="party entries per settlement report page (35=UMS; default: %(default)s)")
    sim.set_defaults(func=_run)
    actions = sim.add_subparsers(dest="sim_command", metavar="admin")
    admin = actions.add_parser("admin", help="commands for a running simulator (admin API on loopback)")
    admin.add_argument("--admin-port", type=int, default=DEFAULT_ADMIN_PORT, dest="port")
    cmds = admin.add_subparsers(dest="admin_command", metavar="COMMAND")
    cmds.required = True
    for name, helptext in (("books", "markets and their order books"), ("orders", "orders of one or all users"),
                           ("sessions", "live FIX connections"), ("stats", "gateway counters")):
        p = cmds.add_parser(name, help=helptext)
        if name == "orders":
            p.add_argument("--user")
            p.add_argument("--open", action="store_true", help="open orders only")
        p.set_defaults(func=_get)
    for name in ("pause", "resume"):
        p = cmds.add_parser(name, help=f"{name} trading (one market or all)")
        p.add_argument("--symbol")
        if name == "pause":
            p.add_argument("--exchange", action="store_true", help="full exchange pause (cancels refused too)")
        p.set_defaults(func=_post)
    p = cmds.add_parser("close", help="close a market (open orders are canceled)")
    p.add_argument("--symbol", required=True)
    p.set_defaults(func=_post)
    for name, helptext in (("determine", "record a market's result (closes it first)"),
                           ("settle", "settle a market: pay out positions, send settlement reports")):
        p = cmds.add_parser(name, help=helptext)
        p.add_argument("--symbol", required=True)
        p.add_argument("--result", required=name == "determine", choices=("yes", "no", "scalar"))
        p.add_argument("--price", help="YES value in dollars, e.g. 0.3060 (scalar results)")
        p.set_defaults(func=_post)
    p = cmds.add_parser("add-liquidity", help="rest an order as another account")
    for arg in ("--user", "--symbol", "--side", "--price", "--qty"):
        p.add_argument(arg, required=True)
    p.set_defaults(func=_post)
    for name, helptext in (("drop-session", "cut a key's connection without Logout"),
                           ("delay", "delay outbound messages of a key"),
                           ("drop-outbound", "drop the next outbound messages of a key"),
                           ("freeze", "half-open: stop passing bytes (heartbeats time out)"),
                           ("unfreeze", "undo freeze")):
        p = cmds.add_parser(name, help=helptext)
        p.add_argument("--key", required=True)
        if name == "delay":
            p.add_argument("--ms", type=float, required=True)
        if name == "drop-outbound":
            p.add_argument("--count", type=int, default=1)
            p.add_argument("--msg-type")
        p.set_defaults(func=_post)


def _run(args: argparse.Namespace) -> int:
    from fixengine.sim.server import Simulator

    from fixengine.errors import UserInputError
    from fixengine.sim.gateway import GatewayOptions

    if args.settlement_page_size < 1:
        raise UserInputError(f"--settlement-page-size must be at least 1, got {args.settlement_page_size}")
    sim = Simulator.from_config(args.config, admin_port=args.admin_port,
                                options=GatewayOptions(settlement_page_size=args.settlement_page_size))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with sim:
        for kind, port in sim.ports.items():
            print(f"Kalshi{kind}: {sim.config.listen_host}:{port}" + (" (TLS)" if sim.tls_cert else ""))
        if sim.tls_cert:
            print(f"server certificate: {sim.tls_cert}")
        if sim.rest is not None:
            print(f"REST: {sim.rest.url}")
        print(f"admin API: http://127.0.0.1:{sim.admin_port}", flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0


def _get(args: argparse.Namespace) -> int:
    path = "/" + args.admin_command
    if args.admin_command == "orders":
        query = [f"user={args.user}"] if args.user else []
        if args.open:
            query.append("open=1")
        path += ("?" + "&".join(query)) if query else ""
    print(json.dumps(admin_request(args.port, path), indent=2))
    return 0


def _post(args: argparse.Namespace) -> int:
    cmd = args.admin_command
    body: dict = {}
    if cmd in ("pause", "resume", "close"):
        if args.symbol:
            body["symbol"] = args.symbol
        if cmd == "pause" and args.exchange:
            body["kind"] = "exchange"
    elif cmd in ("determine", "settle"):
        body = {"symbol": args.symbol}
        if args.result:
            body["result"] = args.result
        if args.price:
            body["price"] = args.price
    elif cmd == "add-liquidity":
        body = {"user": args.user, "symbol": args.symbol, "side": args.side, "price": args.price, "qty": args.qty}
    else:
        body["key"] = args.key
        if cmd == "delay":
            body["ms"] = args.ms
        elif cmd == "drop-outbound":
            body.update(count=args.count, msg_type=args.msg_type)
        elif cmd in ("freeze", "unfreeze"):
            body["on"] = cmd == "freeze"
            cmd = "freeze"
    print(json.dumps(admin_request(args.port, "/" + cmd, body), indent=2))
    return 0

"""Admin interface of a running simulator: a small JSON HTTP API on loopback, and its client.

    GET  /books                      every market with its YES/NO bid levels
    GET  /orders?user=<id>[&open=1]  orders of a user (all users when omitted)
    GET  /sessions                   live gate connections and their flags
    GET  /stats                      gateway counters (refused logons, lost reports, errors ...)
    POST /pause    {"symbol"?: str, "kind"?: "trading"|"exchange"}
    POST /resume   {"symbol"?: str}
    POST /close    {"symbol": str}
    POST /determine {"symbol": str, "result": "yes"|"no"|"scalar", "price"?: "0.3060"}
    POST /settle    {"symbol": str, "result"?: ..., "price"?: "0.3060"}   (determines first if needed)
    POST /add-liquidity {"user": str, "symbol": str, "side": "buy"|"sell"|"1"|"2",
                         "price": "0.5600", "qty": "10"}
    POST /drop-session  {"key": str}
    POST /delay         {"key": str, "ms": number}
    POST /drop-outbound {"key": str, "count": int, "msg_type"?: str}
    POST /freeze        {"key": str, "on"?: bool}

Every answer is JSON; errors are {"error": "..."} with status 400/404.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import urllib.error
import urllib.request
from datetime import datetime
from enum import Enum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from fixengine.errors import FixEngineError, UserInputError
from fixengine.model import Side
from fixengine.pricing import (PricingError, format_money, format_qty, parse_order_price_dollars, parse_order_qty,
                               parse_price_dollars)
from fixengine.sim.exchange.events import MarketSettled

DEFAULT_ADMIN_PORT = 8299


class AdminError(FixEngineError):
    """The admin API could not be reached or refused the command."""


def to_json(value):
    """Exchange records (dataclasses, enums, datetimes, tuples) as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_json(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _side(text: str) -> Side:
    table = {"buy": Side.BUY, "1": Side.BUY, "yes": Side.BUY, "sell": Side.SELL, "2": Side.SELL, "no": Side.SELL}
    try:
        return table[str(text).lower()]
    except KeyError:
        raise UserInputError(f"side must be buy or sell, got {text!r}") from None


class AdminServer:
    def __init__(self, sim, port: int = 0, host: str = "127.0.0.1") -> None:
        self.sim = sim
        handler = type("Handler", (_Handler,), {"sim": sim})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="sim-admin", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    sim = None

    def log_message(self, fmt, *args) -> None:  # quiet: the simulator logs what matters
        return

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        routes = {"/books": self._books, "/orders": self._orders, "/sessions": self._sessions,
                  "/stats": lambda query: self.sim.gateway.stats()}
        self._answer(routes.get(url.path), query)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return self._send(400, {"error": "body must be JSON"})
        routes = {
            "/pause": lambda b: self.sim.pause(b.get("symbol"), b.get("kind", "trading")),
            "/resume": lambda b: self.sim.resume(b.get("symbol")),
            "/close": lambda b: self.sim.close_market(_need(b, "symbol")),
            "/determine": lambda b: self.sim.determine_market(_need(b, "symbol"), _need(b, "result"),
                                                              _yes_price(b)),
            "/settle": self._settle,
            "/add-liquidity": self._add_liquidity,
            "/drop-session": lambda b: {"connections": self.sim.drop_session(_need(b, "key"))},
            "/delay": lambda b: {"connections": self.sim.delay_outbound(_need(b, "key"), float(b.get("ms", 0)))},
            "/drop-outbound": lambda b: {"connections": self.sim.drop_outbound(
                _need(b, "key"), int(b.get("count", 1)), b.get("msg_type"))},
            "/freeze": lambda b: {"connections": self.sim.freeze(_need(b, "key"), bool(b.get("on", True)))},
        }
        self._answer(routes.get(urlsplit(self.path).path), body if isinstance(body, dict) else {})

    def _answer(self, route, arg) -> None:
        if route is None:
            return self._send(404, {"error": f"unknown path {self.path}"})
        try:
            result = route(arg)
        except (UserInputError, PricingError, ValueError, KeyError, TypeError) as exc:
            return self._send(400, {"error": str(exc)})
        except Exception as exc:  # noqa: BLE001 - report, never kill the admin thread
            return self._send(500, {"error": f"{type(exc).__name__}: {exc}"})
        if isinstance(result, list):
            result = {"events": [type(e).__name__ for e in result]} if result and _is_event(result[0]) else result
        self._send(200, to_json(result))

    def _send(self, status: int, payload) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    # ---- routes
    def _books(self, query):
        ex = self.sim.exchange
        return [{"market": to_json(m), "book": to_json(ex.orderbook(m.ticker))} for m in ex.markets()]

    def _orders(self, query):
        ex = self.sim.exchange
        users = [query["user"]] if "user" in query else [u.user_id for u in self.sim.config.users]
        open_only = query.get("open") in ("1", "true", "yes")
        return [to_json(o) for user in users for o in ex.orders(user, open_only=open_only)]

    def _sessions(self, query):
        return self.sim.gateway.connections()

    def _add_liquidity(self, body):
        price = parse_order_price_dollars(str(_need(body, "price")))
        qty = parse_order_qty(str(_need(body, "qty")))
        events = self.sim.add_liquidity(_need(body, "user"), _need(body, "symbol"), _side(_need(body, "side")),
                                        price, qty)
        return {"events": [type(e).__name__ for e in events],
                "order_id": next((e.order.order_id for e in events if hasattr(e, "order")), None),
                "rejected": next((e.text for e in events if type(e).__name__ == "OrderRejected"), None)}


    def _settle(self, body):
        events = self.sim.settle_market(_need(body, "symbol"), body.get("result") or None, _yes_price(body))
        settled = [e for e in events if isinstance(e, MarketSettled)]
        return {"events": [type(e).__name__ for e in events],
                "settlements": [_settlement_json(entry) for e in settled for entry in e.entries]}


def _yes_price(body: dict) -> int | None:
    """Optional settlement value of one YES contract, dollars text ("0.3060") -> exact price units."""
    text = body.get("price")
    if text in (None, ""):
        return None
    return parse_price_dollars(str(text))


def _settlement_json(entry) -> dict:
    return {"user": entry.user_id, "subaccount": entry.subaccount, "result": entry.result,
            "yes": format_qty(entry.long_qty), "no": format_qty(entry.short_qty),
            "payout": format_money(entry.payout, 2), "fee": format_money(entry.fee, 2)}


def _is_event(value) -> bool:
    return hasattr(value, "exec_id")


def _need(body: dict, name: str):
    if body.get(name) in (None, ""):
        raise UserInputError(f"missing {name!r}")
    return body[name]


# ---------------------------------------------------------------------------- client


def admin_request(port: int, path: str, body: dict | None = None, host: str = "127.0.0.1", timeout: float = 10.0):
    """Call the admin API of a running simulator; returns the decoded JSON answer."""
    url = f"http://{host}:{port}{path}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read()).get("error", exc.reason)
        except ValueError:
            detail = exc.reason
        raise AdminError(f"{path}: {detail}") from None
    except OSError as exc:
        raise AdminError(f"cannot reach the simulator admin API at {url}: {exc}") from None

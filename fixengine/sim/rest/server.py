"""The simulator's REST face on a loopback port: stdlib ThreadingHTTPServer around RestFace.

HTTP/1.1 with keep-alive (every reply has Content-Length), JSON bodies, gzip when the
client asks for it (Kalshi honours Accept-Encoding: gzip). One extra route outside the
Kalshi API, ``POST /_sim/faults`` with ``{"status": 429, "count": 3}``, lets an operator or
a test in another process inject failures; in-process callers use
``handle.inject_failures(status, count)``.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fixengine.sim.rest.app import PREFIX, RestAccount, RestFace
from fixengine.sim.rest.shapes import error_json

ADMIN_FAULTS = "/_sim/faults"
_MAX_ADMIN_BODY = 4096


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, keep-alive clients wait for a
    # delayed ACK (~40 ms) on every response.
    disable_nagle_algorithm = True
    server_version = "fixengine-sim-rest/0.1"
    face: RestFace  # set on the per-server subclass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return  # the face keeps its own request log; stderr noise helps nobody

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, body = self.face.handle("GET", parts.path, parse_qs(parts.query, keep_blank_values=True),
                                        headers, self.client_address[0])
        self._reply(status, body)

    def do_POST(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(length, _MAX_ADMIN_BODY)) if length else b""
        if parts.path != ADMIN_FAULTS:
            self._reply(405, error_json("method_not_allowed", "this simulator serves reads only"))
            return
        if not ipaddress.ip_address(self.client_address[0]).is_loopback:
            self._reply(403, error_json("forbidden", "fault injection is loopback-only"))
            return
        try:
            data = json.loads(raw or b"{}")
            self.face.inject_failures(int(data["status"]), int(data.get("count", 1)))
        except (ValueError, KeyError, TypeError) as exc:
            self._reply(400, error_json("bad_request", f"faults: {exc}"))
            return
        self._reply(200, {"ok": True})

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Malformed HTTP: a JSON error body with a real status line, then close."""
        self.close_connection = True
        if self.request_version == "HTTP/0.9":  # unparseable request line: answer as 1.1
            self.request_version = "HTTP/1.1"
        codes = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
                 414: "request_uri_too_long", 431: "request_header_fields_too_large",
                 501: "not_implemented"}
        self._reply(code, error_json(codes.get(code, "bad_request"), message or "bad request"),
                    close=True)

    def _reply(self, status: int, body: dict[str, Any], close: bool = False) -> None:
        payload = json.dumps(body, separators=(",", ":")).encode()
        headers = getattr(self, "headers", None)  # absent when the request line was garbage
        gz = headers is not None and "gzip" in (headers.get("Accept-Encoding") or "")
        if gz:
            payload = gzip.compress(payload)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if gz:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(payload)))
        if close:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


@dataclass
class RestServerHandle:
    """A running REST face: where it listens, how to stop it, how to make it fail."""

    face: RestFace
    _server: _Server
    _thread: threading.Thread

    @property
    def host(self) -> str:
        return self._server.server_address[0]

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """The base URL a client uses, ending in /trade-api/v2."""
        return f"http://{self.host}:{self.port}{PREFIX}"

    def inject_failures(self, status: int, count: int) -> None:
        self.face.inject_failures(status, count)

    @property
    def request_log(self) -> list[tuple[str, str, int]]:
        return list(self.face.log)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> RestServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_face(face: RestFace, host: str = "127.0.0.1", port: int = 0) -> RestServerHandle:
    """Serve an already built RestFace (tests, custom views)."""
    handler = type("Handler", (_Handler,), {"face": face})
    server = _Server((host, port), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name=f"sim-rest-{server.server_address[1]}", daemon=True)
    thread.start()
    return RestServerHandle(face, server, thread)


def start_rest_server(exchange: Any, sim_config: Any, host: str = "127.0.0.1", port: int = 0,
                      *, accounts: list[RestAccount] | None = None,
                      **face_options: Any) -> RestServerHandle:
    """Start the REST face over the simulator's exchange.

    `exchange` is the simulator's ``Exchange`` (adapted to the read-only view) or any
    object already implementing ``ExchangeView``; accounts (key id, user, public key,
    tier) come from `sim_config` unless given explicitly.
    """
    from fixengine.sim.rest.adapter import accounts_from_config, as_view
    view = as_view(exchange)
    if accounts is None:
        accounts = accounts_from_config(sim_config)
    return serve_face(RestFace(view, accounts, **face_options), host, port)

"""The simulator over real HTTP on 127.0.0.1, with faults applied at the socket level."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.octosim import control, routes_access  # noqa: F401  (registers the users' routes)
from tests.octosim.errors import ApiError
from tests.octosim.formats import iso
from tests.octosim.routes import Request, Response, dispatch, match
from tests.octosim.simulator import Simulator

_SERVER_ERROR_BODY = {
    "ErrorMessage": "An unexpected error occurred in Octopus Server. Please see the server log for details.",
    "Errors": [],
    "FullException": None,
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One small response per request: without this, Nagle + delayed ACK add ~40 ms per keep-alive call.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log under /_sim/requests replaces stderr lines."""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        sim = self.server.sim
        # octopus-api.md §1: the .NET client tunnels PUT/DELETE as POST + X-HTTP-Method-Override.
        method = (self.headers.get("X-HTTP-Method-Override") or method).upper()
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            self._send(Response(400, {"ErrorMessage": "The request body is not valid JSON.", "Errors": []}))
            return
        if path.startswith("/_sim"):
            self._send(control.handle(sim, method, path, query, body))
            return
        entry: dict[str, Any] = {
            "time": iso(sim.clock.now()),
            "method": method,
            "path": path,
            "query": parts.query,
            "route": None,
            "status": None,
            "fault": None,
        }
        try:
            found = match(sim, method, path)
        except ApiError as exc:
            found, response = None, Response(exc.status, exc.body())
        else:
            response = Response(
                404, {"ErrorMessage": "The resource you requested was not found.", "Errors": []}
            )
        route = found[0] if found else f"{method} ?"
        entry["route"] = route
        decision = sim.faults.decide(route)
        if decision.fault_ids:
            entry["fault"] = decision.fault_ids
        if decision.latency:
            self.server.stopping.wait(decision.latency)
        if decision.timeout is not None:
            entry["status"] = "timeout"
            sim.observations.record(entry)
            self.server.stopping.wait(decision.timeout)
            self._drop()
            return
        if decision.status is not None:
            entry["status"] = decision.status
            sim.observations.record(entry)
            self._send(self._fault_response(decision.status, decision.retry_after, decision.body))
            return
        if found is not None:
            name, handler, params, space_id = found
            key = self._api_key(query)
            refusal = sim.access.refusal(key, name)
            user = sim.access.user(key)
            request = Request(method, path, query, body, space_id, params, api_key=key)
            if user is not None:
                request.user = user.username
            if refusal is not None:
                response = Response(refusal.status, refusal.body())
            else:
                response = dispatch(sim, request, handler)
        if decision.lost_response:
            # The work is committed; the client never hears back.
            entry["status"] = "lost"
            sim.observations.record(entry)
            self._drop()
            return
        entry["status"] = response.status
        sim.observations.record(entry)
        self._send(response)

    def _api_key(self, query: dict[str, list[str]]) -> str | None:
        # octopus-api.md §1: the header, or the `apikey` query parameter.
        key = self.headers.get("X-Octopus-ApiKey")
        if key is None:
            key = next((v[-1] for k, v in query.items() if k.lower() == "apikey"), None)
        return key

    @staticmethod
    def _fault_response(status: int, retry_after: int | None, body: Any) -> Response:
        headers = {}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        if body is not None:
            return Response(status, body, headers)
        if status == 500:
            return Response(status, dict(_SERVER_ERROR_BODY), headers)
        if status == 429:
            return Response(
                status, {"ErrorMessage": "Too many requests. Please try again later.", "Errors": []}, headers
            )
        # 502/503/504 come from the proxy in front of Octopus: HTML, not Octopus JSON.
        headers["Content-Type"] = "text/html"
        return Response(status, f"<html><body><h1>{status}</h1>Service unavailable</body></html>", headers)

    def _send(self, response: Response) -> None:
        headers = dict(response.headers)
        if isinstance(response.body, str | bytes):
            data = response.body.encode() if isinstance(response.body, str) else response.body
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        else:
            data = json.dumps(response.body).encode()
            headers.setdefault("Content-Type", "application/json; charset=utf-8")
        try:
            self.send_response(response.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sim: Simulator) -> None:
        super().__init__(address, _Handler)
        self.sim = sim
        self.stopping = threading.Event()


class SimServer:
    """Serves a Simulator on http://127.0.0.1:PORT (0 = any free port); a context manager."""

    def __init__(self, sim: Simulator, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sim = sim
        self._server = _Server((host, port), sim)
        self._thread: threading.Thread | None = None
        self._ticker: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL of the server (clients append /api)."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_key(self) -> str:
        return self.sim.api_key

    def start(self) -> SimServer:
        """Start serving on a background thread (and a ticker when the clock is real)."""
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="octosim-http",
            daemon=True,
        )
        self._thread.start()
        if not self.sim.clock.is_manual:
            self._ticker = threading.Thread(target=self._tick, name="octosim-ticker", daemon=True)
            self._ticker.start()
        return self

    def _tick(self) -> None:
        while not self._server.stopping.wait(0.2):
            self.sim.sync()

    def stop(self) -> None:
        """Stop serving, release hanging connections and the port."""
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self.sim.webhooks.stop()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_closed(self, seconds: float) -> None:
        """Sleep on the server's stop event (for standalone runs)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self._server.stopping.wait(0.5):
            pass

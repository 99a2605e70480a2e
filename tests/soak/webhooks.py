"""The soak's webhook receiver: coord's `POST /api/octopus/events` route served over HTTP on loopback.

It stands for a second Function instance: its own Services (own Octopus and table clients) on
the same tables, answering Octopus's subscription POSTs while ticks run, so webhook advances race
ticks under the same faults. The simulator's subscription delivers some payloads twice, late and
out of order (tests/octosim/webhooks.py).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from coord.bootstrap import Services
from coord.entrypoints.http import feed as routes
from coord.entrypoints.http.messages import Request, serve
from coord.octopus import OctopusError
from coord.store import StoreError

SECRET = "soak-webhook-secret"
HEADER = "X-Coord-Secret"


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 that hands each POST to coord's webhook route."""

    def __init__(self, services: Callable[[], Services]) -> None:
        self._services = services
        self._lock = threading.Lock()  # one delivery at a time, as Octopus sends them
        self.statuses: Counter[int] = Counter()
        self.advanced = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, text = outer.handle(dict(self.headers), body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/octopus/events"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        """One delivery through coord's route, as the Functions host would run it."""
        with self._lock:
            request = Request("POST", headers=headers, body=body)
            response = serve(
                lambda r: routes.octopus_events(r, self._services()),
                request,
                unavailable=(OctopusError, StoreError),
            )
            self.statuses[response.status] += 1
            if response.status == 202:
                self.advanced += len(json.loads(response.body).get("advanced", []))
            return response.status, response.body

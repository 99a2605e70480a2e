"""Subscription webhooks: one POST per event with Octopus's payload (octopus-api.md §5, Holdout 11-13).

Delivery runs on a background thread so a slow receiver never blocks the API. Per subscription,
`duplicate_rate` sends some payloads twice, `out_of_order` delivers each batch in reverse and
`late_rate` holds some payloads back until the simulated clock has moved `late_seconds` on,
because Octopus guarantees neither once-only, nor ordered, nor prompt delivery.
"""

from __future__ import annotations

import json
import random
import threading
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tests.octosim.formats import iso

if TYPE_CHECKING:
    from tests.octosim.model import Event, Subscription
    from tests.octosim.simulator import Simulator


@dataclass
class Delivery:
    """One attempted POST: where, which event, and the HTTP status (None when it could not connect)."""

    url: str
    event_id: str
    category: str
    status: int | None
    error: str | None = None
    late: bool = False


@dataclass
class _Request:
    """A payload ready to POST, and the simulated time from which it may be sent."""

    subscription: Subscription
    event: Event
    payload: dict[str, Any]
    due: datetime | None = None


def _timeout_seconds(span: str) -> float:
    hours, minutes, seconds = (float(x) for x in span.split(":"))
    return hours * 3600 + minutes * 60 + seconds


class WebhookDispatcher:
    """Queues events for the world's subscriptions and POSTs them from a worker thread."""

    def __init__(self, sim: Simulator, seed: int = 0) -> None:
        self._sim = sim
        self._pending: list[Event] = []
        self._held: list[_Request] = []  # late payloads waiting for their time
        self._ready: list[_Request] = []  # late payloads whose time has come
        self._wake = threading.Condition()
        self._random = random.Random(seed)
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._busy = False
        self.deliveries: list[Delivery] = []

    def enqueue(self, event: Event) -> None:
        """Remember an event for delivery (called under the simulator's lock)."""
        if any(not s.is_disabled for s in self._sim.subscriptions.values()):
            self._pending.append(event)

    def kick(self) -> None:
        """Wake the worker (starting it on first use) when events are waiting."""
        with self._sim.lock:
            now = self._sim.clock.now()
            due = [r for r in self._held if r.due is not None and r.due <= now]
            if due:
                self._held = [r for r in self._held if r not in due]
                self._ready.extend(due)
        if not self._pending and not self._ready:
            return
        with self._wake:
            if self._thread is None:
                self._stopping = False
                self._thread = threading.Thread(target=self._run, name="octosim-webhooks", daemon=True)
                self._thread.start()
            self._wake.notify_all()

    def flush(self, timeout: float = 5.0) -> None:
        """Block until every queued payload has been attempted (tests call this after advancing)."""
        self.kick()
        with self._wake:
            self._wake.wait_for(
                lambda: not self._pending and not self._ready and not self._busy, timeout=timeout
            )

    def stop(self) -> None:
        """Stop the worker thread."""
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._pending or self._ready or self._stopping, timeout=0.2)
                if self._stopping:
                    return
                if not self._pending and not self._ready:
                    continue
                self._busy = True
            try:
                for request in self._take_batch():
                    self._post(request)
            finally:
                with self._wake:
                    self._busy = False
                    self._wake.notify_all()

    def _take_batch(self) -> list[_Request]:
        from tests.octosim.resources import event_json, subscription_json  # noqa: PLC0415

        with self._sim.lock:
            events, self._pending = self._pending, []
            now = self._sim.clock.now()
            # Late payloads go after this batch: they arrive behind events that happened after them.
            late, self._ready = self._ready, []
            requests: list[_Request] = []
            for sub in self._sim.subscriptions.values():
                chosen = [e for e in events if not sub.is_disabled and self._matches(sub, e)]
                batch_id = str(uuid.uuid4())
                batch: list[_Request] = []
                for number, event in enumerate(chosen, start=1):
                    payload = {
                        "Timestamp": iso(now),
                        "EventType": "SubscriptionPayload",
                        "Payload": {
                            "ServerUri": None,
                            "ServerAuditUri": None,
                            "BatchProcessingDate": iso(now),
                            "Subscription": subscription_json(sub),
                            "Event": event_json(self._sim, event),
                            "BatchId": batch_id,
                            # Holdout 12: integers in real payloads, though the docs show strings.
                            "TotalEventsInBatch": len(chosen),
                            "EventNumberInBatch": number,
                        },
                    }
                    copies = 2 if sub.duplicate_rate and self._random.random() < sub.duplicate_rate else 1
                    for _ in range(copies):
                        if sub.late_rate and self._random.random() < sub.late_rate:
                            due = now + timedelta(seconds=sub.late_seconds)
                            self._held.append(_Request(sub, event, payload, due))
                        else:
                            batch.append(_Request(sub, event, payload))
                if sub.out_of_order:
                    batch.reverse()
                requests.extend(batch)
            return requests + late

    @staticmethod
    def _matches(sub: Subscription, event: Event) -> bool:
        if sub.categories and event.category not in sub.categories:
            return False
        if sub.projects and not set(sub.projects) & set(event.related):
            return False
        return not (sub.environments and not set(sub.environments) & set(event.related))

    def _post(self, request: _Request) -> None:
        sub, event = request.subscription, request.event
        data = json.dumps(request.payload).encode()
        headers = {"Content-Type": "application/json"}
        if sub.header_key:
            headers[sub.header_key] = sub.header_value or ""
        post = urllib.request.Request(sub.webhook_uri, data=data, headers=headers, method="POST")
        status: int | None
        error = None
        try:
            with urllib.request.urlopen(post, timeout=_timeout_seconds(sub.timeout)) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status, error = exc.code, str(exc)
        except (urllib.error.URLError, OSError) as exc:
            status, error = None, str(exc)
        late = request.due is not None
        self.deliveries.append(Delivery(sub.webhook_uri, event.id, event.category, status, error, late))
        self._sim.observations.count("webhooks_sent")

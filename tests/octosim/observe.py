"""What tests and benchmarks read back: a request log and counters (served under /_sim/)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Observations:
    """Thread-safe request log and counters; `reset()` clears both."""

    def __init__(self, log_limit: int = 100_000) -> None:
        self._lock = threading.Lock()
        self._log: list[dict[str, Any]] = []
        self._counters: Counter[str] = Counter()
        self._routes: Counter[str] = Counter()
        self._statuses: Counter[str] = Counter()
        self._limit = log_limit

    def record(self, entry: dict[str, Any]) -> None:
        """Log one request: method, path, query, route, status, fault, time."""
        with self._lock:
            self._log.append(entry)
            if len(self._log) > self._limit:
                del self._log[: len(self._log) - self._limit]
            self._routes[entry["route"]] += 1
            self._statuses[str(entry["status"])] += 1
            self._counters["requests"] += 1

    def count(self, name: str, amount: int = 1) -> None:
        """Bump a named counter (e.g. `deployments_created`, `webhooks_sent`)."""
        with self._lock:
            self._counters[name] += amount

    @property
    def requests(self) -> list[dict[str, Any]]:
        """A copy of the request log, oldest first."""
        with self._lock:
            return list(self._log)

    def route_count(self, route: str) -> int:
        """Requests served for one route name, e.g. `GET /events`."""
        with self._lock:
            return self._routes[route]

    def counter(self, name: str) -> int:
        with self._lock:
            return self._counters[name]

    def snapshot(self) -> dict[str, Any]:
        """Counters as JSON: totals, by route and by status."""
        with self._lock:
            return {
                "requests": self._counters["requests"],
                "by_route": dict(self._routes),
                "by_status": dict(self._statuses),
                "counters": dict(self._counters),
            }

    def reset(self) -> None:
        with self._lock:
            self._log.clear()
            self._counters.clear()
            self._routes.clear()
            self._statuses.clear()

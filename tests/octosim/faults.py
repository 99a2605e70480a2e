"""Fault injection per route: error statuses (with rates or counts), 429 + Retry-After,
latency, timeouts (hold the connection, never answer) and lost responses (commit, then drop)."""

from __future__ import annotations

import fnmatch
import random
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Fault:
    """One rule. `route` is a route name like `POST /deployments` or a glob (`GET /events*`, `*`)."""

    route: str = "*"
    status: int | None = None
    rate: float = 1.0
    count: int | None = None
    retry_after: int | None = None
    latency: float = 0.0
    timeout: float | None = None
    lost_response: bool = False
    body: Any = None
    id: int = 0
    fired: int = field(default=0)

    def matches(self, route: str) -> bool:
        return fnmatch.fnmatchcase(route, self.route)

    def describe(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, False)}


@dataclass
class Decision:
    """What the server does with one request."""

    latency: float = 0.0
    status: int | None = None
    retry_after: int | None = None
    body: Any = None
    timeout: float | None = None
    lost_response: bool = False
    fault_ids: list[int] = field(default_factory=list)


class Faults:
    """The active fault rules; deterministic for a given seed."""

    def __init__(self, seed: int = 0) -> None:
        self._rules: list[Fault] = []
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._next = 1

    def add(
        self,
        route: str = "*",
        *,
        status: int | None = None,
        rate: float = 1.0,
        count: int | None = None,
        retry_after: int | None = None,
        latency: float = 0.0,
        timeout: float | None = None,
        lost_response: bool = False,
        body: Any = None,
    ) -> Fault:
        """Add a rule; it fires on `rate` of matching requests, at most `count` times when given."""
        if status is None and not latency and timeout is None and not lost_response:
            msg = "a fault needs a status, latency, timeout or lost_response"
            raise ValueError(msg)
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._lock:
            fault = Fault(
                route, status, rate, count, retry_after, latency, timeout, lost_response, body, self._next
            )
            self._next += 1
            self._rules.append(fault)
            return fault

    def remove(self, fault: Fault | int) -> None:
        fault_id = fault if isinstance(fault, int) else fault.id
        with self._lock:
            self._rules = [r for r in self._rules if r.id != fault_id]

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    @property
    def rules(self) -> list[Fault]:
        with self._lock:
            return list(self._rules)

    def decide(self, route: str) -> Decision:
        """Roll the dice for one request to `route`."""
        decision = Decision()
        with self._lock:
            for rule in list(self._rules):
                if not rule.matches(route):
                    continue
                if rule.latency and not (rule.status or rule.timeout is not None or rule.lost_response):
                    decision.latency += rule.latency
                    continue
                if decision.status or decision.timeout is not None or decision.lost_response:
                    continue
                if rule.rate < 1.0 and self._random.random() >= rule.rate:
                    continue
                rule.fired += 1
                if rule.count is not None:
                    rule.count -= 1
                    if rule.count <= 0:
                        self._rules.remove(rule)
                decision.latency += rule.latency
                decision.fault_ids.append(rule.id)
                decision.status, decision.retry_after, decision.body = (
                    rule.status,
                    rule.retry_after,
                    rule.body,
                )
                decision.timeout, decision.lost_response = rule.timeout, rule.lost_response
        return decision

"""When and how long to wait before asking Octopus again.

Only outages are retried: no connection, a timeout, and the statuses of a busy, restarting or
failing server (408, 429, any 5xx). A refusal (400, 401, 403, 404, 409) is Octopus's final word
and is never asked again (`coord.octopus.errors`). A Retry-After that
Octopus sends with a 429 (octopus-api.md §9) is honoured, unless it would outlast the time budget,
in which case the caller hears at once that Octopus is unavailable.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import stamina

from coord.octopus.errors import OctopusUnavailable

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounds on retrying one call: attempts, total seconds, and the backoff between attempts."""

    attempts: int = 5
    timeout: float = 60.0
    wait_initial: float = 0.5
    wait_max: float = 10.0
    wait_jitter: float = 1.0
    max_retry_after: float = 60.0
    # A create is re-sent only after looking for it; these bound how often that happens.
    create_attempts: int = 4
    # After a create timed out, Octopus may still be storing it: wait this long before looking.
    settle_after_timeout: float = 10.0


def is_transient(exc: BaseException) -> bool:
    """True for an outage, which asking again may cure."""
    return isinstance(exc, OctopusUnavailable)


def attempts(
    policy: RetryPolicy,
    *,
    retry_on: Callable[[BaseException], bool] = is_transient,
    attempts: int | None = None,
    minimum_wait: Callable[[BaseException], float | None] | None = None,
) -> Iterator[stamina.Attempt]:
    """stamina attempts for one call under `policy`; wrap each try in `with attempt:`.

    `minimum_wait(exc)` may ask for a longer pause than the backoff after some failures.
    """
    deadline = time.monotonic() + policy.timeout

    def backoff(exc: Exception) -> bool | float:
        if not retry_on(exc):
            return False
        wait = exc.retry_after if isinstance(exc, OctopusUnavailable) else None
        if minimum_wait is not None:
            wait = max(wait or 0.0, minimum_wait(exc) or 0.0) or None
        if wait is None:
            return True
        if wait > min(policy.max_retry_after, deadline - time.monotonic()):
            return False
        return wait

    return iter(
        stamina.retry_context(
            on=backoff,
            attempts=attempts or policy.attempts,
            timeout=policy.timeout,
            wait_initial=policy.wait_initial,
            wait_max=policy.wait_max,
            wait_jitter=policy.wait_jitter,
        )
    )


def call_with_retries(policy: RetryPolicy, call: Callable[[], T]) -> T:
    """`call()` retried on transient failures within `policy`; the last failure is raised."""
    for attempt in attempts(policy):
        with attempt:
            return call()
    msg = "retry_context yields at least one attempt"
    raise AssertionError(msg)

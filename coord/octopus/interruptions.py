"""Answering a manual intervention or guided failure without answering it twice.

Octopus wants the responsibility taken (`PUT .../responsible`) before `POST .../submit`
(octopus-api.md §3 Interruption). Taking responsibility is repeatable, so it retries; a submit
whose answer was lost is followed by a look at the interruption, and is sent again only while
the interruption is still pending.
"""

from __future__ import annotations

from typing import Any

from coord.octopus.errors import OctopusUnavailable
from coord.octopus.models import Interruption
from coord.octopus.retry import attempts, call_with_retries
from coord.octopus.transport import OctopusHttp, validate

# Guided-failure answers go in `Guidance`, manual-intervention answers in `Result`.
GUIDANCE = frozenset({"Fail", "Retry", "Ignore", "Exclude"})
RESULTS = frozenset({"Proceed", "Abort"})


def submission(result: str, notes: str | None) -> dict[str, Any]:
    """The body of a submit for this answer."""
    if result in GUIDANCE:
        body: dict[str, Any] = {"Guidance": result}
    elif result in RESULTS:
        body = {"Result": result}
    else:
        allowed = ", ".join(sorted(RESULTS | GUIDANCE))
        msg = f"interruption answer must be one of {allowed}, got {result!r}"
        raise ValueError(msg)
    if notes:
        body["Notes"] = notes
    return body


def submit_interruption(
    http: OctopusHttp, space_path: str, interruption_id: str, result: str, *, notes: str | None = None
) -> Interruption:
    """Take responsibility for an interruption and submit `result`; the interruption afterwards."""
    body = submission(result, notes)
    path = f"{space_path}/interruptions/{interruption_id}"
    call_with_retries(
        http.retry,
        lambda: http.send("PUT", f"{path}/responsible", route="interruption/responsible", expect_json=False),
    )
    for attempt in attempts(http.retry, retry_on=lambda e: isinstance(e, OctopusUnavailable)):
        with attempt:
            if attempt.num > 1:
                current = http.get_model(Interruption, path, route="interruption")
                if not current.IsPending:
                    return current
            http.send("POST", f"{path}/submit", route="interruption/submit", body=body, expect_json=False)
            return validate(Interruption, http.get(path, route="interruption"), f"GET {path}")
    msg = "retry_context yields at least one attempt"
    raise AssertionError(msg)

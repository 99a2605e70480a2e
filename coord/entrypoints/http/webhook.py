"""Octopus subscription webhook payloads (pure): validation and the secret check.

Octopus POSTs one payload per event, may send the same event twice and documents no
ordering (octopus-api.md §5, Holdout 11-12), so the receiver only extracts which
deployment changed; the poller's ingest path makes recording it idempotent.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coord.entrypoints.http.problems import BadRequest, field_problems
from coord.feed.events import DeploymentEvent, deployment_event


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class WebhookEvent(_Lenient):
    Id: str = Field(min_length=1)
    Category: str = Field(min_length=1)
    Occurred: datetime
    RelatedDocumentIds: list[str] = Field(default_factory=list)
    Message: str | None = None
    Username: str | None = None


class WebhookPayloadBody(_Lenient):
    Event: WebhookEvent
    BatchId: str | None = None
    TotalEventsInBatch: int | None = None
    EventNumberInBatch: int | None = None


class WebhookEnvelope(_Lenient):
    EventType: str
    Payload: WebhookPayloadBody


def secret_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison of the X-Coord-Secret header with the configured secret."""
    return hmac.compare_digest(expected.encode(), (given or "").encode())


def parse_webhook(document: Any) -> DeploymentEvent | None:
    """The deployment event a payload reports, None for events about anything else.

    Raises BadRequest naming the offending field when the payload is not an Octopus
    subscription payload.
    """
    try:
        envelope = WebhookEnvelope.model_validate(document)
    except ValidationError as exc:
        raise BadRequest("not an Octopus subscription payload", field_problems(exc)) from None
    if envelope.EventType != "SubscriptionPayload":
        raise BadRequest(
            "not an Octopus subscription payload",
            [f"EventType: expected 'SubscriptionPayload', got {envelope.EventType!r}"],
        )
    event = envelope.Payload.Event
    occurred = event.Occurred
    if occurred.tzinfo is None:
        raise BadRequest("not an Octopus subscription payload", ["Payload.Event.Occurred: needs an offset"])
    return deployment_event(event.Id, event.Category, occurred, event.RelatedDocumentIds)

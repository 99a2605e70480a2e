import pytest

from coord.entrypoints.http.problems import BadRequest
from coord.entrypoints.http.webhook import parse_webhook, secret_matches


def payload(**event_overrides):
    event = {
        "Id": "Events-1111977",
        "Category": "DeploymentFailed",
        "Occurred": "2023-09-19T21:35:24.279+00:00",
        "RelatedDocumentIds": [
            "Deployments-12",
            "Projects-3",
            "Releases-40",
            "Environments-2",
            "ServerTasks-77",
            "Channels-3",
        ],
        "Message": "Deploy to Development failed for Octopub release 0.1.178 to Development",
        "Username": "system",
    }
    event.update(event_overrides)
    return {
        "Timestamp": "2023-09-19T21:35:25.215+00:00",
        "EventType": "SubscriptionPayload",
        "Payload": {
            "ServerUri": None,
            "Subscription": {"Name": "coord"},
            "Event": event,
            "BatchId": "b5a1c1f0-0000-0000-0000-000000000000",
            "TotalEventsInBatch": 1,
            "EventNumberInBatch": 1,
        },
    }


def test_a_real_payload_names_its_deployment() -> None:
    ev = parse_webhook(payload())
    assert ev is not None
    assert (ev.deployment_id, ev.task_id, ev.category) == (
        "Deployments-12",
        "ServerTasks-77",
        "DeploymentFailed",
    )


def test_events_about_other_documents_are_accepted_and_ignored() -> None:
    assert parse_webhook(payload(Category="Modified", RelatedDocumentIds=["Projects-3"])) is None


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({}, "EventType"),
        ({"EventType": "SubscriptionPayload"}, "Payload"),
        (payload(Occurred="yesterday"), "Payload.Event.Occurred"),
        (payload(Id=""), "Payload.Event.Id"),
        ({**payload(), "EventType": "Other"}, "EventType"),
        ([1, 2], "(body)"),
    ],
)
def test_bad_payloads_name_the_offending_field(document, field) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_webhook(document)
    assert any(line.startswith(field) for line in caught.value.errors), caught.value.errors


def test_secret_comparison() -> None:
    assert secret_matches("s3cret", "s3cret")
    assert not secret_matches("s3cret", "s3cre")
    assert not secret_matches("s3cret", None)

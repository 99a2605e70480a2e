"""§5 and Holdouts 11-13: one POST per event with the real payload, a custom header, duplicates, order."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Receiver:
    def __init__(self) -> None:
        self.received: list[tuple[dict, dict]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.received.append((dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/octopus/events"
        serve = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        serve.start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    yield rec
    rec.server.shutdown()
    rec.server.server_close()


def _deploy_and_finish(sim):
    dep = sim.deploy("Catalog", "2.3.0", "Production")
    sim.clock.advance(timedelta(minutes=1))
    sim.webhooks.flush()
    return dep


def test_each_event_is_posted_with_the_subscription_payload_and_header(octosim, receiver):
    sim = octosim.sim
    sim.add_subscription(receiver.url, header_key="X-Coord-Secret", header_value="s3cret")
    dep = _deploy_and_finish(sim)
    assert len(receiver.received) == 3
    headers, body = receiver.received[-1]
    assert headers["X-Coord-Secret"] == "s3cret"
    assert body["EventType"] == "SubscriptionPayload"
    payload = body["Payload"]
    assert payload["Event"]["Category"] == "DeploymentSucceeded"
    assert payload["Event"]["RelatedDocumentIds"][0] == dep
    assert isinstance(payload["TotalEventsInBatch"], int)
    assert isinstance(payload["EventNumberInBatch"], int)
    assert payload["Subscription"]["EventNotificationSubscription"]["WebhookTimeout"] == "00:00:10"
    assert payload["Subscription"]["EventNotificationSubscription"]["EmailFrequencyPeriod"] == "01:00:00"
    assert {"ServerUri", "ServerAuditUri", "BatchProcessingDate", "BatchId"} <= set(payload)


def test_subscriptions_filter_by_category(octosim, receiver):
    sim = octosim.sim
    sim.add_subscription(receiver.url, categories=["DeploymentSucceeded", "DeploymentFailed"])
    _deploy_and_finish(sim)
    assert [b["Payload"]["Event"]["Category"] for _, b in receiver.received] == ["DeploymentSucceeded"]


def test_duplicate_delivery_sends_the_same_event_twice(octosim, receiver):
    sim = octosim.sim
    sim.add_subscription(receiver.url, duplicate_rate=1.0)
    _deploy_and_finish(sim)
    ids = [b["Payload"]["Event"]["Id"] for _, b in receiver.received]
    assert len(ids) == 6
    assert len(set(ids)) == 3


def test_out_of_order_delivery_reverses_each_batch(octosim, receiver):
    sim = octosim.sim
    sim.add_subscription(receiver.url, out_of_order=True)
    sim.deploy("Catalog", "2.3.0", "Production")
    sim.deploy("Identity", "1.1.0", "Production")
    sim.webhooks.flush()
    ids = [int(b["Payload"]["Event"]["Id"].split("-")[1]) for _, b in receiver.received]
    assert ids == sorted(ids, reverse=True) and len(ids) == 2


def test_late_delivery_holds_payloads_until_the_clock_has_moved_on(octosim, receiver):
    sim = octosim.sim
    sim.add_subscription(receiver.url, late_rate=1.0, late_by=timedelta(minutes=2))
    dep = _deploy_and_finish(sim)
    assert receiver.received == []
    sim.clock.advance(timedelta(minutes=1))
    sim.webhooks.flush()
    assert receiver.received == []  # the queued and started events are not due yet
    sim.clock.advance(timedelta(minutes=2))
    sim.webhooks.flush()
    categories = [b["Payload"]["Event"]["Category"] for _, b in receiver.received]
    assert sorted(categories) == ["DeploymentQueued", "DeploymentStarted", "DeploymentSucceeded"]
    assert {b["Payload"]["Event"]["RelatedDocumentIds"][0] for _, b in receiver.received} == {dep}


def test_a_failing_receiver_is_recorded_not_retried(octosim):
    sim = octosim.sim
    sim.add_subscription("http://127.0.0.1:9/nothing-listens")
    _deploy_and_finish(sim)
    assert [d.status for d in sim.webhooks.deliveries] == [None, None, None]


def test_subscriptions_can_be_created_over_the_api(octosim, api, receiver):
    response = api.post(
        "/api/subscriptions",
        json={
            "Name": "coord",
            "EventNotificationSubscription": {
                "WebhookURI": receiver.url,
                "WebhookHeaderKey": "X-Coord-Secret",
                "WebhookHeaderValue": "v",
                "Filter": {"EventCategories": ["DeploymentQueued"]},
            },
        },
    )
    assert response.status_code == 201
    _deploy_and_finish(octosim.sim)
    assert [h["X-Coord-Secret"] for h, _ in receiver.received] == ["v"]

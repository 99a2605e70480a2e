"""OctopusClient edge cases against a small in-memory Octopus behind httpx.MockTransport.

Behaviour against a faithful server lives in tests/integration/test_octopus_client.py; these tests
pin down what is hard to provoke there: exact retry counts, Retry-After, malformed answers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import stamina
from pydantic import SecretStr

from coord.octopus import (
    OctopusAuthError,
    OctopusClient,
    OctopusNotFound,
    OctopusProtocolError,
    OctopusRejected,
    OctopusUnavailable,
    RetryPolicy,
)

API_KEY = "API-UNITTESTKEY0123456789"
Fault = Callable[[httpx.Request], httpx.Response | None]


@pytest.fixture(autouse=True)
def fast_retries() -> Iterator[None]:
    # No backoff sleeps; attempts stay those of the client's RetryPolicy (cap).
    with stamina.set_testing(True, attempts=100, cap=True):
        yield


class FakeOctopus:
    """Just enough Octopus for the client: spaces, pages, deployments, and scripted faults."""

    def __init__(self) -> None:
        self.spaces: list[dict[str, Any]] = [
            {"Id": "Spaces-1", "Name": "Default", "Slug": "default", "IsDefault": True},
            {"Id": "Spaces-2", "Name": "Platform Team", "Slug": "platform-team", "IsDefault": False},
        ]
        self.routes: dict[tuple[str, str], Callable[[httpx.Request], httpx.Response]] = {}
        self.faults: dict[tuple[str, str], list[Fault]] = {}
        self.deployments: list[dict[str, Any]] = []
        self.requests: list[httpx.Request] = []
        self.rewrite_comments = False
        self.route("GET", "/api/spaces/all", lambda r: httpx.Response(200, json=self.spaces))
        self.route("GET", "/api/Spaces-1/deployments", self._list_deployments)
        self.route("POST", "/api/Spaces-1/deployments", self._create_deployment)
        for release in ("Releases-1", "Releases-9"):
            self.route("GET", f"/api/Spaces-1/releases/{release}/deployments", self._release_deployments)

    def route(self, method: str, path: str, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        self.routes[(method, path)] = answer

    def json_route(self, method: str, path: str, body: Any, status: int = 200) -> None:
        self.route(method, path, lambda r: httpx.Response(status, json=body))

    def fail(self, method: str, path: str, *faults: Fault) -> None:
        """The next requests to this route meet these faults, one each, before it answers normally."""
        self.faults.setdefault((method, path), []).extend(faults)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = (request.method, request.url.path)
        queue = self.faults.get(key)
        if queue:
            fault = queue.pop(0)
            answer = fault(request)
            if answer is not None:
                return answer
        if key not in self.routes:
            return httpx.Response(404, json={"ErrorMessage": f"no route {key}", "Errors": []})
        return self.routes[key](request)

    def count(self, method: str, path: str) -> int:
        return sum(1 for r in self.requests if (r.method, r.url.path) == (method, path))

    def _list_deployments(self, request: httpx.Request) -> httpx.Response:
        query = parse_qs(request.url.query.decode())
        items = [
            d
            for d in reversed(self.deployments)
            if d["ProjectId"] in query.get("projects", [d["ProjectId"]])[0].split(",")
            and d["EnvironmentId"] in query.get("environments", [d["EnvironmentId"]])[0].split(",")
        ]
        if "tenants" in query:
            items = [d for d in items if d["TenantId"] in query["tenants"][0].split(",")]
        take = int(query.get("take", ["30"])[0])
        return httpx.Response(200, json={"ItemType": "Deployment", "Items": items[:take], "Links": {}})

    def _release_deployments(self, request: httpx.Request) -> httpx.Response:
        release = request.url.path.split("/")[-2]
        query = parse_qs(request.url.query.decode())
        skip, take = int(query.get("skip", ["0"])[0]), int(query.get("take", ["30"])[0])
        items = [d for d in reversed(self.deployments) if d["ReleaseId"] == release]
        return httpx.Response(200, json={"ItemType": "Deployment", "Items": items[skip : skip + take]})

    def _create_deployment(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        deployment = {
            "Id": f"Deployments-{len(self.deployments) + 1}",
            "ProjectId": "Projects-1",
            "TaskId": f"ServerTasks-{len(self.deployments) + 1}",
            "Created": "2026-11-26T18:30:00.000+00:00",
            **body,
        }
        if self.rewrite_comments:
            deployment["Comments"] = "comments trimmed by the server"
        self.deployments.append(deployment)
        return httpx.Response(201, json=deployment)

    def add_deployment(self, release: str, created: str, tenant: str | None, comments: str = "") -> None:
        """A deployment someone else created."""
        number = len(self.deployments) + 1
        self.deployments.append(
            {
                "Id": f"Deployments-{number}",
                "ProjectId": "Projects-1",
                "ReleaseId": release,
                "EnvironmentId": "Environments-2",
                "TenantId": tenant,
                "TaskId": f"ServerTasks-{number}",
                "Created": created,
                "Comments": comments,
            }
        )


def lost_after_processing(fake: FakeOctopus) -> Fault:
    """The server does the work, then the answer never arrives."""

    def fault(request: httpx.Request) -> None:
        fake.routes[(request.method, request.url.path)](request)
        raise httpx.ReadTimeout("timed out waiting for the answer", request=request)

    return fault


def status(code: int, body: bytes = b"", **headers: str) -> Fault:
    return lambda request: httpx.Response(code, content=body, headers=headers)


def refused(request: httpx.Request) -> None:
    raise httpx.ConnectError("connection refused", request=request)


@pytest.fixture
def fake() -> FakeOctopus:
    return FakeOctopus()


def make_client(
    fake: FakeOctopus,
    space: str | None = None,
    *,
    server: str = "https://octopus.example.com",
    policy: RetryPolicy | None = None,
) -> OctopusClient:
    http = httpx.Client(transport=httpx.MockTransport(fake.handler))
    return OctopusClient(server, API_KEY, space, http=http, retry=policy or RetryPolicy(attempts=4))


# -- space ---------------------------------------------------------------------------------------


def test_no_space_setting_means_the_default_space(fake: FakeOctopus) -> None:
    assert make_client(fake).space_id == "Spaces-1"


@pytest.mark.parametrize("given", ["platform team", "Spaces-2", "spaces-2", "platform-team"])
def test_a_space_is_found_by_name_id_or_slug_ignoring_case(fake: FakeOctopus, given: str) -> None:
    assert make_client(fake, given).space_id == "Spaces-2"


def test_an_unknown_space_is_not_found_and_the_known_ones_are_listed(fake: FakeOctopus) -> None:
    with pytest.raises(OctopusNotFound, match=r"no Octopus space named 'Ops'.*Platform Team \(Spaces-2\)"):
        _ = make_client(fake, "Ops").space_id


def test_the_space_is_resolved_once(fake: FakeOctopus) -> None:
    fake.json_route("GET", "/api/Spaces-1/projects/all", [])
    client = make_client(fake)
    client.projects()
    client.projects()
    assert fake.count("GET", "/api/spaces/all") == 1


def test_a_server_without_spaces_uses_unscoped_paths(fake: FakeOctopus) -> None:
    del fake.routes[("GET", "/api/spaces/all")]
    fake.json_route("GET", "/api/environments/all", [{"Id": "Environments-1", "Name": "Dev"}])
    client = make_client(fake)
    assert [e.Name for e in client.environments()] == ["Dev"]


# -- URLs, /all and paging -----------------------------------------------------------------------


def test_all_endpoints_answer_lists_of_models(fake: FakeOctopus) -> None:
    fake.json_route(
        "GET",
        "/api/Spaces-1/projects/all",
        [{"Id": "Projects-1", "Name": "Checkout", "ProjectGroupId": "ProjectGroups-1"}],
    )
    (project,) = make_client(fake).projects()
    assert (project.Id, project.Name, project.ProjectGroupId) == ("Projects-1", "Checkout", "ProjectGroups-1")


def test_an_all_endpoint_answering_an_envelope_is_a_protocol_error(fake: FakeOctopus) -> None:
    fake.json_route("GET", "/api/Spaces-1/projects/all", {"Items": []})
    with pytest.raises(OctopusProtocolError, match="expected a JSON array, got dict"):
        make_client(fake).projects()


def event(n: int) -> dict[str, Any]:
    return {
        "Id": f"Events-{n}",
        "Category": "DeploymentSucceeded",
        "Occurred": "2026-11-26T10:00:00.000+00:00",
    }


def paged(
    fake: FakeOctopus, path: str, pages: list[list[dict[str, Any]]], *, last_next: str | None = None
) -> None:
    """Serve `pages` at `path?skip=…`, each linking to the next one (the last to `last_next`)."""

    def answer(request: httpx.Request) -> httpx.Response:
        skip = int(request.url.params.get("skip", "0"))
        index = skip // 2
        links = {"Self": f"{path}?skip={skip}&take=2"}
        following = f"{path}?skip={skip + 2}&take=2" if index + 1 < len(pages) else last_next
        if following:
            links["Page.Next"] = following
        return httpx.Response(200, json={"ItemType": "Event", "Items": pages[index], "Links": links})

    fake.route("GET", path, answer)


CHANNELS = "/api/Spaces-1/projects/Projects-1/channels"


def channel(n: int) -> dict[str, Any]:
    return {"Id": f"Channels-{n}", "Name": f"Channel {n}"}


def test_paging_follows_page_next_until_it_is_absent(fake: FakeOctopus) -> None:
    paged(fake, CHANNELS, [[channel(6), channel(5)], [channel(4), channel(3)], [channel(2)]])
    ids = [c.Id for c in make_client(fake).channels("Projects-1")]
    assert ids == ["Channels-6", "Channels-5", "Channels-4", "Channels-3", "Channels-2"]
    assert fake.count("GET", CHANNELS) == 3


def test_paging_stops_at_an_empty_page_even_with_a_next_link(fake: FakeOctopus) -> None:
    paged(fake, CHANNELS, [[channel(2), channel(1)], []], last_next=f"{CHANNELS}?skip=4")
    assert len(make_client(fake).channels("Projects-1")) == 2


def test_a_page_next_that_loops_is_a_protocol_error(fake: FakeOctopus) -> None:
    fake.json_route(
        "GET", CHANNELS, {"Items": [channel(1)], "Links": {"Page.Next": f"{CHANNELS}?skip=2&take=2"}}
    )
    with pytest.raises(OctopusProtocolError, match="repeats a page"):
        make_client(fake).channels("Projects-1")


def test_a_page_next_to_another_host_is_refused_so_the_key_stays_home(fake: FakeOctopus) -> None:
    fake.json_route(
        "GET", CHANNELS, {"Items": [channel(1)], "Links": {"Page.Next": "https://evil.example.net/api/x"}}
    )
    with pytest.raises(OctopusProtocolError, match="another server"):
        make_client(fake).channels("Projects-1")
    assert all(r.url.host == "octopus.example.com" for r in fake.requests)


def test_a_server_under_a_virtual_directory_gets_its_prefix_on_paths_and_links(fake: FakeOctopus) -> None:
    inner = FakeOctopus()
    paged(inner, "/octopus" + CHANNELS, [[channel(2), channel(1)], [channel(0)]])
    inner.route("GET", "/octopus/api/spaces/all", lambda r: httpx.Response(200, json=inner.spaces))
    client = make_client(inner, server="https://octopus.example.com/octopus/api/")
    assert len(client.channels("Projects-1")) == 3


def test_events_are_paged_by_explicit_skip_and_never_by_page_next(fake: FakeOctopus) -> None:
    # octopus-api-checked.md §2: real Page.Next links carry `from`/`to` as culture-formatted text
    # to the second ("2/1/2023 12:00:00 AM +10:00"), so following them moves a time-bounded query.
    items = [event(n) for n in range(5, 0, -1)]
    culture = "/api/Spaces-1/events?from=2%2F1%2F2023%2012%3A00%3A00%20AM%20%2B10%3A00&skip=2&take=2"

    def answer(request: httpx.Request) -> httpx.Response:
        skip, take = int(request.url.params["skip"]), int(request.url.params["take"])
        page = {
            "Items": items[skip : skip + take],
            "TotalResults": len(items),
            "Links": {"Page.Next": culture},
        }
        return httpx.Response(200, json=page)

    fake.route("GET", "/api/Spaces-1/events", answer)
    since = datetime(2026, 11, 26, 10, 0, 0, 123000, tzinfo=UTC)
    until = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)
    found = make_client(fake).events(categories=["DeploymentSucceeded"], since=since, until=until, take=2)
    assert [e.Id for e in found] == [f"Events-{n}" for n in range(5, 0, -1)]
    queries = [parse_qs(urlsplit(str(r.url)).query) for r in fake.requests if r.url.path.endswith("/events")]
    assert [q["skip"] for q in queries] == [["0"], ["2"], ["4"]]
    assert {q["from"][0] for q in queries} == {"2026-11-26T10:00:00.123+00:00"}
    assert {q["to"][0] for q in queries} == {"2026-11-26T11:00:00.000+00:00"}


def test_a_redirect_is_never_followed_even_by_a_client_that_would(fake: FakeOctopus) -> None:
    fake.route(
        "GET",
        "/api/Spaces-1/dashboard",
        lambda r: httpx.Response(302, headers={"Location": "https://evil.example.net/"}),
    )
    http = httpx.Client(transport=httpx.MockTransport(fake.handler), follow_redirects=True)
    client = OctopusClient("https://octopus.example.com", API_KEY, http=http)
    with pytest.raises(OctopusProtocolError, match=r"redirected to https://evil\.example\.net/"):
        client.dashboard()
    assert {r.url.host for r in fake.requests} == {"octopus.example.com"}


def test_event_filters_are_sent_as_octopus_names_them(fake: FakeOctopus) -> None:
    fake.json_route("GET", "/api/Spaces-1/events", {"Items": [], "Links": {}})
    since = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    list(
        make_client(fake).events(
            categories=["DeploymentQueued", "DeploymentFailed"],
            since=since,
            projects=["Projects-1", "Projects-2"],
            take=50,
        )
    )
    query = parse_qs(urlsplit(str(fake.requests[-1].url)).query)
    assert query == {
        "eventCategories": ["DeploymentQueued,DeploymentFailed"],
        "from": ["2026-11-26T10:00:00.000+00:00"],
        "skip": ["0"],
        "projects": ["Projects-1,Projects-2"],
        "take": ["50"],
    }


def test_asking_for_no_ids_sends_no_request_and_many_ids_are_chunked(fake: FakeOctopus) -> None:
    seen: list[int] = []

    def tasks(request: httpx.Request) -> httpx.Response:
        ids = request.url.params["ids"].split(",")
        seen.append(len(ids))
        return httpx.Response(200, json={"Items": [{"Id": i, "State": "Success"} for i in ids], "Links": {}})

    fake.route("GET", "/api/Spaces-1/tasks", tasks)
    client = make_client(fake)
    assert client.tasks_by_ids([]) == []
    assert seen == []
    # Octopus's own TypeScript client asks for 300 at a time (octopus-api-checked.md §1).
    found = client.tasks_by_ids([f"ServerTasks-{n}" for n in range(700)] + ["ServerTasks-0"])
    assert len(found) == 700
    assert seen == [300, 300, 100]


# -- retries -------------------------------------------------------------------------------------


def test_a_get_is_retried_through_503s_and_dropped_connections(fake: FakeOctopus) -> None:
    fake.json_route("GET", "/api/Spaces-1/dashboard", {"Items": []})
    fake.fail(
        "GET", "/api/Spaces-1/dashboard", status(503), refused, status(502, b"<html>bad gateway</html>")
    )
    client = make_client(fake)
    assert client.dashboard().Items == ()
    assert fake.count("GET", "/api/Spaces-1/dashboard") == 4
    assert client.request_counts["GET dashboard"] == 4


def test_retries_are_bounded_and_end_in_unavailable(fake: FakeOctopus) -> None:
    fake.json_route("GET", "/api/Spaces-1/dashboard", {"Items": []})
    fake.fail("GET", "/api/Spaces-1/dashboard", *[status(504)] * 10)
    with pytest.raises(OctopusUnavailable, match="504"):
        make_client(fake, policy=RetryPolicy(attempts=3)).dashboard()
    assert fake.count("GET", "/api/Spaces-1/dashboard") == 3


def test_a_server_error_is_an_outage_and_asked_again(fake: FakeOctopus) -> None:
    fake.json_route("GET", "/api/Spaces-1/dashboard", {"Items": []})
    fake.fail("GET", "/api/Spaces-1/dashboard", status(500, b'{"ErrorMessage": "restarting"}'))
    assert make_client(fake).dashboard().Items == ()
    assert fake.count("GET", "/api/Spaces-1/dashboard") == 2


@pytest.mark.parametrize(
    ("code", "error"),
    [(400, OctopusRejected), (401, OctopusAuthError), (403, OctopusAuthError), (404, OctopusNotFound),
     (409, OctopusRejected)],
)  # fmt: skip
def test_refusals_are_final_and_not_asked_again(fake: FakeOctopus, code: int, error: type[Exception]) -> None:
    fake.json_route("GET", "/api/Spaces-1/dashboard", {"Items": []})
    fake.fail("GET", "/api/Spaces-1/dashboard", status(code, b'{"ErrorMessage": "no"}'))
    with pytest.raises(error):
        make_client(fake).dashboard()
    assert fake.count("GET", "/api/Spaces-1/dashboard") == 1


def test_a_retry_after_beyond_the_budget_is_not_waited_for(fake: FakeOctopus) -> None:
    fake.json_route("GET", "/api/Spaces-1/dashboard", {"Items": []})
    fake.fail("GET", "/api/Spaces-1/dashboard", status(429, **{"Retry-After": "3600"}))
    with pytest.raises(OctopusUnavailable) as caught:
        make_client(fake).dashboard()
    assert caught.value.retry_after == 3600
    assert fake.count("GET", "/api/Spaces-1/dashboard") == 1


def test_retry_after_sets_the_wait_before_the_next_attempt(fake: FakeOctopus) -> None:
    waits: list[float] = []
    fake.json_route("GET", "/api/Spaces-1/dashboard", {"Items": []})
    fake.fail("GET", "/api/Spaces-1/dashboard", status(429, **{"Retry-After": "1"}))
    client = make_client(fake)
    _ = client.space_id
    stamina.instrumentation.set_on_retry_hooks([lambda details: waits.append(details.wait_for)])
    try:
        with stamina.set_testing(False):
            client.dashboard()
    finally:
        stamina.instrumentation.set_on_retry_hooks(None)
    assert waits == [1.0]


# -- odd answers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            httpx.Response(200, content=b"<html>Sign in</html>", headers={"Content-Type": "text/html"}),
            "not JSON \\(text/html",
        ),
        (httpx.Response(200, content=b""), "empty body where JSON was expected"),
        (
            httpx.Response(200, json={"Items": [{"Id": "Deployments-1", "ReleaseId": "Releases-1"}]}),
            r"Items\[0\]: unexpected Deployment: EnvironmentId: Field required",
        ),
        (httpx.Response(200, json={"Items": "many"}), "unexpected Page.*Items"),
    ],
    ids=["html-login-page", "empty-body", "missing-field", "items-not-a-list"],
)
def test_odd_answers_become_protocol_errors_naming_what_is_wrong(
    fake: FakeOctopus, answer: httpx.Response, message: str
) -> None:
    fake.route("GET", "/api/Spaces-1/deployments", lambda r: answer)
    with pytest.raises(OctopusProtocolError, match=message):
        list(make_client(fake).deployments(projects=["Projects-1"]))


def test_an_oversized_answer_is_cut_off(fake: FakeOctopus) -> None:
    fake.json_route("GET", "/api/Spaces-1/dashboard", {"Items": [], "Padding": "x" * 5000})
    http = httpx.Client(transport=httpx.MockTransport(fake.handler))
    client = OctopusClient("https://octopus.example.com", API_KEY, http=http, max_body_bytes=1000)
    with pytest.raises(OctopusProtocolError, match="larger than 1000 bytes"):
        client.dashboard()


# -- creating deployments ------------------------------------------------------------------------


def create(client: OctopusClient, key: str = "run-1:Projects-1:Environments-2", **kwargs: Any) -> Any:
    return client.create_deployment("Releases-1", "Environments-2", idempotency_key=key, **kwargs)


def test_a_deployment_is_posted_once_with_the_key_in_its_comments(fake: FakeOctopus) -> None:
    deployment = create(make_client(fake), comments="evening promotion")
    assert deployment.Id == "Deployments-1"
    assert deployment.Comments == "evening promotion\n[coord:run-1:Projects-1:Environments-2]"
    (post,) = [r for r in fake.requests if r.method == "POST"]
    assert json.loads(post.content)["ReleaseId"] == "Releases-1"
    assert json.loads(post.content)["EnvironmentId"] == "Environments-2"


def test_a_lost_answer_to_the_post_is_reconciled_not_reposted(fake: FakeOctopus) -> None:
    fake.fail("POST", "/api/Spaces-1/deployments", lost_after_processing(fake))
    deployment = create(make_client(fake))
    assert len(fake.deployments) == 1
    assert deployment.Id == fake.deployments[0]["Id"]
    assert fake.count("POST", "/api/Spaces-1/deployments") == 1


@pytest.mark.parametrize(
    "fault",
    [status(503), status(502, b"<html>proxy</html>"), refused, status(429, **{"Retry-After": "0"})],
    ids=["503", "502", "refused", "429"],
)
def test_a_post_that_never_reached_octopus_is_sent_again_after_looking(
    fake: FakeOctopus, fault: Fault
) -> None:
    fake.fail("POST", "/api/Spaces-1/deployments", fault)
    create(make_client(fake))
    assert len(fake.deployments) == 1
    assert fake.count("POST", "/api/Spaces-1/deployments") == 2


def test_a_proxy_error_after_octopus_stored_the_deployment_yields_that_deployment(fake: FakeOctopus) -> None:
    def stored_then_504(request: httpx.Request) -> httpx.Response:
        fake.routes[("POST", "/api/Spaces-1/deployments")](request)
        return httpx.Response(504, content=b"<html>Gateway Timeout</html>")

    fake.fail("POST", "/api/Spaces-1/deployments", stored_then_504, stored_then_504)
    create(make_client(fake))
    assert len(fake.deployments) == 1


def test_after_a_create_timed_out_the_lookup_waits_for_octopus_to_settle(fake: FakeOctopus) -> None:
    waits: list[float] = []

    def stored_late(request: httpx.Request) -> None:
        raise httpx.ReadTimeout("no answer yet", request=request)

    fake.fail("POST", "/api/Spaces-1/deployments", stored_late)
    client = make_client(fake, policy=RetryPolicy(settle_after_timeout=0.2, wait_initial=0.01, wait_jitter=0))
    _ = client.space_id
    stamina.instrumentation.set_on_retry_hooks([lambda details: waits.append(details.wait_for)])
    try:
        with stamina.set_testing(False):
            create(client)
    finally:
        stamina.instrumentation.set_on_retry_hooks(None)
    assert waits == [0.2]
    assert len(fake.deployments) == 1


def test_creating_again_with_the_same_key_returns_the_first_deployment(fake: FakeOctopus) -> None:
    client = make_client(fake)
    first = create(client)
    second = create(client)
    assert first.Id == second.Id
    assert len(fake.deployments) == 1


def test_the_same_key_for_another_tenant_is_another_deployment(fake: FakeOctopus) -> None:
    client = make_client(fake)
    create(client, key="k", tenant_id="Tenants-1")
    create(client, key="k", tenant_id="Tenants-2")
    assert [d["TenantId"] for d in fake.deployments] == ["Tenants-1", "Tenants-2"]


def test_a_lifecycle_refusal_is_raised_with_octopus_reasons_and_not_retried(fake: FakeOctopus) -> None:
    body = json.dumps(
        {
            "ErrorMessage": "There was a problem with your request.",
            "Errors": ["Production is not in the lifecycle's next phase"],
        }
    ).encode()
    fake.fail("POST", "/api/Spaces-1/deployments", status(400, body))
    with pytest.raises(OctopusRejected) as caught:
        create(make_client(fake))
    assert caught.value.errors == ("Production is not in the lifecycle's next phase",)
    assert fake.count("POST", "/api/Spaces-1/deployments") == 1


def test_creating_keeps_failing_only_a_bounded_number_of_times(fake: FakeOctopus) -> None:
    fake.fail("POST", "/api/Spaces-1/deployments", *[status(503)] * 20)
    with pytest.raises(OctopusUnavailable):
        create(make_client(fake, policy=RetryPolicy(attempts=2, create_attempts=3)))
    assert fake.count("POST", "/api/Spaces-1/deployments") == 3
    assert fake.deployments == []


def test_an_untenanted_step_is_found_behind_many_tenant_deployments_of_its_release(
    fake: FakeOctopus,
) -> None:
    client = make_client(fake)
    first = create(client, key="run-1:untenanted")
    for tenant in range(250):  # far more than one page of the release's deployments
        fake.add_deployment("Releases-1", "2026-11-26T18:31:00.000+00:00", f"Tenants-{tenant}")
    since = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)
    again = create(client, key="run-1:untenanted", since=since)
    assert again.Id == first.Id
    assert fake.count("POST", "/api/Spaces-1/deployments") == 1
    assert fake.count("GET", "/api/Spaces-1/releases/Releases-1/deployments") == 1 + 3


def test_the_look_up_stops_at_a_page_older_than_the_step(fake: FakeOctopus) -> None:
    for tenant in range(250):
        fake.add_deployment("Releases-1", "2026-11-20T08:00:00.000+00:00", f"Tenants-{tenant}")
    since = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)
    create(make_client(fake), key="run-2:new", since=since)
    assert fake.count("GET", "/api/Spaces-1/releases/Releases-1/deployments") == 1
    assert fake.count("POST", "/api/Spaces-1/deployments") == 1


def test_comments_that_come_back_without_the_key_are_logged_as_an_error(
    fake: FakeOctopus, caplog: pytest.LogCaptureFixture
) -> None:
    fake.rewrite_comments = True
    with caplog.at_level(logging.ERROR, logger="coord.octopus.deployments"):
        deployment = create(make_client(fake), key="run-3:x")
    assert deployment.Id == "Deployments-1"
    assert "no longer carry coord's key [coord:run-3:x]" in caplog.text


@pytest.mark.parametrize("key", ["", "has space", "close]bracket", "x" * 201])
def test_malformed_keys_are_refused_before_any_request(fake: FakeOctopus, key: str) -> None:
    client = make_client(fake)
    _ = client.space_id
    before = len(fake.requests)
    with pytest.raises(ValueError, match="idempotency key"):
        create(client, key=key)
    assert len(fake.requests) == before


# -- interruptions -------------------------------------------------------------------------------


def test_a_lost_submit_is_not_sent_again_once_the_interruption_is_answered(fake: FakeOctopus) -> None:
    path = "/api/Spaces-1/interruptions/Interruptions-1"
    state = {"IsPending": True}
    fake.route("PUT", f"{path}/responsible", lambda r: httpx.Response(200))

    def submit(request: httpx.Request) -> httpx.Response:
        assert json.loads(request.content) == {"Result": "Proceed", "Notes": "ok"}
        state["IsPending"] = False
        return httpx.Response(200, json={"Id": "Interruptions-1", **state})

    fake.route("POST", f"{path}/submit", submit)
    fake.route("GET", path, lambda r: httpx.Response(200, json={"Id": "Interruptions-1", **state}))
    fake.fail("POST", f"{path}/submit", lost_after_processing(fake))
    answered = make_client(fake).submit_interruption("Interruptions-1", "Proceed", notes="ok")
    assert not answered.IsPending
    assert fake.count("POST", f"{path}/submit") == 1


# -- secrets -------------------------------------------------------------------------------------


@dataclass
class OctopusSettingsStub:
    octopus_server_url: str | None
    octopus_api_key: SecretStr | None
    octopus_space: str | None


def test_the_api_key_never_shows_in_reprs_errors_or_logs(
    fake: FakeOctopus, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.json_route("GET", "/api/Spaces-1/dashboard", {"Items": []})
    fake.fail("GET", "/api/Spaces-1/dashboard", status(503), refused)
    fake.fail("POST", "/api/Spaces-1/deployments", lost_after_processing(fake))
    settings = OctopusSettingsStub("https://octopus.example.com", SecretStr(API_KEY), None)
    client = OctopusClient.from_settings(
        settings, http=httpx.Client(transport=httpx.MockTransport(fake.handler))
    )
    texts = [repr(client), str(client), repr(vars(client))]
    client.dashboard()
    create(client)
    for faults in ([status(400, b'{"ErrorMessage": "bad"}')], [refused] * 5, [status(401, b"{}")]):
        fake.fail("GET", "/api/Spaces-1/dashboard", *faults)
        with pytest.raises(Exception) as caught:
            client.dashboard()
        texts += [str(caught.value), repr(caught.value)]
    texts += [record.getMessage() + repr(record.__dict__) for record in caplog.records]
    assert all(r.headers["X-Octopus-ApiKey"] == API_KEY for r in fake.requests)
    assert not [t for t in texts if API_KEY in t]

"""OctopusClient against the Octopus simulator served over real HTTP, faults included."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
import stamina

from coord.octopus import (
    OctopusAuthError,
    OctopusClient,
    OctopusNotFound,
    OctopusRejected,
    OctopusUnavailable,
    RetryPolicy,
)
from coord.octopus.models import TaskState

# Short client timeouts keep the simulator's held connections ("timeout" faults) quick to give up on.
TIMEOUT = httpx.Timeout(2.0, connect=2.0)


@pytest.fixture(autouse=True)
def fast_retries() -> Iterator[None]:
    # No backoff sleeps; attempts stay those of the client's RetryPolicy (cap).
    with stamina.set_testing(True, attempts=100, cap=True):
        yield


@dataclass
class World:
    """Ids of what each test adds to the simulator's fresh world."""

    dev: str
    test: str
    prod: str
    shop: str
    portal: str
    acme: str
    globex: str
    release: str


@pytest.fixture
def world(octosim: Any) -> World:
    sim = octosim.sim
    dev = sim.add_environment("Client Dev")
    test = sim.add_environment("Client Test")
    prod = sim.add_environment("Client Prod")
    lifecycle = sim.add_lifecycle(
        "Client Lifecycle",
        [
            {"name": "Dev", "automatic": [], "optional": ["Client Dev"]},
            {"name": "Test", "optional": ["Client Test"]},
            {"name": "Prod", "optional": ["Client Prod"]},
        ],
    )
    group = sim.add_project_group("Client Group")
    shop = sim.add_project("Client Shop", group=group, lifecycle=lifecycle)
    portal = sim.add_project(
        "Client Portal", group=group, lifecycle=lifecycle, tenanted="TenantedOrUntenanted"
    )
    acme = sim.add_tenant("Client Acme", {"Client Portal": ["Client Dev", "Client Test", "Client Prod"]})
    globex = sim.add_tenant("Client Globex", {"Client Portal": ["Client Dev", "Client Test", "Client Prod"]})
    release = sim.create_release("Client Shop", "1.0.0")
    return World(dev, test, prod, shop, portal, acme, globex, release)


@pytest.fixture
def client(octosim: Any) -> Iterator[OctopusClient]:
    with OctopusClient(octosim.url, octosim.api_key, retry=RetryPolicy(attempts=6), timeout=TIMEOUT) as c:
        yield c


def deployments_of(sim: Any, release_id: str, environment_id: str, tenant_id: str | None = None) -> list[Any]:
    return [
        d
        for d in sim.deployments.values()
        if d.release_id == release_id and d.environment_id == environment_id and d.tenant_id == tenant_id
    ]


# -- space and catalogue -------------------------------------------------------------------------


def test_the_default_space_is_used_when_none_is_named(client: OctopusClient) -> None:
    assert client.space_id == "Spaces-1"


def test_a_space_is_found_by_name(octosim: Any) -> None:
    space_id = octosim.sim.add_space("Platform Team")
    with OctopusClient(octosim.url, octosim.api_key, "platform team") as named:
        assert named.space_id == space_id


def test_an_unknown_space_is_reported_with_the_known_ones(octosim: Any) -> None:
    with (
        OctopusClient(octosim.url, octosim.api_key, "Nowhere") as lost,
        pytest.raises(OctopusNotFound, match="Default"),
    ):
        _ = lost.space_id


def test_a_wrong_api_key_is_an_auth_error(octosim: Any) -> None:
    with OctopusClient(octosim.url, "API-WRONGKEY000000000000000") as wrong, pytest.raises(OctopusAuthError):
        wrong.projects()


def test_all_endpoints_list_the_catalogue(client: OctopusClient, world: World) -> None:
    assert {"Client Shop", "Client Portal"} <= {p.Name for p in client.projects()}
    environments = [e for e in client.environments() if e.Name.startswith("Client ")]
    assert [e.Id for e in environments] == [world.dev, world.test, world.prod]
    assert "Client Group" in {g.Name for g in client.project_groups()}
    tenants = {t.Name: t for t in client.tenants()}
    assert tenants["Client Acme"].ProjectEnvironments[world.portal] == (world.dev, world.test, world.prod)
    (lifecycle,) = [x for x in client.lifecycles() if x.Name == "Client Lifecycle"]
    assert [p.Name for p in lifecycle.Phases] == ["Dev", "Test", "Prod"]
    assert [c.Name for c in client.channels(world.shop)] == ["Default"]
    assert client.root().Application == "Octopus Deploy"


def test_releases_are_read_newest_first_and_by_id(octosim: Any, client: OctopusClient, world: World) -> None:
    for version in ("1.1.0", "1.2.0", "1.3.0"):
        octosim.sim.clock.advance(timedelta(minutes=1))
        octosim.sim.create_release("Client Shop", version)
    newest = client.project_releases(world.shop, take=2)
    assert [r.Version for r in newest] == ["1.3.0", "1.2.0"]
    assert client.release(world.release).Version == "1.0.0"
    assert {r.Version for r in client.releases([world.release, newest[0].Id])} == {"1.0.0", "1.3.0"}


# -- paging --------------------------------------------------------------------------------------


def test_paging_reads_every_deployment_across_several_pages(
    octosim: Any, client: OctopusClient, world: World
) -> None:
    sim = octosim.sim
    for n in range(7):
        sim.clock.advance(timedelta(minutes=1))
        sim.create_release("Client Shop", f"2.0.{n}")
        sim.deploy("Client Shop", f"2.0.{n}", "Client Dev")
    before = client.request_counts.get("GET deployments", 0)
    found = list(client.deployments(projects=[world.shop], take=3))
    assert len(found) == 7
    assert [d.Created for d in found] == sorted((d.Created for d in found), reverse=True)
    assert client.request_counts["GET deployments"] - before == 3


def test_events_are_filtered_by_category_and_time(octosim: Any, client: OctopusClient, world: World) -> None:
    sim = octosim.sim
    start = sim.clock.now()
    sim.deploy("Client Shop", "1.0.0", "Client Dev", duration="1m")
    sim.clock.advance(timedelta(minutes=5))
    succeeded = list(client.events(categories=["DeploymentSucceeded"], since=start, take=1))
    assert len(succeeded) == 1
    assert succeeded[0].Category == "DeploymentSucceeded"
    assert world.release in succeeded[0].RelatedDocumentIds
    queued_and_started = list(
        client.events(categories=["DeploymentQueued", "DeploymentStarted"], since=start)
    )
    assert {e.Category for e in queued_and_started} == {"DeploymentQueued", "DeploymentStarted"}
    page = client.events_page(categories=["DeploymentQueued", "DeploymentStarted"], since=start, take=1)
    assert len(page.Items) == 1
    assert "Page.Next" in page.Links


# -- deploying and watching ----------------------------------------------------------------------


def test_a_created_deployment_runs_and_shows_on_the_dashboard(
    octosim: Any, client: OctopusClient, world: World
) -> None:
    deployment = client.create_deployment(
        world.release, world.dev, idempotency_key="run-1:shop:dev", comments="first deploy"
    )
    assert deployment.ProjectId == world.shop
    assert deployment.Comments is not None and "[coord:run-1:shop:dev]" in deployment.Comments
    assert deployment.TaskId is not None
    assert client.deployment(deployment.Id).TaskId == deployment.TaskId
    octosim.sim.run_until_idle()
    task = client.task(deployment.TaskId)
    assert task.State is TaskState.Success
    assert task.State.is_completed
    assert [t.Id for t in client.tasks_by_ids([deployment.TaskId])] == [deployment.TaskId]
    assert [d.Id for d in client.deployments_by_ids([deployment.Id])] == [deployment.Id]
    items = [
        i for i in client.dashboard().Items if i.ProjectId == world.shop and i.EnvironmentId == world.dev
    ]
    assert [(i.DeploymentId, i.State, i.ReleaseVersion) for i in items] == [
        (deployment.Id, TaskState.Success, "1.0.0")
    ]


def test_template_and_progression_say_where_a_release_may_go(
    octosim: Any, client: OctopusClient, world: World
) -> None:
    assert [t.Id for t in client.deployment_template(world.release).PromoteTo] == [world.dev]
    octosim.sim.deploy("Client Shop", "1.0.0", "Client Dev")
    octosim.sim.run_until_idle()
    assert world.test in [t.Id for t in client.deployment_template(world.release).PromoteTo]
    progression = client.release_progression(world.release)
    assert [p.Progress.value for p in progression.Phases] == ["Complete", "Current", "Pending"]
    assert world.test in progression.NextDeployments


def test_a_deployment_the_lifecycle_forbids_is_rejected_with_octopus_reason(
    client: OctopusClient, world: World
) -> None:
    with pytest.raises(OctopusRejected) as caught:
        client.create_deployment(world.release, world.prod, idempotency_key="run-1:shop:prod")
    assert caught.value.error_message or caught.value.errors
    assert "Client Prod" in str(caught.value)


def test_tenanted_deployments_are_kept_apart_by_tenant(
    octosim: Any, client: OctopusClient, world: World
) -> None:
    release = octosim.sim.create_release("Client Portal", "3.0.0")
    for tenant in (world.acme, world.globex, world.acme):
        client.create_deployment(release, world.dev, tenant_id=tenant, idempotency_key="run-2:portal:dev")
    assert len(deployments_of(octosim.sim, release, world.dev, world.acme)) == 1
    assert len(deployments_of(octosim.sim, release, world.dev, world.globex)) == 1


def test_a_manual_intervention_is_seen_and_answered(
    octosim: Any, client: OctopusClient, world: World
) -> None:
    sim = octosim.sim
    sim.script_outcome(
        project="Client Shop",
        environment="Client Dev",
        outcome="ManualIntervention",
        interrupt_after="10s",
        duration="1m",
    )
    deployment = client.create_deployment(world.release, world.dev, idempotency_key="run-3:shop:dev")
    assert deployment.TaskId is not None
    sim.clock.advance(timedelta(seconds=30))
    (pending,) = client.interruptions(deployment.TaskId)
    assert pending.IsPending
    answered = client.submit_interruption(pending.Id, "Proceed", notes="checked")
    assert not answered.IsPending
    assert client.interruptions(deployment.TaskId) == []
    sim.run_until_idle()
    assert client.task(deployment.TaskId).State is TaskState.Success


def test_a_running_task_can_be_canceled(octosim: Any, client: OctopusClient, world: World) -> None:
    octosim.sim.script_outcome(project="Client Shop", environment="Client Dev", duration="1h")
    deployment = client.create_deployment(world.release, world.dev, idempotency_key="run-4:shop:dev")
    assert deployment.TaskId is not None
    octosim.sim.clock.advance(timedelta(minutes=1))
    client.cancel_task(deployment.TaskId)
    octosim.sim.run_until_idle()
    assert client.task(deployment.TaskId).State is TaskState.Canceled


# -- faults --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "posts"),
    [
        # A lost answer: Octopus stored the deployment, so the lookup finds it and nothing is re-sent.
        ({"lost_response": True, "count": 2}, 1),
        # Refusals before Octopus stored anything: the lookup finds nothing and the POST is re-sent.
        ({"status": 503, "count": 2}, 3),
        ({"status": 502, "count": 1}, 2),
        ({"status": 429, "retry_after": 1, "count": 2}, 3),
        ({"timeout": 3.0, "count": 1}, 2),
    ],
    ids=["lost-responses", "503", "502-html", "429-retry-after", "timeout"],
)
def test_one_create_call_makes_exactly_one_deployment_under_faults(
    octosim: Any, client: OctopusClient, world: World, fault: dict[str, Any], posts: int
) -> None:
    observations = octosim.sim.observations
    created_before = observations.counter("deployments_created")
    injected = octosim.sim.faults.add("POST /deployments", **fault)
    deployment = client.create_deployment(world.release, world.dev, idempotency_key="run-5:shop:dev")
    assert injected.fired >= 1
    assert observations.route_count("POST /deployments") == posts
    assert [d.id for d in deployments_of(octosim.sim, world.release, world.dev)] == [deployment.Id]
    again = client.create_deployment(world.release, world.dev, idempotency_key="run-5:shop:dev")
    assert again.Id == deployment.Id
    assert observations.counter("deployments_created") - created_before == 1


def test_reads_survive_a_storm_of_faults(octosim: Any, client: OctopusClient, world: World) -> None:
    faults = octosim.sim.faults
    injected = [
        faults.add("GET /dashboard", status=503, count=2),
        faults.add("GET /projects/all", status=429, retry_after=1, count=1),
        faults.add("GET /environments/all", lost_response=True, count=1),
        faults.add("GET /deployments", status=504, count=1),
    ]
    assert client.dashboard() is not None
    assert "Client Shop" in {p.Name for p in client.projects()}
    assert world.dev in {e.Id for e in client.environments()}
    assert list(client.deployments(projects=[world.shop])) == []
    assert [f.fired for f in injected] == [2, 1, 1, 1]


def test_a_persistent_outage_ends_in_unavailable_after_bounded_attempts(octosim: Any, world: World) -> None:
    octosim.sim.faults.add("GET /dashboard", status=503)
    with OctopusClient(octosim.url, octosim.api_key, retry=RetryPolicy(attempts=3)) as client:
        _ = client.space_id
        with pytest.raises(OctopusUnavailable, match="503"):
            client.dashboard()
        assert client.request_counts["GET dashboard"] == 3


def test_the_api_key_stays_out_of_logs_and_errors_under_faults(
    octosim: Any, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="stamina")  # the CLI, run in-process elsewhere, quietens it
    octosim.sim.faults.add("POST /deployments", lost_response=True, count=1)
    octosim.sim.faults.add("GET /dashboard", status=503)
    messages: list[str] = []
    with OctopusClient(
        octosim.url, octosim.api_key, retry=RetryPolicy(attempts=2), timeout=TIMEOUT
    ) as client:
        messages.append(repr(client))
        client.create_deployment(world.release, world.dev, idempotency_key="run-6:shop:dev")
        with pytest.raises(OctopusUnavailable) as caught:
            client.dashboard()
        messages += [str(caught.value), repr(caught.value)]
    messages += [r.getMessage() + repr(r.__dict__) for r in caplog.records]
    assert any("stamina" in m for m in messages)
    assert not [m for m in messages if octosim.api_key in m]


def test_an_untenanted_deployment_lost_behind_many_tenant_deployments_is_found_not_posted_again(
    octosim: Any, client: OctopusClient, world: World
) -> None:
    sim = octosim.sim
    tenants = [sim.add_tenant(f"Client T{n}", {"Client Portal": ["Client Dev"]}) for n in range(45)]
    release = sim.create_release("Client Portal", "4.0.0")
    started = sim.clock.now()
    # The POST is stored but its answer lost, and this attempt gives up before looking again.
    lost = sim.faults.add("POST /deployments", lost_response=True, count=1)
    impatient = RetryPolicy(create_attempts=1)
    with (
        OctopusClient(octosim.url, octosim.api_key, retry=impatient, timeout=TIMEOUT) as first,
        pytest.raises(OctopusUnavailable),
    ):
        first.create_deployment(release, world.dev, idempotency_key="run-7:portal:dev", since=started)
    assert lost.fired == 1
    # Meanwhile each tenant gets the release: the project's 30 newest deployments are all theirs.
    sim.clock.advance(timedelta(minutes=1))
    for tenant in tenants:
        sim.deploy("Client Portal", "4.0.0", "Client Dev", tenant=tenant)
    found = client.create_deployment(release, world.dev, idempotency_key="run-7:portal:dev", since=started)
    assert [d.id for d in deployments_of(sim, release, world.dev)] == [found.Id]

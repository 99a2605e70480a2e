"""Gate decisions and `versions` lists (pure), with property tests of version wishes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coord.domain.catalogue import Catalogue, EnvironmentInfo, ProjectInfo, TenantInfo
from coord.domain.records import DeploymentRecord, MatrixCell, TaskState
from coord.domain.versions import parse_version
from coord.locks.gates import Member, WishError, check_gate, parse_wishes

T = datetime(2026, 11, 26, 9, tzinfo=UTC)
ENV = "Environments-2"
CATALOGUE = Catalogue(
    projects={
        "Projects-1": ProjectInfo("Projects-1", "Identity"),
        "Projects-2": ProjectInfo("Projects-2", "Payments", tenanted_mode="Tenanted"),
    },
    environments={ENV: EnvironmentInfo(ENV, "Staging")},
    tenants={
        "Tenants-1": TenantInfo("Tenants-1", "Acme", {"Projects-2": (ENV,)}),
        "Tenants-2": TenantInfo("Tenants-2", "Globex", {"Projects-2": ("Environments-9",)}),
    },
)
MEMBERS = [
    Member("Identity", CATALOGUE.projects["Projects-1"]),
    Member("Payments", CATALOGUE.projects["Projects-2"]),
]


def cell(project: str, version: str, state: TaskState, tenant: str | None = None) -> MatrixCell:
    record = DeploymentRecord(
        f"Deployments-{version}", project, ENV, tenant, "Releases-1", version, None, None, state, T
    )
    return MatrixCell(project, ENV, tenant, record, record if state is TaskState.SUCCESS else None)


def test_open_when_every_required_stream_succeeded() -> None:
    cells = [
        cell("Projects-1", "1.1.0", TaskState.SUCCESS),
        cell("Projects-2", "0.9.0", TaskState.SUCCESS, "Tenants-1"),
    ]
    answer = check_gate(MEMBERS, ENV, cells, CATALOGUE)
    # Globex is not connected to Payments in Staging, so it is not waited for.
    assert answer.open and answer.projects == ("Identity", "Payments")


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        (TaskState.EXECUTING, "deploying"),
        (TaskState.QUEUED, "deploying"),
        (TaskState.FAILED, "failed"),
        (TaskState.CANCELED, "failed"),
        (TaskState.TIMED_OUT, "failed"),
    ],
)
def test_the_latest_deployment_must_have_succeeded(state: TaskState, reason: str) -> None:
    cells = [cell("Projects-1", "1.2.0", state), cell("Projects-2", "0.9.0", TaskState.SUCCESS, "Tenants-1")]
    [waiting] = check_gate(MEMBERS, ENV, cells, CATALOGUE).waiting_for
    assert (waiting.project, waiting.reason, waiting.version, waiting.state) == (
        "Identity",
        reason,
        "1.2.0",
        state.value,
    )


def test_missing_deployments_and_unknown_projects_are_waited_for() -> None:
    members = [*MEMBERS, Member("Storefront", None)]
    answer = check_gate(members, ENV, [], CATALOGUE)
    assert [(w.project, w.tenant, w.reason) for w in answer.waiting_for] == [
        ("Identity", None, "not deployed"),
        ("Payments", "Acme", "not deployed"),
        ("Storefront", None, "unknown project"),
    ]


def test_a_wanted_version_must_be_deployed() -> None:
    cells = [
        cell("Projects-1", "1.1.0", TaskState.SUCCESS),
        cell("Projects-2", "0.9.0", TaskState.SUCCESS, "Tenants-1"),
    ]
    wishes = dict(parse_wishes("Identity:>=1.2,Payments:0.9"))
    [waiting] = check_gate(MEMBERS, ENV, cells, CATALOGUE, wishes).waiting_for
    assert (waiting.project, waiting.reason, waiting.wanted) == ("Identity", "version", ">=1.2")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Checkout:3.2.1", [("Checkout", "3.2.1")]),
        ("Checkout:>=3.2,<4, Identity:1.0", [("Checkout", ">=3.2,<4"), ("Identity", "1.0")]),
        ("Web:App:1.0", [("Web:App", "1.0")]),
        ("", []),
    ],
)
def test_versions_lists_are_read(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(project, wish.text) for project, wish in parse_wishes(text)] == expected


@pytest.mark.parametrize("text", ["Checkout", ":1.0", "Checkout:", "Checkout:abc", "Checkout:1.0,<2", "<2"])
def test_unreadable_versions_lists_say_so(text: str) -> None:
    with pytest.raises(WishError, match="versions"):
        parse_wishes(text)


VERSIONS = st.builds(
    lambda numbers, pre: ".".join(map(str, numbers)) + (f"-{pre}" if pre else ""),
    st.lists(st.integers(0, 30), min_size=1, max_size=4),
    st.one_of(st.none(), st.sampled_from(["alpha", "beta.1", "rc.2", "feature-x"])),
)


@given(VERSIONS, VERSIONS)
def test_an_exact_wish_allows_exactly_the_equal_versions(wanted: str, deployed: str) -> None:
    [(_, wish)] = parse_wishes(f"P:{wanted}")
    assert wish.allows(deployed) == (parse_version(deployed) == parse_version(wanted))


@given(VERSIONS, VERSIONS, VERSIONS)
def test_a_range_wish_follows_octopus_version_order(low: str, high: str, deployed: str) -> None:
    [(_, wish)] = parse_wishes(f"P:>={low},<{high}")
    version = parse_version(deployed)
    assert wish.allows(deployed) == (parse_version(low) <= version < parse_version(high))

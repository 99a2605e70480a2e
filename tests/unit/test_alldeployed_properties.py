"""Property tests: "all deployed" holds exactly when every required stream's latest deployment succeeded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from coord.alldeployed.completion import completion_keys
from coord.config import parse_config
from coord.domain.catalogue import Catalogue, EnvironmentInfo, ProjectInfo, TenantInfo
from coord.domain.records import DeploymentRecord, MatrixCell, TaskState, update_cell

T0 = datetime(2026, 11, 26, 9, tzinfo=UTC)
PROJECTS = ["P1", "P2", "P3", "P4"]
TENANTS = ["Acme", "Globex"]
ENV = "Environments-1"


def catalogue(tenanted: set[str]) -> Catalogue:
    return Catalogue(
        projects={
            f"Projects-{p}": ProjectInfo(
                f"Projects-{p}", p, p.lower(), "Tenanted" if p in tenanted else "Untenanted"
            )
            for p in PROJECTS
        },
        environments={ENV: EnvironmentInfo(ENV, "Production", 1)},
        tenants={
            f"Tenants-{t}": TenantInfo(f"Tenants-{t}", t, {f"Projects-{p}": (ENV,) for p in tenanted})
            for t in TENANTS
        },
    )


CONFIG = parse_config(
    """
mail: {from: coord@example.com}
groups:
  all: {projects: [P1, P2, P3, P4]}
notify:
  all_deployed:
    - {group: all, environments: [Production], to: [team@example.com]}
""",
    "test",
)

deployment = st.tuples(
    st.sampled_from(PROJECTS),
    st.sampled_from([None, *TENANTS]),
    st.sampled_from(["1.0.0", "1.1.0", "2.0.0"]),
    st.sampled_from([s.value for s in TaskState]),
)


def matrix(history: list[tuple[str, str | None, str, str]], tenanted: set[str]) -> list[MatrixCell]:
    cells: dict[tuple[str, str, str | None], MatrixCell] = {}
    for n, (project, tenant, version, state) in enumerate(history):
        tenant_id = f"Tenants-{tenant}" if (tenant and project in tenanted) else None
        if project in tenanted and tenant_id is None:
            continue  # a tenanted-only project is never deployed untenanted
        record = DeploymentRecord(
            deployment_id=f"Deployments-{n + 1}",
            project_id=f"Projects-{project}",
            environment_id=ENV,
            tenant_id=tenant_id,
            release_id=f"Releases-{project}-{version}",
            release_version=version,
            channel_id=None,
            task_id=f"ServerTasks-{n + 1}",
            state=TaskState(state),
            created=T0 + timedelta(minutes=n),
        )
        key = record.matrix_key
        cells[key] = update_cell(cells.get(key), record) or cells[key]
    return list(cells.values())


def expected_complete(cells: list[MatrixCell], tenanted: set[str]) -> bool:
    latest = {(c.project_id, c.tenant_id): c.latest.state for c in cells}
    for project in PROJECTS:
        streams = [f"Tenants-{t}" for t in TENANTS] if project in tenanted else [None]
        for tenant_id in streams:
            if latest.get((f"Projects-{project}", tenant_id)) is not TaskState.SUCCESS:
                return False
    return True


@settings(max_examples=300)
@given(st.lists(deployment, max_size=30), st.sets(st.sampled_from(PROJECTS), max_size=2))
def test_complete_exactly_when_every_stream_latest_succeeded(history, tenanted) -> None:
    cells = matrix(history, tenanted)
    found = completion_keys(CONFIG, cells, catalogue(tenanted))
    assert bool(found) == expected_complete(cells, tenanted)


@settings(max_examples=200)
@given(st.lists(deployment, max_size=30), st.sets(st.sampled_from(PROJECTS), max_size=2), st.randoms())
def test_the_key_does_not_depend_on_the_order_cells_are_read(history, tenanted, rng) -> None:
    cells = matrix(history, tenanted)
    shuffled = list(cells)
    rng.shuffle(shuffled)
    first = [c.key for c in completion_keys(CONFIG, cells, catalogue(tenanted))]
    second = [c.key for c in completion_keys(CONFIG, shuffled, catalogue(tenanted))]
    assert first == second


@settings(max_examples=200)
@given(
    st.lists(st.tuples(st.sampled_from(PROJECTS), st.sampled_from(["1.0.0", "1.1.0"])), max_size=10),
    st.sets(st.sampled_from(PROJECTS), max_size=2),
    st.sampled_from(PROJECTS),
)
def test_a_new_version_in_a_complete_set_is_a_new_key(successes, tenanted, bumped_project) -> None:
    # Every stream deployed once, then more successful deployments: always complete.
    baseline = [
        (p, t, "1.0.0", "Success") for p in PROJECTS for t in ([*TENANTS] if p in tenanted else [None])
    ]
    history = baseline + [
        (p, t, v, "Success") for p, v in successes for t in (TENANTS if p in tenanted else [None])
    ]
    before = completion_keys(CONFIG, matrix(history, tenanted), catalogue(tenanted))
    assert len(before) == 1
    tenants = TENANTS if bumped_project in tenanted else [None]
    bumped = history + [(bumped_project, t, "9.9.9", "Success") for t in tenants]
    after = completion_keys(CONFIG, matrix(bumped, tenanted), catalogue(tenanted))
    assert len(after) == 1 and after[0].key != before[0].key
    in_flight = [*bumped, (bumped_project, tenants[0], "9.9.10", "Executing")]
    assert completion_keys(CONFIG, matrix(in_flight, tenanted), catalogue(tenanted)) == []

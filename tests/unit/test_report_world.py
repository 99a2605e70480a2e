"""A small known space and deployment records for the report and "all deployed" unit tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from coord.domain.catalogue import Catalogue, EnvironmentInfo, ProjectInfo, TenantInfo
from coord.domain.records import DeploymentRecord, MatrixCell, TaskState, update_cell

CATALOGUE = Catalogue(
    projects={
        "Projects-1": ProjectInfo("Projects-1", "Identity", "identity"),
        "Projects-2": ProjectInfo("Projects-2", "Catalog", "catalog"),
        "Projects-3": ProjectInfo("Projects-3", "Payments", "payments", tenanted_mode="Tenanted"),
    },
    environments={
        "Environments-1": EnvironmentInfo("Environments-1", "Staging", 1),
        "Environments-2": EnvironmentInfo("Environments-2", "Production", 2),
    },
    tenants={
        "Tenants-1": TenantInfo("Tenants-1", "Acme", {"Projects-3": ("Environments-1", "Environments-2")}),
        "Tenants-2": TenantInfo("Tenants-2", "Globex", {"Projects-3": ("Environments-2",)}),
    },
)
_PROJECTS = {"Identity": "Projects-1", "Catalog": "Projects-2", "Payments": "Projects-3"}
_ENVS = {"Staging": "Environments-1", "Production": "Environments-2"}
_TENANTS = {"Acme": "Tenants-1", "Globex": "Tenants-2", None: None}


class Deployments:
    """Builds records with consecutive ids: `add("Identity", "Production", "1.0.0", at, minutes=5)`."""

    def __init__(self) -> None:
        self.records: list[DeploymentRecord] = []

    def add(
        self,
        project: str,
        environment: str,
        version: str,
        queued: datetime,
        *,
        minutes: float | None = 5,
        state: str = "Success",
        tenant: str | None = None,
        error: str = "",
        by: str = "alice",
        assembled: datetime | None = None,
    ) -> DeploymentRecord:
        n = len(self.records) + 1
        task_state = TaskState(state)
        start = queued + timedelta(seconds=10) if state != "Queued" else None
        done = (
            start + timedelta(minutes=minutes)
            if start and minutes is not None and task_state.is_completed
            else None
        )
        record = DeploymentRecord(
            deployment_id=f"Deployments-{n}",
            project_id=_PROJECTS[project],
            environment_id=_ENVS[environment],
            tenant_id=_TENANTS[tenant],
            release_id=f"Releases-{project}-{version}",
            release_version=version,
            channel_id="Channels-1",
            task_id=f"ServerTasks-{n}",
            state=task_state,
            created=queued,
            queue_time=queued,
            start_time=start,
            completed_time=done,
            deployed_by=by,
            error_message=error,
            release_assembled=assembled,
        )
        self.records.append(record)
        return record

    def matrix(self) -> list[MatrixCell]:
        cells: dict[tuple[str, str, str | None], MatrixCell] = {}
        for record in self.records:
            key = record.matrix_key
            cells[key] = update_cell(cells.get(key), record) or cells[key]
        return list(cells.values())


def test_the_builder_keeps_the_latest_deployment_by_creation_in_the_matrix() -> None:
    d = Deployments()
    first = datetime(2026, 11, 26, 9, tzinfo=UTC)
    d.add("Identity", "Production", "1.0.0", first)
    d.add("Identity", "Production", "1.1.0", first + timedelta(hours=1), state="Failed")
    [cell] = d.matrix()
    assert (cell.latest.release_version, cell.latest.state) == ("1.1.0", TaskState.FAILED)
    assert cell.last_success is not None and cell.last_success.release_version == "1.0.0"

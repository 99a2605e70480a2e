"""The current matrix as people read it: projects by environments (pure).

Like Octopus's dashboard, each cell shows the latest deployment by creation time, failed
ones included (octopus-api.md §3 Dashboard); tenanted projects show one entry per tenant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from coord.domain.catalogue import Catalogue
from coord.domain.records import MatrixCell, TaskState

# With the default tick every minute, data this old means polls have failed or stopped for a while.
STALE_AFTER = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class PollFreshness:
    """The last poll attempt, the last one that worked, and the error of the last one that did not."""

    last_attempt: datetime | None = None
    last_success: datetime | None = None
    error: str = ""

    def stale(self, now: datetime) -> bool:
        """Whether the data is older than STALE_AFTER (or no poll has worked yet)."""
        return self.last_success is None or now - self.last_success > STALE_AFTER


@dataclass(frozen=True, slots=True)
class StatusEntry:
    tenant: str
    version: str
    state: str
    deployment_id: str
    created: datetime
    completed: datetime | None
    deployed_by: str | None
    error: str
    waiting_for: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StatusRow:
    project_id: str
    project: str
    groups: tuple[str, ...]
    cells: Mapping[str, tuple[StatusEntry, ...]]  # environment name -> entries


@dataclass(frozen=True, slots=True)
class StatusView:
    generated_at: datetime
    environments: tuple[str, ...]
    rows: tuple[StatusRow, ...]

    def to_json(self) -> dict[str, Any]:
        """The view as the JSON of `GET /api/status` and `coord status --json`."""
        return {
            "generated_at": _iso(self.generated_at),
            "environments": list(self.environments),
            "projects": [
                {
                    "id": row.project_id,
                    "name": row.project,
                    "groups": list(row.groups),
                    "environments": {
                        env: [
                            {
                                "tenant": e.tenant or None,
                                "version": e.version,
                                "state": e.state,
                                "deployment_id": e.deployment_id,
                                "created": _iso(e.created),
                                "completed": _iso(e.completed) if e.completed else None,
                                "deployed_by": e.deployed_by,
                                "error": e.error or None,
                                "waiting_for": list(e.waiting_for),
                            }
                            for e in entries
                        ]
                        for env, entries in row.cells.items()
                    },
                }
                for row in self.rows
            ],
        }


def build_status(
    cells: Iterable[MatrixCell],
    catalogue: Catalogue,
    groups: Mapping[str, Sequence[str]],
    now: datetime,
    *,
    all_projects: bool = False,
) -> StatusView:
    """The matrix for the configured groups' projects (or every project with `all_projects`)."""
    membership: dict[str, list[str]] = {}
    for group, refs in groups.items():
        for ref in refs:
            info = catalogue.project(ref)
            membership.setdefault(info.id if info else ref, []).append(group)
    by_project: dict[str, dict[str, list[StatusEntry]]] = {}
    for cell in cells:
        if not all_projects and cell.project_id not in membership:
            continue
        env = catalogue.environment_name(cell.environment_id)
        latest = cell.latest
        by_project.setdefault(cell.project_id, {}).setdefault(env, []).append(
            StatusEntry(
                tenant=catalogue.tenant_name(cell.tenant_id),
                version=latest.release_version,
                state=latest.state.value,
                deployment_id=latest.deployment_id,
                created=latest.created,
                completed=latest.completed_time,
                deployed_by=latest.deployed_by,
                error=latest.error_message,
                waiting_for=latest.pending_interruptions,
            )
        )
    project_ids = set(by_project) | (set(catalogue.projects) if all_projects else set(membership))
    envs = tuple(e.name for e in catalogue.environments_in_order())
    rows = tuple(
        StatusRow(
            project_id=pid,
            project=catalogue.project_name(pid),
            groups=tuple(membership.get(pid, ())),
            cells={
                env: tuple(sorted(entries, key=lambda e: e.tenant))
                for env, entries in sorted(
                    by_project.get(pid, {}).items(), key=lambda kv: _env_order(envs, kv[0])
                )
            },
        )
        for pid in sorted(project_ids, key=lambda p: catalogue.project_name(p).casefold())
    )
    return StatusView(generated_at=now, environments=envs, rows=rows)


_SYMBOLS = {
    TaskState.SUCCESS.value: ("ok", "32"),
    TaskState.FAILED.value: ("FAILED", "31"),
    TaskState.TIMED_OUT.value: ("TIMED OUT", "31"),
    TaskState.CANCELED.value: ("canceled", "33"),
    TaskState.EXECUTING.value: ("running", "36"),
    TaskState.CANCELLING.value: ("cancelling", "33"),
    TaskState.QUEUED.value: ("queued", "36"),
}


def render_status_table(view: StatusView, *, color: bool = False) -> str:
    """A plain-text table; state is written as a word, and coloured only when asked."""
    headers = ["Project", *view.environments]
    table: list[list[str]] = []
    plain: list[list[str]] = []
    for row in view.rows:
        cells, raw = [row.project], [row.project]
        for env in view.environments:
            entries = row.cells.get(env, ())
            texts = []
            colored = []
            for e in entries:
                word, code = _SYMBOLS.get(e.state, (e.state, "0"))
                if e.waiting_for:
                    word += ", waiting for " + " and ".join(e.waiting_for)
                prefix = f"{e.tenant}: " if e.tenant else ""
                texts.append(f"{prefix}{e.version} {word}")
                colored.append(f"{prefix}{e.version} \033[{code}m{word}\033[0m" if color else texts[-1])
            raw.append("; ".join(texts) or "-")
            cells.append("; ".join(colored) or "-")
        plain.append(raw)
        table.append(cells)
    widths = [max([len(h)] + [len(r[i]) for r in plain]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for raw, shown in zip(plain, table, strict=True):
        padded = [s + " " * (w - len(r)) for s, r, w in zip(shown, raw, widths, strict=True)]
        lines.append("  ".join(padded).rstrip())
    if not view.rows:
        lines.append("(no deployments recorded yet: run `python -m coord poll`)")
    return "\n".join(lines)


def _env_order(envs: tuple[str, ...], name: str) -> int:
    return envs.index(name) if name in envs else len(envs)


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds")

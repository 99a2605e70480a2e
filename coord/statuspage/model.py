"""The status page as values: groups by environment with drift, active runs, held locks, freshness (pure).

It is the feed's status view (coord/feed/status.py) cut into the configured groups, with what is
moving now beside it: promotion runs that have not ended and locks that are held.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from coord.feed.status import PollFreshness, StatusEntry, StatusRow, StatusView
from coord.locks.fair import LockState
from coord.promotion.model import Run, StepStatus


@dataclass(frozen=True, slots=True)
class Cell:
    """One tenant's (or the untenanted) latest deployment in an environment, and whether it drifts."""

    entry: StatusEntry
    drift_from: str | None  # the environment before it, in the group's columns, whose version differs


@dataclass(frozen=True, slots=True)
class GroupRow:
    project_id: str
    project: str
    cells: tuple[tuple[Cell, ...], ...]  # one tuple per column (empty: never deployed there)


@dataclass(frozen=True, slots=True)
class GroupView:
    name: str
    environments: tuple[str, ...]
    rows: tuple[GroupRow, ...]

    @property
    def drifted(self) -> int:
        """How many projects differ somewhere from the environment before."""
        return sum(any(c.drift_from for cells in row.cells for c in cells) for row in self.rows)


@dataclass(frozen=True, slots=True)
class RunProgress:
    """A promotion run that has not ended, and how far it is."""

    run: Run
    done: int  # steps that ended (deployed, failed, skipped, blocked)
    deployed: int
    total: int
    running: tuple[str, ...]  # projects deploying now
    failed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HeldLock:
    name: str
    holder: str
    granted_at: datetime
    expires_at: datetime
    waiting: int


@dataclass(frozen=True, slots=True)
class StatusPage:
    generated_at: datetime
    zone: str
    groups: tuple[GroupView, ...]
    runs: tuple[RunProgress, ...]
    locks: tuple[HeldLock, ...]
    freshness: PollFreshness

    @property
    def stale(self) -> bool:
        return self.freshness.stale(self.generated_at)


def build_page(  # noqa: PLR0917  (the page joins all of these)
    view: StatusView,
    groups: Iterable[str],
    runs: Iterable[Run],
    locks: Iterable[LockState],
    freshness: PollFreshness,
    zone: str,
) -> StatusPage:
    """The page of the `groups` (in their order) from the status view, the active runs and the locks."""
    group_views = []
    for name in groups:
        members = [row for row in view.rows if name in row.groups]
        used = [env for env in view.environments if any(row.cells.get(env) for row in members)]
        group_views.append(GroupView(name, tuple(used), tuple(_row(row, used) for row in members)))
    now = view.generated_at
    held = [
        HeldLock(
            state.name,
            state.holder.holder,
            state.holder.granted_at,
            state.holder.expires_at,
            len(state.queue),
        )
        for state in locks
        if state.holder is not None and state.holder.is_live(now)
    ]
    return StatusPage(
        generated_at=now,
        zone=zone,
        groups=tuple(group_views),
        runs=tuple(_progress(run) for run in sorted(runs, key=lambda r: r.created)),
        locks=tuple(sorted(held, key=lambda lock: lock.name)),
        freshness=freshness,
    )


def _row(row: StatusRow, environments: Sequence[str]) -> GroupRow:
    cells: list[tuple[Cell, ...]] = []
    before: dict[str, tuple[str, str]] = {}  # tenant -> (environment, version) in the column before
    for env in environments:
        column = []
        for entry in row.cells.get(env, ()):
            previous = before.get(entry.tenant)
            drift = previous[0] if previous and previous[1] != entry.version else None
            column.append(Cell(entry, drift))
            before[entry.tenant] = (env, entry.version)
        cells.append(tuple(column))
    return GroupRow(row.project_id, row.project, tuple(cells))


def _progress(run: Run) -> RunProgress:
    def names(status: StepStatus) -> tuple[str, ...]:
        return tuple(
            s.project + (f" ({s.tenant})" if s.tenant else "") for s in run.steps if s.status is status
        )

    return RunProgress(
        run=run,
        done=sum(step.status.is_terminal for step in run.steps),
        deployed=sum(step.status is StepStatus.SUCCEEDED for step in run.steps),
        total=len(run.steps),
        running=names(StepStatus.RUNNING) + names(StepStatus.STARTING),
        failed=names(StepStatus.FAILED),
    )

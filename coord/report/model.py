"""The values of one day's report: rows, totals, metrics, the matrix, and the definitions printed (pure).

A deployment belongs to the local day on which it finished, or, while it is still running,
the day on which it was queued (interface.md, "The daily report"), so one that spans midnight
is counted on the day it finished. The day is a local day of the configured zone: 23 or 25
hours long when the clocks change.

The figures follow Octopus Insights (anchors.md [O6], docs `insights/metrics.md`); where
coord's data differs from what Octopus has, `DEFINITIONS` says so, and the report prints it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from coord.domain.records import RunOrigin, TaskState
from coord.schedules.cron import SkippedSlot

FAILURES = frozenset({TaskState.FAILED, TaskState.TIMED_OUT})
TREND_DAYS = 14  # days in the report's trend, ending with the report's day
# A wait between queued and started at least this long is shown: deployments queued behind others.
NOTABLE_WAIT = timedelta(minutes=1)

DEFINITIONS: tuple[tuple[str, str], ...] = (
    (
        "Day",
        "a deployment belongs to the local day on which it finished; one still queued or running "
        "belongs to the day it was queued. A deployment that spans midnight is counted on the day it "
        "finished.",
    ),
    (
        "Success rate",
        "successful deployments divided by completed ones (succeeded, failed, timed out or canceled).",
    ),
    (
        "Change failure rate",
        "failed and timed-out deployments divided by completed ones, as Octopus Insights' deployment "
        "failure rate. Octopus also counts a deployment that succeeded after a guided failure, and a "
        "release marked 'Do not promote', as failures; coord sees neither and counts only the task's "
        "final state.",
    ),
    (
        "Mean time to recovery",
        "from a failed deployment's completion to the completion of the next successful deployment "
        "of the same project, environment, tenant and channel, as Octopus Insights defines it. coord "
        "counts failures that finished on this day and recovered on this day; a failure recovered "
        "later is listed as not recovered that day.",
    ),
    (
        "Lead time",
        "from the creation of the deployed release to its successful deployment to the last "
        "environment in Octopus's order (production). Octopus Insights measures from the earliest "
        "release not yet deployed there, so when releases are skipped its figure is longer.",
    ),
    (
        "Drift",
        "a version that differs from the one in the environment before it, in Octopus's "
        "environment order: a promotion is pending between the two.",
    ),
)


@dataclass(frozen=True, slots=True)
class Counts:
    """Deployments by outcome: succeeded, failed (or timed out), and the rest (canceled, running)."""

    succeeded: int = 0
    failed: int = 0
    other: int = 0

    @property
    def total(self) -> int:
        return self.succeeded + self.failed + self.other


@dataclass(frozen=True, slots=True)
class DayCount:
    """One local day of the trend; `counts` is None for a day before coord's history starts."""

    day: date
    counts: Counts | None


@dataclass(frozen=True, slots=True)
class HourCount:
    """One local hour of the report's day, from `start` (local time)."""

    start: datetime
    counts: Counts


@dataclass(frozen=True, slots=True)
class RunSummary:
    """A promotion run as the report lists it."""

    run_id: str
    group: str
    source: str
    target: str
    outcome: str  # succeeded, failed, rolled back, halted, canceled, running
    started: datetime
    finished: datetime | None = None
    promotion: str | None = None  # the `promotions` entry; None for an ad-hoc run
    requested_by: str = ""  # who started an ad-hoc run
    deployed: int = 0
    failed: int = 0
    skipped: int = 0
    blocked: int = 0


@dataclass(frozen=True, slots=True)
class DeploymentRow:
    """One deployment of the day, with its times in the report's zone."""

    deployment_id: str
    project: str
    environment: str
    tenant: str
    version: str
    state: TaskState
    queued: datetime | None
    started: datetime | None
    finished: datetime | None
    duration: timedelta | None
    deployed_by: str
    error: str
    waiting_for: tuple[str, ...]
    spans_midnight: bool
    project_id: str = ""
    task_id: str | None = None
    origin: RunOrigin | None = None  # the promotion run that made it, when coord did

    @property
    def is_problem(self) -> bool:
        """Anything but a success: listed in full even on a large day."""
        return self.state is not TaskState.SUCCESS

    @property
    def wait(self) -> timedelta | None:
        """Queued to started, when both are known."""
        return self.started - self.queued if self.started and self.queued else None

    @property
    def notable_wait(self) -> timedelta | None:
        """The wait, when it is long enough to be worth a line (another deployment held it up)."""
        wait = self.wait
        return wait if wait is not None and wait >= NOTABLE_WAIT else None


@dataclass(frozen=True, slots=True)
class Totals:
    """Counts of deployments by outcome."""

    total: int = 0
    succeeded: int = 0
    failed: int = 0
    canceled: int = 0
    in_progress: int = 0

    @property
    def completed(self) -> int:
        return self.succeeded + self.failed + self.canceled

    @property
    def success_rate(self) -> float | None:
        """Succeeded / completed, None when nothing completed."""
        return self.succeeded / self.completed if self.completed else None

    @property
    def failure_rate(self) -> float | None:
        """Failed (incl. timed out) / completed, None when nothing completed."""
        return self.failed / self.completed if self.completed else None


@dataclass(frozen=True, slots=True)
class EnvironmentSection:
    """The day's deployments to one environment: totals, then problems in full, then successes."""

    environment: str
    totals: Totals
    problems: tuple[DeploymentRow, ...]
    successes: tuple[DeploymentRow, ...]


@dataclass(frozen=True, slots=True)
class Metrics:
    """Change failure rate, mean time to recovery and lead time over the day."""

    change_failure_rate: float | None
    failures: int
    completed: int
    mttr: timedelta | None
    recovered: int
    unrecovered: int
    lead_time_environment: str | None
    lead_time_mean: timedelta | None
    lead_time_median: timedelta | None
    lead_time_count: int


@dataclass(frozen=True, slots=True)
class MatrixEntry:
    """The latest deployment of a project (tenant) to an environment, and whether it drifts."""

    version: str
    state: TaskState
    drift_from: str | None  # the environment before it whose version differs
    project_id: str = ""
    deployment_id: str = ""


@dataclass(frozen=True, slots=True)
class MatrixRow:
    project: str
    tenant: str
    entries: tuple[MatrixEntry | None, ...]  # one per matrix environment

    @property
    def drifted(self) -> bool:
        return any(e is not None and e.drift_from for e in self.entries)

    @property
    def settled(self) -> bool:
        """In step everywhere and every latest deployment succeeded."""
        return not self.drifted and all(e is None or e.state is TaskState.SUCCESS for e in self.entries)


@dataclass(frozen=True, slots=True)
class ReportModel:
    """Everything the daily report shows."""

    day: date
    zone: str
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive
    generated_at: datetime  # UTC
    totals: Totals
    environments: tuple[EnvironmentSection, ...]
    metrics: Metrics
    runs: tuple[RunSummary, ...]
    matrix_environments: tuple[str, ...]
    matrix: tuple[MatrixRow, ...]
    skipped_slots: tuple[SkippedSlot, ...]
    spanning_midnight: int
    coverage_from: datetime | None = None  # when coord's history starts inside this day
    trend: tuple[DayCount, ...] = ()  # the last TREND_DAYS days, ending with this one
    hourly: tuple[HourCount, ...] = ()  # this day hour by hour

    @property
    def hours(self) -> float:
        """Length of the local day: 23 or 25 on the days the clocks change."""
        return (self.end - self.start).total_seconds() / 3600

    @property
    def in_progress(self) -> bool:
        """The day has not ended yet when the report was built."""
        return self.generated_at < self.end

    @property
    def definitions(self) -> tuple[tuple[str, str], ...]:
        return DEFINITIONS

    @property
    def zone_names(self) -> tuple[str, ...]:
        """The zone's abbreviations over the day: two on a day the clocks change (`BST`, `GMT`)."""
        zone = ZoneInfo(self.zone)
        names = [
            self.start.astimezone(zone).tzname(),
            (self.end - timedelta(seconds=1)).astimezone(zone).tzname(),
        ]
        return tuple(dict.fromkeys(n for n in names if n))


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants at which a local day starts and the next one starts."""
    # fold=0: a midnight that happens twice starts the day at its first occurrence; a midnight
    # skipped by a DST jump maps consistently for both neighbours, so consecutive days still tile.
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(ZoneInfo("UTC"))
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(ZoneInfo("UTC"))
    return start, end

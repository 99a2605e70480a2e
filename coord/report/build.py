"""The report of one local day from the stored records, runs and matrix (pure).

Rows, totals per environment, the Insights-style metrics and the version matrix with drift;
the values they fill are in `coord/report/model.py`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from coord.domain.catalogue import Catalogue, EnvironmentInfo
from coord.domain.records import DeploymentRecord, MatrixCell, TaskState, run_origin
from coord.report.metrics import lead_times, recoveries
from coord.report.model import (
    FAILURES,
    DayCount,
    DeploymentRow,
    EnvironmentSection,
    MatrixEntry,
    MatrixRow,
    Metrics,
    ReportModel,
    RunSummary,
    Totals,
    day_bounds,
)
from coord.report.trend import by_hour, count, trend_days
from coord.schedules.cron import SkippedSlot

_ERROR_LIMIT = 1000  # characters of an error message shown; the record keeps more


def build_report(  # noqa: PLR0917  (the report joins all of these)
    day: date,
    zone: ZoneInfo,
    records: Iterable[DeploymentRecord],
    matrix: Iterable[MatrixCell],
    catalogue: Catalogue,
    runs: Iterable[RunSummary],
    skipped_slots: Iterable[SkippedSlot],
    *,
    generated_at: datetime,
    groups: Mapping[str, Sequence[str]] | None = None,
    production: str | None = None,
    coverage_from: datetime | None = None,
    history: Sequence[DayCount] = (),
) -> ReportModel:
    """The report of local `day` in `zone` from the records that belong to it and the current matrix.

    `history` holds the counts of the days before `day` that the trend shows.
    """
    start, end = day_bounds(day, zone)
    day_records = [r for r in records if start <= r.belongs_at < end]
    rows = [_row(r, catalogue, zone, start) for r in day_records]
    order = {e.name: i for i, e in enumerate(catalogue.environments_in_order())}
    by_env: dict[str, list[DeploymentRow]] = defaultdict(list)
    for row in rows:
        by_env[row.environment].append(row)
    sections = tuple(
        _section(name, by_env[name]) for name in sorted(by_env, key=lambda n: (order.get(n, len(order)), n))
    )
    production_env = catalogue.environment(production) if production else None
    if production_env is None and catalogue.environments:
        production_env = catalogue.environments_in_order()[-1]
    metrics = _metrics(day_records, production_env.id if production_env else None, production_env)
    matrix_envs, matrix_rows = _matrix(matrix, catalogue, groups)
    return ReportModel(
        day=day,
        zone=zone.key,
        start=start,
        end=end,
        generated_at=generated_at,
        totals=_totals(rows),
        environments=sections,
        metrics=metrics,
        runs=tuple(sorted(runs, key=lambda r: r.started)),
        matrix_environments=matrix_envs,
        matrix=matrix_rows,
        skipped_slots=tuple(sorted(skipped_slots, key=lambda s: (s.slot_time, s.key))),
        spanning_midnight=sum(row.spans_midnight for row in rows),
        coverage_from=coverage_from.astimezone(zone) if coverage_from and coverage_from > start else None,
        trend=_trend(day, history, day_records),
        hourly=by_hour(day_records, start, end, zone),
    )


def _trend(
    day: date, history: Sequence[DayCount], day_records: list[DeploymentRecord]
) -> tuple[DayCount, ...]:
    """The trend's days, oldest first: the counts given for earlier days, none where none were given."""
    given = {d.day: d for d in history}
    earlier = [given.get(each, DayCount(each, None)) for each in trend_days(day)[:-1]]
    return (*earlier, DayCount(day, count(day_records)))


def _row(
    record: DeploymentRecord, catalogue: Catalogue, zone: ZoneInfo, day_start: datetime
) -> DeploymentRow:
    began = record.start_time or record.queue_time or record.created
    duration = None
    if record.start_time and record.completed_time:
        duration = record.completed_time - record.start_time
    return DeploymentRow(
        deployment_id=record.deployment_id,
        project=catalogue.project_name(record.project_id),
        environment=catalogue.environment_name(record.environment_id),
        tenant=catalogue.tenant_name(record.tenant_id),
        version=record.release_version,
        state=record.state,
        queued=_local(record.queue_time or record.created, zone),
        started=_local(record.start_time, zone),
        finished=_local(record.completed_time, zone),
        duration=duration,
        deployed_by=record.deployed_by or "",
        error=_clip(record.error_message),
        waiting_for=record.pending_interruptions,
        spans_midnight=record.completed_time is not None and began < day_start,
        project_id=record.project_id,
        task_id=record.task_id,
        origin=run_origin(record.comments),
    )


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    return moment.astimezone(zone) if moment else None


def _clip(text: str) -> str:
    return text if len(text) <= _ERROR_LIMIT else text[: _ERROR_LIMIT - 1] + "\u2026"


def _totals(rows: Iterable[DeploymentRow]) -> Totals:
    total = succeeded = failed = canceled = in_progress = 0
    for row in rows:
        total += 1
        if row.state is TaskState.SUCCESS:
            succeeded += 1
        elif row.state in FAILURES:
            failed += 1
        elif row.state is TaskState.CANCELED:
            canceled += 1
        else:
            in_progress += 1
    return Totals(total, succeeded, failed, canceled, in_progress)


def _section(environment: str, rows: list[DeploymentRow]) -> EnvironmentSection:
    def when(row: DeploymentRow) -> tuple[datetime, str]:
        moment = row.finished or row.queued
        assert moment is not None
        return moment, row.deployment_id

    rows.sort(key=when)
    return EnvironmentSection(
        environment=environment,
        totals=_totals(rows),
        problems=tuple(r for r in rows if r.is_problem),
        successes=tuple(r for r in rows if not r.is_problem),
    )


def _metrics(records: list[DeploymentRecord], production_id: str | None, production: object) -> Metrics:
    totals = _totals_of_records(records)
    recovered, unrecovered = recoveries(records, FAILURES)
    leads = lead_times(records, production_id) if production_id else []
    return Metrics(
        change_failure_rate=totals.failure_rate,
        failures=totals.failed,
        completed=totals.completed,
        mttr=_mean(recovered),
        recovered=len(recovered),
        unrecovered=unrecovered,
        lead_time_environment=getattr(production, "name", None),
        lead_time_mean=_mean(leads),
        lead_time_median=_median(leads),
        lead_time_count=len(leads),
    )


def _totals_of_records(records: list[DeploymentRecord]) -> Totals:
    failed = sum(r.state in FAILURES for r in records)
    succeeded = sum(r.state is TaskState.SUCCESS for r in records)
    canceled = sum(r.state is TaskState.CANCELED for r in records)
    return Totals(len(records), succeeded, failed, canceled, len(records) - failed - succeeded - canceled)


def _mean(values: list[timedelta]) -> timedelta | None:
    return sum(values, timedelta()) / len(values) if values else None


def _median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _matrix(
    cells: Iterable[MatrixCell], catalogue: Catalogue, groups: Mapping[str, Sequence[str]] | None
) -> tuple[tuple[str, ...], tuple[MatrixRow, ...]]:
    """Rows per project (and tenant) of the configured groups, columns in environment order."""
    wanted: set[str] | None = None
    if groups:
        wanted = set()
        for refs in groups.values():
            for ref in refs:
                info = catalogue.project(ref)
                wanted.add(info.id if info else ref)
    streams: dict[tuple[str, str | None], dict[str, MatrixCell]] = defaultdict(dict)
    used_envs: set[str] = set()
    for cell in cells:
        if wanted is not None and cell.project_id not in wanted:
            continue
        streams[(cell.project_id, cell.tenant_id)][cell.environment_id] = cell
        used_envs.add(cell.environment_id)
    envs = [e for e in catalogue.environments_in_order() if e.id in used_envs]
    envs += [EnvironmentInfo(env_id, env_id) for env_id in sorted(used_envs - {e.id for e in envs})]
    names = tuple(catalogue.environment_name(e.id) for e in envs)
    rows = []
    for (project_id, tenant_id), by_env in streams.items():
        entries: list[MatrixEntry | None] = []
        previous: tuple[str, str] | None = None  # (environment name, version)
        for env, name in zip(envs, names, strict=True):
            found = by_env.get(env.id)
            if found is None:
                entries.append(None)
                continue
            version = found.latest.release_version
            drift = previous[0] if previous and previous[1] != version else None
            latest = found.latest
            entries.append(MatrixEntry(version, latest.state, drift, project_id, latest.deployment_id))
            previous = (name, version)
        rows.append(
            MatrixRow(catalogue.project_name(project_id), catalogue.tenant_name(tenant_id), tuple(entries))
        )
    rows.sort(key=lambda r: (r.project.casefold(), r.tenant.casefold()))
    return names, tuple(rows)

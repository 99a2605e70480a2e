"""One poll of Octopus: read what changed, record it, and nothing more.

Cost is independent of the number of projects: an idle poll reads one page of the events
feed (plus one tasks request while deployments are in flight) and writes nothing. New
events name the deployments that changed; those are fetched by id in a few batched
requests. A slower reconciliation pass compares the dashboard with the stored matrix and
repairs anything the feed missed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from coord.domain.catalogue import Catalogue, EnvironmentInfo, ProjectInfo, TenantInfo
from coord.domain.records import DeploymentRecord, parse_state
from coord.feed.events import (
    FEED_CATEGORIES,
    DeploymentEvent,
    EventCursor,
    advance,
    deployment_event,
    names_changed,
    reconcile_due,
    unseen,
    window_start,
)
from coord.feed.names import NameCatalogue
from coord.feed.repository import DeploymentRepository
from coord.octopus import OctopusClient
from coord.store import StaleState

log = logging.getLogger(__name__)

_ERROR_LIMIT = 4000  # characters of a task's error message kept on the record


@dataclass(frozen=True, slots=True)
class PollOptions:
    """How a poll reads the feed."""

    backfill: timedelta = timedelta(days=7)
    page_size: int = 100
    max_pages: int = 40
    reconcile_every: timedelta = timedelta(minutes=15)


@dataclass(slots=True)
class PollReport:
    """What one poll did, for logs, the CLI and benchmarks."""

    events_read: int = 0
    deployments_seen: int = 0
    records_written: int = 0
    cells_written: int = 0
    reconciled: bool = False
    caught_up: bool = True
    cursor: datetime | None = None
    webhook_backlog: int = 0
    changed: list[DeploymentRecord] = field(default_factory=list)
    # The newest `Occurred` of an event saying a project, environment or tenant changed.
    names_changed: datetime | None = None
    names_refreshed: bool = False

    def summary(self) -> str:
        state = "caught up" if self.caught_up else "catching up"
        return (
            f"{self.events_read} events, {self.deployments_seen} deployments checked, "
            f"{self.records_written} records and {self.cells_written} matrix cells written"
            f"{', reconciled with the dashboard' if self.reconciled else ''}; {state}"
        )


class Poller:
    """Reads Octopus incrementally into the repository."""

    def __init__(
        self,
        octopus: OctopusClient,
        repo: DeploymentRepository,
        names: NameCatalogue,
        options: PollOptions | None = None,
    ) -> None:
        self._octopus = octopus
        self._repo = repo
        self._names = names
        self._options = options or PollOptions()

    def poll(self, now: datetime, heartbeat: Callable[[], None] | None = None) -> PollReport:
        """Read new events (catching up page by page after a gap), refresh tasks in flight.

        `heartbeat` is called after each page is recorded: a long catch-up keeps its lease.
        """
        report = PollReport()
        cursor, etag = self._repo.load_cursor()
        inflight = self._repo.inflight()
        start = window_start(cursor, now, self._options.backfill)
        # Tasks in flight are refreshed with the first batch of events, sharing its tasks request.
        refresh = set(inflight)
        # Deployments found completed earlier in this poll: their later events (on newer pages
        # of a catch-up) describe what the fetched snapshot already showed.
        settled: set[str] = set()
        for events in self._event_batches(cursor, start, report):
            ids = ({e.deployment_id for e in unseen(cursor, events)} - settled) | refresh
            refresh = set()
            self._ingest(ids, inflight, report, settled)
            cursor, etag = self._save(cursor, advance(cursor, start, events), etag)
            if heartbeat is not None:
                heartbeat()
        self._ingest(refresh, inflight, report)
        if cursor is None:
            cursor, etag = self._save(None, advance(None, start, []), etag)
        if reconcile_due(cursor, now, self._options.reconcile_every):
            self.reconcile(report, inflight)
            reconciled = EventCursor(cursor.through, cursor.recent, last_reconcile=now)
            cursor, etag = self._save(cursor, reconciled, etag)
        self._follow_renames(report)
        report.cursor = cursor.through
        return report

    def reconcile(self, report: PollReport, inflight: dict[str, DeploymentRecord]) -> None:
        """Compare the dashboard with the stored matrix and fetch whatever differs."""
        self.refresh_names()
        dashboard = self._octopus.dashboard()
        stored = {
            (c.project_id, c.environment_id, c.tenant_id): (c.latest.deployment_id, c.latest.state.value)
            for c in self._repo.matrix()
        }
        differing = {
            item.DeploymentId
            for item in dashboard.Items
            if stored.get((item.ProjectId, item.EnvironmentId, item.TenantId))
            != (item.DeploymentId, item.State)
        }
        if differing:
            log.info("reconciliation found %d deployments the feed had not delivered", len(differing))
            self._ingest(differing, inflight, report)
        report.reconciled = True

    def _follow_renames(self, report: PollReport) -> None:
        """Read the names again when the feed said one changed since they were last read for it."""
        changed = report.names_changed
        if changed is None:
            return
        seen = self._names.changes_seen()
        if seen is not None and changed <= seen:
            return  # an event of the overlap, already followed
        if not report.reconciled:  # a reconciliation has just read them
            self.refresh_names()
        self._names.mark_changes_seen(changed)
        report.names_refreshed = True

    def refresh_names(self) -> Catalogue:
        """Read the space's projects, environments and tenants into the stored catalogue."""
        catalogue = Catalogue(
            projects={
                p.Id: ProjectInfo(p.Id, p.Name, p.Slug or "", str(p.TenantedDeploymentMode or "Untenanted"))
                for p in self._octopus.projects()
            },
            environments={
                e.Id: EnvironmentInfo(e.Id, e.Name, e.SortOrder or 0) for e in self._octopus.environments()
            },
            tenants={
                t.Id: TenantInfo(
                    t.Id, t.Name, {k: tuple(v) for k, v in (t.ProjectEnvironments or {}).items()}
                )
                for t in self._octopus.tenants()
            },
            space_id=self._octopus.space_id,
        )
        self._names.refresh(catalogue)
        return catalogue

    def ingest_ids(self, deployment_ids: Iterable[str]) -> PollReport:
        """Fetch and record these deployments now (the webhook receiver's path)."""
        report = PollReport()
        self._ingest(set(deployment_ids), self._repo.inflight(), report)
        return report

    # --- internals ----------------------------------------------------------------------

    def _event_batches(
        self, cursor: EventCursor | None, start: datetime, report: PollReport
    ) -> Iterable[list[DeploymentEvent]]:
        """Events from `start` on, in batches to apply in order, oldest batch first.

        The feed is newest first. When everything fits one page (the usual case) that page is
        the only request. After a gap the upper bound is frozen at the newest event seen, so
        pages cannot shift while they are read from the oldest (last) page back to the newest;
        each page is applied and the cursor saved before the next, so a catch-up interrupted
        anywhere resumes where it stopped.
        """
        size = self._options.page_size
        first = self._octopus.events_page(categories=FEED_CATEGORIES, since=start, skip=0, take=size)
        _note_name_changes(first.Items, report)
        items = _deployment_events(first.Items)
        report.events_read += len(first.Items)
        if first.Links.get("Page.Next") is None:
            if items:
                yield list(reversed(items))
            return
        if _all_known(cursor, start, first.TotalResults, items):
            # After a burst the overlap holds more than a page; when Octopus counts no more
            # events there than are remembered and the newest page is all known, nothing
            # below it can be new either, so the rest need not be read again.
            return
        until = first.Items[0].Occurred
        # Octopus may serve fewer items per page than asked for; page arithmetic uses what it served.
        size = first.ItemsPerPage or len(first.Items)
        page_number = _last_page(first, size)
        if page_number is None:
            yield from self._follow_links(start, until, report)
            return
        pages_read = 0
        while page_number >= 0:
            if pages_read >= self._options.max_pages:
                report.caught_up = False
                return
            page = self._octopus.events_page(
                categories=FEED_CATEGORIES, since=start, until=until, skip=page_number * size, take=size
            )
            pages_read += 1
            last = _last_page(page, size)
            if last is not None and page_number > last:
                # Fewer events below the frozen bound than the first page said: restart from the real end.
                page_number = last
                continue
            report.events_read += len(page.Items)
            _note_name_changes(page.Items, report)
            batch = _deployment_events(page.Items)
            if batch:
                yield list(reversed(batch))
            page_number -= 1

    def _follow_links(
        self, start: datetime, until: datetime, report: PollReport
    ) -> Iterable[list[DeploymentEvent]]:
        """For a server whose pages do not say how many there are: read them all, apply once."""
        events = list(self._octopus.events(categories=FEED_CATEGORIES, since=start, until=until))
        report.events_read += len(events)
        _note_name_changes(events, report)
        batch = _deployment_events(events)
        if batch:
            yield list(reversed(batch))

    def _ingest(
        self,
        ids: set[str],
        inflight: dict[str, DeploymentRecord],
        report: PollReport,
        settled: set[str] | None = None,
    ) -> None:
        if not ids:
            return
        known = {i: inflight[i] for i in ids if i in inflight}
        deployments = {d.Id: d for d in self._octopus.deployments_by_ids(sorted(ids - set(known)))}
        task_ids = {d.TaskId for d in deployments.values() if d.TaskId} | {
            r.task_id for r in known.values() if r.task_id
        }
        tasks = {t.Id: t for t in self._octopus.tasks_by_ids(sorted(task_ids))}
        release_ids = {d.ReleaseId for d in deployments.values()}
        releases = {r.Id: r for r in self._octopus.releases(sorted(release_ids))}
        observed: list[DeploymentRecord] = []
        for deployment in deployments.values():
            release = releases.get(deployment.ReleaseId)
            observed.append(_record(deployment, tasks.get(deployment.TaskId or ""), release))
        for record in known.values():
            task = tasks.get(record.task_id or "")
            if task is not None:
                observed.append(_with_task(record, task))
        report.deployments_seen += len(observed)
        result = self._repo.apply(observed, inflight)
        for record in result.current:
            if record.is_completed:
                inflight.pop(record.deployment_id, None)
                if settled is not None:
                    settled.add(record.deployment_id)
            else:
                inflight[record.deployment_id] = record
        report.records_written += len(result.records)
        report.cells_written += len(result.cells)
        report.changed.extend(result.records)

    def _save(
        self, old: EventCursor | None, new: EventCursor, etag: str | None
    ) -> tuple[EventCursor, str | None]:
        if new == old:
            return new, etag
        try:
            return new, self._repo.save_cursor(new, etag)
        except StaleState:
            # Another poll moved the cursor meanwhile. Both polls' writes were idempotent, so
            # carry on from whichever cursor is further along.
            stored, stored_etag = self._repo.load_cursor()
            if stored is None or stored.through < new.through:
                return self._save(stored, new, stored_etag)
            return stored, stored_etag


def _last_page(page: Any, size: int) -> int | None:
    if page.LastPageNumber is not None:
        return int(page.LastPageNumber)
    if page.TotalResults is not None and size > 0:
        return -(-int(page.TotalResults) // size) - 1
    return None


def _all_known(
    cursor: EventCursor | None, start: datetime, total: int | None, newest: Sequence[DeploymentEvent]
) -> bool:
    if cursor is None or total is None or len(unseen(cursor, newest)) > 0:
        return False
    remembered = sum(1 for occurred in cursor.recent.values() if occurred >= start)
    return total <= remembered


def _note_name_changes(items: Sequence[Any], report: PollReport) -> None:
    for item in items:
        if names_changed(item.Category, item.RelatedDocumentIds or ()):
            report.names_changed = max(report.names_changed or item.Occurred, item.Occurred)


def _deployment_events(items: Sequence[Any]) -> list[DeploymentEvent]:
    events = []
    for item in items:
        event = deployment_event(item.Id, item.Category, item.Occurred, item.RelatedDocumentIds or [])
        if event is not None:
            events.append(event)
    return events


def _record(deployment: Any, task: Any, release: Any) -> DeploymentRecord:
    record = DeploymentRecord(
        deployment_id=deployment.Id,
        project_id=deployment.ProjectId,
        environment_id=deployment.EnvironmentId,
        tenant_id=deployment.TenantId or None,
        release_id=deployment.ReleaseId,
        release_version=release.Version if release is not None else "",
        channel_id=deployment.ChannelId or None,
        task_id=deployment.TaskId or None,
        state=parse_state(None),
        created=deployment.Created,
        deployed_by=deployment.DeployedBy or None,
        comments=deployment.Comments or None,
        release_assembled=release.Assembled if release is not None else None,
    )
    return _with_task(record, task) if task is not None else record


def _with_task(record: DeploymentRecord, task: Any) -> DeploymentRecord:
    state = parse_state(str(task.State))
    return replace(
        record,
        state=state,
        queue_time=task.QueueTime,
        start_time=task.StartTime,
        completed_time=task.CompletedTime,
        # Octopus's Duration text of a running task changes every poll ("58 seconds", "1 minute"):
        # kept once the task has completed, derivable from the start time until then.
        duration=(task.Duration or None) if state.is_completed else None,
        error_message=(task.ErrorMessage or "")[:_ERROR_LIMIT],
        pending_interruptions=tuple(str(t) for t in (task.PendingInterruptionTypes or ())),
        task_updated=task.LastUpdatedTime,
    )

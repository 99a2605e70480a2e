"""One poll of Octopus: read what changed, record it, and nothing more.

Cost is independent of the number of projects: an idle poll reads one page of the events
feed (plus one tasks request while deployments are in flight) and writes nothing. New
events name the deployments that changed; those are fetched by id in a few batched
requests. A slower reconciliation pass compares the dashboard with the stored matrix and
repairs anything the feed missed; when it is due it runs first, so after a first poll or an
outage the matrix is right at once while the history fills in behind it.

A catch-up is bounded by time, not pages: pages are read and recorded until the poll's
budget is spent, and the next poll continues from the saved cursor.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from coord.domain.catalogue import Catalogue, EnvironmentInfo, ProjectInfo, TenantInfo
from coord.domain.records import DeploymentRecord
from coord.feed.dashboard import differing
from coord.feed.events import (
    DEPLOYMENT_CATEGORIES,
    NAME_CATEGORIES,
    EventCursor,
    advance,
    known_categories,
    reconcile_due,
    unseen,
    window_start,
)
from coord.feed.fetch import DeploymentFetcher
from coord.feed.names import NameCatalogue
from coord.feed.reader import EventReader, ReadProgress
from coord.feed.repository import DeploymentRepository, PollCache
from coord.octopus import OctopusClient, OctopusError, OctopusNotFound
from coord.store import StaleState

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PollOptions:
    """How a poll reads the feed."""

    backfill: timedelta = timedelta(days=7)
    # Newest events read by every poll; after a fan-out, events beyond them are counted, not read.
    first_page: int = 100
    # Events per page while catching up: Octopus documents no maximum `take`.
    catch_up_page: int = 2000
    # A catch-up stops reading new pages after this long; the next tick goes on from the cursor.
    budget: timedelta = timedelta(seconds=20)
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
    # The records this poll changed, in the order they were written.
    changed: list[DeploymentRecord] = field(default_factory=list)
    # The newest `Occurred` of an event saying a project, environment or tenant changed.
    names_changed: datetime | None = None
    names_refreshed: bool = False

    @property
    def changed_deployment_ids(self) -> list[str]:
        """Ids of the deployments whose record (state, times, ...) this poll changed."""
        return list(dict.fromkeys(r.deployment_id for r in self.changed))

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
        *,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._octopus = octopus
        self._repo = repo
        self._names = names
        self._options = options or PollOptions()
        self._timer = timer
        self._fetcher = DeploymentFetcher(octopus)
        self._categories: tuple[str, ...] | None = None
        self._warned_filtered = False

    def poll(self, now: datetime, heartbeat: Callable[[], None] | None = None) -> PollReport:
        """Reconcile when due, read new events (catching up within the budget), refresh tasks in flight.

        `heartbeat` is called after each page is recorded: a long catch-up keeps its lease.
        """
        deadline = self._timer() + self._options.budget.total_seconds()
        report = PollReport()
        categories = self.categories()
        cursor, etag = self._repo.load_cursor()
        inflight = self._repo.inflight()
        cache = self._repo.poll_cache()
        reconciled_at = cursor.last_reconcile if cursor else None
        failed: OctopusError | None = None
        if reconcile_due(cursor, now, self._options.reconcile_every):
            try:
                self._reconcile(report, inflight, cache)
                reconciled_at = now
            except OctopusError as exc:
                # The feed is read all the same; the poll still fails at the end, so the tick says so.
                log.warning("reconciliation with the dashboard failed: %s", exc)
                failed = exc
        start = window_start(cursor, now, self._options.backfill)
        # Tasks in flight are refreshed with the first batch of events, sharing its tasks request.
        refresh = set(inflight)
        progress = ReadProgress()
        batches = EventReader(
            self._octopus, first_page=self._options.first_page, catch_up_page=self._options.catch_up_page
        ).batches(categories + NAME_CATEGORIES, cursor, start, lambda: self._timer() >= deadline, progress)
        for events in batches:
            ids = self._fetcher.needed(unseen(cursor, events)) | refresh
            refresh = set()
            self._ingest(ids, inflight, report, cache)
            moved = replace(advance(cursor, start, events, progress.others), last_reconcile=reconciled_at)
            cursor, etag = self._save(cursor, moved, etag)
            if heartbeat is not None:
                heartbeat()
        self._ingest(refresh, inflight, report, cache)
        report.events_read += progress.events_read
        report.caught_up = progress.caught_up
        report.names_changed = progress.names_changed
        if cursor is None or cursor.last_reconcile != reconciled_at:
            base = cursor or advance(None, start, [])
            cursor, etag = self._save(cursor, replace(base, last_reconcile=reconciled_at), etag)
        self._follow_renames(report)
        report.cursor = cursor.through
        if failed is not None:
            raise failed
        return report

    def categories(self) -> tuple[str, ...]:
        """The deployment event categories this server writes, read once (`events/categories`)."""
        if self._categories is None:
            try:
                listed = [c.Id for c in self._octopus.event_categories()]
            except OctopusNotFound:
                log.warning("Octopus has no events/categories list; asking for every deployment category")
                self._categories = DEPLOYMENT_CATEGORIES
                return self._categories
            kept, missing = known_categories(listed)
            if missing:
                log.warning(
                    "Octopus does not list the event categories %s; deployments in flight are still "
                    "followed through their tasks until they complete",
                    ", ".join(missing),
                )
            self._categories = kept
        return self._categories

    def _reconcile(self, report: PollReport, inflight: dict[str, DeploymentRecord], cache: PollCache) -> None:
        """Compare the dashboard with the stored matrix and fetch whatever differs."""
        self.refresh_names()
        # All projects: without showAll Octopus narrows the dashboard to the API user's settings.
        dashboard = self._octopus.dashboard(show_all=True)
        if (dashboard.IsFiltered or dashboard.ProjectLimit) and not self._warned_filtered:
            self._warned_filtered = True
            log.warning(
                "Octopus's dashboard is narrowed for this API key (IsFiltered %s, ProjectLimit %s) even "
                "with showAll; projects it leaves out are followed through the events feed only",
                dashboard.IsFiltered,
                dashboard.ProjectLimit,
            )
        stored = {
            c.latest.matrix_key: (c.latest.deployment_id, c.latest.state.value) for c in self._repo.matrix()
        }
        missing = differing(dashboard.Items, stored)
        if missing:
            log.info("reconciliation found %d deployments the matrix did not show", len(missing))
            self._ingest(missing, inflight, report, cache)
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
        self._ingest(set(deployment_ids), self._repo.inflight(), report, self._repo.poll_cache())
        return report

    # --- internals ----------------------------------------------------------------------

    def _ingest(
        self, ids: set[str], inflight: dict[str, DeploymentRecord], report: PollReport, cache: PollCache
    ) -> None:
        if not ids:
            return
        observed = self._fetcher.fetch(ids, inflight)
        report.deployments_seen += len(observed)
        result = self._repo.apply(observed, inflight, cache)
        self._fetcher.remember(result.current)
        for record in result.current:
            if record.is_completed:
                inflight.pop(record.deployment_id, None)
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

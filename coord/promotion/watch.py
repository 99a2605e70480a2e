"""Following runs while their deployments run, so the next project starts the moment one ends.

One look is one tasks request for every deployment the followed runs have in flight (50 ids per
request), and no table operation. A look that finds a task ended, or a manual intervention raised
or answered, polls the feed (so the matrix the decisions read is fresh) and advances that run at
once under its lease. Between looks the follower waits as long as `coord.promotion.pace` says,
which grows with the age of the tasks.

- `promote --wait` follows its run to its end.
- The timer's tick, after its own work, follows each active run with deployments in flight that
  no webhook has reported lately, until shortly before the next tick is due and never longer
  than the Functions timeout allows. A tick and the one after it never work on a run at once:
  the follower stops first, and every advance holds the run's lease.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from coord.feed import service as feed_service
from coord.octopus import OctopusError
from coord.promotion.events import WEBHOOK_BUDGET, advance_after_poll, advance_promptly, webhooks_report
from coord.promotion.model import Run, StepStatus
from coord.promotion.pace import (
    FOLLOW_PACE,
    Pace,
    Watched,
    needs_reconciling,
    next_look,
    task_news,
    typical_duration,
    watched_tasks,
)
from coord.promotion.runner import runs
from coord.schedules.cron import CronError, next_timer_firing
from coord.store import StoreError

if TYPE_CHECKING:
    from coord.bootstrap import Services

log = logging.getLogger(__name__)

# The tick stops following this long before the next tick is due.
FOLLOW_MARGIN = timedelta(seconds=5)
# host.json's functionTimeout is 10 minutes; a tick keeps two of them for its own work.
FOLLOW_LIMIT = timedelta(minutes=8)
# A run that a webhook reported within this long is left to the webhooks and the ticks.
WEBHOOKS_TRUSTED = timedelta(minutes=15)
# An advance decides from a matrix polled at most this long before (a poll costs a few requests).
FRESH_ENOUGH = timedelta(seconds=5)


class Follower:
    """Follows runs by their tasks and advances each as soon as one of its tasks has news."""

    def __init__(
        self,
        services: Services,
        pace: Pace,
        *,
        on_change: Callable[[Run], None] | None = None,
        on_trouble: Callable[[str], None] | None = None,
    ) -> None:
        self.services = services
        self.pace = pace
        self.on_change = on_change
        self.on_trouble = on_trouble or log.warning
        self.durations: list[timedelta] = []
        self.looks = 0
        self.advances = 0
        self.notes: list[str] = []
        self._polled: datetime | None = None

    def follow(
        self,
        followed: dict[str, Run],
        *,
        until: datetime | None = None,
        limit: float | None = None,
        keep_idle: bool = False,
    ) -> dict[str, Run]:
        """Follow until the runs end (or have nothing in flight), `until`, or `limit` seconds pass.

        `keep_idle` keeps a run with nothing in flight (waiting for a window, another deployment or
        Octopus) and advances it at the slowest pace. Returns the runs still followed at the end.
        """
        followed = {k: r for k, r in followed.items() if not r.phase.is_terminal}
        real_end = math.inf if limit is None else time.monotonic() + limit
        while followed:
            if not keep_idle:
                followed = {k: r for k, r in followed.items() if watched_tasks(r) or needs_reconciling(r)}
                if not followed:
                    break
            now = self.services.clock.now()
            remaining = real_end - time.monotonic()
            if until is not None:
                remaining = min(remaining, (until - now).total_seconds())
            if remaining <= 0:
                break
            watched: dict[str, Watched] = {}
            for run in followed.values():
                watched |= watched_tasks(run)
            typical = typical_duration(self.durations)
            wait = next_look(now, [w.started for w in watched.values()], typical, self.pace)
            self.services.sleep(min(remaining, wait))
            due = self.look(followed, watched)
            if due is None:
                if not keep_idle:
                    break  # Octopus is not answering: the next tick tries again
                due = set()
            due |= {k for k, r in followed.items() if needs_reconciling(r)}
            if keep_idle:
                due |= {k for k, r in followed.items() if not watched_tasks(r)}
            if due:
                self._advance(followed, due)
        return followed

    def look(self, followed: dict[str, Run], watched: dict[str, Watched]) -> set[str] | None:
        """The runs whose tasks have news, from one look at every task in flight (None: no answer)."""
        if not watched:
            return set()
        self.looks += 1
        # Until this follower has seen a task end, the run's ended tasks (in the same request)
        # say how long its tasks take.
        ended = [] if self.durations else _ended_tasks(followed.values())
        try:
            tasks = self.services.octopus.tasks_by_ids([*watched, *ended])
        except OctopusError as exc:
            self.on_trouble(f"Octopus did not answer the look at the tasks: {exc}")
            return None
        due: set[str] = set()
        for task in tasks:
            seen = watched.get(task.Id)
            if seen is None:
                if task.IsCompleted and task.QueueTime and task.CompletedTime:
                    self.durations.append(task.CompletedTime - task.QueueTime)
                continue
            if seen.run_id not in followed:
                continue
            step = followed[seen.run_id].step(seen.step_key)
            interruptions = tuple(str(t) for t in task.PendingInterruptionTypes)
            if task_news(step, state=str(task.State), interruptions=interruptions):
                due.add(seen.run_id)
                if task.IsCompleted and task.QueueTime and task.CompletedTime:
                    self.durations.append(task.CompletedTime - task.QueueTime)
        return due

    def _advance(self, followed: dict[str, Run], due: set[str]) -> None:
        """Poll (unless one just did), then advance each run with news; a run that ended is dropped."""
        report = None
        now = self.services.clock.now()
        if self._polled is None or now - self._polled >= FRESH_ENOUGH:
            try:
                report = feed_service.poll(self.services)
                self._polled = now
            except OctopusError as exc:
                self.on_trouble(f"the poll before advancing failed; advancing from the stored state: {exc}")
        for run_id in sorted(due):
            try:
                result = advance_promptly(self.services, run_id)
            except (OctopusError, StoreError) as exc:
                self.on_trouble(f"run {run_id} could not be advanced now: {exc}")
                continue
            self.advances += 1
            if result.run is None:
                followed.pop(run_id, None)
                continue
            followed[run_id] = result.run
            if self.on_change is not None:
                self.on_change(result.run)
            if result.run.phase.is_terminal:
                followed.pop(run_id, None)
                self.notes.append(f"run {run_id}: {result.run.phase} ({result.run.outcome})")
        self.notes += advance_after_poll(self.services, report, skip=set(followed) | due)


def _ended_tasks(followed: Iterable[Run], most: int = 5) -> list[str]:
    """Task ids of up to `most` deployments of these runs that succeeded, the latest started first."""
    ended = [
        (s.started, s.task_id)
        for run in followed
        for s in run.steps
        if s.status is StepStatus.SUCCEEDED and s.task_id and s.started
    ]
    return [task_id for _, task_id in sorted(ended, reverse=True)[:most] if task_id]


def follow_run(
    services: Services,
    run: Run,
    pace: Pace,
    *,
    on_change: Callable[[Run], None] | None = None,
    on_trouble: Callable[[str], None] | None = None,
    limit: float | None = None,
) -> Run:
    """Follow one run until it ends (or `limit` seconds pass), advancing it as its tasks end; the run then."""
    follower = Follower(services, pace, on_change=on_change, on_trouble=on_trouble)
    left = follower.follow({run.id: run}, limit=limit, keep_idle=True)
    if run.id in left:
        return left[run.id]
    stored = runs(services).load(run.id)
    return stored.run if stored is not None else run


def refresh_run(services: Services, run: Run, *, budget: float = WEBHOOK_BUDGET) -> Run:
    """The run as of now: one look at its tasks, then an advance within `budget` seconds if they have news."""
    if run.phase.is_terminal:
        return run
    follower = Follower(services, FOLLOW_PACE, on_trouble=log.info)
    due = follower.look({run.id: run}, watched_tasks(run))
    if not due and not needs_reconciling(run):
        return run
    try:
        return advance_promptly(services, run.id, deadline=time.monotonic() + budget).run or run
    except (OctopusError, StoreError) as exc:
        log.info("run %s shown as stored: %s", run.id, exc)
        return run


def follow_after_tick(services: Services, started: datetime) -> list[str]:
    """Follow the active runs with deployments in flight until shortly before the next tick; notes."""
    try:
        due = next_timer_firing(services.settings.tick_schedule, started)
    except CronError as exc:
        log.warning("not following runs: %s", exc)
        return []
    now = services.clock.now()
    until = min(due - FOLLOW_MARGIN, started + FOLLOW_LIMIT)
    if until <= now:
        return []
    followed = _runs_to_follow(services, now)
    if not followed:
        return []
    follower = Follower(services, FOLLOW_PACE)
    began = time.monotonic()
    follower.follow(followed, until=until, limit=(until - now).total_seconds())
    spent = time.monotonic() - began
    summary = (
        f"followed {len(followed)} run(s) for {spent:.0f} s: {follower.looks} looks at their tasks, "
        f"{follower.advances} advances"
    )
    return [summary, *follower.notes]


def _runs_to_follow(services: Services, now: datetime) -> dict[str, Run]:
    """Active runs with deployments in flight that no webhook has reported lately."""
    store = runs(services)
    found: dict[str, Run] = {}
    for _, run_id in store.active():
        stored = store.load(run_id)
        if stored is None or stored.run.phase.is_terminal:
            continue
        if not watched_tasks(stored.run) and not needs_reconciling(stored.run):
            continue
        if webhooks_report(store.read_poke(run_id), now, WEBHOOKS_TRUSTED):
            continue
        found[run_id] = stored.run
    return found

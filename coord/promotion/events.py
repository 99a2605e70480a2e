"""Advancing a run the moment news of it arrives: a webhook, a poll, a task seen ending.

Whoever learns of a deployment event in a run's target environment (the webhook route, a poll
outside the tick, a follower) advances that run at once, under the run's lease. When another
invocation holds the lease, a webhook or poll leaves its news as a poke on the run (a follower
just looks again): the holder reads the poke after releasing the lease and goes round again when
one came meanwhile, so news that arrives during an advance is never left for the next tick. The
timer's tick remains the safety net.

A deployment being queued or starting changes no decision, so those events advance a run only
when an earlier advance ran out of time with deployments still to start (its poke says so);
otherwise they just keep the run's note that webhooks are arriving fresh.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from coord.octopus import OctopusError
from coord.promotion.decide import Allowed
from coord.promotion.model import Run
from coord.promotion.runner import runs, try_advance_run
from coord.promotion.store import Poke, RunStore
from coord.store import StoreError

if TYPE_CHECKING:
    from coord.bootstrap import Services
    from coord.feed.events import DeploymentEvent
    from coord.feed.poller import PollReport

log = logging.getLogger(__name__)

# Octopus waits 10 s for a webhook's answer (octopus-api.md §5) and retries after that; recording
# takes about a second, so advancing gets five and leaves the rest to the next event or tick.
WEBHOOK_BUDGET = 5.0
# Rounds of one call: each takes up news that arrived while the previous one ran.
_ROUNDS = 5

WEBHOOK = "webhook"
POLL = "poll"
UNFINISHED = "unfinished"  # an advance ran out of time: the next event of any kind carries on
# Octopus raises these as a deployment goes through its queue: nothing a run waits for.
_UNDER_WAY = frozenset({"DeploymentQueued", "DeploymentStarted"})
# How stale a run's note that webhooks arrive may grow before an under-way event renews it.
_RENEW_NOTE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Advanced:
    """What one prompt advance found: the run, whether this call advanced it, its latest news."""

    run: Run | None
    held: bool
    news: Poke | None


def advance_promptly(
    services: Services,
    run_id: str,
    *,
    news: str = "",
    deadline: float | None = None,
    fresh: bool = False,
    templates: Mapping[str, Allowed] | None = None,
) -> Advanced:
    """Advance a run now; with `news` (its source), first leave word for a runner holding the lease.

    `deadline` is a `time.monotonic()` value after which no deployment is started and no new
    round begins; `fresh` says the caller's poll has just caught up, `templates` what it has just
    read of where releases may go (see `try_advance_run`).
    """
    store = runs(services)
    seen = store.poke(run_id, services.clock.now(), news) if news else store.read_poke(run_id)
    run: Run | None = None
    for _ in range(_ROUNDS):
        held, run = try_advance_run(services, run_id, deadline=deadline, fresh=fresh, templates=templates)
        if not held:
            return Advanced(run, False, seen)
        fresh, templates = False, None  # a later round follows news the caller did not see
        latest = store.read_poke(run_id)
        newer = latest is not None and (seen is None or latest.etag != seen.etag)
        seen = latest
        out_of_time = deadline is not None and time.monotonic() >= deadline
        if out_of_time and run is not None and not run.phase.is_terminal:
            seen = store.poke(run_id, services.clock.now(), UNFINISHED)
            break
        if not newer or run is None or run.phase.is_terminal:
            break
        log.info("run %s: news arrived during its advance; advancing again", run_id)
    return Advanced(run, True, seen)


def active_runs_in(services: Services, environment_ids: Iterable[str | None]) -> list[str]:
    """Ids of the active runs whose target is one of these environments (None: any environment)."""
    wanted = set(environment_ids)
    found = []
    for key, run_id in runs(services).active():
        target = key.rpartition("|")[2]
        if None in wanted or target in wanted:
            found.append(run_id)
    return found


def advance_runs(
    services: Services, run_ids: Iterable[str], *, news: str, deadline: float | None = None
) -> list[Advanced]:
    """Advance each run with news (poking it), until `deadline`; Octopus or storage trouble is logged."""
    done = []
    for run_id in dict.fromkeys(run_ids):
        if deadline is not None and time.monotonic() >= deadline:
            log.info("run %s left to its next advance: time budget spent", run_id)
            continue
        try:
            done.append(advance_promptly(services, run_id, news=news, deadline=deadline))
        except (OctopusError, StoreError) as exc:
            log.warning("run %s: could not advance it now: %s", run_id, exc)
    return done


def advance_for_event(
    services: Services, event: DeploymentEvent, *, budget: float = WEBHOOK_BUDGET
) -> list[str]:
    """Advance the active runs a recorded deployment event concerns; the ids of those advanced."""
    deadline = time.monotonic() + budget
    try:
        concerned = active_runs_in(services, [event.environment_id])
        if event.category in _UNDER_WAY:
            store, now = runs(services), services.clock.now()
            concerned = [run_id for run_id in concerned if _left_unfinished(store, run_id, now)]
    except StoreError as exc:
        log.warning("event %s: could not read the active runs: %s", event.event_id, exc)
        return []
    advanced = advance_runs(services, concerned, news=WEBHOOK, deadline=deadline)
    return [a.run.id for a in advanced if a.held and a.run]


def webhooks_report(news: Poke | None, now: datetime, within: timedelta) -> bool:
    """Whether webhooks brought news of the run within `within` of `now`."""
    recent = news is not None and news.at is not None and now - news.at < within
    return recent and news is not None and news.source in (WEBHOOK, UNFINISHED)


def _left_unfinished(store: RunStore, run_id: str, now: datetime) -> bool:
    """Whether an earlier advance left deployments to start; else renew the note that webhooks arrive."""
    news = store.read_poke(run_id)
    if news is not None and news.source == UNFINISHED:
        return True
    if not webhooks_report(news, now, _RENEW_NOTE):
        store.poke(run_id, now, WEBHOOK)
    return False


def advance_after_poll(
    services: Services, report: PollReport | None, *, skip: Iterable[str] = ()
) -> list[str]:
    """Advance the active runs whose target environment a poll saw change; one note per run advanced."""
    if report is None or not report.changed:
        return []
    environments = {record.environment_id for record in report.changed}
    skipped = set(skip)
    try:
        concerned = [r for r in active_runs_in(services, environments) if r not in skipped]
    except StoreError as exc:
        log.warning("could not read the active runs after a poll: %s", exc)
        return []
    return [
        f"run {a.run.id}: advanced on news from the poll ({a.run.phase})"
        for a in advance_runs(services, concerned, news=POLL)
        if a.held and a.run
    ]

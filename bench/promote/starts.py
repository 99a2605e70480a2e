"""The start of a run: deployment templates read one by one against a few at a time, and only where needed.

A remote Octopus answers in tens of milliseconds, not the simulator's one or two on loopback, so
each template read gets `latency_ms` added (the simulator's latency fault); the comparison is then
of round trips, which is what a real start waits for.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from world import GROUP, SOURCE, TARGET, World, build_simulator, config_text, make_services

from coord.feed import service as feed_service
from coord.promotion.model import StepStatus
from coord.promotion.start import StartCommand, start_run
from coord.promotion.templates import read_allowed
from tests.octosim import SimServer

TEMPLATE = "GET release/template"


@dataclass(frozen=True)
class StartFigures:
    projects: int
    latency_ms: int
    sequential_s: float
    parallel_s: float
    start_requests: int
    start_templates: int
    start_s: float
    first_wave: int
    again_templates: int


def measure_starts(world: World, connection: str, *, queue_delay: timedelta, latency_ms: int) -> StartFigures:
    """Template reads one by one and six at a time; a start; a second start once everything is current."""
    sim = build_simulator(world, task=timedelta(minutes=5), queue_delay=queue_delay)
    with SimServer(sim) as server:
        services = make_services(
            server, connection, f"benchstart{int(time.time())}", config_text(world, None), "0 * * * * *"
        )
        try:
            feed_service.poll(services)
            sim.faults.add("GET /releases/{id}/deployments/template", latency=latency_ms / 1000)
            octopus = services.octopus
            releases = [r.id for r in sim.releases.values()]
            target = sim.environment(TARGET).id
            began = time.perf_counter()
            one_by_one = read_allowed(octopus, releases, target, readers=1)
            sequential = time.perf_counter() - began
            began = time.perf_counter()
            side_by_side = read_allowed(octopus, releases, target)
            parallel = time.perf_counter() - began
            assert one_by_one == side_by_side
            requests, templates = octopus.request_count, octopus.request_counts.get(TEMPLATE, 0)
            began = time.perf_counter()
            run = start_run(services, StartCommand(group=GROUP, source=SOURCE, target=TARGET)).run
            start_s = time.perf_counter() - began
            assert run is not None
            start_requests = octopus.request_count - requests
            start_templates = octopus.request_counts.get(TEMPLATE, 0) - templates
            first_wave = sum(1 for s in run.steps if s.status is StepStatus.RUNNING)
            # Every project current in Production: a second start needs no template at all.
            for name in world.projects:
                sim.deploy(name, "1.0.0", TARGET, duration=timedelta(seconds=1))
            sim.run_until_idle()
            feed_service.poll(services)
            templates = octopus.request_counts.get(TEMPLATE, 0)
            start_run(services, StartCommand(group=GROUP, source=SOURCE, target=TARGET, dry_run=True))
            again = octopus.request_counts.get(TEMPLATE, 0) - templates
        finally:
            services.close()
    return StartFigures(
        len(world.projects),
        latency_ms,
        sequential,
        parallel,
        start_requests,
        start_templates,
        start_s,
        first_wave,
        again,
    )

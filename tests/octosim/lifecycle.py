"""Lifecycle progression (pure): which phases a release has completed and where it may go now.

octopus-api.md §3 Lifecycle: phases run in order; a required phase blocks the next until
`MinimumEnvironmentsBeforePromotion` of its environments (0 = all, Holdout 14) have a successful
deployment; optional phases never block; a phase with no environments takes every environment
not named in an earlier phase; a lifecycle without phases is one phase per environment in
`SortOrder` order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tests.octosim.model import Phase


@dataclass(frozen=True)
class ResolvedPhase:
    """A phase with its environments made explicit."""

    id: str | None
    name: str
    automatic: tuple[str, ...]
    optional: tuple[str, ...]
    minimum: int
    is_optional: bool

    @property
    def environments(self) -> tuple[str, ...]:
        return self.automatic + tuple(e for e in self.optional if e not in self.automatic)

    def required_count(self) -> int:
        """How many environments must succeed before the next phase opens."""
        envs = len(self.environments)
        return envs if self.minimum <= 0 else min(self.minimum, envs)


@dataclass(frozen=True)
class PhaseState:
    phase: ResolvedPhase
    progress: str  # Pending | Current | Complete (Holdout 15)


@dataclass(frozen=True)
class Progression:
    phases: tuple[PhaseState, ...]
    allowed: tuple[str, ...]
    next_deployments: tuple[str, ...]
    minimum_required: int

    def blocking_phase(self, environment_id: str) -> ResolvedPhase | None:
        """The earliest incomplete required phase that keeps `environment_id` out of reach."""
        for state in self.phases:
            if state.progress == "Current" and environment_id not in self.allowed:
                return state.phase
        return None


def resolve_phases(phases: Sequence[Phase], environments_in_order: Sequence[str]) -> list[ResolvedPhase]:
    """Explicit phases; the no-phase and empty-phase conventions applied."""
    if not phases:
        return [ResolvedPhase(None, env, (), (env,), 0, False) for env in environments_in_order]
    resolved: list[ResolvedPhase] = []
    named: set[str] = set()
    for phase in phases:
        if phase.automatic or phase.optional:
            resolved.append(
                ResolvedPhase(
                    phase.id,
                    phase.name,
                    tuple(phase.automatic),
                    tuple(phase.optional),
                    phase.minimum,
                    phase.is_optional,
                )
            )
            named.update(phase.automatic, phase.optional)
        else:
            rest = tuple(e for e in environments_in_order if e not in named)
            resolved.append(ResolvedPhase(phase.id, phase.name, (), rest, phase.minimum, phase.is_optional))
            named.update(rest)
    return resolved


def for_tenant(phases: Sequence[ResolvedPhase], connected: Iterable[str]) -> list[ResolvedPhase]:
    """A tenant's view: only its connected environments; a phase with none of them never blocks."""
    keep = set(connected)
    out = []
    for phase in phases:
        automatic = tuple(e for e in phase.automatic if e in keep)
        optional = tuple(e for e in phase.optional if e in keep)
        out.append(
            ResolvedPhase(
                phase.id,
                phase.name,
                automatic,
                optional,
                phase.minimum,
                phase.is_optional or not (automatic or optional),
            )
        )
    return out


def progression(phases: Sequence[ResolvedPhase], succeeded: Iterable[str]) -> Progression:
    """Phase progress, allowed environments and next deployments for one release (or tenant)."""
    done = set(succeeded)
    allowed: list[str] = []
    current: int | None = None
    for index, phase in enumerate(phases):
        allowed.extend(e for e in phase.environments if e not in allowed)
        if phase.is_optional:
            continue
        if len(done.intersection(phase.environments)) < phase.required_count():
            current = index
            break
    states = []
    for index, phase in enumerate(phases):
        if current is None or index < current:
            progress = "Complete"
        elif index == current:
            progress = "Current"
        else:
            progress = "Pending"
        states.append(PhaseState(phase, progress))
    minimum = phases[current].required_count() if current is not None else 0
    nxt = tuple(e for e in allowed if e not in done)
    return Progression(tuple(states), tuple(allowed), nxt, minimum)

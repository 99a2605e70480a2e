"""The simulated Octopus Server: world state, deployments whose tasks run on the clock, events.

Everything happens under one lock. Task progress is derived from the clock: each deployment's
task has scripted transitions (start, interruption, finish) kept in a heap, and `sync()` applies
every transition whose time has come, in time order, writing events as it goes. Event auto ids
grow with insertion, like a real server's; because transitions are applied in time order,
`Occurred` and the id agree unless a test inserts history in the past on purpose.
"""

from __future__ import annotations

import heapq
import itertools
import re
import secrets
import string
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.octosim import changes
from tests.octosim import lifecycle as lc
from tests.octosim.access import Access
from tests.octosim.clock import ManualClock, RealClock
from tests.octosim.errors import ApiError, SimulatorError, rejected
from tests.octosim.faults import Faults
from tests.octosim.formats import parse_span
from tests.octosim.model import (
    CANCELED,
    CANCELLING,
    EXECUTING,
    FAILED,
    OUTCOMES,
    QUEUED,
    SUCCESS,
    TIMED_OUT,
    UNFINISHED_STATES,
    Channel,
    Deployment,
    Environment,
    Event,
    Interruption,
    Lifecycle,
    Phase,
    Project,
    ProjectGroup,
    Release,
    Script,
    Space,
    Subscription,
    Task,
    Tenant,
)
from tests.octosim.observe import Observations
from tests.octosim.traits import ServerTraits
from tests.octosim.webhooks import WebhookDispatcher

DEFAULT_START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
FAILED_MESSAGE = (
    "The deployment failed because one or more steps failed. Please see the deployment log for details."
)
TIMED_OUT_MESSAGE = "This task was not started before its queue time expired."
CANCELED_MESSAGE = "The task was canceled."
ABORTED_MESSAGE = "The deployment was aborted by a manual intervention."
TENANTED_MODES = ("Untenanted", "TenantedOrUntenanted", "Tenanted")


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _api_key() -> str:
    # octopus-api.md §1: API keys match ^(API-)([A-Z\d])+$
    return "API-" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(26))


@dataclass
class _Scripted:
    project_id: str | None
    environment_id: str | None
    tenant_id: str | None
    script: Script
    times: int | None


class Simulator:
    """A stateful stand-in for one Octopus Server (see tests/octosim/README.md)."""

    def __init__(
        self, *, clock: ManualClock | RealClock | None = None, api_key: str | None = None, seed: int = 0
    ) -> None:
        self.clock = clock or ManualClock(DEFAULT_START)
        self.api_key = api_key or _api_key()
        self.access = Access(self)
        self.lock = threading.RLock()
        self.faults = Faults(seed=seed)
        self.observations = Observations()
        self.webhooks = WebhookDispatcher(self, seed=seed)
        self.defaults = Script()
        self.version = "2025.2.9000"
        self.scenario: str | None = None
        self.traits = ServerTraits()
        self._reset_world()
        self.clock.on_change(self.sync)

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_scenario(
        cls, name_or_path: str | Path, *, clock: ManualClock | RealClock | None = None, **options: Any
    ) -> Simulator:
        """A simulator seeded from a scenario name (`small`, `demo`, `large`) or a YAML/JSON file."""
        from tests.octosim.scenarios import load_scenario  # noqa: PLC0415  (scenarios import this module)

        return load_scenario(name_or_path, clock=clock, **options)

    def _reset_world(self) -> None:
        self.spaces: dict[str, Space] = {}
        self.project_groups: dict[str, ProjectGroup] = {}
        self.environments: dict[str, Environment] = {}
        self.lifecycles: dict[str, Lifecycle] = {}
        self.projects: dict[str, Project] = {}
        self.channels: dict[str, Channel] = {}
        self.tenants: dict[str, Tenant] = {}
        self.releases: dict[str, Release] = {}
        self.deployments: dict[str, Deployment] = {}
        self.tasks: dict[str, Task] = {}
        self.events: list[Event] = []
        self.events_by_id: dict[str, Event] = {}
        self.interruptions: dict[str, Interruption] = {}
        self.subscriptions: dict[str, Subscription] = {}
        self._ids: dict[str, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._seq = itertools.count(1)
        self._heap: list[tuple[datetime, int, str, str, int]] = []
        self._generation: dict[str, int] = defaultdict(int)
        self._scripts: list[_Scripted] = []
        self._releases_by_project: dict[str, list[str]] = defaultdict(list)
        self._by_key: dict[tuple[str, str, str | None], list[str]] = defaultdict(list)
        self._by_release: dict[str, list[str]] = defaultdict(list)
        self._events_sorted: list[Event] | None = None
        self._deployments_sorted: list[Deployment] | None = None
        self.add_space("Default", default=True)

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids[prefix])}"

    # ------------------------------------------------------------------ lookups

    @property
    def default_space(self) -> Space:
        return next(s for s in self.spaces.values() if s.is_default)

    def _find(self, table: dict[str, Any], ref: str, kind: str) -> Any:
        if ref in table:
            return table[ref]
        lowered = ref.lower()
        for item in table.values():
            if item.name.lower() == lowered or getattr(item, "slug", None) == lowered:
                return item
        msg = f"no {kind} called {ref!r}"
        raise SimulatorError(msg)

    def project(self, ref: str) -> Project:
        """A project by id, name (case-insensitive) or slug."""
        return self._find(self.projects, ref, "project")

    def environment(self, ref: str) -> Environment:
        """An environment by id or name."""
        return self._find(self.environments, ref, "environment")

    def tenant(self, ref: str) -> Tenant:
        """A tenant by id or name."""
        return self._find(self.tenants, ref, "tenant")

    def lifecycle(self, ref: str) -> Lifecycle:
        """A lifecycle by id or name."""
        return self._find(self.lifecycles, ref, "lifecycle")

    def release(self, project: str, version: str) -> Release:
        """A project's release by version."""
        proj = self.project(project)
        for rid in self._releases_by_project[proj.id]:
            if self.releases[rid].version == version:
                return self.releases[rid]
        msg = f"project {proj.name!r} has no release {version!r}"
        raise SimulatorError(msg)

    def environments_in_order(self, space_id: str | None = None) -> list[Environment]:
        """Environments sorted by SortOrder (then id), as `/environments/all` returns them."""
        envs = [e for e in self.environments.values() if space_id is None or e.space_id == space_id]
        return sorted(envs, key=lambda e: (e.sort_order, int(e.id.split("-")[1])))

    # ------------------------------------------------------------------ world editing

    def add_space(self, name: str, *, default: bool = False) -> str:
        """Add a space; the first one is the default space (`Spaces-1`)."""
        with self.lock:
            space = Space(self._new_id("Spaces"), name, default, _slug(name))
            self.spaces[space.id] = space
            return space.id

    def _space_id(self, space: str | None) -> str:
        if space is None:
            return self.default_space.id
        return self._find(self.spaces, space, "space").id

    def add_project_group(self, name: str, *, space: str | None = None) -> str:
        """Add a project group."""
        with self.lock:
            group = ProjectGroup(self._new_id("ProjectGroups"), name, self._space_id(space))
            self.project_groups[group.id] = group
            return group.id

    def add_environment(
        self,
        name: str,
        *,
        sort_order: int | None = None,
        space: str | None = None,
        use_guided_failure: bool = False,
    ) -> str:
        """Add an environment; it sorts after the existing ones unless `sort_order` is given."""
        with self.lock:
            space_id = self._space_id(space)
            order = sort_order if sort_order is not None else len(self.environments_in_order(space_id))
            env = Environment(
                self._new_id("Environments"), name, space_id, order, _slug(name), use_guided_failure
            )
            self.environments[env.id] = env
            return env.id

    def add_lifecycle(
        self, name: str, phases: Iterable[dict[str, Any]] = (), *, space: str | None = None
    ) -> str:
        """Add a lifecycle; phases are dicts {name, automatic, optional, minimum, optional_phase}."""
        with self.lock:
            lifecycle = Lifecycle(self._new_id("Lifecycles"), name, self._space_id(space), [], _slug(name))
            for spec in phases:
                lifecycle.phases.append(
                    Phase(
                        id=f"{lifecycle.id}-phase-{len(lifecycle.phases) + 1}",
                        name=spec["name"],
                        automatic=[self.environment(e).id for e in spec.get("automatic", [])],
                        optional=[self.environment(e).id for e in spec.get("optional", [])],
                        minimum=int(spec.get("minimum", 0)),
                        is_optional=bool(spec.get("optional_phase", False)),
                    )
                )
            self.lifecycles[lifecycle.id] = lifecycle
            return lifecycle.id

    def add_project(
        self,
        name: str,
        *,
        group: str | None = None,
        lifecycle: str | None = None,
        tenanted: str = "Untenanted",
        slug: str | None = None,
        space: str | None = None,
        description: str = "",
    ) -> str:
        """Add a project with its Default channel; group and lifecycle default to the first ones."""
        if tenanted not in TENANTED_MODES:
            msg = f"TenantedDeploymentMode must be one of {TENANTED_MODES}, not {tenanted!r}"
            raise SimulatorError(msg)
        with self.lock:
            space_id = self._space_id(space)
            if group is None:
                group_id = next((g.id for g in self.project_groups.values() if g.space_id == space_id), None)
                group_id = group_id or self.add_project_group("Default Project Group", space=space)
            else:
                group_id = self._find(self.project_groups, group, "project group").id
            if lifecycle is None:
                lifecycle_id = next((x.id for x in self.lifecycles.values() if x.space_id == space_id), None)
                lifecycle_id = lifecycle_id or self.add_lifecycle("Default Lifecycle", space=space)
            else:
                lifecycle_id = self.lifecycle(lifecycle).id
            project = Project(
                self._new_id("Projects"),
                name,
                slug or _slug(name),
                space_id,
                group_id,
                lifecycle_id,
                tenanted,
                description,
            )
            self.projects[project.id] = project
            self.add_channel(project.id, "Default", is_default=True)
            return project.id

    def add_channel(
        self, project: str, name: str, *, lifecycle: str | None = None, is_default: bool = False
    ) -> str:
        """Add a channel; without a lifecycle it uses the project's (UNCONFIRMED in the reference)."""
        with self.lock:
            proj = self.project(project)
            channel = Channel(
                self._new_id("Channels"),
                name,
                proj.id,
                proj.space_id,
                self.lifecycle(lifecycle).id if lifecycle else None,
                is_default,
            )
            self.channels[channel.id] = channel
            return channel.id

    def add_tenant(
        self,
        name: str,
        projects: dict[str, Iterable[str]] | None = None,
        *,
        tags: Iterable[str] = (),
        space: str | None = None,
    ) -> str:
        """Add a tenant connected to projects for the given environments (`ProjectEnvironments`)."""
        with self.lock:
            tenant = Tenant(self._new_id("Tenants"), name, self._space_id(space), {}, list(tags))
            for proj, envs in (projects or {}).items():
                tenant.project_environments[self.project(proj).id] = [self.environment(e).id for e in envs]
            self.tenants[tenant.id] = tenant
            return tenant.id

    def connect_tenant(self, tenant: str, project: str, environments: Iterable[str]) -> None:
        """Connect a tenant to a project for some environments."""
        with self.lock:
            self.tenant(tenant).project_environments[self.project(project).id] = [
                self.environment(e).id for e in environments
            ]

    def channel_of(self, project_id: str, channel: str | None) -> Channel:
        """A project's channel by id or name, or its default channel."""
        channels = [c for c in self.channels.values() if c.project_id == project_id]
        if channel is None:
            return next(c for c in channels if c.is_default)
        for c in channels:
            if channel in (c.id, c.name) or c.name.lower() == channel.lower():
                return c
        msg = f"project {project_id} has no channel {channel!r}"
        raise SimulatorError(msg)

    def create_release(
        self,
        project: str,
        version: str,
        *,
        channel: str | None = None,
        notes: str | None = None,
        assembled: datetime | None = None,
    ) -> str:
        """Create a release (as a build server would); returns its id."""
        with self.lock:
            self.sync(until=assembled)
            proj = self.project(project)
            if any(self.releases[r].version == version for r in self._releases_by_project[proj.id]):
                msg = f"project {proj.name} already has a release {version}"
                raise SimulatorError(msg)
            release = Release(
                self._new_id("Releases"),
                version,
                proj.id,
                self.channel_of(proj.id, channel).id,
                proj.space_id,
                assembled or self.clock.now(),
                notes,
                next(self._seq),
            )
            self.releases[release.id] = release
            self._releases_by_project[proj.id].append(release.id)
            self._auto_deploy(release, set(), release.assembled)
            return release.id

    def releases_of(self, project_id: str) -> list[Release]:
        """A project's releases, newest first (Holdout 10)."""
        found = [self.releases[r] for r in self._releases_by_project[project_id]]
        return sorted(found, key=lambda r: (r.assembled, r.seq), reverse=True)

    # ------------------------------------------------------------------ lifecycle progression

    def lifecycle_for(self, release: Release) -> Lifecycle:
        """The lifecycle a release follows: its channel's, else its project's."""
        channel = self.channels[release.channel_id]
        return self.lifecycles[channel.lifecycle_id or self.projects[release.project_id].lifecycle_id]

    def resolved_phases(self, release: Release) -> list[lc.ResolvedPhase]:
        """The release's lifecycle phases with conventions applied."""
        order = [e.id for e in self.environments_in_order(release.space_id)]
        return lc.resolve_phases(self.lifecycle_for(release).phases, order)

    def succeeded_environments(
        self, release: Release, tenant_id: str | None = None, any_tenant: bool = True
    ) -> set[str]:
        """Environments where this release has a successful deployment (for one tenant, or any)."""
        done = set()
        for dep_id in self._by_release[release.id]:
            dep = self.deployments[dep_id]
            if self.tasks[dep.task_id].state != SUCCESS:
                continue
            if any_tenant or dep.tenant_id == tenant_id:
                done.add(dep.environment_id)
        return done

    def progression(self, release: Release, tenant_id: str | None = None) -> lc.Progression:
        """Lifecycle progression of a release, for one tenant when `tenant_id` is given."""
        done = self.succeeded_environments(release, tenant_id, any_tenant=tenant_id is None)
        phases = self.resolved_phases(release)
        if tenant_id is not None:
            connected = self.tenants[tenant_id].project_environments.get(release.project_id, [])
            phases = lc.for_tenant(phases, connected)
        return lc.progression(phases, done)

    def tenant_targets(self, release: Release, tenant: Tenant) -> list[str]:
        """Environments the release may go to now for this tenant (connected ones only)."""
        connected = tenant.project_environments.get(release.project_id, [])
        return [e for e in self.progression(release, tenant.id).allowed if e in connected]

    def connected_tenants(self, project_id: str) -> list[Tenant]:
        """Tenants connected to the project, by name."""
        found = [t for t in self.tenants.values() if project_id in t.project_environments]
        return sorted(found, key=lambda t: t.name.lower())

    def check_deployable(self, release: Release, environment: Environment, tenant: Tenant | None) -> None:
        """Raise the 400 Octopus gives when a deployment breaks tenancy or lifecycle rules."""
        project = self.projects[release.project_id]
        if tenant is None and project.tenanted_mode == "Tenanted":
            raise rejected(
                f"The project '{project.name}' can only be deployed with a tenant; please specify a TenantId."
            )
        if tenant is not None:
            if project.tenanted_mode == "Untenanted":
                raise rejected(f"The project '{project.name}' does not support tenanted deployments.")
            if environment.id not in tenant.project_environments.get(project.id, []):
                raise rejected(
                    f"The tenant '{tenant.name}' is not connected to the project '{project.name}' "
                    f"for the environment '{environment.name}'."
                )
        prog = self.progression(release, tenant.id if tenant else None)
        if environment.id in prog.allowed:
            return
        lifecycle = self.lifecycle_for(release)
        phase = next((s.phase for s in prog.phases if s.progress == "Current"), None)
        in_lifecycle = any(environment.id in s.phase.environments for s in prog.phases)
        if not in_lifecycle:
            reason = f"the lifecycle '{lifecycle.name}' does not include the environment '{environment.name}'"
        else:
            reason = (
                f"the lifecycle '{lifecycle.name}' has not progressed that far: the phase "
                f"'{phase.name if phase else '?'}' must be completed first"
            )
        # octopus-api.md §4: the server's exact wording is UNCONFIRMED (see README).
        raise rejected(
            f"Release '{release.version}' of project '{project.name}' cannot be deployed to "
            f"environment '{environment.name}' because {reason}."
        )

    # ------------------------------------------------------------------ deployments

    def script_outcome(
        self,
        *,
        project: str | None = None,
        environment: str | None = None,
        tenant: str | None = None,
        outcome: str = "Success",
        duration: timedelta | str | float | None = None,
        queue_delay: timedelta | str | float | None = None,
        interrupt_after: timedelta | str | float | None = None,
        error_message: str | None = None,
        times: int | None = 1,
    ) -> None:
        """Script the outcome of the next deployment(s) created through the API that match."""
        with self.lock:
            self._scripts.append(
                _Scripted(
                    self.project(project).id if project else None,
                    self.environment(environment).id if environment else None,
                    self.tenant(tenant).id if tenant else None,
                    self._script(outcome, duration, queue_delay, interrupt_after, error_message),
                    times,
                )
            )

    def _script(
        self,
        outcome: str,
        duration: Any = None,
        queue_delay: Any = None,
        interrupt_after: Any = None,
        error_message: str | None = None,
    ) -> Script:
        if outcome not in OUTCOMES:
            msg = f"outcome must be one of {OUTCOMES}, not {outcome!r}"
            raise SimulatorError(msg)
        base = self.defaults
        return Script(
            outcome=outcome,
            queue_delay=parse_span(queue_delay) if queue_delay is not None else base.queue_delay,
            duration=parse_span(duration) if duration is not None else base.duration,
            interrupt_after=parse_span(interrupt_after)
            if interrupt_after is not None
            else base.interrupt_after,
            error_message=error_message,
        )

    def _take_script(self, project_id: str, environment_id: str, tenant_id: str | None) -> Script:
        for scripted in self._scripts:
            if (
                (scripted.project_id in (None, project_id))
                and (scripted.environment_id in (None, environment_id))
                and (scripted.tenant_id in (None, tenant_id))
            ):
                if scripted.times is not None:
                    scripted.times -= 1
                    if scripted.times <= 0:
                        self._scripts.remove(scripted)
                return replace(scripted.script)
        return replace(self.defaults)

    def deploy(
        self,
        project: str,
        version: str,
        environment: str,
        *,
        tenant: str | None = None,
        outcome: str = "Success",
        duration: timedelta | str | float | None = None,
        queue_delay: timedelta | str | float | None = None,
        user: str = "alice",
        at: datetime | None = None,
        comments: str | None = None,
        check_lifecycle: bool = True,
    ) -> str:
        """Deploy a release as a person in the Octopus UI would; returns the deployment id.

        `at` places the deployment in the past (history); events up to `at` are written first, so
        history given in time order keeps event ids in time order.
        """
        with self.lock:
            release = self.release(project, version)
            env = self.environment(environment)
            ten = self.tenant(tenant) if tenant else None
            self.sync(until=at)
            if check_lifecycle:
                try:
                    self.check_deployable(release, env, ten)
                except ApiError as exc:
                    raise SimulatorError("; ".join(exc.errors) or exc.message) from None
            script = self._script(outcome, duration, queue_delay)
            return self._create_deployment(
                release, env, ten, script, created=at, comments=comments, user=user
            ).id

    def create_deployment(self, body: dict[str, Any], *, user: str = "api-user") -> Deployment:
        """POST /deployments: validate like Octopus, then queue the deployment (scripted outcome)."""
        with self.lock:
            self.sync()
            release_id, environment_id = body.get("ReleaseId"), body.get("EnvironmentId")
            problems = []
            if not release_id:
                problems.append("Please specify the release to deploy (ReleaseId).")
            if not environment_id:
                problems.append("Please specify the environment to deploy to (EnvironmentId).")
            if problems:
                raise rejected(*problems)
            release = self.releases.get(release_id)
            env = self.environments.get(environment_id)
            if release is None:
                raise rejected(f"The release '{release_id}' does not exist.")
            if env is None:
                raise rejected(f"The environment '{environment_id}' does not exist.")
            tenant = None
            if body.get("TenantId"):
                tenant = self.tenants.get(body["TenantId"])
                if tenant is None:
                    raise rejected(f"The tenant '{body['TenantId']}' does not exist.")
            self.check_deployable(release, env, tenant)
            script = self._take_script(release.project_id, env.id, tenant.id if tenant else None)
            queue_time = self._parse_body_time(body, "QueueTime")
            expiry = self._parse_body_time(body, "QueueTimeExpiry")
            dep = self._create_deployment(
                release,
                env,
                tenant,
                script,
                comments=body.get("Comments"),
                user=user,
                queue_time=queue_time,
                queue_time_expiry=expiry,
                form_values=body.get("FormValues") or {},
                extra=body,
            )
            self.observations.count("deployments_created")
            return dep

    @staticmethod
    def _parse_body_time(body: dict[str, Any], name: str) -> datetime | None:
        from tests.octosim.formats import parse_time  # noqa: PLC0415

        value = body.get(name)
        if not value:
            return None
        try:
            return parse_time(str(value))
        except ValueError:
            raise rejected(f"{name} '{value}' is not a valid date and time.") from None

    def _create_deployment(
        self,
        release: Release,
        env: Environment,
        tenant: Tenant | None,
        script: Script,
        *,
        created: datetime | None = None,
        comments: str | None = None,
        user: str = "alice",
        queue_time: datetime | None = None,
        queue_time_expiry: datetime | None = None,
        form_values: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Deployment:
        created = created or self.clock.now()
        project = self.projects[release.project_id]
        key = (project.id, env.id, tenant.id if tenant else None)
        same = sum(1 for d in self._by_key[key] if self.deployments[d].release_id == release.id)
        name = f"Deploy to {env.name}" + (f" (#{same + 1})" if same else "")
        task_id = self._new_id("ServerTasks")
        dep = Deployment(
            id=self._new_id("Deployments"),
            name=name,
            release_id=release.id,
            environment_id=env.id,
            project_id=project.id,
            channel_id=release.channel_id,
            space_id=project.space_id,
            task_id=task_id,
            created=created,
            tenant_id=tenant.id if tenant else None,
            comments=comments,
            form_values=dict(form_values or {}),
            queue_time=queue_time,
            queue_time_expiry=queue_time_expiry,
            deployed_by=user,
            deployed_by_id="users-system" if user == "system" else f"Users-{_slug(user)}",
            extra=dict(extra or {}),
            seq=next(self._seq),
        )
        description = f"Deploy {project.name} release {release.version} to {env.name}"
        if tenant:
            description += f" for {tenant.name}"
        task = Task(
            id=task_id,
            name="Deploy",
            description=description,
            space_id=project.space_id,
            project_id=project.id,
            deployment_id=dep.id,
            queue_time=queue_time or created,
            script=script,
            queue_time_expiry=queue_time_expiry,
            last_updated=created,
            environment_id=env.id,
            tenant_id=dep.tenant_id,
            seq=dep.seq,
        )
        self.deployments[dep.id] = dep
        self.tasks[task.id] = task
        self._by_key[key].append(dep.id)
        self._by_release[release.id].append(dep.id)
        self._deployments_sorted = None
        self._deployment_event(dep, "DeploymentQueued", created, "queued for", user=user)
        start = max(created, queue_time or created) + script.queue_delay
        if queue_time_expiry is not None and start > queue_time_expiry:
            self._schedule(task, max(queue_time_expiry, created), "timeout")
        elif script.outcome == "TimedOut":
            self._schedule(task, start, "timeout")
        else:
            self._schedule(task, start, "start")
        return dep

    # ------------------------------------------------------------------ task engine

    def _schedule(self, task: Task, when: datetime, kind: str) -> None:
        heapq.heappush(self._heap, (when, next(self._seq), task.id, kind, self._generation[task.id]))

    def sync(self, until: datetime | None = None) -> None:
        """Apply every task transition due by `until` (default: now), in time order."""
        with self.lock:
            limit = until or self.clock.now()
            while self._heap and self._heap[0][0] <= limit:
                when, _, task_id, kind, generation = heapq.heappop(self._heap)
                if generation != self._generation[task_id]:
                    continue
                self._apply(self.tasks[task_id], kind, when)
        self.webhooks.kick()

    def _apply(self, task: Task, kind: str, when: datetime) -> None:
        dep = self.deployments[task.deployment_id] if task.deployment_id else None
        task.last_updated = when
        if kind == "start":
            task.state, task.start_time = EXECUTING, when
            if dep:
                # Holdout 18: "started  for" with two spaces, as captured from real servers.
                self._deployment_event(dep, "DeploymentStarted", when, "started  for")
            if task.script.outcome in ("ManualIntervention", "GuidedFailure"):
                self._schedule(
                    task, when + min(task.script.interrupt_after, task.script.duration), "interrupt"
                )
            else:
                self._schedule(task, when + task.script.duration, "finish")
        elif kind == "interrupt":
            self._raise_interruption(task, dep, when)
        elif kind == "finish":
            self._finish(task, dep, when, task.script.outcome)
        elif kind == "timeout":
            task.state, task.completed_time, task.error_message = TIMED_OUT, when, TIMED_OUT_MESSAGE
        elif kind == "canceled":
            self._finish(task, dep, when, "Canceled")

    def _finish(self, task: Task, dep: Deployment | None, when: datetime, outcome: str) -> None:
        task.completed_time = when
        task.pending_interruption = None
        if outcome in ("Success", "ManualIntervention", "GuidedFailure"):
            before = self._progress_snapshot(dep) if dep else set()
            task.state, task.error_message = SUCCESS, ""
            if dep:
                self._deployment_event(dep, "DeploymentSucceeded", when, "succeeded for")
                self._auto_deploy(self.releases[dep.release_id], before, when)
        elif outcome == "Canceled":
            task.state, task.error_message = CANCELED, CANCELED_MESSAGE
            if dep:
                # octopus-api.md §3 Events: "TaskCanceled" as a category id is UNCONFIRMED (README).
                self._deployment_event(dep, "TaskCanceled", when, "canceled for")
        else:
            task.state = FAILED
            task.error_message = task.script.error_message or FAILED_MESSAGE
            if dep:
                self._deployment_event(dep, "DeploymentFailed", when, "failed for")

    def _raise_interruption(self, task: Task, dep: Deployment | None, when: datetime) -> None:
        kind = task.script.outcome
        task.executed = min(task.script.interrupt_after, task.script.duration)
        task.pending_interruption = kind
        related = [task.id] + ([dep.id, dep.project_id, dep.environment_id] if dep else [])
        title = (
            "Approve the deployment"
            if kind == "ManualIntervention"
            else "Step failed: requires failure guidance"
        )
        interruption = Interruption(
            self._new_id("Interruptions"),
            kind,
            title,
            task.id,
            task.space_id,
            when,
            related,
            seq=next(self._seq),
        )
        if kind == "ManualIntervention":
            interruption.values = {
                "Instructions": "Please approve this deployment.",
                "Notes": None,
                "Result": None,
            }
        else:
            interruption.values = {"Guidance": None, "Notes": None}
        self.interruptions[interruption.id] = interruption
        if dep:
            category = (
                "ManualInterventionInterruptionRaised"
                if kind == "ManualIntervention"
                else "GuidedFailureInterruptionRaised"
            )
            self._deployment_event(
                dep,
                category,
                when,
                "requires intervention for"
                if kind == "ManualIntervention"
                else "requires failure guidance for",
            )

    def submit_interruption(
        self, interruption_id: str, values: dict[str, Any], *, user: str = "api-user"
    ) -> None:
        """Answer an interruption: `Result` Proceed/Abort (manual) or `Guidance` Fail/Retry/Ignore/Exclude."""
        from tests.octosim.errors import not_found  # noqa: PLC0415

        with self.lock:
            self.sync()
            interruption = self.interruptions.get(interruption_id)
            if interruption is None:
                raise not_found(interruption_id)
            if not interruption.is_pending:
                raise rejected("This interruption has already been submitted.")
            task = self.tasks[interruption.task_id]
            now = self.clock.now()
            remaining = max(task.script.duration - task.executed, timedelta(0))
            if interruption.type == "ManualIntervention":
                answer = values.get("Result")
                if answer not in ("Proceed", "Abort"):
                    raise rejected("Result must be 'Proceed' or 'Abort'.")
                after = "Success" if answer == "Proceed" else "Abort"
            else:
                answer = values.get("Guidance")
                if answer not in ("Fail", "Retry", "Ignore", "Exclude"):
                    raise rejected("Guidance must be one of 'Fail', 'Retry', 'Ignore' or 'Exclude'.")
                after = "Abort" if answer == "Fail" else "Success"
                if answer == "Retry":
                    remaining = task.script.duration
            interruption.is_pending = False
            interruption.responsible_user_id = interruption.responsible_user_id or f"Users-{_slug(user)}"
            interruption.values = {
                **interruption.values,
                **{k: v for k, v in values.items() if k in ("Result", "Guidance", "Notes")},
            }
            task.pending_interruption = None
            task.last_updated = now
            self._generation[task.id] += 1
            dep = self.deployments.get(task.deployment_id or "")
            if after == "Abort":
                task.script = replace(task.script, error_message=task.script.error_message or ABORTED_MESSAGE)
                self._finish(task, dep, now, "Failed")
            else:
                task.script = replace(task.script, outcome="Success")
                self._schedule(task, now + remaining, "finish")
        self.webhooks.kick()

    def answer_interruption(self, interruption_id: str, result: str = "Proceed") -> None:
        """Proceed/Abort a manual intervention (or Fail/Retry/Ignore a guided failure), from a test."""
        with self.lock:
            interruption = self.interruptions[interruption_id]
            interruption.responsible_user_id = interruption.responsible_user_id or "Users-alice"
            key = "Result" if interruption.type == "ManualIntervention" else "Guidance"
            self.submit_interruption(interruption_id, {key: result}, user="alice")

    def pending_interruptions(self, task_id: str | None = None) -> list[str]:
        """Ids of pending interruptions (of one task)."""
        with self.lock:
            self.sync()
            return [
                i.id
                for i in self.interruptions.values()
                if i.is_pending and (task_id is None or i.task_id == task_id)
            ]

    def cancel_task(self, task_id: str) -> None:
        """Cancel a task: a queued one at once, an executing one via Cancelling a second later."""
        with self.lock:
            self.sync()
            task = self.tasks[task_id]
            if task.state not in UNFINISHED_STATES or task.state == CANCELLING:
                return
            now = self.clock.now()
            self._generation[task.id] += 1
            for interruption in self.interruptions.values():
                if interruption.task_id == task.id:
                    interruption.is_pending = False
            task.pending_interruption = None
            if task.state == QUEUED:
                self._finish(task, self.deployments.get(task.deployment_id or ""), now, "Canceled")
            else:
                task.state, task.last_updated = CANCELLING, now
                self._schedule(task, now + timedelta(seconds=1), "canceled")
        self.webhooks.kick()

    # ------------------------------------------------------------------ automatic deployments

    def _progress_snapshot(self, dep: Deployment) -> set[str]:
        release = self.releases[dep.release_id]
        return set(self.progression(release).allowed)

    def _auto_deploy(self, release: Release, allowed_before: set[str], when: datetime) -> None:
        """Deploy to AutomaticDeploymentTargets of phases the release has just entered (Holdout 14)."""
        project = self.projects[release.project_id]
        if project.tenanted_mode == "Tenanted":
            return
        prog = self.progression(release)
        done = self.succeeded_environments(release)
        for state in prog.phases:
            phase = state.phase
            if phase.is_optional or not phase.automatic:
                continue
            for env_id in phase.automatic:
                if env_id in prog.allowed and env_id not in allowed_before and env_id not in done:
                    script = self._take_script(project.id, env_id, None)
                    self._create_deployment(
                        release, self.environments[env_id], None, script, created=when, user="system"
                    )

    # ------------------------------------------------------------------ events

    def _deployment_event(
        self, dep: Deployment, category: str, when: datetime, verb: str, *, user: str = "system"
    ) -> Event:
        release = self.releases[dep.release_id]
        project = self.projects[dep.project_id]
        env = self.environments[dep.environment_id]
        message = f"{dep.name} {verb} {project.name} release {release.version} to {env.name}"
        related = [dep.id, project.id, release.id, env.id, dep.task_id, dep.channel_id]
        if dep.tenant_id:
            # octopus-api.md §3: the tenant id's place in RelatedDocumentIds is UNCONFIRMED; it goes last.
            message += f" for {self.tenants[dep.tenant_id].name}"
            related.append(dep.tenant_id)
        if user == "system":
            return self.add_event(category, message, related, when, space_id=dep.space_id)
        return self.add_event(
            category,
            message,
            related,
            when,
            space_id=dep.space_id,
            user_id=dep.deployed_by_id,
            username=user,
            user_agent="OctopusClient-js/3.11.0",
        )

    def add_event(
        self,
        category: str,
        message: str,
        related: list[str],
        when: datetime | None = None,
        *,
        space_id: str | None = None,
        user_id: str = "users-system",
        username: str = "system",
        user_agent: str = "Server",
    ) -> Event:
        """Write an audit event (auto id = insertion order)."""
        with self.lock:
            auto_id = next(self._ids["Events"])
            event = Event(
                f"Events-{auto_id}",
                auto_id,
                category,
                when or self.clock.now(),
                message,
                related,
                space_id or self.default_space.id,
                user_id,
                username,
                user_agent,
            )
            self.events.append(event)
            self.events_by_id[event.id] = event
            self._events_sorted = None
            self.webhooks.enqueue(event)
            return event

    def events_newest_first(self) -> list[Event]:
        """Events by Occurred descending, ties broken by auto id descending (Holdout 10)."""
        if self._events_sorted is None:
            self._events_sorted = sorted(self.events, key=lambda e: (e.occurred, e.auto_id), reverse=True)
        return self._events_sorted

    def deployments_newest_first(self) -> list[Deployment]:
        """Deployments by Created descending (Holdout 10)."""
        if self._deployments_sorted is None:
            self._deployments_sorted = sorted(
                self.deployments.values(), key=lambda d: (d.created, d.seq), reverse=True
            )
        return self._deployments_sorted

    def deployment_keys(self) -> dict[tuple[str, str, str | None], list[str]]:
        """Deployment ids per (project, environment, tenant), in creation order."""
        return self._by_key

    # ------------------------------------------------------------------ subscriptions

    def add_subscription(
        self,
        url: str,
        *,
        name: str | None = None,
        header_key: str | None = None,
        header_value: str | None = None,
        categories: Iterable[str] = (),
        projects: Iterable[str] = (),
        environments: Iterable[str] = (),
        duplicate_rate: float = 0.0,
        out_of_order: bool = False,
        timeout: str = "00:00:10",
        late_rate: float = 0.0,
        late_by: timedelta | float = 60.0,
    ) -> str:
        """Add a webhook subscription; each matching event is POSTed to `url`."""
        with self.lock:
            sub = Subscription(
                self._new_id("Subscriptions"),
                name or f"Webhook {url}",
                self.default_space.id,
                url,
                header_key,
                header_value,
                list(categories),
                [self.project(p).id for p in projects],
                [self.environment(e).id for e in environments],
                timeout,
                False,
                duplicate_rate,
                out_of_order,
                late_rate,
                late_by.total_seconds() if isinstance(late_by, timedelta) else float(late_by),
            )
            self.subscriptions[sub.id] = sub
            return sub.id

    # ------------------------------------------------------------------ changes people make

    def rename_project(self, ref: str, new_name: str) -> str:
        """Rename a project (id and slug stay); writes a `Modified` event. See changes.py."""
        return changes.rename(self, "project", ref, new_name)

    def rename_environment(self, ref: str, new_name: str) -> str:
        """Rename an environment; writes a `Modified` event."""
        return changes.rename(self, "environment", ref, new_name)

    def rename_tenant(self, ref: str, new_name: str) -> str:
        """Rename a tenant; writes a `Modified` event."""
        return changes.rename(self, "tenant", ref, new_name)

    def delete_release(self, project: str, version: str) -> str:
        """Delete a release and its deployments, as retention does. See changes.py."""
        return changes.delete_release(self, project, version)

    # ------------------------------------------------------------------ test conveniences

    def task_state(self, task_or_deployment_id: str) -> str:
        """The task's State, given a task or deployment id."""
        with self.lock:
            self.sync()
            if task_or_deployment_id in self.deployments:
                task_or_deployment_id = self.deployments[task_or_deployment_id].task_id
            return self.tasks[task_or_deployment_id].state

    def run_until_idle(self, limit: timedelta = timedelta(days=1)) -> None:
        """Advance a manual clock until no task is due to move (waiting interruptions stay)."""
        deadline = self.clock.now() + limit
        while True:
            with self.lock:
                pending = [h for h in self._heap if h[4] == self._generation[h[2]]]
                if not pending:
                    return
                nxt = min(h[0] for h in pending)
            if nxt > deadline:
                return
            if nxt > self.clock.now():
                self.clock.advance(nxt - self.clock.now())
            else:
                self.sync()

    def is_unfinished(self, task_id: str) -> bool:
        """True while the task is Queued, Executing or Cancelling (Holdout 5)."""
        return self.tasks[task_id].state in UNFINISHED_STATES

    @property
    def outcome_states(self) -> tuple[str, ...]:
        return (SUCCESS, FAILED, CANCELED, TIMED_OUT)

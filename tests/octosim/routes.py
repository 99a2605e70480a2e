"""The Octopus REST routes: path matching (with the space forms of octopus-api.md §1) and handlers.

Every space-scoped route answers at `/api/{spaceId}/...`, `/api/spaces/{spaceId}/...` and, for
the default space, `/api/...`. Route names (`GET /projects/{id}/releases`) key faults and counters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.octosim import resources as res
from tests.octosim.errors import ApiError, SimulatorError, not_found, rejected
from tests.octosim.formats import iso, parse_time
from tests.octosim.model import CANCELLING, EXECUTING, QUEUED, UNFINISHED_STATES, Deployment
from tests.octosim.paging import paged
from tests.octosim.simulator import Simulator
from tests.octosim.traits import channel_groups, culture_links, dashboard_projects

_SPACE_ID = re.compile(r"^Spaces-\d+$", re.IGNORECASE)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    space_id: str | None
    params: dict[str, str] = field(default_factory=dict)
    user: str = "api-user"
    api_key: str | None = None

    def values(self, name: str) -> list[str]:
        """A list parameter: comma-separated and/or repeated (octopus-api.md §3 Events)."""
        found: list[str] = []
        for key, values in self.query.items():
            if key.lower() == name.lower():
                for value in values:
                    found.extend(v.strip() for v in value.split(",") if v.strip())
        return found

    def value(self, name: str) -> str | None:
        values = self.values(name)
        return values[-1] if values else None

    def flag(self, name: str) -> bool | None:
        value = self.value(name)
        return None if value is None else value.lower() == "true"


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Simulator, Request], Any]
_ROUTES: list[tuple[str, re.Pattern[str], str, Handler, bool]] = []


def route(
    method: str, pattern: str, *, spaced: bool = True, name: str | None = None
) -> Callable[[Handler], Handler]:
    regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "/?$")

    def register(handler: Handler) -> Handler:
        _ROUTES.append((method, regex, name or f"{method} {pattern}", handler, spaced))
        return handler

    return register


def match(sim: Simulator, method: str, path: str) -> tuple[str, Handler, dict[str, str], str | None] | None:
    """The route for a request path: (name, handler, path params, space id or None)."""
    parts = [p for p in path.split("/") if p]
    if not parts or parts[0].lower() != "api":
        return None
    rest = parts[1:]
    space_id: str | None = None
    explicit_space = False
    if len(rest) >= 3 and rest[0].lower() == "spaces":
        space_id, rest, explicit_space = rest[1], rest[2:], True
    elif rest and _SPACE_ID.match(rest[0]):
        space_id, rest, explicit_space = rest[0], rest[1:], True
    sub = "/" + "/".join(rest)
    for m, regex, name, handler, spaced in _ROUTES:
        if m != method:
            continue
        if explicit_space and not spaced:
            continue
        found = regex.match(sub)
        if found:
            if explicit_space:
                canonical = next(
                    (
                        s.id
                        for s in sim.spaces.values()
                        if s.id.lower() == space_id.lower() or s.slug == space_id.lower()
                    ),
                    None,
                )
                if canonical is None:
                    raise not_found(space_id)
                space_id = canonical
            return name, handler, found.groupdict(), space_id
    return None


# ---------------------------------------------------------------------- helpers


def _space(sim: Simulator, req: Request) -> str:
    return req.space_id or sim.default_space.id


def _in_space(sim: Simulator, req: Request, items: list[Any]) -> list[Any]:
    space = _space(sim, req)
    return [i for i in items if i.space_id == space]


def _by_ids(req: Request, items: list[Any]) -> list[Any]:
    ids = req.values("ids")
    if not ids:
        return items
    wanted = set(ids)
    return [i for i in items if i.id in wanted]


def _named(req: Request, items: list[Any]) -> list[Any]:
    name, partial = req.value("name"), req.value("partialName")
    if name:
        items = [i for i in items if i.name.lower() == name.lower()]
    if partial:
        items = [i for i in items if partial.lower() in i.name.lower()]
    return items


def _get(table: dict[str, Any], key: str, sim: Simulator, req: Request, *, by_slug: bool = False) -> Any:
    item = table.get(key)
    if item is None and by_slug:
        item = next((i for i in table.values() if getattr(i, "slug", None) == key.lower()), None)
    if item is None or (req.space_id and getattr(item, "space_id", req.space_id) != req.space_id):
        raise not_found(key)
    del sim
    return item


def _time(req: Request, name: str) -> Any:
    value = req.value(name)
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError:
        raise rejected(f"The value '{value}' is not a valid date for '{name}'.") from None


def _int_param(req: Request, name: str) -> int | None:
    value = req.value(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise rejected(f"The value '{value}' is not valid for '{name}'.") from None


def _body(req: Request) -> dict[str, Any]:
    if req.body is None or req.body == b"" or req.body == {}:
        raise rejected("No request body was supplied.")
    if not isinstance(req.body, dict):
        raise rejected("The request body must be a JSON object.")
    return req.body


# ---------------------------------------------------------------------- root, spaces, users


@route("GET", "/", spaced=False)
def root(sim: Simulator, req: Request) -> Any:
    return res.root_json(sim)


@route("GET", "/", name="GET /{spaceId}")
def space_home(sim: Simulator, req: Request) -> Any:
    space = sim.spaces[_space(sim, req)]
    return {
        "Id": space.id,
        "Name": space.name,
        "Links": {"Self": f"/api/{space.id}", "Projects": f"/api/{space.id}/projects"},
    }


@route("GET", "/spaces", spaced=False)
def spaces(sim: Simulator, req: Request) -> Any:
    items = _named(req, _by_ids(req, list(sim.spaces.values())))
    return paged(items, req.query, req.path, "Space", res.space_json)


@route("GET", "/spaces/all", spaced=False)
def spaces_all(sim: Simulator, req: Request) -> Any:
    return [res.space_json(s) for s in sim.spaces.values()]


@route("GET", "/spaces/{id}", spaced=False)
def space_get(sim: Simulator, req: Request) -> Any:
    return res.space_json(_get(sim.spaces, req.params["id"], sim, req))


# ---------------------------------------------------------------------- project groups, projects, channels


@route("GET", "/projectgroups")
def project_groups(sim: Simulator, req: Request) -> Any:
    items = _named(req, _by_ids(req, _in_space(sim, req, list(sim.project_groups.values()))))
    return paged(items, req.query, req.path, "ProjectGroup", res.project_group_json)


@route("GET", "/projectgroups/all")
def project_groups_all(sim: Simulator, req: Request) -> Any:
    items = sorted(_in_space(sim, req, list(sim.project_groups.values())), key=lambda g: g.name.lower())
    return [res.project_group_json(g) for g in items]


@route("GET", "/projectgroups/{id}")
def project_group_get(sim: Simulator, req: Request) -> Any:
    return res.project_group_json(_get(sim.project_groups, req.params["id"], sim, req))


def _projects_sorted(sim: Simulator, req: Request) -> list[Any]:
    return sorted(_in_space(sim, req, list(sim.projects.values())), key=lambda p: p.name.lower())


@route("GET", "/projects")
def projects(sim: Simulator, req: Request) -> Any:
    items = _named(req, _by_ids(req, _projects_sorted(sim, req)))
    return paged(items, req.query, req.path, "Project", res.project_json)


@route("GET", "/projects/all")
def projects_all(sim: Simulator, req: Request) -> Any:
    # octopus-api.md §2: "sorted alphabetically by name".
    return [res.project_json(p) for p in _by_ids(req, _projects_sorted(sim, req))]


@route("GET", "/projects/{id}")
def project_get(sim: Simulator, req: Request) -> Any:
    return res.project_json(_get(sim.projects, req.params["id"], sim, req, by_slug=True))


@route("GET", "/projectgroups/{id}/projects")
def project_group_projects(sim: Simulator, req: Request) -> Any:
    group = _get(sim.project_groups, req.params["id"], sim, req)
    items = [p for p in _projects_sorted(sim, req) if p.group_id == group.id]
    return paged(items, req.query, req.path, "Project", res.project_json)


@route("GET", "/projects/{id}/releases")
def project_releases(sim: Simulator, req: Request) -> Any:
    project = _get(sim.projects, req.params["id"], sim, req, by_slug=True)
    items = sim.releases_of(project.id)
    search = req.value("searchByVersion")
    if search:
        items = [r for r in items if search.lower() in r.version.lower()]
    return paged(items, req.query, req.path, "Release", res.release_json)


@route("GET", "/projects/{id}/releases/{version}")
def project_release_by_version(sim: Simulator, req: Request) -> Any:
    project = _get(sim.projects, req.params["id"], sim, req, by_slug=True)
    for release in sim.releases_of(project.id):
        if release.version == req.params["version"]:
            return res.release_json(release)
    raise not_found(req.params["version"])


@route("GET", "/projects/{id}/channels")
def project_channels(sim: Simulator, req: Request) -> Any:
    project = _get(sim.projects, req.params["id"], sim, req, by_slug=True)
    items = _named(req, [c for c in sim.channels.values() if c.project_id == project.id])
    return paged(items, req.query, req.path, "Channel", res.channel_json)


@route("GET", "/channels")
def channels(sim: Simulator, req: Request) -> Any:
    items = _named(req, _by_ids(req, _in_space(sim, req, list(sim.channels.values()))))
    return paged(items, req.query, req.path, "Channel", res.channel_json)


@route("GET", "/channels/{id}")
def channel_get(sim: Simulator, req: Request) -> Any:
    return res.channel_json(_get(sim.channels, req.params["id"], sim, req))


# ---------------------------------------------------------------------- environments, lifecycles, tenants


@route("GET", "/environments")
def environments(sim: Simulator, req: Request) -> Any:
    items = _named(req, _by_ids(req, sim.environments_in_order(_space(sim, req))))
    return paged(items, req.query, req.path, "Environment", res.environment_json)


@route("GET", "/environments/all")
def environments_all(sim: Simulator, req: Request) -> Any:
    # octopus-api.md §2: "sorted by the SortOrder field".
    return [res.environment_json(e) for e in _by_ids(req, sim.environments_in_order(_space(sim, req)))]


@route("GET", "/environments/{id}")
def environment_get(sim: Simulator, req: Request) -> Any:
    return res.environment_json(_get(sim.environments, req.params["id"], sim, req))


@route("GET", "/lifecycles")
def lifecycles(sim: Simulator, req: Request) -> Any:
    items = _named(req, _by_ids(req, _in_space(sim, req, list(sim.lifecycles.values()))))
    return paged(items, req.query, req.path, "Lifecycle", res.lifecycle_json)


@route("GET", "/lifecycles/all")
def lifecycles_all(sim: Simulator, req: Request) -> Any:
    return [res.lifecycle_json(x) for x in _by_ids(req, _in_space(sim, req, list(sim.lifecycles.values())))]


@route("GET", "/lifecycles/{id}")
def lifecycle_get(sim: Simulator, req: Request) -> Any:
    return res.lifecycle_json(_get(sim.lifecycles, req.params["id"], sim, req))


def _tenants(sim: Simulator, req: Request) -> list[Any]:
    items = sorted(_in_space(sim, req, list(sim.tenants.values())), key=lambda t: t.name.lower())
    project_id = req.value("projectId")
    if project_id:
        items = [t for t in items if project_id in t.project_environments]
    tags = req.values("tags")
    if tags:
        items = [t for t in items if set(tags) & set(t.tags)]
    disabled = req.flag("isDisabled")
    if disabled is not None:
        items = [t for t in items if t.is_disabled == disabled]
    return _named(req, _by_ids(req, items))


@route("GET", "/tenants")
def tenants(sim: Simulator, req: Request) -> Any:
    return paged(_tenants(sim, req), req.query, req.path, "Tenant", res.tenant_json)


@route("GET", "/tenants/all")
def tenants_all(sim: Simulator, req: Request) -> Any:
    return [res.tenant_json(t) for t in _tenants(sim, req)]


@route("GET", "/tenants/{id}")
def tenant_get(sim: Simulator, req: Request) -> Any:
    return res.tenant_json(_get(sim.tenants, req.params["id"], sim, req))


# ---------------------------------------------------------------------- releases


@route("GET", "/releases")
def releases(sim: Simulator, req: Request) -> Any:
    items = sorted(
        _in_space(sim, req, list(sim.releases.values())), key=lambda r: (r.assembled, r.seq), reverse=True
    )
    # A server whose root template lacks `ids` ignores the parameter (traits.py).
    found = _by_ids(req, items) if sim.traits.releases_by_ids else items
    return paged(found, req.query, req.path, "Release", res.release_json)


@route("GET", "/releases/{id}")
def release_get(sim: Simulator, req: Request) -> Any:
    return res.release_json(_get(sim.releases, req.params["id"], sim, req))


@route("POST", "/releases")
def release_create(sim: Simulator, req: Request) -> Any:
    body = _body(req)
    project = sim.projects.get(body.get("ProjectId") or "")
    if project is None:
        raise rejected("Please specify the project (ProjectId) of the release.")
    version = body.get("Version")
    if not version:
        raise rejected("Please provide a version number for this release.")
    if len(version) > 349:
        raise rejected("The Version must be at most 349 characters.")
    if any(r.version == version for r in sim.releases_of(project.id)):
        raise rejected(f"A release with the version number '{version}' already exists.")
    release_id = sim.create_release(
        project.id, version, channel=body.get("ChannelId"), notes=body.get("ReleaseNotes")
    )
    return Response(201, res.release_json(sim.releases[release_id]))


@route("POST", "/releases/create/v1")
def release_create_v1(sim: Simulator, req: Request) -> Any:
    body = _body(req)
    project = _project_by_name(sim, body.get("ProjectName"))
    version = body.get("ReleaseVersion") or body.get("PackageVersion")
    if not version:
        raise rejected("ReleaseVersion is required.")
    existing = next((r for r in sim.releases_of(project.id) if r.version == version), None)
    if existing is not None:
        if body.get("IgnoreIfAlreadyExists"):
            return {"ReleaseId": existing.id, "ReleaseVersion": existing.version}
        raise rejected(f"A release with the version number '{version}' already exists.")
    channel = body.get("ChannelName")
    try:
        release_id = sim.create_release(project.id, version, channel=channel, notes=body.get("ReleaseNotes"))
    except SimulatorError as exc:
        raise rejected(str(exc)) from None
    return {"ReleaseId": release_id, "ReleaseVersion": version}


def _project_by_name(sim: Simulator, name: Any) -> Any:
    if not name:
        raise rejected("ProjectName is required.")
    for project in sim.projects.values():
        if name in (project.id, project.slug) or project.name.lower() == str(name).lower():
            return project
    raise rejected(f"The project '{name}' was not found.")


def _deployments_filtered(sim: Simulator, req: Request, items: list[Deployment]) -> list[Deployment]:
    space = _space(sim, req)
    items = [d for d in items if d.space_id == space]
    for name, attribute in (
        ("projects", "project_id"),
        ("environments", "environment_id"),
        ("tenants", "tenant_id"),
        ("channels", "channel_id"),
        ("ids", "id"),
    ):
        wanted = req.values(name)
        if wanted:
            allowed = set(wanted)
            items = [d for d in items if getattr(d, attribute) in allowed]
    states = req.values("taskState")
    if states:
        items = [d for d in items if sim.tasks[d.task_id].state in states]
    partial = req.value("partialName")
    if partial:
        items = [d for d in items if partial.lower() in d.name.lower()]
    return items


@route("GET", "/releases/{id}/deployments")
def release_deployments(sim: Simulator, req: Request) -> Any:
    release = _get(sim.releases, req.params["id"], sim, req)
    items = [d for d in sim.deployments_newest_first() if d.release_id == release.id]
    return paged(
        _deployments_filtered(sim, req, items),
        req.query,
        req.path,
        "Deployment",
        lambda d: res.deployment_json(sim, d),
    )


def _template_preview(space_id: str, release_id: str, env_id: str) -> str:
    return f"/api/{space_id}/releases/{release_id}/deployments/preview/{env_id}{{?includeDisabledSteps}}"


def _target(sim: Simulator, env_id: str, release_id: str, space_id: str) -> dict[str, Any]:
    env = sim.environments[env_id]
    return {
        "Id": env.id,
        "Name": env.name,
        "Links": {
            "Preview": _template_preview(space_id, release_id, env.id),
            "Self": f"/api/{space_id}/environments/{env.id}",
        },
    }


@route("GET", "/releases/{id}/deployments/template")
def deployment_template(sim: Simulator, req: Request) -> Any:
    release = _get(sim.releases, req.params["id"], sim, req)
    project = sim.projects[release.project_id]
    tenant_promotions = []
    union: list[str] = []
    if project.tenanted_mode != "Untenanted":
        for tenant in sim.connected_tenants(project.id):
            targets = sim.tenant_targets(release, tenant)
            union.extend(e for e in targets if e not in union)
            tenant_promotions.append(
                {
                    "Id": tenant.id,
                    "Name": tenant.name,
                    "PromoteTo": [_target(sim, e, release.id, release.space_id) for e in targets],
                    "Links": {"Self": f"/api/{release.space_id}/tenants/{tenant.id}"},
                }
            )
    # UNCONFIRMED (README): a tenanted-only project offers the union of its tenants' targets.
    tenanted_only = project.tenanted_mode == "Tenanted"
    promote = union if tenanted_only else list(sim.progression(release).allowed)
    return {
        "PromoteTo": [_target(sim, e, release.id, release.space_id) for e in promote],
        "TenantPromotions": tenant_promotions,
        "IsDeploymentProcessModified": False,
        "IsVariableSetModified": False,
        "IsLibraryVariableSetModified": False,
        "IsGitResourceModified": False,
        "DeploymentNotes": None,
    }


@route("GET", "/releases/{id}/progression")
def release_progression(sim: Simulator, req: Request) -> Any:
    release = _get(sim.releases, req.params["id"], sim, req)
    prog = sim.progression(release)
    deployments = [d for d in sim.deployments_newest_first() if d.release_id == release.id]
    phases = []
    for state in prog.phases:
        phase = state.phase
        phases.append(
            {
                # go-octopusdeploy: the phase Id "seems to always be null" here.
                "Id": None,
                "Name": phase.name,
                "Blocked": False,
                "Progress": state.progress,
                "Deployments": [
                    {
                        "Task": res.task_json(sim, sim.tasks[d.task_id]),
                        "Deployment": res.deployment_json(sim, d),
                    }
                    for d in deployments
                    if d.environment_id in phase.environments
                ],
                "AutomaticDeploymentTargets": list(phase.automatic),
                "OptionalDeploymentTargets": list(phase.optional),
                "MinimumEnvironmentsBeforePromotion": phase.minimum,
                "IsOptionalPhase": phase.is_optional,
                "IsPriorityPhase": False,
            }
        )
    return {
        "Phases": phases,
        "NextDeployments": list(prog.next_deployments),
        "NextDeploymentsMinimumRequired": prog.minimum_required,
    }


def _project_progression(sim: Simulator, req: Request, project_id: str) -> Any:
    project = _get(sim.projects, project_id, sim, req, by_slug=True)
    count = _int_param(req, "releaseHistoryCount") or 3
    count = max(1, min(count, 100))
    envs = sim.environments_in_order(project.space_id)
    env_refs = [{"Id": e.id, "Name": e.name} for e in envs]
    channel_envs: dict[str, list[dict[str, str]]] = {}
    lifecycle_envs: dict[str, list[dict[str, str]]] = {}
    for channel in [c for c in sim.channels.values() if c.project_id == project.id]:
        lifecycle = sim.lifecycles[channel.lifecycle_id or project.lifecycle_id]
        from tests.octosim.lifecycle import resolve_phases  # noqa: PLC0415

        ids = [e for p in resolve_phases(lifecycle.phases, [e.id for e in envs]) for e in p.environments]
        refs = [{"Id": e, "Name": sim.environments[e].name} for e in ids]
        channel_envs[channel.id] = refs
        lifecycle_envs[lifecycle.id] = refs
    releases = []
    for release in sim.releases_of(project.id)[:count]:
        per_env: dict[str, list[dict[str, Any]]] = {}
        latest: dict[tuple[str, str | None], Deployment] = {}
        for dep in sim.deployments_newest_first():
            if dep.release_id == release.id and (dep.environment_id, dep.tenant_id) not in latest:
                latest[(dep.environment_id, dep.tenant_id)] = dep
        for (env_id, _), dep in latest.items():
            per_env.setdefault(env_id, []).append(
                res.dashboard_item_json(sim, dep, is_current=True, is_previous=False)
            )
        releases.append(
            {
                "Release": res.release_json(release),
                "Channel": res.channel_json(sim.channels[release.channel_id]),
                "Deployments": per_env,
                "NextDeployments": list(sim.progression(release).next_deployments),
                "HasUnresolvedDefect": False,
                "ReleaseRetentionPeriod": None,
                "TentacleRetentionPeriod": None,
            }
        )
    return {
        "Environments": env_refs,
        "ChannelEnvironments": channel_envs,
        "LifecycleEnvironments": lifecycle_envs,
        "Releases": releases,
    }


@route("GET", "/progression/{id}")
def progression(sim: Simulator, req: Request) -> Any:
    return _project_progression(sim, req, req.params["id"])


@route("GET", "/projects/{id}/progression")
def project_progression(sim: Simulator, req: Request) -> Any:
    return _project_progression(sim, req, req.params["id"])


# ---------------------------------------------------------------------- deployments


@route("GET", "/deployments")
def deployments(sim: Simulator, req: Request) -> Any:
    items = _deployments_filtered(sim, req, sim.deployments_newest_first())
    return paged(items, req.query, req.path, "Deployment", lambda d: res.deployment_json(sim, d))


@route("GET", "/deployments/{id}")
def deployment_get(sim: Simulator, req: Request) -> Any:
    return res.deployment_json(sim, _get(sim.deployments, req.params["id"], sim, req))


@route("POST", "/deployments")
def deployment_create(sim: Simulator, req: Request) -> Any:
    body = _body(req)
    dep = sim.create_deployment(body, user=req.user)
    # Holdout 8: 201 with the full resource, TaskId included.
    return Response(201, res.deployment_json(sim, dep))


def _create_v1(sim: Simulator, req: Request, tenanted: bool) -> Any:
    body = _body(req)
    project = _project_by_name(sim, body.get("ProjectName"))
    version = body.get("ReleaseVersion")
    release = next((r for r in sim.releases_of(project.id) if r.version == version), None)
    if release is None:
        raise rejected(f"Release '{version}' of project '{project.name}' was not found.")

    def env_id(name: str) -> str:
        for env in sim.environments.values():
            if name in (env.id, env.slug) or env.name.lower() == name.lower():
                return env.id
        raise rejected(f"The environment '{name}' was not found.")

    common = {
        "ReleaseId": release.id,
        "Comments": body.get("Comments"),
        "QueueTime": body.get("RunAt"),
        "QueueTimeExpiry": body.get("NoRunAfter"),
        "FormValues": body.get("Variables") or {},
        "ForcePackageRedeployment": body.get("ForcePackageRedeployment", False),
        "UseGuidedFailure": body.get("UseGuidedFailure", False),
    }
    targets: list[tuple[str, str | None]] = []
    if tenanted:
        environment = env_id(body.get("EnvironmentName") or "")
        names = body.get("Tenants") or []
        for tenant in sim.connected_tenants(project.id):
            if (
                "*" in names
                or tenant.name in names
                or tenant.id in names
                or set(body.get("TenantTags") or []) & set(tenant.tags)
            ):
                targets.append((environment, tenant.id))
        if not targets:
            raise rejected("No tenants matched the given Tenants or TenantTags.")
    else:
        names = body.get("EnvironmentNames") or []
        if not names:
            raise rejected("EnvironmentNames must name at least one environment.")
        targets = [(env_id(n), None) for n in names]
    created = []
    for environment, tenant in targets:
        dep = sim.create_deployment(
            {**common, "EnvironmentId": environment, "TenantId": tenant}, user=req.user
        )
        created.append({"DeploymentId": dep.id, "ServerTaskId": dep.task_id})
    return {"DeploymentServerTasks": created}


@route("POST", "/deployments/create/untenanted/v1")
def deployment_create_untenanted_v1(sim: Simulator, req: Request) -> Any:
    return _create_v1(sim, req, tenanted=False)


@route("POST", "/deployments/create/tenanted/v1")
def deployment_create_tenanted_v1(sim: Simulator, req: Request) -> Any:
    return _create_v1(sim, req, tenanted=True)


# ---------------------------------------------------------------------- tasks


def _tasks(sim: Simulator, req: Request) -> list[Any]:
    items = sorted(sim.tasks.values(), key=lambda t: (t.queue_time, t.seq), reverse=True)
    if req.space_id:
        items = [t for t in items if t.space_id == req.space_id]
    spaces = req.values("spaces")
    if spaces and "all" not in [s.lower() for s in spaces]:
        items = [t for t in items if t.space_id in spaces]
    items = _by_ids(req, items)
    for name, attribute in (
        ("project", "project_id"),
        ("environment", "environment_id"),
        ("tenant", "tenant_id"),
    ):
        wanted = req.values(name)
        if wanted:
            items = [t for t in items if getattr(t, attribute) in wanted]
    name = req.value("name")
    if name:
        items = [t for t in items if t.name.lower() == name.lower()]
    states = req.values("states")
    if states:
        items = [t for t in items if t.state in states]
    if req.flag("active"):
        items = [t for t in items if t.state in UNFINISHED_STATES]
    if req.flag("running"):
        items = [t for t in items if t.state in (EXECUTING, CANCELLING)]
    pending = req.flag("hasPendingInterruptions")
    if pending is not None:
        items = [t for t in items if bool(t.pending_interruption) == pending]
    for param, attribute, before in (
        ("fromQueueDate", "queue_time", False),
        ("toQueueDate", "queue_time", True),
        ("fromStartDate", "start_time", False),
        ("toStartDate", "start_time", True),
        ("fromCompletedDate", "completed_time", False),
        ("toCompletedDate", "completed_time", True),
    ):
        bound = _time(req, param)
        if bound is not None:
            items = [
                t
                for t in items
                if getattr(t, attribute) is not None
                and (getattr(t, attribute) <= bound if before else getattr(t, attribute) >= bound)
            ]
    return items


@route("GET", "/tasks")
def tasks(sim: Simulator, req: Request) -> Any:
    items = _tasks(sim, req)
    counts: dict[str, int] = {}
    for task in items:
        counts[task.state] = counts.get(task.state, 0) + 1
    return paged(
        items,
        req.query,
        req.path,
        "Task",
        lambda t: res.task_json(sim, t),
        extra={"TotalCounts": counts, "TotalCountsInOtherSpaces": {}},
    )


@route("GET", "/tasks/{id}")
def task_get(sim: Simulator, req: Request) -> Any:
    return res.task_json(sim, _get(sim.tasks, req.params["id"], sim, req))


@route("GET", "/tasks/{id}/details")
def task_details(sim: Simulator, req: Request) -> Any:
    task = _get(sim.tasks, req.params["id"], sim, req)
    done = task.state not in UNFINISHED_STATES
    return {
        "Task": res.task_json(sim, task),
        "ActivityLogs": [],
        "PhysicalLogSize": 0,
        "Progress": {
            "ProgressPercentage": 100 if done else (0 if task.state == QUEUED else 50),
            "EstimatedTimeRemaining": None if done else "1 minute",
        },
        "Links": {},
    }


@route("GET", "/tasks/{id}/raw")
def task_raw(sim: Simulator, req: Request) -> Any:
    task = _get(sim.tasks, req.params["id"], sim, req)
    return Response(
        200, f"{iso(task.queue_time)}  Info  {task.description}\n", {"Content-Type": "text/plain"}
    )


@route("POST", "/tasks/{id}/cancel")
def task_cancel(sim: Simulator, req: Request) -> Any:
    task = _get(sim.tasks, req.params["id"], sim, req)
    sim.cancel_task(task.id)
    return res.task_json(sim, task)


# ---------------------------------------------------------------------- dashboard


def _latest_per_key(sim: Simulator, space_id: str) -> list[tuple[Deployment, Deployment | None]]:
    """(latest by Created, latest earlier successful one when the latest did not succeed) per key."""
    out = []
    for ids in sim.deployment_keys().values():
        everything = sorted((sim.deployments[i] for i in ids), key=lambda d: (d.created, d.seq), reverse=True)
        for deps in channel_groups(sim, everything):
            if not deps or deps[0].space_id != space_id:
                continue
            latest = deps[0]
            previous = None
            if sim.tasks[latest.task_id].state != "Success":
                previous = next((d for d in deps[1:] if sim.tasks[d.task_id].state == "Success"), None)
            out.append((latest, previous))
    return out


def _dashboard(
    sim: Simulator,
    req: Request,
    *,
    projects: set[str] | None,
    environments: set[str] | None,
    include_previous: bool,
) -> dict[str, Any]:
    space_id = _space(sim, req)
    envs = sim.environments_in_order(space_id)
    env_order = {e.id: i for i, e in enumerate(envs)}
    project_id, release_id = req.value("projectId"), req.value("releaseId")
    tenants_wanted = set(req.values("selectedTenants"))
    items, previous_items = [], []
    for latest, previous in _latest_per_key(sim, space_id):
        if projects is not None and latest.project_id not in projects:
            continue
        if environments is not None and latest.environment_id not in environments:
            continue
        if project_id and latest.project_id != project_id:
            continue
        if release_id and latest.release_id != release_id:
            continue
        if tenants_wanted and latest.tenant_id not in tenants_wanted:
            continue
        items.append(latest)
        if previous is not None:
            previous_items.append(previous)

    def order(dep: Deployment) -> tuple[str, int, str]:
        tenant = sim.tenants[dep.tenant_id].name.lower() if dep.tenant_id else ""
        return (sim.projects[dep.project_id].name.lower(), env_order.get(dep.environment_id, 0), tenant)

    rendered = [
        res.dashboard_item_json(sim, d, is_current=True, is_previous=False) for d in sorted(items, key=order)
    ]
    rendered_previous = [
        res.dashboard_item_json(sim, d, is_current=False, is_previous=True)
        for d in sorted(previous_items, key=order)
    ]
    if include_previous:
        rendered.extend(rendered_previous)
    shown_projects = [
        p
        for p in sorted(sim.projects.values(), key=lambda p: p.name.lower())
        if p.space_id == space_id
        and (projects is None or p.id in projects)
        and (not project_id or p.id == project_id)
    ]
    shown_envs = [e for e in envs if environments is None or e.id in environments]
    return {
        "Projects": [
            {
                "Id": p.id,
                "Name": p.name,
                "Slug": p.slug,
                "IsDisabled": p.is_disabled,
                "ProjectGroupId": p.group_id,
                "EnvironmentIds": [e.id for e in shown_envs],
                "TenantedDeploymentMode": p.tenanted_mode,
                "CanPerformUntenantedDeployment": p.tenanted_mode != "Tenanted",
                "Links": {"Self": f"/api/{space_id}/projects/{p.id}"},
            }
            for p in shown_projects
        ],
        "ProjectGroups": [
            {
                "Id": g.id,
                "Name": g.name,
                "EnvironmentIds": [e.id for e in shown_envs],
                "Links": {"Self": f"/api/{space_id}/projectgroups/{g.id}"},
            }
            for g in sim.project_groups.values()
            if g.space_id == space_id
        ],
        "Environments": [
            {"Id": e.id, "Name": e.name, "Links": {"Self": f"/api/{space_id}/environments/{e.id}"}}
            for e in shown_envs
        ],
        "Tenants": [
            {
                "Id": t.id,
                "Name": t.name,
                "ProjectEnvironments": {k: list(v) for k, v in t.project_environments.items()},
                "TenantTags": list(t.tags),
                "IsDisabled": t.is_disabled,
                "Links": {"Self": f"/api/{space_id}/tenants/{t.id}"},
            }
            for t in sorted(sim.tenants.values(), key=lambda t: t.name.lower())
            if t.space_id == space_id
        ],
        "Items": rendered,
        "PreviousItems": rendered_previous,
        "ProjectLimit": None,
        "IsFiltered": bool(
            project_id or release_id or tenants_wanted or projects is not None or environments is not None
        ),
        "Links": {"Self": req.path},
    }


@route("GET", "/dashboard")
def dashboard(sim: Simulator, req: Request) -> Any:
    # octopus-api-checked.md §4: narrowed to the API user's dashboard settings unless showAll.
    shown = None
    if not req.flag("showAll"):
        current = (latest for latest, _ in _latest_per_key(sim, _space(sim, req)))
        shown = dashboard_projects(sim, _space(sim, req), current)
    body = _dashboard(sim, req, projects=shown, environments=None, include_previous=False)
    if not req.flag("showAll"):
        body["ProjectLimit"] = sim.traits.dashboard_project_limit
    return body


@route("GET", "/dashboard/dynamic")
def dashboard_dynamic(sim: Simulator, req: Request) -> Any:
    # octopus-api.md §3: matches on ids only; an unknown id just matches nothing.
    projects = set(req.values("projects")) or None
    environments = set(req.values("environments")) or None
    return _dashboard(
        sim,
        req,
        projects=projects,
        environments=environments,
        include_previous=bool(req.flag("includePrevious")),
    )


# ---------------------------------------------------------------------- events


@route("GET", "/events")
def events(sim: Simulator, req: Request) -> Any:
    items = sim.events_newest_first()
    if req.space_id:
        items = [e for e in items if e.space_id == req.space_id]
    spaces = req.values("spaces")
    if spaces:
        items = [e for e in items if e.space_id in spaces]
    items = _by_ids(req, items)
    categories = set(req.values("eventCategories"))
    if categories:
        items = [e for e in items if e.category in categories]
    for name in ("projects", "environments", "tenants", "regardingAny", "projectGroups"):
        wanted = set(req.values(name))
        if wanted:
            items = [e for e in items if wanted & set(e.related)]
    regarding = req.values("regarding")
    if regarding:
        items = [e for e in items if set(regarding) <= set(e.related)]
    document_types = set(req.values("documentTypes"))
    if document_types:
        items = [e for e in items if any(r.split("-")[0] in document_types for r in e.related)]
    users = set(req.values("users")) | set(req.values("user"))
    if users:
        items = [e for e in items if e.user_id in users]
    start, end = _time(req, "from"), _time(req, "to")
    if start is not None:
        items = [e for e in items if e.occurred >= start]
    if end is not None:
        # octopus-api-checked.md §2: `from` inclusive, `to` exclusive.
        items = [e for e in items if e.occurred < end]
    if sim.traits.missing_categories:
        items = [e for e in items if e.category not in sim.traits.missing_categories]
    from_auto, to_auto = _int_param(req, "fromAutoId"), _int_param(req, "toAutoId")
    if from_auto is not None:
        items = [e for e in items if e.auto_id >= from_auto]
    if to_auto is not None:
        items = [e for e in items if e.auto_id <= to_auto]
    # §2: a real server writes `from`/`to` into its Page links as culture-formatted text to the second.
    return paged(
        items, req.query, req.path, "Event", lambda e: res.event_json(sim, e), link_query=culture_links
    )


@route("GET", "/events/categories")
def event_categories(sim: Simulator, req: Request) -> Any:
    names = {
        "DeploymentQueued": "Deployment queued",
        "DeploymentStarted": "Deployment started",
        "DeploymentSucceeded": "Deployment succeeded",
        "DeploymentFailed": "Deployment failed",
        "DeploymentResumed": "Deployment resumed",
        "ManualInterventionInterruptionRaised": "Manual intervention interruption raised",
        "GuidedFailureInterruptionRaised": "Guided failure interruption raised",
        "TaskCanceled": "Task canceled",
        "Created": "Document created",
        "Modified": "Document modified",
        "Deleted": "Document deleted",
    }
    listed = {k: v for k, v in names.items() if k not in sim.traits.missing_categories}
    return [{"Id": k, "Name": v, "Links": None} for k, v in listed.items()]


@route("GET", "/events/{id}")
def event_get(sim: Simulator, req: Request) -> Any:
    event = sim.events_by_id.get(req.params["id"])
    if event is None:
        raise not_found(req.params["id"])
    return res.event_json(sim, event)


# ---------------------------------------------------------------------- interruptions


@route("GET", "/interruptions")
def interruptions(sim: Simulator, req: Request) -> Any:
    items = sorted(
        _in_space(sim, req, list(sim.interruptions.values())), key=lambda i: (i.created, i.seq), reverse=True
    )
    items = _by_ids(req, items)
    regarding = req.values("regarding")
    if regarding:
        items = [i for i in items if set(regarding) & ({i.task_id} | set(i.related))]
    if req.flag("pendingOnly"):
        items = [i for i in items if i.is_pending]
    return paged(items, req.query, req.path, "Interruption", res.interruption_json)


@route("GET", "/interruptions/{id}")
def interruption_get(sim: Simulator, req: Request) -> Any:
    return res.interruption_json(_get(sim.interruptions, req.params["id"], sim, req))


@route("PUT", "/interruptions/{id}/responsible")
def interruption_take(sim: Simulator, req: Request) -> Any:
    interruption = _get(sim.interruptions, req.params["id"], sim, req)
    with sim.lock:
        interruption.responsible_user_id = "Users-1"
    return res.interruption_json(interruption)


@route("POST", "/interruptions/{id}/submit")
def interruption_submit(sim: Simulator, req: Request) -> Any:
    interruption = _get(sim.interruptions, req.params["id"], sim, req)
    body = _body(req)
    if interruption.is_pending and interruption.responsible_user_id is None:
        # UNCONFIRMED (README): the strict reading of octopus-api.md §3: take responsibility, then submit.
        raise rejected("You must take responsibility for this interruption before submitting it.")
    sim.submit_interruption(interruption.id, body, user=req.user)
    return res.interruption_json(interruption)


# ---------------------------------------------------------------------- subscriptions


@route("GET", "/subscriptions")
def subscriptions(sim: Simulator, req: Request) -> Any:
    items = _named(req, _by_ids(req, _in_space(sim, req, list(sim.subscriptions.values()))))
    return paged(items, req.query, req.path, "Subscription", res.subscription_json)


@route("GET", "/subscriptions/all")
def subscriptions_all(sim: Simulator, req: Request) -> Any:
    return [res.subscription_json(s) for s in _in_space(sim, req, list(sim.subscriptions.values()))]


@route("POST", "/subscriptions")
def subscription_create(sim: Simulator, req: Request) -> Any:
    body = _body(req)
    spec = body.get("EventNotificationSubscription") or {}
    url = spec.get("WebhookURI")
    if not body.get("Name") or not url:
        raise rejected("A subscription needs a Name and EventNotificationSubscription.WebhookURI.")
    flt = spec.get("Filter") or {}
    sub_id = sim.add_subscription(
        url,
        name=body["Name"],
        header_key=spec.get("WebhookHeaderKey"),
        header_value=spec.get("WebhookHeaderValue"),
        categories=flt.get("EventCategories") or [],
        projects=flt.get("Projects") or [],
        environments=flt.get("Environments") or [],
        timeout=spec.get("WebhookTimeout") or "00:00:10",
    )
    return Response(201, res.subscription_json(sim.subscriptions[sub_id]))


def dispatch(sim: Simulator, req: Request, handler: Handler) -> Response:
    """Run a handler against an up-to-date world; ApiError becomes Octopus's error body."""
    try:
        with sim.lock:
            sim.sync()
            result = handler(sim, req)
    except ApiError as exc:
        return Response(exc.status, exc.body())
    return result if isinstance(result, Response) else Response(200, result)

"""OctopusClient: the calls coord makes to one Octopus space, as typed models.

Space-scoped paths are `/api/{spaceId}/...`; the space is named by id or name, or left to the
server's default (`IsDefault` in `/api/spaces/all`, octopus-api.md §1). Lists come from the `/all`
endpoints (bare arrays, Holdout 7) or by following `Page.Next` (§2), except time-bounded events,
which are paged with explicit `skip` and `take` (see `events`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from itertools import islice
from types import TracebackType
from typing import Any, Protocol, Self

import httpx
from pydantic import SecretStr

from coord.octopus.deployments import create_deployment_once, find_keyed_deployment
from coord.octopus.errors import OctopusNotFound
from coord.octopus.feed_reads import FeedReads
from coord.octopus.interruptions import submit_interruption
from coord.octopus.models import (
    Channel,
    Deployment,
    DeploymentTemplate,
    Environment,
    Interruption,
    Lifecycle,
    LifecycleProgression,
    Project,
    ProjectGroup,
    Release,
    RootDocument,
    Space,
    Task,
    Tenant,
    User,
    UserPermissions,
)
from coord.octopus.queries import csv_list, id_batches, template_parameters
from coord.octopus.retry import RetryPolicy, call_with_retries
from coord.octopus.spaces import choose_space
from coord.octopus.transport import DEFAULT_TIMEOUT, MAX_BODY_BYTES, OctopusHttp, Params, validate


class OctopusSettings(Protocol):
    """The part of coord's settings the client needs."""

    @property
    def octopus_server_url(self) -> str | None: ...
    @property
    def octopus_api_key(self) -> SecretStr | None: ...
    @property
    def octopus_space(self) -> str | None: ...


class OctopusClient(FeedReads):
    """A client for one Octopus space; one pooled HTTP connection set, reused by every call."""

    def __init__(
        self,
        server_url: str,
        api_key: str | SecretStr,
        space: str | None = None,
        *,
        http: httpx.Client | None = None,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        key = api_key if isinstance(api_key, SecretStr) else SecretStr(api_key)
        if not key.get_secret_value().strip():
            msg = "an Octopus API key is required"
            raise ValueError(msg)
        self._http = OctopusHttp(
            server_url, key, http=http, retry=retry, timeout=timeout, max_body_bytes=max_body_bytes
        )
        self._space = space.strip() if space and space.strip() else None
        self._space_id: str | None = None
        self._space_resolved = False
        self._releases_by_ids: bool | None = None

    @classmethod
    def from_settings(cls, settings: OctopusSettings, **kwargs: Any) -> OctopusClient:
        """A client for the server, key and space named in coord's settings."""
        if not settings.octopus_server_url:
            msg = "OCTOPUS_SERVER_URL is not set"
            raise ValueError(msg)
        if settings.octopus_api_key is None:
            msg = "OCTOPUS_API_KEY is not set"
            raise ValueError(msg)
        return cls(settings.octopus_server_url, settings.octopus_api_key, settings.octopus_space, **kwargs)

    # -- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def __repr__(self) -> str:
        return f"OctopusClient({self._http.server_url!r}, space={self._space!r})"

    @property
    def server_url(self) -> str:
        return self._http.server_url

    @property
    def request_count(self) -> int:
        """HTTP requests sent so far, retries included (for benchmarks)."""
        return self._http.request_count

    @property
    def request_counts(self) -> dict[str, int]:
        """HTTP requests sent so far per `METHOD route`, e.g. `GET deployments`."""
        return dict(self._http.request_counts)

    # -- space ---------------------------------------------------------------------------------

    @property
    def space_id(self) -> str | None:
        """The id of the space this client works in (None on a server older than spaces)."""
        if not self._space_resolved:
            self._space_id = self._resolve_space()
            self._space_resolved = True
        return self._space_id

    def _resolve_space(self) -> str | None:
        try:
            spaces = self.spaces()
        except OctopusNotFound:
            if self._space is None:
                return None  # a server without spaces: unscoped /api/... paths
            msg = (
                f"the Octopus server has no spaces (/api/spaces/all is 404); cannot use space {self._space!r}"
            )
            raise OctopusNotFound(msg) from None
        return choose_space(spaces, self._space).Id

    @property
    def _s(self) -> str:
        space_id = self.space_id
        return f"/api/{space_id}" if space_id else "/api"

    # -- catalogue -----------------------------------------------------------------------------

    def root(self) -> RootDocument:
        """`GET /api`: server version and links."""
        return self._http.get_model(RootDocument, "/api", route="root")

    def current_user(self) -> User:
        """`GET /api/users/me`: the user the API key belongs to."""
        return self._http.get_model(User, "/api/users/me", route="users/me")

    def user_permissions(self, user: User) -> UserPermissions:
        """What the user may do in this client's space (its `Permissions` link; system ones included)."""
        link = user.Links.get("Permissions", f"/api/users/{user.Id}/permissions")
        path = link.split("{", 1)[0]  # an RFC 6570 template: `.../permissions{?spaces,includeSystem}`
        params: Params = {"spaces": self.space_id, "includeSystem": True}
        return self._http.get_model(UserPermissions, path, route="users/permissions", params=params)

    def spaces(self) -> list[Space]:
        """Every space visible to the API key."""
        return self._http.get_list(Space, "/api/spaces/all", route="spaces/all")

    def projects(self) -> list[Project]:
        """Every project of the space, by name."""
        return self._http.get_list(Project, f"{self._s}/projects/all", route="projects/all")

    def project_groups(self) -> list[ProjectGroup]:
        """Every project group of the space."""
        return self._http.get_list(ProjectGroup, f"{self._s}/projectgroups/all", route="projectgroups/all")

    def environments(self) -> list[Environment]:
        """Every environment of the space, in SortOrder."""
        return self._http.get_list(Environment, f"{self._s}/environments/all", route="environments/all")

    def tenants(self) -> list[Tenant]:
        """Every tenant of the space."""
        return self._http.get_list(Tenant, f"{self._s}/tenants/all", route="tenants/all")

    def lifecycles(self) -> list[Lifecycle]:
        """Every lifecycle of the space, with its phases."""
        return self._http.get_list(Lifecycle, f"{self._s}/lifecycles/all", route="lifecycles/all")

    def channels(self, project_id: str) -> list[Channel]:
        """The channels of a project."""
        path = f"{self._s}/projects/{project_id}/channels"
        return list(self._http.pages(Channel, path, route="project/channels", params={"take": 100}))

    # -- releases ------------------------------------------------------------------------------

    def project_releases(self, project_id: str, *, take: int = 30) -> list[Release]:
        """The newest `take` releases of a project, newest first (§2 orderings)."""
        path = f"{self._s}/projects/{project_id}/releases"
        items = self._http.pages(Release, path, route="project/releases", params={"take": min(take, 100)})
        return _first(items, take)

    def release(self, release_id: str) -> Release:
        """One release."""
        return self._http.get_model(Release, f"{self._s}/releases/{release_id}", route="release")

    def releases(self, ids: Iterable[str]) -> list[Release]:
        """The releases with these ids (any order; unknown ids are left out).

        `releases?ids=` is in real root documents of 2019-2023 but not in the 2026 reference
        (octopus-api-checked.md §1): used only when the server's template offers it, else one GET per id.
        """
        if self.releases_take_ids():
            return self._by_ids(Release, f"{self._s}/releases", "releases", ids)
        found: list[Release] = []
        for release_id in dict.fromkeys(i for i in ids if i):
            try:
                found.append(self.release(release_id))
            except OctopusNotFound:
                continue  # deleted by retention since the deployment named it
        return found

    def releases_take_ids(self) -> bool:
        """Whether the root document's `Releases` link template offers `ids` (read once)."""
        if self._releases_by_ids is None:
            template = self.root().Links.get("Releases", "")
            self._releases_by_ids = "ids" in template_parameters(template)
        return self._releases_by_ids

    def deployment_template(self, release_id: str) -> DeploymentTemplate:
        """Where the release may be deployed now: `PromoteTo` and `TenantPromotions` (§4)."""
        path = f"{self._s}/releases/{release_id}/deployments/template"
        return self._http.get_model(DeploymentTemplate, path, route="release/template")

    def release_progression(self, release_id: str) -> LifecycleProgression:
        """The release's progress through its lifecycle's phases (§4)."""
        path = f"{self._s}/releases/{release_id}/progression"
        return self._http.get_model(LifecycleProgression, path, route="release/progression")

    # -- state and history ---------------------------------------------------------------------

    def deployments(
        self,
        *,
        ids: Sequence[str] | None = None,
        projects: Sequence[str] | None = None,
        environments: Sequence[str] | None = None,
        tenants: Sequence[str] | None = None,
        task_state: str | None = None,
        take: int = 30,
    ) -> Iterator[Deployment]:
        """Deployments matching the filters, newest first, page by page (`take` per page)."""
        params = {
            "ids": csv_list(ids),
            "projects": csv_list(projects),
            "environments": csv_list(environments),
            "tenants": csv_list(tenants),
            "taskState": task_state,
            "take": take,
        }
        return self._http.pages(Deployment, f"{self._s}/deployments", route="deployments", params=params)

    def deployment(self, deployment_id: str) -> Deployment:
        """One deployment."""
        return self._http.get_model(Deployment, f"{self._s}/deployments/{deployment_id}", route="deployment")

    def deployments_by_ids(self, ids: Iterable[str]) -> list[Deployment]:
        """The deployments with these ids (any order; unknown ids are left out)."""
        return self._by_ids(Deployment, f"{self._s}/deployments", "deployments", ids)

    # -- tasks ---------------------------------------------------------------------------------

    def task(self, task_id: str) -> Task:
        """One server task (the Deploy task of a deployment is its `TaskId`)."""
        return self._http.get_model(Task, f"/api/tasks/{task_id}", route="task")

    def tasks_by_ids(self, ids: Iterable[str]) -> list[Task]:
        """The tasks with these ids (any order; unknown ids are left out)."""
        return self._by_ids(Task, f"{self._s}/tasks", "tasks", ids)

    def cancel_task(self, task_id: str) -> Task:
        """Ask Octopus to cancel a task; cancelling twice is harmless, so this retries."""
        path = f"/api/tasks/{task_id}/cancel"
        data = call_with_retries(self._http.retry, lambda: self._http.send("POST", path, route="task/cancel"))
        return validate(Task, data, f"POST {path}")

    def interruptions(self, task_id: str, *, pending_only: bool = True) -> list[Interruption]:
        """The interruptions (manual interventions, guided failures) of a task, newest first."""
        params: Params = {"regarding": task_id, "pendingOnly": pending_only, "take": 100}
        path = f"{self._s}/interruptions"
        return list(self._http.pages(Interruption, path, route="interruptions", params=params))

    def submit_interruption(
        self, interruption_id: str, result: str, *, notes: str | None = None
    ) -> Interruption:
        """Answer an interruption (`Proceed`/`Abort`, or guidance `Fail`/`Retry`/`Ignore`/`Exclude`)."""
        return submit_interruption(self._http, self._s, interruption_id, result, notes=notes)

    # -- deploying -----------------------------------------------------------------------------

    def find_deployment(
        self,
        release_id: str,
        environment_id: str,
        *,
        tenant_id: str | None = None,
        idempotency_key: str,
        since: datetime | None = None,
    ) -> Deployment | None:
        """The deployment created under `idempotency_key`, if an earlier attempt created one."""
        return find_keyed_deployment(
            self._http,
            self._s,
            release_id=release_id,
            environment_id=environment_id,
            tenant_id=tenant_id,
            key=idempotency_key,
            since=since,
        )

    def create_deployment(
        self,
        release_id: str,
        environment_id: str,
        *,
        tenant_id: str | None = None,
        idempotency_key: str,
        comments: str | None = None,
        since: datetime | None = None,
    ) -> Deployment:
        """Deploy a release to an environment (and tenant), once per `idempotency_key`.

        `since`: when the work asking for it started; the look-up for an earlier attempt reads
        the release's deployments back to then.
        """
        return create_deployment_once(
            self._http,
            self._s,
            release_id=release_id,
            environment_id=environment_id,
            tenant_id=tenant_id,
            key=idempotency_key,
            comments=comments,
            since=since,
        )

    # -- helpers -------------------------------------------------------------------------------

    def _by_ids(self, model: type[Any], path: str, route: str, ids: Iterable[str]) -> list[Any]:
        # No ids must mean no items: a list endpoint without `ids` returns everything (§8, TS note).
        found: list[Any] = []
        for chunk in id_batches(ids):
            params: Params = {"ids": ",".join(chunk), "take": len(chunk)}
            found.extend(self._http.pages(model, path, route=route, params=params))
        return found


def _first(items: Iterator[Any], count: int) -> list[Any]:
    # islice stops before asking for the page after the last item needed.
    return list(islice(items, count))

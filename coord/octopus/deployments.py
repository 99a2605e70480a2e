"""Creating a deployment exactly once, even when Octopus's answer to the POST is lost.

Octopus has no idempotency key for `POST /deployments`, so coord writes its own into the
deployment's `Comments` (a field writeable on create, octopus-api.md §4). Before each POST, and
always after a POST whose outcome is unknown (no answer, a timeout, a 5xx from Octopus or a proxy),
it reads the deployments of that release (`/releases/{id}/deployments`, newest first), page by
page until a whole page is older than the step's start, and returns the one carrying the key.
Reading by release rather than by project keeps an untenanted deployment of a project with many
tenants in view: a project's list cannot be filtered to untenanted deployments, so its 30 newest
could all be tenants'. Only when no deployment carries the key is the POST sent (again).

A refusal (400/409, e.g. the lifecycle does not allow the environment yet; 403, 404) is final and
raised as it came (`OctopusRefused`). After a 201 the returned `Comments` must still carry the key:
if Octopus ever changed it, the look-up could no longer find a lost deployment, and that is
logged as an error.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from coord.octopus.errors import OctopusUnavailable
from coord.octopus.models import Deployment
from coord.octopus.retry import RetryPolicy, attempts
from coord.octopus.transport import OctopusHttp, validate

log = logging.getLogger(__name__)

# Keys are compared as a bracketed token so that "run-1:a" never matches "run-1:ab".
_KEY = re.compile(r"[A-Za-z0-9._:@/+=-]{1,200}")
# Deployments of a release read per request while looking for a key.
LOOKUP_PAGE = 100
# Octopus stamps `Created` with its own clock; a deployment created after the step started may
# carry an earlier time by this much skew between the two clocks.
CLOCK_SKEW = timedelta(minutes=15)
# Without a start time to stop at, at most this many pages are read.
LOOKUP_PAGES = 10


def key_marker(key: str) -> str:
    """The token that marks a deployment as created under `key`."""
    if not _KEY.fullmatch(key):
        msg = f"idempotency key must be 1-200 characters of letters, digits and ._:@/+=-, got {key!r}"
        raise ValueError(msg)
    return f"[coord:{key}]"


def comments_with_key(key: str, comments: str | None) -> str:
    """The Comments to send: the human text, if any, then the key marker."""
    marker = key_marker(key)
    return f"{comments.rstrip()}\n{marker}" if comments and comments.strip() else marker


def carries_key(deployment: Deployment, key: str) -> bool:
    """Whether `deployment` was created under `key`."""
    return key_marker(key) in (deployment.Comments or "")


def find_keyed_deployment(
    http: OctopusHttp,
    space_path: str,
    *,
    release_id: str,
    environment_id: str,
    tenant_id: str | None,
    key: str,
    since: datetime | None = None,
) -> Deployment | None:
    """The deployment of this release to this environment (and tenant) created under `key`.

    Pages through the release's deployments, newest first, until a whole page was created
    before `since` (less the allowed clock skew), or LOOKUP_PAGES pages without `since`.
    """
    path = f"{space_path}/releases/{release_id}/deployments"
    horizon = since - CLOCK_SKEW if since is not None else None
    skip = 0
    while True:
        data = http.get(path, route="release/deployments", params={"skip": skip, "take": LOOKUP_PAGE})
        items = data.get("Items") if isinstance(data, dict) else None
        if not isinstance(items, list) or not items:
            return None
        page = [validate(Deployment, item, f"GET {path} Items[{i}]") for i, item in enumerate(items)]
        found = _keyed(page, key, environment_id, tenant_id)
        if found is not None:
            return found
        if len(items) < LOOKUP_PAGE or (horizon is not None and all(_before(d, horizon) for d in page)):
            return None
        skip += LOOKUP_PAGE
        if horizon is None and skip >= LOOKUP_PAGE * LOOKUP_PAGES:
            return None


def _keyed(page: list[Deployment], key: str, environment_id: str, tenant_id: str | None) -> Deployment | None:
    for deployment in page:
        if (
            carries_key(deployment, key)
            and deployment.EnvironmentId == environment_id
            and (deployment.TenantId or None) == tenant_id
        ):
            return deployment
    return None


def _before(deployment: Deployment, moment: datetime) -> bool:
    return deployment.Created is not None and deployment.Created < moment


def create_deployment_once(
    http: OctopusHttp,
    space_path: str,
    *,
    release_id: str,
    environment_id: str,
    tenant_id: str | None,
    key: str,
    comments: str | None,
    since: datetime | None = None,
    extra: dict[str, Any] | None = None,
) -> Deployment:
    """The deployment created under `key`: found if it already exists, else POSTed (201, Holdout 8).

    `since` is when the work that asks for it started (the look-up reads back to it).
    """
    body: dict[str, Any] = {
        "ReleaseId": release_id,
        "EnvironmentId": environment_id,
        "TenantId": tenant_id,
        "Comments": comments_with_key(key, comments),
        **(extra or {}),
    }
    # Every failure of a POST short of a refusal leaves its outcome unknown; the next attempt
    # looks before it posts, so a lost answer never turns into a second deployment.
    policy = http.retry
    for attempt in attempts(
        policy, retry_on=_unknown_outcome, attempts=policy.create_attempts, minimum_wait=_settle(policy)
    ):
        with attempt:
            existing = find_keyed_deployment(
                http,
                space_path,
                release_id=release_id,
                environment_id=environment_id,
                tenant_id=tenant_id,
                key=key,
                since=since,
            )
            if existing is not None:
                if attempt.num > 1:
                    log.info("deployment %s was created by an earlier unanswered request", existing.Id)
                return existing
            data = http.send("POST", f"{space_path}/deployments", route="deployments", body=body)
            created = validate(Deployment, data, f"POST {space_path}/deployments")
            if not carries_key(created, key):
                log.error(
                    "Octopus changed the Comments of %s: they no longer carry coord's key %s, so a "
                    "deployment whose answer is lost could not be found again and would be created twice",
                    created.Id,
                    key_marker(key),
                )
            return created
    msg = "retry_context yields at least one attempt"
    raise AssertionError(msg)


def _settle(policy: RetryPolicy) -> Callable[[BaseException], float | None]:
    # A POST that timed out may still be running on the server; looking for its deployment at
    # once could miss it and post a second one, so the next look waits a little longer.
    def wait(exc: BaseException) -> float | None:
        timed_out = isinstance(exc, OctopusUnavailable) and exc.timed_out
        return policy.settle_after_timeout if timed_out else None

    return wait


def _unknown_outcome(exc: BaseException) -> bool:
    # OctopusServerError counts too: a 500 may come after the deployment was stored.
    return isinstance(exc, OctopusUnavailable)

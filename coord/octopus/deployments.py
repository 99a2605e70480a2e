"""Creating a deployment exactly once, even when Octopus's answer to the POST is lost.

Octopus has no idempotency key for `POST /deployments`, so coord writes its own into the
deployment's `Comments` (a field writeable on create, octopus-api.md §4). Before each POST, and
always after a POST whose outcome is unknown (no answer, a timeout, a 5xx from Octopus or a proxy),
it lists the newest deployments of that project, environment and tenant (newest first, §2) and
returns the one carrying the key. Only when none does is the POST sent (again). A refusal (400/409,
e.g. the lifecycle does not allow the environment yet) is final and raised as OctopusRejected.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from coord.octopus.errors import OctopusUnavailable
from coord.octopus.models import Deployment
from coord.octopus.retry import RetryPolicy, attempts
from coord.octopus.transport import OctopusHttp, validate

log = logging.getLogger(__name__)

# Keys are compared as a bracketed token so that "run-1:a" never matches "run-1:ab".
_KEY = re.compile(r"[A-Za-z0-9._:@/+=-]{1,200}")
# How many of the newest deployments of the project/environment/tenant are searched for a key.
RECONCILE_DEPTH = 30


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
    project_id: str,
    environment_id: str,
    tenant_id: str | None,
    release_id: str,
    key: str,
) -> Deployment | None:
    """The newest deployment of this project to this environment (and tenant) created under `key`."""
    params = {
        "projects": project_id,
        "environments": environment_id,
        "tenants": tenant_id,
        "take": RECONCILE_DEPTH,
    }
    data = http.get(f"{space_path}/deployments", route="deployments", params=params)
    items = data.get("Items") if isinstance(data, dict) else None
    if not isinstance(items, list):
        items = []
    for i, item in enumerate(items):
        deployment = validate(Deployment, item, f"GET {space_path}/deployments Items[{i}]")
        if not carries_key(deployment, key) or deployment.EnvironmentId != environment_id:
            continue
        if deployment.TenantId != tenant_id:
            continue
        if deployment.ReleaseId != release_id:
            # The caller reused a key for another release: a bug in coord, never retried.
            msg = f"idempotency key {key!r} already names {deployment.Id} of release {deployment.ReleaseId}"
            raise ValueError(msg)
        return deployment
    return None


def create_deployment_once(
    http: OctopusHttp,
    space_path: str,
    *,
    project_id: str,
    release_id: str,
    environment_id: str,
    tenant_id: str | None,
    key: str,
    comments: str | None,
    extra: dict[str, Any] | None = None,
) -> Deployment:
    """The deployment created under `key`: found if it already exists, else POSTed (201, Holdout 8)."""
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
                project_id=project_id,
                environment_id=environment_id,
                tenant_id=tenant_id,
                release_id=release_id,
                key=key,
            )
            if existing is not None:
                if attempt.num > 1:
                    log.info("deployment %s was created by an earlier unanswered request", existing.Id)
                return existing
            data = http.send("POST", f"{space_path}/deployments", route="deployments", body=body)
            return validate(Deployment, data, f"POST {space_path}/deployments")
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

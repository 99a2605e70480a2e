"""The "all deployed" job: email each rule's recipients once when a group reaches an environment.

The decision is pure (coord/alldeployed/completion.py); this module applies it. The once-key is the
outbox's own row key: `Outbox.enqueue` inserts a key once and reports False to everyone
after the first, under concurrent ticks, duplicate webhooks and restarts alike. Claiming a
separate key first would leave a gap (claimed, then crashed before enqueueing) in which the
email would be lost for good; with one insert there is no such gap.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING

from coord.alldeployed.completion import Announced, Completion, changes_since, completion_keys
from coord.promotion.runner import runs
from coord.promotion.store import active_key
from coord.store import pack_text, unpack_text

if TYPE_CHECKING:
    from coord.bootstrap import Services

log = logging.getLogger(__name__)

# `state` partition: per rule and environment, the version set its recipients were last told of,
# so the next notice can say what changed.
_ANNOUNCED = "alldeployed"


def notify_all_deployed(services: Services) -> list[str]:
    """Queue one email per newly complete (group, environment, version set); notes of what was queued."""
    config = services.config
    if config.notify is None or not config.notify.all_deployed or config.mail is None:
        return []
    completions = completion_keys(config, services.repo.matrix(), services.names.load())
    if not completions:
        return []
    # While a promotion of the group into the environment runs, projects move one wave at a time
    # and every moment between waves looks "complete"; the run's own outcome email reports those,
    # and the set that stands once the run has ended is announced then.
    promoting = {key for key, _ in runs(services).active()}
    completions = [c for c in completions if active_key(c.group, c.environment_id) not in promoting]
    from coord.alldeployed.email import render_all_deployed  # noqa: PLC0415  (Jinja2 on first use)
    from coord.mail import Message  # noqa: PLC0415

    notes = []
    links = None
    for completion in completions:
        # A read first: a set that is still complete tick after tick costs one read, not a render.
        if services.outbox.entry(completion.key) is not None:
            continue
        links = links or services.links()
        changes = changes_since(_announced(services, completion), completion)
        subject, html, text = render_all_deployed(completion, config.zone, links, changes)
        message = Message(
            key=completion.key,
            sender=config.mail.sender,
            to=completion.to,
            subject=subject,
            html=html,
            text=text,
        )
        queued = services.outbox.enqueue(message)
        _remember(services, completion)
        if queued:
            log.info("all deployed: %s in %s (%s)", completion.group, completion.environment, completion.key)
            notes.append(f"all deployed: {completion.group} in {completion.environment}, email queued")
    return notes


def _row_key(completion: Completion) -> str:
    recipients = sorted(address.casefold() for address in completion.to)
    text = "\x1f".join([completion.group, completion.environment_id, *recipients])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _announced(services: Services, completion: Completion) -> Announced | None:
    """The version set last announced to this rule's recipients for this environment, if any."""
    row = services.store.table("state").get(_ANNOUNCED, _row_key(completion))
    if row is None:
        return None
    versions = json.loads(unpack_text(row, "Versions") or "[]")
    return {(project, tenant): version for project, tenant, version in versions}


def _remember(services: Services, completion: Completion) -> None:
    versions = [[e.project_id, e.tenant_id, e.version] for e in completion.entries]
    # Compressed: a group of hundreds of tenanted projects outgrows one property.
    row = {
        "PartitionKey": _ANNOUNCED,
        "RowKey": _row_key(completion),
        **pack_text("Versions", json.dumps(versions)),
    }
    services.store.table("state").upsert(row)

"""Leases: exclusive work for a while, safe across threads, processes and machines.

A lease is one entity (holder, token, expires_at). Acquiring inserts it when absent, or
replaces an expired one conditionally on the ETag just read; renewing and releasing are
conditional on the ETag too. Of any number of callers racing, the service lets exactly one
conditional write succeed. Time comes in as `now`; nothing here reads a clock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from coord.store.errors import AlreadyExists, InvalidEntity, LeaseLost, StaleState
from coord.store.tables import Entity, Table

LEASE_PARTITION = "lease"
_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Lease:
    """A lease held: its name, who holds it, until when, and the token that proves it."""

    name: str
    holder: str
    expires_at: datetime
    token: str = field(repr=False)
    etag: str = field(repr=False, compare=False)

    def is_live(self, now: datetime) -> bool:
        """Whether the lease still runs at `now`."""
        return now < self.expires_at


def acquire_lease(table: Table, name: str, holder: str, ttl: timedelta, now: datetime) -> Lease | None:
    """Take the lease `name` for `ttl` if it is free or expired; None while another holder has it."""
    _check_time(now, ttl)
    token = uuid.uuid4().hex
    expires_at = (now + ttl).astimezone(UTC)
    entity = _lease_entity(name, holder, token, expires_at)
    for _ in range(_ATTEMPTS):
        current = table.get(LEASE_PARTITION, name)
        try:
            if current is None:
                etag = table.insert(entity)
            elif current.get("Token") == token:
                # Our write landed although its response was lost and the SDK retried.
                return _lease(current)
            elif _lease(current).is_live(now):
                return None
            else:
                etag = table.replace(entity, etag=current.etag)
        except (AlreadyExists, StaleState):
            continue  # someone wrote first: read again and see who holds it now
        return Lease(name, holder, expires_at, token, etag)
    current = table.get(LEASE_PARTITION, name)
    return _lease(current) if current is not None and current.get("Token") == token else None


def renew_lease(table: Table, lease: Lease, ttl: timedelta, now: datetime) -> Lease:
    """Extend a held lease to `now + ttl`; LeaseLost if it expired or is no longer this holder's.

    An expired lease is lost even if nobody took it yet: a holder that stalled longer than its
    TTL must not carry on as if it had held the lease all along.
    """
    _check_time(now, ttl)
    if not lease.is_live(now):
        raise LeaseLost(f"lease {lease.name!r} expired at {lease.expires_at.isoformat()}")
    expires_at = (now + ttl).astimezone(UTC)
    try:
        entity = _lease_entity(lease.name, lease.holder, lease.token, expires_at)
        etag = table.replace(entity, etag=lease.etag)
    except StaleState:
        current = table.get(LEASE_PARTITION, lease.name)
        if current is None or current.get("Token") != lease.token or current.get("ExpiresAt") != expires_at:
            raise LeaseLost(f"lease {lease.name!r} is no longer held by {lease.holder!r}") from None
        etag = current.etag
    return Lease(lease.name, lease.holder, expires_at, lease.token, etag)


def release_lease(table: Table, lease: Lease) -> None:
    """Give the lease up; LeaseLost if another holder has taken it meanwhile (absent is fine)."""
    etag = lease.etag
    for _ in range(_ATTEMPTS):
        try:
            table.delete(LEASE_PARTITION, lease.name, etag=etag)
        except StaleState:
            current = table.get(LEASE_PARTITION, lease.name)
            if current is None:
                return
            if current.get("Token") != lease.token:
                raise LeaseLost(f"lease {lease.name!r} is no longer held by {lease.holder!r}") from None
            etag = current.etag  # renewed through another Lease value: same token, newer ETag
            continue
        return
    raise LeaseLost(f"lease {lease.name!r} kept changing while being released")


def read_lease(table: Table, name: str) -> Lease | None:
    """The stored lease `name` (live or expired), or None; callers compare `is_live(now)`."""
    current = table.get(LEASE_PARTITION, name)
    return None if current is None else _lease(current)


def _lease_entity(name: str, holder: str, token: str, expires_at: datetime) -> dict[str, object]:
    return {
        "PartitionKey": LEASE_PARTITION,
        "RowKey": name,
        "Holder": holder,
        "Token": token,
        "ExpiresAt": expires_at,
    }


def _lease(entity: Entity) -> Lease:
    return Lease(
        name=str(entity["RowKey"]),
        holder=str(entity.get("Holder", "")),
        expires_at=entity["ExpiresAt"],
        token=str(entity.get("Token", "")),
        etag=entity.etag,
    )


def _check_time(now: datetime, ttl: timedelta) -> None:
    if now.tzinfo is None:
        raise InvalidEntity("lease times must be aware datetimes (UTC)")
    if ttl <= timedelta(0):
        raise InvalidEntity(f"a lease needs a positive time to live, not {ttl}")

"""Once-only keys: the first insert of a key wins, every later one learns it was already claimed.

A schedule slot, a promotion step or an email is claimed before its side effect, so a retried
or concurrent tick never does it twice (aesthetics.md practice 5).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from coord.store.errors import AlreadyExists
from coord.store.tables import Entity, Table

CLAIM_PARTITION = "claim"
_TOKEN = "ClaimToken"  # noqa: S105 (a property name, not a secret)


def claim(table: Table, key: str, *, data: Mapping[str, Any] | None = None) -> bool:
    """Claim `key` (insert-only): True for exactly one caller, False for everyone after it."""
    token = uuid.uuid4().hex
    try:
        table.insert({**(data or {}), "PartitionKey": CLAIM_PARTITION, "RowKey": key, _TOKEN: token})
    except AlreadyExists:
        # A retried insert whose first attempt did land reports 409 too: the token says it was ours.
        found = table.get(CLAIM_PARTITION, key)
        return found is not None and found.get(_TOKEN) == token
    return True


def read_claim(table: Table, key: str) -> Entity | None:
    """The claim entity of `key` (with the data stored with it), or None if it is unclaimed."""
    return table.get(CLAIM_PARTITION, key)


def release_claim(table: Table, key: str) -> None:
    """Forget a claim, so that `key` can be claimed again (after a side effect that surely failed)."""
    table.delete(CLAIM_PARTITION, key)

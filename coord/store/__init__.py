"""State in Azure Table Storage: prefixed tables, ETags, batches, once-only claims and leases."""

from coord.store.claims import claim, read_claim, release_claim
from coord.store.errors import (
    AlreadyExists,
    InvalidEntity,
    LeaseLost,
    StaleState,
    StoreError,
    StoreUnavailable,
)
from coord.store.keys import escape_key, unescape_key
from coord.store.leases import Lease, acquire_lease, read_lease, release_lease, renew_lease
from coord.store.operations import OperationCounts
from coord.store.tables import BatchOp, Entity, Table, TableStore
from coord.store.values import pack_text, unpack_text

__all__ = [
    "AlreadyExists",
    "BatchOp",
    "Entity",
    "InvalidEntity",
    "Lease",
    "LeaseLost",
    "OperationCounts",
    "StaleState",
    "StoreError",
    "StoreUnavailable",
    "Table",
    "TableStore",
    "acquire_lease",
    "claim",
    "escape_key",
    "pack_text",
    "read_claim",
    "read_lease",
    "release_claim",
    "release_lease",
    "renew_lease",
    "unescape_key",
    "unpack_text",
]

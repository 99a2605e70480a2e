"""The store's errors, and the one place where azure.core errors become them.

StoreError
 ├── StaleState         the entity changed (or vanished) since its ETag was read
 ├── AlreadyExists      an insert-only write met an existing entity
 ├── LeaseLost          a lease expired or was taken by another holder
 ├── StoreUnavailable   Table Storage could not be reached or answered 5xx/429 (retry later)
 └── InvalidEntity      a key, property or value that Table Storage would reject (also ValueError)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.data.tables import TableTransactionError


class StoreError(Exception):
    """Something went wrong reading or writing Table Storage."""


class StaleState(StoreError):
    """The entity changed or was deleted since it was read: re-read and decide again."""


class AlreadyExists(StoreError):
    """An insert-only write found the entity already there."""


class LeaseLost(StoreError):
    """The lease expired or now belongs to another holder."""


class StoreUnavailable(StoreError):
    """Table Storage did not answer, or answered with a transient failure."""


class InvalidEntity(StoreError, ValueError):
    """A table name, key, property name or value that Table Storage would reject."""


@contextlib.contextmanager
def translated(action: str) -> Iterator[None]:
    """Re-raise azure.core errors from `action` as StoreError subclasses (the store's boundary)."""
    try:
        yield
    except AzureError as exc:
        raise store_error(exc, action) from exc


def store_error(exc: AzureError, action: str) -> StoreError:
    """The StoreError that stands for an azure.core error raised while doing `action`."""
    status = getattr(exc, "status_code", None)
    code = getattr(exc, "error_code", None)
    where = f"{action}: {type(exc).__name__}" + "".join(f" {part}" for part in (status, code) if part)
    kind = _kind(exc, status)
    if isinstance(exc, ClientAuthenticationError):
        return kind(f"{where}: not authorized (check the identity's Table Data role, or the account key)")
    if kind is InvalidEntity:
        return kind(f"{where}: Table Storage refused the request as malformed or too large")
    return kind(where)


# Checked in order: the SDK's specific errors are subclasses of HttpResponseError.
_BY_TYPE: tuple[tuple[type[AzureError], type[StoreError]], ...] = (
    (ResourceModifiedError, StaleState),
    (ResourceExistsError, AlreadyExists),
    # Conditional writes only: get() and delete() treat 404 as "absent" before reaching here.
    (ResourceNotFoundError, StaleState),
    (ClientAuthenticationError, StoreError),
    (ServiceRequestError, StoreUnavailable),
    (ServiceResponseError, StoreUnavailable),
)
# azure-ecosystem.md gotcha 7: a stale ETag inside a transaction is a TableTransactionError 412,
# not ResourceModifiedError; 404 there means an update or delete met a missing row.
_IN_TRANSACTION: dict[int, type[StoreError]] = {
    404: StaleState,
    412: StaleState,
    409: AlreadyExists,
    413: InvalidEntity,
}


def _kind(exc: AzureError, status: int | None) -> type[StoreError]:
    if isinstance(exc, TableTransactionError) and status in _IN_TRANSACTION:
        return _IN_TRANSACTION[status]
    for foreign, ours in _BY_TYPE:
        if isinstance(exc, foreign):
            return ours
    if isinstance(exc, HttpResponseError) and status is not None:
        if status >= 500 or status in (408, 429):
            return StoreUnavailable
        if status in (400, 413):
            return InvalidEntity
    return StoreError

"""Tables in Azure Table Storage: connection, prefixed tables created on first use, ETags, batches.

Keys are escaped on the way in and unescaped on the way out (`keys.escape_key`), so callers
use their own text as PartitionKey and RowKey. Values are converted and checked by `values`.
Errors leave this module only as StoreError subclasses (`errors.translated`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from azure.core import MatchConditions
from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableClient, TableServiceClient, UpdateMode

from coord.store.errors import InvalidEntity, translated
from coord.store.filters import odata_filter
from coord.store.keys import check_prefix, stored_key, table_name, unescape_key
from coord.store.operations import Operations
from coord.store.values import entity_size, from_table_value, to_table_properties

# The SDK's defaults retry 10 times with backoff up to 2 minutes; a tick would rather fail fast
# and let the next tick try again (azure-ecosystem.md §5.1 lists the retry keywords).
_CLIENT_OPTIONS: dict[str, Any] = {
    "retry_total": 3,
    "retry_connect": 2,
    "retry_read": 2,
    "retry_status": 2,
    "retry_backoff_factor": 0.3,
    "retry_backoff_max": 4,
    "connection_timeout": 10,
    "read_timeout": 30,
}
# Transactions: at most 100 operations and 4 MiB in one partition (azure-ecosystem.md §5.3);
# the SDK checks neither, and Azurite breaks on a 101-operation batch.
MAX_BATCH_OPERATIONS = 100
MAX_BATCH_BYTES = 3 * 1024 * 1024

WriteKind = Literal["insert", "replace", "merge", "upsert", "delete"]
BatchOp = tuple[WriteKind, Mapping[str, Any], str | None]
"""One write in `Table.write_batch`: (kind, entity, etag); etag only for replace, merge and delete."""


class StorageTargetLike(Protocol):
    """Where the tables are, as `coord.settings.StorageTarget` says it."""

    @property
    def connection_string(self) -> Any: ...

    @property
    def table_endpoint(self) -> str | None: ...


class Entity(dict[str, Any]):
    """An entity read from a table: its properties, plus the ETag and timestamp it was read with."""

    etag: str
    timestamp: datetime | None

    def __init__(self, properties: Mapping[str, Any], etag: str, timestamp: datetime | None = None) -> None:
        super().__init__(properties)
        self.etag = etag
        self.timestamp = timestamp


class TableStore:
    """The tables of one coord installation: every name prefixed, each created on first use."""

    def __init__(self, service: TableServiceClient, prefix: str, *, location: str) -> None:
        self._service = service
        self.prefix = check_prefix(prefix)
        self.location = location
        self.operations = Operations()
        self._tables: dict[str, Table] = {}
        self._lock = threading.Lock()

    @classmethod
    def connect(
        cls, target: StorageTargetLike | str, prefix: str = "coord", *, credential: Any = None
    ) -> TableStore:
        """A store from a connection string (incl. `UseDevelopmentStorage=true`) or a table endpoint URL.

        An `https://ACCOUNT.table.core.windows.net` endpoint signs in with `credential`, by default
        DefaultAzureCredential (managed identity in Azure). Nothing is sent until a table is used.
        """
        check_prefix(prefix)
        connection, endpoint = _target_parts(target)
        if endpoint:
            parts = urlsplit(endpoint)
            if parts.scheme != "https" or not parts.netloc:
                # azure-ecosystem.md gotcha 5: token credentials work over HTTPS only.
                msg = f"table endpoint {endpoint!r} must be https:// (use a connection string for Azurite)"
                raise InvalidEntity(msg)
            if credential is None:
                from azure.identity import DefaultAzureCredential  # noqa: PLC0415 (import only when used)

                credential = DefaultAzureCredential()
            url = f"https://{parts.netloc}{parts.path.rstrip('/')}"
            service = TableServiceClient(endpoint=url, credential=credential, **_CLIENT_OPTIONS)
            return cls(service, prefix, location=url)
        if not connection:
            raise InvalidEntity("no storage connection string or table endpoint was given")
        try:
            service = TableServiceClient.from_connection_string(connection, **_CLIENT_OPTIONS)
        except ValueError:
            # The SDK's message can quote the connection string, account key included.
            raise InvalidEntity("the storage connection string is malformed or incomplete") from None
        return cls(service, prefix, location=service.url)

    def table(self, name: str) -> Table:
        """The table `{prefix}{name}`, created the first time this store uses it."""
        with self._lock:
            found = self._tables.get(name)
            if found is None:
                full = table_name(self.prefix, name)
                with translated(f"create table {full}"):
                    client = self._service.create_table_if_not_exists(full)
                self.operations.add(tables_created=1)
                found = self._tables[name] = Table(client, full, self.operations)
            return found

    def close(self) -> None:
        """Close the HTTP connections of this store and its tables."""
        for table in self._tables.values():
            table.client.close()
        self._service.close()

    def __enter__(self) -> TableStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"TableStore(location={self.location!r}, prefix={self.prefix!r})"


class Table:
    """One table. PartitionKey and RowKey are the caller's text; escaping happens here."""

    def __init__(self, client: TableClient, name: str, operations: Operations) -> None:
        self.client = client
        self.name = name
        self._ops = operations

    def get(self, partition_key: str, row_key: str) -> Entity | None:
        """The entity with these keys, or None."""
        pk, rk = stored_key(partition_key, "PartitionKey"), stored_key(row_key, "RowKey")
        self._ops.add(reads=1)
        with translated(f"read {self.name}"):
            try:
                found = self.client.get_entity(pk, rk)
            except ResourceNotFoundError:
                return None
        return _entity(found)

    def insert(self, entity: Mapping[str, Any]) -> str:
        """Insert a new entity and return its ETag; AlreadyExists if the keys are taken."""
        with translated(f"insert into {self.name}"):
            result = self.client.create_entity(_outgoing(entity))
        self._ops.add(writes=1, entities_written=1)
        return str(result["etag"])

    def replace(self, entity: Mapping[str, Any], *, etag: str) -> str:
        """Replace the entity read with `etag`; StaleState if it changed since. Returns the new ETag."""
        return self._update(entity, UpdateMode.REPLACE, etag)

    def merge(self, entity: Mapping[str, Any], *, etag: str) -> str:
        """Merge these properties into the entity read with `etag`; StaleState if it changed since."""
        return self._update(entity, UpdateMode.MERGE, etag)

    def upsert(self, entity: Mapping[str, Any], *, merge: bool = False) -> str:
        """Write the entity whatever is stored (replacing it, or merging with `merge=True`)."""
        mode = UpdateMode.MERGE if merge else UpdateMode.REPLACE
        with translated(f"upsert into {self.name}"):
            result = self.client.upsert_entity(_outgoing(entity), mode=mode)
        self._ops.add(writes=1, entities_written=1)
        return str(result["etag"])

    def delete(self, partition_key: str, row_key: str, *, etag: str | None = None) -> None:
        """Delete the entity (absent is fine); with `etag`, StaleState if it changed since."""
        pk, rk = stored_key(partition_key, "PartitionKey"), stored_key(row_key, "RowKey")
        condition = MatchConditions.IfNotModified if etag else MatchConditions.Unconditionally
        with translated(f"delete in {self.name}"):
            self.client.delete_entity(pk, rk, etag=etag, match_condition=condition)
        self._ops.add(writes=1)

    def query(
        self,
        query_filter: str,
        parameters: Mapping[str, Any] | None = None,
        select: Iterable[str] | None = None,
    ) -> Iterator[Entity]:
        """Entities matching an OData filter with `@name` parameters.

        Parameters that stand for keys must be given escaped (`escape_key`): the filter is the
        service's, and only the caller knows which parameters are keys.
        """
        pager = self.client.query_entities(
            odata_filter(query_filter, parameters),
            select=list(select) if select is not None else None,
            results_per_page=1000,
        )
        yield from self._pages(pager.by_page(), f"query {self.name}")

    def partition(self, partition_key: str, *, prefix: str | None = None) -> Iterator[Entity]:
        """Every entity of one partition in RowKey order; with `prefix`, only RowKeys starting with it."""
        params: dict[str, Any] = {"pk": stored_key(partition_key, "PartitionKey")}
        query_filter = "PartitionKey eq @pk"
        if prefix:
            # Escaping is per character, so escaped keys with this text prefix share its escaped prefix.
            params["lo"] = low = stored_key(prefix, "RowKey prefix")
            params["hi"] = low[:-1] + chr(ord(low[-1]) + 1)
            query_filter += " and RowKey ge @lo and RowKey lt @hi"
        return self.query(query_filter, params)

    def write_batch(self, ops: Iterable[BatchOp | tuple[WriteKind, Mapping[str, Any]]]) -> int:
        """Write in transactions of one partition, at most 100 writes each; returns how many were sent.

        Each transaction is atomic. They are sent in order, one partition after another, so
        after an error the transactions before it stay written.
        """
        transactions = 0
        for _ in self._transactions(ops):
            transactions += 1
        return transactions

    def write_batch_etags(
        self, ops: Iterable[BatchOp | tuple[WriteKind, Mapping[str, Any]]]
    ) -> dict[tuple[str, str], str]:
        """Like `write_batch`; returns the new ETag of each entity written, by (PartitionKey, RowKey)."""
        etags: dict[tuple[str, str], str] = {}
        for chunk, results in self._transactions(ops):
            for op, result in zip(chunk, results, strict=False):
                if op[0] != "delete" and result.get("etag"):
                    keys = (unescape_key(op[1]["PartitionKey"]), unescape_key(op[1]["RowKey"]))
                    etags[keys] = str(result["etag"])
        return etags

    def _transactions(
        self, ops: Iterable[BatchOp | tuple[WriteKind, Mapping[str, Any]]]
    ) -> Iterator[tuple[list[Any], list[Mapping[str, Any]]]]:
        for chunk in _chunks(self._prepared(ops)):
            with translated(f"transaction on {self.name} ({len(chunk)} writes)"):
                results = self.client.submit_transaction(chunk)
            self._ops.add(transactions=1, entities_written=len(chunk))
            yield chunk, list(results)

    def _update(self, entity: Mapping[str, Any], mode: UpdateMode, etag: str) -> str:
        if not etag:
            raise InvalidEntity("a conditional write needs the ETag that was read")
        with translated(f"update {self.name}"):
            result = self.client.update_entity(
                _outgoing(entity), mode=mode, etag=etag, match_condition=MatchConditions.IfNotModified
            )
        self._ops.add(writes=1, entities_written=1)
        return str(result["etag"])

    def _pages(self, pages: Iterator[Iterator[Any]], action: str) -> Iterator[Entity]:
        while True:
            with translated(action):
                page = next(pages, None)
                if page is None:
                    return
                rows = [_entity(row) for row in page]
            self._ops.add(queries=1)
            yield from rows

    def _prepared(self, ops: Iterable[BatchOp | tuple[WriteKind, Mapping[str, Any]]]) -> Iterator[Any]:
        for op in ops:
            kind, entity = op[0], op[1]
            etag = op[2] if len(op) > 2 else None
            if kind == "delete":
                keys = _outgoing({k: entity[k] for k in ("PartitionKey", "RowKey")})
                condition = MatchConditions.IfNotModified if etag else MatchConditions.Unconditionally
                yield ("delete", keys, {"etag": etag, "match_condition": condition})
            elif kind == "insert":
                yield ("create", _outgoing(entity))
            elif kind == "upsert":
                yield ("upsert", _outgoing(entity), {"mode": UpdateMode.REPLACE})
            elif kind in ("replace", "merge"):
                mode = UpdateMode.REPLACE if kind == "replace" else UpdateMode.MERGE
                condition = MatchConditions.IfNotModified if etag else MatchConditions.Unconditionally
                options = {"mode": mode, "etag": etag, "match_condition": condition}
                yield ("update", _outgoing(entity), options)
            else:
                msg = f"unknown batch write {kind!r}: use insert, replace, merge, upsert or delete"
                raise InvalidEntity(msg)


def _chunks(ops: Iterable[Any]) -> Iterator[list[Any]]:
    """Group writes by partition (first-seen order) into transactions the service accepts."""
    by_partition: dict[str, list[Any]] = {}
    for op in ops:
        by_partition.setdefault(op[1]["PartitionKey"], []).append(op)
    for partition_ops in by_partition.values():
        chunk: list[Any] = []
        rows: set[str] = set()
        size = 0
        for op in partition_ops:
            op_size = entity_size(op[1])
            # A RowKey twice in one transaction is refused (InvalidDuplicateRow): start a new one.
            full = len(chunk) == MAX_BATCH_OPERATIONS or size + op_size > MAX_BATCH_BYTES
            if chunk and (full or op[1]["RowKey"] in rows):
                yield chunk
                chunk, rows, size = [], set(), 0
            chunk.append(op)
            rows.add(op[1]["RowKey"])
            size += op_size
        if chunk:
            yield chunk


def _outgoing(entity: Mapping[str, Any]) -> dict[str, Any]:
    """The entity as the SDK sends it: escaped keys, converted and checked values."""
    try:
        pk, rk = entity["PartitionKey"], entity["RowKey"]
    except KeyError as missing:
        raise InvalidEntity(f"an entity needs {missing.args[0]}") from None
    return {
        "PartitionKey": stored_key(pk, "PartitionKey"),
        "RowKey": stored_key(rk, "RowKey"),
        **to_table_properties(entity),
    }


def _entity(row: Any) -> Entity:
    """An SDK TableEntity as our Entity: unescaped keys, plain values, ETag and timestamp."""
    properties = {name: from_table_value(value) for name, value in row.items()}
    for key in ("PartitionKey", "RowKey"):
        if key in properties:
            properties[key] = unescape_key(properties[key])
    metadata = row.metadata
    timestamp = metadata.get("timestamp")
    return Entity(properties, str(metadata.get("etag")), from_table_value(timestamp) if timestamp else None)


def _target_parts(target: StorageTargetLike | str) -> tuple[str | None, str | None]:
    """(connection string, endpoint URL) from a string or a StorageTarget-like object."""
    if isinstance(target, str):
        text = target.strip()
        if text.lower().startswith(("https://", "http://")):
            return None, text
        return text, None
    secret = target.connection_string
    connection = secret.get_secret_value() if hasattr(secret, "get_secret_value") else secret
    return (str(connection) if connection else None), target.table_endpoint

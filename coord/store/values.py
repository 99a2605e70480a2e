"""Property values to and from Table Storage types, with the service's limits checked first (pure).

Limits and types from azure-ecosystem.md §5.5: strings and binaries up to 64 KiB (strings are
UTF-16 on the service), 252 custom properties, 1 MiB per entity; a Python int outside int32
needs an explicit INT64 (gotcha 6). A limit is refused here with the property's name, rather
than by the service with a bare 400.
"""

from __future__ import annotations

import re
import uuid
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from azure.data.tables import EdmType, EntityProperty

from coord.store.errors import InvalidEntity

MAX_VALUE_BYTES = 64 * 1024
MAX_ENTITY_BYTES = 1024 * 1024
MAX_PROPERTIES = 252
_INT32 = range(-(2**31), 2**31)
_INT64 = range(-(2**63), 2**63)
_PROPERTY_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")
_KEYS = ("PartitionKey", "RowKey")


def to_table_value(name: str, value: Any) -> Any:
    """`value` as azure-data-tables should send it, or InvalidEntity naming the property."""
    if isinstance(value, bool | float | uuid.UUID):
        return value
    if isinstance(value, int):
        if value in _INT32:
            return value
        if value in _INT64:
            return EntityProperty(value, EdmType.INT64)
        raise InvalidEntity(f"property {name!r}: {value} does not fit in a 64-bit integer")
    if isinstance(value, str):
        if len(value) * 4 > MAX_VALUE_BYTES and len(value.encode("utf-16-le")) > MAX_VALUE_BYTES:
            msg = (
                f"property {name!r}: a string of {len(value)} characters is over Table Storage's 64 KiB "
                "limit; store large text with pack_text()"
            )
            raise InvalidEntity(msg)
        return str.__str__(value)  # plain str, also for StrEnum members
    if isinstance(value, bytes | bytearray):
        if len(value) > MAX_VALUE_BYTES:
            msg = f"property {name!r}: {len(value)} bytes is over Table Storage's 64 KiB limit"
            raise InvalidEntity(msg)
        return bytes(value)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidEntity(f"property {name!r}: a datetime must carry its time zone")
        return value.astimezone(UTC)
    raise InvalidEntity(f"property {name!r}: values of type {type(value).__name__} cannot be stored")


def from_table_value(value: Any) -> Any:
    """A value read from azure-data-tables as a plain Python value (int, aware UTC datetime, ...)."""
    if isinstance(value, EntityProperty):
        return int(value.value) if value.edm_type == EdmType.INT64 else value.value
    if isinstance(value, datetime):
        # TablesEntityDatetime keeps a service string; a plain datetime compares and pickles plainly.
        return datetime(
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
            tzinfo=UTC,
        )
    return value


def to_table_properties(entity: Mapping[str, Any]) -> dict[str, Any]:
    """The custom properties of `entity` converted and checked; None values are left out."""
    properties: dict[str, Any] = {}
    size = 0
    for name, value in entity.items():
        if name in _KEYS or value is None:
            continue
        if not isinstance(name, str) or not _PROPERTY_NAME.fullmatch(name) or name == "Timestamp":
            msg = f"property name {name!r} is not valid: use letters, digits and _ (a C# identifier)"
            raise InvalidEntity(msg)
        properties[name] = converted = to_table_value(name, value)
        size += 8 + 2 * len(name) + _value_size(converted)
    if len(properties) > MAX_PROPERTIES:
        raise InvalidEntity(f"{len(properties)} properties is over Table Storage's {MAX_PROPERTIES}")
    keys = sum(2 * len(str(entity.get(k, ""))) for k in _KEYS)
    if 4 + keys + size > MAX_ENTITY_BYTES:
        raise InvalidEntity(f"the entity is about {4 + keys + size} bytes, over Table Storage's 1 MiB")
    return properties


def entity_size(entity: Mapping[str, Any]) -> int:
    """Roughly how many bytes `entity` takes on the service (the REST data model's formula)."""
    keys = sum(2 * len(str(entity.get(k, ""))) for k in _KEYS)
    return (
        4
        + keys
        + sum(8 + 2 * len(name) + _value_size(value) for name, value in entity.items() if name not in _KEYS)
    )


def _value_size(value: Any) -> int:
    # Sizes from "Understanding the Table service data model": strings 4 + 2/char, binary 4 + n.
    if isinstance(value, str):
        return 4 + 2 * len(value)
    if isinstance(value, bytes):
        return 4 + len(value)
    if isinstance(value, bool):
        return 1
    if isinstance(value, uuid.UUID):
        return 16
    if isinstance(value, EntityProperty | int):
        return 8
    return 8


def pack_text(name: str, text: str) -> dict[str, bytes]:
    """Properties that hold `text` compressed: `name`, `name_1`, ... of at most 64 KiB each.

    Reports and email bodies can outgrow one string property (32,768 characters); compressed
    HTML is several times smaller, and binary properties hold 64 KiB where strings hold 32 K chars.
    """
    data = zlib.compress(text.encode("utf-8"), 6)
    parts = [data[i : i + MAX_VALUE_BYTES] for i in range(0, len(data), MAX_VALUE_BYTES)] or [b""]
    return {(name if n == 0 else f"{name}_{n}"): part for n, part in enumerate(parts)}


def unpack_text(entity: Mapping[str, Any], name: str) -> str | None:
    """The text that `pack_text(name, ...)` stored in `entity`, or None if it has none."""
    first = entity.get(name)
    if first is None:
        return None
    parts = [first]
    n = 1
    while (part := entity.get(f"{name}_{n}")) is not None:
        parts.append(part)
        n += 1
    return zlib.decompress(b"".join(parts)).decode("utf-8")

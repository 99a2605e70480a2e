"""OData filters with `@name` parameters, substituted here rather than by the SDK (pure).

azure-data-tables substitutes parameters only in words split on single spaces, so `(@a`,
`@a)` and double spaces break it (KeyError, IndexError, or a literal `@a` sent to the
service). Substituting with a regular expression, outside quoted strings, has none of that.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from coord.store.errors import InvalidEntity

_TOKEN = re.compile(r"'(?:[^']|'')*'|@([A-Za-z_][A-Za-z0-9_]*)")
_INT32 = range(-(2**31), 2**31)


def odata_filter(query_filter: str, parameters: Mapping[str, Any] | None) -> str:
    """`query_filter` with each `@name` outside string literals replaced by its OData literal."""
    values = parameters or {}

    def literal(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return match.group(0)
        if name not in values:
            raise InvalidEntity(f"query parameter @{name} has no value")
        return odata_literal(name, values[name])

    return _TOKEN.sub(literal, query_filter)


def odata_literal(name: str, value: Any) -> str:
    """One value as an OData literal of the Table service."""
    if isinstance(value, bool | int | float):
        return _number(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidEntity(f"query parameter @{name}: a datetime must carry its time zone")
        return "datetime'" + value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") + "'"
    if isinstance(value, uuid.UUID):
        return f"guid'{value}'"
    if isinstance(value, bytes):
        return f"X'{value.hex()}'"
    if isinstance(value, str):
        return "'" + str.__str__(value).replace("'", "''") + "'"
    raise InvalidEntity(f"query parameter @{name}: values of type {type(value).__name__} cannot be queried")


def _number(value: bool | float) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if value in _INT32 else f"{value}L"
    return repr(value)

"""Table names and entity keys as Table Storage accepts them (pure).

Limits from azure-ecosystem.md §5.5: table names `^[A-Za-z][A-Za-z0-9]{2,62}$`; keys up to
1 KiB and without `/ \\ # ?` or the control characters U+0000-U+001F and U+007F-U+009F.
"""

from __future__ import annotations

import re

from coord.store.errors import InvalidEntity

_TABLE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]{2,62}")
_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9]*")
# `%` is escaped too, so that unescaping is exact; the rest of the text is left as it is.
_FORBIDDEN = frozenset("/\\#?%") | {chr(c) for c in range(0x20)} | {chr(c) for c in range(0x7F, 0xA0)}
_ESCAPED = re.compile(r"%([0-9A-F]{2})")
# "up to 1 KiB in size": measured in UTF-16 bytes, as the service stores strings.
MAX_KEY_BYTES = 1024


def check_prefix(prefix: str) -> str:
    """Return `prefix` if it can start a table name (letters and digits, a letter first)."""
    if not _PREFIX.fullmatch(prefix) or len(prefix) > 60:
        msg = (
            f"table prefix {prefix!r} is not valid: use 1 to 60 letters and digits, starting with a letter "
            "(COORD_TABLE_PREFIX)"
        )
        raise InvalidEntity(msg)
    return prefix


def table_name(prefix: str, name: str) -> str:
    """The full table name `{prefix}{name}`, checked against Table Storage's naming rule."""
    full = check_prefix(prefix) + name
    if not _TABLE_NAME.fullmatch(full):
        msg = (
            f"table name {full!r} is not valid: Table Storage needs 3 to 63 letters and digits, "
            "starting with a letter"
        )
        raise InvalidEntity(msg)
    return full


def escape_key(text: str) -> str:
    """A PartitionKey/RowKey form of `text`: forbidden characters and `%` become `%XX`.

    Escaping works character by character, so the escaped form of a prefix is a prefix of the
    escaped form, and keys without forbidden characters keep their text and their order.
    """
    if not any(ch in _FORBIDDEN for ch in text):
        return text
    return "".join(f"%{ord(ch):02X}" if ch in _FORBIDDEN else ch for ch in text)


def unescape_key(key: str) -> str:
    """The text that `escape_key` turned into `key`."""
    if "%" not in key:
        return key
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), key)


def stored_key(text: str, which: str) -> str:
    """`escape_key(text)`, refused with InvalidEntity naming `which` if it is not a str or too long."""
    if not isinstance(text, str):
        msg = f"{which} must be a string, not {type(text).__name__}"
        raise InvalidEntity(msg)
    key = escape_key(text)
    if len(key.encode("utf-16-le")) > MAX_KEY_BYTES:
        msg = f"{which} {text[:40]!r}... is longer than Table Storage's 1 KiB key limit"
        raise InvalidEntity(msg)
    return key

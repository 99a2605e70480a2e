"""Property values to and from Table Storage types, and their limits (pure)."""

from __future__ import annotations

import random
import uuid
import zlib
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum

import pytest
from azure.data.tables import EdmType, EntityProperty
from hypothesis import given
from hypothesis import strategies as st

from coord.store import InvalidEntity, pack_text, unpack_text
from coord.store.values import from_table_value, to_table_properties, to_table_value


class Colour(StrEnum):
    RED = "red"


def test_small_ints_stay_int32_and_big_ones_become_int64() -> None:
    assert to_table_value("n", 2**31 - 1) == 2**31 - 1
    big = to_table_value("n", 2**31)
    assert isinstance(big, EntityProperty)
    assert big.edm_type == EdmType.INT64
    assert from_table_value(big) == 2**31


def test_an_int_beyond_64_bits_is_refused_naming_the_property() -> None:
    with pytest.raises(InvalidEntity, match="'AutoId'"):
        to_table_value("AutoId", 2**63)


def test_aware_datetimes_are_stored_in_utc_and_naive_ones_are_refused() -> None:
    local = datetime(2026, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=2)))
    assert to_table_value("At", local) == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    with pytest.raises(InvalidEntity, match=r"'At'.*time zone"):
        to_table_value("At", datetime(2026, 3, 29, 2, 30))  # noqa: DTZ001


def test_a_string_over_64_kib_is_refused_naming_the_property() -> None:
    assert to_table_value("Body", "a" * 32768) == "a" * 32768
    with pytest.raises(InvalidEntity, match=r"'Body'.*64 KiB"):
        to_table_value("Body", "a" * 32769)
    # UTF-16 counts characters outside the BMP twice.
    with pytest.raises(InvalidEntity, match="'Body'"):
        to_table_value("Body", "😀" * 16385)


def test_binary_over_64_kib_is_refused() -> None:
    assert to_table_value("Blob", b"x" * 65536) == b"x" * 65536
    with pytest.raises(InvalidEntity, match="'Blob'"):
        to_table_value("Blob", b"x" * 65537)


def test_str_enums_are_stored_as_plain_strings() -> None:
    value = to_table_value("Colour", Colour.RED)
    assert type(value) is str
    assert value == "red"


def test_unsupported_types_are_refused_naming_the_property() -> None:
    with pytest.raises(InvalidEntity, match=r"'Items'.*list"):
        to_table_value("Items", [1, 2])


def test_properties_leave_out_none_and_keep_keys_out() -> None:
    props = to_table_properties(
        {"PartitionKey": "p", "RowKey": "r", "A": None, "B": 1, "C": uuid.UUID(int=1)}
    )
    assert props == {"B": 1, "C": uuid.UUID(int=1)}


@pytest.mark.parametrize("name", ["1x", "with space", "Timestamp", "a-b", "x" * 256])
def test_property_names_that_are_not_identifiers_are_refused(name: str) -> None:
    with pytest.raises(InvalidEntity, match="property name"):
        to_table_properties({"PartitionKey": "p", "RowKey": "r", name: 1})


def test_more_than_252_properties_are_refused() -> None:
    entity = {f"P{i}": i for i in range(253)}
    with pytest.raises(InvalidEntity, match="253 properties"):
        to_table_properties(entity)


def test_an_entity_over_one_mebibyte_is_refused() -> None:
    entity = {f"S{i}": "a" * 32000 for i in range(17)}
    with pytest.raises(InvalidEntity, match="1 MiB"):
        to_table_properties(entity)


@given(st.text())
def test_packed_text_unpacks_to_the_same_text(text: str) -> None:
    assert unpack_text(pack_text("Body", text), "Body") == text


def test_packed_text_is_split_into_64_kib_binary_parts() -> None:
    text = random.Random(1).randbytes(200_000).hex()  # hex of random bytes compresses only twofold
    props = pack_text("Html", text)
    assert len(props) > 1
    assert all(len(part) <= 65536 for part in props.values())
    assert set(props) == {"Html"} | {f"Html_{n}" for n in range(1, len(props))}
    assert len(zlib.compress(text.encode())) >= 65536
    assert unpack_text(props, "Html") == text


def test_unpacking_text_that_is_not_there_gives_none() -> None:
    assert unpack_text({"Other": b""}, "Html") is None

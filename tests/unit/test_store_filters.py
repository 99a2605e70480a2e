"""OData filter parameters are substituted wherever they stand, and only outside quoted text."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from coord.store import InvalidEntity
from coord.store.filters import odata_filter


def test_parameters_next_to_parentheses_and_double_spaces_are_substituted() -> None:
    got = odata_filter(
        "PartitionKey eq @pk and  (RowKey eq @r0 or RowKey eq @r1)", {"pk": "p", "r0": "a", "r1": "b"}
    )
    assert got == "PartitionKey eq 'p' and  (RowKey eq 'a' or RowKey eq 'b')"


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        (True, "true"),
        (False, "false"),
        (7, "7"),
        (-(2**31), "-2147483648"),
        (2**31, "2147483648L"),
        (0.5, "0.5"),
        ("it's", "'it''s'"),
        (
            datetime(2026, 11, 26, 19, 30, tzinfo=timezone(timedelta(hours=1))),
            "datetime'2026-11-26T18:30:00.000000Z'",
        ),
        (uuid.UUID(int=1), "guid'00000000-0000-0000-0000-000000000001'"),
        (b"\x01\xff", "X'01ff'"),
    ],
)
def test_each_value_type_becomes_its_odata_literal(value: object, literal: str) -> None:
    assert odata_filter("X eq @v", {"v": value}) == f"X eq {literal}"


def test_at_signs_inside_quoted_text_are_left_alone() -> None:
    assert (
        odata_filter("Mail eq 'ops@example.com' and N eq @n", {"n": 1})
        == "Mail eq 'ops@example.com' and N eq 1"
    )


def test_a_missing_parameter_is_named() -> None:
    with pytest.raises(InvalidEntity, match="@since"):
        odata_filter("At ge @since", {})


def test_naive_datetimes_and_unknown_types_are_refused() -> None:
    with pytest.raises(InvalidEntity, match="@at"):
        odata_filter("At ge @at", {"at": datetime(2026, 1, 1)})  # noqa: DTZ001
    with pytest.raises(InvalidEntity, match=r"@x.*list"):
        odata_filter("X eq @x", {"x": [1]})


def test_a_filter_without_parameters_is_unchanged() -> None:
    assert odata_filter("PartitionKey eq 'p'", None) == "PartitionKey eq 'p'"

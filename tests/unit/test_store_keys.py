"""Table names and key escaping (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coord.store import InvalidEntity, escape_key, unescape_key
from coord.store.keys import check_prefix, stored_key, table_name

FORBIDDEN = "/\\#?" + "".join(chr(c) for c in range(0x20)) + "".join(chr(c) for c in range(0x7F, 0xA0))


@given(st.text())
def test_escaping_is_reversible(text: str) -> None:
    assert unescape_key(escape_key(text)) == text


@given(st.text())
def test_escaped_keys_hold_no_character_table_storage_forbids(text: str) -> None:
    assert not set(escape_key(text)) & set(FORBIDDEN)


@given(st.text(), st.text())
def test_the_escaped_form_of_a_prefix_is_a_prefix_of_the_escaped_form(head: str, tail: str) -> None:
    assert escape_key(head + tail).startswith(escape_key(head))


@given(
    st.text(alphabet=st.characters(blacklist_characters=FORBIDDEN + "%")),
    st.text(alphabet=st.characters(blacklist_characters=FORBIDDEN + "%")),
)
def test_keys_without_forbidden_characters_keep_their_text_and_order(a: str, b: str) -> None:
    assert escape_key(a) == a
    assert (escape_key(a) < escape_key(b)) == (a < b)


def test_forbidden_characters_become_percent_codes() -> None:
    assert escape_key("promotion:evening/2026#1?\t50%") == "promotion:evening%2F2026%231%3F%0950%25"


def test_a_key_over_one_kibibyte_is_refused_with_its_name() -> None:
    with pytest.raises(InvalidEntity, match="RowKey"):
        stored_key("x" * 513, "RowKey")
    assert stored_key("x" * 512, "RowKey") == "x" * 512


def test_a_key_that_is_not_text_is_refused() -> None:
    with pytest.raises(InvalidEntity, match="PartitionKey must be a string"):
        stored_key(12, "PartitionKey")  # type: ignore[arg-type]


@pytest.mark.parametrize("prefix", ["", "1coord", "co-rd", "co_rd", "coörd", "c" * 61])
def test_a_prefix_other_than_letters_and_digits_is_refused_naming_the_setting(prefix: str) -> None:
    with pytest.raises(InvalidEntity, match="COORD_TABLE_PREFIX"):
        check_prefix(prefix)


def test_table_names_are_prefix_and_name() -> None:
    assert table_name("coord", "runs") == "coordruns"
    assert table_name("t1", "x") == "t1x"


@pytest.mark.parametrize(("prefix", "name"), [("a", "b"), ("c", "x" * 63), ("coord", "run-s")])
def test_a_table_name_table_storage_would_refuse_is_refused_with_the_name(prefix: str, name: str) -> None:
    with pytest.raises(InvalidEntity, match=f"table name '{prefix}{name}'"):
        table_name(prefix, name)

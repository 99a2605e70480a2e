"""TableStore and Table against Azurite: CRUD, ETags, batches, escaping, values, errors, counters."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta, timezone

import pytest

from coord.store import (
    AlreadyExists,
    InvalidEntity,
    StaleState,
    StoreUnavailable,
    TableStore,
    escape_key,
    pack_text,
    unpack_text,
)


def test_a_table_is_created_on_first_use_with_the_prefix(table_store: TableStore) -> None:
    table = table_store.table("runs")
    assert table.name == f"{table_store.prefix}runs"
    assert table_store.table("runs") is table
    names = [t.name for t in table_store._service.list_tables()]
    assert table.name in names
    assert table_store.operations.snapshot().tables_created == 1


def test_get_gives_none_for_a_missing_entity(table_store: TableStore) -> None:
    assert table_store.table("things").get("p", "r") is None


def test_insert_then_get_round_trips_values(table_store: TableStore) -> None:
    table = table_store.table("things")
    when = datetime(2026, 11, 26, 18, 30, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
    table.insert(
        {
            "PartitionKey": "p",
            "RowKey": "r",
            "Text": "héllo",
            "Small": 7,
            "Big": 2**40,
            "Negative": -(2**62),
            "Flag": True,
            "Ratio": 0.5,
            "When": when,
            "Blob": b"\x00\x01",
            "Nothing": None,
        }
    )
    got = table.get("p", "r")
    assert got is not None
    assert got["Big"] == 2**40
    assert type(got["Big"]) is int
    assert got["Negative"] == -(2**62)
    assert got["When"] == when
    assert got["When"].tzinfo is UTC
    assert type(got["When"]) is datetime
    assert (got["Text"], got["Small"], got["Flag"], got["Ratio"], got["Blob"]) == (
        "héllo",
        7,
        True,
        0.5,
        b"\x00\x01",
    )
    assert "Nothing" not in got
    assert got.etag.startswith('W/"')
    assert got.timestamp is not None


def test_insert_of_an_existing_key_raises_already_exists(table_store: TableStore) -> None:
    table = table_store.table("things")
    table.insert({"PartitionKey": "p", "RowKey": "r"})
    with pytest.raises(AlreadyExists):
        table.insert({"PartitionKey": "p", "RowKey": "r"})


def test_replace_with_a_stale_etag_raises_stale_state(table_store: TableStore) -> None:
    table = table_store.table("things")
    first = table.insert({"PartitionKey": "p", "RowKey": "r", "N": 1})
    second = table.replace({"PartitionKey": "p", "RowKey": "r", "N": 2}, etag=first)
    assert second != first
    with pytest.raises(StaleState):
        table.replace({"PartitionKey": "p", "RowKey": "r", "N": 3}, etag=first)
    with pytest.raises(StaleState):
        table.merge({"PartitionKey": "p", "RowKey": "r", "M": 3}, etag=first)
    got = table.get("p", "r")
    assert got is not None
    assert got["N"] == 2


def test_merge_keeps_other_properties_and_replace_drops_them(table_store: TableStore) -> None:
    table = table_store.table("things")
    etag = table.insert({"PartitionKey": "p", "RowKey": "r", "A": 1, "B": 2})
    etag = table.merge({"PartitionKey": "p", "RowKey": "r", "B": 3}, etag=etag)
    assert {k: v for k, v in (table.get("p", "r") or {}).items() if k in "AB"} == {"A": 1, "B": 3}
    table.replace({"PartitionKey": "p", "RowKey": "r", "B": 4}, etag=etag)
    got = table.get("p", "r")
    assert got is not None
    assert "A" not in got


def test_a_conditional_write_to_a_deleted_entity_raises_stale_state(table_store: TableStore) -> None:
    table = table_store.table("things")
    etag = table.insert({"PartitionKey": "p", "RowKey": "r"})
    table.delete("p", "r")
    with pytest.raises(StaleState):
        table.replace({"PartitionKey": "p", "RowKey": "r"}, etag=etag)


def test_upsert_replaces_whatever_is_stored_unless_told_to_merge(table_store: TableStore) -> None:
    table = table_store.table("things")
    table.upsert({"PartitionKey": "p", "RowKey": "r", "A": 1})
    table.upsert({"PartitionKey": "p", "RowKey": "r", "B": 2})
    assert "A" not in (table.get("p", "r") or {})
    table.upsert({"PartitionKey": "p", "RowKey": "r", "C": 3}, merge=True)
    got = table.get("p", "r") or {}
    assert (got["B"], got["C"]) == (2, 3)


def test_delete_with_a_stale_etag_raises_and_a_missing_entity_is_fine(table_store: TableStore) -> None:
    table = table_store.table("things")
    first = table.insert({"PartitionKey": "p", "RowKey": "r", "N": 1})
    table.replace({"PartitionKey": "p", "RowKey": "r", "N": 2}, etag=first)
    with pytest.raises(StaleState):
        table.delete("p", "r", etag=first)
    table.delete("p", "r")
    assert table.get("p", "r") is None
    table.delete("p", "r")
    table.delete("p", "r", etag=first)


NASTY_KEYS = [
    "a/b",
    "back\\slash",
    "#hash",
    "what?",
    "tab\there",
    "new\nline",
    "50%",
    "%2F",
    "it's",
    "日本",
    "\x7f\x9f",
    "",
]


@pytest.mark.parametrize("key", NASTY_KEYS, ids=repr)
def test_keys_with_forbidden_characters_round_trip(table_store: TableStore, key: str) -> None:
    table = table_store.table("keys")
    etag = table.insert({"PartitionKey": key, "RowKey": key, "V": 1})
    got = table.get(key, key)
    assert got is not None
    assert (got["PartitionKey"], got["RowKey"]) == (key, key)
    table.replace({"PartitionKey": key, "RowKey": key, "V": 2}, etag=etag)
    assert [e["RowKey"] for e in table.partition(key)] == [key]
    table.delete(key, key, etag=table.get(key, key).etag)  # type: ignore[union-attr]
    assert table.get(key, key) is None


def test_partition_with_a_prefix_returns_only_rows_starting_with_it(table_store: TableStore) -> None:
    table = table_store.table("keys")
    rows = ["run:1", "run:1/a", "run:1/b", "run:10", "run:2", "ru", "run;"]
    table.write_batch([("insert", {"PartitionKey": "p", "RowKey": r}, None) for r in rows])
    assert [e["RowKey"] for e in table.partition("p", prefix="run:1/")] == ["run:1/a", "run:1/b"]
    assert sorted(e["RowKey"] for e in table.partition("p", prefix="run:1")) == [
        "run:1",
        "run:1/a",
        "run:1/b",
        "run:10",
    ]
    assert len(list(table.partition("p"))) == len(rows)


def test_query_takes_parameters_and_select(table_store: TableStore) -> None:
    table = table_store.table("things")
    since = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(5):
        table.insert(
            {"PartitionKey": "p", "RowKey": f"r{n}", "N": n, "At": since + timedelta(days=n), "Note": "it's"}
        )
    found = list(
        table.query(
            "PartitionKey eq @pk and At ge @since and Note eq @note",
            {"pk": "p", "since": since + timedelta(days=3), "note": "it's"},
            select=["RowKey", "N"],
        )
    )
    assert [(e["RowKey"], e["N"]) for e in found] == [("r3", 3), ("r4", 4)]
    assert "Note" not in found[0]
    escaped = list(table.query("RowKey eq @rk", {"rk": escape_key("r1")}))
    assert len(escaped) == 1


def test_a_batch_is_split_into_transactions_of_one_partition_and_at_most_100(table_store: TableStore) -> None:
    table = table_store.table("batch")
    ops = [("insert", {"PartitionKey": f"p{n % 3}", "RowKey": f"{n:04d}", "N": n}, None) for n in range(450)]
    before = table_store.operations.snapshot()
    assert table.write_batch(ops) == 6  # 150 per partition -> 100 + 50, three times
    after = table_store.operations.snapshot()
    assert after.transactions - before.transactions == 6
    assert after.entities_written - before.entities_written == 450
    assert sum(1 for _ in table.query("N ge @zero", {"zero": 0})) == 450


def test_an_empty_batch_sends_nothing(table_store: TableStore) -> None:
    table = table_store.table("batch")
    before = table_store.operations.snapshot()
    assert table.write_batch([]) == 0
    assert table_store.operations.snapshot() == before


def test_a_batch_can_mix_writes_and_a_row_twice_goes_in_order(table_store: TableStore) -> None:
    table = table_store.table("batch")
    etag = table.insert({"PartitionKey": "p", "RowKey": "old", "N": 0})
    table.insert({"PartitionKey": "p", "RowKey": "gone"})
    table.write_batch(
        [
            ("upsert", {"PartitionKey": "p", "RowKey": "new", "N": 1}, None),
            ("replace", {"PartitionKey": "p", "RowKey": "old", "N": 2}, etag),
            ("delete", {"PartitionKey": "p", "RowKey": "gone"}, None),
            ("merge", {"PartitionKey": "p", "RowKey": "new", "M": 5}, None),
        ]
    )
    rows = {e["RowKey"]: e for e in table.partition("p")}
    assert set(rows) == {"new", "old"}
    assert (rows["new"]["N"], rows["new"]["M"], rows["old"]["N"]) == (1, 5, 2)


def test_a_transaction_with_a_stale_etag_raises_stale_state_and_writes_nothing(
    table_store: TableStore,
) -> None:
    table = table_store.table("batch")
    stale = table.insert({"PartitionKey": "p", "RowKey": "a", "N": 1})
    table.replace({"PartitionKey": "p", "RowKey": "a", "N": 2}, etag=stale)
    with pytest.raises(StaleState):
        table.write_batch(
            [
                ("insert", {"PartitionKey": "p", "RowKey": "b"}, None),
                ("replace", {"PartitionKey": "p", "RowKey": "a", "N": 3}, stale),
            ]
        )
    assert table.get("p", "b") is None
    assert (table.get("p", "a") or {})["N"] == 2


def test_a_transaction_inserting_an_existing_row_raises_already_exists(table_store: TableStore) -> None:
    table = table_store.table("batch")
    table.insert({"PartitionKey": "p", "RowKey": "a"})
    with pytest.raises(AlreadyExists):
        table.write_batch(
            [
                ("insert", {"PartitionKey": "p", "RowKey": "b"}, None),
                ("insert", {"PartitionKey": "p", "RowKey": "a"}, None),
            ]
        )
    assert table.get("p", "b") is None


def test_a_transaction_deleting_a_missing_row_with_an_etag_raises_stale_state(
    table_store: TableStore,
) -> None:
    table = table_store.table("batch")
    etag = table.insert({"PartitionKey": "p", "RowKey": "a"})
    table.delete("p", "a")
    with pytest.raises(StaleState):
        table.write_batch([("delete", {"PartitionKey": "p", "RowKey": "a"}, etag)])


def test_large_text_is_stored_packed_and_a_plain_string_over_64_kib_is_refused(
    table_store: TableStore,
) -> None:
    table = table_store.table("things")
    html = "<tr><td>Checkout</td><td>3.2.1</td></tr>\n" * 20000  # ~800 KB of report-like HTML
    table.insert({"PartitionKey": "p", "RowKey": "report", **pack_text("Html", html)})
    assert unpack_text(table.get("p", "report") or {}, "Html") == html
    with pytest.raises(InvalidEntity, match="'Html'"):
        table.insert({"PartitionKey": "p", "RowKey": "plain", "Html": html})


def test_the_service_limit_for_strings_matches_ours(table_store: TableStore) -> None:
    table = table_store.table("things")
    table.insert({"PartitionKey": "p", "RowKey": "edge", "S": "a" * 32768})
    assert len((table.get("p", "edge") or {})["S"]) == 32768


def test_counters_count_reads_writes_and_query_pages(table_store: TableStore) -> None:
    table = table_store.table("count")
    table_store.operations.reset()
    table.insert({"PartitionKey": "p", "RowKey": "a"})
    table.upsert({"PartitionKey": "p", "RowKey": "b"})
    table.get("p", "a")
    table.get("p", "missing")
    list(table.partition("p"))
    counts = table_store.operations.snapshot()
    assert (counts.reads, counts.writes, counts.queries, counts.transactions, counts.entities_written) == (
        2,
        2,
        1,
        0,
        2,
    )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_store_raises_store_unavailable() -> None:
    port = _closed_port()
    connection = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
        f"TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
    )
    store = TableStore.connect(connection, "coord")
    with pytest.raises(StoreUnavailable) as raised:
        store.table("runs")
    assert "AccountKey" not in str(raised.value)
    assert "Eby8" not in str(raised.value)


def test_development_storage_shorthand_is_accepted() -> None:
    store = TableStore.connect("UseDevelopmentStorage=true", "coord")
    assert store.location.startswith("http://127.0.0.1:10002/devstoreaccount1")


def test_an_https_endpoint_uses_a_token_credential_and_sends_nothing_yet() -> None:
    store = TableStore.connect("https://acct.table.core.windows.net/", "coord")
    assert store.location == "https://acct.table.core.windows.net"
    assert type(store._service.credential).__name__ == "DefaultAzureCredential"
    assert repr(store) == "TableStore(location='https://acct.table.core.windows.net', prefix='coord')"


def test_a_storage_target_object_is_accepted() -> None:
    class Target:
        connection_string = None
        table_endpoint = "https://acct.table.core.windows.net"

    assert TableStore.connect(Target(), "coord").location == "https://acct.table.core.windows.net"


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:10002/devstoreaccount1", "https://"])
def test_a_token_credential_needs_an_https_endpoint(endpoint: str) -> None:
    with pytest.raises(InvalidEntity, match="https://"):
        TableStore.connect(endpoint, "coord")


def test_a_malformed_connection_string_is_refused_without_quoting_it() -> None:
    with pytest.raises(InvalidEntity, match="malformed") as raised:
        TableStore.connect("DefaultEndpointsProtocol=http;AccountKey=c2VjcmV0;", "coord")
    assert "c2VjcmV0" not in str(raised.value)


def test_a_bad_prefix_is_refused_before_connecting() -> None:
    with pytest.raises(InvalidEntity, match="COORD_TABLE_PREFIX"):
        TableStore.connect("UseDevelopmentStorage=true", "co-ord")


def test_query_parameters_work_beside_parentheses_and_with_64_bit_ints(table_store: TableStore) -> None:
    table = table_store.table("things")
    for n, big in enumerate((2**40, 2**40 + 1, 5)):
        table.insert({"PartitionKey": "p", "RowKey": f"r{n}", "Big": big})
    found = table.query(
        "PartitionKey eq @pk and (RowKey eq @r0 or RowKey eq @r1) and Big ge @min",
        {"pk": "p", "r0": "r0", "r1": "r1", "min": 2**40 + 1},
    )
    assert [e["RowKey"] for e in found] == ["r1"]

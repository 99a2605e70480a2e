"""Claims and leases against Azurite, one caller at a time (races are in test_store_races.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coord.store import (
    InvalidEntity,
    LeaseLost,
    TableStore,
    acquire_lease,
    claim,
    read_claim,
    read_lease,
    release_claim,
    release_lease,
    renew_lease,
)

NOW = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)
TTL = timedelta(minutes=5)


def test_a_key_is_claimed_once_and_keeps_its_data(table_store: TableStore) -> None:
    table = table_store.table("claims")
    key = "promotion:evening:2026-11-26T18:30+00:00"
    assert claim(table, key, data={"RunId": "r1"}) is True
    assert claim(table, key, data={"RunId": "r2"}) is False
    stored = read_claim(table, key)
    assert stored is not None
    assert stored["RunId"] == "r1"


def test_a_released_claim_can_be_claimed_again(table_store: TableStore) -> None:
    table = table_store.table("claims")
    assert claim(table, "mail:report:2026-11-25")
    release_claim(table, "mail:report:2026-11-25")
    assert read_claim(table, "mail:report:2026-11-25") is None
    assert claim(table, "mail:report:2026-11-25")


def test_a_free_lease_is_granted_and_a_held_one_is_not(table_store: TableStore) -> None:
    table = table_store.table("leases")
    lease = acquire_lease(table, "shop/Production", "tick-1", TTL, NOW)
    assert lease is not None
    assert (lease.holder, lease.expires_at) == ("tick-1", NOW + TTL)
    assert acquire_lease(table, "shop/Production", "tick-2", TTL, NOW + TTL - timedelta(seconds=1)) is None
    assert (
        acquire_lease(table, "shop/Production", "tick-1", TTL, NOW) is None
    )  # a holder cannot take it twice
    stored = read_lease(table, "shop/Production")
    assert stored is not None
    assert (stored.holder, stored.token) == ("tick-1", lease.token)


def test_an_expired_lease_is_taken_over(table_store: TableStore) -> None:
    table = table_store.table("leases")
    old = acquire_lease(table, "l", "tick-1", TTL, NOW)
    assert old is not None
    new = acquire_lease(table, "l", "tick-2", TTL, NOW + TTL)
    assert new is not None
    assert new.holder == "tick-2"
    assert new.token != old.token
    with pytest.raises(LeaseLost):
        renew_lease(table, old, TTL, NOW + timedelta(minutes=1))
    with pytest.raises(LeaseLost):
        release_lease(table, old)
    assert (read_lease(table, "l") or old).holder == "tick-2"


def test_renewing_extends_the_lease(table_store: TableStore) -> None:
    table = table_store.table("leases")
    lease = acquire_lease(table, "l", "tick-1", TTL, NOW)
    assert lease is not None
    renewed = renew_lease(table, lease, TTL, NOW + timedelta(minutes=4))
    assert renewed.expires_at == NOW + timedelta(minutes=9)
    assert acquire_lease(table, "l", "tick-2", TTL, NOW + timedelta(minutes=6)) is None
    assert renew_lease(table, renewed, TTL, NOW + timedelta(minutes=8)).expires_at == NOW + timedelta(
        minutes=13
    )


def test_renewing_with_an_outdated_value_of_the_same_lease_is_lost(table_store: TableStore) -> None:
    table = table_store.table("leases")
    lease = acquire_lease(table, "l", "tick-1", TTL, NOW)
    assert lease is not None
    renew_lease(table, lease, TTL, NOW + timedelta(minutes=1))
    with pytest.raises(LeaseLost):
        renew_lease(table, lease, TTL, NOW + timedelta(minutes=2))


def test_an_expired_lease_cannot_be_renewed_even_if_nobody_took_it(table_store: TableStore) -> None:
    table = table_store.table("leases")
    lease = acquire_lease(table, "l", "tick-1", TTL, NOW)
    assert lease is not None
    with pytest.raises(LeaseLost, match="expired"):
        renew_lease(table, lease, TTL, NOW + TTL)


def test_a_released_lease_is_free_at_once(table_store: TableStore) -> None:
    table = table_store.table("leases")
    lease = acquire_lease(table, "l", "tick-1", TTL, NOW)
    assert lease is not None
    renewed = renew_lease(table, lease, TTL, NOW + timedelta(minutes=1))
    release_lease(table, lease)  # an older value of the same lease still releases it
    assert read_lease(table, "l") is None
    release_lease(table, renewed)  # and releasing twice is fine
    assert acquire_lease(table, "l", "tick-2", TTL, NOW) is not None


def test_lease_times_must_be_aware_and_the_ttl_positive(table_store: TableStore) -> None:
    table = table_store.table("leases")
    with pytest.raises(InvalidEntity, match="aware"):
        acquire_lease(table, "l", "h", TTL, datetime(2026, 1, 1))  # noqa: DTZ001
    with pytest.raises(InvalidEntity, match="positive"):
        acquire_lease(table, "l", "h", timedelta(0), NOW)


def test_a_lease_token_never_shows_in_its_repr(table_store: TableStore) -> None:
    lease = acquire_lease(table_store.table("leases"), "l", "h", TTL, NOW)
    assert lease is not None
    assert lease.token not in repr(lease)

from datetime import UTC, datetime, timedelta, timezone

import pytest

from coord.clock import FixedClock


def test_fixed_clock_is_utc_and_moves_only_when_told() -> None:
    clock = FixedClock(datetime(2026, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=1))))
    assert clock.now() == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    clock.advance(timedelta(minutes=5))
    assert clock.now().minute == 35


def test_fixed_clock_refuses_naive_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        FixedClock(datetime(2026, 1, 1))  # noqa: DTZ001

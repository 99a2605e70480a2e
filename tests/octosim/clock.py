"""The simulator's clock: manual (tests move it) or real (optionally accelerated)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class ManualClock:
    """A clock that moves only when told to; listeners run after every move."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            msg = "ManualClock needs an aware datetime"
            raise ValueError(msg)
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> datetime:
        """The current simulated time (aware, UTC)."""
        return self._now

    def advance(self, delta: timedelta | float) -> datetime:
        """Move forward by a timedelta or a number of seconds; returns the new time."""
        if not isinstance(delta, timedelta):
            delta = timedelta(seconds=delta)
        if delta < timedelta(0):
            msg = "the simulator's clock never goes backwards"
            raise ValueError(msg)
        with self._lock:
            self._now += delta
        self._notify()
        return self._now

    def set(self, when: datetime) -> None:
        """Jump forward to an absolute time."""
        self.advance(when.astimezone(UTC) - self._now)

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every move (the simulator materialises due events then)."""
        self._listeners.append(listener)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()

    @property
    def is_manual(self) -> bool:
        return True


class RealClock:
    """Wall-clock time, optionally started at another instant and run `speed` times faster."""

    def __init__(self, start: datetime | None = None, speed: float = 1.0) -> None:
        self._origin = (start or datetime.now(UTC)).astimezone(UTC)
        self._mono = time.monotonic()
        self.speed = speed
        self._offset = timedelta(0)

    def now(self) -> datetime:
        """The current time: origin plus elapsed wall time times speed."""
        elapsed = (time.monotonic() - self._mono) * self.speed
        return self._origin + timedelta(seconds=elapsed) + self._offset

    def advance(self, delta: timedelta | float) -> datetime:
        """Jump ahead (demos and benchmarks skip idle time this way)."""
        if not isinstance(delta, timedelta):
            delta = timedelta(seconds=delta)
        self._offset += delta
        return self.now()

    def on_change(self, listener: Callable[[], None]) -> None:
        """Real time moves on its own; the server's ticker syncs instead."""

    @property
    def is_manual(self) -> bool:
        return False

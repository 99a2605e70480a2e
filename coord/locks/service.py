"""The locks of an installation: its `locks` table, on its clock and its way of pausing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coord.locks.table import FairLocks

if TYPE_CHECKING:
    from coord.bootstrap import Services

LOCKS_TABLE = "locks"


def locks_for(services: Services) -> FairLocks:
    """The locks of this installation, on its clock and its way of pausing."""
    return FairLocks(services.store.table(LOCKS_TABLE), services.clock, sleep=services.sleep)

"""Cooperating projects: fair named locks and gates that Octopus deployments ask over HTTP."""

from coord.locks.fair import LockPolicy
from coord.locks.gates import GateAnswer, Member, VersionWish, WishError, check_gate, parse_wishes
from coord.locks.history import LockEvent, LockEventKind, lock_history
from coord.locks.table import FairLocks, Grant, NotHeld, Refusal

__all__ = [
    "FairLocks",
    "GateAnswer",
    "Grant",
    "LockEvent",
    "LockEventKind",
    "LockPolicy",
    "Member",
    "NotHeld",
    "Refusal",
    "VersionWish",
    "WishError",
    "check_gate",
    "lock_history",
    "parse_wishes",
]

"""Errors of promotion runs, said once here; the HTTP routes and the CLI turn them into a status.

PromotionError
 ├── UnknownName   a group, environment or project that does not exist (404)
 ├── RunNotFound   no run with that id (404)
 ├── RunConflict   a run is already active for the group and target environment (409, its id)
 └── RunEnded      the run has ended, so it cannot be canceled (409)
"""

from __future__ import annotations


class PromotionError(Exception):
    """A promotion request that cannot be carried out as asked."""


class UnknownName(PromotionError):
    """A group, environment or project named in a request does not exist."""


class RunNotFound(PromotionError):
    """No promotion run has this id."""


class RunConflict(PromotionError):
    """Another run is active for the same group and target environment."""

    def __init__(self, message: str, active_run_id: str) -> None:
        super().__init__(message)
        self.active_run_id = active_run_id


class RunEnded(PromotionError):
    """The run has already ended."""

    def __init__(self, message: str, phase: str) -> None:
        super().__init__(message)
        self.phase = phase

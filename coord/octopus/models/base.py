"""Building blocks of the Octopus shapes: tolerant enums, the base model, paged collections.

Unknown fields are ignored (newer servers add fields), arrays that arrive as null become empty,
timestamps must carry their offsets (octopus-api.md Holdout 2), and enum values a newer server
may add never fail validation.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field


def _none_as_empty_tuple(value: Any) -> Any:
    return () if value is None else value


def none_as_empty_dict(value: Any) -> Any:
    return {} if value is None else value


def _links(value: Any) -> Any:
    # Links are name -> href; a null href carries nothing.
    if value is None:
        return {}
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if v is not None}
    return value


NONE_AS_EMPTY = BeforeValidator(_none_as_empty_tuple)
Strings = Annotated[tuple[str, ...], NONE_AS_EMPTY]
Values = Annotated[dict[str, Any], BeforeValidator(none_as_empty_dict)]
EnvironmentsByProject = Annotated[dict[str, Strings], BeforeValidator(none_as_empty_dict)]
LinkMap = Annotated[dict[str, str], BeforeValidator(_links)]
Timestamp = AwareDatetime


class TolerantEnum(StrEnum):
    """A string enum that keeps a value it does not know as an `UNKNOWN` pseudo-member."""

    @classmethod
    def _missing_(cls, value: object) -> TolerantEnum | None:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = "UNKNOWN"
        member._value_ = value
        return member

    @property
    def is_known(self) -> bool:
        """False for a value this version of coord has never heard of."""
        return self._name_ != "UNKNOWN"


class TaskState(TolerantEnum):
    """ServerTask State (octopus-api.md §3; Holdout 1: `Canceled` one l, `Cancelling` two)."""

    Queued = "Queued"
    Executing = "Executing"
    Failed = "Failed"
    Canceled = "Canceled"
    TimedOut = "TimedOut"
    Success = "Success"
    Cancelling = "Cancelling"

    @property
    def is_completed(self) -> bool:
        """Finished, one way or another (Holdout 5); an unknown state counts as still running."""
        return self in _COMPLETED

    @property
    def is_success(self) -> bool:
        """Finished successfully (`FinishedSuccessfully` is only true for Success)."""
        return self is TaskState.Success


_COMPLETED = frozenset({TaskState.Failed, TaskState.Canceled, TaskState.TimedOut, TaskState.Success})


class PhaseProgress(TolerantEnum):
    """Where a release is in one lifecycle phase (Holdout 15)."""

    Pending = "Pending"
    Current = "Current"
    Complete = "Complete"


class OctopusModel(BaseModel):
    """Base of every Octopus shape: unknown fields ignored, values immutable."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Resource(OctopusModel):
    """Anything with an Id and Links (octopus-api.md §1)."""

    Id: str
    Links: LinkMap = Field(default_factory=dict)


T = TypeVar("T")


class Page(OctopusModel, Generic[T]):
    """One page of a collection; `Links["Page.Next"]` is absent on the last page (Holdout 6)."""

    ItemType: str | None = None
    TotalResults: int | None = None
    ItemsPerPage: int | None = None
    NumberOfPages: int | None = None
    LastPageNumber: int | None = None
    Items: Annotated[tuple[T, ...], NONE_AS_EMPTY] = ()
    Links: LinkMap = Field(default_factory=dict)

"""The value types of coord.yaml: cron, zone, duration, email, names and dependency entries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, PlainSerializer, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from coord.domain.versions import VersionConstraint, VersionError
from coord.schedules.cron import CronError, check_cron


def _custom(message: str) -> PydanticCustomError:
    # A custom error keeps our message as it is (a plain ValueError gets a "Value error, " prefix).
    return PydanticCustomError("coord", message)


def _cron(value: str) -> str:
    try:
        return check_cron(value)
    except CronError as exc:
        raise _custom(str(exc)) from exc


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise _custom(f"{value!r} is not a known IANA time zone (e.g. Europe/London, UTC)") from exc
    return value


_DURATION = re.compile(r"^(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?$")


def parse_duration(value: object) -> timedelta:
    """Read a duration such as `72h`, `30m`, `1d` or `1h30m`."""
    if isinstance(value, timedelta):
        return value
    text = str(value).strip().replace(" ", "")
    match = _DURATION.match(text)
    if not text or match is None:
        raise _custom(f"{value!r} is not a duration (expected e.g. 30m, 72h, 1d or 1h30m)")
    parts = {unit: int(amount) for unit, amount in match.groupdict().items() if amount}
    duration = timedelta(
        days=parts.get("d", 0), hours=parts.get("h", 0), minutes=parts.get("m", 0), seconds=parts.get("s", 0)
    )
    if duration <= timedelta(0):
        raise _custom(f"{value!r} is not a positive duration")
    return duration


def format_duration(duration: timedelta) -> str:
    """Write a duration the way the configuration spells it (`72h`, `1h30m`)."""
    seconds = int(duration.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = (
        (f"{hours}h" if hours else "")
        + (f"{minutes}m" if minutes else "")
        + (f"{seconds}s" if seconds else "")
    )
    return text or "0s"


_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+$")


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise _custom(f"{value!r} is not an email address (expected e.g. ops@example.com)")
    return value


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _identifier(value: str) -> str:
    if not _NAME.match(value):
        raise _custom(
            f"{value!r} is not a valid name (letters, digits, '.', '_' and '-'; a letter or digit first)"
        )
    return value


def _nonblank(value: str) -> str:
    if not value.strip():
        raise _custom("must not be empty")
    return value.strip()


Cron = Annotated[
    str,
    AfterValidator(_cron),
    Field(description="5-field cron expression (minute hour day-of-month month day-of-week) in `timezone`"),
]
Zone = Annotated[str, AfterValidator(_zone)]
Email = Annotated[str, AfterValidator(_email), Field(description="an email address")]
Name = Annotated[str, AfterValidator(_identifier)]
OctopusName = Annotated[str, AfterValidator(_nonblank)]
Duration = Annotated[
    timedelta,
    PlainValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": _DURATION.pattern,
            "description": "a duration such as 30m, 72h, 1d or 1h30m",
        }
    ),
]


@dataclass(frozen=True)
class DependencySpec:
    """A project another one needs first, with an optional version constraint (`Checkout >= 3.2`)."""

    project: str
    constraint: VersionConstraint | None = None

    def __str__(self) -> str:
        return f"{self.project} {self.constraint}" if self.constraint else self.project


_DEPENDENCY = re.compile(r"^(?P<project>.*?)\s*(?P<constraint>(?:>=|<=|==|!=|>|<).*)?$", re.DOTALL)


def parse_dependency(value: object) -> DependencySpec:
    """Read a dependency entry: a project name, optionally followed by a version constraint."""
    if isinstance(value, DependencySpec):
        return value
    if not isinstance(value, str):
        raise _custom(f"expected a project name, optionally with a version constraint, got {value!r}")
    match = _DEPENDENCY.match(value.strip())
    assert match is not None  # the pattern matches any string
    project = match["project"].strip()
    if not project:
        raise _custom(f"{value!r} names no project (expected e.g. 'Checkout' or 'Checkout >= 3.2')")
    constraint = None
    if match["constraint"]:
        try:
            constraint = VersionConstraint.parse(match["constraint"])
        except VersionError as exc:
            raise _custom(f"{value!r}: {exc}") from exc
    return DependencySpec(project, constraint)


Dependency = Annotated[
    DependencySpec,
    PlainValidator(parse_dependency),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "description": "a project of the group, optionally with a version constraint: 'Checkout >= 3.2'",
            "examples": ["Identity", "Checkout >= 3.2", "Catalog >= 1.0, < 2"],
        }
    ),
]

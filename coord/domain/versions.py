"""Release versions ordered as Octopus orders them, and constraints such as `>= 3.2, < 4` (pure).

coord accepts what Octopus accepts for a release version and orders versions with OctopusVersion,
the comparer Octopus Server uses for releases since 2020.6 (`coord.domain.versioning`): up to four
numbers with leading zeros ignored, a leading `v`, labels with or without dots (`-beta.1`,
`-beta1`, `-beta-1`, `-07`), metadata ignored.

Where the two comparers Octopus ships disagree (`1.0.0-beta-10` against `1.0.0-beta-9`: one label
or two identifiers?) coord does not pretend to know: `compare_versions` says None. A release
decision then falls back on when Octopus created the two releases (`order_releases`), and never
deploys over a release whose order stays unknown.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from coord.domain.versioning import (
    Parsed,
    compare_octopus,
    compare_semantic,
    dotnet_int,
    parse_octopus,
    parse_semantic,
)

MAX_LENGTH = 349  # Octopus's limit on a release version (ReleaseResource.Version, octopus-api.md §3)


class VersionError(ValueError):
    """A version or a version constraint that cannot be read."""


@functools.total_ordering
@dataclass(frozen=True, eq=False)
class ReleaseVersion:
    """A release version as Octopus shows it; `<`, `==` and sorting follow OctopusVersion."""

    text: str
    octopus: Parsed
    semantic: Parsed | None  # None where SemanticVersion refuses it (e.g. `V1.0`, `latest`)

    @property
    def numbers(self) -> tuple[int, int, int, int]:
        """Major, minor, patch and revision; missing parts are 0."""
        return self.octopus.numbers

    @property
    def is_prerelease(self) -> bool:
        """True for versions with a prerelease label such as `-beta.1`."""
        return bool(self.octopus.label)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ReleaseVersion):
            return NotImplemented
        return compare_octopus(self.octopus, other.octopus) == 0

    def __lt__(self, other: ReleaseVersion) -> bool:
        if not isinstance(other, ReleaseVersion):
            return NotImplemented
        return compare_octopus(self.octopus, other.octopus) < 0

    def __hash__(self) -> int:
        # Equal versions hash alike: `-07` and `-7`, `-Beta` and `-beta`, `1.2` and `1.2.0.0`.
        label = tuple(dotnet_int(i) if dotnet_int(i) is not None else i.upper() for i in self.octopus.label)
        return hash((self.octopus.numbers, label))

    def __str__(self) -> str:
        return self.text


def parse_version(text: str) -> ReleaseVersion:
    """Read a release version as Octopus does (`3.2`, `v1.2.3.4`, `2020.05.03-07`); raise VersionError."""
    stripped = text.strip()
    parsed = parse_octopus(stripped) if len(stripped) <= MAX_LENGTH else None
    if parsed is None:
        msg = (
            f"{text!r} is not a release version Octopus accepts "
            "(expected up to four numbers, an optional label and metadata, e.g. 1.2.3 or 2024.1.15-rc.1)"
        )
        raise VersionError(msg)
    return ReleaseVersion(stripped, parsed, parse_semantic(stripped))


def compare_versions(a: ReleaseVersion, b: ReleaseVersion) -> int | None:
    """-1, 0 or 1 by Octopus's order; None where Octopus's two comparers disagree on the pair."""
    octopus = compare_octopus(a.octopus, b.octopus)
    if a.semantic is not None and b.semantic is not None:
        semantic = compare_semantic(a.semantic, b.semantic)
        if semantic != octopus:
            return None
    return octopus


class Order(StrEnum):
    """How one release stands to another."""

    NEWER = "newer"
    OLDER = "older"
    UNKNOWN = "unknown"


def order_releases(
    version: str, created: datetime | None, other_version: str, other_created: datetime | None
) -> Order:
    """Whether the release `version` (created at `created`) is newer or older than the other.

    Versions decide where they can be ordered. Where they cannot (a string Octopus accepts that
    coord cannot read, the two comparers disagreeing, or equal precedence such as `1.0` and
    `1.0.0`), the release Octopus created later counts as newer; without both times, UNKNOWN.
    """
    try:
        result = compare_versions(parse_version(version), parse_version(other_version))
    except VersionError:
        result = None
    if result:
        return Order.NEWER if result > 0 else Order.OLDER
    if created is not None and other_created is not None and created != other_created:
        return Order.NEWER if created > other_created else Order.OLDER
    return Order.UNKNOWN


@dataclass(frozen=True)
class Clause:
    """One comparison of a constraint, such as `>= 3.2`."""

    operator: str
    version: ReleaseVersion

    def allows(self, version: ReleaseVersion) -> bool:
        """Whether `version` satisfies this comparison, by Octopus's order."""
        compare = _OPERATORS[self.operator]
        return compare(version, self.version)

    def __str__(self) -> str:
        return f"{self.operator} {self.version}"


_OPERATORS: dict[str, Callable[[ReleaseVersion, ReleaseVersion], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
}
_CLAUSE = re.compile(r"^\s*(?P<op>>=|<=|==|!=|>|<)\s*(?P<version>\S+)\s*$")


@dataclass(frozen=True)
class VersionConstraint:
    """Comma-joined comparisons that all must hold, e.g. `>= 1.0, < 2`."""

    clauses: tuple[Clause, ...]
    OPERATORS: ClassVar[tuple[str, ...]] = tuple(_OPERATORS)

    @classmethod
    def parse(cls, text: str) -> VersionConstraint:
        """Read `>= 3.2` or `>=1.0,<2`; raise VersionError naming what was expected."""
        if not text.strip():
            msg = "empty version constraint (expected e.g. '>= 3.2' or '>= 1.0, < 2')"
            raise VersionError(msg)
        clauses = []
        for part in text.split(","):
            match = _CLAUSE.match(part)
            if match is None:
                ops = ", ".join(_OPERATORS)
                msg = f"{part.strip()!r} is not a version comparison (expected one of {ops} then a version)"
                raise VersionError(msg)
            clauses.append(Clause(match["op"], _bound(match["version"])))
        return cls(tuple(clauses))

    def allows(self, version: ReleaseVersion | str) -> bool:
        """Whether `version` satisfies every clause."""
        if isinstance(version, str):
            version = parse_version(version)
        return all(clause.allows(version) for clause in self.clauses)

    def __str__(self) -> str:
        return ", ".join(str(clause) for clause in self.clauses)


def _bound(text: str) -> ReleaseVersion:
    # A bound must start with a number: `>= latest` would compare against 0.0.0.0-latest.
    version = parse_version(text)
    if not re.match(r"^[vV]?\d", version.text):
        msg = f"{text!r} is not a version to compare with (expected a number first, e.g. 3.2 or v1.0)"
        raise VersionError(msg)
    return version

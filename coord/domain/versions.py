"""Release versions ordered as Octopus orders them, and constraints such as `>= 3.2, < 4` (pure).

Octopus release versions are SemVer with up to four numeric parts (`1.2.3.4-beta.1+build`): missing
parts count as 0, a prerelease sorts below its release, build metadata does not take part in ordering
(OctopusDeploy/Versioning `OctopusVersion.CompareTo`). The `semver` library implements SemVer 2
precedence but knows only three numbers, so the fourth (revision) is compared first here and the
library decides everything after the numbers.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import semver


class VersionError(ValueError):
    """A version or a version constraint that cannot be read."""


# Octopus accepts an optional leading v and up to four numbers; the label and metadata follow SemVer.
_VERSION = re.compile(
    r"^[vV]?(?P<numbers>\d+(?:\.\d+){0,3})"
    r"(?:-(?P<prerelease>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+(?P<metadata>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)


@functools.total_ordering
@dataclass(frozen=True, eq=False)
class ReleaseVersion:
    """A release version as Octopus shows it, comparable with Octopus's ordering."""

    text: str
    numbers: tuple[int, int, int, int]
    prerelease: str | None = None
    metadata: str | None = field(default=None)

    @property
    def is_prerelease(self) -> bool:
        """True for versions with a prerelease label such as `-beta.1`."""
        return self.prerelease is not None

    def _semver(self) -> semver.Version:
        major, minor, patch, _ = self.numbers
        return semver.Version(major, minor, patch, prerelease=self.prerelease)

    def _compare(self, other: ReleaseVersion) -> int:
        if self.numbers != other.numbers:
            return -1 if self.numbers < other.numbers else 1
        return self._semver().compare(other._semver())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ReleaseVersion):
            return NotImplemented
        return self._compare(other) == 0

    def __lt__(self, other: ReleaseVersion) -> bool:
        if not isinstance(other, ReleaseVersion):
            return NotImplemented
        return self._compare(other) < 0

    def __hash__(self) -> int:
        return hash((self.numbers, self.prerelease))

    def __str__(self) -> str:
        return self.text


def parse_version(text: str) -> ReleaseVersion:
    """Read a release version such as `3.2`, `1.2.3.4` or `2024.1.15-feature-x`; raise VersionError."""
    stripped = text.strip()
    match = _VERSION.match(stripped)
    if match is None:
        msg = f"{text!r} is not a release version (expected SemVer with up to four numbers, e.g. 1.2.3)"
        raise VersionError(msg)
    parts = [int(part) for part in match["numbers"].split(".")]
    parts += [0] * (4 - len(parts))
    prerelease = match["prerelease"]
    if prerelease is not None:
        # SemVer 2 §9: numeric identifiers must not carry leading zeros, so `01` is not a label.
        for identifier in prerelease.split("."):
            if identifier.isdigit() and len(identifier) > 1 and identifier.startswith("0"):
                msg = f"{text!r} is not a release version (numeric label {identifier!r} has a leading zero)"
                raise VersionError(msg)
    numbers = (parts[0], parts[1], parts[2], parts[3])
    return ReleaseVersion(stripped, numbers, prerelease, match["metadata"])


@dataclass(frozen=True)
class Clause:
    """One comparison of a constraint, such as `>= 3.2`."""

    operator: str
    version: ReleaseVersion

    def allows(self, version: ReleaseVersion) -> bool:
        """Whether `version` satisfies this comparison."""
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
            clauses.append(Clause(match["op"], parse_version(match["version"])))
        return cls(tuple(clauses))

    def allows(self, version: ReleaseVersion | str) -> bool:
        """Whether `version` satisfies every clause."""
        if isinstance(version, str):
            version = parse_version(version)
        return all(clause.allows(version) for clause in self.clauses)

    def __str__(self) -> str:
        return ", ".join(str(clause) for clause in self.clauses)

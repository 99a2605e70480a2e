"""The two ways Octopus reads and orders a release version (pure).

Octopus keeps two implementations in OctopusDeploy/Versioning (NuGet package Octopus.Versioning):

- **OctopusVersion** (`OctopusVersionParser`, `OctopusVersion.CompareTo`): permissive, used for
  release versions since Server 2020.6 (dashboard, release creation, the `octo` CLI's "latest";
  OctopusDeploy/Issues #6758, #6826, #6942 and OctopusCLI commit cde413c). Up to four numbers
  separated by `.`, an optional `v`/`V`, an optional separator and a label in which any of
  `. - _ \\` separates identifiers, `+metadata` that never takes part in ordering. A string with
  no number (`latest`) is `0.0.0.0` with that string as its label.
- **SemanticVersion** (`SemVerFactory.TryCreateVersion`, `VersionComparer.Default`): NuGet 3's
  parser with Octopus's changes. One to four numbers, an optional lowercase `v`, a label split on
  `.` only whose identifiers may carry leading zeros (`2020.05.03-07`, Issues #3166), and
  `+metadata` compared last as a case-insensitive string.

Both compare numbers as integers (leading zeros ignored, missing parts 0), sort a labelled version
below the same numbers without one, and compare label identifiers pairwise: integers that fit a
.NET `int` numerically, integers before words, words ordinal and case-insensitive, and with every
shared identifier equal the one with more identifiers last. This module is written from that
description (docs: https://octopus.com/docs/packaging-applications/create-packages/versioning);
`coord.domain.versions` decides how coord uses the two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

INT32_MAX = 2_147_483_647

# OctopusVersionParser's grammar: prefix, up to four numbers (whitespace tolerated around each),
# an optional separator, the label, and metadata. Lazy quantifiers let the label stop where the
# metadata starts.
_OCTOPUS = re.compile(
    r"^\s*(?:\s*(?P<prefix>[vV])?\s*(?P<major>\d+)\s*"
    r"(?:\.\s*(?P<minor>\d+)\s*)?(?:\.\s*(?P<patch>\d+)\s*)?(?:\.\s*(?P<revision>\d+)\s*)?)?"
    r"(?:[.\-_\\])?(?P<label>[A-Za-z0-9]*?(?:[.\-_\\][A-Za-z0-9.\-_\\]*?)?)?"
    r"(?:\+(?P<metadata>[A-Za-z0-9_\-.\\+]*?))?\s*$"
)
_NOT_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]")
_SEMVER_NUMBER = re.compile(r"^\s*(\d+)\s*$")
_SEMVER_IDENTIFIER = re.compile(r"^[0-9A-Za-z-]+$")
_DOTNET_INT = re.compile(r"^-?\d+$")


@dataclass(frozen=True, slots=True)
class Parsed:
    """A version as one of the two parsers reads it: four numbers, label identifiers, metadata."""

    numbers: tuple[int, int, int, int]
    label: tuple[str, ...]  # empty: no prerelease label
    metadata: str


def parse_octopus(text: str) -> Parsed | None:
    """OctopusVersion's reading of `text`, or None where OctopusVersionParser refuses it."""
    if not text.strip():
        return None
    match = _OCTOPUS.match(text)
    if match is None:
        return None
    parts = [match[name] for name in ("major", "minor", "patch", "revision")]
    numbers = [int(part) if part else 0 for part in parts]
    if any(number > INT32_MAX for number in numbers):
        return None  # int.Parse overflows (OctopusVersionTests "LargeVersionNumbersWillFail")
    label = match["label"] or ""
    if match["major"] is None and not label:
        return None
    # `AlphaNumericOnly` turns every separator into `-`; identifiers are what lies between.
    identifiers = tuple(_NOT_ALPHANUMERIC.sub("-", label).split("-")) if label else ()
    return Parsed((numbers[0], numbers[1], numbers[2], numbers[3]), identifiers, match["metadata"] or "")


def parse_semantic(text: str) -> Parsed | None:
    """SemanticVersion's reading of `text`, or None where SemVerFactory refuses it."""
    value = text.strip()
    if value.startswith("v"):  # lowercase only (SemVerFactory, since Versioning #67)
        value = value[1:]
    sections = _sections(value)
    if sections is None:
        return None
    numeric, label, metadata = sections
    numbers = _numbers(numeric)
    if numbers is None or any(not _SEMVER_IDENTIFIER.match(identifier) for identifier in label):
        return None
    if metadata and any(not _SEMVER_IDENTIFIER.match(part) for part in metadata.split(".")):
        return None
    return Parsed(numbers, label, metadata)


def _sections(value: str) -> tuple[str, tuple[str, ...], str] | None:
    # The first `-` or `+` ends the numbers; a label runs from `-` to `+` and splits on `.` only.
    cut = min((i for i in (value.find("-"), value.find("+")) if i >= 0), default=len(value))
    numeric, rest = value[:cut], value[cut:]
    label, metadata = "", ""
    if rest.startswith("-"):
        label, plus, metadata = rest[1:].partition("+")
        if not label or (plus and not metadata):
            return None
    elif rest.startswith("+"):
        metadata = rest[1:]
        if not metadata:
            return None
    return numeric, tuple(label.split(".")) if label else (), metadata


def _numbers(numeric: str) -> tuple[int, int, int, int] | None:
    parts = numeric.split(".")
    if len(parts) == 1:
        parts.append("0")  # System.Version needs two parts; SemVerFactory appends `.0`
    if not 2 <= len(parts) <= 4:
        return None
    numbers: list[int] = []
    for part in parts:
        found = _SEMVER_NUMBER.match(part)
        if found is None or int(found[1]) > INT32_MAX:
            return None
        numbers.append(int(found[1]))
    numbers += [0] * (4 - len(numbers))
    return numbers[0], numbers[1], numbers[2], numbers[3]


def compare_octopus(a: Parsed, b: Parsed) -> int:
    """OctopusVersion.CompareTo: -1, 0 or 1; metadata never counts."""
    if a.numbers != b.numbers:
        return -1 if a.numbers < b.numbers else 1
    if bool(a.label) != bool(b.label):
        return -1 if a.label else 1  # a labelled version is below the release
    if "-".join(a.label) == "-".join(b.label):
        return 0
    return _compare_labels(a.label, b.label)


def compare_semantic(a: Parsed, b: Parsed) -> int:
    """VersionComparer in its Default mode: -1, 0 or 1; metadata decides last, as text."""
    if a.numbers != b.numbers:
        return -1 if a.numbers < b.numbers else 1
    if bool(a.label) != bool(b.label):
        return -1 if a.label else 1
    labels = _compare_labels(a.label, b.label)
    if labels:
        return labels
    return _compare_text(a.metadata, b.metadata)


def _compare_labels(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    for left, right in zip(a, b, strict=False):
        result = _compare_identifier(left, right)
        if result:
            return result
    return (len(a) > len(b)) - (len(a) < len(b))


def dotnet_int(identifier: str) -> int | None:
    """The identifier as .NET's int.TryParse reads it, or None for a word."""
    # int.TryParse: ASCII digits with an optional sign, within Int32; longer runs are words.
    if not _DOTNET_INT.match(identifier):
        return None
    value = int(identifier)
    return value if -INT32_MAX - 1 <= value <= INT32_MAX else None


def _compare_identifier(a: str, b: str) -> int:
    left, right = dotnet_int(a), dotnet_int(b)
    if left is not None and right is not None:
        return (left > right) - (left < right)
    if left is not None:
        return -1  # "numeric labels come before alpha labels"
    if right is not None:
        return 1
    return _compare_text(a, b)


def _compare_text(a: str, b: str) -> int:
    # StringComparer.OrdinalIgnoreCase: code points of the upper-cased strings.
    left, right = a.upper(), b.upper()
    return (left > right) - (left < right)

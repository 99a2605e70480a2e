"""Release versions ordered as Octopus orders them, and dependency constraints."""

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coord.domain.versioning import compare_octopus, compare_semantic
from coord.domain.versions import (
    Order,
    VersionConstraint,
    VersionError,
    compare_versions,
    order_releases,
    parse_version,
)

# The order Octopus gives these (OctopusDeploy/Versioning OctopusVersionCompareTests and SemVer 2 §11).
ASCENDING = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.0.1",
    "1.0.1",
    "1.1",
    "1.1.1.1",
    "1.1.1.2",
    "2.0.0",
    "2024.1.15-feature-x",
    "2024.1.15",
]


def test_versions_sort_as_octopus_orders_them() -> None:
    shuffled = list(reversed(ASCENDING))
    assert [str(v) for v in sorted(parse_version(text) for text in shuffled)] == ASCENDING


@pytest.mark.parametrize(
    ("left", "right"),
    [("1.2", "1.2.0.0"), ("v1.2.3", "1.2.3"), ("1.2.3+build.7", "1.2.3"), ("1.2.3-beta+a", "1.2.3-beta+b")],
)
def test_missing_parts_prefix_and_metadata_do_not_change_the_order(left: str, right: str) -> None:
    assert parse_version(left) == parse_version(right)
    assert hash(parse_version(left)) == hash(parse_version(right))


@pytest.mark.parametrize(
    "text", ["", "   ", "1.0.*", "2147483648.0.0", "1.2.3-be ta", "1.2.3+a b", "1.2.3/4", "ß1.0", "1" * 350]
)
def test_what_octopus_refuses_is_rejected_with_what_was_expected(text: str) -> None:
    with pytest.raises(VersionError, match="release version Octopus accepts"):
        parse_version(text)


@pytest.mark.parametrize(
    "text",
    ["7", "1.2.3.4", "01.002.0003", "v1.2.3", "V1.2", "1.2.3+build.7", "2020.05.03-07", "1.0.0-beta.0001",
     "1.0.0-beta1", "1.0.0-beta-1", "1.0.0-beta_1", "19.0.0.Final", "latest", "prod-271c680"],
)  # fmt: skip
def test_what_octopus_accepts_is_read(text: str) -> None:
    assert str(parse_version(text)) == text


@pytest.mark.parametrize(
    ("constraint", "version", "allowed"),
    [
        (">= 3.2", "3.2.0", True),
        (">= 3.2", "3.1.9.9", False),
        (">=3.2", "3.2.0-beta", False),
        ("> 3.2", "3.2.0.1", True),
        ("== 3.2", "3.2.0.0", True),
        ("!= 3.2", "3.2.0", False),
        ("< 2", "2.0.0-rc.1", True),
        ("<= 2", "2.0.0.1", False),
        (">=1.0,<2", "1.9.9", True),
        (">=1.0,<2", "2.0.0", False),
        (">= 1.0, < 2, != 1.5", "1.5.0", False),
        (">= 2020.5.1", "2020.05.03-07", True),
        (">= 2020.05.04", "2020.05.03-07", False),
        ("== 1.0.0-beta.1", "1.0.0-BETA.01", True),
        (">= v1.2", "1.2.0", True),
    ],
)
def test_constraints_allow_versions_by_octopus_order(constraint: str, version: str, allowed: bool) -> None:
    assert VersionConstraint.parse(constraint).allows(version) is allowed


@pytest.mark.parametrize("text", ["", ">=", "3.2", "~> 3.2", ">= 3.2,", "=> 3.2", ">= x", ">= latest"])
def test_malformed_constraints_are_rejected(text: str) -> None:
    with pytest.raises(VersionError):
        VersionConstraint.parse(text)


def test_a_constraint_reads_back_as_written() -> None:
    assert str(VersionConstraint.parse(">=1.0,<2")) == ">= 1.0, < 2"


# -- properties ---------------------------------------------------------------------------------

number = st.integers(min_value=0, max_value=10_000)
numbers = st.lists(number, min_size=1, max_size=4)
identifier = st.one_of(
    number.map(str),
    st.integers(min_value=0, max_value=99).map(lambda n: f"0{n}"),  # leading zeros, e.g. -07
    st.from_regex(r"[A-Za-z][0-9A-Za-z]{0,6}", fullmatch=True),
)
# Labels with and without dots: `beta.1`, `beta1`, `beta-1`, all of which Octopus accepts.
labels = st.builds(
    lambda ids, sep: sep.join(ids), st.lists(identifier, min_size=1, max_size=3), st.sampled_from(".-")
)
metadata = st.from_regex(r"[0-9A-Za-z]{1,5}(\.[0-9A-Za-z]{1,5}){0,2}", fullmatch=True)
versions = st.builds(
    lambda prefix, parts, label, meta: (
        prefix + ".".join(map(str, parts)) + (f"-{label}" if label else "") + (f"+{meta}" if meta else "")
    ),
    st.sampled_from(["", "v", "V"]),
    numbers,
    st.none() | labels,
    st.none() | metadata,
)


@given(versions)
def test_any_generated_version_parses_and_reads_back(text: str) -> None:
    assert str(parse_version(text)) == text


@given(versions, versions, versions)
def test_octopus_order_is_a_total_order(a: str, b: str, c: str) -> None:
    x, y, z = parse_version(a), parse_version(b), parse_version(c)
    assert (x < y) + (x == y) + (x > y) == 1
    if x <= y <= z:
        assert x <= z
    if x == y:
        assert hash(x) == hash(y)


@given(versions, versions)
def test_coord_order_is_antisymmetric_and_unordered_only_where_octopus_disagrees(a: str, b: str) -> None:
    x, y = parse_version(a), parse_version(b)
    forward, backward = compare_versions(x, y), compare_versions(y, x)
    if forward is None:
        assert backward is None
        assert x.semantic is not None and y.semantic is not None
        assert compare_semantic(x.semantic, y.semantic) != compare_octopus(x.octopus, y.octopus)
    else:
        assert backward == -forward
        assert forward == ((x > y) - (x < y))


@given(numbers, labels)
def test_a_prerelease_sorts_below_its_release(parts: list[int], label: str) -> None:
    release = ".".join(map(str, parts))
    assert parse_version(f"{release}-{label}") < parse_version(release)
    assert compare_versions(parse_version(f"{release}-{label}"), parse_version(release)) == -1


@given(numbers, numbers)
def test_numbers_order_like_tuples_padded_to_four(a: list[int], b: list[int]) -> None:
    padded = lambda parts: tuple(parts + [0] * (4 - len(parts)))  # noqa: E731
    x, y = parse_version(".".join(map(str, a))), parse_version(".".join(map(str, b)))
    assert (x < y) == (padded(a) < padded(b))
    assert (x == y) == (padded(a) == padded(b))


@given(numbers, st.lists(st.integers(min_value=0, max_value=3), min_size=4, max_size=4), st.none() | labels)
def test_leading_zeros_a_v_and_metadata_do_not_change_the_order(
    parts: list[int], zeros: list[int], label: str | None
) -> None:
    plain = ".".join(map(str, parts)) + (f"-{label}" if label else "")
    padded = ".".join("0" * z + str(p) for z, p in zip(zeros, parts, strict=False))
    dressed = "v" + padded + (f"-{label}" if label else "") + "+build.7"
    assert parse_version(dressed) == parse_version(plain)


@given(versions, versions, st.datetimes(), st.datetimes())
def test_releases_that_cannot_be_ordered_by_version_go_by_creation_time(
    a: str, b: str, created_a: datetime, created_b: datetime
) -> None:
    result = compare_versions(parse_version(a), parse_version(b))
    order = order_releases(a, created_a, b, created_b)
    if result:
        assert order is (Order.NEWER if result > 0 else Order.OLDER)
    elif created_a != created_b:
        assert order is (Order.NEWER if created_a > created_b else Order.OLDER)
    else:
        assert order is Order.UNKNOWN
    if not result:
        assert order_releases(a, None, b, created_b) is Order.UNKNOWN


@given(versions, st.sampled_from(VersionConstraint.OPERATORS), versions)
def test_a_single_clause_constraint_agrees_with_the_ordering(
    bound: str, operator: str, candidate: str
) -> None:
    expected = {
        ">=": parse_version(candidate) >= parse_version(bound),
        "<=": parse_version(candidate) <= parse_version(bound),
        ">": parse_version(candidate) > parse_version(bound),
        "<": parse_version(candidate) < parse_version(bound),
        "==": parse_version(candidate) == parse_version(bound),
        "!=": parse_version(candidate) != parse_version(bound),
    }[operator]
    assert VersionConstraint.parse(f"{operator} {bound}").allows(candidate) is expected


@given(
    st.lists(st.tuples(st.sampled_from(VersionConstraint.OPERATORS), versions), min_size=1, max_size=4),
    versions,
)
def test_comma_joined_clauses_all_must_hold(clauses: list[tuple[str, str]], candidate: str) -> None:
    joined = VersionConstraint.parse(",".join(f"{op}{bound}" for op, bound in clauses))
    each = [VersionConstraint.parse(f"{op} {bound}").allows(candidate) for op, bound in clauses]
    assert joined.allows(candidate) is all(each)

"""Release versions ordered as Octopus orders them, and dependency constraints."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coord.domain.versions import VersionConstraint, VersionError, parse_version

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
    "text", ["", "abc", "1.2.3.4.5", "1.2.3-", "1.2.3-beta..1", "1.2.3-01", "1..2", "-1.0"]
)
def test_malformed_versions_are_rejected_with_what_was_expected(text: str) -> None:
    with pytest.raises(VersionError, match="release version"):
        parse_version(text)


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
    ],
)
def test_constraints_allow_versions_by_octopus_order(constraint: str, version: str, allowed: bool) -> None:
    assert VersionConstraint.parse(constraint).allows(version) is allowed


@pytest.mark.parametrize("text", ["", ">=", "3.2", "~> 3.2", ">= 3.2,", "=> 3.2", ">= x"])
def test_malformed_constraints_are_rejected(text: str) -> None:
    with pytest.raises(VersionError):
        VersionConstraint.parse(text)


def test_a_constraint_reads_back_as_written() -> None:
    assert str(VersionConstraint.parse(">=1.0,<2")) == ">= 1.0, < 2"


# -- properties ---------------------------------------------------------------------------------

numbers = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=4)
identifier = st.one_of(
    st.integers(min_value=0, max_value=999).map(str),
    st.from_regex(r"[A-Za-z-][0-9A-Za-z-]{0,6}", fullmatch=True),
)
labels = st.lists(identifier, min_size=1, max_size=3).map(".".join)
versions = st.builds(
    lambda parts, label: ".".join(map(str, parts)) + (f"-{label}" if label else ""),
    numbers,
    st.none() | labels,
)


@given(versions)
def test_any_generated_version_parses_and_reads_back(text: str) -> None:
    assert str(parse_version(text)) == text


@given(versions, versions, versions)
def test_ordering_is_a_total_order(a: str, b: str, c: str) -> None:
    x, y, z = parse_version(a), parse_version(b), parse_version(c)
    assert (x < y) + (x == y) + (x > y) == 1
    if x <= y <= z:
        assert x <= z


@given(numbers, labels)
def test_a_prerelease_sorts_below_its_release(parts: list[int], label: str) -> None:
    release = ".".join(map(str, parts))
    assert parse_version(f"{release}-{label}") < parse_version(release)


@given(numbers, numbers)
def test_numbers_order_like_tuples_padded_to_four(a: list[int], b: list[int]) -> None:
    padded = lambda parts: tuple(parts + [0] * (4 - len(parts)))  # noqa: E731
    x, y = parse_version(".".join(map(str, a))), parse_version(".".join(map(str, b)))
    assert (x < y) == (padded(a) < padded(b))
    assert (x == y) == (padded(a) == padded(b))


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

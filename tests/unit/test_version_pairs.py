"""79 real-world release version pairs, each with the order Octopus gives it and where that is said.

The table is `tests/data/octopus_version_pairs.tsv`: for each pair the order of SemanticVersion
(`SemVerFactory` + `VersionComparer.Default`) and of OctopusVersion (`OctopusVersionParser` +
`OctopusVersion.CompareTo`), or `rej` where that parser refuses a side, and the source of the
expectation, keyed below. coord orders with OctopusVersion, and calls a pair it cannot vouch for
(the two comparers disagree) unordered.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from coord.domain.versioning import compare_octopus, compare_semantic, parse_octopus, parse_semantic
from coord.domain.versions import VersionError, compare_versions, parse_version

TABLE = Path(__file__).resolve().parents[1] / "data" / "octopus_version_pairs.tsv"

_VERSIONING = (
    "https://github.com/OctopusDeploy/Versioning/blob/e276e4a014b81e4253f1b0ceaa414bec19fc00d4/source"
)
_NUGET = "https://github.com/NuGet/NuGet.Client/blob"
_DOCS = "https://github.com/OctopusDeploy/docs/blob"
SOURCES = {
    "SemVerFactory": f"{_VERSIONING}/Octopus.Versioning/Semver/SemVerFactory.cs",
    "SVUtils": f"{_VERSIONING}/Octopus.Versioning/Semver/SemanticVersionUtils.cs",
    "VersionComparer": f"{_VERSIONING}/Octopus.Versioning/Semver/VersionComparer.cs",
    "OctoParser": f"{_VERSIONING}/Octopus.Versioning/Octopus/OctopusVersionParser.cs",
    "OctoVersion": f"{_VERSIONING}/Octopus.Versioning/Octopus/OctopusVersion.cs",
    "T-OctoCmp": f"{_VERSIONING}/Octopus.Versioning.Tests/Octopus/OctopusVersionCompareTests.cs",
    "T-Octo": f"{_VERSIONING}/Octopus.Versioning.Tests/Octopus/OctopusVersionTests.cs",
    "T-Compat": f"{_VERSIONING}/Octopus.Versioning.Tests/Semver/CompatibilityWithOldNugetVersionSyntax.cs",
    "T-SemCmp": f"{_VERSIONING}/Octopus.Versioning.Tests/Semver/SemanticVersionCompareTests.cs",
    "T-Version": f"{_VERSIONING}/Octopus.Versioning.Tests/VersionTests.cs",
    "NuGet-T-VC": f"{_NUGET}/70cb6afb6e901b01f678036ec77492a835b97ae0/test/NuGet.Core.Tests/"
    "NuGet.Versioning.Test/VersionComparerTests.cs",
    "NuGet-T-Spec": f"{_NUGET}/05934c8157257f4a5b4ade014270dbb7fb0e05bc/test/NuGet.Core.Tests/"
    "NuGet.Versioning.Test/SemVer201SpecTests.cs",
    "Doc-Versioning": "https://octopus.com/docs/packaging-applications/create-packages/versioning "
    f"({_DOCS}/02c684bac9752863952c16032b466e55f9288069)",
    "Doc-OctoVersion": "https://octopus.com/docs/packaging-applications/package-repositories/"
    f"docker-registries/octopus-version ({_DOCS}/01d7831860b0fcfd030844b179a396e7858135ec)",
    "dotnet-Version": "https://github.com/dotnet/docs/blob/fc2f98b209d0e0d79296114371ed7846af043bab/samples/"
    "snippets/csharp/VS_Snippets_CLR_System/system.version.tryparse/cs/tryparse1.cs",
    "OctopusCLI": "https://github.com/OctopusDeploy/OctopusCLI/blob/2258247b68c40a01551e22d327c8e4cad1261190/"
    "source/Octo.Tests/Commands/DeployReleaseCommandTestFixture.cs",
    "#": "https://github.com/OctopusDeploy/Issues/issues/<number>",
    "Issue": "https://github.com/OctopusDeploy/Issues/issues/<number>",
    "derived": "worked out from the comparer code cited beside it",
}


def read_table() -> list[tuple[str, str, str, str, str]]:
    rows = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line:
            continue
        a, b, semantic, octopus, source = line.split("\t")
        rows.append((a, b, semantic, octopus, source))
    return rows


PAIRS = read_table()
SIGN = {"<": -1, "==": 0, ">": 1}


def test_the_table_has_at_least_forty_pairs_each_with_a_known_source() -> None:
    assert len(PAIRS) >= 40
    for a, b, _, _, source in PAIRS:
        assert any(key in source for key in SOURCES), f"{a} / {b}: no known source in {source!r}"


COMPARERS = {
    "OctopusVersion": (parse_octopus, compare_octopus, 3),
    "SemanticVersion": (parse_semantic, compare_semantic, 2),
}


@pytest.mark.parametrize("comparer", COMPARERS)
@pytest.mark.parametrize(("a", "b", "semantic", "octopus", "source"), PAIRS, ids=lambda v: repr(v)[:30])
def test_each_comparer_orders_each_pair_as_octopus_does(
    comparer: str, a: str, b: str, semantic: str, octopus: str, source: str
) -> None:
    parse, compare, column = COMPARERS[comparer]
    expected = (a, b, semantic, octopus)[column]
    left, right = parse(a), parse(b)
    if expected == "rej":
        assert left is None or right is None, source
        return
    assert left is not None and right is not None, source
    assert compare(left, right) == SIGN[expected], source
    assert compare(right, left) == -SIGN[expected], source


@pytest.mark.parametrize(("a", "b", "semantic", "octopus", "source"), PAIRS, ids=lambda v: repr(v)[:30])
def test_coord_orders_by_octopus_version_and_calls_disagreements_unordered(
    a: str, b: str, semantic: str, octopus: str, source: str
) -> None:
    if octopus == "rej":
        with pytest.raises(VersionError):
            parse_version(a), parse_version(b)
        return
    expected = None if semantic not in ("rej", octopus) else SIGN[octopus]
    assert compare_versions(parse_version(a), parse_version(b)) == expected, source
    # The operators always give Octopus's order, so sorting and constraints follow Octopus.
    assert (parse_version(a) < parse_version(b)) == (octopus == "<")
    assert (parse_version(a) == parse_version(b)) == (octopus == "==")

"""The documentation pages name only things that exist: files, anchors, commands, routes, settings, tables."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from coord.entrypoints.cli.parser import build_parser
from coord.settings import SETTING_NAMES

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
# The pages that describe the product as it runs; each fact they name is checked against the code.
PAGES = ["architecture.md", "operations.md", "comparison.md", "configuration.md"]
_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def _text(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _prose(text: str) -> str:
    """The text without fenced code blocks."""
    return _FENCE.sub("", text)


def _fences(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.MULTILINE | re.DOTALL)


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    headings = re.findall(r"^#+ (.+)$", _prose(path.read_text(encoding="utf-8")), re.MULTILINE)
    return {slug(heading) for heading in headings}


def _markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


@pytest.mark.parametrize("page", _markdown_files(), ids=lambda p: p.name)
def test_local_links_point_to_files_and_headings_that_exist(page: Path) -> None:
    for target in re.findall(r"\]\(([^)\s]+)\)", _prose(page.read_text(encoding="utf-8"))):
        if re.match(r"[a-z]+:", target):
            continue
        file_part, _, anchor = target.partition("#")
        linked = (page.parent / file_part).resolve() if file_part else page
        assert linked.exists(), f"{page.name}: {target} does not exist"
        if anchor:
            assert anchor in _anchors(linked), f"{page.name}: no heading for #{anchor} in {linked.name}"


def test_every_command_line_in_the_pages_is_one_the_cli_accepts() -> None:
    parser = build_parser()
    commands = []
    for name in PAGES:
        commands += re.findall(r"`(python -m coord [^`]+)`", _text(name))
    assert len(commands) >= 10
    for command in commands:
        words = shlex.split(command)[3:]
        try:
            parser.parse_args(words)
        except SystemExit:
            pytest.fail(f"`{command}` is not accepted by python -m coord")


def _routes() -> set[tuple[str, str]]:
    source = (ROOT / "function_app.py").read_text(encoding="utf-8")
    found = set()
    for route, methods in re.findall(r'route="([^"]+)", methods=\[([^\]]+)\]', source):
        for method in re.findall(r'"(\w+)"', methods):
            found.add((method, f"/api/{route}"))
    return found


def test_every_http_route_in_the_pages_is_served() -> None:
    served = _routes()
    named = set()
    for name in PAGES:
        named |= set(re.findall(r"\b(GET|POST|DELETE) (/api/[^\s`?)]+)", _text(name)))
    assert ("GET", "/api/promotions/{id}") in named
    assert named <= served, named - served


def test_every_setting_in_the_pages_is_one_coord_reads() -> None:
    for name in PAGES:
        for setting in re.findall(r"\b(?:COORD|OCTOPUS|SMTP|ACS)_[A-Z_]+\b", _text(name)):
            assert setting in SETTING_NAMES, f"{name}: {setting}"


def test_every_module_the_architecture_names_exists() -> None:
    paths = set(re.findall(r"\b((?:coord/[\w/.]*)|function_app\.py|host\.json)", _text("architecture.md")))
    assert len(paths) >= 30
    for path in paths:
        assert (ROOT / path.rstrip(".")).exists(), path


def _tables_in_code() -> set[str]:
    names = set()
    for path in (ROOT / "coord").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        names |= set(re.findall(r'\.table\("(\w+)"\)', source))
        names |= set(re.findall(r'^\w*TABLE = "(\w+)"', source, re.MULTILINE))
    return names


def test_the_architecture_lists_exactly_the_tables_coord_uses() -> None:
    section = _text("architecture.md").split("## State in Table Storage", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `(\w+)` \|", section, re.MULTILINE))
    assert listed == _tables_in_code()


def test_the_component_diagram_connects_only_declared_components() -> None:
    (flowchart,) = [
        block for block in _fences(_text("architecture.md"), "mermaid") if block.startswith("flowchart")
    ]
    declared = set(re.findall(r"^\s*(\w+)\[", flowchart, re.MULTILINE))
    declared |= set(re.findall(r"^\s*subgraph (\w+)\[", flowchart, re.MULTILINE))
    edges = re.findall(r"^\s*(\w+) (?:-->|-\. [\w ]+ \.->) (\w+)\s*$", flowchart, re.MULTILINE)
    assert len(edges) >= 20
    assert len(edges) == sum(1 for line in flowchart.splitlines() if "->" in line)
    for source, target in edges:
        assert source in declared and target in declared, (source, target)
    connected = {end for edge in edges for end in edge}
    assert declared - connected <= {"entry", "jobs", "decide", "adapters"}


def test_the_polling_diagram_uses_only_declared_participants() -> None:
    (sequence,) = [
        block for block in _fences(_text("architecture.md"), "mermaid") if block.startswith("sequenceDiagram")
    ]
    declared = set(re.findall(r"^\s*participant (\w+) as ", sequence, re.MULTILINE))
    messages = re.findall(r"^\s*(\w+)-{1,2}>>(\w+):", sequence, re.MULTILINE)
    assert len(messages) >= 10
    assert len(messages) == sum(1 for line in sequence.splitlines() if ">>" in line)
    for source, target in messages:
        assert source in declared and target in declared, (source, target)


def test_the_comparison_covers_each_use_case_with_octopus_and_coord() -> None:
    text = _text("comparison.md")
    sections = re.split(r"^## ", text, flags=re.MULTILINE)[1:]
    cases = [s for s in sections if not s.startswith("Summary")]
    assert len(cases) == 7
    for case in cases:
        title = case.splitlines()[0]
        assert "**With Octopus.**" in case, title
        assert "**With coord.**" in case, title
    references = dict(re.findall(r"^\[(\w+)\]: (\S+)$", text, re.MULTILINE))
    for used in re.findall(r"\]\[(\w+)\]", text):
        assert used in references, used

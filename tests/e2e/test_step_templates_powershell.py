"""The PowerShell step templates parse as PowerShell (no pwsh can run here; the Bash ones run for real)."""

from __future__ import annotations

from pathlib import Path

import pytest
import tree_sitter_powershell
from tree_sitter import Language, Node, Parser

STEPS = Path(__file__).resolve().parents[2] / "steps"
PARSER = Parser(Language(tree_sitter_powershell.language()))


def syntax_errors(source: bytes) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []

    def visit(node: Node) -> None:
        if node.type == "ERROR" or node.is_missing:
            found.append(node.start_point)
        for child in node.children:
            visit(child)

    visit(PARSER.parse(source).root_node)
    return found


@pytest.mark.parametrize("script", sorted(STEPS.glob("*.ps1")), ids=lambda p: p.name)
def test_each_powershell_script_parses_without_errors(script: Path) -> None:
    assert syntax_errors(script.read_bytes()) == []


def test_the_parser_does_catch_a_broken_script() -> None:
    broken = (STEPS / "acquire-lock.ps1").read_bytes().replace(b"}", b"", 1)
    assert syntax_errors(broken) != []


def test_there_is_a_powershell_script_for_each_bash_script() -> None:
    assert {p.stem for p in STEPS.glob("*.ps1")} == {p.stem for p in STEPS.glob("*.sh")} != set()

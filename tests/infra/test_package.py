"""The zip azd deploys: the app and its templates, no local state, no tests, no caches."""

from __future__ import annotations

import subprocess

import pytest

from tests.infra import rules
from tests.infra.rules import FUNCIGNORE, ROOT, Infra


@pytest.fixture(scope="module")
def app_files() -> list[str]:
    """What the Functions host and coord read at run time: tracked files, plus the coord.yaml users add."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    needed = ("coord/", "function_app.py", "host.json", "requirements.txt")
    return [name for name in tracked.stdout.splitlines() if name.startswith(needed)] + ["coord.yaml"]


def test_the_package_carries_the_app_and_nothing_local(infra: Infra, app_files: list[str]) -> None:
    assert len(app_files) > 20
    assert rules.package_problems(infra, app_files) == []


def test_checker_reports_bytecode_caches_let_in(infra: Infra, app_files: list[str]) -> None:
    broken = infra.edit(FUNCIGNORE, "__pycache__\n*.pyc\n", "")
    assert rules.package_problems(broken, app_files) == [
        f"{FUNCIGNORE}: add __pycache__ (azd's default, dropped once the file exists)",
        f"{FUNCIGNORE}: __pycache__ is ignored by git but would be deployed",
        f"{FUNCIGNORE}: x.pyc is ignored by git but would be deployed",
    ]


def test_checker_reports_the_app_left_out(infra: Infra, app_files: list[str]) -> None:
    broken = infra.edit(FUNCIGNORE, "\nschema\n", "\nschema\n*.j2\n")
    problems = rules.package_problems(broken, app_files)
    assert problems and all(p.endswith(".j2, which the app needs") for p in problems)

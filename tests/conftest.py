"""Session-wide real services for the tests: Azurite for Table Storage.

`python3 scripts/dev.py test` starts Azurite and passes its connection string in
COORD_TEST_STORAGE; when pytest runs on its own, this module starts one itself.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import dev  # noqa: E402  (scripts/dev.py: the same Azurite launcher the README's commands use)


@pytest.fixture(scope="session")
def azurite_connection_string() -> Iterator[str]:
    """A connection string to a running Azurite table service."""
    given = os.environ.get("COORD_TEST_STORAGE")
    if given:
        yield given
        return
    with dev.azurite() as conn:
        yield conn


@pytest.fixture
def table_prefix() -> str:
    """A table prefix of letters and digits unique to one test, so tests never share state."""
    return "t" + uuid.uuid4().hex[:12]


# Fixtures for each real service live in their own module; see tests/fixtures/.
pytest_plugins = [
    "tests.fixtures.octosim",
    "tests.fixtures.store",
    "tests.fixtures.smtp",
    "tests.fixtures.coord",
]

"""The deployment files, read once for the infra tests."""

from __future__ import annotations

import pytest

from tests.infra.rules import Infra


@pytest.fixture(scope="module")
def infra() -> Infra:
    return Infra.load()

"""One headless Chromium for every page the end-to-end tests look at."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.layout import Browser, open_browser


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    workdir: Path = tmp_path_factory.mktemp("pages")
    with open_browser(workdir) as opened:
        yield opened

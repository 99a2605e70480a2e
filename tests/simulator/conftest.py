"""Shared fixtures for the simulator's own tests: an httpx client on the `octosim` server."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.octosim import SimServer


@pytest.fixture
def api(octosim: SimServer) -> Iterator[httpx.Client]:
    """A client authenticated with the simulator's API key."""
    with httpx.Client(
        base_url=octosim.url, headers={"X-Octopus-ApiKey": octosim.api_key}, timeout=5
    ) as client:
        yield client


def ids(sim, kind: str, name: str) -> str:
    """The id of a named project/environment/tenant in the world."""
    return getattr(sim, kind)(name).id

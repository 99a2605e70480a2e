"""Octopus's dashboard compared with the stored matrix (pure).

The dashboard can hold several items for one project, environment and tenant: a project with
discrete channel releases shows the latest deployment of each channel (octopus-api-checked.md §4).
The matrix keeps one cell per project, environment and tenant, the latest by `Created` as the
dashboard orders them (Holdout 19), so the items of a cell are grouped and the newest compared.
Comparing every item instead would find a difference in such a cell on every reconciliation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from coord.domain.records import id_number

CellKey = tuple[str, str, str | None]


def current_items(items: Iterable[Any]) -> dict[CellKey, Any]:
    """The newest dashboard item (by `Created`, then id) of each project, environment and tenant."""
    newest: dict[CellKey, Any] = {}
    for item in items:
        key = (item.ProjectId, item.EnvironmentId, item.TenantId or None)
        held = newest.get(key)
        if held is None or _order(item) > _order(held):
            newest[key] = item
    return newest


def differing(items: Iterable[Any], stored: Mapping[CellKey, tuple[str, str]]) -> set[str]:
    """Deployment ids whose cell in the matrix does not show them as the dashboard does."""
    return {
        item.DeploymentId
        for key, item in current_items(items).items()
        if stored.get(key) != (item.DeploymentId, str(item.State))
    }


def _order(item: Any) -> tuple[Any, int]:
    return (item.Created.timestamp() if item.Created else 0.0, id_number(item.DeploymentId))

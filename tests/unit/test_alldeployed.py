"""Which groups are completely deployed to an environment, and the once-key of each version set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from coord.alldeployed.completion import completion_keys
from coord.config import parse_config
from coord.domain.records import TaskState
from tests.unit.test_report_world import CATALOGUE, Deployments

CONFIG = parse_config(
    """
mail: {from: coord@example.com}
groups:
  shop: {projects: [Identity, catalog, Payments]}
notify:
  all_deployed:
    - {group: shop, environments: [Staging, Production], to: [ops@example.com]}
""",
    "test",
)
T0 = datetime(2026, 11, 26, 9, tzinfo=UTC)


def complete_production() -> Deployments:
    d = Deployments()
    d.add("Identity", "Production", "1.1.0", T0)
    d.add("Catalog", "Production", "2.3.0", T0)
    d.add("Payments", "Production", "0.9.0", T0, tenant="Acme")
    d.add("Payments", "Production", "0.9.0", T0, tenant="Globex")
    return d


def keys(d: Deployments, config=CONFIG) -> dict[str, str]:
    return {c.environment: c.key for c in completion_keys(config, d.matrix(), CATALOGUE)}


def test_group_is_complete_when_every_project_and_connected_tenant_succeeded() -> None:
    [completion] = completion_keys(CONFIG, complete_production().matrix(), CATALOGUE)
    assert (completion.group, completion.environment, completion.to) == (
        "shop",
        "Production",
        ("ops@example.com",),
    )
    assert sorted((e.project, e.tenant, e.version) for e in completion.entries) == [
        ("Catalog", "", "2.3.0"),
        ("Identity", "", "1.1.0"),
        ("Payments", "Acme", "0.9.0"),
        ("Payments", "Globex", "0.9.0"),
    ]
    assert completion.last_completed == T0 + timedelta(minutes=5, seconds=10)


def test_a_missing_tenant_keeps_the_group_incomplete() -> None:
    d = Deployments()
    d.add("Identity", "Production", "1.1.0", T0)
    d.add("Catalog", "Production", "2.3.0", T0)
    d.add("Payments", "Production", "0.9.0", T0, tenant="Acme")
    assert keys(d) == {}


def test_a_tenant_not_connected_to_the_environment_is_not_required() -> None:
    d = Deployments()
    d.add("Identity", "Staging", "1.1.0", T0)
    d.add("Catalog", "Staging", "2.3.0", T0)
    d.add("Payments", "Staging", "0.9.0", T0, tenant="Acme")  # Globex is connected to Production only
    assert list(keys(d)) == ["Staging"]


def test_a_failed_latest_deployment_keeps_the_group_incomplete() -> None:
    d = complete_production()
    d.add("Catalog", "Production", "2.4.0", T0 + timedelta(hours=1), state="Failed")
    assert keys(d) == {}


def test_a_queued_or_running_deployment_keeps_the_group_incomplete() -> None:
    for state in ("Queued", "Executing"):
        d = complete_production()
        d.add("Identity", "Production", "1.2.0", T0 + timedelta(hours=1), state=state)
        assert keys(d) == {}, state


def test_the_key_is_stable_for_the_same_version_set() -> None:
    first = keys(complete_production())["Production"]
    again = complete_production()
    again.add("Identity", "Production", "1.1.0", T0 + timedelta(hours=2))  # a redeploy of the same version
    assert keys(again)["Production"] == first
    assert first.startswith("all-deployed:shop:Environments-2:")


def test_a_new_version_set_has_a_new_key() -> None:
    first = keys(complete_production())["Production"]
    newer = complete_production()
    newer.add("Identity", "Production", "1.2.0", T0 + timedelta(hours=2))
    assert keys(newer)["Production"] != first


def test_unknown_names_and_missing_config_give_no_completion() -> None:
    unknown = parse_config(
        """
mail: {from: coord@example.com}
groups:
  shop: {projects: [Identity, Ghost]}
notify:
  all_deployed:
    - {group: shop, environments: [Production, Nowhere], to: [ops@example.com]}
""",
        "test",
    )
    assert completion_keys(unknown, complete_production().matrix(), CATALOGUE) == []
    assert (
        completion_keys(parse_config("groups: {}", "test"), complete_production().matrix(), CATALOGUE) == []
    )


def test_matrix_cell_state_decides_not_history() -> None:
    d = complete_production()
    d.add("Catalog", "Production", "2.4.0", T0 + timedelta(hours=1), state="Failed")
    d.add("Catalog", "Production", "2.3.0", T0 + timedelta(hours=2))  # rolled back to the old version
    cells = d.matrix()
    assert all(c.latest.state is TaskState.SUCCESS for c in cells)
    assert keys(d)["Production"] == keys(complete_production())["Production"]

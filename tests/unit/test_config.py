"""coord.yaml: the interface's example loads; each kind of bad configuration names its field path."""

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from textwrap import dedent

import pytest

from coord.config import ConfigError, ConfigProblem, load_config, lookup, parse_config, resolve_names
from coord.config.permissions import NEEDS, Grant, missing_permissions
from coord.domain.versions import parse_version

ROOT = Path(__file__).resolve().parents[2]

VALID = """
timezone: Europe/London
mail:
  from: coord@example.com
groups:
  shop:
    projects: [Identity, Catalog, Checkout, Storefront]
    depends_on:
      Checkout: [Identity]
      Storefront: [Catalog, "Checkout >= 3.2"]
promotions:
  - name: evening
    group: shop
    from: Staging
    to: Production
    schedule: "30 18 * * 1-4"
    on_failure: rollback
    max_parallel: 4
    windows:
      - kind: deny
        schedule: "0 0 24 12 *"
        duration: 72h
notify:
  all_deployed:
    - group: shop
      environments: [Staging, Production]
      to: [ops@example.com]
  promotions:
    to: [ops@example.com]
report:
  schedule: "0 7 * * *"
  to: [ops@example.com]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "coord.yaml"
    path.write_text(dedent(text), encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert caught.value.source == str(tmp_path / "coord.yaml")
    return [str(problem) for problem in caught.value.problems]


def test_the_interface_example_loads(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, VALID))
    assert config.timezone == "Europe/London"
    assert config.mail is not None and config.mail.sender == "coord@example.com"
    evening = config.promotions[0]
    assert (evening.source, evening.target, evening.on_failure, evening.max_parallel) == (
        "Staging",
        "Production",
        "rollback",
        4,
    )
    assert evening.windows[0].duration == timedelta(hours=72)
    needs = config.groups["shop"].dependencies()
    assert [str(need) for need in needs["Storefront"]] == ["Catalog", "Checkout >= 3.2"]
    constraint = needs["Storefront"][1].constraint
    assert constraint is not None
    assert constraint.allows(parse_version("3.2.1")) and not constraint.allows(parse_version("3.1"))
    assert needs["Identity"] == ()


def test_defaults_follow_the_interface() -> None:
    config = parse_config("groups: {g: {projects: [A]}}\npromotions: [{name: p, group: g, from: S, to: P}]")
    promotion = config.promotions[0]
    assert (promotion.on_failure, promotion.max_parallel, promotion.schedule, promotion.windows) == (
        "halt",
        None,
        None,
        [],
    )
    assert (config.timezone, config.notify, config.report, config.mail) == ("UTC", None, None, None)


def test_an_empty_file_is_an_empty_configuration() -> None:
    assert parse_config("").groups == {}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ('schedule: "30 18 * * 1-4"', 'schedul: "30 18 * * 1-4"'),
            "promotions[0]: unknown key 'schedul' (did you mean 'schedule'?)",
        ),
        (
            ("timezone: Europe/London", "timezone: Europe/Lndon"),
            "timezone: 'Europe/Lndon' is not a known IANA time zone (e.g. Europe/London, UTC)",
        ),
        (
            ('schedule: "30 18 * * 1-4"', 'schedule: "61 * * * *"'),
            "promotions[0].schedule: '61 * * * *' is not a valid cron expression",
        ),
        (
            ("group: shop\n    from", "group: shp\n    from"),
            "promotions[0].group: group 'shp' does not exist (groups: shop)",
        ),
        (
            ("Checkout: [Identity]", "Checkout: [Identity]\n      Identity: [Checkout]"),
            "groups.shop.depends_on: dependency cycle: Checkout -> Identity -> Checkout",
        ),
        (
            ('"Checkout >= 3.2"', '"Checkot >= 3.2"'),
            "groups.shop.depends_on.Storefront[1]: 'Checkot' is not a project of this group (did you mean 'Checkout'?)",  # noqa: E501  (a message as users read it)
        ),
        (
            ('"Checkout >= 3.2"', '"Checkout >= three"'),
            "groups.shop.depends_on.Storefront[1]: 'Checkout >= three': 'three' is not a version to compare with (expected a number first, e.g. 3.2 or v1.0)",  # noqa: E501  (a message as users read it)
        ),
        (
            ("duration: 72h", "duration: 72x"),
            "promotions[0].windows[0].duration: '72x' is not a duration (expected e.g. 30m, 72h, 1d or 1h30m)",  # noqa: E501  (a message as users read it)
        ),
        (("kind: deny", "kind: allow"), "promotions[0].windows[0].kind: expected 'deny', got 'allow'"),
        (
            ("on_failure: rollback", "on_failure: retry"),
            "promotions[0].on_failure: expected 'halt' or 'rollback', got 'retry'",
        ),
        (
            ("max_parallel: 4", "max_parallel: four"),
            "promotions[0].max_parallel: expected a whole number, got 'four'",
        ),
        (
            ("max_parallel: 4", "max_parallel: 0"),
            "promotions[0].max_parallel: expected a number of at least 1, got 0",
        ),
        (
            ("environments: [Staging, Production]", "environments: []"),
            "notify.all_deployed[0].environments: must list at least one entry",
        ),
        (
            ("to: [ops@example.com]\n  promotions", "to: [ops]\n  promotions"),
            "notify.all_deployed[0].to[0]: 'ops' is not an email address (expected e.g. ops@example.com)",
        ),
        (("    to: Production", "    to: staging"), "promotions[0].to: must differ from 'from' ('Staging')"),
        (("    group: shop\n    from", "    from"), "promotions[0].group: is required"),
        (("report:\n", "reports:\n"), ": unknown key 'reports' (did you mean 'report'?)"),
        (
            ("Checkout, Storefront]", "Checkout, Storefront, catalog]"),
            "groups.shop.projects[4]: 'catalog' is listed twice (also projects[1])",
        ),
        (
            ("  - name: evening", "  - name: 'evening run'"),
            "promotions[0].name: 'evening run' is not a valid name (letters, digits, '.', '_' and '-'; a letter or digit first)",  # noqa: E501  (a message as users read it)
        ),
        (
            ("mail:\n  from: coord@example.com\n", ""),
            "mail: is required when notify or report is set (mail.from: the sender address)",
        ),
    ],
)
def test_each_kind_of_bad_configuration_names_its_field_path(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    old, new = change
    assert old in VALID
    assert problems_of(tmp_path, VALID.replace(old, new, 1)) == [expected.removeprefix(": ")]


def test_every_field_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = (
        VALID.replace("Europe/London", "Mars/Base").replace("72h", "soon").replace("30 18 * * 1-4", "* * *")
    )
    assert [problem.split(":")[0] for problem in problems_of(tmp_path, text)] == [
        "timezone",
        "promotions[0].schedule",
        "promotions[0].windows[0].duration",
    ]


def test_duplicate_promotion_names_are_reported(tmp_path: Path) -> None:
    text = VALID.replace(
        "report:", "  - {name: evening, group: shop, from: Production, to: Staging}\nreport:"
    )
    text = text.replace("notify:", "_notify:").replace("  - {name", "  - {name", 1)
    text = VALID.replace(
        "notify:\n", "  - {name: evening, group: shop, from: Production, to: Staging}\nnotify:\n"
    )
    assert problems_of(tmp_path, text) == [
        "promotions[1].name: 'evening' is already the name of promotions[0]"
    ]


def test_project_names_with_spaces_are_quoted_in_paths() -> None:
    text = "groups:\n  g:\n    projects: [My App]\n    depends_on:\n      My App: [Other App]\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    assert [problem.path for problem in caught.value.problems] == ["groups.g.depends_on['My App'][0]"]


def test_yaml_syntax_errors_give_line_and_column(tmp_path: Path) -> None:
    assert problems_of(tmp_path, "groups:\n  shop: [a\n  b: c\n") == [
        "line 3, column 4: invalid YAML: expected ',' or ']', but got ':'"
    ]


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "absent.yaml")


def test_a_list_at_the_top_level_is_rejected() -> None:
    with pytest.raises(ConfigError, match="expected a mapping"):
        parse_config("- a\n- b\n")


def test_errors_carry_the_source_on_every_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("timezone: Nowhere\nextra: 1\n", "site.yaml")
    assert str(caught.value).splitlines() == [
        "site.yaml: timezone: 'Nowhere' is not a known IANA time zone (e.g. Europe/London, UTC)",
        "site.yaml: unknown key 'extra' (expected one of: timezone, mail, groups, promotions, notify, report)",  # noqa: E501  (a message as users read it)
    ]


def test_promotion_for_matches_environments_case_insensitively() -> None:
    config = parse_config(VALID)
    assert config.promotion_for("shop", "staging", "PRODUCTION") is config.promotions[0]
    assert config.promotion_for("shop", "Production", "Staging") is None
    assert config.promotion("evening") is config.promotions[0]


# -- names against Octopus ------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    Id: str
    Name: str
    Slug: str | None = None


PROJECTS = [
    Item("Projects-1", "Identity", "identity"),
    Item("Projects-2", "Catalog", "catalog"),
    Item("Projects-3", "Checkout", "checkout"),
    Item("Projects-4", "Storefront", "storefront-web"),
]
ENVIRONMENTS = [
    Item("Environments-1", "Staging", "staging"),
    Item("Environments-2", "Production", "production"),
]


def test_names_resolve_by_name_slug_or_id_case_insensitively() -> None:
    assert lookup("STOREFRONT", PROJECTS) is PROJECTS[3]
    assert lookup("storefront-web", PROJECTS) is PROJECTS[3]
    assert lookup("projects-2", PROJECTS) is PROJECTS[1]
    assert lookup("Basket", PROJECTS) is None


def test_a_configuration_whose_names_all_exist_has_no_problems() -> None:
    text = VALID.replace(
        "[Identity, Catalog, Checkout, Storefront]", "[identity, Projects-2, Checkout, Storefront]"
    )
    text = text.replace("Checkout: [Identity]", "Checkout: [identity]").replace("[Catalog,", "[Projects-2,")
    assert resolve_names(parse_config(text), PROJECTS, ENVIRONMENTS) == []


def test_unknown_projects_and_environments_are_reported_with_their_paths() -> None:
    text = VALID.replace("Storefront]", "Storefrnt]").replace("Storefront:", "Storefrnt:")
    text = text.replace("to: Production", "to: Prod").replace("[Staging, Production]", "[Staging, QA]")
    assert resolve_names(parse_config(text), PROJECTS, ENVIRONMENTS) == [
        ConfigProblem(
            "groups.shop.projects[3]",
            "project 'Storefrnt' does not exist in the space (did you mean 'Storefront'?)",
        ),
        ConfigProblem("promotions[0].to", "environment 'Prod' does not exist in the space"),
        ConfigProblem(
            "notify.all_deployed[0].environments[1]", "environment 'QA' does not exist in the space"
        ),
    ]


def test_the_example_configuration_is_valid() -> None:
    config = load_config(ROOT / "coord.yaml.example")
    assert resolve_names(config, PROJECTS, ENVIRONMENTS) == []
    assert (
        (ROOT / "coord.yaml.example")
        .read_text()
        .startswith("# yaml-language-server: $schema=./schema/coord.schema.json\n")
    )


# -- the permissions coord needs -------------------------------------------------------------------


def test_permissions_restricted_to_other_projects_or_environments_are_named_with_what_they_miss() -> None:
    everything = {need.permission: [Grant("Spaces-1")] for need in NEEDS}
    projects = {"Projects-1": "Identity", "Projects-3": "Checkout"}
    environments = {"Environments-3": "Production"}
    assert (
        missing_permissions(
            everything, space_id="Spaces-1", projects=projects, environments=environments, promotions=True
        )
        == []
    )
    partial = {
        **everything,
        "DeploymentCreate": [Grant("Spaces-1", project_ids=("Projects-1",))],
        "TaskView": [Grant("Spaces-2")],  # another space's grant does not count here
    }
    missing = missing_permissions(
        partial, space_id="Spaces-1", projects=projects, environments=environments, promotions=True
    )
    assert [str(m) for m in missing] == [
        "TaskView: to follow the tasks of deployments",
        "DeploymentCreate (granted, but not for Checkout): to create the deployments of promotion runs",
    ]
    without_promotions = missing_permissions(
        partial, space_id="Spaces-1", projects=projects, environments=environments, promotions=False
    )
    assert [(m.need.permission, m.required) for m in without_promotions] == [
        ("TaskView", True),
        ("DeploymentCreate", False),
    ]

"""docs/configuration.md is generated from the configuration models and the settings list, and stays so."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
from pydantic import BaseModel, Field

from coord.config import CoordConfig, parse_config
from coord.settings import SECRET_NAMES, SETTING_NAMES, load_settings

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "scripts" / "gen_config_docs.py"


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_config_docs", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


def test_the_committed_configuration_reference_is_what_the_generator_writes() -> None:
    committed = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert committed == gen.generate(), (
        "docs/configuration.md is out of date with coord/config or coord/settings.py: "
        "run `python scripts/gen_config_docs.py` and commit the result"
    )


def test_every_setting_coord_reads_is_described_and_nothing_else() -> None:
    assert set(gen.SETTINGS) == set(SETTING_NAMES)
    assert all(doc.meaning.strip() for doc in gen.SETTINGS.values())


def test_the_settings_table_lists_each_setting_once_with_its_secret_flag() -> None:
    rows = {}
    for line in gen.settings_text().splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        rows[cells[0].strip("`")] = cells[-1]
    assert list(rows) == list(SETTING_NAMES)
    secrets = {name for name, secret in rows.items() if secret == "yes"}
    assert secrets == set(SECRET_NAMES) & set(SETTING_NAMES)


def test_defaults_shown_are_the_ones_settings_applies() -> None:
    defaults = load_settings({})
    lines = {line.split(" | ")[0].strip("| `"): line for line in gen.settings_text().splitlines()[2:]}
    assert f"`{defaults.backfill_days}`" in lines["COORD_BACKFILL_DAYS"]
    assert f"`{defaults.tick_schedule}`" in lines["COORD_TICK_SCHEDULE"]
    assert f"`{defaults.table_prefix}`" in lines["COORD_TABLE_PREFIX"]
    assert f"`{defaults.smtp_port}`" in lines["SMTP_PORT"]


def _section_rows(text: str, heading: str) -> dict[str, list[str]]:
    """The rows of one object's table, by YAML key."""
    block = text.split(f"### {heading}\n", 1)[1].split("\n### ", 1)[0]
    rows = {}
    for line in block.splitlines():
        if line.startswith("| `"):
            cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def test_every_field_of_every_object_is_documented_under_its_yaml_key() -> None:
    text = gen.generate()
    for section in gen.sections():
        rows = _section_rows(text, section.heading)
        expected = [info.alias or name for name, info in section.model.model_fields.items()]
        assert list(rows) == expected, section.heading
        for key, (kind, default, meaning) in rows.items():
            assert kind and default and meaning, f"{section.heading}.{key}"


def test_aliased_fields_appear_as_written_in_coord_yaml() -> None:
    rows = _section_rows(gen.generate(), "`promotions[]`")
    assert "from" in rows and "to" in rows
    assert "source" not in rows and "target" not in rows
    assert "from" in _section_rows(gen.generate(), "`mail`")


def test_types_defaults_and_descriptions_come_from_the_models() -> None:
    rows = _section_rows(gen.generate(), "`promotions[]`")
    assert rows["on_failure"][0] == "`halt` or `rollback`"
    assert rows["on_failure"][1] == "`halt`"
    assert rows["schedule"][0] == "[cron](#value-types)"
    assert rows["schedule"][1] == "not set"
    assert rows["name"][1] == "**required**"
    assert rows["max_parallel"][0] == "integer, at least 1"
    assert rows["windows"][0] == "list of objects ([`promotions[].windows[]`](#promotionswindows))"
    top = _section_rows(gen.generate(), "Top level")
    assert top["timezone"][1] == "`UTC`"
    assert top["timezone"][2] == CoordConfig.model_fields["timezone"].description


def test_every_section_a_type_links_to_exists() -> None:
    text = gen.generate()
    anchors = {gen.slug(line[4:]) for line in text.splitlines() if line.startswith("### ")}
    for target in re.findall(r"\]\(#([^)]+)\)", text):
        assert target in anchors, target


def test_the_example_in_the_reference_is_a_valid_configuration() -> None:
    text = gen.generate()
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    config = parse_config(example, "docs/configuration.md")
    assert config.promotions[0].source == "Staging"
    assert example == (ROOT / "coord.yaml.example").read_text(encoding="utf-8").rstrip("\n") + "\n"


class _Undocumented(BaseModel):
    """An object whose field says nothing about itself."""

    count: int = Field(default=1)


def test_a_field_without_a_description_stops_the_generator() -> None:
    section = gen.Section("undocumented", _Undocumented)
    with pytest.raises(gen.UndocumentedField, match="'count' has no description"):
        gen.section_text(section, {})


class _Described(BaseModel):
    """An object whose fields are documented."""

    count: int = Field(default=1, description="how many")


def test_a_described_field_renders_its_type_default_and_meaning() -> None:
    text = gen.section_text(gen.Section("described", _Described), {})
    assert "| `count` | integer | `1` | how many |" in text


def test_a_setting_without_a_description_stops_the_generator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gen, "SETTING_NAMES", (*SETTING_NAMES, "COORD_SOMETHING_NEW"))
    with pytest.raises(gen.UndocumentedField, match="COORD_SOMETHING_NEW"):
        gen.settings_text()


def test_check_mode_fails_on_a_stale_page_and_writing_fixes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "docs" / "configuration.md"
    page.parent.mkdir()
    page.write_text("# stale\n", encoding="utf-8")
    monkeypatch.setattr(gen, "OUTPUT", page)
    monkeypatch.setattr(gen, "ROOT", tmp_path)
    assert gen.main(["--check"]) == 1
    assert "python scripts/gen_config_docs.py" in capsys.readouterr().err
    assert gen.main([]) == 0
    assert page.read_text(encoding="utf-8") == gen.generate()
    assert gen.main(["--check"]) == 0

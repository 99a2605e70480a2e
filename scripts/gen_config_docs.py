"""Write docs/configuration.md from the configuration models and the settings list.

    python scripts/gen_config_docs.py           # rewrite docs/configuration.md
    python scripts/gen_config_docs.py --check   # exit 1 when the committed page is out of date

Every field of coord.yaml (its YAML key, type, default and description) comes from the pydantic
models in coord/config/models.py, and every setting from coord.settings.SETTING_NAMES, so the
reference cannot drift from what coord accepts. Only the meaning of each environment variable is
written here, because settings.py reads variables rather than declaring models.
"""

from __future__ import annotations

import argparse
import re
import sys
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import annotated_types
from pydantic import BaseModel, WithJsonSchema
from pydantic.fields import FieldInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from coord.config import CoordConfig, fields  # noqa: E402  (the checkout's own package)
from coord.settings import SECRET_NAMES, SETTING_NAMES, load_settings  # noqa: E402

OUTPUT = ROOT / "docs" / "configuration.md"
EXAMPLE = ROOT / "coord.yaml.example"
REGENERATE = "python scripts/gen_config_docs.py"


@dataclass(frozen=True)
class SettingDoc:
    """What a setting means, and its default: `attribute` names the Settings field whose default is shown."""

    meaning: str
    default: str = ""
    attribute: str | None = None


# The meaning of each environment variable (interface.md, "Settings"). A default written with
# {value} shows the default that coord.settings actually applies.
SETTINGS: dict[str, SettingDoc] = {
    "OCTOPUS_SERVER_URL": SettingDoc(
        "Octopus Server base URL, e.g. `https://octopus.example.com`", "required to reach Octopus"
    ),
    "OCTOPUS_API_KEY": SettingDoc(
        "API key, sent as the `X-Octopus-ApiKey` header; in Azure a Key Vault reference",
        "required to reach Octopus",
    ),
    "OCTOPUS_SPACE": SettingDoc("space name or id (`Spaces-1`)", "the server's default space"),
    "COORD_CONFIG": SettingDoc("path of `coord.yaml`", "`coord.yaml` beside `function_app.py`"),
    "COORD_STORAGE": SettingDoc(
        "where coord keeps its tables: an Azure Storage connection string, or a table endpoint URL "
        "`https://ACCOUNT.table.core.windows.net` reached with `DefaultAzureCredential`",
        "the first of the three `AzureWebJobsStorage` forms below",
    ),
    "AzureWebJobsStorage": SettingDoc(
        "the Functions host's storage connection string (or endpoint URL); coord's tables go there "
        "when `COORD_STORAGE` is not set"
    ),
    "AzureWebJobsStorage__tableServiceUri": SettingDoc(
        "the host storage's table endpoint (identity-based host storage); "
        "used when neither of the above is set"
    ),
    "AzureWebJobsStorage__accountName": SettingDoc(
        "the host storage account's name (identity-based host storage); gives "
        "`https://NAME.table.core.windows.net` when none of the above is set"
    ),
    "COORD_TABLE_PREFIX": SettingDoc(
        "prefix of every table coord creates: a letter, then letters and digits (at most 40 characters)",
        "`{value}`",
        "table_prefix",
    ),
    "SMTP_HOST": SettingDoc("send mail through this SMTP server"),
    "SMTP_PORT": SettingDoc(
        "the SMTP server's port", "`{value}`; `465` when `SMTP_SECURITY` is `tls`", "smtp_port"
    ),
    "SMTP_USERNAME": SettingDoc("SMTP login name; needs `SMTP_PASSWORD`", "no login"),
    "SMTP_PASSWORD": SettingDoc("SMTP password"),
    "SMTP_SECURITY": SettingDoc("`starttls`, `tls` (implicit TLS) or `none`", "`{value}`", "smtp_security"),
    "ACS_EMAIL_ENDPOINT": SettingDoc(
        "send mail with Azure Communication Services Email at this `https://` endpoint, "
        "authenticated with the managed identity"
    ),
    "ACS_EMAIL_CONNECTION_STRING": SettingDoc(
        "send mail with Azure Communication Services Email, authenticated with this connection string"
    ),
    "COORD_MAIL_DIR": SettingDoc(
        "write each email as an `.eml` file into this folder instead of sending it (local runs)"
    ),
    "COORD_BACKFILL_DAYS": SettingDoc(
        "how many days of history the first poll reads (0 to 3650)", "`{value}`", "backfill_days"
    ),
    "COORD_WEBHOOK_SECRET": SettingDoc(
        "the value Octopus subscription webhooks must send in the `X-Coord-Secret` header",
        "not set: the webhook answers `401`",
    ),
    "COORD_TICK_SCHEDULE": SettingDoc(
        "when the Functions host runs the `tick` timer function: NCRONTAB with seconds first, in UTC; "
        "a tick follows runs in flight until 5 seconds before the next",
        "`{value}` (every minute)",
        "tick_schedule",
    ),
    "COORD_PUBLIC_URL": SettingDoc(
        "the address readers reach coord's HTTP functions at, e.g. `https://coord.example.com`: emails, "
        "the report and the status page link each promotion run to its `GET /api/promotions/{id}`",
        "`https://` and the Function App's host name (`WEBSITE_HOSTNAME`) in Azure; elsewhere not set: "
        "no links to runs",
    ),
}

# Value types of coord.yaml whose own metadata carries no description.
TYPE_TEXT: dict[str, str] = {
    "time zone": "an IANA time zone name, e.g. `Europe/London` or `UTC`",
    "name": "letters, digits, `.`, `_` and `-`, starting with a letter or digit",
    "Octopus name": "a project or environment as Octopus names it (case-insensitive), its slug, or its id "
    "(`Projects-12`, `Environments-3`)",
}

TYPE_NAMES: list[tuple[Any, str]] = [
    (fields.Cron, "cron"),
    (fields.Zone, "time zone"),
    (fields.Email, "email"),
    (fields.Name, "name"),
    (fields.OctopusName, "Octopus name"),
    (fields.Duration, "duration"),
    (fields.Dependency, "dependency"),
]

_PRIMITIVES = {str: "string", int: "integer", bool: "boolean", float: "number"}


class UndocumentedField(ValueError):
    """A configuration field with neither a description nor a documented model behind it."""


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


@dataclass
class Section:
    """One object of coord.yaml: where it sits, its model, and its rows."""

    path: str
    model: type[BaseModel]

    @property
    def heading(self) -> str:
        return f"`{self.path}`" if self.path else "Top level"

    @property
    def anchor(self) -> str:
        return slug(self.heading)


def sections(model: type[BaseModel] = CoordConfig, path: str = "") -> Iterator[Section]:
    """Every object of the configuration, depth first in field order, the top level first."""
    yield Section(path, model)
    hints = typing.get_type_hints(model, include_extras=True)
    for name, info in model.model_fields.items():
        key = info.alias or name
        nested = _nested_model(hints[name])
        if nested is None:
            continue
        sub_model, suffix = nested
        yield from sections(sub_model, f"{path}.{key}{suffix}" if path else f"{key}{suffix}")


def _nested_model(hint: Any) -> tuple[type[BaseModel], str] | None:
    """The model a field holds (directly, in a list, or as a map's values) and the path suffix."""
    hint = _strip_optional(_bare(hint))
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        return hint, ""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is list:
        inner = _nested_model(args[0])
        return (inner[0], "[]" + inner[1]) if inner else None
    if origin is dict:
        inner = _nested_model(args[1])
        return (inner[0], ".NAME" + inner[1]) if inner else None
    return None


def _bare(hint: Any) -> Any:
    """The hint without pydantic's Annotated wrapper, unless it is one of the named value types."""
    if _type_name(hint) is not None:
        return hint
    if typing.get_origin(hint) is typing.Annotated:
        return typing.get_args(hint)[0]
    return hint


def _strip_optional(hint: Any) -> Any:
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [arg for arg in args if arg is not type(None)]
        return rest[0] if len(rest) == 1 else hint
    return hint


def _type_name(hint: Any) -> str | None:
    for alias, name in TYPE_NAMES:
        if hint == alias:
            return name
    return None


def render_type(hint: Any, links: dict[type[BaseModel], Section]) -> str:
    """A field's type as a reader wants it: value types by name, objects linked to their section."""
    hint = _strip_optional(_bare(hint))
    named = _type_name(hint)
    if named is not None:
        return f"[{named}](#value-types)"
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        section = links[hint]
        return f"object ([{section.heading}](#{section.anchor}))"
    if hint in _PRIMITIVES:
        return _PRIMITIVES[hint]
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Literal:
        return " or ".join(f"`{arg}`" for arg in args)
    if origin is list:
        return "list of " + _plural(render_type(args[0], links))
    if origin is dict:
        return f"map of {render_type(args[0], links)} to {render_type(args[1], links)}"
    msg = f"no way to document the type {hint!r}"
    raise TypeError(msg)


def _plural(text: str) -> str:
    return text.replace("object (", "objects (", 1) if text.startswith("object (") else text


def _constraints(info: FieldInfo) -> str:
    notes = []
    for item in info.metadata:
        if isinstance(item, annotated_types.MinLen) and item.min_length == 1:
            notes.append("at least one")
        elif isinstance(item, annotated_types.MinLen):
            notes.append(f"at least {item.min_length}")
        elif isinstance(item, annotated_types.Ge):
            notes.append(f"at least {item.ge}")
    return f", {', '.join(notes)}" if notes else ""


def render_default(info: FieldInfo) -> str:
    """The default as YAML would spell it, or **required**."""
    if info.is_required():
        return "**required**"
    if info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
        return "`{}`" if isinstance(value, dict) else "`[]`"
    if info.default is None:
        return "not set"
    if isinstance(info.default, timedelta):
        return f"`{fields.format_duration(info.default)}`"
    return f"`{info.default}`"


def describe(name: str, info: FieldInfo, hint: Any) -> str:
    """The field's description, else the docstring of the object it holds."""
    if info.description:
        return info.description
    nested = _nested_model(hint)
    if nested is not None and nested[0].__doc__:
        return nested[0].__doc__.strip().splitlines()[0]
    msg = f"field {name!r} has no description: add Field(description=...) to its model"
    raise UndocumentedField(msg)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def section_text(section: Section, links: dict[type[BaseModel], Section]) -> str:
    """One object's table: key, type, default, meaning."""
    model = section.model
    hints = typing.get_type_hints(model, include_extras=True)
    lines = [f"### {section.heading}", ""]
    doc = (model.__doc__ or "").strip().splitlines()
    if doc:
        lines += [doc[0], ""]
    lines += ["| key | type | default | meaning |", "|---|---|---|---|"]
    for name, info in model.model_fields.items():
        key = info.alias or name
        hint = hints[name]
        kind = render_type(hint, links) + _constraints(info)
        row = [f"`{key}`", kind, render_default(info), describe(key, info, hint)]
        lines.append("| " + " | ".join(_cell(part) for part in row) + " |")
    return "\n".join(lines)


def _type_description(alias: Any, name: str) -> str:
    for item in typing.get_args(alias)[1:]:
        if isinstance(item, FieldInfo) and item.description:
            return item.description
        if isinstance(item, WithJsonSchema) and item.json_schema:
            schema = item.json_schema
            text = str(schema.get("description", ""))
            examples = schema.get("examples")
            if examples:
                text += "; e.g. " + ", ".join(f"`{example}`" for example in examples)
            return text
    if name in TYPE_TEXT:
        return TYPE_TEXT[name]
    msg = f"the value type {name!r} has no description"
    raise UndocumentedField(msg)


def value_types_text() -> str:
    """The named value types and what each accepts."""
    lines = ["### Value types", "", "| type | accepts |", "|---|---|"]
    for alias, name in TYPE_NAMES:
        lines.append(f"| {name} | {_cell(_type_description(alias, name))} |")
    return "\n".join(lines)


def settings_text() -> str:
    """The environment variables, from SETTING_NAMES, with the defaults coord.settings applies."""
    missing = [name for name in SETTING_NAMES if name not in SETTINGS]
    if missing:
        msg = f"settings without a description in {Path(__file__).name}: {', '.join(missing)}"
        raise UndocumentedField(msg)
    defaults = load_settings({})
    lines = ["| name | meaning | default | secret |", "|---|---|---|---|"]
    for name in SETTING_NAMES:
        doc = SETTINGS[name]
        default = doc.default
        if doc.attribute is not None:
            default = default.format(value=getattr(defaults, doc.attribute))
        secret = "yes" if name in SECRET_NAMES else ""
        lines.append(f"| `{name}` | {_cell(doc.meaning)} | {_cell(default)} | {secret} |")
    return "\n".join(lines)


def generate() -> str:
    """The whole page."""
    found = list(sections())
    links = {section.model: section for section in found}
    example = EXAMPLE.read_text(encoding="utf-8").rstrip("\n")
    parts = [
        "# Configuration reference",
        "",
        f"<!-- Generated from coord/config/models.py and coord/settings.py by {REGENERATE}; "
        "edit those, then run it. -->",
        "",
        "coord reads two things: **settings**, environment variables (in Azure, the Function App's "
        "application settings) that say where Octopus, storage and mail are; and **`coord.yaml`**, "
        "which says what to coordinate. Both are checked before any work starts: a setting by its "
        "variable name, a `coord.yaml` field by its path, e.g. "
        "`promotions[0].schedule: '61 * * * *' is not a valid cron expression`. "
        "`python -m coord check-config` also resolves every project and environment name against "
        "the Octopus server.",
        "",
        "## Settings",
        "",
        settings_text(),
        "",
        "Mail goes out through the first of these that is set: `COORD_MAIL_DIR`, then "
        "`ACS_EMAIL_ENDPOINT` or `ACS_EMAIL_CONNECTION_STRING`, then `SMTP_HOST`. With none of them, "
        "mail is off (`check-config` says so) and emails wait in the outbox. Secrets never appear in "
        "logs, errors or reports. [deploy.md](deploy.md) lists the settings the Azure deployment sets.",
        "",
        "## coord.yaml",
        "",
        "Keys not listed here are errors. Projects and environments are named as Octopus shows them, "
        "case-insensitively, or by slug or id. Every schedule and every report day is in `timezone`. "
        "Editors can complete and check the file with `schema/coord.schema.json`.",
        "",
        "The example, `coord.yaml.example`:",
        "",
        "```yaml",
        example,
        "```",
        "",
        "Besides each field's own type, coord checks what spans fields: every group that a promotion "
        "or rule names exists; `depends_on` names only projects of its group and has no cycle; "
        "promotion names are unique; a promotion's `from` and `to` differ; a project is listed once "
        "per group; `mail` is set when `notify` or `report` is.",
        "",
    ]
    for section in found:
        parts += [section_text(section, links), ""]
    parts += [value_types_text(), ""]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write docs/configuration.md from the models.")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when docs/configuration.md is out of date"
    )
    args = parser.parse_args(argv)
    text = generate()
    current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
    if args.check:
        if current != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run {REGENERATE}", file=sys.stderr)
            return 1
        return 0
    if current != text:
        OUTPUT.write_text(text, encoding="utf-8")
        print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Reading coord.yaml: YAML, then the models, then the checks across fields; errors with field paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from coord.config.models import CoordConfig
from coord.config.problems import ConfigError, ConfigProblem, did_you_mean, format_path
from coord.config.references import reference_problems


def load_config(path: Path) -> CoordConfig:
    """Read and validate a coord.yaml file; raise ConfigError listing every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError([ConfigProblem("", "file not found")], str(path)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem("", f"cannot be read: {exc}")], str(path)) from exc
    return parse_config(text, str(path))


def parse_config(text: str, source: str = "coord.yaml") -> CoordConfig:
    """Validate configuration text; raise ConfigError listing every problem with its field path."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError([_yaml_problem(exc)], source) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([ConfigProblem("", "expected a mapping of settings at the top level")], source)
    try:
        config = CoordConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(problems_from_validation(exc), source) from None
    problems = reference_problems(config)
    if problems:
        raise ConfigError(problems, source)
    return config


def _yaml_problem(exc: yaml.YAMLError) -> ConfigProblem:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is not None:
        return ConfigProblem(f"line {mark.line + 1}, column {mark.column + 1}", f"invalid YAML: {problem}")
    return ConfigProblem("", f"invalid YAML: {problem}")


_FRIENDLY = {
    "missing": "is required",
    "int_parsing": "expected a whole number",
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "string_type": "expected text",
    "list_type": "expected a list",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
}


def problems_from_validation(error: ValidationError) -> list[ConfigProblem]:
    """One ConfigProblem per pydantic error, with a field path and what was expected."""
    problems = []
    for item in error.errors(include_url=False):
        loc = list(item["loc"])
        kind = item["type"]
        value = item.get("input")
        # Union members and function validators add their own names to the location; drop them.
        loc = [part for part in loc if not (isinstance(part, str) and ("[" in part and part.endswith("]")))]
        if kind == "extra_forbidden":
            key = str(loc.pop()) if loc else "?"
            known = _known_keys(loc)
            hint = did_you_mean(key, known) or (f" (expected one of: {', '.join(known)})" if known else "")
            message = f"unknown key {key!r}{hint}"
        elif kind == "coord":
            message = item["msg"]
        elif kind == "literal_error":
            expected = item.get("ctx", {}).get("expected", "")
            message = f"expected {expected}, got {value!r}"
        elif kind == "greater_than_equal":
            message = f"expected a number of at least {item['ctx']['ge']}, got {value!r}"
        elif kind == "too_short":
            message = "must list at least one entry"
        elif kind in _FRIENDLY:
            message = _FRIENDLY[kind] + ("" if kind == "missing" else f", got {value!r}")
        else:
            message = item["msg"]
        problems.append(ConfigProblem(format_path(loc), message))
    return problems


def _known_keys(loc: list[str | int]) -> list[str]:
    """The keys allowed at a location, found by walking the models (dict keys and list indexes skip)."""
    model: Any = CoordConfig
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part) or next(
            (f for f in model.model_fields.values() if f.alias == part), None
        )
        if field is None:
            # A dict key (a group name, a project name): the model of the dict's values.
            continue
        model = _model_in(field.annotation)
    if model is None:
        return []
    return [field.alias or name for name, field in model.model_fields.items()]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in getattr(annotation, "__args__", ()):
        found = _model_in(argument)
        if found is not None:
            return found
    return None

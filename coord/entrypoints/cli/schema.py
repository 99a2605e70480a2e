"""`schema`: the JSON Schema of coord.yaml, generated from the models, for editors."""

from __future__ import annotations

import argparse
import json
from typing import Any

from coord.config import CoordConfig
from coord.entrypoints.cli.context import CliContext

SCHEMA_ID = "https://json-schema.org/draft/2020-12/schema"


def config_schema() -> dict[str, Any]:
    """The JSON Schema of coord.yaml as the models define it."""
    schema = CoordConfig.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": SCHEMA_ID, **schema}


def schema_text() -> str:
    """The schema as the committed file holds it."""
    return json.dumps(config_schema(), indent=2, sort_keys=False) + "\n"


def run(args: argparse.Namespace, context: CliContext) -> int:
    """Print the schema."""
    context.console.out.write(schema_text())
    return 0

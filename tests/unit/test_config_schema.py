"""The published JSON Schema of coord.yaml is the one the models generate, and imports stay light."""

import json
import subprocess
import sys
from pathlib import Path

from coord.entrypoints.cli.schema import config_schema, schema_text

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_schema_is_the_generated_one() -> None:
    committed = (ROOT / "schema" / "coord.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(), "regenerate with: python -m coord schema > schema/coord.schema.json"


def test_the_schema_forbids_unknown_keys_and_knows_the_aliases() -> None:
    schema = config_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    promotion = schema["$defs"]["Promotion"]
    assert promotion["additionalProperties"] is False
    assert {"from", "to", "schedule", "on_failure", "max_parallel", "windows"} <= set(promotion["properties"])
    assert promotion["properties"]["on_failure"]["enum"] == ["halt", "rollback"]
    assert schema["$defs"]["MailConfig"]["required"] == ["from"]
    dependency = schema["$defs"]["Group"]["properties"]["depends_on"]["additionalProperties"]["items"]
    assert dependency["type"] == "string"
    assert json.loads(schema_text()) == schema


def test_config_and_settings_import_no_azure_or_http_library() -> None:
    code = (
        "import sys, coord.config, coord.settings, coord.schedules.cron, coord.domain.versions,"
        " coord.entrypoints.cli.parser;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'azure', 'httpx', 'jinja2'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

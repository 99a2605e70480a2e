"""Build the Octopus step templates (steps/*.json) from their scripts: `python steps/build.py`.

Each template embeds its script file exactly, so the JSON a user imports into Octopus
(Library > Step Templates > Import) and the script tested here never drift apart.
`python steps/build.py --check` exits 1 when a JSON file is not what the scripts give.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# Ids derive from names, so a rebuilt template keeps its id and Octopus updates it on import.
NAMESPACE = uuid.UUID("6f1d3b52-6a0e-4c57-9a2b-3c0f1e7d9a41")
EXPORTED_AT = "2026-11-26T00:00:00.000Z"
OCTOPUS_VERSION = "2024.3.7046"
SYNTAXES = {"sh": ("Bash", ""), "ps1": ("PowerShell", " (PowerShell)")}

URL = (
    "Coord.Url",
    "coord URL",
    "The coord Function App's base URL, e.g. `https://coord-func.azurewebsites.net`.",
    "",
)
KEY = (
    "Coord.FunctionKey",
    "Function key",
    "A function key of the coord Function App (sent as the `x-functions-key` header).",
    "",
    "Sensitive",
)
LOCK_NAME = (
    "Coord.Lock.Name",
    "Lock name",
    "Deployments that use the same lock name run this part one at a time, first come first served.",
    "#{Octopus.Environment.Name}",
)

TEMPLATES: list[dict[str, Any]] = [
    {
        "script": "acquire-lock",
        "name": "coord: acquire lock",
        "description": (
            "Waits for a named coord lock, first come first served, and takes it. Put the steps that must "
            "not run at the same time as another project's between this step and **coord: release lock**. "
            "Sets the output variable `LockToken`. A lock whose deployment dies frees itself when its time "
            "to live ends."
        ),
        "parameters": [
            URL,
            KEY,
            LOCK_NAME,
            (
                "Coord.Lock.Holder",
                "Holder",
                "Who holds the lock, as other deployments waiting for it see it.",
                "#{Octopus.Project.Name} #{Octopus.Release.Number} (#{Octopus.Deployment.Id})",
            ),
            (
                "Coord.Lock.TtlSeconds",
                "Time to live (seconds)",
                "The lock frees itself after this long, even if it is never released: "
                "longer than the locked steps take.",
                "3600",
            ),
            (
                "Coord.Lock.TimeoutSeconds",
                "Wait timeout (seconds)",
                "Fail this step if the lock is not granted within this time.",
                "1800",
            ),
        ],
    },
    {
        "script": "release-lock",
        "name": "coord: release lock",
        "description": (
            "Releases the lock taken by a **coord: acquire lock** step of this deployment. Set this step's "
            "run condition to **Always run**, so that a failed deployment releases the lock too."
        ),
        "parameters": [
            URL,
            KEY,
            LOCK_NAME,
            (
                "Coord.Lock.AcquireStep",
                "Acquiring step",
                "The name of the **coord: acquire lock** step whose `LockToken` output is released.",
                "coord: acquire lock",
            ),
            (
                "Coord.Lock.Token",
                "Token (optional)",
                "A lock token to release instead of the acquiring step's output, e.g. "
                "`#{Octopus.Action[Take the database lock].Output.LockToken}`.",
                "",
            ),
            (
                "Coord.Lock.TimeoutSeconds",
                "Timeout (seconds)",
                "How long to retry when coord does not answer.",
                "120",
            ),
        ],
    },
    {
        "script": "wait-for-gate",
        "name": "coord: wait for gate",
        "description": (
            "Waits until every project of a coord group is current and successful in an environment, "
            "optionally at given versions, and logs what it is still waiting for."
        ),
        "parameters": [
            URL,
            KEY,
            ("Coord.Gate.Group", "Group", "A group under `groups` in coord.yaml.", ""),
            (
                "Coord.Gate.Environment",
                "Environment",
                "The environment in which the group's projects must be deployed.",
                "#{Octopus.Environment.Name}",
            ),
            (
                "Coord.Gate.Projects",
                "Only these projects (optional)",
                "Wait only for these projects of the group (comma-separated); empty: every project.",
                "",
            ),
            (
                "Coord.Gate.Versions",
                "Versions (optional)",
                "Versions the projects must be at, e.g. `Checkout:3.2.1,Identity:>=1.4`.",
                "",
            ),
            (
                "Coord.Gate.Exclude",
                "Leave out",
                "Projects of the group not to wait for (comma-separated); by default this project itself.",
                "#{Octopus.Project.Name}",
            ),
            (
                "Coord.Gate.TimeoutSeconds",
                "Timeout (seconds)",
                "Fail this step if the gate is still closed then.",
                "3600",
            ),
            ("Coord.Gate.PollSeconds", "Poll interval (seconds)", "How often to ask coord.", "30"),
        ],
    },
]


def template(spec: dict[str, Any], extension: str) -> dict[str, Any]:
    """The step template of `spec` with its script in one syntax, in Octopus's export format."""
    syntax, suffix = SYNTAXES[extension]
    name = spec["name"] + suffix
    body = (HERE / f"{spec['script']}.{extension}").read_text(encoding="utf-8")
    return {
        "Id": str(uuid.uuid5(NAMESPACE, name)),
        "Name": name,
        "Description": spec["description"],
        "ActionType": "Octopus.Script",
        "Version": 1,
        "CommunityActionTemplateId": None,
        "Packages": [],
        "GitDependencies": [],
        "Properties": {
            "Octopus.Action.Script.ScriptSource": "Inline",
            "Octopus.Action.Script.Syntax": syntax,
            "Octopus.Action.Script.ScriptBody": body,
        },
        "Parameters": [_parameter(name, parameter) for parameter in spec["parameters"]],
        "StepPackageId": "Octopus.Script",
        "$Meta": {"ExportedAt": EXPORTED_AT, "OctopusVersion": OCTOPUS_VERSION, "Type": "ActionTemplate"},
        "LastModifiedBy": "coord",
        "Category": "coord",
    }


def _parameter(template_name: str, parameter: tuple[str, ...]) -> dict[str, Any]:
    name, label, help_text, default, *control = parameter
    return {
        "Id": str(uuid.uuid5(NAMESPACE, f"{template_name}/{name}")),
        "Name": name,
        "Label": label,
        "HelpText": help_text,
        "DefaultValue": default,
        "DisplaySettings": {"Octopus.ControlType": control[0] if control else "SingleLineText"},
    }


def outputs() -> dict[Path, str]:
    """Every template file and the text it should hold."""
    files = {}
    for spec in TEMPLATES:
        for extension, (syntax, _) in SYNTAXES.items():
            path = HERE / f"{spec['script']}.{syntax.lower()}.json"
            files[path] = json.dumps(template(spec, extension), indent=2, ensure_ascii=False) + "\n"
    return files


def main(argv: list[str]) -> int:
    stale = [path for path, text in outputs().items() if not path.exists() or path.read_text("utf-8") != text]
    if "--check" in argv:
        for path in stale:
            sys.stderr.write(f"{path.name} is out of date: run python steps/build.py\n")
        return 1 if stale else 0
    for path, text in outputs().items():
        path.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {len(outputs())} step templates\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

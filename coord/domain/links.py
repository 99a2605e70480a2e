"""Where a reader clicks next: deployments, releases and tasks in Octopus's web app, runs in coord (pure).

Octopus's web app routes live after `/app#/`, scoped by space id. The shapes below are the ones
Octopus's own tools link to: OctopusDeploy/mcp-server @ bc929e6 (`src/tools/listDeployments.ts` builds
`{server}/app#/{spaceId}/projects/{projectId}/deployments/releases/{releaseVersion}/deployments/{deploymentId}`,
`src/tools/findInterruptions.ts` builds `{server}/app#/{spaceId}/tasks/{taskId}`), and Octopus's
Slack and Teams documentation (`docs/administration/managing-infrastructure/slack-integration.md`,
"Supported URLs": a release page is `.../Spaces-N/projects/{project}/deployments/releases/{version}`).
The web app takes a project's id where it shows the slug, as the MCP server's links do.

Links into coord's own API need its public address (the `COORD_PUBLIC_URL` setting, else the
Function App's host name); without one, no run link is drawn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Characters encoded in a route segment; `+` stays so SemVer build metadata reads as written.
_UNSAFE = re.compile(r"[^A-Za-z0-9\-._~+]")


def _segment(text: str) -> str:
    """`text` percent-encoded for one path segment of a route."""
    return _UNSAFE.sub(lambda found: "".join(f"%{b:02X}" for b in found[0].encode()), text)


@dataclass(frozen=True, slots=True)
class Links:
    """The addresses of one installation: its Octopus server and space, and coord's public URL."""

    octopus_url: str | None = None
    space_id: str | None = None
    coord_url: str | None = None

    def _octopus(self, route: str) -> str | None:
        if not self.octopus_url:
            return None
        space = f"{_segment(self.space_id)}/" if self.space_id else ""
        return f"{self.octopus_url.rstrip('/')}/app#/{space}{route}"

    def deployment(self, project_id: str, version: str, deployment_id: str) -> str | None:
        """A deployment's page: its task log, variables and changes."""
        if not (project_id and version and deployment_id):
            return None
        return self._octopus(
            f"projects/{_segment(project_id)}/deployments/releases/{_segment(version)}"
            f"/deployments/{_segment(deployment_id)}"
        )

    def release(self, project_id: str, version: str) -> str | None:
        """A release's page: where it has been deployed, in lifecycle order."""
        if not (project_id and version):
            return None
        return self._octopus(f"projects/{_segment(project_id)}/deployments/releases/{_segment(version)}")

    def task(self, task_id: str | None) -> str | None:
        """A server task's page: the task log."""
        return self._octopus(f"tasks/{_segment(task_id)}") if task_id else None

    def run(self, run_id: str) -> str | None:
        """`GET /api/promotions/{id}` of a promotion run."""
        return f"{self.coord_url.rstrip('/')}/api/promotions/{_segment(run_id)}" if self.coord_url else None

    def report(self, day: str) -> str | None:
        """`GET /api/reports/{date}`: the daily report as a page."""
        return f"{self.coord_url.rstrip('/')}/api/reports/{_segment(day)}" if self.coord_url else None

    def status(self) -> str | None:
        """`GET /api/status.html`: the live status page."""
        return f"{self.coord_url.rstrip('/')}/api/status.html" if self.coord_url else None

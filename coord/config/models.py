"""The pydantic models of coord.yaml, exactly as interface.md shows it (unknown keys rejected)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from coord.config.fields import (
    Cron,
    Dependency,
    DependencySpec,
    Duration,
    Email,
    Name,
    OctopusName,
    Zone,
)

# A promotion run still going after this long ends TimedOut and frees its group (interface.md).
DEFAULT_RUN_TIMEOUT = timedelta(hours=6)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class MailConfig(_Model):
    """Who coord's emails come from."""

    sender: Email = Field(alias="from", description="the From address of every email coord sends")


class Group(_Model):
    """Octopus projects that are promoted and reported together."""

    projects: list[OctopusName] = Field(
        min_length=1, description="Octopus project names, slugs or ids (case-insensitive)"
    )
    depends_on: dict[OctopusName, list[Dependency]] = Field(
        default_factory=dict,
        description="project -> the projects of this group it needs first (optional version constraint)",
    )

    def canonical(self, name: str) -> str | None:
        """The spelling under `projects` of a project named case-insensitively (None if not listed)."""
        wanted = name.casefold()
        return next((project for project in self.projects if project.casefold() == wanted), None)

    def dependencies(self) -> dict[str, tuple[DependencySpec, ...]]:
        """Every project of the group -> what it needs first, with names spelled as under `projects`."""
        graph: dict[str, tuple[DependencySpec, ...]] = {project: () for project in self.projects}
        for name, needs in self.depends_on.items():
            project = self.canonical(name) or name
            graph[project] = tuple(
                DependencySpec(self.canonical(need.project) or need.project, need.constraint)
                for need in needs
            )
        return graph


class DenyWindow(_Model):
    """A period in which no run starts and no new deployment of a run starts."""

    kind: Literal["deny"] = Field(description="only deny windows exist")
    schedule: Cron = Field(description="when each window opens: a 5-field cron in `timezone`")
    duration: Duration = Field(description="how long each window stays open, e.g. 72h")


class Promotion(_Model):
    """A promotion of a group from one environment to another, on a schedule or on demand."""

    name: Name = Field(description="unique name; part of each slot's once-only key")
    group: str = Field(description="a group under `groups`")
    source: OctopusName = Field(
        alias="from", description="environment whose successful releases are promoted"
    )
    target: OctopusName = Field(alias="to", description="environment deployed to")
    schedule: Cron | None = Field(
        default=None, description="5-field cron in `timezone`; without it the entry only sets ad-hoc defaults"
    )
    on_failure: Literal["halt", "rollback"] = Field(
        default="halt",
        description="halt: start nothing further; rollback: also redeploy what each changed project had",
    )
    max_parallel: int | None = Field(
        default=None, ge=1, description="deployments at once within a run (default: no limit)"
    )
    windows: list[DenyWindow] = Field(default_factory=list, description="deny windows")
    timeout: Duration = Field(
        default=DEFAULT_RUN_TIMEOUT,
        description="a run still going after this long ends TimedOut and frees the group (default 6h)",
        json_schema_extra={"default": "6h"},
    )


class AllDeployedRule(_Model):
    """Send one email when every project of a group is deployed to an environment."""

    group: str = Field(description="a group under `groups`")
    environments: list[OctopusName] = Field(min_length=1, description="Octopus environment names or ids")
    to: list[Email] = Field(min_length=1, description="recipients")


class PromotionNotice(_Model):
    """Who hears the outcome of every promotion run."""

    to: list[Email] = Field(min_length=1, description="recipients")


class Notify(_Model):
    """Emails coord sends as things happen."""

    all_deployed: list[AllDeployedRule] = Field(default_factory=list)
    promotions: PromotionNotice | None = None


class ReportConfig(_Model):
    """The daily deployment report of the previous local day."""

    schedule: Cron = Field(description="when the report is built and sent, a 5-field cron in `timezone`")
    to: list[Email] = Field(min_length=1, description="recipients")


class CoordConfig(_Model):
    """coord.yaml: groups of Octopus projects, their promotions, notifications and the daily report."""

    model_config = ConfigDict(title="coord configuration")

    timezone: Zone = Field(
        default="UTC",
        description="IANA time zone of every schedule and every report day, DST-correct (default: UTC)",
    )
    mail: MailConfig | None = Field(default=None, description="required when notify or report is set")
    groups: dict[Name, Group] = Field(default_factory=dict, description="group name -> its projects")
    promotions: list[Promotion] = Field(default_factory=list)
    notify: Notify | None = None
    report: ReportConfig | None = None

    @property
    def zone(self) -> ZoneInfo:
        """The configured zone."""
        return ZoneInfo(self.timezone)

    def promotion(self, name: str) -> Promotion | None:
        """The promotion entry of that name."""
        return next((promotion for promotion in self.promotions if promotion.name == name), None)

    def promotion_for(self, group: str, source: str, target: str) -> Promotion | None:
        """The first promotion entry with that group and environments (environments case-insensitive)."""
        for promotion in self.promotions:
            if (
                promotion.group == group
                and promotion.source.casefold() == source.casefold()
                and promotion.target.casefold() == target.casefold()
            ):
                return promotion
        return None

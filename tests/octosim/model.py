"""The simulated Octopus world: plain records, one per Octopus document type."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

# octopus-api.md §3 ServerTask and Holdout 1: the enum strings exactly (one "l" in Canceled).
QUEUED, EXECUTING, FAILED, CANCELED, TIMED_OUT, SUCCESS, CANCELLING = (
    "Queued",
    "Executing",
    "Failed",
    "Canceled",
    "TimedOut",
    "Success",
    "Cancelling",
)
TASK_STATES = (QUEUED, EXECUTING, FAILED, CANCELED, TIMED_OUT, SUCCESS, CANCELLING)
# Holdout 5: Cancelling is not completed.
UNFINISHED_STATES = frozenset({QUEUED, EXECUTING, CANCELLING})

# Outcomes a scenario or test can script for a deployment's task.
OUTCOMES = ("Success", "Failed", "TimedOut", "Canceled", "ManualIntervention", "GuidedFailure")


@dataclass
class Space:
    id: str
    name: str
    is_default: bool = False
    slug: str = ""


@dataclass
class ProjectGroup:
    id: str
    name: str
    space_id: str
    description: str = ""


@dataclass
class Environment:
    id: str
    name: str
    space_id: str
    sort_order: int
    slug: str = ""
    use_guided_failure: bool = False


@dataclass
class Phase:
    id: str
    name: str
    automatic: list[str] = field(default_factory=list)
    optional: list[str] = field(default_factory=list)
    minimum: int = 0
    is_optional: bool = False


@dataclass
class Lifecycle:
    id: str
    name: str
    space_id: str
    phases: list[Phase] = field(default_factory=list)
    slug: str = ""


@dataclass
class Project:
    id: str
    name: str
    slug: str
    space_id: str
    group_id: str
    lifecycle_id: str
    tenanted_mode: str = "Untenanted"
    description: str = ""
    is_disabled: bool = False
    # The dashboard shows the latest release of each channel (octopus-api-checked.md §4).
    discrete_channel_release: bool = False


@dataclass
class Channel:
    id: str
    name: str
    project_id: str
    space_id: str
    lifecycle_id: str | None = None
    is_default: bool = False


@dataclass
class Tenant:
    id: str
    name: str
    space_id: str
    project_environments: dict[str, list[str]] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    is_disabled: bool = False


@dataclass
class Release:
    id: str
    version: str
    project_id: str
    channel_id: str
    space_id: str
    assembled: datetime
    notes: str | None = None
    seq: int = 0


@dataclass
class Script:
    """How a deployment's task will run: scripted by a scenario, a test or the defaults."""

    outcome: str = "Success"
    queue_delay: timedelta = timedelta(seconds=2)
    duration: timedelta = timedelta(seconds=30)
    interrupt_after: timedelta = timedelta(seconds=10)
    error_message: str | None = None


@dataclass
class Deployment:
    id: str
    name: str
    release_id: str
    environment_id: str
    project_id: str
    channel_id: str
    space_id: str
    task_id: str
    created: datetime
    tenant_id: str | None = None
    comments: str | None = None
    form_values: dict[str, Any] = field(default_factory=dict)
    queue_time: datetime | None = None
    queue_time_expiry: datetime | None = None
    deployed_by: str = "system"
    deployed_by_id: str = "users-system"
    extra: dict[str, Any] = field(default_factory=dict)
    seq: int = 0


@dataclass
class Task:
    id: str
    name: str
    description: str
    space_id: str
    project_id: str | None
    deployment_id: str | None
    queue_time: datetime
    script: Script
    state: str = QUEUED
    start_time: datetime | None = None
    completed_time: datetime | None = None
    last_updated: datetime | None = None
    error_message: str = ""
    queue_time_expiry: datetime | None = None
    pending_interruption: str | None = None
    executed: timedelta = timedelta(0)
    environment_id: str | None = None
    tenant_id: str | None = None
    seq: int = 0


@dataclass
class Event:
    id: str
    auto_id: int
    category: str
    occurred: datetime
    message: str
    related: list[str]
    space_id: str
    user_id: str = "users-system"
    username: str = "system"
    user_agent: str = "Server"
    is_service: bool = False
    comments: str | None = None


@dataclass
class Interruption:
    id: str
    type: str
    title: str
    task_id: str
    space_id: str
    created: datetime
    related: list[str]
    is_pending: bool = True
    responsible_user_id: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    seq: int = 0


@dataclass
class Subscription:
    id: str
    name: str
    space_id: str
    webhook_uri: str
    header_key: str | None = None
    header_value: str | None = None
    categories: list[str] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)
    environments: list[str] = field(default_factory=list)
    timeout: str = "00:00:10"
    is_disabled: bool = False
    # Delivery faults: each payload sent twice with this probability; batches delivered in reverse;
    # this share of payloads held back and sent `late_seconds` (simulated) later.
    duplicate_rate: float = 0.0
    out_of_order: bool = False
    late_rate: float = 0.0
    late_seconds: float = 60.0

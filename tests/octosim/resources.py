"""Octopus resource JSON, with the exact field names of octopus-api.md §3."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from tests.octosim.formats import completed_text, duration_text, iso
from tests.octosim.model import (
    CANCELLING,
    EXECUTING,
    FAILED,
    QUEUED,
    SUCCESS,
    TIMED_OUT,
    UNFINISHED_STATES,
    Channel,
    Deployment,
    Environment,
    Event,
    Interruption,
    Lifecycle,
    Project,
    ProjectGroup,
    Release,
    Space,
    Subscription,
    Task,
    Tenant,
)

if TYPE_CHECKING:
    from tests.octosim.simulator import Simulator

_RETENTION = {"QuantityToKeep": 30, "ShouldKeepForever": False, "Unit": "Days", "Strategy": "Count"}
_KEEP_FOREVER = {"QuantityToKeep": 0, "ShouldKeepForever": True, "Unit": "Items", "Strategy": "Forever"}


def _base(resource_id: str, links: dict[str, str]) -> dict[str, Any]:
    # octopus-api.md §3: every resource has Id, LastModifiedOn, LastModifiedBy, Links.
    return {"Id": resource_id, "LastModifiedOn": None, "LastModifiedBy": None, "Links": links}


def space_json(space: Space) -> dict[str, Any]:
    body = _base(
        space.id,
        {
            "Self": f"/api/spaces/{space.id}",
            "SpaceHome": f"/api/{space.id}",
            "Web": f"/app#/spaces/{space.id}",
        },
    )
    body.update(
        {
            "Name": space.name,
            "Slug": space.slug,
            "Description": None,
            "IsDefault": space.is_default,
            "IsPrivate": False,
            "TaskQueueStopped": False,
            "SpaceManagersTeams": [],
            "SpaceManagersTeamMembers": [],
            "Icon": None,
            "ExtensionSettings": [],
        }
    )
    return body


def project_group_json(group: ProjectGroup) -> dict[str, Any]:
    prefix = f"/api/{group.space_id}/projectgroups/{group.id}"
    body = _base(group.id, {"Self": prefix, "Projects": f"{prefix}/projects{{?skip,take}}"})
    body.update(
        {
            "Name": group.name,
            "Description": group.description,
            "EnvironmentIds": [],
            "RetentionPolicyId": None,
            "SpaceId": group.space_id,
            "Slug": group.name.lower(),
        }
    )
    return body


def environment_json(env: Environment) -> dict[str, Any]:
    prefix = f"/api/{env.space_id}/environments/{env.id}"
    body = _base(
        env.id,
        {
            "Self": prefix,
            "Machines": f"{prefix}/machines{{?skip,take}}",
            "Web": f"/app#/{env.space_id}/infrastructure/environments/{env.id}",
        },
    )
    body.update(
        {
            "Name": env.name,
            "Description": "",
            "SortOrder": env.sort_order,
            "UseGuidedFailure": env.use_guided_failure,
            "AllowDynamicInfrastructure": False,
            "SpaceId": env.space_id,
            "Slug": env.slug,
            "EnvironmentTags": [],
            "ExtensionSettings": [],
        }
    )
    return body


def lifecycle_json(lifecycle: Lifecycle) -> dict[str, Any]:
    body = _base(
        lifecycle.id,
        {
            "Self": f"/api/{lifecycle.space_id}/lifecycles/{lifecycle.id}",
            "Preview": f"/api/{lifecycle.space_id}/lifecycles/{lifecycle.id}/preview",
        },
    )
    body.update(
        {
            "Name": lifecycle.name,
            "Description": "",
            "SpaceId": lifecycle.space_id,
            "Slug": lifecycle.slug,
            "ReleaseRetentionPolicy": dict(_RETENTION),
            "TentacleRetentionPolicy": dict(_RETENTION),
            "Phases": [
                {
                    "Id": p.id,
                    "Name": p.name,
                    "AutomaticDeploymentTargets": list(p.automatic),
                    "OptionalDeploymentTargets": list(p.optional),
                    "MinimumEnvironmentsBeforePromotion": p.minimum,
                    "IsOptionalPhase": p.is_optional,
                    "IsPriorityPhase": False,
                    "ReleaseRetentionPolicy": None,
                    "TentacleRetentionPolicy": None,
                }
                for p in lifecycle.phases
            ],
        }
    )
    return body


def project_json(project: Project) -> dict[str, Any]:
    prefix = f"/api/{project.space_id}/projects/{project.id}"
    body = _base(
        project.id,
        {
            "Self": prefix,
            "Releases": f"{prefix}/releases{{/version}}{{?skip,take,searchByVersion}}",
            "Channels": f"{prefix}/channels{{/id}}{{?skip,take,partialName}}",
            "Progression": f"/api/{project.space_id}/progression/{project.id}{{?aggregate}}",
            "DeploymentProcess": f"{prefix}/deploymentprocesses",
            "Web": f"/app#/{project.space_id}/projects/{project.id}",
        },
    )
    body.update(
        {
            "Name": project.name,
            "Slug": project.slug,
            "Description": project.description,
            "IsDisabled": project.is_disabled,
            "ProjectGroupId": project.group_id,
            "LifecycleId": project.lifecycle_id,
            "VariableSetId": f"variableset-{project.id}",
            "DeploymentProcessId": f"deploymentprocess-{project.id}",
            "ClonedFromProjectId": None,
            "AutoCreateRelease": False,
            "IsVersionControlled": False,
            "DiscreteChannelRelease": project.discrete_channel_release,
            "IncludedLibraryVariableSetIds": [],
            "TenantedDeploymentMode": project.tenanted_mode,
            "DefaultGuidedFailureMode": "EnvironmentDefault",
            "DefaultToSkipIfAlreadyInstalled": False,
            "ReleaseCreationStrategy": {
                "ReleaseCreationPackage": None,
                "ChannelId": None,
                "ReleaseCreationPackageStepId": None,
            },
            "VersioningStrategy": {
                "Template": "#{Octopus.Version.LastMajor}.#{Octopus.Version.LastMinor}."
                "#{Octopus.Version.NextPatch}",
                "DonorPackage": None,
            },
            "Templates": [],
            "AutoDeployReleaseOverrides": [],
            "ProjectConnectivityPolicy": {
                "SkipMachineBehavior": "None",
                "TargetRoles": [],
                "AllowDeploymentsToNoTargets": True,
                "ExcludeUnhealthyTargets": False,
            },
            "SpaceId": project.space_id,
            "ExtensionSettings": [],
        }
    )
    return body


def channel_json(channel: Channel) -> dict[str, Any]:
    body = _base(
        channel.id,
        {
            "Self": f"/api/{channel.space_id}/projects/{channel.project_id}/channels/{channel.id}",
            "Project": f"/api/{channel.space_id}/projects/{channel.project_id}",
        },
    )
    body.update(
        {
            "Name": channel.name,
            "Description": "",
            "ProjectId": channel.project_id,
            "LifecycleId": channel.lifecycle_id,
            "IsDefault": channel.is_default,
            "Rules": [],
            "TenantTags": [],
            "GitReferenceRules": [],
            "SpaceId": channel.space_id,
            "Slug": channel.name.lower(),
        }
    )
    return body


def tenant_json(tenant: Tenant) -> dict[str, Any]:
    body = _base(
        tenant.id,
        {
            "Self": f"/api/{tenant.space_id}/tenants/{tenant.id}",
            "Web": f"/app#/{tenant.space_id}/tenants/{tenant.id}/overview",
        },
    )
    body.update(
        {
            "Name": tenant.name,
            "Description": None,
            "TenantTags": list(tenant.tags),
            "ProjectEnvironments": {k: list(v) for k, v in tenant.project_environments.items()},
            "ClonedFromTenantId": None,
            "IsDisabled": tenant.is_disabled,
            "Slug": tenant.name.lower().replace(" ", "-"),
            "SpaceId": tenant.space_id,
        }
    )
    return body


def release_json(release: Release) -> dict[str, Any]:
    prefix = f"/api/{release.space_id}/releases/{release.id}"
    body = _base(
        release.id,
        {
            "Self": prefix,
            "Project": f"/api/{release.space_id}/projects/{release.project_id}",
            "Channel": f"/api/{release.space_id}/channels/{release.channel_id}",
            "Deployments": f"{prefix}/deployments{{?skip,take}}",
            "DeploymentTemplate": f"{prefix}/deployments/template",
            "Progression": f"{prefix}/progression",
            "Web": f"/app#/{release.space_id}/releases/{release.id}",
        },
    )
    body.update(
        {
            "Version": release.version,
            "ProjectId": release.project_id,
            "ChannelId": release.channel_id,
            "ReleaseNotes": release.notes,
            "Assembled": iso(release.assembled),
            "ProjectDeploymentProcessSnapshotId": f"deploymentprocess-{release.project_id}-s{release.seq}",
            "ProjectVariableSetSnapshotId": f"variableset-{release.project_id}-s{release.seq}",
            "LibraryVariableSetSnapshotIds": [],
            "SelectedPackages": [],
            "SelectedGitResources": [],
            "BuildInformation": [],
            "VersionControlReference": None,
            "IsPackageVersionMasked": False,
            "SpaceId": release.space_id,
        }
    )
    return body


def deployment_json(sim: Simulator, dep: Deployment) -> dict[str, Any]:
    prefix = f"/api/{dep.space_id}/deployments/{dep.id}"
    body = _base(
        dep.id,
        {
            "Self": prefix,
            "Release": f"/api/{dep.space_id}/releases/{dep.release_id}",
            "Environment": f"/api/{dep.space_id}/environments/{dep.environment_id}",
            "Project": f"/api/{dep.space_id}/projects/{dep.project_id}",
            "Task": f"/api/tasks/{dep.task_id}",
            "Interruptions": f"/api/{dep.space_id}/interruptions?regarding={dep.id}",
            "Web": f"/app#/{dep.space_id}/deployments/{dep.id}",
        },
    )
    if dep.tenant_id:
        body["Links"]["Tenant"] = f"/api/{dep.space_id}/tenants/{dep.tenant_id}"
    task = sim.tasks[dep.task_id]
    body.update(
        {
            "ReleaseId": dep.release_id,
            "EnvironmentId": dep.environment_id,
            "TenantId": dep.tenant_id,
            "ProjectId": dep.project_id,
            "ChannelId": dep.channel_id,
            "DeploymentProcessId": f"deploymentprocess-{dep.project_id}",
            "TaskId": dep.task_id,
            "Name": dep.name,
            "Created": iso(dep.created),
            "Comments": dep.comments,
            "FormValues": dep.form_values,
            "QueueTime": iso(dep.queue_time),
            "QueueTimeExpiry": iso(dep.queue_time_expiry),
            "SkipActions": list(dep.extra.get("SkipActions") or []),
            "SpecificMachineIds": list(dep.extra.get("SpecificMachineIds") or []),
            "ExcludedMachineIds": list(dep.extra.get("ExcludedMachineIds") or []),
            "ForcePackageDownload": bool(dep.extra.get("ForcePackageDownload", False)),
            "ForcePackageRedeployment": bool(dep.extra.get("ForcePackageRedeployment", False)),
            "UseGuidedFailure": bool(dep.extra.get("UseGuidedFailure", False)),
            "ManifestVariableSetId": f"variableset-{dep.id}",
            "Changes": [],
            "ChangesMarkdown": "",
            "DeployedBy": dep.deployed_by,
            "DeployedById": dep.deployed_by_id,
            "DeployedToMachineIds": [],
            "FailureEncountered": task.state == FAILED,
            "TentacleRetentionPeriod": None,
            "Priority": dep.extra.get("Priority") or "LifecycleDefault",
            "DebugMode": False,
            "FailTargetDiscovery": False,
            "SpecificTargetTagIds": [],
            "ExcludedTargetTagIds": [],
            "SpaceId": dep.space_id,
        }
    )
    return body


def _completed(task: Task) -> str:
    # octopus-api.md §3 ServerTask: `Completed` is display text, not a timestamp.
    if task.state == QUEUED:
        return "Queued..."
    if task.state == EXECUTING:
        return "Executing..."
    if task.state == CANCELLING:
        return "Cancelling..."
    if task.state == TIMED_OUT:
        return "Timed out"
    return completed_text(task.completed_time) if task.completed_time else ""


def task_duration(task: Task, now: datetime) -> str:
    """Human duration: from start (or queue time, before it starts) to completion or now."""
    begin = task.start_time or task.queue_time
    end = task.completed_time or max(now, begin)
    return duration_text(end - begin)


def task_json(sim: Simulator, task: Task) -> dict[str, Any]:
    now = sim.clock.now()
    links = {
        "Self": f"/api/tasks/{task.id}",
        "Web": f"/app#/{task.space_id}/tasks/{task.id}",
        "Raw": f"/api/tasks/{task.id}/raw",
        "Rerun": f"/api/tasks/rerun/{task.id}",
        "Cancel": f"/api/tasks/{task.id}/cancel",
        "QueuedBehind": f"/api/tasks/{task.id}/queued-behind{{?skip,take}}",
        "Details": f"/api/tasks/{task.id}/details{{?verbose,tail}}",
        "StatusMessages": f"/api/tasks/{task.id}/status/messages",
        "Artifacts": f"/api/{task.space_id}/artifacts?regarding={task.id}",
        "Interruptions": f"/api/{task.space_id}/interruptions?regarding={task.id}",
    }
    pending = [task.pending_interruption] if task.pending_interruption else []
    body = _base(task.id, links)
    body.update(
        {
            "SpaceId": task.space_id,
            "Name": task.name,
            "Description": task.description,
            "Arguments": {"DeploymentId": task.deployment_id} if task.deployment_id else {},
            "State": task.state,
            "Completed": _completed(task),
            "QueueTime": iso(task.queue_time),
            "QueueTimeExpiry": iso(task.queue_time_expiry),
            "StartTime": iso(task.start_time),
            "LastUpdatedTime": iso(task.last_updated),
            "CompletedTime": iso(task.completed_time),
            "ServerNode": None if task.state == QUEUED else "OCTOSIM-NODE-1",
            "Duration": task_duration(task, now),
            # Holdout 3: "" (never null) when there is no error.
            "ErrorMessage": task.error_message or "",
            "HasBeenPickedUpByProcessor": task.state != QUEUED,
            # Holdout 5.
            "IsCompleted": task.state not in UNFINISHED_STATES,
            "FinishedSuccessfully": task.state == SUCCESS,
            "HasPendingInterruptions": bool(pending),
            "PendingInterruptionTypes": pending,
            "HasPendingPreconditions": False,
            "PendingPreconditionTypes": [],
            "CanRerun": task.state not in UNFINISHED_STATES,
            "HasWarningsOrErrors": task.state == FAILED,
            "ProjectId": task.project_id,
            "EstimatedRemainingQueueDurationSeconds": 0 if task.state == QUEUED else None,
            "UnmetPreconditions": None,
            "IsPaused": False,
        }
    )
    return body


def event_json(sim: Simulator, event: Event) -> dict[str, Any]:
    del sim
    body = _base(event.id, {"Self": f"/api/events/{event.id}"})
    body.update(
        {
            "RelatedDocumentIds": list(event.related),
            "Category": event.category,
            "UserId": event.user_id,
            "Username": event.username,
            "IsService": event.is_service,
            "IdentityEstablishedWith": "API key" if event.user_id != "users-system" else "",
            "UserAgent": event.user_agent,
            "Occurred": iso(event.occurred),
            "Message": event.message,
            "MessageHtml": event.message,
            "MessageReferences": [],
            "Comments": event.comments,
            "Details": None,
            "ChangeDetails": {"DocumentContext": None, "Differences": None},
            "IpAddress": None,
            "SpaceId": event.space_id,
        }
    )
    return body


def interruption_json(interruption: Interruption) -> dict[str, Any]:
    body = _base(
        interruption.id,
        {
            "Self": f"/api/{interruption.space_id}/interruptions/{interruption.id}",
            "Submit": f"/api/{interruption.space_id}/interruptions/{interruption.id}/submit",
            "Responsible": f"/api/{interruption.space_id}/interruptions/{interruption.id}/responsible",
        },
    )
    if interruption.type == "ManualIntervention":
        elements = [
            {
                "Name": "Instructions",
                "Control": {
                    "Type": "Paragraph",
                    "Text": interruption.values.get("Instructions"),
                    "ResolveLinks": False,
                },
                "IsValueRequired": False,
            },
            {"Name": "Notes", "Control": {"Type": "TextArea", "Label": "Notes"}, "IsValueRequired": False},
            {
                "Name": "Result",
                "Control": {
                    "Type": "SubmitButtonGroup",
                    "Buttons": [
                        {"Text": "Proceed", "Value": "Proceed", "RequiresConfirmation": False},
                        {"Text": "Abort", "Value": "Abort", "RequiresConfirmation": True},
                    ],
                },
                "IsValueRequired": False,
            },
        ]
    else:
        elements = [
            {"Name": "Notes", "Control": {"Type": "TextArea", "Label": "Notes"}, "IsValueRequired": False},
            {
                "Name": "Guidance",
                "Control": {
                    "Type": "SubmitButtonGroup",
                    "Buttons": [
                        {"Text": t, "Value": t, "RequiresConfirmation": False}
                        for t in ("Fail", "Retry", "Ignore", "Exclude")
                    ],
                },
                "IsValueRequired": False,
            },
        ]
    body.update(
        {
            "Title": interruption.title,
            "Type": interruption.type,
            "Created": iso(interruption.created),
            "IsPending": interruption.is_pending,
            "Form": {"Elements": elements, "Values": dict(interruption.values)},
            "RelatedDocumentIds": list(interruption.related),
            "ResponsibleTeamIds": [],
            "ResponsibleUserId": interruption.responsible_user_id,
            "CanTakeResponsibility": True,
            "HasResponsibility": interruption.responsible_user_id is not None,
            "TaskId": interruption.task_id,
            "CorrelationId": f"{interruption.task_id}_{interruption.id}",
            "IsLinkedToOtherInterruption": False,
            "SpaceId": interruption.space_id,
            "PullRequests": None,
        }
    )
    return body


def subscription_json(sub: Subscription) -> dict[str, Any]:
    body = _base(sub.id, {"Self": f"/api/{sub.space_id}/subscriptions/{sub.id}"})
    body.update(
        {
            "Name": sub.name,
            "Type": "Event",
            "IsDisabled": sub.is_disabled,
            "SpaceId": sub.space_id,
            "EventNotificationSubscription": {
                "Filter": {
                    "Users": [],
                    "Projects": list(sub.projects),
                    "ProjectGroups": [],
                    "Environments": list(sub.environments),
                    "EventGroups": [],
                    "EventCategories": list(sub.categories),
                    "EventAgents": [],
                    "Tenants": [],
                    "Tags": [],
                    "DocumentTypes": [],
                },
                "EmailTeams": [],
                "EmailFrequencyPeriod": "01:00:00",
                "EmailPriority": "Normal",
                "EmailDigestLastProcessed": None,
                "EmailDigestLastProcessedEventAutoId": None,
                "EmailShowDatesInTimeZoneId": "UTC",
                "WebhookURI": sub.webhook_uri,
                "WebhookTeams": [],
                # Holdout 13: .NET TimeSpan strings.
                "WebhookTimeout": sub.timeout,
                "WebhookHeaderKey": sub.header_key,
                "WebhookHeaderValue": sub.header_value,
                "WebhookLastProcessed": None,
                "WebhookLastProcessedEventAutoId": None,
            },
        }
    )
    return body


def dashboard_item_json(
    sim: Simulator, dep: Deployment, *, is_current: bool, is_previous: bool
) -> dict[str, Any]:
    task = sim.tasks[dep.task_id]
    release = sim.releases[dep.release_id]
    pending = [task.pending_interruption] if task.pending_interruption else []
    return {
        # Holdout 4: Id is the deployment id; Links.Task is the non-space path.
        "Id": dep.id,
        "ProjectId": dep.project_id,
        "EnvironmentId": dep.environment_id,
        "ReleaseId": dep.release_id,
        "DeploymentId": dep.id,
        "TaskId": dep.task_id,
        "TenantId": dep.tenant_id,
        "ChannelId": dep.channel_id,
        "ReleaseVersion": release.version,
        "Created": iso(dep.created),
        "QueueTime": iso(task.queue_time),
        "StartTime": iso(task.start_time),
        "CompletedTime": iso(task.completed_time),
        "State": task.state,
        "HasPendingInterruptions": bool(pending),
        "HasWarningsOrErrors": task.state == FAILED,
        "ErrorMessage": task.error_message or "",
        "Duration": task_duration(task, sim.clock.now()),
        "IsCurrent": is_current,
        "IsPrevious": is_previous,
        "IsCompleted": task.state not in UNFINISHED_STATES,
        "PendingInterruptionTypes": pending,
        "HasPendingPreconditions": False,
        "PendingPreconditionTypes": [],
        "Links": {
            "Self": f"/api/{dep.space_id}/deployments/{dep.id}",
            "Release": f"/api/{dep.space_id}/releases/{dep.release_id}",
            "Task": f"/api/tasks/{dep.task_id}",
        },
    }


def _template(path: str, query: str) -> str:
    """An RFC 6570 link: `path{?a,b,c}` (octopus-api.md §1: clients expand links, never build URLs)."""
    return path + "{?" + query.replace(" ", ",") + "}"


def root_json(sim: Simulator) -> dict[str, Any]:
    space = sim.default_space.id
    prefix = f"/api/{space}"
    tasks = (
        "skip active environment tenant runbook project name node running states hasPendingInterruptions "
        "hasWarningsOrErrors take ids partialName spaces includeSystem description fromCompletedDate "
        "toCompletedDate fromQueueDate toQueueDate fromStartDate toStartDate"
    )
    events = (
        "skip regarding regardingAny user users projects projectGroups environments eventGroups "
        "eventCategories eventAgents tags tenants from to internal fromAutoId toAutoId documentTypes asCsv "
        "take ids spaces includeSystem"
    )
    return {
        "Application": "Octopus Deploy",
        "Version": sim.version,
        "ApiVersion": "3.0.0",
        "InstallationId": "5b6e1b1c-0c4e-4d8e-9a0e-0c7f3a0b5a11",
        "IsEarlyAccessProgram": False,
        "HasLongTermSupport": False,
        "Links": {
            "Self": "/api",
            "Web": "/app",
            "SpaceHome": "/api/{spaceId}",
            "CurrentUser": "/api/users/me",
            "Spaces": _template("/api/spaces{/id}", "skip ids take partialName"),
            "Environments": _template(f"{prefix}/environments{{/id}}", "name skip ids take partialName"),
            "Projects": _template(
                f"{prefix}/projects{{/id}}", "name skip ids clone take partialName clonedFromProjectId"
            ),
            "ProjectGroups": _template(f"{prefix}/projectgroups{{/id}}", "skip take ids partialName"),
            "Lifecycles": _template(f"{prefix}/lifecycles{{/id}}", "skip take ids partialName"),
            "Channels": _template(f"{prefix}/channels{{/id}}", "skip take partialName"),
            # octopus-api-checked.md §1: in real root documents of 2019-2023, not in the 2026 reference.
            "Releases": _template(
                f"{prefix}/releases{{/id}}", "skip take ids" if sim.traits.releases_by_ids else "skip take"
            ),
            "Tenants": _template(f"{prefix}/tenants{{/id}}", "skip projectId name tags take ids partialName"),
            "Tasks": _template("/api/tasks{/id}", tasks),
            "Dashboard": _template(
                f"{prefix}/dashboard",
                "projectId releaseId selectedTenants selectedTags showAll "
                "highestLatestVersionPerProjectAndEnvironment",
            ),
            "DashboardDynamic": _template(
                f"{prefix}/dashboard/dynamic", "projects environments includePrevious"
            ),
            "Deployments": _template(
                f"{prefix}/deployments{{/id}}",
                "skip take ids projects environments tenants channels taskState partialName",
            ),
            "Events": _template("/api/events{/id}", events),
            "Interruptions": _template(
                f"{prefix}/interruptions{{/id}}", "skip take regarding pendingOnly ids"
            ),
            "Subscriptions": _template(f"{prefix}/subscriptions{{/id}}", "skip take ids partialName spaces"),
            "Progression": _template(f"{prefix}/progression/{{projectId}}", "aggregate"),
        },
    }

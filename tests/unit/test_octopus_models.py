"""The Octopus shapes accept what real servers send, old and new, without crashing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from coord.octopus.models import (
    Dashboard,
    Deployment,
    DeploymentTemplate,
    LifecycleProgression,
    Page,
    PhaseProgress,
    Task,
    TaskState,
    Tenant,
)


@pytest.mark.parametrize(
    ("state", "completed", "success"),
    [
        ("Queued", False, False),
        ("Executing", False, False),
        ("Cancelling", False, False),
        ("Failed", True, False),
        ("Canceled", True, False),
        ("TimedOut", True, False),
        ("Success", True, True),
    ],
)
def test_task_states_complete_as_octopus_says(state: str, completed: bool, success: bool) -> None:
    assert TaskState(state).is_completed is completed
    assert TaskState(state).is_success is success
    assert TaskState(state).is_known


def test_an_unknown_task_state_is_kept_as_text_and_counts_as_not_finished() -> None:
    task = Task.model_validate({"Id": "ServerTasks-1", "State": "AwaitingApproval"})
    assert task.State == "AwaitingApproval"
    assert not task.State.is_known
    assert not task.State.is_completed


def test_timestamps_keep_their_offsets_and_seven_digit_fractions() -> None:
    task = Task.model_validate(
        {
            "Id": "ServerTasks-1",
            "State": "Success",
            "QueueTime": "2022-02-11T16:48:01.723+01:00",
            "CompletedTime": "2019-04-26T18:37:34.3616214+00:00",
            "StartTime": None,
        }
    )
    assert task.QueueTime == datetime(2022, 2, 11, 15, 48, 1, 723000, tzinfo=UTC)
    assert task.QueueTime is not None
    assert task.QueueTime.utcoffset() == timedelta(hours=1)
    assert task.CompletedTime == datetime(2019, 4, 26, 18, 37, 34, 361621, tzinfo=UTC)
    assert task.StartTime is None


def test_a_timestamp_without_offset_is_refused_by_field_name() -> None:
    with pytest.raises(ValidationError, match="Created"):
        Deployment.model_validate(
            {
                "Id": "Deployments-1",
                "ReleaseId": "Releases-1",
                "EnvironmentId": "Environments-1",
                "Created": "2024-01-01T10:00:00",
            }
        )


def test_unknown_fields_are_ignored_and_null_arrays_become_empty() -> None:
    tenant = Tenant.model_validate(
        {
            "Id": "Tenants-1",
            "Name": "Acme",
            "TenantTags": None,
            "ProjectEnvironments": {"Projects-1": None},
            "SomethingNew": {"x": 1},
            "Links": {"Self": "/api/Spaces-1/tenants/Tenants-1", "Logo": None},
        }
    )
    assert tenant.TenantTags == ()
    assert tenant.ProjectEnvironments == {"Projects-1": ()}
    assert tenant.Links == {"Self": "/api/Spaces-1/tenants/Tenants-1"}


def test_dashboard_items_carry_untenanted_null_and_state() -> None:
    dashboard = Dashboard.model_validate(
        {
            "Environments": [{"Id": "Environments-1", "Name": "Dev"}],
            "Items": [
                {
                    "Id": "Deployments-9",
                    "DeploymentId": "Deployments-9",
                    "ProjectId": "Projects-1",
                    "EnvironmentId": "Environments-1",
                    "ReleaseId": "Releases-3",
                    "ReleaseVersion": "1.2.3",
                    "TaskId": "ServerTasks-4",
                    "TenantId": None,
                    "State": "Executing",
                    "IsCurrent": True,
                    "Created": "2026-08-04T07:39:42.254+00:00",
                    "Links": {"Task": "/api/tasks/ServerTasks-4"},
                }
            ],
            "PreviousItems": None,
        }
    )
    (item,) = dashboard.Items
    assert item.TenantId is None
    assert item.State is TaskState.Executing
    assert dashboard.PreviousItems == ()


def test_template_and_progression_read_promotion_targets() -> None:
    template = DeploymentTemplate.model_validate(
        {
            "PromoteTo": [{"Id": "Environments-2", "Name": "Test", "Links": {}}],
            "TenantPromotions": [
                {"Id": "Tenants-1", "Name": "Acme", "PromoteTo": [{"Id": "Environments-3", "Name": "Prod"}]}
            ],
        }
    )
    assert [t.Id for t in template.PromoteTo] == ["Environments-2"]
    assert template.TenantPromotions[0].PromoteTo[0].Name == "Prod"
    progression = LifecycleProgression.model_validate(
        {
            "Phases": [
                {
                    "Id": None,
                    "Name": "Dev",
                    "Progress": "Complete",
                    "Blocked": False,
                    "Deployments": [
                        {
                            "Task": {"Id": "ServerTasks-1", "State": "Success"},
                            "Deployment": {
                                "Id": "Deployments-1",
                                "ReleaseId": "Releases-1",
                                "EnvironmentId": "Environments-1",
                            },
                        }
                    ],
                },
                {"Name": "Prod", "Progress": "Frozen"},
            ],
            "NextDeployments": ["Environments-2"],
        }
    )
    assert progression.Phases[0].Progress is PhaseProgress.Complete
    assert progression.Phases[0].Deployments[0].Task is not None
    assert not progression.Phases[1].Progress.is_known
    assert progression.NextDeployments == ("Environments-2",)


def test_a_page_without_page_next_is_the_last() -> None:
    page = Page[Deployment].model_validate(
        {
            "ItemType": "Deployment",
            "TotalResults": 0,
            "ItemsPerPage": 30,
            "NumberOfPages": 1,
            "LastPageNumber": 0,
            "Items": [],
            "Links": {"Self": "/api/Spaces-1/deployments"},
        }
    )
    assert "Page.Next" not in page.Links
    assert page.Items == ()

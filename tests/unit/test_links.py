"""Addresses readers click: Octopus web app routes, coord's run API, coord's own marker on deployments."""

from __future__ import annotations

import pytest

from coord.domain.links import Links
from coord.domain.records import RunOrigin, run_origin
from coord.settings import load_settings

LINKS = Links("https://octopus.example.com/", "Spaces-1", "https://coord.example.com")


def test_deployment_release_and_task_routes_are_the_web_apps() -> None:
    assert LINKS.deployment("Projects-12", "1.2.3", "Deployments-34") == (
        "https://octopus.example.com/app#/Spaces-1/projects/Projects-12/deployments/releases/1.2.3"
        "/deployments/Deployments-34"
    )
    assert LINKS.release("Projects-12", "1.2.3") == (
        "https://octopus.example.com/app#/Spaces-1/projects/Projects-12/deployments/releases/1.2.3"
    )
    assert LINKS.task("ServerTasks-56") == "https://octopus.example.com/app#/Spaces-1/tasks/ServerTasks-56"


def test_a_version_is_encoded_for_its_route_segment_and_build_metadata_kept() -> None:
    assert LINKS.release("Projects-1", "1.0.0+build.7/x y").endswith("/releases/1.0.0+build.7%2Fx%20y")


def test_a_server_without_spaces_gets_unscoped_routes_and_no_server_no_links() -> None:
    assert (
        Links("https://o.example.com", None).task("ServerTasks-1")
        == "https://o.example.com/app#/tasks/ServerTasks-1"
    )
    assert Links().deployment("Projects-1", "1.0", "Deployments-1") is None
    assert LINKS.task(None) is None and LINKS.deployment("Projects-1", "", "Deployments-1") is None


def test_runs_reports_and_the_status_page_link_to_coords_public_url() -> None:
    assert LINKS.run("20261126T183000Z-1a2b3c4d") == (
        "https://coord.example.com/api/promotions/20261126T183000Z-1a2b3c4d"
    )
    assert LINKS.report("2026-11-26") == "https://coord.example.com/api/reports/2026-11-26"
    assert LINKS.status() == "https://coord.example.com/api/status.html"
    assert Links("https://o.example.com", "Spaces-1").run("r") is None


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, None),
        ({"WEBSITE_HOSTNAME": "func-coord-x1.azurewebsites.net"}, "https://func-coord-x1.azurewebsites.net"),
        (
            {"WEBSITE_HOSTNAME": "a.example", "COORD_PUBLIC_URL": "https://coord.example.com/"},
            "https://coord.example.com",
        ),
        ({"WEBSITE_HOSTNAME": "bad host/x"}, None),
    ],
)
def test_the_public_url_is_the_setting_else_the_function_apps_host(
    environ: dict[str, str], expected: str | None
) -> None:
    assert load_settings(environ).public_url == expected


def test_the_caller_is_named_only_when_app_service_authentication_is_on() -> None:
    assert load_settings({"WEBSITE_AUTH_ENABLED": "True"}).caller_identity
    assert not load_settings({}).caller_identity


@pytest.mark.parametrize(
    ("comments", "origin"),
    [
        (
            "[coord:20261126T183000Z-1a2b3c4d/Projects-3/deploy]",
            RunOrigin("20261126T183000Z-1a2b3c4d", rollback=False),
        ),
        (
            "Rolling back\n[coord:20261126T183000Z-1a2b3c4d/Projects-3@Tenants-2/rollback]",
            RunOrigin("20261126T183000Z-1a2b3c4d", rollback=True),
        ),
        ("deployed by hand", None),
        (None, None),
        ("[coord:run/Projects-1/something]", None),
    ],
)
def test_coords_marker_names_the_run_that_made_a_deployment(
    comments: str | None, origin: RunOrigin | None
) -> None:
    assert run_origin(comments) == origin

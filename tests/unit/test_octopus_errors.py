"""Every answer Octopus (or a proxy in front of it) can give maps to one typed error."""

from __future__ import annotations

import json

import httpx
import pytest

from coord.octopus.errors import (
    OctopusAuthError,
    OctopusError,
    OctopusNotFound,
    OctopusProtocolError,
    OctopusRefused,
    OctopusRejected,
    OctopusServerError,
    OctopusUnavailable,
    from_response,
    from_transport_error,
    retry_after_seconds,
)

REQUEST = httpx.Request("POST", "https://octopus.example.com/api/Spaces-1/deployments?take=1")


def response(status: int, body: bytes | str | dict[str, object] = b"", **headers: str) -> httpx.Response:
    if isinstance(body, dict):
        content = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    else:
        content = body.encode() if isinstance(body, str) else body
    return httpx.Response(status, content=content, headers=headers, request=REQUEST)


def expected_class(status: int) -> type[OctopusError]:
    if status in (408, 429, 502, 503, 504):
        return OctopusUnavailable
    if status >= 500:
        return OctopusServerError
    if status in (400, 409, 422):
        return OctopusRejected
    if status in (401, 403):
        return OctopusAuthError
    if status in (404, 410):
        return OctopusNotFound
    return OctopusProtocolError


@pytest.mark.parametrize("status", [s for s in range(300, 600) if s not in (304,)])
def test_every_unsuccessful_status_maps_to_exactly_one_error_class(status: int) -> None:
    error = from_response(response(status, {"ErrorMessage": "nope"}))
    assert type(error) is expected_class(status)
    assert error.status == status


def test_validation_error_carries_octopus_error_message_and_errors() -> None:
    body = {"ErrorMessage": "There was a problem with your request.", "Errors": ["Lifecycle says no"]}
    error = from_response(response(400, body))
    assert isinstance(error, OctopusRejected)
    assert error.error_message == "There was a problem with your request."
    assert error.errors == ("Lifecycle says no",)
    assert "Lifecycle says no" in str(error)
    assert str(error).startswith("POST /api/Spaces-1/deployments?take=1: 400")


def test_html_error_page_from_a_proxy_is_unavailable_with_its_title() -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    error = from_response(response(502, page, **{"Content-Type": "text/html"}))
    assert isinstance(error, OctopusUnavailable)
    assert error.error_message is None
    assert "non-JSON body (text/html" in str(error)
    assert "502 Bad Gateway" in str(error)


def test_empty_error_body_is_described_as_empty() -> None:
    error = from_response(response(500))
    assert isinstance(error, OctopusServerError)
    assert "empty body" in str(error)


def test_json_error_without_error_message_is_quoted() -> None:
    error = from_response(response(404, {"Message": "gone"}))
    assert isinstance(error, OctopusNotFound)
    assert "JSON body without an ErrorMessage" in str(error)
    assert "gone" in str(error)


def test_redirect_names_its_target_so_a_wrong_server_url_is_obvious() -> None:
    error = from_response(response(302, "", Location="https://login.example.com/"))
    assert isinstance(error, OctopusProtocolError)
    assert "https://login.example.com/" in str(error)


def test_429_carries_the_retry_after_seconds() -> None:
    error = from_response(response(429, "", **{"Retry-After": "7"}))
    assert isinstance(error, OctopusUnavailable)
    assert error.retry_after == 7.0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("3", 3.0),
        (" 12 ", 12.0),
        ("1.5", 1.5),
        ("", None),
        ("soon", None),
        ("-1", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", None),
    ],
)
def test_retry_after_is_read_only_when_given_in_seconds(value: str, seconds: float | None) -> None:
    assert retry_after_seconds(response(503, "", **{"Retry-After": value})) == seconds


def test_transport_errors_are_unavailable_and_say_whether_they_timed_out() -> None:
    timed_out = from_transport_error(REQUEST, httpx.ReadTimeout("read timed out", request=REQUEST))
    refused = from_transport_error(REQUEST, httpx.ConnectError("connection refused", request=REQUEST))
    assert isinstance(timed_out, OctopusUnavailable)
    assert "timed out" in str(timed_out)
    assert "failed (ConnectError: connection refused)" in str(refused)
    never_sent = from_transport_error(REQUEST, httpx.ConnectTimeout("connect timed out", request=REQUEST))
    # Only a request that was sent and left unanswered may still be running on the server.
    assert [timed_out.timed_out, refused.timed_out, never_sent.timed_out] == [True, False, False]


def test_messages_name_path_and_query_but_never_headers() -> None:
    request = httpx.Request(
        "GET", "https://octopus.example.com/api/spaces/all", headers={"X-Octopus-ApiKey": "API-SECRET"}
    )
    error = from_response(httpx.Response(401, json={"ErrorMessage": "Invalid API key"}, request=request))
    assert isinstance(error, OctopusAuthError)
    assert "API-SECRET" not in str(error)
    assert "API-SECRET" not in repr(error)
    assert "octopus.example.com" not in str(error)


def test_a_403_names_the_permission_the_key_lacks() -> None:
    # The body a real server sends (https://help.octopus.com/t/unable-to-delete-deployment/690).
    body = {
        "ErrorMessage": "You do not have permission to perform this action. Please contact your Octopus "
        "administrator. Missing permission: DeploymentCreate",
        "HelpText": "This action requires permission to deploy releases.",
    }
    error = from_response(response(403, body))
    assert isinstance(error, OctopusAuthError) and isinstance(error, OctopusRefused)
    assert error.missing_permission == "DeploymentCreate"
    assert error.help_text == "This action requires permission to deploy releases."
    assert error.reason.startswith("403: You do not have permission")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
def test_the_statuses_of_a_refusal_are_refusals_and_outages_are_not(status: int) -> None:
    assert isinstance(from_response(response(status, {"ErrorMessage": "no"})), OctopusRefused)
    for outage in (408, 429, 500, 502, 503, 504):
        assert not isinstance(from_response(response(outage)), OctopusRefused)
        assert isinstance(from_response(response(outage)), OctopusUnavailable)


def test_a_refusal_reads_as_octopus_wrote_it_with_its_errors() -> None:
    body = {"ErrorMessage": "There was a problem with your request.", "Errors": ["Release gone"]}
    assert from_response(response(404, body)).reason == (  # type: ignore[attr-defined]
        "404: There was a problem with your request. (Release gone)"
    )

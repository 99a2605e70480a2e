"""What can go wrong talking to Octopus, as one exception tree.

    OctopusError                   anything below; carries method, url, status, ErrorMessage, Errors
    ├── OctopusUnavailable         an outage: connection failure, timeout, 408, 429, any 5xx;
    │   │                          asking again later may work, so it is retried
    │   └── OctopusServerError     Octopus answered with a 5xx other than 502/503/504
    ├── OctopusRefused             a refusal: asking again cannot change the answer, so it is final
    │   │                          for the piece of work that asked, with Octopus's own reason
    │   ├── OctopusRejected        400/409/422: the request is invalid now (validation, lifecycle)
    │   ├── OctopusAuthError       401/403: the API key is wrong, or lacks `missing_permission`
    │   └── OctopusNotFound        404/410: no such resource (deleted, or not visible to the key)
    └── OctopusProtocolError       an answer the API does not give: not JSON, wrong shape, a redirect,
                                   another status

Octopus's error body is `{"ErrorMessage": "...", "Errors": ["..."]}` (+ `HelpText`) and its own
client maps 400/409 to validation, 401/403 to security and 404 to not found (octopus-api.md §4,
Holdout 9). A 403 names the permission: "You do not have permission to perform this action.
Please contact your Octopus administrator. Missing permission: DeploymentDelete"
(https://help.octopus.com/t/unable-to-delete-deployment/690).
Messages name the method and path, never request headers, so the API key cannot leak into them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import httpx

# Statuses worth asking again after a pause: the server or a proxy in front of it is busy or
# restarting (octopus-api.md §9: 429 from rate limiting, "may include a Retry-After header").
TRANSIENT_STATUSES = frozenset({408, 429, 502, 503, 504})
# Statuses that are Octopus's final word on a request.
REFUSAL_STATUSES = frozenset({400, 401, 403, 404, 409, 410, 422})
_MISSING_PERMISSION = re.compile(r"Missing permission:\s*(?P<name>[A-Za-z]+)")

_SNIPPET = 200


class OctopusError(Exception):
    """An Octopus request failed; `str()` says which request and why."""

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        url: str | None = None,
        status: int | None = None,
        error_message: str | None = None,
        errors: Sequence[str] = (),
        help_text: str | None = None,
    ) -> None:
        self.method = method
        self.url = url
        self.status = status
        self.error_message = error_message
        self.errors = tuple(errors)
        self.help_text = help_text
        self.detail = message
        where = f"{method} {url}: " if method and url else ""
        super().__init__(where + message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class OctopusUnavailable(OctopusError):
    """Octopus could not be reached or was too busy to answer; asking later may work."""

    retry_after: float | None = None
    """Seconds the server asked us to wait (Retry-After), when it said."""
    timed_out: bool = False
    """The request was sent but no answer came in time: the server may still be working on it."""


class OctopusServerError(OctopusUnavailable):
    """Octopus answered with a server error (500 and the like)."""


class OctopusRefused(OctopusError):
    """Octopus refused the request; asking again will get the same answer."""

    @property
    def reason(self) -> str:
        """Octopus's own words, with the status: what a person reads to fix it."""
        words = self.error_message or self.detail
        extra = [e for e in self.errors if e != self.error_message]
        if self.error_message and extra:
            words += " (" + "; ".join(extra) + ")"
        return f"{self.status}: {words}" if self.status and self.error_message else words


class OctopusRejected(OctopusRefused):
    """Octopus refused the request as invalid: its `error_message` and `errors` say why."""


class OctopusAuthError(OctopusRefused):
    """The API key was refused, or lacks a permission the request needs."""

    @property
    def missing_permission(self) -> str | None:
        """The permission a 403 names (`DeploymentCreate`), when Octopus names one."""
        for text in (self.error_message, self.help_text, *self.errors):
            match = _MISSING_PERMISSION.search(text or "")
            if match:
                return match["name"]
        return None


class OctopusNotFound(OctopusRefused):
    """The resource does not exist (or is not visible to this API key)."""


class OctopusProtocolError(OctopusError):
    """Octopus (or something in front of it) answered in a way the API does not."""


def request_target(request: httpx.Request) -> tuple[str, str]:
    """The method and the URL path with its query, for messages (no scheme, host or headers)."""
    return request.method, request.url.raw_path.decode("ascii", "replace")


def from_response(response: httpx.Response, body: bytes | None = None) -> OctopusError:
    """The exception that an unsuccessful (non-2xx) response stands for."""
    method, url = request_target(response.request)
    status = response.status_code
    error_message, errors, described, help_text = _describe_body(
        response, response.content if body is None else body
    )
    text = f"{status} {response.reason_phrase}".strip() + f": {described}"
    if 300 <= status < 400:
        location = response.headers.get("Location", "?")
        text = f"{status}: redirected to {location}; check that the Octopus server URL is the final one"
    error = _error_class(status)(
        text,
        method=method,
        url=url,
        status=status,
        error_message=error_message,
        errors=errors,
        help_text=help_text,
    )
    if isinstance(error, OctopusUnavailable):
        error.retry_after = retry_after_seconds(response)
    return error


def _error_class(status: int) -> type[OctopusError]:
    if status in TRANSIENT_STATUSES:
        return OctopusUnavailable
    if 500 <= status < 600:
        return OctopusServerError
    if status in (400, 409, 422):
        return OctopusRejected
    if status in (401, 403):
        return OctopusAuthError
    if status in (404, 410):
        return OctopusNotFound
    return OctopusProtocolError


def from_transport_error(request: httpx.Request, exc: httpx.TransportError) -> OctopusUnavailable:
    """The exception for a request that got no response (connection refused, timeout, reset)."""
    method, url = request_target(request)
    timed_out = isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.ConnectTimeout)
    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
    detail = str(exc) or type(exc).__name__
    error = OctopusUnavailable(f"request {kind} ({type(exc).__name__}: {detail})", method=method, url=url)
    error.timed_out = timed_out
    return error


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Retry-After as seconds, when it is given as a number of seconds (RFC 9110 §10.2.3)."""
    value = response.headers.get("Retry-After", "").strip()
    if re.fullmatch(r"\d{1,6}(\.\d+)?", value):
        return float(value)
    return None


def _describe_body(
    response: httpx.Response, body: bytes
) -> tuple[str | None, tuple[str, ...], str, str | None]:
    """Octopus's ErrorMessage, Errors and HelpText when the body has them, and a one-line description."""
    if not body.strip():
        return None, (), "empty body", None
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip() or "no content type"
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, (), f"non-JSON body ({content_type}, {len(body)} bytes){_title(body)}", None
    if not isinstance(data, dict):
        return None, (), f"JSON body without an ErrorMessage: {_clip(json.dumps(data))}", None
    raw_message = data.get("ErrorMessage")
    message = raw_message if isinstance(raw_message, str) and raw_message else None
    raw_errors = data.get("Errors")
    errors = tuple(str(e) for e in raw_errors) if isinstance(raw_errors, list) else ()
    raw_help = data.get("HelpText")
    help_text = _clip(raw_help) if isinstance(raw_help, str) and raw_help else None
    if message is None and not errors:
        return None, (), f"JSON body without an ErrorMessage: {_clip(json.dumps(data))}", None
    described = message or "(no ErrorMessage)"
    if errors and errors != (message,):
        described += " [" + "; ".join(errors) + "]"
    return message, errors, described, help_text


def _title(body: bytes) -> str:
    """The <title> of an HTML error page, which usually names the proxy's complaint."""
    match = re.search(rb"<title>(.*?)</title>", body[:4096], re.IGNORECASE | re.DOTALL)
    if not match:
        return ""
    return ": " + _clip(match.group(1).decode("utf-8", "replace").strip())


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SNIPPET else text[: _SNIPPET - 1] + "…"

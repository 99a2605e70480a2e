"""HTTP requests in, responses out, independent of the Functions runtime.

Each route parses its input, calls one application function and formats the result.
Errors the caller can fix become `application/problem+json` (RFC 9457); anything
unexpected is logged and answered with a 500 that reveals nothing internal.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from coord.entrypoints.http.problems import BadRequest, Problem, Unavailable

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Request:
    """What a route needs of an HTTP request."""

    method: str
    route_params: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """A header by case-insensitive name."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)

    def json(self) -> Any:
        """The body as JSON; BadRequest when it is missing, too large or not JSON."""
        if not self.body:
            raise BadRequest("the request body is empty; expected a JSON document")
        if len(self.body) > MAX_BODY_BYTES:
            raise BadRequest(f"the request body is larger than {MAX_BODY_BYTES} bytes")
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequest(f"the request body is not valid JSON ({exc})") from None


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)


def json_response(document: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    body = json.dumps(document, indent=2, ensure_ascii=False).encode()
    return Response(status, body, "application/json", headers or {})


def html_response(html: str, status: int = 200) -> Response:
    return Response(status, html.encode(), "text/html; charset=utf-8")


def problem_response(problem: Problem) -> Response:
    body = json.dumps(problem.to_dict(), indent=2, ensure_ascii=False).encode()
    return Response(problem.status, body, "application/problem+json")


def serve(
    route: Callable[[Request], Response],
    request: Request,
    unavailable: tuple[type[BaseException], ...] = (),
) -> Response:
    """Run a route; caller errors become problem+json, `unavailable` errors a 503, anything else a 500."""
    try:
        return route(request)
    except Problem as problem:
        return problem_response(problem)
    except unavailable as exc:
        # A dependency (Octopus, Table Storage) did not answer: worth retrying, not a bug.
        log.warning("a dependency did not answer: %s", exc)
        return problem_response(Unavailable(f"a service coord depends on did not answer: {exc}"))
    except Exception:
        log.exception("unexpected error while serving %s", getattr(route, "__name__", "a route"))
        return problem_response(_internal())


def _internal() -> Problem:
    problem = Problem("coord could not complete the request; the error is in the function's log")
    problem.status = 500
    problem.title = "Internal Server Error"
    return problem

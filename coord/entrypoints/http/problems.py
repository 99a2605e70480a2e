"""Errors that entry points turn into problem+json (RFC 9457) responses or one-line CLI errors."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


class Problem(Exception):
    """An error the caller can fix, with an HTTP status and a clear detail."""

    status = 400
    title = "Bad Request"

    def __init__(self, detail: str, errors: list[str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": "about:blank", "title": self.title, "status": self.status}
        body["detail"] = self.detail + (": " + "; ".join(self.errors) if self.errors else "")
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


class BadRequest(Problem):
    status = 400
    title = "Bad Request"


class Unauthorized(Problem):
    status = 401
    title = "Unauthorized"


class NotFound(Problem):
    status = 404
    title = "Not Found"


class Conflict(Problem):
    status = 409
    title = "Conflict"


class Unavailable(Problem):
    status = 503
    title = "Service Unavailable"


def field_problems(exc: ValidationError) -> list[str]:
    """Pydantic errors as `path: message` lines, the path written as the caller wrote the field."""
    lines = []
    for error in exc.errors(include_url=False):
        path = ""
        for part in error["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        lines.append(f"{path or '(body)'}: {message}")
    return lines

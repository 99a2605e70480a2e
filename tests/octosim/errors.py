"""Errors the simulator raises; the HTTP layer turns ApiError into Octopus's error body."""

from __future__ import annotations

# octopus-api.md §4: the generic 400 wording is UNCONFIRMED; this is the commonly seen one.
GENERIC_400 = "There was a problem with your request."


class SimulatorError(Exception):
    """The in-process API was used wrongly (an unknown name, an impossible script)."""


class ApiError(Exception):
    """An Octopus error response: status, `ErrorMessage` and `Errors` (Holdout 9)."""

    def __init__(
        self, status: int, message: str, errors: list[str] | None = None, *, help_text: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = list(errors or [])
        self.help_text = help_text

    def body(self) -> dict[str, object]:
        body: dict[str, object] = {"ErrorMessage": self.message, "Errors": self.errors}
        if self.help_text:
            body["HelpText"] = self.help_text
        return body


def rejected(*errors: str) -> ApiError:
    """A 400 validation failure with the given `Errors`."""
    return ApiError(400, GENERIC_400, list(errors))


def not_found(what: str) -> ApiError:
    """A 404 for an unknown id."""
    return ApiError(404, f"The resource '{what}' was not found.")

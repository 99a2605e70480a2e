"""The Octopus Deploy adapter: a typed, retrying client for one space, its errors and models."""

from coord.octopus.client import OctopusClient
from coord.octopus.errors import (
    OctopusAuthError,
    OctopusError,
    OctopusNotFound,
    OctopusProtocolError,
    OctopusRefused,
    OctopusRejected,
    OctopusServerError,
    OctopusUnavailable,
)
from coord.octopus.retry import RetryPolicy

__all__ = [
    "OctopusAuthError",
    "OctopusClient",
    "OctopusError",
    "OctopusNotFound",
    "OctopusProtocolError",
    "OctopusRefused",
    "OctopusRejected",
    "OctopusServerError",
    "OctopusUnavailable",
    "RetryPolicy",
]

"""Every azure.core error the SDK raises becomes one of the store's own errors."""

from __future__ import annotations

import pytest
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)

from coord.store import (
    AlreadyExists,
    InvalidEntity,
    StaleState,
    StoreError,
    StoreUnavailable,
)
from coord.store.errors import store_error, translated


class FakeResponse:
    """Just enough of an HTTP response for HttpResponseError to read its status."""

    def __init__(self, status: int) -> None:
        self.status_code = status
        self.reason = "reason"
        self.headers: dict[str, str] = {}
        self.request = None

    def text(self) -> str:
        return ""


def http_error(cls: type[HttpResponseError], status: int) -> HttpResponseError:
    return cls(message="boom", response=FakeResponse(status))


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (http_error(ResourceModifiedError, 412), StaleState),
        (http_error(ResourceExistsError, 409), AlreadyExists),
        (http_error(ResourceNotFoundError, 404), StaleState),
        (ServiceRequestError("connection refused"), StoreUnavailable),
        (ServiceResponseError("connection reset"), StoreUnavailable),
        (http_error(HttpResponseError, 500), StoreUnavailable),
        (http_error(HttpResponseError, 503), StoreUnavailable),
        (http_error(HttpResponseError, 429), StoreUnavailable),
        (http_error(HttpResponseError, 408), StoreUnavailable),
        (http_error(HttpResponseError, 400), InvalidEntity),
        (http_error(HttpResponseError, 413), InvalidEntity),
        (http_error(HttpResponseError, 403), StoreError),
        (ClientAuthenticationError("no identity"), StoreError),
        (AzureError("odd"), StoreError),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else v.__name__,
)
def test_each_azure_error_maps_to_a_store_error(error: AzureError, expected: type[StoreError]) -> None:
    mapped = store_error(error, "read coordruns")
    assert type(mapped) is expected
    assert str(mapped).startswith("read coordruns: ")


def test_an_authentication_failure_says_what_to_check() -> None:
    assert "Table Data role" in str(store_error(ClientAuthenticationError("no identity"), "read x"))


def test_translated_chains_the_original_error() -> None:
    original = ServiceRequestError("connection refused")
    with pytest.raises(StoreUnavailable) as raised, translated("read x"):
        raise original
    assert raised.value.__cause__ is original


def test_invalid_entity_is_also_a_value_error() -> None:
    assert issubclass(InvalidEntity, ValueError)

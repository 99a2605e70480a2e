"""One HTTP conversation with Octopus: URLs, the API key, JSON bodies, paging, counting, retries.

The key travels in `X-Octopus-ApiKey` (octopus-api.md §1), added per request by an httpx auth
flow so it never sits in a repr, a log line or an exception message.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Generator, Iterator, Mapping
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from coord.octopus.errors import (
    OctopusError,
    OctopusProtocolError,
    from_response,
    from_transport_error,
    request_target,
)
from coord.octopus.models import Page
from coord.octopus.retry import RetryPolicy, call_with_retries

M = TypeVar("M", bound=BaseModel)

API_KEY_HEADER = "X-Octopus-ApiKey"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=10, max_keepalive_connections=10)
# Guards memory against a runaway answer; Octopus pages coord asks for are far smaller.
MAX_BODY_BYTES = 64 * 1024 * 1024

Params = Mapping[str, str | int | bool | None]


class ApiKeyAuth(httpx.Auth):
    """Adds the API key header to each request; its repr shows nothing of the key."""

    def __init__(self, api_key: SecretStr) -> None:
        self._api_key = api_key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[API_KEY_HEADER] = self._api_key.get_secret_value()
        yield request

    def __repr__(self) -> str:
        return "ApiKeyAuth(api_key=**********)"


class OctopusHttp:
    """Sends requests to one Octopus server and turns answers into models or typed errors."""

    def __init__(
        self,
        server_url: str,
        api_key: SecretStr,
        *,
        http: httpx.Client | None = None,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.server_url = normalise_server_url(server_url)
        self._auth = ApiKeyAuth(api_key)
        self._owns_http = http is None
        self._http = http or httpx.Client(timeout=timeout, limits=DEFAULT_LIMITS, follow_redirects=False)
        self.retry = retry or RetryPolicy()
        self.max_body_bytes = max_body_bytes
        self.request_counts: Counter[str] = Counter()
        # A start reads templates from several threads through one client.
        self._count_lock = threading.Lock()

    @property
    def request_count(self) -> int:
        """HTTP requests sent so far, retries included."""
        return sum(self.request_counts.values())

    def close(self) -> None:
        """Close the connection pool, when this object created it."""
        if self._owns_http:
            self._http.close()

    def url(self, path: str) -> str:
        """The absolute URL of an API path or of a link Octopus returned."""
        base = urlsplit(self.server_url)
        target = urlsplit(path)
        if target.scheme or target.netloc:
            # Never send the API key to another host than the configured server.
            if (target.scheme, target.netloc) != (base.scheme, base.netloc):
                msg = f"link points at another server: {target.scheme}://{target.netloc}"
                raise OctopusProtocolError(msg)
            return path
        # Links are server-absolute ("/api/..."); under a virtual directory they may lack it.
        if base.path and not path.startswith(base.path + "/"):
            path = base.path + path
        return urljoin(self.server_url + "/", path)

    def send(
        self,
        method: str,
        path: str,
        *,
        route: str,
        params: Params | None = None,
        body: Any = None,
        expect_json: bool = True,
    ) -> Any:
        """One request, no retries: the decoded JSON of a 2xx answer, else a typed error."""
        request = self._http.build_request(
            method,
            self.url(path),
            params=_clean(params),
            content=None if body is None else json.dumps(body).encode(),
            headers={"Accept": "application/json", "Content-Type": "application/json"},
        )
        with self._count_lock:
            self.request_counts[f"{method} {route}"] += 1
        try:
            # Never follow a redirect: the API key header would travel with it to wherever it points.
            response = self._http.send(request, auth=self._auth, stream=True, follow_redirects=False)
            try:
                content = self._read(response)
            finally:
                response.close()
        except httpx.TransportError as exc:
            raise from_transport_error(request, exc) from None
        if not response.is_success:
            raise from_response(response, content)
        if not expect_json and not content.strip():
            return None
        return _decode(response, content)

    def get(self, path: str, *, route: str, params: Params | None = None) -> Any:
        """GET with retries on transient failures."""
        return call_with_retries(self.retry, lambda: self.send("GET", path, route=route, params=params))

    def get_model(self, model: type[M], path: str, *, route: str, params: Params | None = None) -> M:
        """GET one resource as `model`."""
        data = self.get(path, route=route, params=params)
        return validate(model, data, f"GET {path}")

    def get_list(self, model: type[M], path: str, *, route: str) -> list[M]:
        """GET an `/all` endpoint, which answers with a bare array (octopus-api.md Holdout 7)."""
        data = self.get(path, route=route)
        if not isinstance(data, list):
            msg = f"GET {path}: expected a JSON array, got {type(data).__name__}"
            raise OctopusProtocolError(msg)
        return [validate(model, item, f"GET {path} [{i}]") for i, item in enumerate(data)]

    def pages(self, model: type[M], path: str, *, route: str, params: Params | None = None) -> Iterator[M]:
        """Every item of a paged collection, following `Links["Page.Next"]` (octopus-api.md §2)."""
        next_path: str | None = path
        next_params = params
        seen: set[str] = set()
        while next_path is not None:
            data = self.get(next_path, route=route, params=next_params)
            where = f"GET {next_path}"
            page = validate(Page[Any], data, where)
            for i, item in enumerate(page.Items):
                yield validate(model, item, f"{where} Items[{i}]")
            # A missing Page.Next, or an empty page, ends the collection (Holdout 6).
            link = page.Links.get("Page.Next")
            if not link or not page.Items:
                return
            if link in seen:
                msg = f"{where}: Page.Next repeats a page already read ({link})"
                raise OctopusProtocolError(msg)
            seen.add(link)
            next_path, next_params = link, None

    def _read(self, response: httpx.Response) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_body_bytes:
                method, url = request_target(response.request)
                msg = f"answer larger than {self.max_body_bytes} bytes; ask for smaller pages"
                raise OctopusProtocolError(msg, method=method, url=url, status=response.status_code)
            chunks.append(chunk)
        return b"".join(chunks)

    def __repr__(self) -> str:
        return f"OctopusHttp({self.server_url!r})"


def normalise_server_url(server_url: str) -> str:
    """The server's base URL without a trailing slash or `/api` (both forms are common in settings)."""
    url = server_url.strip().rstrip("/")
    if url.lower().endswith("/api"):
        url = url[: -len("/api")]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        msg = f"Octopus server URL must be http(s)://host[:port][/path], got {server_url!r}"
        raise ValueError(msg)
    if parts.query or parts.fragment or parts.username or parts.password:
        msg = "Octopus server URL must not carry credentials, a query or a fragment"
        raise ValueError(msg)
    return url


def validate(model: type[M], data: Any, where: str) -> M:
    """`data` as `model`, or an OctopusProtocolError naming each offending field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or '(body)'}: {error['msg']}"
            for error in exc.errors(include_url=False, include_input=False)[:5]
        )
        msg = f"{where}: unexpected {model.__name__}: {problems}"
        raise OctopusProtocolError(msg) from None


def _decode(response: httpx.Response, content: bytes) -> Any:
    if not content.strip():
        if response.status_code == 204:
            return None
        method, url = request_target(response.request)
        msg = f"{response.status_code} with an empty body where JSON was expected"
        raise OctopusProtocolError(msg, method=method, url=url, status=response.status_code)
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError):
        method, url = request_target(response.request)
        kind = response.headers.get("Content-Type", "no content type").split(";")[0]
        msg = f"{response.status_code} with a body that is not JSON ({kind}, {len(content)} bytes)"
        raise OctopusProtocolError(msg, method=method, url=url, status=response.status_code) from None


def _clean(params: Params | None) -> dict[str, str | int] | None:
    if params is None:
        return None
    cleaned: dict[str, str | int] = {}
    for key, value in params.items():
        if value is None:
            continue
        cleaned[key] = ("true" if value else "false") if isinstance(value, bool) else value
    return cleaned


__all__ = ["API_KEY_HEADER", "ApiKeyAuth", "OctopusError", "OctopusHttp", "normalise_server_url", "validate"]

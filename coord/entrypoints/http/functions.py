"""Between the Functions runtime's request and response types and coord's own."""

from __future__ import annotations

import importlib

import azure.functions as func

from coord.bootstrap import shared_services
from coord.entrypoints.http.messages import Request, Response, problem_response, serve
from coord.entrypoints.http.problems import Unavailable


def serve_http(target: str, req: func.HttpRequest) -> func.HttpResponse:
    """Run the route `module:function` for a Functions HTTP request (the module loads on first use)."""
    module, _, name = target.partition(":")
    route = getattr(importlib.import_module(module), name)
    request = Request(
        method=req.method,
        route_params=dict(req.route_params or {}),
        query=dict(req.params or {}),
        headers=dict(req.headers or {}),
        body=req.get_body() or b"",
    )
    try:
        services = shared_services()
    except Exception as exc:  # noqa: BLE001 (a settings or config error is reported, not raised)
        response = problem_response(Unavailable(f"coord is not configured: {exc}"))
    else:
        from coord.octopus import OctopusError  # noqa: PLC0415 (loaded with the first request)
        from coord.store import StoreError  # noqa: PLC0415

        response = serve(lambda r: route(r, services), request, unavailable=(OctopusError, StoreError))
    return _to_functions(response)


def _to_functions(response: Response) -> func.HttpResponse:
    return func.HttpResponse(
        body=response.body,
        status_code=response.status,
        headers=dict(response.headers),
        mimetype=response.content_type.split(";")[0],
        charset="utf-8",
    )

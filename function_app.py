"""Azure Functions bindings for coord: each function hands its input to coord and returns.

Everything below is a skin (design.md): parsing, decisions and I/O live in the `coord`
package, which is imported on first invocation so that indexing this file stays fast.
"""

from __future__ import annotations

import logging

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)


@app.timer_trigger(schedule="%COORD_TICK_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def tick(timer: func.TimerRequest) -> None:
    """The heartbeat: poll Octopus, run what is due, send what is pending, follow runs in flight.

    A tick that could not reach Octopus or storage, or whose API key was refused, does what it
    still can and then raises, so the invocation shows as failed in Azure's monitoring.
    """
    from coord import heartbeat
    from coord.bootstrap import shared_services

    if timer.past_due:
        logging.info("tick is running late; catching up")
    report = heartbeat.tick(shared_services(), follow=True)
    logging.info("tick: %s", report.summary())
    if report.failed:
        raise heartbeat.TickFailed("; ".join(report.failures))


@app.route(route="promotions", methods=["POST"])
def start_promotion(req: func.HttpRequest) -> func.HttpResponse:
    """POST /api/promotions: start an ad-hoc promotion run (or plan it with dry_run)."""
    return _serve("coord.entrypoints.http.promotions:start_promotion", req)


@app.route(route="promotions/{id}", methods=["GET"])
def get_promotion(req: func.HttpRequest) -> func.HttpResponse:
    """GET /api/promotions/{id}: a run, project by project."""
    return _serve("coord.entrypoints.http.promotions:get_promotion", req)


@app.route(route="promotions/{id}/cancel", methods=["POST"])
def cancel_promotion(req: func.HttpRequest) -> func.HttpResponse:
    """POST /api/promotions/{id}/cancel: start no further deployments in the run."""
    return _serve("coord.entrypoints.http.promotions:cancel_promotion", req)


@app.route(route="status", methods=["GET"])
def status(req: func.HttpRequest) -> func.HttpResponse:
    """GET /api/status: the current matrix as JSON, or the live status page with Accept: text/html."""
    return _serve("coord.entrypoints.http.statuspage:status", req)


@app.route(route="status.html", methods=["GET"])
def status_page(req: func.HttpRequest) -> func.HttpResponse:
    """GET /api/status.html: the live status page."""
    return _serve("coord.entrypoints.http.statuspage:status_html", req)


@app.route(route="octopus/events", methods=["POST"])
def octopus_events(req: func.HttpRequest) -> func.HttpResponse:
    """POST /api/octopus/events: the Octopus subscription webhook (X-Coord-Secret)."""
    return _serve("coord.entrypoints.http.feed:octopus_events", req)


@app.route(route="reports/{date}", methods=["GET"])
def report(req: func.HttpRequest) -> func.HttpResponse:
    """GET /api/reports/{date}: the daily report of a local date, as HTML."""
    return _serve("coord.entrypoints.http.reports:report_route", req)


@app.route(route="locks/{name}", methods=["POST"])
def acquire_lock(req: func.HttpRequest) -> func.HttpResponse:
    """POST /api/locks/{name}: acquire a cross-project lock."""
    return _serve("coord.entrypoints.http.locks:acquire_lock", req)


@app.route(route="locks/{name}", methods=["DELETE"])
def release_lock(req: func.HttpRequest) -> func.HttpResponse:
    """DELETE /api/locks/{name}?token=: release it."""
    return _serve("coord.entrypoints.http.locks:release_lock", req)


@app.route(route="gates/{group}/{environment}", methods=["GET"])
def gate(req: func.HttpRequest) -> func.HttpResponse:
    """GET /api/gates/{group}/{environment}: is every project of the group current and successful there?"""
    return _serve("coord.entrypoints.http.locks:gate", req)


def _serve(target: str, req: func.HttpRequest) -> func.HttpResponse:
    from coord.entrypoints.http.functions import serve_http

    return serve_http(target, req)

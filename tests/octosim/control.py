"""The /_sim/ routes: observe, reset and steer the simulator over HTTP (tests, benchmarks, demos)."""

from __future__ import annotations

from typing import Any

from tests.octosim.errors import ApiError, SimulatorError, not_found, rejected
from tests.octosim.faults import Fault
from tests.octosim.formats import iso
from tests.octosim.routes import Response
from tests.octosim.simulator import Simulator


def handle(sim: Simulator, method: str, path: str, query: dict[str, list[str]], body: Any) -> Response:
    """Answer one /_sim/ request."""
    try:
        return _handle(sim, method, path.rstrip("/"), query, body if isinstance(body, dict) else {})
    except (SimulatorError, ValueError, TypeError, KeyError) as exc:
        return Response(400, {"ErrorMessage": str(exc), "Errors": []})
    except ApiError as exc:
        return Response(exc.status, exc.body())


def _fault_json(fault: Fault) -> dict[str, Any]:
    return fault.describe()


def _handle(
    sim: Simulator, method: str, path: str, query: dict[str, list[str]], body: dict[str, Any]
) -> Response:
    if (method, path) == ("GET", "/_sim/counters"):
        return Response(200, sim.observations.snapshot())
    if (method, path) == ("GET", "/_sim/requests"):
        log = sim.observations.requests
        limit = int(query.get("limit", ["0"])[-1])
        return Response(200, log[-limit:] if limit else log)
    if (method, path) == ("POST", "/_sim/reset"):
        sim.observations.reset()
        if body.get("faults", True):
            sim.faults.clear()
        return Response(200, {"reset": True})
    if (method, path) == ("GET", "/_sim/clock"):
        return Response(200, {"now": iso(sim.clock.now()), "manual": sim.clock.is_manual})
    if (method, path) == ("POST", "/_sim/clock/advance"):
        sim.clock.advance(float(body.get("seconds", 0)))
        sim.sync()
        return Response(200, {"now": iso(sim.clock.now())})
    if (method, path) == ("GET", "/_sim/faults"):
        return Response(200, [_fault_json(f) for f in sim.faults.rules])
    if (method, path) == ("POST", "/_sim/faults"):
        return Response(201, _fault_json(sim.faults.add(**body)))
    if (method, path) == ("DELETE", "/_sim/faults"):
        sim.faults.clear()
        return Response(200, [])
    if (method, path) == ("POST", "/_sim/scripts"):
        sim.script_outcome(**body)
        return Response(201, body)
    if (method, path) == ("POST", "/_sim/releases"):
        release_id = sim.create_release(
            body["project"], body["version"], channel=body.get("channel"), notes=body.get("notes")
        )
        return Response(201, {"Id": release_id})
    if (method, path) == ("POST", "/_sim/deployments"):
        args = {
            k: v
            for k, v in body.items()
            if k in ("tenant", "outcome", "duration", "queue_delay", "user", "comments")
        }
        dep_id = sim.deploy(body["project"], body["version"], body["environment"], **args)
        return Response(201, {"Id": dep_id, "TaskId": sim.deployments[dep_id].task_id})
    if (method, path) == ("POST", "/_sim/subscriptions"):
        sub_id = sim.add_subscription(body.pop("url"), **body)
        return Response(201, {"Id": sub_id})
    if (method, path) == ("GET", "/_sim/webhooks"):
        sim.webhooks.flush(timeout=float(query.get("wait", ["0"])[-1]))
        return Response(200, [d.__dict__ for d in sim.webhooks.deliveries])
    if (method, path) == ("POST", "/_sim/interruptions/answer"):
        sim.answer_interruption(body["id"], body.get("result", "Proceed"))
        return Response(200, {"Id": body["id"]})
    if method not in ("GET", "POST", "DELETE"):
        raise rejected(f"{method} is not supported here")
    raise not_found(path)

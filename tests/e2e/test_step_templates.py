"""The Octopus step templates: their JSON embeds their scripts, and the Bash scripts work.

The scripts run with bash and curl against coord's real routes, served over HTTP on
127.0.0.1 by a small adapter (as the Functions host would serve them, function key included),
with Octopus's script helpers (`get_octopusvariable`, `set_octopusvariable`, `fail_step`)
stood in by shell functions that read and write files.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

from coord.bootstrap import Services
from coord.clock import SystemClock
from coord.entrypoints.http.locks import acquire_lock, gate, release_lock
from coord.entrypoints.http.messages import Request, serve
from coord.feed import service as feed_service
from coord.locks.service import locks_for

ROOT = Path(__file__).resolve().parents[2]
STEPS = ROOT / "steps"
KEY = "test-function-key"
ROUTES = [
    ("POST", re.compile(r"^/api/locks/(?P<name>[^/]+)$"), acquire_lock),
    ("DELETE", re.compile(r"^/api/locks/(?P<name>[^/]+)$"), release_lock),
    ("GET", re.compile(r"^/api/gates/(?P<group>[^/]+)/(?P<environment>[^/]+)$"), gate),
]
SHIM = r"""
get_octopusvariable() { if [ -f "$OCTO_VARS/$1" ]; then cat "$OCTO_VARS/$1"; fi; }
set_octopusvariable() { printf '%s' "$2" >"$OCTO_OUT/$1"; echo "##octopus[setVariable name='$1']"; }
fail_step() { echo "$1" >&2; exit 1; }
"""


class CoordServer:
    """coord's lock and gate routes over real HTTP, with function-key auth and injectable 503s."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.failures = 0  # answer this many next requests with 503, as an overloaded host would
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                owner.handle(self)

            def do_DELETE(self) -> None:
                owner.handle(self)

            def do_GET(self) -> None:
                owner.handle(self)

            def log_message(self, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        self.requests.append(f"{handler.command} {parts.path}")
        status, content_type, payload = self.answer(handler, parts, body)
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(payload)))
        if status == 503:
            handler.send_header("Retry-After", "1")
        handler.end_headers()
        handler.wfile.write(payload)

    def answer(self, handler, parts, body: bytes) -> tuple[int, str, bytes]:
        if handler.headers.get("x-functions-key") != KEY:
            return 401, "text/plain", b""
        if self.failures > 0:
            self.failures -= 1
            return 503, "text/plain", b"busy"
        for method, pattern, route in ROUTES:
            match = pattern.match(parts.path)
            if match and method == handler.command:
                params = {k: unquote(v) for k, v in match.groupdict().items()}
                request = Request(method, params, dict(parse_qsl(parts.query)), dict(handler.headers), body)
                response = serve(lambda r, route=route: route(r, self.services), request)
                return response.status, response.content_type, response.body
        return 404, "text/plain", b""

    def __enter__(self) -> CoordServer:
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def server(coord) -> Iterator[CoordServer]:
    """coord's routes on a real clock (the scripts wait in real time), over coord's tables."""
    services = Services(settings=coord.services.settings, config=coord.services.config, clock=SystemClock())
    with CoordServer(services) as running:
        yield running
    services.close()


class Step:
    """One run of a step script, with its Octopus variables as files."""

    def __init__(self, tmp_path: Path, script: str, variables: dict[str, str]) -> None:
        self.dir = tmp_path / f"{script}-{time.monotonic_ns()}"
        self.vars, self.out = self.dir / "vars", self.dir / "out"
        self.vars.mkdir(parents=True)
        self.out.mkdir()
        for name, value in variables.items():
            (self.vars / name).write_text(value, encoding="utf-8")
        shim = self.dir / "octopus.sh"
        shim.write_text(SHIM, encoding="utf-8")
        command = f'source "{shim}"; source "{STEPS / (script + ".sh")}"'
        env = {"PATH": "/usr/bin:/bin", "OCTO_VARS": str(self.vars), "OCTO_OUT": str(self.out)}
        self.process = subprocess.Popen(
            ["bash", "-c", command], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def finish(self, timeout: float = 60) -> tuple[int, str]:
        out, err = self.process.communicate(timeout=timeout)
        return self.process.returncode, out + err

    def output(self, name: str) -> str | None:
        path = self.out / name
        return path.read_text(encoding="utf-8") if path.exists() else None


def lock_vars(server: CoordServer, **extra: str) -> dict[str, str]:
    return {
        "Coord.Url": server.url + "/",
        "Coord.FunctionKey": KEY,
        "Coord.Lock.Name": "Production",
        "Coord.Lock.Holder": "Checkout 3.2 (Deployments-41)",
        "Coord.Lock.TtlSeconds": "600",
        "Coord.Lock.TimeoutSeconds": "20",
        "Coord.Lock.AcquireStep": "coord: acquire lock",
        "Octopus.Deployment.Id": "Deployments-41",
        "Octopus.Step.Id": "step-1",
        **extra,
    }


def acquire(tmp_path: Path, server: CoordServer, **extra: str) -> Step:
    return Step(tmp_path, "acquire-lock", lock_vars(server, **extra))


def release(tmp_path: Path, server: CoordServer, token: str | None, **extra: str) -> tuple[int, str]:
    variables = lock_vars(server, **extra)
    if token is not None:
        variables["Octopus.Action[coord: acquire lock].Output.LockToken"] = token
    return Step(tmp_path, "release-lock", variables).finish()


# --- the templates ----------------------------------------------------------------------------


def test_every_template_embeds_its_script_file_exactly() -> None:
    files = sorted(STEPS.glob("*.json"))
    assert len(files) == 6
    for path in files:
        template = json.loads(path.read_text(encoding="utf-8"))
        script, syntax = path.name.removesuffix(".json").rsplit(".", 1)
        extension = {"bash": "sh", "powershell": "ps1"}[syntax]
        properties = template["Properties"]
        assert properties["Octopus.Action.Script.ScriptBody"] == (STEPS / f"{script}.{extension}").read_text(
            "utf-8"
        )
        assert properties["Octopus.Action.Script.Syntax"] == {"sh": "Bash", "ps1": "PowerShell"}[extension]
        assert properties["Octopus.Action.Script.ScriptSource"] == "Inline"
        assert template["ActionType"] == "Octopus.Script"
        assert template["$Meta"]["Type"] == "ActionTemplate"
        assert template["Name"].startswith("coord: ")


def test_the_templates_are_what_the_build_script_makes_of_the_scripts() -> None:
    check = subprocess.run(
        [sys.executable, str(STEPS / "build.py"), "--check"], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stderr


def test_template_parameters_default_as_the_issue_asks() -> None:
    acquire_template = json.loads((STEPS / "acquire-lock.bash.json").read_text("utf-8"))
    parameters = {p["Name"]: p for p in acquire_template["Parameters"]}
    assert parameters["Coord.Lock.Name"]["DefaultValue"] == "#{Octopus.Environment.Name}"
    assert parameters["Coord.FunctionKey"]["DisplaySettings"]["Octopus.ControlType"] == "Sensitive"
    assert {"Coord.Url", "Coord.Lock.TtlSeconds", "Coord.Lock.TimeoutSeconds"} <= set(parameters)
    release_template = json.loads((STEPS / "release-lock.powershell.json").read_text("utf-8"))
    names = {p["Name"]: p["DefaultValue"] for p in release_template["Parameters"]}
    assert names["Coord.Lock.AcquireStep"] == "coord: acquire lock"
    assert release_template["Name"] == "coord: release lock (PowerShell)"


def test_scripts_contain_no_octopus_substitution_by_accident() -> None:
    # Octopus replaces #{...} in script bodies before running them.
    for script in [*STEPS.glob("*.sh"), *STEPS.glob("*.ps1")]:
        assert "#{" not in script.read_text("utf-8"), script.name


# --- the Bash scripts against coord over HTTP ---------------------------------------------------


def test_acquire_sets_the_token_and_release_reads_it_from_the_acquiring_step(tmp_path, server) -> None:
    status, log = acquire(tmp_path, server).finish()
    assert status == 0, log
    assert "Acquired lock 'Production' for 'Checkout 3.2 (Deployments-41)'" in log
    token = next(tmp_path.glob("acquire-lock-*/out/LockToken")).read_text()
    assert locks_for(server.services).read("Production").holder.holder == "Checkout 3.2 (Deployments-41)"
    status, log = release(tmp_path, server, token)
    assert status == 0, log
    assert "Released lock 'Production'" in log
    assert locks_for(server.services).read("Production").holder is None


def wait_until(condition, timeout: float = 30.0) -> None:
    """Poll `condition` until it holds: a real bash process moves in real time."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_a_second_deployment_waits_until_the_first_releases(tmp_path, server) -> None:
    first = acquire(tmp_path, server)
    assert first.finish()[0] == 0
    token = first.output("LockToken")
    second = acquire(
        tmp_path, server, **{"Coord.Lock.Holder": "Catalog 2.4", "Octopus.Deployment.Id": "Deployments-42"}
    )
    # It has queued behind the holder and keeps waiting.
    wait_until(lambda: len(locks_for(server.services).read("Production").queue) == 1)
    assert second.process.poll() is None
    released_at = time.time()
    assert release(tmp_path, server, token)[0] == 0
    status, log = second.finish()
    assert status == 0, log
    holder = locks_for(server.services).read("Production").holder
    assert holder is not None and holder.holder == "Catalog 2.4"
    assert holder.granted_at.timestamp() >= released_at  # granted only once the first released
    assert second.output("LockToken") not in (None, token)


def test_acquire_retries_through_503s(tmp_path, server) -> None:
    server.failures = 2
    status, log = acquire(tmp_path, server).finish()
    assert status == 0, log
    assert log.count("coord answered 503") == 2


def test_acquire_gives_up_after_its_timeout_and_leaves_the_queue(tmp_path, server) -> None:
    locks_for(server.services).acquire("Production", "a long migration", timedelta(minutes=10))
    status, log = acquire(tmp_path, server, **{"Coord.Lock.TimeoutSeconds": "2"}).finish()
    assert status == 1
    assert "was not granted within 2s; it is held by 'a long migration'" in log
    assert locks_for(server.services).read("Production").queue == ()


def test_a_wrong_function_key_fails_at_once(tmp_path, server) -> None:
    started = time.monotonic()
    status, log = acquire(tmp_path, server, **{"Coord.FunctionKey": "wrong"}).finish()
    assert status == 1 and "(401)" in log
    assert time.monotonic() - started < 10


def test_release_without_a_token_does_nothing_and_an_expired_token_only_warns(tmp_path, server) -> None:
    status, log = release(tmp_path, server, None)
    assert status == 0 and "nothing to release" in log
    status, log = release(tmp_path, server, "expired-or-wrong")
    assert status == 0 and "WARNING: Lock 'Production' was no longer held" in log


def test_wait_for_gate_waits_until_the_other_projects_are_deployed(tmp_path, server, coord) -> None:
    sim = coord.octosim.sim
    sim.clock.advance(timedelta(minutes=5))
    feed_service.poll(coord.services)
    variables = {
        "Coord.Url": server.url,
        "Coord.FunctionKey": KEY,
        "Coord.Gate.Group": "shop",
        "Coord.Gate.Environment": "Staging",
        "Coord.Gate.Exclude": "Identity",
        "Coord.Gate.TimeoutSeconds": "30",
        "Coord.Gate.PollSeconds": "1",
    }
    step = Step(tmp_path, "wait-for-gate", variables)
    # The script has asked at least twice and is still waiting: the gate is shut.
    wait_until(lambda: sum(r.startswith("GET /api/gates/") for r in server.requests) >= 2)
    assert step.process.poll() is None
    for tenant in ("Acme", "Globex"):
        sim.deploy("Payments", "0.9.0", "Staging", tenant=tenant, check_lifecycle=False)
    sim.clock.advance(timedelta(minutes=5))
    feed_service.poll(coord.services)
    status, log = step.finish()
    assert status == 0, log
    assert "Waiting for: Payments Acme: not deployed; Payments Globex: not deployed" in log
    assert "Gate 'shop' in 'Staging' is open" in log


def test_wait_for_gate_fails_after_its_timeout_saying_what_it_waited_for(tmp_path, server, coord) -> None:
    coord.octosim.sim.clock.advance(timedelta(minutes=5))
    feed_service.poll(coord.services)
    variables = {
        "Coord.Url": server.url,
        "Coord.FunctionKey": KEY,
        "Coord.Gate.Group": "shop",
        "Coord.Gate.Environment": "Staging",
        "Coord.Gate.Versions": "Checkout:>=3.2",
        "Coord.Gate.Projects": "Identity,Checkout",
        "Coord.Gate.TimeoutSeconds": "2",
        "Coord.Gate.PollSeconds": "1",
    }
    status, log = Step(tmp_path, "wait-for-gate", variables).finish()
    assert status == 1
    assert "did not open within 2s; still waiting for: Checkout: version" in log
    assert "3.1.0 is deployed; wanted >=3.2" in log

"""The scripted demo day: what happens in Octopus when, and coord ticking through it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from types import TracebackType
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from coord import heartbeat
from coord.bootstrap import Services
from coord.config import parse_config
from coord.entrypoints.http.messages import Request, serve
from coord.entrypoints.http.promotions import start_promotion
from coord.settings import Settings, StorageTarget
from tests.demo.mailsink import MailSink
from tests.octosim import SimServer, Simulator

TICK = timedelta(minutes=10)
ROOT = Path(__file__).resolve().parents[2]

DEMO_CONFIG = """\
# yaml-language-server: $schema=../../schema/coord.schema.json
timezone: Europe/London
mail:
  from: coord@shop.example
groups:
  shop:
    projects: [Identity, Catalog, Checkout, Storefront, Payments]
    depends_on:
      Checkout: [Identity]
      Storefront: [Catalog, "Checkout >= 3.2"]
      Payments: [Checkout]
promotions:
  - name: evening
    group: shop
    from: Staging
    to: Production
    schedule: "30 18 * * *"
    on_failure: rollback
    max_parallel: 2
notify:
  all_deployed:
    - group: shop
      environments: [Staging, Production]
      to: [shop-team@shop.example]
  promotions:
    to: [shop-team@shop.example]
report:
  schedule: "0 7 * * *"
  to: [engineering@shop.example]
"""


@dataclass
class Step:
    """Something people do in Octopus at a time of the day."""

    at: str  # local time HH:MM on the demo day (or +1 HH:MM for the next morning)
    say: str
    act: Callable[[Simulator], object]


def _release_and_deploy(
    project: str, version: str, env: str, user: str, **kw: object
) -> Callable[[Simulator], object]:
    def act(sim: Simulator) -> object:
        if not any(
            r.version == version for r in sim.releases.values() if sim.projects[r.project_id].name == project
        ):
            sim.create_release(project, version)
        return sim.deploy(project, version, env, user=user, duration=timedelta(minutes=4), **kw)

    return act


def _deploy(project: str, version: str, env: str, user: str, **kw: object) -> Callable[[Simulator], object]:
    return _release_and_deploy(project, version, env, user, **kw)


STEPS: list[Step] = [
    Step(
        "09:40",
        "bob deploys Catalog 2.5.0 to Development",
        _release_and_deploy("Catalog", "2.5.0", "Development", "bob"),
    ),
    Step(
        "10:10",
        "bob deploys Identity 3.2.0 to Development",
        _release_and_deploy("Identity", "3.2.0", "Development", "bob"),
    ),
    Step("11:00", "bob deploys Catalog 2.5.0 to Staging", _deploy("Catalog", "2.5.0", "Staging", "bob")),
    Step(
        "11:10",
        "bob deploys Identity 3.2.0 to Staging: it waits 12 minutes in Octopus's task queue",
        _deploy("Identity", "3.2.0", "Staging", "bob", queue_delay=timedelta(minutes=12)),
    ),
    Step(
        "13:20",
        "alice deploys Storefront 5.2.0 to Development",
        _release_and_deploy("Storefront", "5.2.0", "Development", "alice"),
    ),
    Step(
        "14:00",
        "alice deploys Storefront 5.2.0 to Staging: it fails",
        _deploy("Storefront", "5.2.0", "Staging", "alice", outcome="Failed"),
    ),
    Step(
        "15:10",
        "alice fixes it: Storefront 5.2.1 to Development",
        _release_and_deploy("Storefront", "5.2.1", "Development", "alice"),
    ),
    Step(
        "15:40",
        "alice deploys Storefront 5.2.1 to Staging",
        _deploy("Storefront", "5.2.1", "Staging", "alice"),
    ),
    Step(
        "18:20",
        "(the simulator will fail Storefront's next deployment to Production)",
        lambda sim: sim.script_outcome(
            project="Storefront", environment="Production", outcome="Failed", duration=timedelta(minutes=3)
        ),
    ),
    Step(
        "19:40",
        "alice fixes Storefront again: 5.2.2 to Development",
        _release_and_deploy("Storefront", "5.2.2", "Development", "alice"),
    ),
    Step(
        "20:00",
        "alice deploys Storefront 5.2.2 to Staging",
        _deploy("Storefront", "5.2.2", "Staging", "alice"),
    ),
]

# Ad-hoc promotions an operator starts over HTTP (POST /api/promotions), by local time, and the
# name App Service authentication gives the caller.
AD_HOC = {"20:30": {"group": "shop", "from": "Staging", "to": "Production"}}
OPERATOR = "priya@shop.example"
# Where the demo's coord would answer HTTP: `func start` serves the functions here.
PUBLIC_URL = "http://localhost:7071"
# A cooperating project's deployment holds a lock while the evening promotion runs, and the
# status page is written then (a person looking at it mid-run), and again the next morning.
LOCK = ("18:40", "shop-database", "Checkout database migration", timedelta(minutes=45))
STATUS_AT = ("18:40", "+1 07:10")


class DemoDay:
    """Azurite (given), the simulator, a mail sink and coord, for one scripted day."""

    def __init__(self, storage: str, out: Path, *, echo: bool = True) -> None:
        self.out = out
        self.echo = echo
        self.mail_dir = out / "mail"
        for old in self.mail_dir.glob("*.eml") if self.mail_dir.exists() else []:
            old.unlink()
        for old in out.glob("status-*.html") if out.exists() else []:
            old.unlink()
        out.mkdir(parents=True, exist_ok=True)
        self.config_path = out / "coord.yaml"
        self.config_path.write_text(DEMO_CONFIG, encoding="utf-8")
        self.sim = Simulator.from_scenario("demo")
        self.server = SimServer(self.sim)
        self.sink = MailSink(self.mail_dir)
        self.storage = storage
        self.services: Services | None = None
        self.first_tick = True
        self.report_path: Path | None = None
        self.day = self.sim.clock.now().date()

    def __enter__(self) -> DemoDay:
        self.server.start()
        self.sink.start()
        settings = Settings(
            octopus_server_url=self.server.url,
            octopus_api_key=SecretStr(self.server.api_key),
            storage=StorageTarget(connection_string=SecretStr(self.storage)),
            table_prefix=f"demo{int(time.time())}",
            smtp_host="127.0.0.1",
            smtp_port=self.sink.port,
            smtp_security="none",
            config_path=self.config_path,
            public_url=PUBLIC_URL,
            caller_identity=True,  # as with App Service authentication on
        )
        config = parse_config(DEMO_CONFIG, str(self.config_path))
        self.services = Services(settings=settings, config=config, clock=_SimTime(self.sim))
        return self

    def __exit__(self, *exc: object) -> None:
        if self.services is not None:
            self.services.close()
        self.sink.stop()
        self.server.stop()

    # --- the day ------------------------------------------------------------------------

    def say(self, text: str, *, when: datetime | None = None) -> None:
        if self.echo:
            moment = (when or self.sim.clock.now()).astimezone(self.zone)
            print(f"{moment:%a %H:%M}  {text}", flush=True)

    @property
    def zone(self) -> ZoneInfo:
        assert self.services is not None
        return self.services.config.zone

    def local(self, spec: str) -> datetime:
        """A demo time: "HH:MM" on the first day, "+1 HH:MM" on the next."""
        start = self.sim.clock.now().astimezone(self.zone)
        days, _, hhmm = spec.rpartition(" ")
        hour, minute = (int(x) for x in hhmm.split(":"))
        base = start.replace(hour=hour, minute=minute, second=0, microsecond=0)
        return base + timedelta(days=int(days or 0))

    def play(self) -> bool:
        assert self.services is not None
        services = self.services
        self.say(f"Octopus simulator at {self.server.url} (demo world), mail sink on port {self.sink.port}")
        self.say("coord reads the past week of deployments on its first tick")
        self.day = self.sim.clock.now().astimezone(self.zone).date()
        steps = sorted(((self.local(s.at), s) for s in STEPS), key=lambda pair: pair[0])
        ad_hoc = sorted((self.local(at), body) for at, body in AD_HOC.items())
        lock_at = self.local(LOCK[0])
        pages = [self.local(at) for at in STATUS_AT]
        end = self.local("+1 07:10")
        while self.sim.clock.now() <= end:
            now = self.sim.clock.now()
            while steps and steps[0][0] <= now:
                _, step = steps.pop(0)
                self.say(step.say)
                step.act(self.sim)
            while ad_hoc and ad_hoc[0][0] <= now:
                _, body = ad_hoc.pop(0)
                self.start_promotion(body)
            if lock_at is not None and lock_at <= now:
                lock_at = None
                self.take_lock()
            report = heartbeat.tick(services)
            self.narrate(report)
            while pages and pages[0] <= now:
                pages.pop(0)
                self.write_status_page()
            self.sim.clock.advance(TICK)
        self.finish()
        return True

    def start_promotion(self, body: dict[str, str]) -> None:
        """What an operator's POST /api/promotions does, through the same route function."""
        assert self.services is not None
        self.say(f"{OPERATOR}: POST /api/promotions {json.dumps(body)}")
        headers = {"X-MS-CLIENT-PRINCIPAL-NAME": OPERATOR}  # App Service authentication signed her in
        request = Request("POST", headers=headers, body=json.dumps(body).encode())
        answer = serve(lambda r: start_promotion(r, self.services), request)
        document = json.loads(answer.body)
        self.say(f"  coord: {answer.status}, run {document.get('id')} {document.get('status', '')}".rstrip())

    def take_lock(self) -> None:
        """What the acquire-lock step template does from a project's deployment."""
        assert self.services is not None
        from coord.locks.service import locks_for  # noqa: PLC0415

        _, name, holder, ttl = LOCK
        locks_for(self.services).acquire(name, holder, ttl)
        self.say(f"{holder}: POST /api/locks/{name} (held for up to {ttl.total_seconds() / 60:.0f} minutes)")

    def write_status_page(self) -> None:
        """`python -m coord status --html`, as an operator would look at the status page."""
        moment = self.sim.clock.now().astimezone(self.zone)
        path = self.out / f"status-{moment:%Y-%m-%d-%H%M}.html"
        done = self.coord_cli("status", "--html", str(path))
        self.say(f"  $ python -m coord status --html {_shown(path)}: {(done.stdout or done.stderr).strip()}")

    def narrate(self, report: heartbeat.TickReport) -> None:
        if self.first_tick and report.poll is not None:
            self.first_tick = False
            self.say(f"  coord recorded {report.poll.records_written} deployments from the past week")
        elif report.poll is not None and report.poll.changed:
            names = self.services.names.load() if self.services else None
            for record in report.poll.changed:
                if not record.is_completed or names is None:
                    continue
                tenant = f" for {names.tenant_name(record.tenant_id)}" if record.tenant_id else ""
                self.say(
                    f"  Octopus: {names.project_name(record.project_id)} {record.release_version} "
                    f"to {names.environment_name(record.environment_id)}{tenant}: {record.state.value}",
                    when=record.completed_time,
                )
        for note in report.notes:
            self.say(f"  coord: {note}")

    def coord_cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `python -m coord ...` as an operator would, with the demo's settings."""
        assert self.services is not None
        settings = self.services.settings
        env = {
            **os.environ,
            "OCTOPUS_SERVER_URL": self.server.url,
            "OCTOPUS_API_KEY": self.server.api_key,
            "COORD_STORAGE": self.storage,
            "COORD_TABLE_PREFIX": settings.table_prefix,
            "COORD_CONFIG": str(self.config_path),
            "COORD_PUBLIC_URL": PUBLIC_URL,
            "NO_COLOR": "1",
        }
        command = [sys.executable, "-m", "coord", *args, "--now", self.sim.clock.now().isoformat()]
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)

    def finish(self) -> None:
        assert self.services is not None
        day = self.day
        print("\n$ python -m coord status")
        print(self.coord_cli("status").stdout.rstrip())
        self.report_path = self.out / f"report-{day.isoformat()}.html"
        shown = _shown(self.report_path)
        print(f"\n$ python -m coord report --date {day.isoformat()} --out {shown}")
        done = self.coord_cli("report", "--date", day.isoformat(), "--out", str(self.report_path))
        print((done.stdout or done.stderr).rstrip())
        emails = sorted(self.mail_dir.glob("*.eml"))
        print(f"\n{len(emails)} emails received by the mail sink, in {_shown(self.mail_dir)}:")
        for path in emails:
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            print(f"  {path.name}: {message['Subject']}")
        print(f"the report: {_shown(self.report_path)}")
        for page in sorted(self.out.glob("status-*.html")):
            print(f"the status page: {_shown(page)}")


def _shown(path: Path) -> Path:
    """A path as a person would type it here: relative to the checkout when inside it."""
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


class _SimTime:
    """coord's clock, following the simulator's."""

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim

    def now(self) -> datetime:
        return self._sim.clock.now()


__all__ = ["DemoDay", "TracebackType"]

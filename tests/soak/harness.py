"""The soak: days of deployments across many projects, ticked by coord under faults, then invariants.

One `Soak` builds an Octopus world in the simulator (manual clock), starts its own Azurite with
disk persistence (so it can be stopped and restarted without losing data) and an SMTP server,
and moves the clock through the days. Releases flow Development -> Test -> Staging at random
times with random outcomes; coord promotes groups to Production every evening, mails "all
deployed" and a daily report. Meanwhile Octopus answers 5xx, 429 with Retry-After, holds
connections until they time out and loses responses to POSTs; Azurite is stopped and restarted;
the SMTP server refuses mail; some ticks are `python -m coord tick` processes killed at random
points; some ticks run two at once. Octopus's subscription webhook reaches coord's route on its
own instance, some deliveries twice, late and out of order, and advances runs between ticks.

After a settling phase without faults, `Figures` holds the invariants: every deployment recorded
with its final state, no deployment created twice, none created before what it depends on, no
email sent twice, one report per day, every promotion run ended.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from coord import heartbeat
from coord.bootstrap import Services
from coord.config import parse_config
from coord.domain.records import DeploymentRecord
from coord.octopus import OctopusClient
from coord.octopus.retry import RetryPolicy
from coord.promotion.model import Run
from coord.promotion.runner import runs
from coord.settings import Settings, StorageTarget
from coord.store import StoreError
from tests.fixtures.smtp import DROP, SmtpServer, run_smtp_server
from tests.fixtures.webhooks import HEADER, SECRET, WebhookReceiver
from tests.octosim import SimServer, Simulator
from tests.octosim.clock import ManualClock
from tests.octosim.errors import SimulatorError
from tests.soak.order import keys_of, order_violations

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "scripts") not in sys.path:
    sys.path.insert(0, str(ROOT / "scripts"))

import dev  # noqa: E402  (scripts/dev.py: where Azurite lives and its connection string)

log = logging.getLogger(__name__)

ZONE = ZoneInfo("Europe/London")
ENVIRONMENTS = ("Development", "Test", "Staging", "Production")
TENANTS = ("Acme", "Globex")
TENANTED = "Billing"
# Retries sized for a test: the same attempts as production, with waits of milliseconds.
FAST_RETRY = RetryPolicy(
    attempts=5, timeout=15.0, wait_initial=0.02, wait_max=0.2, wait_jitter=0.02, settle_after_timeout=0.3
)
FAR_PAST = datetime(2000, 1, 1, tzinfo=UTC)
FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SoakOptions:
    """How long, how busy and how faulty a soak is."""

    days: int = 7
    projects: int = 50
    tick_minutes: int = 15
    seed: int = 20261123
    release_chance: float = 0.4  # per project and day
    failure_chance: float = 0.08  # per deployment a person makes
    subprocess_chance: float = 0.06  # per tick: a `python -m coord tick` process, often killed
    concurrent_chance: float = 0.08  # per tick: two ticks at once
    azurite_outages_per_day: int = 1
    settle_limit: timedelta = timedelta(hours=8)
    start: date = date(2026, 11, 23)  # a Monday; the first day the soak ticks through


@dataclass
class Figures:
    """What the soak did and the invariants it checked."""

    days: int = 0
    projects: int = 0
    deployments_happened: int = 0
    deployments_recorded: int = 0
    deployments_missing: list[str] = field(default_factory=list)
    deployments_wrong_state: list[str] = field(default_factory=list)
    deployments_created_by_coord: int = 0
    duplicate_deployments: dict[str, int] = field(default_factory=dict)
    order_violations: list[str] = field(default_factory=list)
    webhooks_by_status: dict[str, int] = field(default_factory=dict)
    webhooks_late: int = 0
    webhooks_repeated: int = 0
    runs_advanced_by_webhook: int = 0
    emails_received: int = 0
    duplicate_emails: dict[str, int] = field(default_factory=dict)
    emails_given_up: list[str] = field(default_factory=list)
    report_days_expected: list[str] = field(default_factory=list)
    reports_by_day: dict[str, int] = field(default_factory=dict)
    all_deployed_emails: int = 0
    promotion_evenings: int = 0
    promotion_runs: int = 0
    promotion_runs_by_phase: dict[str, int] = field(default_factory=dict)
    promotion_runs_unfinished: list[str] = field(default_factory=list)
    promotion_outcome_emails: int = 0
    skipped_slots: int = 0
    ticks: Counter[str] = field(default_factory=Counter)
    tick_errors: list[str] = field(default_factory=list)
    octopus_faults: dict[str, int] = field(default_factory=dict)
    smtp_refusals: int = 0
    azurite_restarts: int = 0
    settled_after: timedelta | None = None
    wall_seconds: float = 0.0

    @property
    def reports_missing(self) -> list[str]:
        return [d for d in self.report_days_expected if self.reports_by_day.get(d, 0) == 0]

    @property
    def reports_repeated(self) -> list[str]:
        return [d for d, n in self.reports_by_day.items() if n > 1]

    def violations(self) -> list[str]:
        """Each broken invariant, in words; empty when the soak passed."""
        found = []
        if self.deployments_missing:
            found.append(f"deployments not recorded: {self.deployments_missing[:10]}")
        if self.deployments_wrong_state:
            found.append(f"deployments recorded with another state: {self.deployments_wrong_state[:10]}")
        if self.duplicate_deployments:
            found.append(f"deployments created twice: {self.duplicate_deployments}")
        if self.order_violations:
            found.append(f"deployments created out of dependency order: {self.order_violations[:5]}")
        if self.duplicate_emails:
            found.append(f"emails sent twice: {self.duplicate_emails}")
        if self.reports_missing or self.reports_repeated:
            found.append(f"reports missing {self.reports_missing}, repeated {self.reports_repeated}")
        if self.promotion_runs_unfinished:
            found.append(f"promotion runs that did not end: {self.promotion_runs_unfinished}")
        if self.tick_errors:
            found.append(f"ticks that failed outside an Azurite outage: {self.tick_errors[:5]}")
        if self.settled_after is None:
            found.append("coord did not settle after the faults stopped")
        return found

    def table(self) -> str:
        """The figures as a plain-text table."""
        reports_sent = sum(self.reports_by_day.values())
        rows = [
            (
                "simulated days / projects / environments",
                f"{self.days} / {self.projects} / {len(ENVIRONMENTS)}",
            ),
            ("deployments recorded / happened", f"{self.deployments_recorded} / {self.deployments_happened}"),
            (
                "  missing / recorded with another state",
                f"{len(self.deployments_missing)} / {len(self.deployments_wrong_state)}",
            ),
            ("deployments created by coord", str(self.deployments_created_by_coord)),
            ("duplicate deployments created", str(len(self.duplicate_deployments))),
            ("deployments created out of dependency order", str(len(self.order_violations))),
            (
                "webhook deliveries by status",
                ", ".join(f"{k} {v}" for k, v in sorted(self.webhooks_by_status.items())),
            ),
            ("  late / repeated deliveries", f"{self.webhooks_late} / {self.webhooks_repeated}"),
            ("  run advances by a webhook", str(self.runs_advanced_by_webhook)),
            ("emails received / duplicate emails", f"{self.emails_received} / {len(self.duplicate_emails)}"),
            ("emails given up (at most once after a kill)", str(len(self.emails_given_up))),
            ("reports sent / days", f"{reports_sent} / {len(self.report_days_expected)}"),
            (
                "  days without a report / with more than one",
                f"{len(self.reports_missing)} / {len(self.reports_repeated)}",
            ),
            ("all-deployed emails", str(self.all_deployed_emails)),
            ("promotion slots due / runs", f"{self.promotion_evenings} / {self.promotion_runs}"),
            (
                "  runs by outcome",
                ", ".join(f"{k} {v}" for k, v in sorted(self.promotion_runs_by_phase.items())),
            ),
            ("  promotion runs that did not end", str(len(self.promotion_runs_unfinished))),
            ("  promotion outcome emails", str(self.promotion_outcome_emails)),
            ("schedule slots skipped", str(self.skipped_slots)),
            ("ticks", ", ".join(f"{k} {v}" for k, v in sorted(self.ticks.items()))),
            ("ticks failing outside an outage", str(len(self.tick_errors))),
            ("Octopus faults served", ", ".join(f"{k} {v}" for k, v in sorted(self.octopus_faults.items()))),
            ("SMTP refusals scripted / Azurite restarts", f"{self.smtp_refusals} / {self.azurite_restarts}"),
            (
                "settled after (simulated)",
                str(self.settled_after) if self.settled_after is not None else "never",
            ),
            ("wall time", f"{self.wall_seconds:.0f} s"),
        ]
        width = max(len(name) for name, _ in rows)
        lines = [f"{name.ljust(width)}  {value}" for name, value in rows]
        return "\n".join(lines)


# --- the real services the soak runs against -----------------------------------------------


class Azurite:
    """Azurite's table service with its data on disk, so it can be stopped and started again."""

    def __init__(self, location: Path) -> None:
        self.location = location
        self.port = dev.free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def connection_string(self) -> str:
        return dev.azurite_connection_string(self.port)

    def start(self) -> None:
        binary = ROOT / "node_modules" / ".bin" / "azurite-table"
        args = [
            str(binary),
            "--location",
            str(self.location),
            "--disableTelemetry",
            "--silent",
            "--tableHost",
            "127.0.0.1",
            "--tablePort",
            str(self.port),
        ]
        self.process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5),
            ):
                return
            if self.process.poll() is not None or time.monotonic() > deadline:
                msg = f"Azurite did not start on port {self.port}"
                raise RuntimeError(msg)
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop it gracefully: on SIGINT Azurite writes its data to disk (after SIGTERM the last
        seconds of writes are lost, which durable Table Storage never does)."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@contextlib.contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    """The tests' aiosmtpd server (tests/fixtures/smtp.py), outside pytest."""
    running = run_smtp_server()
    server = next(running)
    try:
        yield server
    finally:
        running.close()


class SimTime:
    """coord's clock, following the simulator's."""

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim

    def now(self) -> datetime:
        return self._sim.clock.now()


# --- the world -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Which projects exist, in which coord group, and what depends on what."""

    groups: dict[str, list[str]]  # coord group -> projects
    depends_on: dict[str, list[str]]  # within the first group
    others: list[str]  # projects in Octopus that no coord group names

    @property
    def projects(self) -> list[str]:
        return [p for members in self.groups.values() for p in members] + self.others


def make_layout(projects: int) -> Layout:
    """Three project groups: `shop` (with dependencies and the tenanted project), `platform`, the rest."""
    shop = ["Identity", "Catalog", "Checkout", "Storefront", TENANTED]
    shop += [f"Shop{n:02d}" for n in range(1, max(0, min(10, projects // 5) - len(shop)) + 1)]
    rest = max(0, projects - len(shop))
    platform = [f"Platform{n:02d}" for n in range(1, rest // 2 + 1)]
    others = [f"Data{n:02d}" for n in range(1, rest - len(platform) + 1)]
    depends = {"Checkout": ["Identity"], "Storefront": ["Catalog", "Checkout"], TENANTED: ["Checkout"]}
    return Layout({"shop": shop, "platform": platform}, depends, others)


def config_text(layout: Layout) -> str:
    """coord.yaml for the soak: two groups, two evening promotions, all-deployed rules, the report."""

    def flow(items: list[str]) -> str:
        return "[" + ", ".join(items) + "]"

    deps = "\n".join(f"      {p}: {flow(d)}" for p, d in layout.depends_on.items())
    return f"""\
timezone: Europe/London
mail:
  from: coord@soak.example
groups:
  shop:
    projects: {flow(layout.groups["shop"])}
    depends_on:
{deps}
  platform:
    projects: {flow(layout.groups["platform"])}
promotions:
  - name: evening
    group: shop
    from: Staging
    to: Production
    schedule: "30 18 * * *"
    on_failure: rollback
    max_parallel: 3
  - name: platform-evening
    group: platform
    from: Staging
    to: Production
    schedule: "45 18 * * *"
    on_failure: halt
notify:
  all_deployed:
    - group: shop
      environments: [Staging, Production]
      to: [shop-team@soak.example]
    - group: platform
      environments: [Staging, Production]
      to: [platform-team@soak.example]
  promotions:
    to: [ops@soak.example]
report:
  schedule: "0 7 * * *"
  to: [engineering@soak.example]
"""


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A local wall-clock time on `day`, as an aware UTC datetime."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE).astimezone(UTC)


def build_world(layout: Layout, start: datetime, seed: int) -> Simulator:
    """The Octopus side: four environments, one lifecycle through all of them, every project at 1.0.0."""
    sim = Simulator(clock=ManualClock(start), seed=seed)
    for env in ENVIRONMENTS:
        sim.add_environment(env)
    sim.add_lifecycle("Default Lifecycle")  # no phases: one phase per environment, in order
    for group in ("Shop", "Platform", "Data"):
        sim.add_project_group(group)
    for project in layout.projects:
        group = (
            "Shop" if project in layout.groups["shop"] else "Data" if project in layout.others else "Platform"
        )
        sim.add_project(project, group=group, tenanted="Tenanted" if project == TENANTED else "Untenanted")
    for tenant in TENANTS:
        sim.add_tenant(tenant, {TENANTED: ENVIRONMENTS})
    # History before the soak: 1.0.0 of every project everywhere, two days before it starts.
    at = start - timedelta(days=2)
    for project in layout.projects:
        sim.create_release(project, "1.0.0", assembled=at - timedelta(hours=1))
    for env in ENVIRONMENTS:
        for project in layout.projects:
            for tenant in TENANTS if project == TENANTED else (None,):
                sim.deploy(project, "1.0.0", env, tenant=tenant, at=at, duration=timedelta(minutes=2))
                at += timedelta(seconds=20)
        at += timedelta(minutes=10)
    sim.sync()
    return sim


@dataclass(order=True)
class Action:
    """Something a person does in Octopus at a moment."""

    at: datetime
    order: int
    kind: str = field(compare=False)  # release, deploy, hotfix, script-failure
    project: str = field(compare=False)
    version: str = field(compare=False, default="")
    environment: str = field(compare=False, default="")
    outcome: str = field(compare=False, default="Success")
    minutes: int = field(compare=False, default=3)


def plan_day(layout: Layout, day: date, index: int, rng: random.Random, options: SoakOptions) -> list[Action]:
    """A day of people's work: new releases through Development, Test and Staging; a Production hotfix."""
    actions: list[Action] = []
    seq = 0

    def add(at: datetime, kind: str, project: str, **kw: object) -> None:
        nonlocal seq
        seq += 1
        actions.append(Action(at, index * 100_000 + seq, kind, project, **kw))  # type: ignore[arg-type]

    for n, project in enumerate(layout.projects):
        if rng.random() >= options.release_chance:
            continue
        version = f"1.{index + 1}.{n}"
        at = local(day, 8) + timedelta(minutes=rng.randrange(0, 8 * 60))
        add(at, "release", project, version=version)
        for env in ENVIRONMENTS[:3]:
            outcome = "Failed" if rng.random() < options.failure_chance else "Success"
            add(
                at,
                "deploy",
                project,
                version=version,
                environment=env,
                outcome=outcome,
                minutes=rng.randrange(1, 7),
            )
            at += timedelta(minutes=rng.randrange(20, 90))
    # Before the evening run, sometimes Octopus will fail one shop project's Production deployment.
    # A project released today is likely to be promoted tonight, so the run meets the failure.
    released = [a.project for a in actions if a.kind == "release" and a.project in layout.groups["shop"]]
    if released and rng.random() < 0.6:
        add(local(day, 18, 0), "script-failure", rng.choice(released), environment="Production")
    # A person deploys to Production by hand, sometimes while a promotion runs.
    add(
        local(day, 10) + timedelta(minutes=rng.randrange(0, 10 * 60)),
        "hotfix",
        rng.choice(layout.projects),
        environment="Production",
        minutes=rng.randrange(2, 10),
    )
    return sorted(actions)


# --- the soak --------------------------------------------------------------------------------


class Soak:
    """One soak run; use as a context manager, then `run()`."""

    def __init__(self, options: SoakOptions, workdir: Path | None = None, *, echo: bool = False) -> None:
        self.options = options
        self.echo = echo
        self.rng = random.Random(options.seed)
        self._tmp = tempfile.TemporaryDirectory(prefix="coord-soak-") if workdir is None else None
        self.workdir = Path(self._tmp.name) if self._tmp else workdir  # type: ignore[assignment]
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.layout = make_layout(options.projects)
        self.config_path = self.workdir / "coord.yaml"
        self.config_path.write_text(config_text(self.layout), encoding="utf-8")
        self.config = parse_config(self.config_path.read_text(encoding="utf-8"), str(self.config_path))
        self.start = local(options.start, 0)
        self.end = local(options.start + timedelta(days=options.days), 8)
        self.sim = build_world(self.layout, self.start, options.seed)
        self.server = SimServer(self.sim)
        self.azurite = Azurite(self.workdir / "azurite")
        self.prefix = f"soak{options.seed % 100000}{int(time.time()) % 100000}"
        self.figures = Figures(days=options.days, projects=len(self.layout.projects))
        self._stack = contextlib.ExitStack()
        self.smtp: SmtpServer | None = None
        self.services: Services | None = None
        self.azurite_down = False
        self.subprocesses: list[subprocess.Popen[bytes]] = []
        self.hook_services: Services | None = None
        self.receiver = WebhookReceiver(self.webhook_services)

    def __enter__(self) -> Soak:
        self._stack.enter_context(self.server)
        self.azurite.start()
        self._stack.callback(self.azurite.stop)
        self.smtp = self._stack.enter_context(smtp_server())
        self.services = self.new_services()
        self.receiver.start()
        self._stack.callback(self.receiver.stop)
        # Octopus's own delivery faults: duplicates, batches reversed, some payloads 40 minutes late.
        self.sim.add_subscription(
            self.receiver.url,
            header_key=HEADER,
            header_value=SECRET,
            duplicate_rate=0.15,
            out_of_order=True,
            late_rate=0.2,
            late_by=timedelta(minutes=40),
        )
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self.subprocesses:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.sim.webhooks.stop()
        if self.services is not None:
            self.services.close()
        if self.hook_services is not None:
            self.hook_services.close()
        self._stack.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def say(self, text: str) -> None:
        if self.echo:
            print(f"{self.sim.clock.now().astimezone(ZONE):%a %d %H:%M}  {text}", flush=True)

    # --- coord, three ways --------------------------------------------------------------------

    def settings(self) -> Settings:
        assert self.smtp is not None
        return Settings(
            octopus_server_url=self.server.url,
            octopus_api_key=SecretStr(self.server.api_key),
            storage=StorageTarget(connection_string=SecretStr(self.azurite.connection_string)),
            table_prefix=self.prefix,
            smtp_host=self.smtp.host,
            smtp_port=self.smtp.port,
            smtp_security="none",
            config_path=self.config_path,
            webhook_secret=SecretStr(SECRET),
        )

    def new_services(self) -> Services:
        """coord as one process sees it: its own Octopus client (fast retries) and table clients."""
        client = OctopusClient(self.server.url, self.server.api_key, retry=FAST_RETRY)
        return Services(
            settings=self.settings(), config=self.config, clock=SimTime(self.sim), octopus_client=client
        )

    def webhook_services(self) -> Services:
        """The webhook's instance: its own clients, made on the first delivery."""
        if self.hook_services is None:
            self.hook_services = self.new_services()
        return self.hook_services

    def tick_in_process(self, services: Services, label: str) -> None:
        self.figures.ticks[label] += 1
        try:
            report = heartbeat.tick(services)
        except StoreError as exc:
            if self.azurite_down:
                self.figures.ticks["failed cleanly: Azurite down"] += 1
                return
            self.figures.tick_errors.append(f"{self.sim.clock.now().isoformat()} {type(exc).__name__}: {exc}")
            return
        except Exception as exc:  # noqa: BLE001 (the soak records whatever escapes a tick)
            where = "during an Azurite outage" if self.azurite_down else ""
            self.figures.tick_errors.append(
                f"{self.sim.clock.now().isoformat()} {type(exc).__name__} {where}: {exc}"[:400]
            )
            return
        if report.failed:  # an outage met by the tick: it did what it could and says so
            self.figures.ticks[self._failed_cleanly()] += 1
        for note in report.notes:
            if "started" in note or "ended" in note or "queued" in note or "Succeeded" in note:
                self.say(f"  {note}")

    def _failed_cleanly(self) -> str:
        return "failed cleanly: Azurite down" if self.azurite_down else "failed cleanly: Octopus unreachable"

    def tick_pair(self) -> None:
        """Two ticks at the same moment, each with its own clients, as two Function instances."""
        pair = [self.new_services(), self.new_services()]
        threads = [threading.Thread(target=self.tick_in_process, args=(s, "concurrent")) for s in pair]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        for services in pair:
            services.close()

    def tick_subprocess(self, kill_after: float | None) -> None:
        """`python -m coord tick --now <sim time>`, SIGKILLed after `kill_after` seconds when given."""
        assert self.smtp is not None
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("COORD_", "OCTOPUS_", "SMTP_", "ACS_"))
        }
        env.update(
            OCTOPUS_SERVER_URL=self.server.url,
            OCTOPUS_API_KEY=self.server.api_key,
            COORD_STORAGE=self.azurite.connection_string,
            COORD_TABLE_PREFIX=self.prefix,
            COORD_CONFIG=str(self.config_path),
            SMTP_HOST=self.smtp.host,
            SMTP_PORT=str(self.smtp.port),
            SMTP_SECURITY="none",
            NO_COLOR="1",
        )
        command = [sys.executable, "-m", "coord", "tick", "--now", self.sim.clock.now().isoformat()]
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.subprocesses.append(proc)
        try:
            _, err = proc.communicate(timeout=kill_after if kill_after is not None else 180)
        except subprocess.TimeoutExpired:
            proc.kill()  # SIGKILL: no cleanup, no finally blocks
            proc.communicate()
            self.figures.ticks["process killed"] += 1
            return
        finally:
            self.subprocesses.remove(proc)
        if proc.returncode == 0:
            self.figures.ticks["process finished"] += 1
        elif proc.returncode == 2 and err and _only_outages(err.decode(errors="replace")):
            # A tick that met an outage exits 2 after doing what it could (interface.md).
            self.figures.ticks[self._failed_cleanly()] += 1
        else:
            tail = err.decode(errors="replace").strip().splitlines()[-1:] if err else []
            self.figures.tick_errors.append(
                f"{self.sim.clock.now().isoformat()} process exit {proc.returncode}: {' '.join(tail)}"[:400]
            )

    # --- faults -------------------------------------------------------------------------------

    def background_faults(self) -> None:
        """Faults that stay on for the whole faulty phase."""
        faults = self.sim.faults
        faults.add("GET *", status=503, rate=0.02)
        faults.add("GET /events", status=500, rate=0.03)
        faults.add("GET /tasks", status=502, rate=0.03)
        faults.add("GET /deployments", status=503, rate=0.03)
        faults.add("POST /deployments", lost_response=True, rate=0.25)
        faults.add("POST /deployments", status=500, rate=0.05)
        faults.add("POST /deployments", timeout=0.3, rate=0.05)

    def tick_faults(self) -> None:
        """Faults that come and go: a 429, a held connection, a refusing SMTP server."""
        rng = self.rng
        assert self.smtp is not None
        if rng.random() < 0.08:
            self.sim.faults.add("*", status=429, retry_after=1, count=1)
        if rng.random() < 0.06:
            self.sim.faults.add("GET *", timeout=0.4, count=1)
        if rng.random() < 0.08:
            times = rng.randrange(1, 4)
            self.smtp.fail_next("MAIL", "451 4.3.0 Try again later", times=times)
            self.figures.smtp_refusals += times
        if rng.random() < 0.03:
            self.smtp.fail_next("DATA", DROP)
            self.figures.smtp_refusals += 1

    def stop_azurite(self) -> None:
        self.say("Azurite stops")
        self.azurite.stop()
        self.azurite_down = True

    def start_azurite(self) -> None:
        self.azurite.start()
        self.azurite_down = False
        self.figures.azurite_restarts += 1
        self.say("Azurite is back")

    # --- the days -----------------------------------------------------------------------------

    def act(self, action: Action) -> None:
        sim = self.sim
        try:
            if action.kind == "release":
                sim.create_release(action.project, action.version)
            elif action.kind == "deploy":
                tenants = TENANTS if action.project == TENANTED else (None,)
                for tenant in tenants:
                    sim.deploy(
                        action.project,
                        action.version,
                        action.environment,
                        tenant=tenant,
                        outcome=action.outcome,
                        duration=timedelta(minutes=action.minutes),
                        user="dev",
                    )
            elif action.kind == "hotfix":
                version = self._current(action.project, "Staging")
                if version is not None:
                    tenants = TENANTS if action.project == TENANTED else (None,)
                    for tenant in tenants:
                        sim.deploy(
                            action.project,
                            version,
                            "Production",
                            tenant=tenant,
                            duration=timedelta(minutes=action.minutes),
                            user="carol",
                        )
            elif action.kind == "script-failure":
                sim.script_outcome(
                    project=action.project,
                    environment="Production",
                    outcome="Failed",
                    duration=timedelta(minutes=2),
                )
        except SimulatorError:
            # The lifecycle refuses a release whose earlier environment failed: people move on.
            self.figures.ticks["people: deployment refused by the lifecycle"] += 1

    def _current(self, project: str, environment: str) -> str | None:
        sim = self.sim
        proj, env = sim.project(project), sim.environment(environment)
        best = None
        for dep in sim.deployments.values():
            if (dep.project_id, dep.environment_id) != (proj.id, env.id) or sim.task_state(
                dep.id
            ) != "Success":
                continue
            if best is None or dep.created > best.created:
                best = dep
        return sim.releases[best.release_id].version if best is not None else None

    def run(self) -> Figures:
        """Tick through the days with faults, settle without them, check the invariants."""
        assert self.services is not None
        started = time.monotonic()
        rng = self.rng
        opts = self.options
        actions: list[Action] = []
        outages: list[tuple[datetime, datetime]] = []
        for index in range(opts.days):
            day = opts.start + timedelta(days=index)
            actions += plan_day(self.layout, day, index, rng, opts)
            for _ in range(opts.azurite_outages_per_day):
                # Between 10:00 and 16:00, away from the report and promotion slots; 1-3 ticks long.
                ticks_in = rng.randrange(0, 6 * 60 // opts.tick_minutes)
                down = local(day, 10) + timedelta(minutes=ticks_in * opts.tick_minutes)
                outages.append((down, down + timedelta(minutes=opts.tick_minutes * rng.randrange(1, 4))))
        actions.sort()
        self.background_faults()
        step = timedelta(minutes=opts.tick_minutes)
        now = self.start
        while now < self.end:
            while actions and actions[0].at <= now:
                action = actions.pop(0)
                self.sim.clock.set(max(action.at, self.sim.clock.now()))
                self.act(action)
            self.sim.clock.set(now)
            down = any(a <= now < b for a, b in outages)
            if down and not self.azurite_down:
                self.stop_azurite()
            elif not down and self.azurite_down:
                self.start_azurite()
            self.tick_faults()
            self.one_tick(now)
            now += step
        if self.azurite_down:
            self.start_azurite()
        self.settle()
        self.check()
        self.figures.wall_seconds = time.monotonic() - started
        return self.figures

    def one_tick(self, now: datetime) -> None:
        rng = self.rng
        local_time = now.astimezone(ZONE)
        # The moments that matter most get the concurrency: the report slot and the promotion slots.
        busy = (local_time.hour, local_time.minute // 30) in {(7, 0), (18, 1)}
        roll = rng.random()
        if roll < self.options.subprocess_chance:
            kill_after = rng.uniform(0.2, 1.6) if rng.random() < 0.75 else None
            if rng.random() < 0.3:
                # A killed process and an in-process tick at once.
                other = threading.Thread(target=self.tick_in_process, args=(self.services, "in process"))
                other.start()
                self.tick_subprocess(kill_after)
                other.join(timeout=300)
            else:
                self.tick_subprocess(kill_after)
        elif busy or roll < self.options.subprocess_chance + self.options.concurrent_chance:
            self.tick_pair()
        else:
            assert self.services is not None
            self.tick_in_process(self.services, "in process")
        if rng.random() < 0.02:
            # The host recycles the worker: a fresh process with nothing cached.
            assert self.services is not None
            self.services.close()
            self.services = self.new_services()

    def settle(self) -> None:
        """No more faults: tick every ten minutes until nothing is left to do."""
        assert self.smtp is not None and self.services is not None
        self.sim.faults.clear()
        for queue in self.smtp.faults.values():
            queue.clear()
        began = self.sim.clock.now()
        step = timedelta(minutes=10)
        while self.sim.clock.now() - began < self.options.settle_limit:
            self.sim.clock.advance(step)
            self.tick_in_process(self.services, "settling")
            if self.quiet():
                # One more tick, so a report or email queued by the last one is delivered too.
                self.sim.clock.advance(step)
                self.tick_in_process(self.services, "settling")
                self.figures.settled_after = self.sim.clock.now() - began
                return

    def recorded(self) -> dict[str, DeploymentRecord]:
        """Every deployment coord recorded, by id (records are partitioned by day: read only the soak's)."""
        assert self.services is not None
        since = self.start - timedelta(days=10)
        until = self.sim.clock.now() + timedelta(days=1)
        return {r.deployment_id: r for r in self.services.repo.records_between(since, until)}

    def quiet(self) -> bool:
        assert self.services is not None
        services = self.services
        if any(self.sim.is_unfinished(t) for t in self.sim.tasks):
            return False
        if runs(services).active():
            return False
        open_mail = services.store.table("outbox").query(
            "Status eq @p or Status eq @s", {"p": "pending", "s": "sending"}
        )
        if any(True for _ in open_mail):
            return False
        recorded = self.recorded()
        return all(
            d in recorded and recorded[d].state.value == self.sim.task_state(d) for d in self.sim.deployments
        )

    # --- the invariants -----------------------------------------------------------------------

    def check(self) -> None:
        assert self.services is not None and self.smtp is not None
        fig = self.figures
        services = self.services
        sim = self.sim
        # (a) every deployment Octopus saw is recorded, with its final state
        recorded = self.recorded()
        fig.deployments_happened = len(sim.deployments)
        for dep_id in sorted(sim.deployments):
            record = recorded.get(dep_id)
            if record is None:
                fig.deployments_missing.append(dep_id)
            elif record.state.value != sim.task_state(dep_id):
                fig.deployments_wrong_state.append(
                    f"{dep_id}: {record.state.value} != {sim.task_state(dep_id)}"
                )
        fig.deployments_recorded = fig.deployments_happened - len(fig.deployments_missing)
        # (b) no idempotency key names two deployments
        by_key: Counter[str] = Counter()
        for dep in sim.deployments.values():
            for marker in keys_of(dep.comments):
                by_key[marker] += 1
        fig.deployments_created_by_coord = sum(by_key.values())
        fig.duplicate_deployments = {k: n for k, n in by_key.items() if n > 1}
        fig.order_violations = order_violations(sim, self.layout.depends_on)
        deliveries = list(sim.webhooks.deliveries)
        fig.webhooks_by_status = dict(Counter(str(d.status) for d in deliveries))
        fig.webhooks_late = sum(1 for d in deliveries if d.late)
        fig.webhooks_repeated = len(deliveries) - len({d.event_id for d in deliveries})
        fig.runs_advanced_by_webhook = self.receiver.advanced
        # (c) no email twice
        # A long header is folded onto a continuation line; the key is the text without that space.
        keys = Counter(str(m["X-Coord-Key"]).strip() for m in self.smtp.messages)
        fig.emails_received = len(self.smtp.messages)
        fig.duplicate_emails = {k: n for k, n in keys.items() if n > 1}
        fig.emails_given_up = [
            str(e["RowKey"]) for e in services.store.table("outbox").query("Status eq @f", {"f": "failed"})
        ]
        # (d) one report per day: every 07:00 slot in the soak reports the day before it
        first = self.start.astimezone(ZONE).date() - timedelta(days=1)
        fig.report_days_expected = [
            (first + timedelta(days=n)).isoformat() for n in range(self.options.days + 1)
        ]
        fig.reports_by_day = {
            k.removeprefix("report:"): n for k, n in keys.items() if k.startswith("report:")
        }
        fig.all_deployed_emails = sum(n for k, n in keys.items() if k.startswith("all-deployed:"))
        fig.promotion_outcome_emails = sum(n for k, n in keys.items() if k.startswith("promotion:"))
        # (e) every promotion run ended
        all_runs = runs(services).runs_between(FAR_PAST, FAR_FUTURE)
        fig.promotion_runs = len(all_runs)
        fig.promotion_runs_by_phase = dict(Counter(r.phase.value for r in all_runs))
        fig.promotion_runs_unfinished = [r.id for r in unfinished_runs(services)]
        fig.promotion_evenings = 2 * self.options.days
        fig.skipped_slots = sum(1 for _ in services.store.table("slots").partition("skipped"))
        by_status = sim.observations.snapshot()["by_status"]
        fig.octopus_faults = {str(k): int(v) for k, v in by_status.items() if str(k) not in ("200", "201")}


def unfinished_runs(services: Services) -> list[Run]:
    """Promotion runs that have not reached a terminal phase (Succeeded, Failed, RolledBack, Canceled)."""
    return [r for r in runs(services).runs_between(FAR_PAST, FAR_FUTURE) if not r.phase.is_terminal]


def _only_outages(stderr: str) -> bool:
    """Whether every error a tick printed is an outage of Octopus or Table Storage."""
    errors = [line for line in stderr.splitlines() if line.startswith("coord: error:")]
    return bool(errors) and all("Octopus:" in line or "Table Storage" in line for line in errors)

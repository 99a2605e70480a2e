"""Development entry point: `python3 scripts/dev.py demo|test|setup|azurite`.

Needs Python 3.11 and Node 20 on the machine, and Chromium for the tests (installed with the
system's package manager when it is missing and this user may install packages). It creates
`.venv`, installs the Python and npm dependencies when their lists change, starts the local
services the command needs (Azurite in memory), runs the command and stops what it started.
`azurite` runs the full Azurite (blob, queue, table) in the foreground for `func start`.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
AZURITE_ACCOUNT = "devstoreaccount1"
# The well-known development key that every Azurite instance accepts.
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
# Azurite's default ports, the ones `UseDevelopmentStorage=true` (local.settings.json.example) names.
AZURITE_PORTS = {"blob": 10000, "queue": 10001, "table": 10002}
# The tests that need a browser: they render the report, the status page and the emails in
# headless Chromium, as mailed and as served, at desktop and phone widths.
BROWSER_TESTS = (ROOT / "tests" / "e2e" / "test_pages_browser.py", ROOT / "tests" / "e2e" / "test_demo.py")
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def say(text: str) -> None:
    print(f"[dev] {text}", flush=True)


def _digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(path.read_bytes())
    return h.hexdigest()


def ensure_python() -> None:
    """Create .venv and install requirements-dev.txt when it changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 (this script also runs under older interpreters)
        sys.exit("coord needs Python 3.11 or newer")
    if not VENV_PYTHON.exists():
        say("creating .venv")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    stamp = VENV / ".coord-requirements"
    digest = _digest(ROOT / "requirements.txt", ROOT / "requirements-dev.txt")
    if not stamp.exists() or stamp.read_text() != digest:
        say("installing Python packages (requirements-dev.txt)")
        pip = [str(VENV_PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "-r", str(ROOT / "requirements-dev.txt")], check=True)
        stamp.write_text(digest)


def ensure_node() -> None:
    """Install the npm packages pinned in package-lock.json when it changed."""
    stamp = ROOT / "node_modules" / ".coord-lock"
    digest = _digest(ROOT / "package-lock.json")
    if not stamp.exists() or stamp.read_text() != digest:
        say("installing npm packages (package-lock.json)")
        npm = "npm.cmd" if os.name == "nt" else "npm"
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=ROOT, check=True)
        stamp.write_text(digest)


def find_chromium() -> str | None:
    """The Chromium (or Chrome) on PATH, if any."""
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def needs_browser(pytest_args: Sequence[str]) -> bool:
    """Whether these pytest arguments select a browser test; naming no path selects every test."""
    paths = [(ROOT / arg.split("::")[0]).resolve() for arg in pytest_args if not arg.startswith("-")]
    paths = [path for path in paths if path.exists()]
    return not paths or any(path == test or path in test.parents for path in paths for test in BROWSER_TESTS)


def _succeeds(command: list[str]) -> bool:
    return subprocess.run(command, capture_output=True, check=False).returncode == 0


def package_installer() -> list[str] | None:
    """`apt-get`, prefixed with `sudo -n` when needed, if this user may install packages without a prompt."""
    if sys.platform != "linux" or not shutil.which("apt-get"):
        return None
    if os.geteuid() == 0:
        return ["apt-get"]
    if shutil.which("sudo") and _succeeds(["sudo", "-n", "true"]):
        return ["sudo", "-n", "apt-get"]
    return None


def ensure_chromium(pytest_args: Sequence[str]) -> None:
    """Install Chromium when the tests need it and this user may; otherwise stop and say what to install."""
    if not needs_browser(pytest_args) or find_chromium():
        return
    apt = package_installer()
    if apt is None:
        sys.exit(
            "Chromium is missing and the browser tests need it "
            f"({', '.join(str(test.relative_to(ROOT)) for test in BROWSER_TESTS)}). "
            "Install it, then run this again:\n"
            "  Debian:  sudo apt-get install -y chromium\n"
            "  Ubuntu:  sudo apt-get install -y chromium-browser\n"
            f"  other:   Chromium or Google Chrome, so that one of {', '.join(CHROMIUM_NAMES)} is on PATH"
        )
    say("installing Chromium (apt-get) for the browser tests")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*apt, "update", "-qq"], check=True, env=env)
    # Debian packages the browser as `chromium`; Ubuntu only as `chromium-browser`.
    package = "chromium" if _succeeds(["apt-cache", "show", "chromium"]) else "chromium-browser"
    subprocess.run([*apt, "install", "-y", "-qq", "--no-install-recommends", package], check=True, env=env)
    if not find_chromium():
        sys.exit(f"apt-get installed {package}, but none of {', '.join(CHROMIUM_NAMES)} is on PATH")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def azurite_connection_string(port: int) -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"TableEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};"
    )


@contextlib.contextmanager
def azurite() -> Iterator[str]:
    """Run Azurite's table service in memory with telemetry off; yield its connection string."""
    port = free_port()
    binary = ROOT / "node_modules" / ".bin" / "azurite-table"
    args = [
        str(binary),
        "--inMemoryPersistence",
        "--disableTelemetry",
        "--silent",
        "--tableHost",
        "127.0.0.1",
        "--tablePort",
        str(port),
    ]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                sys.exit(f"Azurite did not start: {err.strip()}")
            if time.monotonic() > deadline:
                sys.exit("Azurite did not start within 30 seconds")
            time.sleep(0.1)
        say(f"Azurite (tables, in memory) on 127.0.0.1:{port}")
        yield azurite_connection_string(port)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        say("Azurite stopped")


def port_taken(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


def full_azurite_command(ports: dict[str, int], location: Path | None) -> list[str]:
    """Azurite with blob, queue and table on `ports`; in memory when `location` is None."""
    args = [str(ROOT / "node_modules" / ".bin" / "azurite"), "--disableTelemetry"]
    # Core Tools and the Functions host call the storage services with API versions newer than the
    # pinned Azurite knows; Azurite refuses those requests unless told not to check.
    args.append("--skipApiVersionCheck")
    for service, port in ports.items():
        args += [f"--{service}Host", "127.0.0.1", f"--{service}Port", str(port)]
    return [*args, "--inMemoryPersistence"] if location is None else [*args, "--location", str(location)]


def run_azurite(ports: dict[str, int], location: Path | None) -> int:
    """Run the full Azurite in the foreground until Ctrl-C, for `func start` (README, "Developing")."""
    ensure_node()
    taken = [f"{service} {port}" for service, port in ports.items() if port_taken(port)]
    if taken:
        sys.exit(f"In use: {', '.join(taken)}. Is Azurite running already? Stop it, or choose other ports.")
    if location is not None:
        location.mkdir(parents=True, exist_ok=True)
    where = "in memory" if location is None else f"kept in {location}"
    listening = ", ".join(f"{service} 127.0.0.1:{port}" for service, port in ports.items())
    say(f"Azurite ({listening}; {where}), account {AZURITE_ACCOUNT}; Ctrl-C stops it")
    proc = subprocess.Popen(full_azurite_command(ports, location), cwd=ROOT)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait(timeout=10)
        say("Azurite stopped")
        return 0


def run_tests(pytest_args: list[str]) -> int:
    ensure_chromium(pytest_args)
    ensure_python()
    ensure_node()
    with azurite() as conn:
        env = {**os.environ, "COORD_TEST_STORAGE": conn}
        cmd = [str(VENV_PYTHON), "-m", "pytest", *pytest_args]
        say("running " + " ".join(cmd[1:]))
        return subprocess.run(cmd, cwd=ROOT, env=env, check=False).returncode


def run_demo(demo_args: list[str]) -> int:
    ensure_python()
    ensure_node()
    with azurite() as conn:
        env = {**os.environ, "COORD_STORAGE": conn}
        cmd = [str(VENV_PYTHON), "-m", "tests.demo", *demo_args]
        return subprocess.run(cmd, cwd=ROOT, env=env, check=False).returncode


def main() -> int:
    parser = argparse.ArgumentParser(prog="scripts/dev.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("setup", help="create .venv and install the Python and npm packages")
    sub.add_parser("test", help="run the test suite (extra arguments go to pytest)")
    sub.add_parser("demo", help="play the scripted demo day on this machine")
    full = sub.add_parser("azurite", help="run Azurite's blob, queue and table services for `func start`")
    for service, port in AZURITE_PORTS.items():
        full.add_argument(f"--{service}-port", type=int, default=port, help=f"default {port}")
    keep = full.add_mutually_exclusive_group()
    keep.add_argument("--location", type=Path, default=ROOT / "out" / "azurite", help="where it keeps data")
    keep.add_argument("--in-memory", action="store_true", help="keep nothing after it stops")
    args, rest = parser.parse_known_args()
    if args.command == "setup":
        ensure_python()
        ensure_node()
        return 0
    if args.command == "test":
        return run_tests(rest)
    if args.command == "azurite":
        ports = {service: getattr(args, f"{service}_port") for service in AZURITE_PORTS}
        return run_azurite(ports, None if args.in_memory else args.location)
    return run_demo(rest)


if __name__ == "__main__":
    sys.exit(main())

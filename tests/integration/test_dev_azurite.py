"""`python3 scripts/dev.py azurite`: the full Azurite the local Functions host needs, started and stopped."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import dev  # scripts/dev.py, on the path through tests/conftest.py
import pytest
from azure.data.tables import TableServiceClient

DEV = [sys.executable, str(dev.ROOT / "scripts" / "dev.py"), "azurite"]


def server_header(port: int) -> str:
    """The `Server` header of an unauthenticated request: Azurite answers it with a refusal."""
    url = f"http://127.0.0.1:{port}/{dev.AZURITE_ACCOUNT}?comp=list"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.headers.get("Server", ""))
    except urllib.error.HTTPError as refused:
        return str(refused.headers.get("Server", ""))


@pytest.fixture
def ports() -> dict[str, int]:
    return {service: dev.free_port() for service in dev.AZURITE_PORTS}


def command(ports: dict[str, int]) -> list[str]:
    options = [arg for service, port in ports.items() for arg in (f"--{service}-port", str(port))]
    return [*DEV, *options, "--in-memory"]


@pytest.fixture
def running(ports: dict[str, int]) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(command(ports), stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not all(dev.port_taken(port) for port in ports.values()):
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, "Azurite did not open its ports within 60 seconds"
        time.sleep(0.2)
    yield proc
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_blob_queue_and_table_answer_and_ctrl_c_stops_them(
    ports: dict[str, int], running: subprocess.Popen[str]
) -> None:
    servers = [server_header(ports[service]).split("/")[0] for service in ("blob", "queue")]
    assert servers == ["Azurite-Blob", "Azurite-Queue"]
    with TableServiceClient.from_connection_string(dev.azurite_connection_string(ports["table"])) as tables:
        tables.create_table("devscript")
        assert "devscript" in [t.name for t in tables.list_tables()]
    running.send_signal(signal.SIGINT)
    assert running.wait(timeout=20) == 0
    assert not any(dev.port_taken(port) for port in ports.values())


def test_a_port_in_use_stops_it_before_it_starts(ports: dict[str, int]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", ports["blob"]))
        taken.listen()
        done = subprocess.run(command(ports), capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert f"In use: blob {ports['blob']}. Is Azurite running already?" in done.stderr

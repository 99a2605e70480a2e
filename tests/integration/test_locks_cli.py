"""`coord lock` and `coord unlock` from a terminal, on Azurite."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from coord.entrypoints.cli.context import CliContext
from coord.entrypoints.cli.errors import EXIT_JOB_FAILED, CliError
from coord.entrypoints.cli.locks import lock, unlock
from coord.entrypoints.cli.output import Console
from coord.entrypoints.cli.parser import build_parser
from tests.fixtures.coord import SMALL_CONFIG


@pytest.fixture
def run(azurite_connection_string: str, table_prefix: str, tmp_path: Path):
    config = tmp_path / "coord.yaml"
    config.write_text(SMALL_CONFIG, encoding="utf-8")
    environ = {
        "COORD_STORAGE": azurite_connection_string,
        "COORD_TABLE_PREFIX": table_prefix,
        "COORD_CONFIG": str(config),
    }

    def command(*argv: str) -> tuple[int, str, str]:
        args = build_parser().parse_args(argv)
        out, err = io.StringIO(), io.StringIO()
        context = CliContext(console=Console(out, err), environ=environ)
        status = {"lock": lock, "unlock": unlock}[args.command](args, context)
        return status, out.getvalue(), err.getvalue()

    return command


def test_lock_prints_the_token_and_unlock_releases_it(run) -> None:
    status, out, err = run("lock", "db-migrations", "--holder", "release 3.2", "--ttl", "600")
    token = out.strip()
    assert status == 0 and len(token) > 20 and "\n" not in token
    # A token is pasted after --token: one starting with '-' would be read as an option.
    assert re.fullmatch(r"[0-9a-f]+", token)
    assert "locked 'db-migrations' for 'release 3.2'" in err
    status, out, _ = run("unlock", "db-migrations", "--token", token)
    assert status == 0 and out.startswith("released 'db-migrations' (held by 'release 3.2'")


def test_lock_held_by_another_exits_1_naming_the_holder(run) -> None:
    run("lock", "db", "--holder", "first", "--ttl", "600")
    with pytest.raises(CliError) as refused:
        run("lock", "db", "--holder", "second", "--ttl", "60", "--wait", "0.2")
    assert refused.value.status == EXIT_JOB_FAILED
    assert "held by 'first'" in str(refused.value) and "0.2 s" in str(refused.value)


def test_a_waiter_that_gives_up_leaves_no_place_in_the_queue(run) -> None:
    _, token, _ = run("lock", "db", "--holder", "first", "--ttl", "600")
    with pytest.raises(CliError):
        run("lock", "db", "--holder", "impatient", "--ttl", "60", "--wait", "0.1")
    run("unlock", "db", "--token", token.strip())
    # Without the withdrawal, the impatient waiter would still be first in line.
    status, _, _ = run("lock", "db", "--holder", "next", "--ttl", "60")
    assert status == 0


def test_unlock_with_a_wrong_token_exits_1(run) -> None:
    with pytest.raises(CliError) as wrong:
        run("unlock", "db", "--token", "nope")
    assert wrong.value.status == EXIT_JOB_FAILED and "no holder has this token" in str(wrong.value)

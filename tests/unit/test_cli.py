"""A command line tool's failure is one line that says what failed (coachops.cli)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import psycopg2
import pytest
from kombu import Connection

from coachops import cli
from coachops.errors import Invalid

UNREACHABLE = 1  # a port nothing listens on


def caught(action: Callable[[], object]) -> BaseException:
    try:
        action()
    except Exception as error:  # what each kind of failure reads as
        return error
    raise AssertionError("no failure")


def test_an_unreachable_database_is_named() -> None:
    error = caught(lambda: psycopg2.connect(host="127.0.0.1", port=UNREACHABLE, user="x",
                                            connect_timeout=5))
    said = cli.failure(error)
    assert said.startswith("the database (PostgreSQL): connection to server at")
    assert "\n" not in said


def test_an_unreachable_broker_is_named() -> None:
    url = f"amqp://guest:guest@127.0.0.1:{UNREACHABLE}//"
    error = caught(lambda: Connection(url, connect_timeout=5).connect())
    assert cli.failure(error) == "cannot reach the broker (RabbitMQ): Connection refused"


def test_a_refusal_says_its_field() -> None:
    assert cli.failure(Invalid("no such person", field="person")) == "no such person (person)"


def test_a_postgresql_tool_failing_is_told_in_its_own_words() -> None:
    error = caught(lambda: subprocess.run(
        [sys.executable, "-c", "import sys; sys.exit('pg_dump: error: no such database\\nmore')"],
        check=True, stderr=subprocess.PIPE, text=True))
    assert cli.failure(error) == f"{sys.executable.rsplit('/', 1)[-1]} failed: pg_dump: error:" \
                                 " no such database"


def test_a_missing_file_is_named() -> None:
    error = caught(lambda: open("/nonexistent/master.key"))  # noqa: SIM115
    assert cli.failure(error) == "/nonexistent/master.key: No such file or directory"


def test_a_failure_ends_the_tool_with_one_line_and_status_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def main() -> int:
        psycopg2.connect(host="127.0.0.1", port=UNREACHABLE, user="x")
        return 0

    with pytest.raises(SystemExit) as ended:
        cli.run(main)
    assert ended.value.code == cli.FAILED
    [line] = capsys.readouterr().err.splitlines()
    assert "the database (PostgreSQL)" in line and "Traceback" not in line


@pytest.mark.parametrize(("outcome", "status"), [(None, 0), (0, 0), (3, 3)])
def test_the_tool_s_own_status_is_kept(outcome: int | None, status: int) -> None:
    with pytest.raises(SystemExit) as ended:
        cli.run(lambda: outcome)
    assert ended.value.code == status


def test_ctrl_c_stops_quietly_with_130(capsys: pytest.CaptureFixture[str]) -> None:
    def main() -> int:
        raise KeyboardInterrupt

    with pytest.raises(SystemExit) as ended:
        cli.run(main)
    assert ended.value.code == cli.STOPPED
    assert capsys.readouterr().err.endswith("stopped\n")

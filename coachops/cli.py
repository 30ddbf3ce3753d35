"""How every command line tool of coachops ends: its own output, or one line saying what
failed, never a traceback (``LOG_LEVEL=DEBUG`` adds it, for whoever fixes the tool).

    if __name__ == "__main__":
        cli.run(main)

Exit status 0 when the tool did its work, 1 when it failed, 2 for a bad argument or
setting (argparse's and ``coachops.settings``'s own), 130 when stopped with Ctrl-C.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import psycopg2
from eventsourcing.persistence import PersistenceError

from coachops.errors import CoachopsError

FAILED = 1
STOPPED = 130  # what a shell reports for a tool stopped with Ctrl-C

# Where an unreachable address was being reached, told by the modules on the way.
BROKER_MODULES = ("amqp", "kombu", "nameko")


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _reaching(error: BaseException) -> str:
    """Which server a connection failed to reach: the broker or the database."""
    for frame, _ in traceback.walk_tb(error.__traceback__):
        module = frame.f_globals.get("__name__", "")
        if module.split(".")[0] in BROKER_MODULES:
            return "the broker (RabbitMQ)"
    return "the server"


def failure(error: BaseException) -> str:
    """What went wrong, in one line district IT can act on."""
    if isinstance(error, CoachopsError):
        return f"{error.message} ({error.field})" if error.field else error.message
    if isinstance(error, psycopg2.Error | PersistenceError):
        return f"the database (PostgreSQL): {_first_line(str(error)) or type(error).__name__}"
    if isinstance(error, subprocess.CalledProcessError):  # pg_dump, pg_restore: their own words
        said = _first_line(error.stderr or "") if isinstance(error.stderr, str) else ""
        return f"{Path(str(error.cmd[0])).name} failed: {said or f'exit status {error.returncode}'}"
    if isinstance(error, (ConnectionError, socket.gaierror, socket.timeout, TimeoutError)):
        reason = _first_line(getattr(error, "strerror", None) or str(error)) or "no answer"
        return f"cannot reach {_reaching(error)}: {reason}"
    if isinstance(error, OSError) and error.filename:
        return f"{error.filename}: {error.strerror}"
    remote = getattr(error, "exc_type", None)  # nameko's RemoteError: the service's refusal
    if remote is not None:
        return f"{remote}: {_first_line(str(getattr(error, 'value', '')))}"
    return f"{type(error).__name__}: {_first_line(str(error))}"


def run(main: Callable[[], int | None]) -> NoReturn:
    """Run a tool's ``main`` and end the process as the module's docstring says."""
    spec = getattr(sys.modules["__main__"], "__spec__", None)  # run as ``python -m tool``
    tool = spec.name if spec is not None else main.__module__
    try:
        status = main()
    except KeyboardInterrupt:
        print(f"{tool}: stopped", file=sys.stderr, flush=True)
        sys.exit(STOPPED)
    except Exception as error:
        if logging.getLogger().isEnabledFor(logging.DEBUG):
            traceback.print_exc()
        print(f"{tool}: {failure(error)}", file=sys.stderr, flush=True)
        sys.exit(FAILED)
    sys.exit(status or 0)

"""Every command line tool district IT runs, with the broker or the database it needs out
of reach: one line naming what failed and status 1, no traceback, no library banner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
BROKER = "amqp://guest:guest@127.0.0.1:1//"  # nothing listens on port 1
DATABASE = "postgresql://coachops@127.0.0.1:1/coachops_x"
ADMIN = "postgresql://postgres@127.0.0.1:1/postgres"

TOOLS = {
    "coachops.bus.dead_letters": (["list", "--amqp-uri", BROKER], "the broker (RabbitMQ)"),
    "services.agreements.appoint": (["--sourced-id", "it-1", "--amqp-uri", BROKER],
                                    "the broker (RabbitMQ)"),
    "services.reporting.rebuild": (["--from", "received", "--database-url", DATABASE],
                                   "the database (PostgreSQL)"),
    "coachops.store.admin": (["ensure", "--admin-url", ADMIN, "coachops_x"],
                             "the database (PostgreSQL)"),
    "deploy.backup": (["backup", "{tmp}", "--admin-url", ADMIN], "pg_dump failed"),
    "coachops.privacy.reapply": ([], "the broker (RabbitMQ)"),
    "gateway.auth": (["list", "--database-url", DATABASE], "the database (PostgreSQL)"),
}


@pytest.mark.parametrize("tool", TOOLS)
def test_a_tool_that_cannot_reach_what_it_needs_says_so_in_one_line(
    tool: str, tmp_path: Path,
) -> None:
    args, named = TOOLS[tool]
    env = {**os.environ, "AMQP_URI": BROKER, "DATABASE_URL": DATABASE}
    env.pop("PYTHONWARNINGS", None)
    done = subprocess.run([sys.executable, "-m", tool,
                           *[a.replace("{tmp}", str(tmp_path)) for a in args]],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith(f"{tool}: ") and named in line, line

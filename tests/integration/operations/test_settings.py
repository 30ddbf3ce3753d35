"""A service, the gateway or a command-line tool started with a malformed setting stops
at once with exit status 2 and one line naming the setting, not a traceback later."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.local import ROOT
from tests.support.platform import ServiceProcess, free_port

# Eventlet's deprecation notice at import is not the process's answer.
QUIET = {"PYTHONWARNINGS": "ignore"}


@pytest.mark.parametrize(("name", "setting", "value", "line"), [
    ("cycles", "MAX_WORKERS", "ten", "coachops: MAX_WORKERS: is 'ten', not a whole number"),
    ("reporting", "SCHOOL_YEAR_START", "8/1",
     "coachops: SCHOOL_YEAR_START: is '8/1'; MM-DD, e.g. 08-01"),
    ("gateway", "COACHOPS_TOKEN_MAX_HOURS", "0",
     "coachops: COACHOPS_TOKEN_MAX_HOURS: is 0; more than 0, at most 8784"),
])
def test_a_process_with_a_malformed_setting_stops_with_one_line_naming_it(
        tmp_path: Path, name: str, setting: str, value: str, line: str) -> None:
    env = {**os.environ, **QUIET, "GATEWAY_ADDRESS": f"127.0.0.1:{free_port()}"}
    process = ServiceProcess(name, env, tmp_path)
    process.start(**{setting: value})
    assert process.wait_exit(timeout=60) == 2
    assert process.log().splitlines() == [line]


def test_a_command_line_tool_with_a_malformed_setting_stops_the_same_way() -> None:
    token = "00000000-0000-4000-8000-000000000001"
    run = subprocess.run(
        [sys.executable, "-m", "gateway.auth", "revoke", "--token-id", token],
        cwd=ROOT, env={**os.environ, **QUIET, "GATEWAY_DATABASE_URL": "gateway"},
        capture_output=True, text=True, timeout=60)
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == ("coachops: GATEWAY_DATABASE_URL: is not a URL starting "
                          "postgresql:// or postgres://\n")

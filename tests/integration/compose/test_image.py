"""The image district IT builds (deploy/Dockerfile), checked without a Docker engine: the
real hadolint on the Dockerfile, what .dockerignore lets in, and the lock files it and CI
install from. Its HEALTHCHECK runs against the compose services in test_compose.py."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
HADOLINT = Path(sys.executable).parent / "hadolint"


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined, comments left out."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1])
            for line in lines if line and not line.startswith("#")]


def healthcheck_command() -> list[str]:
    """The HEALTHCHECK's command, as the engine would run it in the container."""
    (check,) = [args for name, args in instructions() if name == "HEALTHCHECK"]
    return list(json.loads(check[check.index("CMD") + 3:]))


def pins(lock: Path) -> dict[str, str]:
    found = re.findall(r"^([A-Za-z0-9._-]+)==([^\s\\]+)", lock.read_text(), re.M)
    return {name.lower().replace("_", "-"): version for name, version in found}


def test_hadolint_finds_nothing() -> None:
    # the services' image, and the ha profile's PostgreSQL with pg_auto_failover
    for dockerfile in (DOCKERFILE, ROOT / "deploy" / "postgres" / "ha.Dockerfile"):
        result = subprocess.run([str(HADOLINT), "--no-color", str(dockerfile)],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr


def test_two_stages_dependencies_first_run_as_nobody() -> None:
    steps = instructions()
    froms = [args for name, args in steps if name == "FROM"]
    assert len(froms) == 2, froms
    assert froms[0].startswith("python:3.11-slim AS ")
    copies = [args for name, args in steps if name == "COPY"]
    # The locked dependencies are installed before any source is copied, so a code change
    # reuses that layer.
    assert copies[0].split()[0] == "requirements.lock"
    installs = [args for name, args in steps if name == "RUN" and "pip install" in args]
    assert "--require-hashes -r /tmp/requirements.lock" in installs[-1]
    assert [args for name, args in steps if name == "USER"] == ["65534:65534"]
    assert healthcheck_command()[0] == "python"


def test_dockerignore_lets_in_only_what_the_image_copies() -> None:
    rules = [line for line in (ROOT / ".dockerignore").read_text().splitlines()
             if line and not line.startswith("#")]
    assert rules[0] == "*"  # everything out, then only what is named back in
    let_in = {rule[1:] for rule in rules if rule.startswith("!")}
    copied = {args.split()[0] for name, args in instructions()
              if name == "COPY" and not args.startswith("--from")}
    assert copied == let_in
    assert not let_in & {".env", ".git", ".venv", "var", "tests"}
    assert "deploy/caddy/tls" in rules  # the district's key stays out of the image


def test_the_lock_files_hold_pyproject_s_pins() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime, development = pins(ROOT / "requirements.lock"), pins(ROOT / "requirements-dev.lock")

    def pinned(requirements: list[str]) -> dict[str, str]:
        exact = (re.match(r"^([A-Za-z0-9._-]+)(?:\[[^\]]*\])?==(\S+)$", r) for r in requirements)
        return {m[1].lower().replace("_", "-"): m[2] for m in exact if m}

    assert pinned(project["dependencies"]).items() <= runtime.items()
    assert pinned(project["optional-dependencies"]["dev"]).items() <= development.items()
    # The image runs what the tests ran: every runtime package at the same version.
    assert runtime.items() <= development.items()
    for lock in ("requirements.lock", "requirements-dev.lock"):
        entries = (ROOT / lock).read_text().split("\n\n")[0]
        assert "--hash=sha256:" in entries, f"{lock} has no hashes"

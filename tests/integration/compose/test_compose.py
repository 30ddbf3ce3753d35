"""docker-compose.yml, checked by a real compose implementation (docker-compose, installed
into .venv-tools by `make tools`), and its services started as plain local processes with
the commands and environment the compose file gives them (no Docker engine here)."""

from __future__ import annotations

import base64
import os
import re
import secrets
import shlex
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from coachops import clock
from coachops.settings import SETTINGS
from coachops.store.admin import drop_database, ensure_role_and_database
from deploy.local import SERVICES, Platform, ServiceProcess
from tests.e2e.test_slice import accept_cycle, post_cycle, start_cycle_body
from tests.integration.compose.test_image import healthcheck_command
from tests.support import roster
from tests.support.auth import bearer
from tests.support.district import District
from tests.support.platform import ADMIN_URL, free_port, rabbitmqctl, wait_until
from tests.support.reporting import active_cycles
from tests.support.settings import configure

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = os.environ.get("COACHOPS_COMPOSE", str(ROOT / ".venv-tools" / "bin" / "docker-compose"))
APP_SERVICES = {"gateway", *SERVICES}
INFRA_SERVICES = {"postgres", "rabbitmq", "prometheus", "grafana", "alertmanager",
                  "postgres-exporter", "node-exporter"}


def compose_config(env: dict[str, str]) -> tuple[dict[str, Any], str]:
    result = subprocess.run(
        [COMPOSE, "--env-file", ".env.example", "-f", "docker-compose.yml", "config"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout), result.stderr


def clean_env() -> dict[str, str]:
    """The environment without any compose variable, so only .env.example and defaults count."""
    example = (ROOT / ".env.example").read_text()
    names = set(re.findall(r"^([A-Z_]+)=", example, re.M))
    return {k: v for k, v in os.environ.items() if k not in names}


def test_the_compose_file_is_valid_and_complete() -> None:
    config, warnings = compose_config(clean_env())
    assert "is not set" not in warnings, warnings  # no variable left undefined
    services = config["services"]
    assert set(services) == APP_SERVICES | INFRA_SERVICES
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no health check"
        assert service.get("restart") == "unless-stopped", name
    for name in APP_SERVICES:
        service = services[name]
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert service["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "rabbitmq": {"condition": "service_healthy"},
        }, name
        command = shlex.split(service["command"])
        assert command[:4] == ["nameko", "run", "--config", "deploy/nameko.yml"], name
    assert services["grafana"]["depends_on"] == {"prometheus": {"condition": "service_healthy"}}



@pytest.fixture
def compose_platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Platform]:
    secret = secrets.token_urlsafe(32)
    settings = {
        "RABBITMQ_USER": "guest", "RABBITMQ_PASSWORD": "guest",
        "RABBITMQ_VHOST": "coachops-compose", "DB_PREFIX": "coachops_compose",
        "SERVICE_DB_PASSWORD": "unused-with-local-trust-auth",
        "COACHOPS_TOKEN_SECRET": secret, "GATEWAY_PORT": str(free_port()),
        "COACHOPS_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
    }
    config, _ = compose_config({**clean_env(), **settings})
    configure(monkeypatch, COACHOPS_TOKEN_SECRET=secret)  # tokens the tests sign

    rabbitmqctl("delete_vhost", "coachops-compose")
    rabbitmqctl("add_vhost", "coachops-compose").check_returncode()
    rabbitmqctl("set_permissions", "-p", "coachops-compose", "guest", ".*", ".*", ".*")
    for service in (*SERVICES, "gateway"):
        name = f"coachops_compose_{service}"
        drop_database(ADMIN_URL, name)
        ensure_role_and_database(ADMIN_URL, name, name)

    platform = Platform(log_dir=tmp_path, env={}, names=())
    bin_dir = str(Path(sys.executable).parent)
    for name in sorted(APP_SERVICES):
        service = config["services"][name]
        env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHONUNBUFFERED": "1"}
        for key, value in service["environment"].items():
            # Container host names become this machine; each container's metrics port
            # becomes a free local one, since here they share one network namespace.
            value = re.sub(r"@(postgres|rabbitmq):", "@127.0.0.1:", str(value))
            env[key] = str(free_port()) if key == "METRICS_PORT" else value
        process = ServiceProcess(name, env, tmp_path, command=shlex.split(service["command"]))
        platform.processes[name] = process
        if name == "gateway":
            platform.env = env
    try:
        for process in platform.processes.values():
            process.start()
        platform.wait_ready()
        yield platform
    finally:
        platform.stop()


def test_compose_services_run_as_local_processes(compose_platform: Platform) -> None:
    platform = compose_platform
    at = roster.school(platform, coaches=1, teachers=1)
    school_id = at.id
    body = start_cycle_body(platform, at)
    response = post_cycle(platform, body)
    assert response.status_code == 201, response.text
    accepted = accept_cycle(platform, response.json()["cycle_id"], str(body["teacher_ids"][0]))
    assert accepted.status_code == 200, accepted.text
    leader = roster.anyone(platform, "district_leader")  # signed with this deployment's key
    files = District.generate(schools=3, regions=1, coaches=2, teachers=10).files()
    roster.import_files(platform, dict(files))
    coach = at.coaches[0]
    yesterday = clock.today() - timedelta(days=1)
    entry = {"coach_id": coach, "school_id": school_id, "worked_on": yesterday.isoformat(),
             "start": "09:00", "end": "10:00", "category_id": "co-planning"}
    recorded = requests.post(f"{platform.url}/time-entries", json=entry, timeout=10,
                             headers=bearer(coach, "coach"))
    assert recorded.status_code == 201, recorded.text

    wait_until(lambda: active_cycles(platform, school_id) == 1, timeout=20,
               what="the cycle to reach reporting")
    counted = requests.get(f"{platform.url}/schools/{school_id}/active-cycles",
                           headers=leader, timeout=10)
    assert counted.status_code == 200, counted.text  # one cycle: answered suppressed

    # After that traffic every service's /metrics shows it, with non-zero values.
    def metric(service: str, name: str) -> float:
        port = platform[service].env["METRICS_PORT"]
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith(name) and not line.startswith("#"))

    assert metric("cycles", "coachops_events_published_total{") >= 2
    assert metric("reporting", 'coachops_events_handled_total{consumer="reporting.') >= 1
    assert metric("reporting", "coachops_handler_seconds_count{") >= 1
    assert metric("gateway", "coachops_gateway_requests_total{") >= 3
    assert metric("gateway", "coachops_gateway_request_seconds_count{") >= 3
    assert metric("cycles", "coachops_events_recorded_total{") >= 3
    assert metric("timetracking", "coachops_events_published_total{") >= 1
    assert metric("agreements", "coachops_events_recorded_total{") >= 10
    assert metric("agreements", "coachops_events_published_total{") >= 10
    assert metric("cycles", 'coachops_outbox_position{source="cycles"}') >= 2
    assert metric("reporting", 'coachops_consumer_position{consumer="reporting.') >= 2
    assert metric("reporting", "coachops_projection_lag_seconds_count{") >= 1
    for service in SERVICES:
        assert metric(service, "process_cpu_seconds_total") > 0

    # The image's HEALTHCHECK, run as the engine would in each container: healthy while the
    # service serves, unhealthy where nothing answers.
    check = healthcheck_command()
    for name in APP_SERVICES:
        env = platform[name].env
        assert subprocess.run(check, env=env, timeout=10).returncode == 0, name
    nothing = {**platform["cycles"].env, "METRICS_PORT": str(free_port())}
    assert subprocess.run(check, env=nothing, capture_output=True, timeout=10).returncode != 0


def test_production_mode_refuses_to_start_without_a_token_secret(tmp_path: Path) -> None:
    env = {**os.environ, "COACHOPS_ENV": "production", "COACHOPS_TOKEN_SECRET": "",
           "GATEWAY_ADDRESS": f"127.0.0.1:{free_port()}"}
    gateway = ServiceProcess("gateway", env, tmp_path)
    gateway.start()
    assert gateway.wait_exit(timeout=60) != 0
    assert gateway.wait_exit(timeout=60) == 2
    assert "coachops: COACHOPS_TOKEN_SECRET: must be set" in gateway.log()


# Settings no compose service reads: a crash test's fault point, `make demo`'s port, the
# backup tool's superuser URL. Secrets (``from_file``) are checked with the secrets' tests.
NOT_FOR_COMPOSE = {"COACHOPS_FAULT", "DEMO_METRICS_PORT", "COACHOPS_ADMIN_URL"}
# Where compose's default is not the code's, and why: compose is the district's deployment
# (production), and its logs are JSON lines for a log collector.
COMPOSE_DEFAULTS = {"COACHOPS_ENV": "production", "LOG_FORMAT": "json"}


def test_every_setting_is_settable_from_env_with_its_own_default() -> None:
    config, _ = compose_config(clean_env())
    passed = {key for name in APP_SERVICES
              for key in config["services"][name]["environment"]}
    wanted = {s.name for s in SETTINGS if not s.from_file} - NOT_FOR_COMPOSE
    assert wanted - passed == set(), "settings compose does not pass (docker-compose.yml)"
    # Each is `${NAME:-default}`, the default the code's unless COMPOSE_DEFAULTS says why;
    # only a few are fixed by the deployment itself (the container's ports).
    text = (ROOT / "docker-compose.yml").read_text()
    fixed = {"METRICS_PORT", "GATEWAY_ADDRESS", "AMQP_URI"} | {
        s.name for s in SETTINGS if s.name.endswith("_DATABASE_URL")}
    for declared in SETTINGS:
        if declared.name in wanted - fixed:
            found = re.findall(rf"\b{declared.name}: \$\{{{declared.name}:-([^}}]*)\}}", text)
            assert found, f"{declared.name} is not `${{{declared.name}:-...}}` in compose"
            default = COMPOSE_DEFAULTS.get(declared.name, declared.default)
            assert set(found) == {default}, (declared.name, found)

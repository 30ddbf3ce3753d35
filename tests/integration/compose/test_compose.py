"""docker-compose.yml, checked by a real compose implementation (docker-compose, installed
into .venv-tools by `make tools`), and its services started as plain local processes with
the commands and environment the compose file gives them (no Docker engine here)."""

from __future__ import annotations

import os
import re
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
from coachops.settings import load as load_settings
from coachops.store.admin import drop_database, ensure_role_and_database
from deploy import make_secrets
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
                  "postgres-exporter", "node-exporter", "proxy", "backup"}
# The profile ha: a PostgreSQL primary and standby (pg_auto_failover's monitor and two
# nodes; README, "A PostgreSQL primary and standby"), two more RabbitMQ nodes and a second
# instance of every service and of the gateway (README, "Two of everything").
HA_POSTGRES = {"pg-monitor", "pg-node1", "pg-node2"}
HA_SERVICES = {"rabbitmq-2", "rabbitmq-3", *(f"{name}-2" for name in APP_SERVICES)}


def compose_config(env: dict[str, str]) -> tuple[dict[str, Any], str]:
    """What compose makes of its file with ``env``; SECRETS_DIR, unless given, is secrets/
    (compose names the files there, whether they exist or not)."""
    env = {"SECRETS_DIR": str(ROOT / "secrets"), **env}
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
    profiled = HA_POSTGRES | HA_SERVICES
    assert set(services) == APP_SERVICES | INFRA_SERVICES | profiled
    assert {name for name, service in services.items() if service.get("profiles")} == profiled
    assert {tuple(services[name]["profiles"]) for name in profiled} == {("ha",)}
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
        # Its own database's password, no other service's; every secret from a file.
        own = {"rabbitmq_password", "master_key", f"{name}_database_password"}
        given = {secret["source"] for secret in service["secrets"]}
        assert given == own | ({"token_secret"} if name == "gateway" else set()), name
        # (OIDC_CLIENT_SECRET excepted: the provider gives it, and sign-in is optional.)
        assert not [k for k in service["environment"] if k != "OIDC_CLIENT_SECRET"
                    and re.search(r"PASSWORD$|SECRET$|_KEY$", k)], name
        command = shlex.split(service["command"])
        # nameko run --config deploy/nameko.yml, with AMQP_URI assembled first
        assert command[:3] == ["python", "-m", "coachops.serve"], name
    assert services["grafana"]["depends_on"] == {"prometheus": {"condition": "service_healthy"}}



def test_the_ha_profile_adds_a_primary_and_standby_and_leaves_the_default_as_it_was() -> None:
    config, _ = compose_config(clean_env())
    services = config["services"]
    assert {n for n, s in services.items() if not s.get("profiles")} == (
        APP_SERVICES | INFRA_SERVICES)
    for name in HA_POSTGRES:
        service = services[name]
        assert service["profiles"] == ["ha"], name
        assert service["command"] == ["/etc/coachops/ha.sh",
                                      "monitor" if name == "pg-monitor" else "node"], name
        assert service["build"]["dockerfile"] == "ha.Dockerfile"
        mounted = {v.split(":")[1]: v.split(":")[0] for v in service["volumes"]}
        assert mounted["/etc/coachops/ha.sh"] == str(ROOT / "deploy/postgres/ha.sh")
        given = {secret["source"] for secret in service["secrets"]}
        databases = {f"{s}_database_password" for s in APP_SERVICES}
        # the nodes make the services' roles (init.sh), the monitor only its own
        assert given == {"postgres_password"} | (set() if name == "pg-monitor" else databases)
        assert services[name]["environment"]["HA_HOSTNAME"] == name
    assert {services[n]["environment"]["HA_MONITOR"] for n in ("pg-node1", "pg-node2")} == {
        "pg-monitor:5432"}
    # By default every service's database is on the one `postgres`, as before ...
    assert services["cycles"]["environment"]["CYCLES_DATABASE_URL"] == (
        "postgresql://coachops_cycles@postgres:5432/coachops_cycles")
    # ... and with the two settings of the README, on whichever node takes writes.
    ha, _ = compose_config({**clean_env(), "POSTGRES_HOSTS": "pg-node1:5432,pg-node2:5432",
                            "POSTGRES_OPTIONS": "?target_session_attrs=read-write"})
    from psycopg2.extensions import parse_dsn
    for name in APP_SERVICES:
        environment = ha["services"][name]["environment"]
        apart = {k: v for k, v in environment.items() if not k.endswith("_FILE")}
        loaded = load_settings({**apart, f"{name.upper()}_DATABASE_PASSWORD": "p@ss:/"})
        parsed = parse_dsn(loaded.database_url(name))
        assert (parsed["host"], parsed["port"]) == ("pg-node1,pg-node2", "5432,5432"), name
        assert parsed["target_session_attrs"] == "read-write"
    backup = ha["services"]["backup"]["environment"]["COACHOPS_ADMIN_URL"]
    assert backup == ("postgresql://postgres@pg-node1:5432,pg-node2:5432/postgres"
                      "?target_session_attrs=read-write")
    syntax = subprocess.run(["bash", "-n", str(ROOT / "deploy/postgres/ha.sh")],
                            capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr


def test_the_ha_profile_runs_a_twin_of_every_service_and_a_rabbitmq_cluster() -> None:
    env = {**clean_env(), "COMPOSE_PROFILES": "ha", "AMQP_QUEUE_TYPE": "quorum",
           "RABBITMQ_MORE_NODES": ";amqp://coachops@rabbitmq-2:5672/"
                                  ";amqp://coachops@rabbitmq-3:5672/",
           "GATEWAY_MORE_UPSTREAMS": "gateway-2:8000"}
    services = compose_config(env)[0]["services"]
    for name in APP_SERVICES:
        first, second = services[name], services[f"{name}-2"]
        # The same process: command, environment and secrets (the first alone publishes the
        # gateway's port on the host's loopback; people come through the proxy).
        assert {k: v for k, v in second.items() if k != "profiles"} == {
            k: v for k, v in first.items() if k != "ports"}, name
        assert first["environment"]["AMQP_QUEUE_TYPE"] == "quorum"
        assert first["environment"]["AMQP_URI"].split(";") == [
            f"amqp://coachops@{node}:5672/" for node in ("rabbitmq", "rabbitmq-2", "rabbitmq-3")]
    assert services["proxy"]["environment"]["GATEWAY_UPSTREAM"].split() == [
        "gateway:8000", "gateway-2:8000"]
    # The nodes share the Erlang cookie; the two new ones join rabbit@rabbitmq.
    cluster = (ROOT / "deploy" / "rabbitmq" / "cluster.conf").read_text()
    assert "cluster_formation.classic_config.nodes.1 = rabbit@rabbitmq\n" in cluster
    for node in ("rabbitmq", "rabbitmq-2", "rabbitmq-3"):
        service = services[node]
        assert service["hostname"] == node
        assert "rabbitmq_erlang_cookie" in {s["source"] for s in service["secrets"]}
        mounts = " ".join(str(v) for v in service["volumes"])
        assert ("20-cluster.conf" in mounts) == (node != "rabbitmq"), node
    assert not any("rabbitmq_erlang_cookie" in {s["source"] for s in services[n]["secrets"]}
                   for n in APP_SERVICES)  # only the nodes hold it


def compose_processes(config: dict[str, Any], secrets_dir: Path,
                      log_dir: Path) -> dict[str, ServiceProcess]:
    """Each app service as compose runs it, as a local process: its command and environment,
    container host names become this machine, its /run/secrets is ``secrets_dir`` (only
    the files compose gives it), and each container's metrics port a free local one, since
    here they share one network namespace."""
    processes = {}
    bin_dir = str(Path(sys.executable).parent)
    for name in sorted(APP_SERVICES):
        service = config["services"][name]
        mounted = {s["source"] for s in service.get("secrets", [])}
        env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHONUNBUFFERED": "1"}
        for key, value in service["environment"].items():
            value = re.sub(r"@(postgres|rabbitmq):", "@127.0.0.1:", str(value))
            if value.startswith("/run/secrets/"):
                secret = value.removeprefix("/run/secrets/")
                assert secret in mounted, f"{name} reads {secret}, which compose does not give it"
                value = str(secrets_dir / secret)
            env[key] = str(free_port()) if key == "METRICS_PORT" else value
        processes[name] = ServiceProcess(name, env, log_dir,
                                         command=shlex.split(service["command"]))
    return processes


@pytest.fixture
def compose_platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Platform]:
    secrets_dir = tmp_path / "secrets"
    make_secrets.generate(secrets_dir)  # as `make secrets` does
    user, vhost = "coachops-compose", "coachops-compose"
    settings = {
        "SECRETS_DIR": str(secrets_dir), "RABBITMQ_USER": user, "RABBITMQ_VHOST": vhost,
        "DB_PREFIX": "coachops_compose", "GATEWAY_PORT": str(free_port()),
    }
    config, _ = compose_config({**clean_env(), **settings})
    secret = (secrets_dir / "token_secret").read_text().strip()
    configure(monkeypatch, COACHOPS_TOKEN_SECRET=secret)  # tokens the tests sign

    # What RabbitMQ's and PostgreSQL's containers would make from the same files.
    rabbitmqctl("delete_vhost", vhost)
    rabbitmqctl("delete_user", user)
    rabbitmqctl("add_vhost", vhost).check_returncode()
    rabbitmqctl("add_user", user,
                (secrets_dir / "rabbitmq_password").read_text().strip()).check_returncode()
    rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*").check_returncode()
    for service in (*SERVICES, "gateway"):
        name = f"coachops_compose_{service}"
        drop_database(ADMIN_URL, name)
        ensure_role_and_database(
            ADMIN_URL, name, name,
            (secrets_dir / f"{service}_database_password").read_text().strip())

    platform = Platform(log_dir=tmp_path, env={}, names=())
    platform.processes.update(compose_processes(config, secrets_dir, tmp_path))
    platform.env = platform["gateway"].env
    # The test's own tools reach the broker as the services do (AMQP_PASSWORD put in).
    platform.env = {**platform.env, "AMQP_URI": load_settings(platform.env).amqp_uri}
    try:
        for process in platform.processes.values():
            process.start()
        platform.wait_ready()
        yield platform
    finally:
        platform.stop()
        rabbitmqctl("delete_user", user)


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
    # A secret of 3 bytes is no better.
    short = ServiceProcess("gateway-short", {**env, "COACHOPS_TOKEN_SECRET": "abc"}, tmp_path,
                           command=gateway.command)
    short.command = None
    short.name = "gateway"
    short.start()
    assert short.wait_exit(timeout=60) == 2
    assert short.log().strip() == (
        "coachops: COACHOPS_TOKEN_SECRET: is 3 characters; production needs at least 16 "
        "(`make secrets` writes strong ones)")


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

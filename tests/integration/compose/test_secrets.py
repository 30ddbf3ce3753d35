"""The deployment's secrets (README, "With docker compose"): `make secrets` writes them, every
service started as compose starts it refuses a default one naming it, and passwords holding
`@ / ' % :` work end to end: deploy/postgres/init.sh gives each role its own on a real
PostgreSQL that checks passwords (scram-sha-256, a cluster of this test's own), RabbitMQ
checks the broker's, and the platform, given users, hosts and password files apart, writes
and reads through the gateway."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
import requests

from coachops import settings
from deploy import make_secrets
from deploy.local import SERVICES, Platform, ServiceProcess
from tests.e2e.test_slice import accept_cycle, post_cycle, start_cycle_body
from tests.integration.compose.test_compose import (
    COMPOSE,
    clean_env,
    compose_config,
    compose_processes,
)
from tests.support import roster
from tests.support.platform import MASTER_KEY, rabbitmqctl, wait_until
from tests.support.settings import configure

ROOT = Path(__file__).resolve().parents[3]
# Ports of this test's own (a PostgreSQL cluster, a gateway), apart from the shared ones.
PG_PORT = int(os.environ.get("COACHOPS_TEST_SECRETS_PG_PORT", "18710"))
GATEWAY_PORT = int(os.environ.get("COACHOPS_TEST_SECRETS_GATEWAY_PORT", "18711"))
VHOST = "sec-pw"
BROKER_USER = "sec-pw-user"
PREFIX = "sec_pw"
ODD = "p@ss/w0rd'%:"  # each character that broke a URL or init.sh before


def odd_password() -> str:
    """Strong enough for production, and holding every troublesome character."""
    return ODD + uuid.uuid4().hex[:12]


def test_make_secrets_writes_strong_files_and_keeps_those_there(tmp_path: Path) -> None:
    target = tmp_path / "secrets"
    written, kept = make_secrets.generate(target)
    assert kept == [] and sorted(written) == sorted(make_secrets.SECRETS)
    for service in settings.SERVICES:  # one per database role
        assert f"{service}_database_password" in written
    values = {name: (target / name).read_text().strip() for name in written}
    assert len(set(values.values())) == len(values)  # no two alike
    for name, value in values.items():
        assert stat.S_IMODE((target / name).stat().st_mode) == 0o600, name
        assert settings.weakness(value) == "", name
        if name != "master_key":
            assert re.fullmatch(r"[A-Za-z0-9_-]{43}", value), name  # URL-safe
    settings.district_key(values["master_key"])  # what COACHOPS_MASTER_KEY reads
    assert stat.S_IMODE(target.stat().st_mode) == 0o700

    (target / "rabbitmq_password").write_text("the one RabbitMQ holds\n")
    (target / "token_secret").unlink()
    written, kept = make_secrets.generate(target)
    assert written == ["token_secret"]
    assert (target / "rabbitmq_password").read_text() == "the one RabbitMQ holds\n"


def test_compose_stops_without_the_secrets() -> None:
    env = {k: v for k, v in clean_env().items() if k != "SECRETS_DIR"}
    result = subprocess.run(
        [COMPOSE, "--env-file", ".env.example", "-f", "docker-compose.yml", "config"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "run `make secrets` and set SECRETS_DIR=./secrets in .env" in result.stderr
    assert "change-me" not in (ROOT / "docker-compose.yml").read_text()
    assert "change-me" not in (ROOT / ".env.example").read_text()


def processes(secrets_dir: Path, log_dir: Path) -> dict[str, ServiceProcess]:
    config, _ = compose_config({**clean_env(), "SECRETS_DIR": str(secrets_dir)})
    return compose_processes(config, secrets_dir, log_dir)


# Each secret file each service reads, and the setting its refusal names.
READS = {
    "rabbitmq_password": "AMQP_PASSWORD",
    "master_key": "COACHOPS_MASTER_KEY",
    "token_secret": "COACHOPS_TOKEN_SECRET",
    **{f"{s}_database_password": settings.database_secret(s) for s in settings.SERVICES},
}


def test_every_service_refuses_a_default_secret_naming_it(tmp_path: Path) -> None:
    good = tmp_path / "secrets"
    make_secrets.generate(good)
    started: list[tuple[str, str, ServiceProcess]] = []
    for name, process in processes(good, tmp_path / "logs").items():
        secrets_read = sorted({Path(v).name for k, v in process.env.items()
                               if k.endswith("_FILE") and v.startswith(str(good))})
        assert "rabbitmq_password" in secrets_read and f"{name}_database_password" in secrets_read
        for secret in secrets_read:
            # Its own copy of the secrets, with this one at compose's old default.
            bad = tmp_path / f"{name}-{secret}"
            shutil.copytree(good, bad)
            (bad / secret).write_text("change-me\n")
            env = {k: v.replace(str(good), str(bad)) for k, v in process.env.items()}
            one = ServiceProcess(f"{name}-{secret}", env, tmp_path / "logs",
                                 command=process.command)
            one.start()
            started.append((name, secret, one))
    try:
        # Each service: the broker's, its own database's, the master key; the gateway's
        # token secret as well.
        assert len(started) == 16
        for name, secret, one in started:
            assert one.wait_exit(timeout=120) == 2, (name, secret, one.log())
            lines = [line for line in one.log().splitlines() if line.strip()]
            assert len(lines) == 1, (name, secret, one.log())
            assert lines[0].startswith(f"coachops: {READS[secret]}: "), (name, secret, lines)
    finally:
        for _, _, one in started:
            one.kill()


def test_a_missing_secret_file_is_refused_naming_it(tmp_path: Path) -> None:
    secrets_dir = tmp_path / "secrets"
    make_secrets.generate(secrets_dir)
    (secrets_dir / "cycles_database_password").unlink()
    cycles = processes(secrets_dir, tmp_path)["cycles"]
    cycles.start()
    assert cycles.wait_exit(timeout=120) == 2
    assert cycles.log().strip() == (
        f"coachops: CYCLES_DATABASE_PASSWORD_FILE: cannot read "
        f"{secrets_dir / 'cycles_database_password'}: No such file or directory")


# A PostgreSQL of the test's own that checks passwords (the shared one trusts 127.0.0.1).

def as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL's programs refuse to run as root: as its own user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class Deployment:
    secrets: Path
    admin_password: str
    port: int

    def password(self, name: str) -> str:
        return (self.secrets / name).read_text().strip()

    def url(self, service: str, password: str) -> str:
        role = f"{PREFIX}_{service}"
        return settings.with_password(f"postgresql://{role}@127.0.0.1:{self.port}/{role}",
                                      password)


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    """Secrets as `make secrets` writes them, then every password made odd; a PostgreSQL
    cluster with scram passwords set up by deploy/postgres/init.sh; a RabbitMQ user."""
    bindir = Path(subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                                 check=True).stdout.strip())
    home = Path(tempfile.mkdtemp(prefix="sec-pg-"))  # /tmp: the postgres user reaches it
    secrets_dir = home / "secrets"
    make_secrets.generate(secrets_dir)
    for name in ("postgres_password", "rabbitmq_password",
                 *(f"{s}_database_password" for s in settings.SERVICES)):
        (secrets_dir / name).write_text(odd_password() + "\n")
    # White space around a secret is not part of it, for init.sh as for the services.
    (secrets_dir / "gateway_database_password").write_text(f"  {odd_password()} \n")
    deployed = Deployment(secrets_dir, (secrets_dir / "postgres_password").read_text().strip(),
                          PG_PORT)
    (home / "pwfile").write_text(deployed.admin_password + "\n")
    if os.geteuid() == 0:
        shutil.chown(home, "postgres")
        shutil.chown(home / "pwfile", "postgres")
    data = home / "data"
    subprocess.run(as_postgres([str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                                "--auth=scram-sha-256", f"--pwfile={home / 'pwfile'}",
                                "--no-sync", "-E", "UTF8"]),
                   check=True, capture_output=True, timeout=120)
    options = (f"-p {PG_PORT} -k {home} -c listen_addresses=127.0.0.1 "
               "-c max_connections=300 -c fsync=off")
    ctl = [str(bindir / "pg_ctl"), "-D", str(data)]
    subprocess.run(as_postgres([*ctl, "-l", str(home / "log"), "-w", "-o", options, "start"]),
                   check=True, capture_output=True, timeout=120)
    rabbitmqctl("delete_user", BROKER_USER)
    rabbitmqctl("delete_vhost", VHOST)
    try:
        rabbitmqctl("add_vhost", VHOST).check_returncode()
        rabbitmqctl("add_user", BROKER_USER,
                    deployed.password("rabbitmq_password")).check_returncode()
        rabbitmqctl("set_permissions", "-p", VHOST, BROKER_USER,
                    ".*", ".*", ".*").check_returncode()
        # The container's init, as the postgres image runs it: psql as the superuser.
        init = subprocess.run(
            ["bash", str(ROOT / "deploy" / "postgres" / "init.sh")], cwd=ROOT,
            env={**os.environ, "POSTGRES_USER": "postgres", "PGHOST": "127.0.0.1",
                 "PGPORT": str(PG_PORT), "PGPASSWORD": deployed.admin_password,
                 "DB_PREFIX": PREFIX, "SECRETS": str(secrets_dir),
                 "DATABASES_LIST": str(ROOT / "deploy" / "postgres" / "databases.txt")},
            capture_output=True, text=True, timeout=120)
        assert init.returncode == 0, init.stderr
        yield deployed
    finally:
        rabbitmqctl("delete_user", BROKER_USER)
        rabbitmqctl("delete_vhost", VHOST)
        subprocess.run(as_postgres([*ctl, "-m", "fast", "stop"]), capture_output=True,
                       timeout=120)
        shutil.rmtree(home, ignore_errors=True)


def test_init_sh_gives_each_role_its_own_odd_password(deployment: Deployment) -> None:
    passwords = {s: deployment.password(f"{s}_database_password") for s in settings.SERVICES}
    assert len(set(passwords.values())) == len(passwords)
    for service, password in passwords.items():
        assert all(c in password for c in "@/'%:")
        connection = psycopg2.connect(deployment.url(service, password))
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_user, current_database()")
                assert cursor.fetchone() == (f"{PREFIX}_{service}", f"{PREFIX}_{service}")
        finally:
            connection.close()
    # The server does check them: another role's password is refused.
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(deployment.url("cycles", passwords["gateway"])).close()


def test_odd_passwords_work_end_to_end(deployment: Deployment, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    token_secret = (deployment.secrets / "token_secret").read_text().strip()
    configure(monkeypatch, COACHOPS_TOKEN_SECRET=token_secret)  # tokens the test signs
    secrets_dir = deployment.secrets
    # As compose gives them: users and hosts in the URLs, each password from its file.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("COACHOPS_") and not k.endswith(("_DATABASE_URL", "_FILE"))}
    env.update(
        COACHOPS_ENV="production", PYTHONUNBUFFERED="1", RELAY_POLL_SECONDS="0.2",
        AMQP_URI=f"amqp://{BROKER_USER}@127.0.0.1:5672/{VHOST}",
        AMQP_PASSWORD_FILE=str(secrets_dir / "rabbitmq_password"),
        GATEWAY_ADDRESS=f"127.0.0.1:{GATEWAY_PORT}",
        COACHOPS_TOKEN_SECRET_FILE=str(secrets_dir / "token_secret"),
        COACHOPS_MASTER_KEY=MASTER_KEY,
    )
    for service in settings.SERVICES:
        role = f"{PREFIX}_{service}"
        env[f"{service.upper()}_DATABASE_URL"] = f"postgresql://{role}@127.0.0.1:{PG_PORT}/{role}"
        env[f"{service.upper()}_DATABASE_PASSWORD_FILE"] = str(
            secrets_dir / f"{service}_database_password")
    assert "%" not in env["AMQP_URI"] and "@127" in env["AMQP_URI"]  # no password in it
    platform = Platform(log_dir=tmp_path, env=env)
    platform.start()
    try:
        # The test's own tools (appointing the IT administrator) reach the broker as the
        # services do, through the settings' assembled URL.
        client = dict(env)
        client["AMQP_URI"] = settings.load(env).amqp_uri
        platform.env = client
        at = roster.school(platform, coaches=1, teachers=1)  # writes and reads the roster
        body = start_cycle_body(platform, at)
        proposed = post_cycle(platform, body)
        assert proposed.status_code == 201, proposed.text
        accepted = accept_cycle(platform, proposed.json()["cycle_id"],
                                str(body["teacher_ids"][0]))
        assert accepted.status_code == 200, accepted.text

        # Through the broker into reporting's database, read with its own odd password.
        reporting = deployment.url("reporting", deployment.password(
            "reporting_database_password"))

        def counted() -> int:
            connection = psycopg2.connect(reporting)
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT count(*) FROM cycle_facts WHERE school_id = %s",
                                   (at.id,))
                    return int(cursor.fetchone()[0])
            finally:
                connection.close()

        wait_until(lambda: counted() == 1, timeout=30, what="the cycle to reach reporting")
        # The gateway's own broker connection (nameko's AMQP_URI, set by coachops.serve).
        parked = requests.get(f"{platform.url}/dead-letters", timeout=10,
                              headers=roster.it_admin_headers(platform))
        assert parked.status_code == 200, parked.text
    finally:
        platform.stop()
    for process in platform.processes.values():
        assert process.process is not None
        assert process.process.returncode == 0, process.log()[-3000:]
    assert set(platform.processes) == {"gateway", *SERVICES}

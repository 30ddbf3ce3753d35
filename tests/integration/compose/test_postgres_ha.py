"""Compose's `ha` profile run as local processes (no Docker engine here): the commands of
`pg-monitor`, `pg-node1` and `pg-node2` (deploy/postgres/ha.sh) with the environment compose
gives them, each with its own port and data directory, as the postgres user. The first node
becomes the primary with the services' databases, the second its synchronous standby, every
link between them with a password; a service's role reaches the primary through the URL
naming both nodes; the primary is SIGKILLed, the standby promoted, and the old node started
again comes back as its standby."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from coachops.settings import load as load_settings
from deploy import make_secrets
from tests.integration.compose.test_compose import ROOT, clean_env, compose_config
from tests.support.pg_cluster import PG_BIN
from tests.support.platform import wait_until

FIRST_PORT = int(os.environ.get("COACHOPS_TEST_PG_CLUSTER_PORT", "25400")) + 300
HA = ("pg-monitor", "pg-node1", "pg-node2")


class Processes:
    """The ha profile's three services, each ha.sh as compose runs it, on this machine."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.secrets = home / "secrets"
        make_secrets.generate(self.secrets)  # as `make secrets` does
        (home / "sock").mkdir()
        # What compose mounts at /etc/coachops, copied into ``home``: the postgres user
        # may not be able to enter the checkout (a clone in a 0700 folder).
        self.mounted = home / "etc-coachops"
        shutil.copytree(ROOT / "deploy" / "postgres", self.mounted)
        config, _ = compose_config({**clean_env(), "SECRETS_DIR": str(self.secrets)})
        self.services = config["services"]
        self.ports = {name: FIRST_PORT + i for i, name in enumerate(HA)}
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            owner = pwd.getpwnam(self.user)
            for path in [home, *home.rglob("*")]:
                os.chown(path, owner.pw_uid, owner.pw_gid)

    def env(self, name: str) -> dict[str, str]:
        """Compose's environment for ``name``, its paths and names made this machine's:
        /run/secrets, the volume, the mounted scripts, the other containers' names."""
        base = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "XDG_"))}
        env = {**base, **{k: str(v) for k, v in self.services[name]["environment"].items()}}
        for key, value in list(env.items()):
            if value.startswith("/etc/coachops/"):
                env[key] = str(self.mounted / value.removeprefix("/etc/coachops/"))
        for other in HA:
            env = {k: v.replace(f"{other}:5432", f"127.0.0.1:{self.ports[other]}")
                   for k, v in env.items()}
        env.update(
            HOME=str(self.home), SECRETS=str(self.secrets), HA_BASE=str(self.home / name),
            PGPORT=str(self.ports[name]), HA_HOSTNAME="127.0.0.1", HA_NAME=name,
            PGPASSFILE=str(self.home / f"{name}.pgpass"),
            INIT_SH=str(self.mounted / "init.sh"),
            PG_REGRESS_SOCK_DIR=str(self.home / "sock"), PGHOST=str(self.home / "sock"),
            PATH=f"{PG_BIN}:{base.get('PATH', '/usr/bin:/bin')}")
        return env

    def start(self, name: str) -> None:
        command = self.services[name]["command"]
        assert command[0] == "/etc/coachops/ha.sh"
        script = self.mounted / "ha.sh"
        (self.home / name).mkdir(exist_ok=True)
        if self.user:
            shutil.chown(self.home / name, self.user, self.user)
        with open(self.home / f"{name}.log", "ab") as out:
            self.running[name] = subprocess.Popen(
                ["bash", str(script), *command[1:]], env=self.env(name), user=self.user,
                cwd=self.home, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self, name: str) -> None:
        os.killpg(self.running[name].pid, signal.SIGKILL)
        self.running[name].wait(timeout=30)

    def stop(self) -> None:
        for name in reversed(HA):
            process = self.running.get(name)
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{(self.home / f'{name}.log').read_text()[-3000:]}"
                         for name in HA if (self.home / f"{name}.log").exists())

    def superuser(self, name: str, dbname: str = "postgres") -> psycopg2.extensions.connection:
        """As the superuser, with its password, over TCP: as another machine would."""
        password = (self.secrets / "postgres_password").read_text().strip()
        return psycopg2.connect(host="127.0.0.1", port=self.ports[name], dbname=dbname,
                                user="postgres", password=password, connect_timeout=3)

    def state(self, name: str) -> str:
        """Whether ``name`` is the primary ("f": not in recovery) or a standby ("t")."""
        with self.superuser(name) as conn, conn.cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            row = cursor.fetchone()
        conn.close()
        return "t" if row and row[0] else "f"


def waited(ha: Processes, check: Callable[[], Any], what: str, timeout: float = 180) -> Any:
    try:
        return wait_until(check, timeout=timeout, interval=1, what=what)
    except TimeoutError as error:
        raise TimeoutError(f"{error}; the logs end:\n{ha.logs()}") from None


@pytest.fixture
def ha() -> Iterator[Processes]:
    home = Path(tempfile.mkdtemp(prefix="coachops-compose-ha-"))
    processes = Processes(home)
    try:
        yield processes
    finally:
        processes.stop()
        shutil.rmtree(home, ignore_errors=True)


def test_the_ha_profile_fails_over_with_passwords_everywhere(ha: Processes) -> None:
    for name, settled in (("pg-monitor", None), ("pg-node1", "f"), ("pg-node2", "t")):
        ha.start(name)
        if settled is None:
            socket = ha.home / "sock" / f".s.PGSQL.{ha.ports['pg-monitor']}"
            waited(ha, socket.exists, "the monitor")
        else:
            role = "primary" if settled == "f" else "standby"
            waited(ha, lambda n=name, s=settled: ha.state(n) == s, f"{name} as {role}")
    # A service's own role, with its own password, through the URL naming both nodes.
    hosts = ",".join(f"127.0.0.1:{ha.ports[n]}" for n in ("pg-node2", "pg-node1"))
    settings = load_settings({
        "CYCLES_DATABASE_URL": f"postgresql://coachops_cycles@{hosts}/coachops_cycles"
                               "?target_session_attrs=read-write",
        "CYCLES_DATABASE_PASSWORD_FILE": str(ha.secrets / "cycles_database_password")})

    def write(n: int) -> int:
        conn = psycopg2.connect(settings.cycles_database_url, connect_timeout=3)
        try:
            with conn, conn.cursor() as cursor:
                cursor.execute("CREATE TABLE IF NOT EXISTS kept (n int)")
                cursor.execute("INSERT INTO kept VALUES (%s)", (n,))
                cursor.execute("SELECT inet_server_port()")
                row = cursor.fetchone()
                assert row is not None
                return int(row[0])
        finally:
            conn.close()

    def synchronous() -> bool:
        with ha.superuser("pg-node1") as conn, conn.cursor() as cursor:
            cursor.execute("SHOW synchronous_standby_names")
            names = cursor.fetchone()
        conn.close()
        return str(names).startswith("('ANY 1 (")

    # Once the standby has caught up, the primary waits for it: what a commit returned is
    # on both nodes.
    waited(ha, synchronous, "the primary waiting for its standby")
    assert write(1) == ha.ports["pg-node1"]

    ha.kill("pg-node1")  # its machine lost
    port = waited(ha, lambda: write(2), "writes on the promoted standby")
    assert port == ha.ports["pg-node2"]
    ha.start("pg-node1")  # with its data: back as the standby
    waited(ha, lambda: ha.state("pg-node1") == "t", "the old primary back as the standby")
    with ha.superuser("pg-node1", "coachops_cycles") as conn, conn.cursor() as cursor:
        waited(ha, lambda: cursor.execute("SELECT n FROM kept ORDER BY n") or
               cursor.fetchall() == [(1,), (2,)], "both rows on it")
    conn.close()

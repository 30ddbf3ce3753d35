"""A PostgreSQL primary with a synchronous standby of the test's own, failed over by
pg_auto_failover (Debian's ``postgresql-15-auto-failover``, ``make tools``): a monitor and
two nodes, each a ``pg_autoctl`` keeper running its own PostgreSQL on loopback, with its own
port and data directory.

Nothing here touches the machine's PostgreSQL: every data directory, pg_autoctl's
configuration and state (``XDG_*``) and the Unix sockets are under the cluster's ``home``,
and the ports come from ``COACHOPS_TEST_PG_CLUSTER_PORT`` (the monitor there, the nodes on
the next two). PostgreSQL refuses to run as root, so as root every process runs as the
``postgres`` user, which owns ``home``.

    with running_cluster(home) as cluster:
        cluster.url("coachops_x")      # postgresql://…@127.0.0.1:p1,127.0.0.1:p2/coachops_x?…
        lost = cluster.kill_primary()  # SIGKILL: the standby is promoted
        cluster.wait_primary(other_than=lost)
        cluster.start(lost)            # back as the new primary's standby
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import subprocess
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2

from tests.support.groups import formed, terminate

PG_AUTOCTL = shutil.which("pg_autoctl") or "/usr/bin/pg_autoctl"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
FIRST_PORT = int(os.environ.get("COACHOPS_TEST_PG_CLUSTER_PORT", "25400"))
NODES = 2
# The monitor's timeouts, shorter than pg_auto_failover's defaults (20 s before a node that
# stopped answering is unhealthy, 30 s more for a lost primary to demote itself): a lost
# primary cannot acknowledge a write alone meanwhile (it waits for its synchronous standby).
MONITOR_SETTINGS = {
    "pgautofailover.health_check_period": "1000",
    "pgautofailover.health_check_timeout": "1000",
    "pgautofailover.health_check_max_retries": "1",
    "pgautofailover.health_check_retry_delay": "500",
    "pgautofailover.node_considered_unhealthy_timeout": "5000",
    "pgautofailover.primary_demote_timeout": "10000",
}


@dataclass
class Keeper:
    """One ``pg_autoctl`` process and the PostgreSQL it runs (the monitor's or a node's)."""

    name: str
    data: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.data.parent / f"{self.name}.log"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""


@dataclass
class Cluster:
    home: Path
    first_port: int = FIRST_PORT
    monitor: Keeper = field(init=False)
    nodes: list[Keeper] = field(init=False)

    def __post_init__(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        for sub in ("config", "share", "run", "sock"):
            (self.home / sub).mkdir(exist_ok=True)
        self.monitor = Keeper("monitor", self.home / "monitor", self.first_port)
        self.nodes = [Keeper(f"node{i}", self.home / f"node{i}", self.first_port + 1 + i)
                      for i in range(NODES)]
        if self.user:
            owner = pwd.getpwnam(self.user)
            for path in [self.home, *self.home.rglob("*")]:
                os.chown(path, owner.pw_uid, owner.pw_gid)

    @property
    def user(self) -> str | None:
        """Whom PostgreSQL runs as: ``postgres`` under root (which it refuses), else us."""
        return "postgres" if os.geteuid() == 0 else None

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "XDG_"))}
        env.update(
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self.home / "config"),
            XDG_DATA_HOME=str(self.home / "share"),
            XDG_RUNTIME_DIR=str(self.home / "run"),
            PG_REGRESS_SOCK_DIR=str(self.home / "sock"),  # unix_socket_directories
            PGHOST=str(self.home / "sock"),  # and where pg_autoctl's own connections go
            PATH=f"{PG_BIN}:{env.get('PATH', '/usr/bin:/bin')}",
        )
        return env

    def autoctl(self, *args: str, timeout: float = 60) -> str:
        done = subprocess.run([PG_AUTOCTL, *args], env=self.env, user=self.user,
                              cwd=self.home, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"pg_autoctl {' '.join(args)}: {done.stdout}{done.stderr}")
        return done.stdout

    def _run(self, keeper: Keeper, args: list[str]) -> None:
        with open(keeper.log_path, "ab") as out:
            keeper.process = subprocess.Popen(
                [PG_AUTOCTL, *args], env=self.env, user=self.user, cwd=self.home,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def monitor_uri(self) -> str:
        return (f"postgres://autoctl_node@127.0.0.1:{self.monitor.port}/pg_auto_failover"
                "?sslmode=disable")

    def _common(self, keeper: Keeper) -> list[str]:
        return ["--pgdata", str(keeper.data), "--pgport", str(keeper.port),
                "--pgctl", str(PG_BIN / "pg_ctl"), "--hostname", "127.0.0.1",
                "--auth", "trust", "--no-ssl"]

    def form(self) -> None:
        """The monitor, then the first node (the primary), then its standby."""
        self._run(self.monitor, ["create", "monitor", *self._common(self.monitor), "--run"])
        self._wait(lambda: self._query(self.monitor.port, "SELECT 1", "pg_auto_failover"),
                   self.monitor, "the monitor")
        for name, value in MONITOR_SETTINGS.items():
            self._query(self.monitor.port, f"ALTER SYSTEM SET {name} = {value}")
        self._query(self.monitor.port, "SELECT pg_reload_conf()")
        for index in range(NODES):
            self._create(index)
            self.wait_states({self.nodes[0].name: ("single", "primary", "wait_primary")}
                             if index == 0 else None)
        settings = self._query(self.primary().port, "SHOW synchronous_standby_names")
        if not settings or not settings[0][0].startswith("ANY 1"):
            raise RuntimeError(f"the primary does not wait for its standby: {settings}")

    def _create(self, index: int) -> None:
        node = self.nodes[index]
        self._run(node, ["create", "postgres", *self._common(node), "--name", node.name,
                         "--monitor", self.monitor_uri, "--replication-quorum", "true",
                         "--candidate-priority", "50", "--run"])

    def start(self, index: int) -> None:
        """Start node ``index``'s keeper again with its data: the monitor makes it the
        standby of the primary it finds (pg_rewind, then catching up)."""
        self._run(self.nodes[index], ["run", "--pgdata", str(self.nodes[index].data)])

    def states(self) -> dict[str, tuple[str, str]]:
        """Each node's (reported, assigned) state, as the monitor sees them."""
        shown = json.loads(self.autoctl("show", "state", "--pgdata", str(self.monitor.data),
                                        "--json"))
        return {n["nodename"] if "nodename" in n else n["node_name"]:
                (n["reported_state"] if "reported_state" in n else n["current_group_state"],
                 n["assigned_group_state"]) for n in shown}

    def wait_states(self, wanted: dict[str, tuple[str, ...]] | None = None,
                    timeout: float = 180) -> None:
        """Until every node has reached its assigned state and those of ``wanted`` are in
        one of theirs (by default: one primary and one secondary)."""
        def settled() -> bool:
            states = self.states()
            if any(reported != assigned for reported, assigned in states.values()):
                return False
            if wanted is not None:
                return all(states.get(name, ("",))[0] in ok for name, ok in wanted.items())
            return sorted(reported for reported, _ in states.values()) == ["primary",
                                                                           "secondary"]
        self._wait(settled, None, f"the nodes to settle ({wanted or 'primary, secondary'})",
                   timeout)

    def primary(self) -> Keeper:
        states = self.states()
        return next(n for n in self.nodes if states.get(n.name, ("",))[0] in (
            "single", "primary", "wait_primary"))

    def kill_primary(self) -> int:
        """SIGKILL the primary's keeper and its PostgreSQL: the machine is lost, nothing is
        flushed. Answers which node it was."""
        node = self.primary()
        assert node.process is not None
        os.killpg(node.process.pid, signal.SIGKILL)
        node.process.wait(timeout=30)
        # The postmaster's own children die with it (they watch their parent's pipe).
        return self.nodes.index(node)

    def wait_primary(self, other_than: int, timeout: float = 180) -> float:
        """Until another node is the primary and takes writes; answers when (monotonic)."""
        lost = self.nodes[other_than]

        def promoted() -> bool:
            states = self.states()
            return any(states.get(n.name, ("",))[0] in ("primary", "wait_primary")
                       for n in self.nodes if n is not lost)
        self._wait(promoted, None, "the standby to be promoted", timeout)
        return time.monotonic()

    def _query(self, port: int, statement: str, dbname: str = "postgres"
               ) -> list[tuple[str, ...]]:
        conn = psycopg2.connect(self.admin_url(port, dbname), connect_timeout=3)
        try:
            conn.autocommit = True  # ALTER SYSTEM runs outside a transaction
            with conn.cursor() as cursor:
                cursor.execute(statement)
                return list(cursor.fetchall()) if cursor.description else []
        finally:
            conn.close()

    def admin_url(self, port: int | None = None, dbname: str = "postgres") -> str:
        """The superuser's URL: the current primary's by default."""
        return f"postgresql://{self.user or pwd.getpwuid(os.geteuid()).pw_name}@127.0.0.1:" \
               f"{port or self.primary().port}/{dbname}"

    def url(self, dbname: str, user: str | None = None) -> str:
        """Every node, in libpq's multi-host form: a client connects to the one taking
        writes (``target_session_attrs=read-write``), whichever it is now."""
        hosts = ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)
        return f"postgresql://{user or dbname}@{hosts}/{dbname}?target_session_attrs=read-write"

    def _wait(self, check: object, keeper: Keeper | None, what: str,
              timeout: float = 120) -> None:
        assert callable(check)
        deadline = time.monotonic() + timeout
        while True:
            for watched in ([keeper] if keeper else [self.monitor, *self.nodes]):
                if watched.process is not None and not watched.alive() and \
                        watched.process.returncode != -signal.SIGKILL:
                    raise RuntimeError(f"{watched.name} exited; its log ends:\n{watched.tail()}")
            try:
                if check():
                    return
            except (psycopg2.Error, RuntimeError, subprocess.TimeoutExpired, ValueError,
                    KeyError):
                pass
            if time.monotonic() > deadline:
                logs = "\n".join(f"--- {k.name}\n{k.tail()}" for k in [self.monitor, *self.nodes])
                raise TimeoutError(f"{what} not after {timeout}s:\n{logs}")
            time.sleep(0.5)

    def stop(self) -> None:
        terminate(node.process for node in self.nodes)
        terminate([self.monitor.process])  # the monitor outlives the nodes


def running_cluster(home: Path, first_port: int = FIRST_PORT) -> AbstractContextManager[Cluster]:
    return formed(Cluster(home, first_port))

"""A three-node RabbitMQ cluster of the test's own: three ``rabbitmq-server`` processes on one
machine, each with its own ports and data directory, joined with ``rabbitmqctl join_cluster``.

Nothing here touches the machine's RabbitMQ: each node reads its own config and env files
(not /etc/rabbitmq), registers with an epmd of its own port, and shares an Erlang cookie
through a ``HOME`` of its own. The ports come from ``COACHOPS_TEST_CLUSTER_PORT`` (a block of
at least 400 from there: AMQP, distribution, the CLI's distribution ports, epmd).

    with running_cluster(tmp_path) as cluster:
        cluster.amqp_uri("coachops-x")   # amqp://…:p1/coachops-x;amqp://…:p2/…;…
        cluster.kill(1); cluster.start(1)
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.groups import formed, terminate

SERVER = shutil.which("rabbitmq-server", path="/usr/lib/rabbitmq/bin") or "rabbitmq-server"
CTL = shutil.which("rabbitmqctl", path="/usr/lib/rabbitmq/bin") or "rabbitmqctl"
FIRST_PORT = int(os.environ.get("COACHOPS_TEST_CLUSTER_PORT", "24000"))
NODES = 3
COOKIE = "COACHOPSTESTCLUSTERCOOKIE"


@dataclass
class Node:
    index: int
    base: Path
    first_port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def name(self) -> str:
        return f"coachops{self.index}@localhost"

    @property
    def amqp_port(self) -> int:
        return self.first_port + 100 + self.index

    @property
    def dist_port(self) -> int:
        return self.first_port + 200 + self.index

    @property
    def log_path(self) -> Path:
        return self.base / "log" / "server.log"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


def _environment(home: Path, first_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RABBITMQ_", "ERL_"))}
    env.update(
        HOME=str(home),
        ERL_EPMD_PORT=str(first_port + 369),
        ERL_EPMD_ADDRESS="127.0.0.1",
        RABBITMQ_CONF_ENV_FILE=str(home / "rabbitmq-env.conf"),
        RABBITMQ_CTL_DIST_PORT_MIN=str(first_port + 300),
        RABBITMQ_CTL_DIST_PORT_MAX=str(first_port + 350),
    )
    return env


@dataclass
class Cluster:
    home: Path
    first_port: int = FIRST_PORT
    nodes: list[Node] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        cookie = self.home / ".erlang.cookie"
        cookie.write_text(COOKIE)
        cookie.chmod(0o400)
        (self.home / "rabbitmq-env.conf").write_text("")  # not /etc/rabbitmq's
        (self.home / "enabled_plugins").write_text("[].\n")
        self.nodes = [Node(i, self.home / f"node{i}", self.first_port) for i in range(NODES)]

    @property
    def env(self) -> dict[str, str]:
        return _environment(self.home, self.first_port)

    def ctl(self, node: Node, *args: str, timeout: float = 60) -> str:
        done = subprocess.run([CTL, "-q", "-n", node.name, *args], env=self.env,
                              capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} on {node.name}: "
                               f"{done.stdout}{done.stderr}")
        return done.stdout

    def start(self, index: int) -> None:
        """Start node ``index`` (again, with its data: it rejoins the cluster by itself)."""
        node = self.nodes[index]
        config = node.base / "rabbitmq.conf"
        node.base.mkdir(parents=True, exist_ok=True)
        config.write_text(
            f"listeners.tcp.default = 127.0.0.1:{node.amqp_port}\n"
            "loopback_users = none\n"
            "cluster_partition_handling = pause_minority\n")
        env = {
            **self.env,
            "RABBITMQ_NODENAME": node.name,
            "RABBITMQ_NODE_PORT": str(node.amqp_port),
            "RABBITMQ_DIST_PORT": str(node.dist_port),
            "RABBITMQ_CONFIG_FILE": str(config),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.home / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(node.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(node.base / "log"),
            "RABBITMQ_PID_FILE": str(node.base / "pid"),
            "RABBITMQ_LOGS": str(node.log_path),
        }
        with open(node.base / "stdout.log", "ab") as out:
            node.process = subprocess.Popen([SERVER], env=env, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        self.await_startup(node)

    def await_startup(self, node: Node, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if not node.alive():
                raise RuntimeError(f"{node.name} exited; its log ends:\n"
                                   f"{self._tail(node)}")
            try:
                self.ctl(node, "await_startup", "--timeout", "10", timeout=30)
                return
            except (RuntimeError, subprocess.TimeoutExpired):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{node.name} not up after {timeout}s:\n"
                                       f"{self._tail(node)}") from None
                time.sleep(1)

    def _tail(self, node: Node) -> str:
        texts = [p.read_text(errors="replace")[-3000:]
                 for p in (node.base / "stdout.log", node.log_path) if p.exists()]
        return "\n".join(texts)

    def form(self) -> None:
        """Start every node and join the second and third to the first."""
        for index in range(NODES):
            self.start(index)
        first = self.nodes[0]
        for node in self.nodes[1:]:
            self.ctl(node, "stop_app")
            self.ctl(node, "reset")
            self.ctl(node, "join_cluster", first.name)
            self.ctl(node, "start_app")
        running = self.ctl(first, "eval", "rabbit_nodes:all_running().")
        missing = [n.name for n in self.nodes if n.name not in running]
        if missing:
            raise RuntimeError(f"not clustered: {missing} (running: {running})")

    def kill(self, index: int) -> None:
        """SIGKILL node ``index``: the machine it stands for is lost, nothing is flushed."""
        node = self.nodes[index]
        assert node.process is not None
        os.killpg(node.process.pid, signal.SIGKILL)
        node.process.wait(timeout=30)

    def add_vhost(self, vhost: str) -> None:
        first = next(n for n in self.nodes if n.alive())
        self.ctl(first, "add_vhost", vhost)
        self.ctl(first, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")

    def amqp_uri(self, vhost: str = "/") -> str:
        """Every node, as kombu's failover URL: ``amqp://…;amqp://…;amqp://…``."""
        path = "" if vhost == "/" else vhost
        return ";".join(f"amqp://guest:guest@127.0.0.1:{n.amqp_port}/{path}"
                        for n in self.nodes)

    def queue_types(self, vhost: str) -> dict[str, str]:
        first = next(n for n in self.nodes if n.alive())
        out = self.ctl(first, "list_queues", "-p", vhost, "name", "type", "--no-table-headers")
        return dict(line.split("\t")[:2] for line in out.splitlines() if "\t" in line)

    def online_replicas(self, vhost: str) -> dict[str, int]:
        """How many nodes hold each quorum queue of ``vhost`` and are up."""
        first = next(n for n in self.nodes if n.alive())
        out = self.ctl(first, "list_queues", "-p", vhost, "name", "type", "online",
                       "--no-table-headers")
        rows = [line.split("\t") for line in out.splitlines() if "\t" in line]
        return {row[0]: row[2].count("@") for row in rows if row[1] == "quorum"}

    def stop(self) -> None:
        terminate(node.process for node in self.nodes)
        # epmd of the cluster's own port: started by the first node, stopped with the cluster
        subprocess.run(["epmd", "-kill"], env=self.env, capture_output=True, timeout=10)


def running_cluster(home: Path, first_port: int = FIRST_PORT) -> AbstractContextManager[Cluster]:
    return formed(Cluster(home, first_port))

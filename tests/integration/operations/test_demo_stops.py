"""`make demo` serves every process's metrics; stopped by SIGTERM (a service manager) or
SIGHUP (a closed terminal) it stops every service it started, as Ctrl-C does: no orphan
keeps a port or a queue."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from coachops.store.admin import drop_database, ensure_role_and_database
from deploy.local import SERVICES
from tests.support.platform import (
    ADMIN_URL,
    DATABASES,
    MASTER_KEY,
    NAMESPACE,
    free_port,
    rabbitmqctl,
    wait_until,
)

ROOT = Path(__file__).resolve().parents[3]


def children_of(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                         text=True).stdout
    return {int(line) for line in out.split()}


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive loopback ports nothing listens on now."""
    while True:
        first = free_port()
        taken = []
        try:
            for port in range(first, first + count):
                taken.append(socket.socket())
                taken[-1].bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for sock in taken:
                sock.close()


@pytest.fixture
def demo_env() -> Iterator[dict[str, str]]:
    """A vhost and databases of the demo's own, apart from the test platform's."""
    namespace = f"{NAMESPACE}_demo"
    vhost = f"coachops-{namespace}"
    rabbitmqctl("delete_vhost", vhost)
    rabbitmqctl("add_vhost", vhost).check_returncode()
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*").check_returncode()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COACHOPS_FAULT")}
    env.update(AMQP_URI=f"amqp://guest:guest@127.0.0.1:5672/{vhost}",
               GATEWAY_ADDRESS=f"127.0.0.1:{free_port()}", PYTHONUNBUFFERED="1",
               COACHOPS_MASTER_KEY=MASTER_KEY, DEMO_METRICS_PORT=str(free_ports(5)))
    for service in DATABASES:
        name = f"coachops_{namespace}_{service}"
        drop_database(ADMIN_URL, name)
        ensure_role_and_database(ADMIN_URL, name, name)
        env[f"{service.upper()}_DATABASE_URL"] = f"postgresql://{name}@127.0.0.1:5432/{name}"
    yield env
    rabbitmqctl("delete_vhost", vhost)
    for service in DATABASES:
        drop_database(ADMIN_URL, f"coachops_{namespace}_{service}")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_stops_the_demo_and_every_service(demo_env: dict[str, str],
                                                   signum: signal.Signals,
                                                   tmp_path: Path) -> None:
    port = demo_env["GATEWAY_ADDRESS"].rpartition(":")[2]
    with open(tmp_path / "demo.log", "wb") as log:
        demo = subprocess.Popen([sys.executable, "deploy/local.py", "demo"], cwd=ROOT,
                                env=demo_env, stdout=log, stderr=subprocess.STDOUT)
    services: set[int] = set()
    try:
        wait_until(lambda: requests.get(f"http://127.0.0.1:{port}/readyz",
                                        timeout=2).status_code == 200,
                   timeout=120, what="the demo's gateway")
        services = children_of(demo.pid)
        first = int(demo_env["DEMO_METRICS_PORT"])
        for metrics_port in range(first, first + 1 + len(SERVICES)):
            metrics = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5)
            assert metrics.status_code == 200 and "process_cpu_seconds_total" in metrics.text
        assert len(services) == 1 + len(SERVICES), services  # the gateway and each service

        demo.send_signal(signum)  # while it loads the demo district
        assert demo.wait(timeout=90) == 0, (tmp_path / "demo.log").read_text()[-3000:]
        left = {pid for pid in services if alive(pid)}
        assert not left, f"services left running: {left}"
    finally:
        for pid in {demo.pid} | services:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)  # a failed run leaves nothing behind

"""Test settings for the platform: its own RabbitMQ vhost and its own databases, so a
demo running on the same machine is neither disturbed nor read."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from coachops.store.admin import drop_database, ensure_role_and_database
from deploy.local import Platform, ServiceProcess

__all__ = ["Platform", "ServiceProcess", "platform_for_tests", "started", "wait_until"]

ADMIN_URL = os.environ.get("COACHOPS_TEST_ADMIN_URL",
                           "postgresql://postgres@127.0.0.1:5432/postgres")
# COACHOPS_TEST_NAMESPACE lets two test sessions share a machine without resetting each
# other's broker and databases (each needs its own COACHOPS_TEST_GATEWAY_PORT too).
NAMESPACE = os.environ.get("COACHOPS_TEST_NAMESPACE", "test")
VHOST = f"coachops-{NAMESPACE}"
DATABASES = ("cycles", "timetracking", "agreements", "reporting", "gateway")
GATEWAY_PORT = int(os.environ.get("COACHOPS_TEST_GATEWAY_PORT", "18080"))
# The test district's master key (``coachops.privacy.master``): its own, not the development
# default, and never stored in a database, so a dump can be searched for what it opens.
MASTER_KEY = "dGVzdCBkaXN0cmljdCdzIG1hc3RlciBrZXksIDMyIGI="


def rabbitmqctl(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, timeout=60)


def reset_vhost(namespace: str = NAMESPACE) -> None:
    vhost = f"coachops-{namespace}"
    rabbitmqctl("delete_vhost", vhost)
    rabbitmqctl("add_vhost", vhost).check_returncode()
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*").check_returncode()


def database_name(service: str, namespace: str = NAMESPACE) -> str:
    return f"coachops_{namespace}_{service}"


def database_url(service: str, namespace: str = NAMESPACE) -> str:
    name = database_name(service, namespace)
    return f"postgresql://{name}@127.0.0.1:5432/{name}"


def reset_databases(namespace: str = NAMESPACE) -> None:
    for service in DATABASES:
        name = database_name(service, namespace)
        drop_database(ADMIN_URL, name)
        ensure_role_and_database(ADMIN_URL, name, name)


def platform_for_tests(log_dir: Path, namespace: str = NAMESPACE,
                       gateway_port: int = GATEWAY_PORT, instances: int = 1) -> Platform:
    """The platform's settings in ``namespace``: its vhost, its databases, its port
    (``instances`` of every process: ``Platform``)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("COACHOPS_FAULT", "COACHOPS_MASTER_KEY_FILE")}
    env.update(
        AMQP_URI=f"amqp://guest:guest@127.0.0.1:5672/coachops-{namespace}",
        GATEWAY_ADDRESS=f"127.0.0.1:{gateway_port}",
        RELAY_POLL_SECONDS="0.2",
        PYTHONUNBUFFERED="1",
        COACHOPS_MASTER_KEY=MASTER_KEY,
    )
    for service in DATABASES:
        env[f"{service.upper()}_DATABASE_URL"] = database_url(service, namespace)
    return Platform(log_dir=log_dir, env=env, instances=instances)


@contextmanager
def started(log_dir: Path, namespace: str = NAMESPACE,
            gateway_port: int = GATEWAY_PORT) -> Iterator[Platform]:
    """The gateway and every service as real ``nameko run`` processes, on a fresh RabbitMQ
    vhost and fresh databases; stopped cleanly (SIGTERM) at the end."""
    reset_vhost(namespace)
    reset_databases(namespace)
    running = platform_for_tests(log_dir, namespace, gateway_port)
    running.start()
    yield running
    running.stop()
    for process in running.processes.values():
        assert process.process is not None
        assert process.process.returncode == 0, (
            f"{process.name} did not stop cleanly; its log ends:\n{process.log()[-6000:]}")


def free_port() -> int:
    """A loopback port nothing listens on now: for one more process of a test's own."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], Any], timeout: float = 30.0, interval: float = 0.1,
               what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except Exception:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)

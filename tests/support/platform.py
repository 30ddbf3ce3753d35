"""Test settings for the platform: its own RabbitMQ vhost and its own databases, so a
demo running on the same machine is neither disturbed nor read."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from coachops.store.admin import drop_database, ensure_role_and_database
from deploy.local import Platform, ServiceProcess

__all__ = ["Platform", "ServiceProcess", "platform_for_tests", "wait_until"]

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


def reset_vhost() -> None:
    rabbitmqctl("delete_vhost", VHOST)
    rabbitmqctl("add_vhost", VHOST).check_returncode()
    rabbitmqctl("set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*").check_returncode()


def database_name(service: str) -> str:
    return f"coachops_{NAMESPACE}_{service}"


def database_url(service: str) -> str:
    name = database_name(service)
    return f"postgresql://{name}@127.0.0.1:5432/{name}"


def reset_databases() -> None:
    for service in DATABASES:
        drop_database(ADMIN_URL, database_name(service))
        ensure_role_and_database(ADMIN_URL, database_name(service), database_name(service))


def platform_for_tests(log_dir: Path) -> Platform:
    env = {k: v for k, v in os.environ.items()
           if k not in ("COACHOPS_FAULT", "COACHOPS_MASTER_KEY_FILE")}
    env.update(
        AMQP_URI=f"amqp://guest:guest@127.0.0.1:5672/{VHOST}",
        GATEWAY_ADDRESS=f"127.0.0.1:{GATEWAY_PORT}",
        RELAY_POLL_SECONDS="0.2",
        PYTHONUNBUFFERED="1",
        COACHOPS_MASTER_KEY=MASTER_KEY,
    )
    for service in DATABASES:
        env[f"{service.upper()}_DATABASE_URL"] = database_url(service)
    return Platform(log_dir=log_dir, env=env)


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

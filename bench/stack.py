"""The platform under test: every service as a real process, as the tests start it, but on
the benchmark's own RabbitMQ vhost and databases (``coachops-<namespace>``,
``coachops_<namespace>_*``) and on loopback, so it disturbs nothing else on the machine.
Each service serves /metrics on a port of its own, for the projection lag."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import requests

from coachops.store.admin import drop_database, ensure_role_and_database
from deploy.local import Platform, ServiceProcess

# The databases the services need, as the tests create them: every one gets its bench twin.
from tests.support.platform import DATABASES, free_port, wait_until

ADMIN_URL = os.environ.get("COACHOPS_TEST_ADMIN_URL",
                           "postgresql://postgres@127.0.0.1:5432/postgres")



def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, timeout=120,
                   check=False)


@dataclass
class Stack:
    namespace: str
    gateway_port: int
    log_dir: Path
    platform: Platform | None = None
    metrics_ports: dict[str, int] = field(default_factory=dict)  # process name -> port

    @property
    def vhost(self) -> str:
        return f"coachops-{self.namespace}"

    @property
    def amqp_uri(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:5672/{self.vhost}"

    def database_url(self, service: str) -> str:
        name = f"coachops_{self.namespace}_{service}"
        return f"postgresql://{name}@127.0.0.1:5432/{name}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def reset(self) -> None:
        """A fresh vhost and fresh databases: every run measures from empty stores."""
        rabbitmqctl("delete_vhost", self.vhost)
        rabbitmqctl("add_vhost", self.vhost)
        rabbitmqctl("set_permissions", "-p", self.vhost, "guest", ".*", ".*", ".*")
        for service in DATABASES:
            name = f"coachops_{self.namespace}_{service}"
            drop_database(ADMIN_URL, name)
            ensure_role_and_database(ADMIN_URL, name, name)

    def drop(self) -> None:
        """The vhost and databases go when the run is over: 10 million rows are gigabytes."""
        rabbitmqctl("delete_vhost", self.vhost)
        for service in DATABASES:
            drop_database(ADMIN_URL, f"coachops_{self.namespace}_{service}")

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "COACHOPS_FAULT"}
        env.update(AMQP_URI=self.amqp_uri, GATEWAY_ADDRESS=f"127.0.0.1:{self.gateway_port}",
                   RELAY_POLL_SECONDS="0.2", PYTHONUNBUFFERED="1")
        for service in DATABASES:
            env[f"{service.upper()}_DATABASE_URL"] = self.database_url(service)
        return env

    def start(self) -> Platform:
        platform = Platform(log_dir=self.log_dir, env=self.env())
        self.platform = platform
        try:
            for name in platform.names:
                process = ServiceProcess(name, platform.env, self.log_dir)
                platform.processes[name] = process
                self.metrics_ports[name] = free_port()
                process.start(METRICS_PORT=str(self.metrics_ports[name]))
            platform.wait_ready(timeout=120)
        except BaseException:
            platform.stop()
            raise
        return platform

    def add_instance(self, service: str) -> ServiceProcess:
        """A second process of ``service``: a competing consumer on the same queues."""
        assert self.platform is not None
        name = f"{service}-2"
        first = self.platform[service].process
        assert first is not None  # the platform is up: every service has its process
        # The argument list it was started with (deploy/local.py starts each with one).
        process = ServiceProcess(name, self.platform.env, self.log_dir,
                                 command=cast(list[str], first.args))
        self.platform.processes[name] = process
        self.metrics_ports[name] = free_port()
        process.start(METRICS_PORT=str(self.metrics_ports[name]))
        self.platform.wait_ready(timeout=120)
        # Ready once it serves its metrics (its consumers are declared by then).
        wait_until(lambda: requests.get(
            f"http://127.0.0.1:{self.metrics_ports[name]}/metrics", timeout=2).ok,
            timeout=120, what=f"{name} metrics")
        return process

    def pids(self) -> dict[str, int]:
        assert self.platform is not None
        return {name: p.process.pid for name, p in self.platform.processes.items()
                if p.process is not None and p.alive()}

    def stop(self) -> None:
        if self.platform is not None:
            self.platform.stop()

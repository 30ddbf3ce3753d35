"""The gateway's own small district, set up once through the running platform, and a second
gateway instance when a test needs one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from deploy.local import ServiceProcess
from tests.support.platform import Platform, database_name, free_port, wait_until

from .world import World, build

GATEWAY_DB_URL = f"postgresql://{database_name('gateway')}@127.0.0.1:5432/{database_name('gateway')}"
# The second gateway waits this long for a service's answer before its 503.
SECOND_GATEWAY_ANSWER_SECONDS = "2"


@pytest.fixture(scope="session")
def world(platform: Platform) -> World:
    return build(platform)


@pytest.fixture
def another_gateway(platform: Platform, tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Starts more gateway processes on the same broker and gateway database, each with
    settings of its own; its URL once it answers. Stopped after the test."""
    started: list[ServiceProcess] = []

    def start(**settings: str) -> str:
        port = free_port()
        process = ServiceProcess("gateway", {
            **platform.env, "GATEWAY_ADDRESS": f"127.0.0.1:{port}",
            "GATEWAY_DATABASE_URL": GATEWAY_DB_URL, **settings}, tmp_path / str(port))
        started.append(process)
        process.start()
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: requests.get(f"{url}/healthz", timeout=2).status_code == 200,
                   timeout=60, what="another gateway")
        return url

    try:
        yield start
    finally:
        for process in started:
            process.stop()


@pytest.fixture
def second_gateway(another_gateway: Callable[..., str]) -> str:
    """A gateway that waits only briefly for a service's answer before its 503."""
    return another_gateway(GATEWAY_ANSWER_SECONDS=SECOND_GATEWAY_ANSWER_SECONDS)

"""The gateway's own small district, set up once through the running platform, and a second
gateway instance when a test needs one."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from deploy.local import ServiceProcess
from tests.support.platform import Platform, database_name, wait_until

from .world import World, build

GATEWAY_DB_URL = f"postgresql://{database_name('gateway')}@127.0.0.1:5432/{database_name('gateway')}"
# The second gateway waits this long for a service's answer before its 503.
SECOND_GATEWAY_ANSWER_SECONDS = "2"


@pytest.fixture(scope="session")
def world(platform: Platform) -> World:
    return build(platform)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def second_gateway(platform: Platform, tmp_path: Path) -> Iterator[str]:
    """Another gateway instance on the same broker and gateway database."""
    port = free_port()
    process = ServiceProcess("gateway", {
        **platform.env, "GATEWAY_ADDRESS": f"127.0.0.1:{port}",
        "GATEWAY_DATABASE_URL": GATEWAY_DB_URL,
        "GATEWAY_ANSWER_SECONDS": SECOND_GATEWAY_ANSWER_SECONDS}, tmp_path)
    process.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: requests.get(f"{url}/healthz", timeout=2).status_code == 200,
                   timeout=60, what="the second gateway")
        yield url
    finally:
        process.stop()

"""What the fuzz runs share: a district of their own (built through the gateway, its people
on the roster), a few more things of it to name in URLs, and a gateway process of their own
whose rate limit is out of the way, so the runs test the API and not the limiter (the
limiter has its test: tests/integration/gateway/test_rate_limit.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from coachops import clock
from coachops.identity import Role
from deploy.local import ServiceProcess
from tests.integration.gateway.world import World, build, goal
from tests.support.platform import Platform, database_url, free_port, wait_until

from .commands import Sender

UNLIMITED = {"GATEWAY_RATE_LIMIT": "1000000", "GATEWAY_RATE_BURST": "1000000"}


@pytest.fixture(scope="session")
def fuzz_world(platform: Platform) -> World:
    """The gateway's small district, with a calendar item and a next step on its cycle,
    and its coaching agreement signed by both, so check-ins may be recorded."""
    w = build(platform)
    for role in (Role.COACH, Role.PRINCIPAL):
        w.ok(w.call(role, "POST", f"/coaching-agreements/{w.ids['coaching_agreement']}/sign",
                    json={"version": 1}))
    cycle = w.ids["cycle"]
    starts = (clock.today() + timedelta(days=7)).isoformat() + "T09:30"
    w.ids["item"] = w.ok(w.call(Role.COACH, "POST", f"/cycles/{cycle}/calendar", json={
        "kind": "observation", "starts_at": starts, "minutes": 45}), 201)["item_id"]
    w.ids["step"] = w.ok(w.call(Role.COACH, "POST", f"/cycles/{cycle}/next-steps", json={
        "text": "Try think-pair-share", "owner_id": str(w.who(Role.TEACHER)),
        "due_on": goal()["by"]}), 201)["step_id"]
    return w


@pytest.fixture(scope="session")
def sender(fuzz_world: World, fuzz_url: str) -> Sender:
    return Sender(fuzz_world, fuzz_url)


@pytest.fixture(scope="session")
def fuzz_url(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A gateway of the fuzz runs' own, on the platform's broker and gateway database."""
    port = free_port()
    process = ServiceProcess("gateway", {
        **platform.env, "GATEWAY_ADDRESS": f"127.0.0.1:{port}",
        "GATEWAY_DATABASE_URL": database_url("gateway"), **UNLIMITED},
        Path(tmp_path_factory.mktemp("fuzz-gateway")))
    process.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: requests.get(f"{url}/healthz", timeout=2).status_code == 200,
                   timeout=60, what="the fuzz runs' gateway")
        yield url
    finally:
        process.stop()

"""A flood from one sign-in is answered 429 with Retry-After, on a gateway process of its
own started with a low limit; another person signed in at the same time goes on."""

from __future__ import annotations

import socket
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from deploy.local import ServiceProcess
from tests.support.auth import bearer
from tests.support.platform import Platform, wait_until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def limited(platform: Platform, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    gateway = ServiceProcess("gateway-limited", {
        **platform["gateway"].env, "GATEWAY_ADDRESS": f"127.0.0.1:{port}",
        "GATEWAY_RATE_LIMIT": "0.1", "GATEWAY_RATE_BURST": "5"}, tmp_path,
        command=list(platform["gateway"].process.args))  # type: ignore[union-attr]
    gateway.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: requests.get(f"{url}/healthz", timeout=2).ok, timeout=60,
                   what="the second gateway")
        yield url
    finally:
        gateway.stop()


def test_a_flood_from_one_token_is_slowed_with_429(limited: str) -> None:
    coach = uuid.uuid4()
    flooding = bearer(coach, "coach")
    answers: Counter[int] = Counter()
    retry_after: set[int] = set()
    for _ in range(20):
        response = requests.get(f"{limited}/coaches/{coach}/caseload", headers=flooding,
                                timeout=30)
        answers[response.status_code] += 1
        if response.status_code == 429:
            retry_after.add(int(response.headers["Retry-After"]))
            assert "too many requests" in response.json()["message"]
    # A burst of 5, then one request per 10 s: at most a few more in the time taken.
    assert answers[200] >= 5 and answers[429] >= 12, answers
    assert set(answers) == {200, 429}, answers
    assert all(1 <= seconds <= 10 for seconds in retry_after), retry_after
    other = uuid.uuid4()
    calm = requests.get(f"{limited}/coaches/{other}/caseload", headers=bearer(other, "coach"),
                        timeout=30)
    assert calm.status_code == 200, calm.text

"""JSON logs with the request's id, on the real platform started as compose starts it
(``LOG_FORMAT=json``): the gateway keeps a caller's ``X-Request-Id`` or makes one, answers
with it, and every service its request reached logs with it; each line is JSON and holds no
token. ``LOG_LEVEL=DEBUG`` so that nameko logs each worker it runs (``calling handler
for ...``): a service's line for a request that is answered without a word otherwise."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
import requests

from coachops.identity import Role
from deploy.local import SERVICES, Platform
from tests.support.auth import bearer
from tests.support.platform import NAMESPACE, free_port, started

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def json_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Platform, str]]:
    port = free_port()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LOG_FORMAT", "json")
        patch.setenv("LOG_LEVEL", "DEBUG")
        with started(tmp_path_factory.mktemp("json-logs"), f"{NAMESPACE}-json", port) as running:
            yield running, f"http://127.0.0.1:{port}"


def lines(platform: Platform, name: str) -> list[dict[str, object]]:
    """Every line of a process's log from its first logged record on, each parsed as JSON
    (a line that is not fails). Before it: Python's warnings at import (nameko's CLI on
    pkg_resources, eventlet's banner), written to stderr before logging is configured."""
    text = platform.processes[name].log()
    start = text.find('{"time"')
    assert start >= 0, f"{name} logged no JSON line: {text[-2000:]}"
    parsed = []
    for line in text[start:].splitlines():
        if line.strip():
            try:
                parsed.append(json.loads(line))
            except ValueError:
                pytest.fail(f"{name} logged a line that is not JSON: {line!r}")
    return parsed


def test_a_callers_request_id_is_in_the_gateways_and_every_services_lines(
        json_platform: tuple[Platform, str]) -> None:
    platform, url = json_platform
    request_id = f"district-{uuid.uuid4()}"
    token = bearer(uuid.uuid4(), Role.COACH)["Authorization"].split()[1]
    # /readyz asks every service (ping) over RPC; the token is in a header and the query.
    answer = requests.get(f"{url}/readyz", params={"access_token": token}, timeout=30,
                          headers={"X-Request-Id": request_id, "Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["X-Request-Id"] == request_id
    # A refusal at the gateway after asking agreements for the caller's roles.
    refused = requests.get(f"{url}/cycles/{uuid.uuid4()}", headers={
        "X-Request-Id": request_id, "Authorization": f"Bearer {token}"}, timeout=30)
    assert refused.status_code == 403, refused.text
    assert refused.headers["X-Request-Id"] == request_id

    gateway = [line for line in lines(platform, "gateway") if line.get("request_id") == request_id]
    assert any(str(line["message"]).startswith("refused: person") for line in gateway), gateway
    assert all(line["service"] == "gateway" for line in gateway)
    for name in SERVICES:
        mine = [line for line in lines(platform, name) if line.get("request_id") == request_id]
        assert any("calling handler" in str(line["message"]) for line in mine), name
        assert all(line["service"] == name and line["level"] and line["logger"] and line["time"]
                   for line in mine)
    for name in ("gateway", *SERVICES):
        assert token not in platform.processes[name].log(), name
        assert token.split(".")[2] not in platform.processes[name].log(), name


def test_without_an_id_or_with_an_unsafe_one_the_gateway_makes_one(
        json_platform: tuple[Platform, str]) -> None:
    _, url = json_platform
    made = requests.get(f"{url}/healthz", timeout=30).headers["X-Request-Id"]
    assert len(made) == 32 and int(made, 16) >= 0
    unsafe = requests.get(f"{url}/healthz", headers={"X-Request-Id": "a\"}{x" * 3},
                          timeout=30).headers["X-Request-Id"]
    assert unsafe != made and len(unsafe) == 32 and int(unsafe, 16) >= 0

"""A command's request id reaches the events it records, on the real platform logging JSON:
the gateway's worker passes it over RPC, the cycles service's worker records it beside the
events in the same transaction, the relay publishes it in their headers, and reporting's
worker that projects the event logs with it (``LOG_LEVEL=DEBUG``: nameko's ``calling
handler`` line for each worker). ``tests/integration/bus/test_relay.py`` checks the headers."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import psycopg2
import pytest
import requests

from tests.e2e.test_slice import start_cycle_body
from tests.support.auth import bearer
from tests.support.platform import NAMESPACE, Platform, database_url, free_port, started, wait_until
from tests.support.roster import school

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def json_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LOG_FORMAT", "json")
        patch.setenv("LOG_LEVEL", "DEBUG")
        with started(tmp_path_factory.mktemp("event-ids"), f"{NAMESPACE}-events",
                     free_port()) as running:
            yield running


def kept_with_events(namespace: str, request_id: str) -> int:
    """How many of the cycles store's events were recorded in the request ``request_id``."""
    found = 0
    with psycopg2.connect(database_url("cycles", namespace)) as connection, \
            connection.cursor() as cursor:
        cursor.execute("SELECT table_schema, table_name FROM information_schema.tables"
                       " WHERE table_name LIKE '%%_requests'")
        for schema, table in cursor.fetchall():
            cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}" WHERE request_id = %s',
                           (request_id,))
            found += cursor.fetchone()[0]
    connection.close()
    return found


def reporting_lines(platform: Platform, request_id: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in platform.processes["reporting"].log().splitlines()
             if line.startswith("{")]
    return [line for line in lines if line.get("request_id") == request_id]


def test_a_commands_request_id_is_kept_with_its_events_and_reaches_their_consumers(
        json_platform: Platform) -> None:
    platform = json_platform
    at = school(platform, coaches=1, teachers=1)
    proposed_id, accepted_id = f"propose-{uuid.uuid4()}", f"accept-{uuid.uuid4()}"
    body = start_cycle_body(platform, at)
    answer = requests.post(f"{platform.url}/cycles", json=body, timeout=10, headers={
        **bearer(str(body["coach_id"]), "coach"), "X-Request-Id": proposed_id})
    assert answer.status_code == 201, answer.text
    assert answer.headers["X-Request-Id"] == proposed_id
    assert kept_with_events(f"{NAMESPACE}-events", proposed_id) >= 1  # the proposal

    cycle_id, teacher = answer.json()["cycle_id"], str(body["teacher_ids"][0])
    accepted = requests.post(f"{platform.url}/cycles/{cycle_id}/accept", timeout=10, headers={
        **bearer(teacher, "teacher"), "X-Request-Id": accepted_id})
    assert accepted.status_code == 200, accepted.text
    assert kept_with_events(f"{NAMESPACE}-events", accepted_id) >= 1  # CycleStarted
    # Reporting projects CycleStarted in a worker of its own, started from the message.
    wait_until(lambda: any("calling handler" in str(line["message"])
                           for line in reporting_lines(platform, accepted_id)),
               timeout=30, what="reporting's lines for the accepting request")
    assert all(line["service"] == "reporting"
               for line in reporting_lines(platform, accepted_id))

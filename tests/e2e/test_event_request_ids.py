"""A command's request id reaches the events it records, on the real platform: the gateway's
worker passes it over RPC, the cycles service's worker records it beside the events in the
same transaction, and the relay publishes it in their headers
(``tests/integration/bus/test_relay.py`` checks the headers)."""

from __future__ import annotations

import uuid

import psycopg2
import pytest
import requests

from tests.e2e.test_slice import start_cycle_body
from tests.support.auth import bearer
from tests.support.platform import Platform, database_url
from tests.support.roster import school

pytestmark = pytest.mark.e2e


def test_a_commands_request_id_is_kept_with_the_events_it_recorded(platform: Platform) -> None:
    at = school(platform, coaches=1, teachers=1)
    request_id = f"e2e-{uuid.uuid4()}"
    body = start_cycle_body(platform, at)
    answer = requests.post(f"{platform.url}/cycles", json=body, timeout=10, headers={
        **bearer(str(body["coach_id"]), "coach"), "X-Request-Id": request_id})
    assert answer.status_code == 201, answer.text
    assert answer.headers["X-Request-Id"] == request_id
    with psycopg2.connect(database_url("cycles")) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT table_schema, table_name FROM information_schema.tables"
                       " WHERE table_name LIKE '%%_requests'")
        tables = cursor.fetchall()
        assert tables
        found = 0
        for schema, table in tables:
            cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}" WHERE request_id = %s',
                           (request_id,))
            found += cursor.fetchone()[0]
    connection.close()
    assert found >= 1  # the cycle's proposal, at least

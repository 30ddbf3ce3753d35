"""Talking to the running platform as district IT, a coach or a principal would."""

from __future__ import annotations

from typing import Any

import psycopg2
import requests

from services.agreements.roster import roster_id
from tests.support.auth import bearer
from tests.support.platform import Platform, database_name
from tests.support.roster import it_admin_headers


def import_roster(platform: Platform, files: dict[str, str], effective_on: str | None = None,
                  headers: dict[str, str] | None = None) -> requests.Response:
    body: dict[str, Any] = dict(files)
    if effective_on:
        body["effective_on"] = effective_on
    return requests.post(f"{platform.url}/roster/import", json=body, timeout=600,
                         headers=headers or it_admin_headers(platform))


def stored_events() -> int:
    """How many events the agreements store holds: read straight from its database."""
    name = database_name("agreements")
    connection = psycopg2.connect(f"postgresql://{name}@127.0.0.1:5432/{name}")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM agreements_events")
            (count,) = cursor.fetchone()
    finally:
        connection.close()
    return int(count)


def as_coach(sourced_id: str) -> dict[str, str]:
    return bearer(roster_id(sourced_id), "coach")


def as_principal(sourced_id: str) -> dict[str, str]:
    return bearer(roster_id(sourced_id), "principal")


def as_teacher(sourced_id: str) -> dict[str, str]:
    return bearer(roster_id(sourced_id), "teacher")


def call(platform: Platform, method: str, path: str, headers: dict[str, str],
         body: Any = None) -> requests.Response:
    return requests.request(method, f"{platform.url}{path}", json=body, headers=headers,
                            timeout=30)

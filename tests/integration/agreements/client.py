"""Talking to the running platform as district IT, a coach or a principal would."""

from __future__ import annotations

from typing import Any

import psycopg2
import requests

from deploy.roster_import import wait_for_import
from services.agreements.roster import roster_id
from tests.support.auth import bearer
from tests.support.platform import Platform, database_name
from tests.support.roster import it_admin_headers


def import_roster(platform: Platform, files: dict[str, str], effective_on: str | None = None,
                  headers: dict[str, str] | None = None,
                  dry_run: bool = False) -> requests.Response:
    """The POST alone: 202 and the import's id (200 and the changes for a dry run)."""
    body: dict[str, Any] = dict(files)
    if effective_on:
        body["effective_on"] = effective_on
    return requests.post(f"{platform.url}/roster/import", json=body, timeout=600,
                         params={"dry_run": "true"} if dry_run else None,
                         headers=headers or it_admin_headers(platform))


def imported(platform: Platform, files: dict[str, str],
             effective_on: str | None = None) -> dict[str, Any]:
    """The import run to its end: its record once done (``ImportFailed`` if it failed)."""
    return wait_for_import(platform.url, import_roster(platform, files, effective_on),
                           it_admin_headers(platform))


def imported_changes(platform: Platform, files: dict[str, str],
                     effective_on: str | None = None) -> dict[str, Any]:
    """What the import, run to its end, changed."""
    changes: dict[str, Any] = imported(platform, files, effective_on)["changes"]
    return changes


def stored_events() -> int:
    """How many events of the roster and the agreements the agreements store holds: read
    straight from its database."""
    name = database_name("agreements")
    connection = psycopg2.connect(f"postgresql://{name}@127.0.0.1:5432/{name}")
    try:
        with connection.cursor() as cursor:
            # The roster's and the agreements' events; not the imports' own records.
            cursor.execute("SELECT count(*) FROM agreements_events"
                           " WHERE topic NOT LIKE 'services.agreements.imports:%'")
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

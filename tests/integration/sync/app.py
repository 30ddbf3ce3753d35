"""A coach's app that worked offline: it queues commands, each with an id of its own, and
sends them to ``POST /sync`` when it is back online (again, after a time-out)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import psycopg2
import requests
from psycopg2 import sql

from tests.integration.cycles.client import Coach
from tests.support.platform import database_name


def item(command: str, body: dict[str, Any] | None = None, **ids: str) -> dict[str, Any]:
    return {"client_id": str(uuid.uuid4()), "command": command, "body": body or {}, **ids}


class OfflineApp:
    def __init__(self, coach: Coach) -> None:
        self.coach = coach

    def send(self, items: list[dict[str, Any]], status: int = 200) -> dict[str, Any]:
        response = requests.post(self.coach.url("/sync"), json={"items": items},
                                 headers=self.coach.headers, timeout=300)
        assert response.status_code == status, response.text
        return dict(response.json())

    def synced(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Each item's answer, in the order sent."""
        answers = list(self.send(items)["results"])
        assert [a["client_id"] for a in answers] == [i["client_id"] for i in items]
        return answers

    def entry(self, on: date, start: str, end: str, **changes: Any) -> dict[str, Any]:
        return {"coach_id": self.coach.id, "school_id": self.coach.school_id,
                "worked_on": on.isoformat(), "start": start, "end": end,
                "category_id": "co-planning", **changes}

    def day(self, on: date) -> dict[str, Any]:
        return self.coach.ok(self.coach.get(f"/coaches/{self.coach.id}/time/days/{on}"))

    def minutes_reported(self, on: date) -> int:
        """What reporting says of the coach's time that day (a coach reads their own)."""
        report = self.coach.ok(self.coach.get("/reports/time-use", coach_id=self.coach.id,
                                              from_date=on.isoformat(), to_date=on.isoformat()))
        rows = [r for r in report["rows"] if r["level"] == "coach"]
        return int(rows[0]["minutes"]) if rows else 0


def stored_events(service: str) -> int:
    """How many events the service's store holds: all it ever wrote but the audit of
    reads (reading a cycle records who read it)."""
    name = database_name(service)
    connection = psycopg2.connect(f"postgresql://{name}@127.0.0.1:5432/{name}")
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("SELECT count(*) FROM {} WHERE topic NOT LIKE %s").format(
                sql.Identifier(f"{service}_events")), ("%ReadLog%",))
            return int(cursor.fetchone()[0])
    finally:
        connection.close()

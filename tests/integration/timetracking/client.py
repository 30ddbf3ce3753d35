"""Talking to the running platform as a coach's app or a leader's browser would."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import requests

from coachops import clock
from tests.support.auth import bearer
from tests.support.bus import AMQP as AMQP  # the tests import it from here
from tests.support.platform import Platform
from tests.support.roster import school


def days_ago(n: int) -> date:
    """A district-local date in the past (the services run in the same zone)."""
    return clock.today() - timedelta(days=n)


class Coach:
    """One coach, with their own token; each test makes its own, so tests never share a day."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.school = school(platform, coaches=1)
        self.id = self.school.coaches[0]
        self.school_id = self.school.id
        self.headers = bearer(self.id, "coach")

    def url(self, path: str) -> str:
        return f"{self.platform.url}{path}"

    def entry(self, on: date, start: str | None = "09:00", end: str | None = "10:00",
              **changes: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"coach_id": self.id, "school_id": self.school_id,
                                "worked_on": on.isoformat(), "category_id": "co-planning"}
        if start is not None:
            body["start"] = start
        if end is not None:
            body["end"] = end
        return {**body, **changes}

    def record(self, body: dict[str, Any]) -> requests.Response:
        return requests.post(self.url("/time-entries"), json=body, headers=self.headers,
                             timeout=10)

    def recorded(self, body: dict[str, Any]) -> str:
        response = self.record(body)
        assert response.status_code == 201, response.text
        return str(response.json()["entry_id"])

    def correct(self, entry_id: str, body: dict[str, Any]) -> requests.Response:
        return requests.post(self.url(f"/time-entries/{entry_id}/corrections"), json=body,
                             headers=self.headers, timeout=10)

    def void(self, entry_id: str, reason: str) -> requests.Response:
        return requests.post(self.url(f"/time-entries/{entry_id}/void"),
                             json={"reason": reason}, headers=self.headers, timeout=10)

    def import_csv(self, text: str, school_id: str | None = None) -> requests.Response:
        params = {"school_id": school_id or self.school_id}
        return requests.post(self.url(f"/coaches/{self.id}/time-entries/import"), params=params,
                             data=text.encode(), timeout=30,
                             headers={**self.headers, "Content-Type": "text/csv"})

    def day(self, on: date) -> dict[str, Any]:
        response = requests.get(self.url(f"/coaches/{self.id}/time/days/{on.isoformat()}"),
                                headers=self.headers, timeout=10)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def week(self, on: date) -> dict[str, Any]:
        response = requests.get(self.url(f"/coaches/{self.id}/time/weeks/{on.isoformat()}"),
                                headers=self.headers, timeout=10)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def category_label(self, category_id: str) -> str:
        """The category's label as the district's list has it today."""
        response = requests.get(self.url("/time-categories"), headers=self.headers, timeout=10)
        assert response.status_code == 200, response.text
        [label] = [c["label"] for c in response.json()["categories"]
                   if c["category_id"] == category_id]
        return str(label)

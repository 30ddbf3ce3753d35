"""Talking to the running platform as a coach's and a teacher's apps would."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import requests

from coachops import clock
from tests.support.auth import bearer
from tests.support.bus import AMQP as AMQP  # the tests import it from here
from tests.support.platform import Platform
from tests.support.roster import person, school


def today() -> date:
    """The district's today (the services run in the same zone)."""
    return clock.today()


def local(moment: datetime) -> str:
    """An instant as the app sends it: district-local, without a zone."""
    return moment.astimezone(clock.district_zone()).replace(tzinfo=None).isoformat(
        timespec="minutes")


class Person:
    def __init__(self, platform: Platform, role: str, person_id: str | None = None) -> None:
        self.platform = platform
        self.id = person_id or person(platform, role)  # on the roster, or refused
        self.role = role
        self.headers = bearer(self.id, role)

    def url(self, path: str) -> str:
        return f"{self.platform.url}{path}"

    def post(self, path: str, body: Any = None) -> requests.Response:
        return requests.post(self.url(path), json=body, headers=self.headers, timeout=20)

    def put(self, path: str, body: Any = None) -> requests.Response:
        return requests.put(self.url(path), json=body, headers=self.headers, timeout=20)

    def get(self, path: str, **params: str) -> requests.Response:
        return requests.get(self.url(path), params=params, headers=self.headers, timeout=20)

    def ok(self, response: requests.Response, status: int = 200) -> dict[str, Any]:
        assert response.status_code == status, response.text
        return dict(response.json())

    def cycle(self, cycle_id: str) -> dict[str, Any]:
        return self.ok(self.get(f"/cycles/{cycle_id}"))

    def timeline(self, cycle_id: str) -> list[dict[str, Any]]:
        return list(self.ok(self.get(f"/cycles/{cycle_id}/timeline"))["timeline"])


class Teacher(Person):
    def __init__(self, platform: Platform, person_id: str | None = None) -> None:
        super().__init__(platform, "teacher", person_id)

    def accept(self, cycle_id: str) -> requests.Response:
        return self.post(f"/cycles/{cycle_id}/accept")

    def decline(self, cycle_id: str) -> requests.Response:
        return self.post(f"/cycles/{cycle_id}/decline")


class Coach(Person):
    """One coach, with a school and a teacher of their own, on the roster; each test makes
    its own."""

    def __init__(self, platform: Platform) -> None:
        self.school = school(platform, coaches=1, teachers=1)
        super().__init__(platform, "coach", self.school.coaches[0])
        self.school_id = self.school.id
        self.teacher = Teacher(platform, self.school.teachers[0])

    def proposal(self, **changes: Any) -> dict[str, Any]:
        return {
            "coach_id": self.id, "teacher_ids": [self.teacher.id], "school_id": self.school_id,
            "focus_area_ids": ["danielson-2b"],
            "goal": {"what": "More students explain their reasoning aloud",
                     "measure": "tally of explanations per lesson",
                     "by": (today() + timedelta(days=42)).isoformat()},
            **changes,
        }

    def propose(self, **changes: Any) -> str:
        return str(self.ok(self.post("/cycles", self.proposal(**changes)), 201)["cycle_id"])

    def active_cycle(self) -> str:
        """Proposed by the coach and accepted by the teacher."""
        cycle_id = self.propose()
        assert self.ok(self.teacher.accept(cycle_id))["status"] == "active"
        return cycle_id

    def observation(self, **changes: Any) -> dict[str, Any]:
        return {"observed_on": today().isoformat(), "minutes": 45, "tool": "response_tally",
                "data": [{"look_for": "student explains", "count": 7}],
                "notes": "strong launch", **changes}

    def debrief(self, **changes: Any) -> dict[str, Any]:
        return {"held_on": today().isoformat(), "minutes": 30,
                "evidence": "7 explanations, up from 3", "keepers": ["wait time"],
                "polishers": ["cold calling"], "progress": {"rating": 3, "text": "halfway"},
                **changes}

    def step(self, **changes: Any) -> dict[str, Any]:
        return {"text": "try think-pair-share", "owner_id": self.teacher.id,
                "due_on": (today() + timedelta(days=2)).isoformat(), **changes}

"""A small district of its own for the gateway's tests, set up through the gateway: two
schools in one region, a principal, a coach and a teacher at each (the first principal is
also the region's CLT representative), a district leader and district IT; a cycle, a
coaching agreement, a partnership agreement, a time entry and a time category.

Its people have sourced ids of their own (``gw-<tag>-...``), so they never collide with
another test's district.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import requests

from coachops import clock
from coachops.identity import Role
from services.agreements.roster import roster_id
from tests.support.auth import bearer
from tests.support.district import District
from tests.support.platform import Platform, wait_until
from tests.support.roster import ADMIN, import_files, wait_known

START = date(2026, 8, 1)


def small_district(tag: str) -> District:
    d = District()
    region = f"gw-{tag}-clt"
    d.regions[region] = f"Gateway CLT {tag}"
    for n in (1, 2):
        school = f"gw-{tag}-school-{n}"
        d.schools[school] = f"Gateway School {n}"
        d.region_of[school] = region
        principal, coach, teacher = (f"gw-{tag}-{kind}-{n}"
                                     for kind in ("principal", "coach", "teacher"))
        d._person(principal, "administrator", n, [school])
        d.principals[school] = principal
        d._person(coach, "teacher", n + 7, [school])
        d.coaching[coach] = [school]
        d._person(teacher, "teacher", n + 3, [school])
        d.teachers.append(teacher)
    d.representatives[region] = f"gw-{tag}-principal-1"
    d.add_leader(f"gw-{tag}-leader-1")
    return d


@dataclass
class World:
    platform: Platform
    district: District
    tag: str
    it_admin: uuid.UUID = field(default_factory=lambda: roster_id(ADMIN))  # IT's first
    ids: dict[str, str] = field(default_factory=dict)  # cycle, agreements, entry, category

    def person(self, kind: str, n: int = 1) -> uuid.UUID:
        return roster_id(f"gw-{self.tag}-{kind}-{n}")

    def school(self, n: int = 1) -> uuid.UUID:
        return roster_id(f"gw-{self.tag}-school-{n}")

    def who(self, role: Role, n: int = 1) -> uuid.UUID:
        """The person acting in ``role`` (the first school's people unless ``n`` says)."""
        return {Role.COACH: self.person("coach", n), Role.TEACHER: self.person("teacher", n),
                Role.PRINCIPAL: self.person("principal", n),
                Role.CLT_REP: self.person("principal", 1),
                Role.DISTRICT_LEADER: self.person("leader", 1),
                Role.IT_ADMIN: self.it_admin}[role]

    def headers(self, role: Role, n: int = 1) -> dict[str, str]:
        return bearer(self.who(role, n), role)

    def call(self, role: Role | None, method: str, path: str, n: int = 1,
             **kwargs: Any) -> requests.Response:
        headers = {} if role is None else self.headers(role, n)
        return requests.request(method, f"{self.platform.url}{path}", timeout=30,
                                headers={**headers, **kwargs.pop("headers", {})}, **kwargs)

    def ok(self, response: requests.Response, status: int = 200) -> Any:
        assert response.status_code == status, (response.status_code, response.text)
        return response.json()


def goal() -> dict[str, str]:
    return {"what": "More students explain their reasoning aloud",
            "measure": "tally of student explanations per lesson",
            "by": (clock.today() + timedelta(days=42)).isoformat()}


def cycle_body(w: World) -> dict[str, Any]:
    return {"coach_id": str(w.who(Role.COACH)), "teacher_ids": [str(w.who(Role.TEACHER))],
            "school_id": str(w.school()), "focus_area_ids": ["danielson-2b"], "goal": goal()}


def agreement_terms() -> dict[str, Any]:
    return {"focus_areas": [{"id": "danielson-2b", "label": "A culture for learning"}],
            "coach_role": "Co-plan and model; run coaching cycles with volunteers",
            "not_coach_role": "Evaluating teachers; covering classes"}


def partnership_body(w: World) -> dict[str, Any]:
    return {"teacher_id": str(w.who(Role.TEACHER)), "entering_the_room": "quietly, at the back",
            "interacts_with_students": True, "what_to_observe": "student talk"}


def entry_body(w: World, start: str) -> dict[str, Any]:
    hour = int(start[:2])
    return {"coach_id": str(w.who(Role.COACH)), "school_id": str(w.school()),
            "worked_on": clock.today().isoformat(), "start": start,
            "end": f"{hour:02d}:30", "category_id": "co-planning"}


def build(platform: Platform, tag: str | None = None,
          district: District | None = None) -> World:
    """The world, through the gateway; ``district`` is ``small_district(tag)`` by default."""
    tag = tag or uuid.uuid4().hex[:8]
    w = World(platform, district or small_district(tag), tag)
    import_files(platform, {**w.district.files(), "effective_on": START.isoformat()})
    for n in (1, 2):
        for kind in ("coach", "teacher"):
            wait_known(platform, str(w.school(n)), [str(w.person(kind, n))], kind,
                       clock.today())

    # Every service learns the roster from its events: wait until each knows these people.
    def ready() -> bool:
        return all(w.call(role, "GET", "/reports/time-use").status_code == 200
                   for role in (Role.PRINCIPAL, Role.CLT_REP)) and \
            w.call(Role.CLT_REP, "GET", "/reports/council").status_code == 200 and \
            w.call(Role.COACH, "POST", "/time-entries",
                   json=entry_body(w, "06:00")).status_code == 201

    wait_until(ready, timeout=60, interval=0.5, what="the roster to reach every service")

    cycle = w.ok(w.call(Role.COACH, "POST", "/cycles", json=cycle_body(w)), 201)["cycle_id"]
    w.ok(w.call(Role.TEACHER, "POST", f"/cycles/{cycle}/accept"))
    w.ids["cycle"] = cycle
    w.ids["coaching_agreement"] = w.ok(w.call(
        Role.COACH, "POST", "/coaching-agreements",
        json={"school_id": str(w.school()), "school_year": clock.today().year,
              **agreement_terms()}), 201)["agreement_id"]
    w.ids["partnership_agreement"] = w.ok(w.call(
        Role.COACH, "POST", "/partnership-agreements", json=partnership_body(w)),
        201)["agreement_id"]
    w.ids["entry"] = w.ok(w.call(Role.COACH, "POST", "/time-entries",
                                 json=entry_body(w, "07:00")), 201)["entry_id"]
    w.ids["category"] = w.ok(w.call(
        Role.DISTRICT_LEADER, "POST", "/time-categories",
        json={"label": f"Gateway duty {tag}", "kind": "other"}), 201)["category_id"]
    return w

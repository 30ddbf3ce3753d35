"""A command of every write route that takes a body, as its role would send it in the fuzz
runs' district, made afresh for each example: what it acts on (a cycle to close, an item
to mark done, an entry to void) is set up first, so the command alone is what is tried.
Each is accepted as it is (``test_every_baseline_is_accepted``): a refusal in the property
test is then the hostile value's doing."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from coachops import clock
from coachops.identity import Role
from gateway import policy
from tests.integration.gateway.world import (
    START,
    World,
    agreement_terms,
    cycle_body,
    goal,
    partnership_body,
)
from tests.support.platform import wait_until

COACH, TEACHER, PRINCIPAL = Role.COACH, Role.TEACHER, Role.PRINCIPAL
LEADER, IT_ADMIN = Role.DISTRICT_LEADER, Role.IT_ADMIN
_serial = itertools.count(1)


@dataclass(frozen=True)
class Call:
    role: Role
    path: str
    body: dict[str, Any]


@dataclass(frozen=True)
class Sender:
    """Requests to one gateway as the district's people; ``ok`` for the setting up."""

    world: World
    url: str

    def send(self, role: Role, method: str, path: str, data: str) -> requests.Response:
        return requests.request(method, f"{self.url}{path}", data=data.encode(), timeout=60,
                                headers={**self.world.headers(role),
                                         "Content-Type": "application/json"})

    def ok(self, role: Role, method: str, path: str, body: Any = None) -> Any:
        response = requests.request(method, f"{self.url}{path}", json=body, timeout=60,
                                    headers=self.world.headers(role))
        assert response.status_code in (200, 201, 202), (method, path, response.text)
        return response.json()


def _today() -> str:
    return clock.today().isoformat()


def started_cycle(s: Sender) -> str:
    """A cycle of its own, started."""
    cycle = s.ok(COACH, "POST", "/cycles", cycle_body(s.world))["cycle_id"]
    s.ok(TEACHER, "POST", f"/cycles/{cycle}/accept")
    return str(cycle)


def scheduled_item(s: Sender, starts_at: datetime, cycle: str | None = None) -> str:
    return str(s.ok(COACH, "POST", f"/cycles/{cycle or s.world.ids['cycle']}/calendar", {
        "kind": "observation", "starts_at": starts_at.isoformat(), "minutes": 30})["item_id"])


def next_step(s: Sender, cycle: str) -> str:
    return str(s.ok(COACH, "POST", f"/cycles/{cycle}/next-steps", {
        "text": "Try think-pair-share", "owner_id": str(s.world.who(TEACHER)),
        "due_on": goal()["by"]})["step_id"])


def soon(n: int) -> datetime:
    """A different future time each call, so a reschedule always moves the item."""
    return datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=7, minutes=n)


def _entry(s: Sender) -> str:
    return str(s.ok(COACH, "POST", "/time-entries", _entry_body(s.world))["entry_id"])


def _entry_body(w: World) -> dict[str, Any]:
    return {"coach_id": str(w.who(COACH)), "school_id": str(w.school()), "worked_on": _today(),
            "minutes": 1, "category_id": "co-planning", "cycle_id": w.ids["cycle"],
            "focus_area_id": "danielson-2b", "note": "planned the fractions unit"}


def _suggestion(s: Sender) -> Call:
    """A calendar item done a few minutes ago is suggested as an entry of today."""
    item = scheduled_item(s, datetime.now(UTC) - timedelta(minutes=5))
    s.ok(COACH, "POST", f"/cycles/{s.world.ids['cycle']}/calendar/{item}/done")
    coach = s.world.who(COACH)
    # Time tracking learns of the done item from the cycles' event.
    wait_until(lambda: item in json.dumps(s.ok(COACH, "GET", f"/coaches/{coach}/time/days/"
                                                            f"{_today()}")),
               timeout=30, what="the suggestion")
    return Call(COACH, f"/coaches/{coach}/time/days/{_today()}/suggestions/{item}/confirm",
                {"category_id": "co-planning", "note": "observed Ms B"})


def _check_in(s: Sender) -> Call:
    return Call(COACH, f"/coaching-agreements/{s.world.ids['coaching_agreement']}/check-ins",
                {"held_on": _today(), "notes": "on track", "attended_by": ["coach", "principal"],
                 "focus_areas": agreement_terms()["focus_areas"]})


def _sign(s: Sender) -> Call:
    agreement = s.world.ids["coaching_agreement"]
    revised = s.ok(COACH, "POST", f"/coaching-agreements/{agreement}/revisions",
                   {**agreement_terms(), "coach_role": f"Co-plan, version {next(_serial)}"})
    return Call(COACH, f"/coaching-agreements/{agreement}/sign",
                {"version": revised["latest_version"]})


def _draft(s: Sender) -> Call:
    # One agreement per school and year: each example its own year (not the world's).
    year = 2000 + next(_serial) % 100
    if year == clock.today().year:
        year = 2000 + next(_serial) % 100
    return Call(COACH, "/coaching-agreements",
                {"school_id": str(s.world.school()), "school_year": year, **agreement_terms()})


Baseline = Callable[[Sender], Call]

BASELINES: dict[policy.Route, Baseline] = {
    ("POST", "/cycles"): lambda s: Call(COACH, "/cycles", cycle_body(s.world)),
    ("PUT", "/cycles/<cycle_id>/norms"): lambda s: Call(
        COACH, f"/cycles/{s.world.ids['cycle']}/norms",
        {"norms": [f"debrief within a day ({next(_serial)})"], "agreed_on": _today()}),
    ("POST", "/cycles/<cycle_id>/calendar"): lambda s: Call(
        COACH, f"/cycles/{s.world.ids['cycle']}/calendar",
        {"kind": "observation", "starts_at": soon(next(_serial)).isoformat(), "minutes": 45}),
    ("POST", "/cycles/<cycle_id>/calendar/<item_id>/reschedule"): lambda s: Call(
        COACH, f"/cycles/{s.world.ids['cycle']}/calendar/{scheduled_item(s, soon(0))}/reschedule",
        {"starts_at": soon(next(_serial)).isoformat(), "minutes": 40}),
    ("POST", "/cycles/<cycle_id>/calendar/<item_id>/done"): lambda s: Call(
        COACH, f"/cycles/{s.world.ids['cycle']}/calendar/"
               f"{scheduled_item(s, datetime.now(UTC) - timedelta(days=1))}/done", {"minutes": 40}),
    ("POST", "/cycles/<cycle_id>/observations"): lambda s: Call(
        COACH, f"/cycles/{s.world.ids['cycle']}/observations",
        {"observed_on": _today(), "minutes": 30, "tool": "response_tally",
         "data": [{"look_for": "students explain", "count": 3, "seconds": 60}],
         "notes": "Students explained their reasoning"}),
    ("POST", "/cycles/<cycle_id>/debriefs"): lambda s: Call(
        COACH, f"/cycles/{s.world.ids['cycle']}/debriefs",
        {"held_on": _today(), "minutes": 20, "evidence": "the tally rose",
         "keepers": ["wait time"], "polishers": ["follow-up questions"],
         "progress": {"rating": 3, "text": "on the way"}}),
    ("POST", "/cycles/<cycle_id>/next-steps"): lambda s: Call(
        COACH, f"/cycles/{s.world.ids['cycle']}/next-steps",
        {"text": "Try think-pair-share", "owner_id": str(s.world.who(TEACHER)),
         "due_on": goal()["by"]}),
    ("POST", "/cycles/<cycle_id>/goal"): lambda s: Call(
        COACH, f"/cycles/{s.world.ids['cycle']}/goal",
        {"goal": {**goal(), "what": f"More students explain ({next(_serial)})"},
         "focus_area_ids": ["danielson-2b", "danielson-3b"]}),
    ("POST", "/cycles/<cycle_id>/close"): lambda s: Call(
        COACH, f"/cycles/{started_cycle(s)}/close",
        {"outcome": "met", "evidence": "tally doubled"}),
    ("POST", "/time-entries"): lambda s: Call(COACH, "/time-entries", _entry_body(s.world)),
    ("POST", "/time-entries/<entry_id>/corrections"): lambda s: Call(
        COACH, f"/time-entries/{_entry(s)}/corrections",
        {"reason": "wrong note", "note": "planned the decimals unit"}),
    ("POST", "/time-entries/<entry_id>/void"): lambda s: Call(
        COACH, f"/time-entries/{_entry(s)}/void", {"reason": "recorded twice"}),
    ("POST", "/coaches/<coach_id>/time-entries/import"): lambda s: Call(
        COACH, f"/coaches/{s.world.who(COACH)}/time-entries/import",
        {"school_id": str(s.world.school()),
         "csv": f"date,minutes,category\n{_today()},1,co-planning\n"}),
    ("POST", "/coaches/<coach_id>/time/days/<day>/suggestions/<item_id>/confirm"): _suggestion,
    ("POST", "/time-categories"): lambda s: Call(
        LEADER, "/time-categories", {"label": f"Duty {uuid.uuid4().hex[:12]}", "kind": "other"}),
    ("POST", "/time-categories/<category_id>/rename"): lambda s: Call(
        LEADER, f"/time-categories/{s.world.ids['category']}/rename",
        {"label": f"Duty {uuid.uuid4().hex[:12]}"}),
    ("POST", "/coaching-agreements"): _draft,
    ("POST", "/coaching-agreements/<agreement_id>/revisions"): lambda s: Call(
        COACH, f"/coaching-agreements/{s.world.ids['coaching_agreement']}/revisions",
        {**agreement_terms(), "coach_role": f"Co-plan and model ({next(_serial)})"}),
    ("POST", "/coaching-agreements/<agreement_id>/sign"): _sign,
    ("POST", "/coaching-agreements/<agreement_id>/check-ins"): _check_in,
    ("POST", "/partnership-agreements"): lambda s: Call(
        COACH, "/partnership-agreements",
        {**partnership_body(s.world), "agreement_id": str(uuid.uuid4())}),  # the app's own
    ("POST", "/integration-tokens"): lambda s: Call(
        IT_ADMIN, "/integration-tokens",
        {"person": f"gw-{s.world.tag}-coach-1", "scopes": ["sync"],
         "label": f"Planning app ({next(_serial)})", "days": 1}),
    # Last: an accepted hostile date would move everyone's assignments.
    ("POST", "/roster/import"): lambda s: Call(
        IT_ADMIN, "/roster/import",
        {**s.world.district.files(), "effective_on": START.isoformat()}),
}

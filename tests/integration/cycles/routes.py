"""Every cycle route of the gateway, with a valid body for a cycle ``worked()`` made."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from coachops import clock

from .client import Coach, local, today


@dataclass
class Worked:
    """An active cycle with something of everything in it."""

    coach: Coach
    cycle_id: str
    item_id: str  # an observation on the calendar tomorrow
    past_item_id: str  # a walkthrough that began an hour ago
    observation_id: str
    step_id: str  # the coach's own step


def worked(coach: Coach) -> Worked:
    cycle_id = coach.active_cycle()
    item = coach.ok(coach.post(f"/cycles/{cycle_id}/calendar", {
        "kind": "observation", "starts_at": local(clock.now() + timedelta(days=1)),
        "minutes": 45}), 201)["item_id"]
    past = coach.ok(coach.post(f"/cycles/{cycle_id}/calendar", {
        "kind": "walkthrough", "starts_at": local(clock.now() - timedelta(hours=1)),
        "minutes": 15}), 201)["item_id"]
    observation = coach.ok(coach.post(f"/cycles/{cycle_id}/observations",
                                      coach.observation()), 201)["observation_id"]
    step = coach.ok(coach.post(f"/cycles/{cycle_id}/next-steps",
                               coach.step(owner_id=coach.id)), 201)["step_id"]
    return Worked(coach, cycle_id, item, past, observation, step)


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: str  # with {cycle_id}, {item_id}, {step_id}
    body: Callable[[Worked], Any]
    status: int = 200

    def url(self, w: Worked, **ids: str) -> str:
        values = {"cycle_id": w.cycle_id, "item_id": w.item_id, "step_id": w.step_id, **ids}
        if self.name == "mark_item_done" and "item_id" not in ids:
            values["item_id"] = w.past_item_id
        return self.path.format(**values)

    def send(self, w: Worked, as_: Any = None, body: Any = ..., **ids: str) -> Any:
        who = as_ or w.coach
        sent = self.body(w) if body is ... else body
        call = who.put if self.method == "PUT" else who.post
        return call(self.url(w, **ids), sent)


COMMANDS = [
    Route("agree_norms", "PUT", "/cycles/{cycle_id}/norms",
          lambda w: {"norms": ["debrief within 24 hours"]}),
    Route("schedule_item", "POST", "/cycles/{cycle_id}/calendar",
          lambda w: {"kind": "co_teach", "minutes": 50,
                     "starts_at": local(clock.now() + timedelta(days=2))}, 201),
    Route("reschedule_item", "POST", "/cycles/{cycle_id}/calendar/{item_id}/reschedule",
          lambda w: {"starts_at": local(clock.now() + timedelta(days=3))}),
    Route("cancel_item", "POST", "/cycles/{cycle_id}/calendar/{item_id}/cancel", lambda w: None),
    Route("mark_item_done", "POST", "/cycles/{cycle_id}/calendar/{item_id}/done",
          lambda w: None),
    Route("log_observation", "POST", "/cycles/{cycle_id}/observations",
          lambda w: w.coach.observation(), 201),
    Route("hold_debrief", "POST", "/cycles/{cycle_id}/debriefs",
          lambda w: w.coach.debrief(observation_ids=[w.observation_id]), 201),
    Route("add_next_step", "POST", "/cycles/{cycle_id}/next-steps",
          lambda w: w.coach.step(), 201),
    Route("complete_next_step", "POST", "/cycles/{cycle_id}/next-steps/{step_id}/complete",
          lambda w: None),
    Route("drop_next_step", "POST", "/cycles/{cycle_id}/next-steps/{step_id}/drop",
          lambda w: None),
    Route("move_phase_back", "POST", "/cycles/{cycle_id}/phase/back", lambda w: None),
    Route("revise_goal", "POST", "/cycles/{cycle_id}/goal",
          lambda w: {"goal": {"what": "Every student explains once", "measure": "tally",
                              "by": (today() + timedelta(days=20)).isoformat()}}),
    Route("close_cycle", "POST", "/cycles/{cycle_id}/close",
          lambda w: {"outcome": "met", "evidence": "tallies doubled"}),
]
ANSWERS = [
    Route("accept_cycle", "POST", "/cycles/{cycle_id}/accept", lambda w: None),
    Route("decline_cycle", "POST", "/cycles/{cycle_id}/decline", lambda w: None),
]
REOPEN = Route("reopen_cycle", "POST", "/cycles/{cycle_id}/reopen", lambda w: None)
QUERIES = ["/cycles/{cycle_id}", "/cycles/{cycle_id}/timeline"]
ALL = [*COMMANDS, *ANSWERS, REOPEN]


def ids(routes: list[Route]) -> list[str]:
    return [r.name for r in routes]


def parametrize(routes: list[Route]) -> dict[str, Any]:
    return {"argnames": "route", "argvalues": routes, "ids": ids(routes)}

"""Coaching is confidential: every integration event the cycles service can publish is
inspected here, and the test fails if one carries a note, observation data, goal text,
debrief content or a name.

Two ways, because each alone can be fooled:
- by shape: every field of every cycles contract is an id, a date or instant, a count, a
  duration or a category from a fixed list; free text has nowhere to go;
- by content: a whole cycle is worked through the real service layer with a marker in
  every piece of content, every stored event is translated and encoded as the relay does
  it, and the marker appears in none of them. Every cycles contract must be produced by
  that walk, so a new event cannot slip past untested.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

from marshmallow import Schema, fields, validate

from coachops.contracts import Envelope, registered
from coachops.contracts import cycles as cycle_contracts
from coachops.identity import Actor, Role
from services.cycles.app import Cycles
from services.cycles.domain import Goal
from services.cycles.integration import PUBLISHED, to_integration
from tests.support.relayed import relayed
from tests.unit.cycles.helpers import (
    AS_COACH,
    AS_SECOND_TEACHER,
    AS_TEACHER,
    COACH,
    NOW,
    SCHOOL,
    SECOND_TEACHER,
    TEACHER,
    TODAY,
)

SECRET = "SECRET-b7f1"  # in every piece of content; must never reach the bus

# Field names that say content, whatever their type.
CONTENT = re.compile(r"note|text|goal|what|measure|evidence|data|look_for|keeper(?!_count)|"
                     r"polisher(?!_count)|norms$|rating|progress|name|email|comment|"
                     r"reflection|description|reason")


def cycles_contracts() -> dict[tuple[str, int], type[Schema]]:
    return {key: schema for key, schema in registered().items()
            if schema.__module__ == cycle_contracts.__name__}


def is_safe(name: str, field: fields.Field) -> bool:
    """An id, a date or instant, a count, a duration, or one of a fixed list of values."""
    validators = field.validators
    if isinstance(field, fields.List):
        return name.endswith("_ids") and is_safe(name[:-1], field.inner)
    if isinstance(field, fields.UUID):
        return name.endswith("_id")
    if isinstance(field, fields.Str):
        # A string is an id the district chose (focus areas), or a value from a closed list.
        fixed = any(isinstance(v, validate.OneOf | validate.Regexp) for v in validators)
        return fixed or name.endswith("_id")
    if isinstance(field, fields.Int):
        return name.endswith(("_count", "_minutes"))
    if isinstance(field, fields.Date):
        return name.endswith("_on")
    if isinstance(field, fields.DateTime):
        return name.endswith("_at")
    return False


def test_every_cycles_contract_is_ids_dates_counts_durations_and_categories() -> None:
    contracts = cycles_contracts()
    assert len(contracts) == len({(n, v) for n, v, _ in PUBLISHED.values()}) == 18
    offenders = sorted(
        f"{name} v{version}.{field_name}"
        for (name, version), schema in contracts.items()
        for field_name, field in schema().fields.items()
        if CONTENT.search(field_name) or not is_safe(field_name, field)
    )
    assert offenders == []


def test_the_shape_check_catches_content() -> None:
    """The check above fails on the kinds of field it exists to keep out."""
    assert not is_safe("notes", fields.Str())
    assert not is_safe("tool", fields.Str(validate=validate.Length(max=100)))
    assert not is_safe("teacher_name", fields.Str())
    assert not is_safe("data", fields.Dict())
    assert not is_safe("look_fors", fields.List(fields.Str()))
    assert not is_safe("progress_rating", fields.Int())
    assert CONTENT.search("goal_what") and CONTENT.search("keepers")
    assert not CONTENT.search("keeper_count")


def secret(what: str) -> str:
    return f"{what} {SECRET}"


def work_a_whole_cycle(app: Cycles) -> None:
    """Every command, with a marker in every piece of content."""
    goal = Goal(secret("students explain"), secret("tally"), TODAY + timedelta(days=40))
    later = NOW + timedelta(days=1)
    # A group proposal: one teacher declines, the other accepts, and it starts.
    group = app.start_cycle(AS_COACH, COACH, [TEACHER, SECOND_TEACHER], SCHOOL,
                            ["danielson-2b"], goal, TODAY).result.id
    app.accept(AS_TEACHER, group, TODAY)
    app.decline(AS_SECOND_TEACHER, group, TODAY)
    # A proposal declined outright.
    declined = app.start_cycle(AS_COACH, COACH, [SECOND_TEACHER], SCHOOL, ["2a"], goal,
                               TODAY).result.id
    app.decline(AS_SECOND_TEACHER, declined, TODAY)

    app.agree_norms(AS_COACH, group, [secret("debrief within 24 hours")], None, TODAY, TODAY)
    _, moved = app.schedule(AS_COACH, group, "co_teach", later, 50).result
    app.reschedule(AS_COACH, group, moved, later + timedelta(hours=2), 55)
    app.cancel(AS_COACH, group, moved, TODAY)
    _, walk = app.schedule(AS_COACH, group, "walkthrough", NOW - timedelta(hours=3), 15).result
    app.mark_done(AS_COACH, group, walk, None, NOW, TODAY)
    _, observation = app.log_observation(
        AS_COACH, group, now=NOW, today=TODAY, observed_on=TODAY, minutes=45,
        tool="district:wait-time", data=[{"look_for": secret("wait time"), "count": 4,
                                          "seconds": 30}],
        notes=secret("Ms. Alvarez's class was restless"), calendar_item_id=None).result
    app.hold_debrief(
        AS_COACH, group, now=NOW, today=TODAY, held_on=TODAY, minutes=30,
        evidence=secret("4 waits"), observation_ids=[observation],
        keepers=[secret("warm call")], polishers=[secret("pacing")], progress_rating=2,
        progress_text=secret("early days"), calendar_item_id=None)
    _, step = app.add_next_step(AS_COACH, group, secret("film a lesson"), TEACHER, TODAY,
                                TODAY).result
    _, dropped = app.add_next_step(AS_COACH, group, secret("visit"), COACH, TODAY, TODAY).result
    app.complete_step(AS_TEACHER, group, step, TODAY)
    app.drop_step(AS_COACH, group, dropped, TODAY)
    app.move_back(AS_COACH, group, TODAY)
    app.revise_goal(AS_COACH, group, Goal(secret("revised"), secret("m"), TODAY), None,
                    TODAY)
    app.close_cycle(AS_COACH, group, "partly_met", secret("tallies rose"), TODAY)
    app.reopen_cycle(AS_COACH, group, TODAY)
    app.withdraw_from_reporting(AS_TEACHER, group, TODAY)


def published(app: Cycles) -> list[tuple[Envelope, str]]:
    """The relay's path: notification -> domain event -> translator -> envelope -> JSON."""
    return [(envelope, json.dumps(body))
            for envelope, body in relayed("cycles", app, to_integration)]


def test_no_published_event_carries_content(app: Cycles) -> None:
    work_a_whole_cycle(app)
    notifications = app.recorder.select_notifications(start=1, limit=10_000)
    assert SECRET not in "".join(n.state.decode() for n in notifications)  # sealed...
    opened = "".join(repr(vars(app.mapper.to_domain_event(n))) for n in notifications)
    assert opened.count(SECRET) >= 12  # ...and the content is in the store...
    events = published(app)
    leaks = [envelope.event_type for envelope, raw in events if SECRET in raw]
    assert leaks == []  # ...and none of it is on the bus
    produced = {(e.event_type, e.version) for e, _ in events}
    assert produced == set(cycles_contracts())


def test_who_declined_is_not_told(app: Cycles) -> None:
    work_a_whole_cycle(app)
    events = published(app)
    declined = [e for e, _ in events if e.event_type == "CycleDeclined"]
    assert [e.actor for e in declined] == [None]
    withdrawn = [e for e, _ in events if e.event_type == "CycleWithdrawnFromReporting"]
    assert [e.actor for e in withdrawn] == [None]
    assert all(str(SECOND_TEACHER) not in raw for e, raw in events
               if e.event_type in ("CycleDeclined", "CycleProposed", "CycleStarted"))
    assert all(e.actor != Actor(SECOND_TEACHER, Role.TEACHER) for e, _ in events)


def test_the_started_event_is_the_one_reporting_counts(app: Cycles) -> None:
    work_a_whole_cycle(app)
    [started] = [e for e, _ in published(app) if e.event_type == "CycleStarted"]
    assert started.version == 1
    assert set(started.payload) == {"cycle_id", "coach_id", "teacher_ids", "school_id",
                                    "focus_area_ids", "phase", "started_on"}
    assert started.payload["teacher_ids"] == [TEACHER]
    assert started.payload["started_on"] == TODAY
    assert isinstance(started.payload["started_on"], date)


def payloads(app: Cycles) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for envelope, _ in published(app):
        found.setdefault(envelope.event_type, []).append(envelope.payload)
    return found


def test_what_reporting_is_told(app: Cycles) -> None:
    work_a_whole_cycle(app)
    sent = payloads(app)
    [proposed, _] = sent["CycleProposed"]
    assert (proposed["teacher_count"], proposed["proposed_by"], proposed["phase"]) == (
        2, "coach", "plan")
    assert sent["PartnershipNormsAgreed"][0]["norm_count"] == 1
    assert [p["kind"] for p in sent["CalendarItemScheduled"]] == ["co_teach", "walkthrough"]
    assert sent["CalendarItemRescheduled"][0]["duration_minutes"] == 55
    assert sent["CalendarItemDone"][0]["duration_minutes"] == 15
    [observed] = sent["ObservationLogged"]
    assert (observed["tool"], observed["duration_minutes"], observed["phase"]) == (
        "district:wait-time", 45, "act")
    [held] = sent["DebriefHeld"]
    assert (held["observation_count"], held["keeper_count"], held["polisher_count"],
            held["phase"]) == (1, 1, 1, "reflect")
    assert [(p["from_phase"], p["to_phase"], p["cause"]) for p in sent["CyclePhaseChanged"]] == [
        ("plan", "act", "observation"), ("act", "reflect", "debrief"),
        ("reflect", "act", "moved_back"), ("act", "plan", "goal_revised")]
    assert [(p["complete_count"], p["total_count"]) for p in
            sent["NextStepAdded"] + sent["NextStepCompleted"] + sent["NextStepDropped"]] == [
        (0, 1), (0, 2), (1, 2), (1, 1)]
    assert sent["CycleClosed"][0]["outcome"] == "partly_met"
    assert sent["CycleReopened"][0]["phase"] == "plan"

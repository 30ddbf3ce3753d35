"""Forgetting a person in the cycles store (``coachops.privacy``): the content of every
cycle they were in is sealed with the cycle's key, and erasing the person destroys those
keys. The cycle still loads (its phase, dates, people and counts), its content reads as
erased, and what the relay publishes from it does not change at all."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from coachops.privacy import ERASED
from services.cycles.app import Cycles
from services.cycles.domain import Cycle, Goal
from services.cycles.integration import to_integration
from tests.support.relayed import relayed
from tests.unit.cycles.helpers import AS_COACH, COACH, SCHOOL, SECOND_TEACHER, TEACHER, TODAY
from tests.unit.cycles.test_privacy import SECRET, work_a_whole_cycle


def every_value(obj: Any) -> str:
    """Everything an aggregate holds, as text, however deep."""
    if isinstance(obj, dict):
        return " ".join(f"{k} {every_value(v)}" for k, v in obj.items())
    if isinstance(obj, (list, tuple, set)):
        return " ".join(every_value(v) for v in obj)
    if hasattr(obj, "__dict__"):
        return every_value(vars(obj))
    return repr(obj)


def cycles_in_store(app: Cycles) -> list[Cycle]:
    ids = {n.originator_id for n in app.recorder.select_notifications(start=1, limit=10_000)}
    found = [app.repository.get(i) for i in ids]
    return [c for c in found if isinstance(c, Cycle)]


def published(app: Cycles) -> list[tuple[str, str]]:
    return [(envelope.event_type, str(envelope.payload))
            for envelope, _ in relayed("cycles", app, to_integration)]


def test_erasing_a_teacher_leaves_their_cycles_counted_and_their_content_unreadable(
        app: Cycles) -> None:
    work_a_whole_cycle(app)
    other = app.start_cycle(AS_COACH, COACH, [SECOND_TEACHER], SCHOOL, ["2a"],
                            Goal("kept words", "kept measure", TODAY + timedelta(days=9)),
                            TODAY).result.id
    before = {c.id: c for c in cycles_in_store(app)}
    assert sum(every_value(c).count(SECRET) for c in before.values()) >= 12
    events_before = published(app)

    destroyed = app.erase_person(TEACHER)

    assert destroyed == 1  # the group cycle's key: the only cycle they were in
    after = {c.id: c for c in cycles_in_store(app)}
    group = next(c for c in after.values() if TEACHER in c.teacher_ids)
    assert SECRET not in every_value(group)
    # The proposal only the other teacher had (and declined) is not the erased one's.
    assert all(SECRET in every_value(c) for c in after.values()
               if c.id not in (group.id, other))
    assert group.goal.what == ERASED and group.goal.by == before[group.id].goal.by
    assert [o.notes for o in group.observations.values()] == [ERASED]
    assert [o.data for o in group.observations.values()] == [
        [{"look_for": ERASED, "count": 4, "seconds": 30}]]  # texts erased, tallies kept
    for cycle_id, cycle in after.items():  # everything but the content stands
        was = before[cycle_id]
        assert (cycle.version, cycle.status, cycle.phase, cycle.teacher_ids, cycle.started_on,
                cycle.withdrawn_on) == (was.version, was.status, was.phase, was.teacher_ids,
                                        was.started_on, was.withdrawn_on)
    # A cycle that was never theirs keeps its content.
    assert after[other].goal.what == "kept words"
    # Reports count from what the relay publishes: the same events, the same payloads.
    assert published(app) == events_before
    assert app.erased_people() == [TEACHER]


def test_what_is_written_after_an_erasure_is_not_kept(app: Cycles) -> None:
    """A cycle whose key is gone takes no new content that could be read."""
    work_a_whole_cycle(app)
    group = next(c for c in cycles_in_store(app) if TEACHER in c.teacher_ids)
    app.erase_person(TEACHER)

    app.add_next_step(AS_COACH, group.id, f"after {SECRET}", COACH, TODAY, TODAY)

    stored = "".join(n.state.decode() for n in app.recorder.select_notifications(
        start=1, limit=10_000))
    assert SECRET not in stored
    steps = app.repository.get(group.id).steps.values()
    assert [s.text for s in steps if s.text != ERASED] == []


def test_erasing_twice_destroys_nothing_more(app: Cycles) -> None:
    work_a_whole_cycle(app)
    assert app.erase_person(TEACHER) == 1
    assert app.erase_person(TEACHER) == 0
    assert app.erased_people() == [TEACHER]

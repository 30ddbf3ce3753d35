"""District IT's import of the cycles run before coachops: a live cycle's rules on its
days, recorded by IT as its coach's proposal and marked imported, on its people's
caseloads; a dry run records nothing, a file seen twice records once, a refused line is
named by its line and column."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from coachops.bus.relay import to_envelopes
from coachops.contracts import encode
from coachops.errors import Forbidden, Rejected
from coachops.identity import Actor, Role
from services.cycles.app import Cycles
from services.cycles.integration import to_integration
from tests.unit.cycles.helpers import AS_COACH, COACH, SCHOOL, SECOND_TEACHER, TEACHER, TODAY

IT = Actor(uuid.uuid4(), Role.IT_ADMIN)
HEADER = ("coach_id,teacher_ids,school_id,focus_area_ids,goal_what,goal_measure,goal_by,"
          "started_on,closed_on,outcome,evidence\n")
OPEN = (f"{COACH},{TEACHER},{SCHOOL},literacy|math-talk,Students explain,Tally,2026-10-30,"
        "2026-09-08,,,\n")
CLOSED = (f"{COACH},{SECOND_TEACHER},{SCHOOL},literacy,Wait time,Seconds,2026-10-01,"
          "2026-09-10,2026-10-02,met,Wait time doubled\n")


def stored(app: Cycles) -> int:
    return app.recorder.max_notification_id() or 0


def test_cycles_run_before_coachops_are_imported_on_their_days(app: Cycles) -> None:
    found = app.import_history(IT, HEADER + OPEN + CLOSED, TODAY, dry_run=False)
    assert (len(found.cycles), found.already) == (2, 0)
    running, ended = (app.repository.get(c.id) for c in found.cycles)
    assert (running.status.value, running.started_on, running.proposed_on) == (
        "active", date(2026, 9, 8), date(2026, 9, 8))
    assert (ended.status.value, ended.closing.closed_on, ended.closing.outcome.value) == (
        "closed", date(2026, 10, 2), "met")
    assert running.imported_by == IT.id and running.proposed_by is Role.COACH
    published = [to_integration(e) for e in app.repository.event_store.get(running.id)]
    assert [(p.event_type, p.payload.get("proposed_by")) for p in published if p] == [
        ("CycleProposed", "coach"), ("CycleStarted", None)]
    assert {c.id for c in app.caseload(AS_COACH, COACH)} == {running.id, ended.id}
    # Every event it stored is published within the contracts, as a live cycle's.
    notifications = app.recorder.select_notifications(start=1, limit=10_000)
    relayed, _ = to_envelopes("cycles", app, to_integration, notifications, None)
    assert {encode(e)["event_type"] for e in relayed} >= {
        "CycleProposed", "CycleStarted", "CycleClosed"}


def test_a_dry_run_records_nothing_and_twice_records_once(app: Cycles) -> None:
    before = stored(app)
    dry = app.import_history(IT, HEADER + OPEN + CLOSED, TODAY, dry_run=True)
    assert len(dry.cycles) == 2 and stored(app) == before
    done = app.import_history(IT, HEADER + OPEN + CLOSED, TODAY, dry_run=False)
    assert [c.id for c in done.cycles] == [c.id for c in dry.cycles]  # ids from the file
    after = stored(app)
    again = app.import_history(IT, HEADER + OPEN + CLOSED, TODAY, dry_run=False)
    assert (len(again.cycles), again.already, stored(app)) == (0, 2, after)


def test_a_refused_line_names_its_line_and_column(app: Cycles) -> None:
    stranger = uuid.uuid4()
    text = (HEADER + OPEN
            + OPEN.replace(str(TEACHER), str(stranger))
            + CLOSED.replace("2026-10-02,met", "2026-09-01,met")
            + OPEN.replace("2026-10-30", "2026-09-01").replace(str(TEACHER), str(SECOND_TEACHER))
            + OPEN.replace("2026-09-08", "2027-01-05"))
    before = stored(app)
    with pytest.raises(Rejected) as error:
        app.import_history(IT, text, TODAY, dry_run=False)
    assert [(e["line"], e["field"]) for e in error.value.errors] == [
        (3, "teacher_ids"), (4, "closed_on"), (5, "goal_by"), (6, "started_on")]
    assert stored(app) == before


def test_a_line_giving_a_cycle_again_is_refused_naming_the_first(app: Cycles) -> None:
    before = stored(app)
    with pytest.raises(Rejected) as error:
        app.import_history(IT, HEADER + OPEN + CLOSED + OPEN, TODAY, dry_run=False)
    assert error.value.errors == [
        {"line": 4, "field": "cycle_id", "reason": "the same cycle as line 2"}]
    assert stored(app) == before


def test_only_district_it_imports_history(app: Cycles) -> None:
    with pytest.raises(Forbidden):
        app.import_history(AS_COACH, HEADER + OPEN, TODAY, dry_run=True)

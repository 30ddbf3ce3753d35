"""What a roster import changes, as district IT previews it (a dry run) and reads it when
the import is done: people arriving, leaving, moving and changing role, schools and regions
added, by name and sourcedId; and the import's record in the background (in-memory store)."""

from __future__ import annotations

from datetime import date

import pytest

from coachops.errors import Forbidden, NotFound, Rejected
from coachops.identity import Actor, Role
from services.agreements.app import Agreements
from services.agreements.imports import RosterImport
from services.agreements.roster import roster_id
from services.agreements.roster_app import ABANDONED
from tests.support.district import District
from tests.unit.agreements.helpers import IT

LATER = date(2027, 1, 10)


def stored_events(app: Agreements) -> int:
    return len(app.recorder.select_notifications(start=1, limit=1_000_000))


def changed(district: District) -> None:
    """A teacher moves, one leaves, one arrives; a coach moves; a teacher becomes a coach;
    a school and a region are new."""
    district.people["teacher-00001"].schools = ["school-0002"]
    del district.people["teacher-00002"]
    district._person("teacher-09999", "teacher", 5, ["school-0003"])
    district.coaching["coach-0003"] = ["school-0004"]  # was school-0003
    district.regions["clt-9"] = "CLT Nine"
    district.schools["school-0099"] = "Harbor Elementary School 99"
    district.region_of["school-0099"] = "clt-9"
    district.coaching["teacher-00003"] = ["school-0099"]  # a teacher becomes its coach


def by_id(entries: list[dict[str, object]]) -> dict[object, dict[str, object]]:
    return {e["sourced_id"]: e for e in entries}


def test_a_dry_run_names_each_change_and_saves_nothing(app: Agreements,
                                                       district: District) -> None:
    changed(district)
    before = stored_events(app)
    preview = app.preview_roster_import(IT, district.files(), LATER)
    assert stored_events(app) == before
    people = district.people
    moving = by_id(preview["moving"])
    assert moving["teacher-00001"] == {
        "sourced_id": "teacher-00001", "role": "teacher",
        "name": f"{people['teacher-00001'].given_name} {people['teacher-00001'].family_name}",
        "from": [district.schools["school-0001"]], "to": [district.schools["school-0002"]]}
    assert moving["coach-0003"]["from"] == [district.schools["school-0003"]]
    assert moving["coach-0003"]["to"] == [district.schools["school-0004"]]
    # Left a school as a teacher, joined another as its coach: a move and a new role.
    assert moving["teacher-00003"]["to"] == ["Harbor Elementary School 99"]
    assert by_id(preview["leaving"])["teacher-00002"]["places"] == [
        district.schools["school-0002"]]
    arriving = by_id(preview["arriving"])
    assert arriving["teacher-09999"]["places"] == [district.schools["school-0003"]]
    assert arriving["teacher-09999"]["name"] == (
        f"{people['teacher-09999'].given_name} {people['teacher-09999'].family_name}")
    assert preview["role_changes"] == [{
        "sourced_id": "teacher-00003", "role": "coach", "from": "teacher", "to": "coach",
        "name": f"{people['teacher-00003'].given_name} {people['teacher-00003'].family_name}"}]
    assert preview["schools_added"] == [{"sourced_id": "school-0099",
                                         "name": "Harbor Elementary School 99"}]
    assert preview["regions_added"] == [{"code": "clt-9", "name": "CLT Nine"}]
    assert preview["counts"] == {"arriving": 1, "leaving": 1, "moving": 3,
                                 "role_changes": 1, "schools_added": 1, "regions_added": 1}
    # What the preview said is what the import records.
    assert app.import_roster(IT, district.files(), LATER) == preview["events"]
    assert stored_events(app) == before + preview["recorded"]


def test_a_principal_replaced_leaves_and_their_successor_arrives(
        app: Agreements, district: District) -> None:
    district.history.append(("principal", "principal-0002", "school-0001", "", LATER))
    preview = app.preview_roster_import(IT, district.files(), LATER)
    first = district.schools["school-0001"]
    assert by_id(preview["leaving"])["principal-0001"]["places"] == [first]
    # Principal of school-0002 still, and now of school-0001 too.
    assert by_id(preview["arriving"])["principal-0002"]["places"] == [first]
    assert preview["counts"]["moving"] == 0


def test_the_same_files_again_would_change_nothing(app: Agreements,
                                                   district: District) -> None:
    preview = app.preview_roster_import(IT, district.files(), LATER)
    assert preview["counts"] == dict.fromkeys(preview["counts"], 0)
    assert preview["recorded"] == 0


def test_a_dry_run_refuses_bad_files_as_the_import_does(app: Agreements,
                                                        district: District) -> None:
    files = {**district.files(), "assignments": "kind\ncoach\n"}
    with pytest.raises(Rejected) as refused:
        app.preview_roster_import(IT, files, LATER)
    assert refused.value.errors[0]["file"] == "assignments.csv"
    with pytest.raises(Forbidden):
        app.preview_roster_import(Actor(roster_id("x"), Role.DISTRICT_LEADER),
                                  district.files(), LATER)


def queued(app: Agreements) -> RosterImport:
    record = app.queue_roster_import(IT, LATER)
    app.save(record)
    return record


def test_an_import_in_the_background_ends_done_with_its_changes(
        app: Agreements, district: District) -> None:
    changed(district)
    preview = app.preview_roster_import(IT, district.files(), LATER)
    record = queued(app)
    with app.runs.holding(record.id):
        assert app.roster_import_state(IT, record.id)["state"] == "queued"
        app.run_roster_import(record, district.files(), progress_every=5)
    state = app.roster_import_state(IT, record.id)
    assert state["state"] == "done"
    assert state["rows"]["done"] == state["rows"]["total"] > 0
    assert state["changes"] == preview
    # It saved its progress on the way (a fifth of the rows at a time).
    progressed = [e for e in app.events.get(record.id)
                  if isinstance(e, RosterImport.Progressed)]
    assert 3 <= len(progressed) <= 5
    assert [e.rows_done for e in progressed] == sorted(e.rows_done for e in progressed)
    # And it is done: the same files again change nothing.
    assert app.import_roster(IT, district.files(), LATER) == {}


def test_refused_files_fail_the_import_naming_file_line_and_field(
        app: Agreements, district: District) -> None:
    before = stored_events(app)
    files = {**district.files(), "users": district.files()["users"].replace(
        ",teacher,", ",janitor,", 1)}
    record = queued(app)
    with app.runs.holding(record.id):
        app.run_roster_import(record, files)
    state = app.roster_import_state(IT, record.id)
    assert state["state"] == "failed"
    assert state["reason"].startswith("nothing was imported: the files have ")
    problem = state["errors"][0]
    assert problem["file"] == "users.csv" and problem["field"] == "role"
    assert problem["line"] > 1 and "janitor" not in problem["reason"]
    assert stored_events(app) == before + 2  # queued, failed: nothing of the roster


def test_an_import_no_process_runs_is_failed_when_looked_at(app: Agreements) -> None:
    record = queued(app)  # its process stopped before it began: nobody holds it
    state = app.roster_import_state(IT, record.id)
    assert state["state"] == "failed"
    assert state["reason"] == ABANDONED


def test_at_start_the_imports_left_open_are_failed(app: Agreements) -> None:
    left_open, running = queued(app), queued(app)
    with app.runs.holding(running.id):
        assert app.fail_abandoned_imports() == 1
        assert app.roster_import_state(IT, running.id)["state"] == "queued"
    assert app.roster_import_state(IT, left_open.id)["state"] == "failed"
    assert app.fail_abandoned_imports() == 1  # the other, now that nobody runs it
    assert app.fail_abandoned_imports() == 0


def test_only_district_it_looks_at_an_import_and_an_unknown_one_is_not_found(
        app: Agreements) -> None:
    record = queued(app)
    with pytest.raises(Forbidden):
        app.roster_import_state(Actor(roster_id("x"), Role.PRINCIPAL), record.id)
    with pytest.raises(NotFound) as missing:
        app.roster_import_state(IT, roster_id("nothing"))
    assert missing.value.field == "import_id"

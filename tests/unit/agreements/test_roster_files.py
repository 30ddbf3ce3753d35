"""Reading the roster files: every problem of every file by file, line and column, and
nothing half-applied."""

from __future__ import annotations

import pytest

from coachops.errors import Rejected
from services.agreements import roster_files
from services.agreements.app import Agreements
from tests.support.district import District
from tests.unit.agreements.helpers import IT, START, small_district


def rejected(files: dict[str, str]) -> list[dict[str, object]]:
    with pytest.raises(Rejected) as caught:
        roster_files.parse(files)
    return caught.value.errors


def replace_line(text: str, line: int, new: str) -> str:
    lines = text.splitlines()
    lines[line - 1] = new
    return "\n".join(lines) + "\n"


def test_the_generated_district_is_read_whole() -> None:
    roster = roster_files.parse(District.generate().files())
    assert len(roster.schools) == 102
    assert len(roster.regions) == 6
    assert len(roster.named_as("coach")) == 100
    assert roster.named_as("district_leader") == {"leader-0001", "leader-0002"}
    # principals, coaches, teachers and district leaders; no students
    assert len(roster.staff) == 102 + 100 + 5000 + 2


def test_every_problem_is_named_by_file_line_and_column() -> None:
    files = small_district().files()
    files["orgs"] = replace_line(files["orgs"], 3, "school-0001,active,,,school,,district-1")
    files["users"] = replace_line(
        files["users"], 4,
        'principal-0003,active,,maybe,"school-0003,school-9999",administrator,,,Ana,,,,,,,,,')
    files["regions"] += "clt 3,CLT 3,nobody\n"
    files["assignments"] += ("coach,coach-0001,school-0042,,2026-08-01\n"
                             "principal,principal-0001,school-0001,,1 Aug 2026\n"
                             "mentor,coach-0001,school-0001,,2026-08-01\n"
                             "principal,teacher-00002,school-0001,,2026-08-01\n"
                             "district_leader,leader-0001,school-0001,,2026-09-01\n"
                             "district_leader,leader-0001,,,2026-08-01\n")
    errors = rejected(files)
    found = {(e["file"], e["line"], e["field"]) for e in errors}
    last = len(small_district().files()["assignments"].splitlines())
    assert found == {
        ("orgs.csv", 3, "name"),
        ("users.csv", 4, "enabledUser"),
        ("users.csv", 4, "orgSourcedIds"),
        ("users.csv", 4, "familyName"),
        ("regions.csv", 4, "region_code"),
        ("assignments.csv", last + 1, "school_sourced_id"),
        ("assignments.csv", last + 2, "effective_on"),
        ("assignments.csv", last + 3, "kind"),
        ("assignments.csv", last + 4, "effective_on"),  # a second principal on that date
        ("assignments.csv", last + 5, "school_sourced_id"),  # a leader leads no one school
        ("assignments.csv", last + 6, "effective_on"),  # the same leader twice that date
    }
    assert all(e["reason"] for e in errors)


def test_a_missing_column_or_an_empty_file_is_reported_on_line_1() -> None:
    files = small_district().files()
    files["assignments"] = "kind,school_sourced_id,effective_on\n"
    files["regions"] = "\n"
    errors = rejected(files)
    assert {(e["file"], e["line"], e["field"]) for e in errors} == {
        ("assignments.csv", 1, "person_sourced_id"), ("assignments.csv", 1, "region_code"),
        ("regions.csv", 1, None)}


def test_a_row_with_the_wrong_number_of_cells_and_duplicate_ids() -> None:
    files = small_district().files()
    files["orgs"] += "school-0001,active,,Again,school,,district-1\nshort,row\n"
    errors = rejected(files)
    end = len(small_district().files()["orgs"].splitlines())
    assert sorted((e["file"], e["line"], e["field"] or "") for e in errors) == [
        ("orgs.csv", end + 1, "sourcedId"), ("orgs.csv", end + 2, "")]


def test_a_rejected_import_saves_nothing() -> None:
    app = Agreements(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    files = small_district().files()
    files["assignments"] += "principal,nobody,school-0001,,2026-08-01\n"
    with pytest.raises(Rejected):
        app.import_roster(IT, files, START)
    assert app.recorder.select_notifications(start=1, limit=10) == []


def test_rejections_cross_rpc_with_their_list() -> None:
    error = Rejected("nothing was imported", errors=[
        {"file": "users.csv", "line": 2, "field": "role", "reason": "bad"}], name="RosterRejected")
    again = Rejected(*error.args)
    assert again.errors == error.errors
    assert again.to_dict()["error"] == "RosterRejected"
    assert again.to_dict()["errors"][0]["line"] == 2

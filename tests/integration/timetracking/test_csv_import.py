"""CSV import through the gateway and over RPC: a good file is imported whole; a broken
one gets a line-numbered report and nothing of it is saved."""

from __future__ import annotations

from datetime import timedelta

import requests
from nameko.standalone.rpc import ClusterRpcProxy

from coachops.errors import Invalid, Rejected
from tests.support.platform import Platform

from .client import AMQP, Coach, days_ago


def spreadsheet() -> str:
    """A coach's spreadsheet as they keep it: US dates, AM/PM, category labels."""
    one, two = days_ago(9), days_ago(8)
    us = f"{one.month}/{one.day}/{one.year}"
    text = (
        "Date,Start,End,Minutes,Category,Note\n"
        f"{us},8:00 AM,9:15 AM,,Co-planning,\"unit plan, grade 4\"\n"
        f"{us},9:15 AM,10:00 AM,,Covering classes,\n"
        f"{one.isoformat()},1:00 PM,2:30 PM,,Group coaching / PLC,\n"
        f"{two.isoformat()},,,45,Tech support,\n"
    )
    return text


def test_a_good_file_is_imported_whole(platform: Platform) -> None:
    coach = Coach(platform)
    text = spreadsheet()
    response = coach.import_csv(text)
    assert response.status_code == 201, response.text
    assert response.json()["imported"] == 4
    day = coach.day(days_ago(9))
    assert [(e["start"], e["end"], e["category_id"]) for e in day["entries"]] == [
        ("08:00", "09:15", "co-planning"), ("09:15", "10:00", "covering-classes"),
        ("13:00", "14:30", "group-coaching")]
    assert day["entries"][0]["note"] == "unit plan, grade 4"
    assert day["totals"]["coaching_share"] == round(165 / 210, 4)
    assert coach.day(days_ago(8))["totals"]["other_minutes"] == 45
    # Each imported entry is a real entry: it can be corrected by its id.
    entry_id = response.json()["entry_ids"][3]
    assert coach.correct(entry_id, {"reason": "it was 40", "minutes": 40}).status_code == 200


def test_the_file_may_come_as_json_text(platform: Platform) -> None:
    coach = Coach(platform)
    text = spreadsheet()
    response = requests.post(coach.url(f"/coaches/{coach.id}/time-entries/import"),
                             json={"csv": text, "school_id": coach.school_id},
                             headers=coach.headers, timeout=30)
    assert response.status_code == 201, response.text
    assert response.json()["imported"] == 4


def test_a_broken_file_is_a_422_with_every_problem_by_line_and_nothing_is_saved(
    platform: Platform,
) -> None:
    coach = Coach(platform)
    on = days_ago(5).isoformat()
    tomorrow = (days_ago(0) + timedelta(days=2)).isoformat()
    text = (
        "date,start,end,minutes,category\n"
        f"{on},09:00,10:00,,co-planning\n"
        f"{on},10:00,11:00,,co-planning\n"
        "\n"
        f"{on},09:30,10:15,,modelling\n"
        f"{on},12:00,11:00,,duties\n"
        f"{tomorrow},,,30,duties\n"
        f"{on},,,20,Bulletin boards\n"
        "yesterday,,,20,duties\n"
    )
    response = coach.import_csv(text)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "ImportRejected"
    assert body["message"] == "nothing was imported: the file has 5 problems"
    assert [(e["line"], e["field"]) for e in body["errors"]] == [
        (5, "start"), (6, "end"), (7, "date"), (8, "category"), (9, "date")]
    assert body["errors"][0]["reason"] == "overlaps line 2 (09:00-10:00, co-planning)"
    assert coach.day(days_ago(5))["entries"] == []


def test_a_file_clashing_with_stored_entries_names_them(platform: Platform) -> None:
    coach = Coach(platform)
    stored = coach.recorded(coach.entry(days_ago(6), "09:00", "10:00"))
    text = f"date,start,end,category\n{days_ago(6).isoformat()},9:45,10:30,duties\n"
    response = coach.import_csv(text)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"line": 2, "field": "start", "reason": f"overlaps entry {stored} (09:00-10:00,"
                                                 " co-planning)"}]
    assert len(coach.day(days_ago(6))["entries"]) == 1


def test_the_same_file_twice_is_refused_the_second_time(platform: Platform) -> None:
    coach = Coach(platform)
    text = spreadsheet()
    assert coach.import_csv(text).status_code == 201
    response = coach.import_csv(text)
    assert response.status_code == 422
    assert [e["line"] for e in response.json()["errors"]] == [2, 3, 4, 5]
    assert len(coach.day(days_ago(9))["entries"]) == 3


def test_an_upload_is_refused_when_it_is_neither_csv_nor_json(platform: Platform) -> None:
    coach = Coach(platform)
    response = requests.post(coach.url(f"/coaches/{coach.id}/time-entries/import"),
                             data=b"date,minutes,category\n", timeout=10,
                             headers={**coach.headers, "Content-Type": "application/pdf"})
    assert response.status_code == 415
    response = requests.post(coach.url(f"/coaches/{coach.id}/time-entries/import"),
                             data=b"date,minutes,category\n", timeout=10,
                             headers={**Coach(platform).headers, "Content-Type": "text/csv"})
    assert response.status_code == 403


def test_over_rpc_the_refusal_arrives_with_its_list(platform: Platform) -> None:
    coach = Coach(platform)
    actor = {"id": coach.id, "role": "coach"}
    on = days_ago(10).isoformat()
    bad = f"date,minutes,category\n{on},0,duties\n"
    with ClusterRpcProxy({"AMQP_URI": AMQP}, timeout=30) as cluster:
        try:
            cluster.timetracking.import_time_entries(
                actor, {"coach_id": coach.id, "school_id": coach.school_id, "csv": bad})
        except Rejected as error:
            assert error.errors == [{"line": 2, "field": "minutes", "reason":
                                     "the length must be more than zero minutes, not 0"}]
        else:
            raise AssertionError("a broken file was imported")
        try:
            cluster.timetracking.record_time_entry(
                actor, {"coach_id": coach.id, "school_id": coach.school_id,
                        "worked_on": on, "minutes": 30, "category_id": "nope"})
        except Invalid as error:
            assert error.field == "category_id"
        else:
            raise AssertionError("an unknown category was accepted")

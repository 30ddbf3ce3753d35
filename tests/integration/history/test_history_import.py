"""A district that starts on coachops mid-year: district IT imports the first half of the
year (agreements signed on paper, time kept in spreadsheets), and the reports for that half
are those of a district that entered the same work live. A dry run records nothing, the
same file twice records nothing twice, and a refused line is named by line and column."""

from __future__ import annotations

import contextlib
import json
import uuid
from datetime import date, timedelta
from typing import Any

import requests

from coachops import clock
from services.agreements.domain import coaching_agreement_id
from services.agreements.roster import roster_id
from services.reporting import periods
from tests.support.auth import bearer
from tests.support.platform import Platform, wait_until
from tests.support.roster import ADMIN, RosterSchool, anyone, it_admin_headers, school

FOCUS = [{"id": "literacy", "label": "Literacy across the school"},
         {"id": "math-talk", "label": "Math talk"}]
ROLE, NOT_ROLE = "Co-plan literacy lessons", "Covering classes"
# A day's work: (start, end, category, focus area); the coaching mostly on the agreement.
DAY = [("07:30", "08:45", "co-planning", "literacy"), ("09:00", "10:00", "covering-classes", ""),
       ("10:15", "11:45", "modelling", "math-talk"), ("13:00", "13:45", "duties", ""),
       ("14:00", "14:30", "group-coaching", "")]


def call(platform: Platform, method: str, path: str, headers: dict[str, str],
         body: dict[str, Any] | None = None) -> requests.Response:
    return requests.request(method, platform.url + path, json=body, headers=headers,
                            timeout=120)


def the_half(since: date) -> tuple[int, date, list[date]]:
    """This school year, the day on paper and the school days worked since, before today."""
    today = clock.today()
    month, day = periods.school_year_start()
    year = periods.school_year_of(today, month, day)
    paper = max(periods.school_year_range(year, month, day)[0], since)
    days = [paper + timedelta(days=n) for n in range((today - paper).days)]
    weekdays = [d for d in days if d.weekday() < 5]
    assert weekdays, "the test needs school days between the day on paper and today"
    return year, paper, weekdays[:: max(1, len(weekdays) // 12)]


def entries(at: RosterSchool, days: list[date]) -> list[dict[str, str]]:
    return [{"date": d.isoformat(), "start": start, "end": end, "category": category,
             "school_id": at.id, "focus_area_id": focus}
            for d in days for start, end, category, focus in DAY]


def enter_live(platform: Platform, at: RosterSchool, year: int, paper: date,
               days: list[date]) -> None:
    """District A: the coach drafts, both sign on paper's day, the coach logs each entry."""
    coach = bearer(at.coaches[0], "coach")
    drafted = call(platform, "POST", "/coaching-agreements", coach, {
        "school_id": at.id, "school_year": year, "focus_areas": FOCUS,
        "coach_role": ROLE, "not_coach_role": NOT_ROLE})
    assert drafted.status_code == 201, drafted.text
    sign = f"/coaching-agreements/{drafted.json()['agreement_id']}/sign"
    for who in (coach, bearer(at.principal, "principal")):
        signed = call(platform, "POST", sign, who, {"version": 1, "signed_on": paper.isoformat()})
        assert signed.status_code == 200, signed.text
    for row in entries(at, days):
        body = {"entry_id": str(uuid.uuid4()), "coach_id": at.coaches[0],
                "school_id": at.id, "worked_on": row["date"], "start": row["start"],
                "end": row["end"], "category_id": row["category"]}
        if row["focus_area_id"]:
            body["focus_area_id"] = row["focus_area_id"]
        logged = call(platform, "POST", "/time-entries", coach, body)
        assert logged.status_code == 201, logged.text


def csv_of(rows: list[dict[str, Any]]) -> str:
    header = list(rows[0])
    lines = [",".join(header)] + [",".join(str(r[c]) for c in header) for r in rows]
    return "\n".join(lines) + "\n"


def agreements_file(at: RosterSchool, year: int, paper: date) -> str:
    return csv_of([{"coach_id": at.coaches[0], "school_id": at.id, "school_year": year,
                    "focus_areas": "|".join(f"{a['id']}={a['label']}" for a in FOCUS),
                    "coach_role": ROLE, "not_coach_role": NOT_ROLE,
                    "coach_signed_on": paper.isoformat(),
                    "principal_signed_on": paper.isoformat()}])


def time_file(at: RosterSchool, days: list[date]) -> str:
    return csv_of([{"coach_id": at.coaches[0], **row} for row in entries(at, days)])


def report(platform: Platform, view: str, at: RosterSchool, paper: date) -> dict[str, Any]:
    answer = call(platform, "GET", f"/reports/{view}?school_id={at.id}&from_date="
                  f"{paper.isoformat()}&to_date={clock.today().isoformat()}",
                  anyone(platform, "district_leader"))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def agreement_of(at: RosterSchool, year: int) -> str:
    return str(coaching_agreement_id(uuid.UUID(at.coaches[0]), uuid.UUID(at.id), year))


def as_b(body: dict[str, Any], a: RosterSchool, b: RosterSchool, year: int) -> str:
    """A's report read as B's: its ids B's, without names (each school has its own)."""
    rows = [{k: v for k, v in row.items() if not k.endswith("name") and k != "name"}
            for row in [body["scope"], *body["rows"]]]
    text = json.dumps(rows, sort_keys=True)
    for mine, theirs in ((a.id, b.id), (a.coaches[0], b.coaches[0]),
                         (a.region_id, b.region_id),
                         (agreement_of(a, year), agreement_of(b, year))):
        text = text.replace(mine, theirs)
    return text


def test_a_history_import_reports_as_the_same_work_entered_live(platform: Platform) -> None:
    a = school(platform, coaches=1, teachers=1, principal=True)
    b = school(platform, coaches=1, teachers=1, principal=True)
    year, paper, days = the_half(max(a.since, b.since))
    it = it_admin_headers(platform)
    enter_live(platform, a, year, paper, days)

    agreements, time = agreements_file(b, year, paper), time_file(b, days)
    # A dry run says what it would record, and records nothing.
    dry = call(platform, "POST", "/history/agreements", it, {"csv": agreements, "dry_run": True})
    assert (dry.status_code, dry.json()["recorded"]) == (200, 1), dry.text
    dry = call(platform, "POST", "/history/time-entries", it, {"csv": time, "dry_run": True})
    assert dry.status_code == 200, dry.text
    assert dry.json()["recorded"] == len(days) * len(DAY)
    coach_b = bearer(b.coaches[0], "coach")
    day = call(platform, "GET", f"/coaches/{b.coaches[0]}/time/days/{days[0]}", coach_b)
    assert day.json()["entries"] == [], "a dry run recorded time"
    agreement = f"/coaching-agreements/{agreement_of(b, year)}"
    assert call(platform, "GET", agreement, coach_b).status_code == 404, "a dry run recorded"

    # A refused line: nothing recorded, the line and the column named.
    broken = time + f"{b.coaches[0]},{days[0]},16:00,17:00,recess,{b.id},\n"
    refused = call(platform, "POST", "/history/time-entries", it, {"csv": broken})
    assert refused.status_code == 422, refused.text
    assert [(e["line"], e["field"]) for e in refused.json()["errors"]] == [
        (len(days) * len(DAY) + 2, "category")]

    # The import; then the same files again record nothing twice.
    done = call(platform, "POST", "/history/agreements", it, {"csv": agreements})
    assert (done.status_code, done.json()["recorded"]) == (200, 1), done.text
    done = call(platform, "POST", "/history/time-entries", it, {"csv": time})
    assert (done.status_code, done.json()["recorded"]) == (200, len(days) * len(DAY)), done.text
    again = call(platform, "POST", "/history/agreements", it, {"csv": agreements}).json()
    assert (again["recorded"], again["already_recorded"]) == (0, 1)
    again = call(platform, "POST", "/history/time-entries", it, {"csv": time}).json()
    assert (again["recorded"], again["already_recorded"]) == (0, len(days) * len(DAY))

    # The reports of the half, A's (live) and B's (imported), once each has all of it,
    # equal but for ids and names.
    def alignment_row(at: RosterSchool) -> tuple[int, int]:
        rows = report(platform, "plan-alignment", at, paper)["rows"]
        row = next(r for r in rows if r["level"] == "coach_school")
        return row["coaching_minutes"], row["aligned_minutes"]

    whole = (len(days) * (75 + 90 + 30), len(days) * (75 + 90))  # on the agreement's areas
    for at in (a, b):
        wait_until(lambda at=at: alignment_row(at) == whole, timeout=60,
                   what="the half's time and agreement in the reports")
    for view in ("time-use", "plan-alignment"):
        with contextlib.suppress(TimeoutError):  # the assertion below shows any difference
            wait_until(lambda view=view: as_b(report(platform, view, a, paper), a, b, year)
                       == as_b(report(platform, view, b, paper), b, b, year),
                       timeout=60, what=f"the {view} reports to agree")
        assert as_b(report(platform, view, a, paper), a, b, year) == \
            as_b(report(platform, view, b, paper), b, b, year)
    # Cycles run before: dated on their days, checked by the roster of those days.
    cycles = csv_of([{"coach_id": b.coaches[0], "teacher_ids": b.teachers[0],
                      "school_id": b.id, "focus_area_ids": "literacy",
                      "goal_what": "Students explain their reasoning", "goal_measure": "Tally",
                      "goal_by": days[-1], "started_on": paper, "closed_on": days[-1],
                      "outcome": "met", "evidence": "Explanations doubled"}])
    caseload = f"/coaches/{b.coaches[0]}/caseload"
    dry = call(platform, "POST", "/history/cycles", it, {"csv": cycles, "dry_run": True})
    assert (dry.status_code, dry.json()["recorded"]) == (200, 1), dry.text
    assert sum(call(platform, "GET", caseload, coach_b).json()["counts"].values()) == 0
    done = call(platform, "POST", "/history/cycles", it, {"csv": cycles})
    assert (done.status_code, done.json()["cycle_ids"]) == (200, dry.json()["cycle_ids"])
    again = call(platform, "POST", "/history/cycles", it, {"csv": cycles}).json()
    assert (again["recorded"], again["already_recorded"]) == (0, 1)
    cycle = call(platform, "GET", f"/cycles/{done.json()['cycle_ids'][0]}", coach_b).json()
    assert (cycle["status"], cycle["started_on"], cycle["outcome"], cycle["proposed_by"],
            cycle["imported_by"]) == ("closed", paper.isoformat(), "met", "coach",
                                      str(roster_id(ADMIN)))

    # Marked as imported, and by whom, where the coach reads them.
    shown = call(platform, "GET", agreement, coach_b).json()
    assert shown["imported_by"] == str(roster_id(ADMIN))
    assert (shown["versions"][0]["in_force_from"], shown["versions"][0]["entered"]["coach"]
            ) == (paper.isoformat(), clock.today().isoformat())
    day = call(platform, "GET", f"/coaches/{b.coaches[0]}/time/days/{days[0]}", coach_b).json()
    assert [e["history"][0]["action"] for e in day["entries"]] == ["imported"] * len(DAY)


def test_hostile_text_in_a_history_file_is_refused_by_name(platform: Platform) -> None:
    """NUL or a lone surrogate anywhere in a file refuses the file (``csv``); a cell longer
    than the live command allows is refused by its line and column; nothing is recorded."""
    at = school(platform, coaches=1, teachers=1)
    it = it_admin_headers(platform)
    day = (clock.today() - timedelta(days=1)).isoformat()
    huge = "x" * 20_001
    files = {
        "/history/agreements": ({"coach_id": at.coaches[0], "school_id": at.id,
                                 "school_year": periods.school_year_of(
                                     clock.today(), *periods.school_year_start()),
                                 "focus_areas": "literacy=Literacy", "coach_role": huge,
                                 "not_coach_role": NOT_ROLE, "coach_signed_on": day,
                                 "principal_signed_on": day}, "coach_role"),
        "/history/time-entries": ({"coach_id": at.coaches[0], "date": day, "minutes": 30,
                                   "category": "co-planning", "note": huge}, "note"),
        "/history/cycles": ({"coach_id": at.coaches[0], "teacher_ids": at.teachers[0],
                             "school_id": at.id, "focus_area_ids": "literacy",
                             "goal_what": huge, "goal_measure": "Tally", "goal_by": day,
                             "started_on": day}, "goal_what"),
    }
    for path, (row, column) in files.items():
        refused = call(platform, "POST", path, it, {"csv": csv_of([row])})
        assert refused.status_code == 422, (path, refused.text)
        assert (2, column) in [(e["line"], e["field"]) for e in refused.json()["errors"]], \
            (path, refused.text)
        for hostile in ("a\x00b", "a\ud800b"):
            text = csv_of([{**row, column: hostile}])
            refused = call(platform, "POST", path, it, {"csv": text})
            assert refused.status_code == 400, (path, refused.text)
            assert [f["field"] for f in refused.json()["fields"]] == ["csv"], refused.text

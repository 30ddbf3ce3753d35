"""Complementary suppression against the running platform: the issue's subtraction attack
fails on every report, its CSV, the council, a CLT representative's own region and an as-of
view, and cells that need no suppression still show their true numbers; a school's count
of active cycles is suppressed as its cells are."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
import requests

from coachops import clock
from tests.integration.reporting.client import feed, report, rows_by_key
from tests.integration.reporting.disclosure import (
    Key,
    T,
    activity_started,
    activity_teachers,
    alignment_cycles,
    suppressed,
    worked_out,
)
from tests.integration.reporting.world import World
from tests.support import roster
from tests.support.auth import bearer
from tests.support.platform import Platform, wait_until

pytestmark = pytest.mark.e2e


@dataclass
class District:
    """Regions of schools, one coach and one principal each; each school's teachers with
    the number of cycles each has, started on the school's day."""

    world: World
    platform: Platform  # its principals and representatives hold their roles on its roster
    schools: dict[str, uuid.UUID] = field(default_factory=dict)
    regions: dict[str, uuid.UUID] = field(default_factory=dict)
    region_of: dict[str, str] = field(default_factory=dict)
    coach: dict[str, uuid.UUID] = field(default_factory=dict)
    principal: dict[str, uuid.UUID] = field(default_factory=dict)
    representative: dict[str, uuid.UUID] = field(default_factory=dict)
    cycles: dict[str, list[tuple[uuid.UUID, uuid.UUID, date]]] = field(default_factory=dict)

    def build(self, layout: dict[str, dict[str, tuple[list[int], date]]], since: date,
              closed_on: date | None = None) -> District:
        w = self.world
        for region, schools in layout.items():
            r = self.regions[region] = uuid.uuid4()
            self.representative[region] = uuid.UUID(roster.person(self.platform, "clt_rep"))
            w.emit("agreements", "RegionDefined", r, since, region_id=r, label=region)
            w.emit("agreements", "CltRepresentativeChanged", r, since, region_id=r,
                   representative_id=self.representative[region], effective_on=since)
            for school, (teachers, started_on) in schools.items():
                s = self.schools[school] = uuid.uuid4()
                self.region_of[school] = region
                c, p = self.coach[school], self.principal[school] = (
                    uuid.uuid4(), uuid.UUID(roster.person(self.platform, "principal")))
                w.emit("agreements", "SchoolDefined", s, since, school_id=s, label=school)
                w.emit("agreements", "SchoolAssignedToRegion", s, since, school_id=s,
                       region_id=r, effective_on=since)
                w.emit("agreements", "PrincipalChanged", s, since, school_id=s,
                       principal_id=p, effective_on=since)
                w.emit("agreements", "CoachAssignedToSchool", c, since, coach_id=c,
                       school_id=s, effective_on=since)
                self.cycles[school] = []
                for count in teachers:
                    teacher = uuid.uuid4()
                    for _ in range(count):
                        self.cycle(school, teacher, started_on, closed_on)
        return self

    def cycle(self, school: str, teacher: uuid.UUID, started_on: date,
              closed_on: date | None) -> uuid.UUID:
        cycle = uuid.uuid4()
        common = dict(cycle_id=cycle, coach_id=self.coach[school],
                      school_id=self.schools[school])
        w = self.world
        w.emit("cycles", "CycleProposed", cycle, started_on, teacher_count=1,
               focus_area_ids=["fa-1"], phase="plan", proposed_by="coach",
               proposed_on=started_on, **common)
        w.emit("cycles", "CycleStarted", cycle, started_on, teacher_ids=[teacher],
               focus_area_ids=["fa-1"], phase="plan", started_on=started_on, **common)
        if closed_on is not None:
            w.emit("cycles", "CycleClosed", cycle, closed_on, outcome="met",
                   closed_on=closed_on, phase="reflect", focus_area_ids=["fa-1"], **common)
        self.cycles[school].append((cycle, teacher, started_on))
        return cycle

    # What the reports must say, and how their rows nest --------------------------------

    def truth(self, month: str | None = None) -> dict[Key, tuple[int, int]]:
        """(teachers, cycles) of every district, region, school, coach-school and month
        cell, by plain counting."""
        seen: dict[Key, tuple[set[uuid.UUID], int]] = {}
        for school, cycles in self.cycles.items():
            for _, teacher, started_on in cycles:
                if month and started_on.strftime("%Y-%m") != month:
                    continue
                region = self.region_of[school]
                for key in (("district", "district"), ("region", str(self.regions[region])),
                            ("school", str(self.schools[school])),
                            ("coach_school", f"{self.coach[school]}/{self.schools[school]}"),
                            ("month", started_on.strftime("%Y-%m"))):
                    teachers, count = seen.get(key, (set(), 0))
                    seen[key] = (teachers | {teacher}, count + 1)
        return {key: (len(teachers), count) for key, (teachers, count) in seen.items()}

    def groups(self, months: bool = True) -> list[tuple[Key, list[Key]]]:
        """Each total a report shows beside its parts."""
        district = ("district", "district")
        out = [(district, [("region", str(r)) for r in self.regions.values()])]
        for region, r in self.regions.items():
            out.append((("region", str(r)), [("school", str(self.schools[s]))
                                              for s in self.schools
                                              if self.region_of[s] == region]))
        for school, s in self.schools.items():
            out.append((("school", str(s)), [("coach_school", f"{self.coach[school]}/{s}")]))
        if months:
            out.append((district, [("month", m) for m in
                                   {d.strftime("%Y-%m") for cs in self.cycles.values()
                                    for _, _, d in cs}]))
        return out


def csv_rows(text: str) -> dict[Key, dict[str, str]]:
    found = list(csv.DictReader(io.StringIO(text)))
    return {(row["level"], row["key"]): {k: v for k, v in row.items() if v != ""}
            for row in found}


def csv_value(name: str) -> Callable[[dict[str, str]], int | None]:
    return lambda row: None if row[name] == "suppressed" else int(row[name])


# The issue's region: 13 teachers, its schools 5, 4, 2 and 2; another region of 6 and 3,
# and one teacher there whose cycle started in a month of its own.
def issue_district(platform: Platform, year: int) -> District:
    w = World(year)
    sep, octo, nov = w.d(9, 12), w.d(10, 3), w.d(11, 7)
    d = District(w, platform).build({
        "north": {"a": ([1] * 5, sep), "b": ([1] * 4, sep), "c": ([1, 1], sep),
                  "d": ([1, 1], sep)},
        "south": {"e": ([1] * 6, octo), "f": ([1] * 3, octo)},
    }, since=w.d(8, 1), closed_on=w.d(6, 30))
    d.cycle("e", uuid.uuid4(), nov, w.d(6, 30))
    return d


def test_the_subtraction_attack_fails_in_every_report_and_every_form(
        platform: Platform) -> None:
    year = 2011  # before every other test's years: no cycle of theirs is in it
    d = issue_district(platform, year)
    feed(d.world)
    truth = d.truth()
    teachers = {k: v[0] for k, v in truth.items()}
    cycles = {k: v[1] for k, v in truth.items()}
    school = {name: ("school", str(s)) for name, s in d.schools.items()}
    north, south = (("region", str(d.regions[r])) for r in ("north", "south"))
    district = ("district", "district")
    params = {"school_year": year}

    # Today's rule alone gave c and d away: 13 - 5 - 4 = 4 between two schools under 3.
    primary = {k: (None if n < T else n) for k, n in teachers.items()}
    assert set(worked_out(primary, d.groups(False), lambda v: v, teachers, True)) == {
        school["c"], school["d"]}

    activity = rows_by_key(report(platform, "cycle-activity", **params))
    assert worked_out(activity, d.groups(False), activity_teachers, teachers, True) == []
    assert worked_out(activity, d.groups(False), activity_started, cycles, False) == []
    # c and d are small; b, the smallest school shown beside them, goes with them.
    assert {k for k in (*school.values(), north, south) if suppressed(activity[k])} == {
        school["b"], school["c"], school["d"]}
    for key in (district, north, south, school["a"], school["e"], school["f"]):
        assert activity[key]["teachers_coached"] == teachers[key], key  # shown, and right
        assert activity[key]["started"] == cycles[key], key

    alignment = rows_by_key(report(platform, "plan-alignment", **params))
    assert worked_out(alignment, d.groups(), alignment_cycles, cycles, False) == []
    assert all(isinstance(alignment[key]["cycles"], dict)
               for key, n in teachers.items() if n < T)
    for key in (district, north, school["a"], ("month", d.world.d(9, 1).strftime("%Y-%m"))):
        assert alignment[key]["cycles"] == cycles[key], key
    # November alone is one teacher: suppressed, and October with it (the total over
    # months less the months shown would give it back).
    for month in (d.world.d(11, 1), d.world.d(10, 1)):
        assert isinstance(alignment[("month", month.strftime("%Y-%m"))]["cycles"], dict)

    # The same cells, in the CSV, in an as-of view, in the council and in the region of
    # the CLT representative (a report of the region cannot undo the council's).
    text = report(platform, "cycle-activity", format="csv", **params)
    in_csv = csv_rows(text)
    assert worked_out(in_csv, d.groups(False), csv_value("teachers_coached"), teachers,
                      True) == []
    assert {k for k, row in in_csv.items() if row.get("teachers_coached") == "suppressed"} \
        == {k for k, row in activity.items() if suppressed(row)}
    alignment_csv = csv_rows(report(platform, "plan-alignment", format="csv", **params))
    assert worked_out(alignment_csv, d.groups(), csv_value("cycles"), cycles, False) == []
    as_of = rows_by_key(report(platform, "cycle-activity", as_of=d.world.d(7, 31).isoformat(),
                               **params))
    assert {k for k, row in as_of.items() if suppressed(row)} == \
        {k for k, row in activity.items() if suppressed(row)}
    council = rows_by_key(report(platform, "council", **params))
    for key in (district, north, south):
        assert council[key]["cycle_activity"] == {
            k: v for k, v in activity[key].items() if k not in ("level", "key", "name")}
    rep = bearer(d.representative["north"], "clt_rep")
    # Named: the roster that gives the representative the role gives them a region too.
    own = rows_by_key(report(platform, "cycle-activity", headers=rep,
                             region_id=str(d.regions["north"]), **params))
    for key, row in own.items():
        if key[0] in ("region", "school"):
            assert suppressed(row) == suppressed(activity[key]), key
    assert not suppressed(own[district])  # the region's total: the council shows it too
    # October asked alone is the year's October cell: 9 teachers, and still suppressed.
    october = rows_by_key(report(platform, "plan-alignment",
                                 month=d.world.d(10, 1).strftime("%Y-%m")))
    assert isinstance(october[district]["cycles"], dict)
    assert alignment[south]["cycles"] == cycles[south]


def test_a_schools_count_of_active_cycles_is_suppressed_as_its_cells_are(
        platform: Platform) -> None:
    """The issue's school: its only coached teacher has two cycles. Its count is
    suppressed as every cycle cell of it is; a school with enough teachers shows its count,
    less the cycles withdrawn from reporting."""
    today = clock.today()
    w = World(today.year)
    d = District(w, platform).build({
        "east": {"alone": ([2], today), "big": ([1] * 6, today), "middle": ([1] * 4, today)},
    }, since=date(2000, 1, 1))
    withdrawn = d.cycles["big"][0][0]
    w.emit("cycles", "CycleWithdrawnFromReporting", withdrawn, today, withdrawn_on=today,
           cycle_id=withdrawn, coach_id=d.coach["big"], school_id=d.schools["big"])
    feed(w)

    def count(name: str) -> Any:
        body = report_of(platform, f"/schools/{d.schools[name]}/active-cycles",
                         bearer(d.principal[name], "principal"))
        return body["active_cycles"]

    wait_until(lambda: count("big") == 5, timeout=30, what="the withdrawal in reporting")
    assert count("alone") == {"suppressed": True}  # answered 2 before
    assert count("middle") == {"suppressed": True}  # shown, it would give "alone" back
    # Named: the roster that gives the principal the role gives them a school too.
    cell = rows_by_key(report(platform, "cycle-activity", from_date=today.isoformat(),
                              to_date=today.isoformat(), school_id=str(d.schools["alone"]),
                              headers=bearer(d.principal["alone"], "principal")))
    assert suppressed(cell[("school", str(d.schools["alone"]))])


def report_of(platform: Platform, path: str, headers: dict[str, str]) -> Any:
    response = requests.get(f"{platform.url}{path}", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()

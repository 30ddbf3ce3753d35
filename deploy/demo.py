"""A realistic demo district, loaded through the gateway exactly as district IT, coaches,
teachers and principals would: the roster import (OneRoster files plus regions and
assignments), coaching agreements drafted by coaches and signed by principals, cycles
proposed, accepted and worked through their phases, and the school year's time so far,
imported from each coach's spreadsheet.

Ids are fixed (roster ids follow from the files' sourcedIds), and each step looks before
it writes, so a second run loads nothing twice. At the end it waits for the reports to
show what was loaded and prints a token per role for the dashboard.

The agreements were signed on paper on the school year's first day, as a district that
starts on the platform mid-year has them: each signature is entered today with that day
(``signed_on``), so every agreement is in force from the start of the year and plan
alignment holds the whole year's time to it. Time entries carry the days they were
worked. What the platform dates itself is dated today: a cycle starts the day its teacher
accepts, so cycles are this week's.
"""

from __future__ import annotations

import csv
import io
import random
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Any

import requests

from coachops import clock, settings
from coachops.identity import Role
from deploy.demo_district import FOCUS_AREAS, FULL, GOALS, District, Size
from deploy.roster_import import wait_for_import
from gateway.auth import issue
from services.agreements.appoint import appoint_it_admin
from services.agreements.domain import coaching_agreement_id
from services.reporting import periods

COACHING = ("coaching-cycle", "group-coaching", "co-planning", "modelling",
            "professional-learning", "relationship-building")
OTHER = ("covering-classes", "tech-support", "testing-and-data", "duties",
         "non-coaching-meetings", "admin-tasks")
GOAL_SETTING, OBSERVATION, DEBRIEF = 20, 30, 20  # minutes of a cycle's work today
TIMEOUT = 30


class Gateway:
    """The gateway as each person's app calls it: one token per person."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.local = threading.local()  # a connection per loading thread

    @property
    def http(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def headers(self, person: str, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue(uuid.UUID(person), role)}"}

    def call(self, method: str, path: str, person: str, role: Role,
             body: Any = None, ok: tuple[int, ...] = (200, 201)) -> requests.Response:
        response = self.http.request(method, self.url + path, json=body,
                                     headers=self.headers(person, role), timeout=TIMEOUT)
        if response.status_code not in ok:
            raise RuntimeError(f"{method} {path} as {role.value}: {response.status_code}"
                               f" {response.text[:500]}")
        return response


def first_school_day(school_year: int) -> date:
    """Classes start on the third Monday after the school year's first day."""
    start = periods.school_year_range(school_year, *periods.school_year_start())[0]
    monday = start + timedelta(days=(7 - start.weekday()) % 7)
    return monday + timedelta(weeks=2)


def next_school_day(day: date) -> date:
    following = day + timedelta(days=1)
    while following.weekday() >= 5:
        following += timedelta(days=1)
    return following


def school_days(school_year: int, today: date, weeks: int | None) -> list[date]:
    first = first_school_day(school_year)
    if weeks is not None:
        this_monday = today - timedelta(days=today.weekday())
        first = max(first, this_monday - timedelta(weeks=weeks - 1))
    days = (first + timedelta(days=n) for n in range((today - first).days + 1))
    return [d for d in days if d.weekday() < 5]


# Loading, step by step --------------------------------------------------------------------


def import_roster(gw: Gateway, district: District, start: date, amqp_uri: str) -> int:
    # District IT's first administrator, as on a fresh install; the files name them too.
    appoint_it_admin(amqp_uri, uuid.UUID(district.id(district.it_admin)), start.isoformat())
    body = {**district.files(start), "effective_on": start.isoformat()}
    it_admin = district.id(district.it_admin)
    started = gw.call("POST", "/roster/import", it_admin, Role.IT_ADMIN, body, ok=(202,))
    record = wait_for_import(gw.url, started, gw.headers(it_admin, Role.IT_ADMIN),
                             session=gw.http)
    wait_for_roster(amqp_uri, district, start)
    return int(record["changes"]["recorded"])


def wait_for_roster(amqp_uri: str, district: District, start: date,
                    timeout: float = 120) -> None:
    """Cycles and time tracking learn who works where from the roster's events: wait
    until they know every coach and teacher, so the work loaded next is theirs to do."""
    from nameko.standalone.rpc import ClusterRpcProxy

    facts = [(service, c, s, "coach") for c, schools in district.coach_schools.items()
             for s in schools for service in ("cycles", "timetracking")]
    facts += [("cycles", t, s, "teacher") for s, ts in district.teachers_of.items() for t in ts]
    deadline = time.monotonic() + timeout
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as cluster:
        for service, person, school, role in facts:
            while not getattr(cluster, service).roster_knows(
                    district.id(person), district.id(school), role, start.isoformat()):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{service} did not learn the demo roster")
                time.sleep(0.2)


def sign_agreements(gw: Gateway, district: District, signed_on: date,
                    today: date) -> list[tuple[str, str]]:
    """Every coach drafts an agreement with each school; coach and principal signed most
    of them on paper on ``signed_on`` (the rest wait for the principal: the dashboard
    flags them). Returns the unsigned."""
    waiting = []
    on_paper = {"version": 1, "signed_on": signed_on.isoformat()}
    for n, (coach, school) in enumerate(district.pairs()):
        coach_id, principal_id = district.id(coach), district.id(district.principal_of[school])
        terms = {"school_id": district.id(school), "school_year": district.school_year,
                 "focus_areas": [{"id": a, "label": FOCUS_AREAS[a]}
                                 for a in district.focus_of(school)],
                 "coach_role": "Coaching cycles, co-planning and modelling with teachers",
                 "not_coach_role": "Covering classes, duties and evaluating teachers",
                 "check_in_every_weeks": 9}
        gw.call("POST", "/coaching-agreements", coach_id, Role.COACH, terms, ok=(201, 409))
        agreement_id = str(coaching_agreement_id(uuid.UUID(coach_id),
                                                 uuid.UUID(district.id(school)),
                                                 district.school_year))
        gw.call("POST", f"/coaching-agreements/{agreement_id}/sign", coach_id, Role.COACH,
                on_paper)
        if n % 5 == 3:
            waiting.append((coach, school))
            continue
        agreement = gw.call("POST", f"/coaching-agreements/{agreement_id}/sign", principal_id,
                            Role.PRINCIPAL, on_paper).json()
        if n % 3 == 0 and not agreement["check_ins"]:
            gw.call("POST", f"/coaching-agreements/{agreement_id}/check-ins", principal_id,
                    Role.PRINCIPAL, {"held_on": today.isoformat()}, ok=(201,))
    return waiting


@dataclass(frozen=True)
class CycleWork:
    """A cycle started today, and the minutes its coach spent on it today."""

    cycle_id: str
    school: str
    minutes: int


def run_cycles(gw: Gateway, district: District, coach: str, today: date,
               rng: random.Random) -> list[CycleWork]:
    """A coach's cycles at each of their schools, through their phases; none when the coach
    has cycles already (loaded by an earlier run)."""
    coach_id = district.id(coach)
    caseload = gw.call("GET", f"/coaches/{coach_id}/caseload", coach_id, Role.COACH).json()
    if sum(caseload["counts"].values()):
        return []
    started = []
    for school in district.coach_schools[coach]:
        # One school in four has just two teachers in cycles: too few to show safely, so
        # its cycle counts are suppressed in the reports.
        wanted = 2 if district.schools.index(school) % 4 == 2 else district.size.cycles_per_school
        teachers = rng.sample(district.teachers_of[school], wanted)
        agreed = district.focus_of(school)
        elsewhere = next(a for a in FOCUS_AREAS if a not in agreed)
        for n, teacher in enumerate(teachers):
            focus = [agreed[n % 2]] if n % 4 != 3 else [elsewhere]  # mostly aligned
            what, measure = rng.choice(GOALS[focus[0]])
            body = {"coach_id": coach_id, "teacher_ids": [district.id(teacher)],
                    "school_id": district.id(school), "focus_area_ids": focus,
                    "goal": {"what": what, "measure": measure,
                             "by": (today + timedelta(days=rng.randint(30, 90))).isoformat()}}
            cycle = gw.call("POST", "/cycles", coach_id, Role.COACH, body).json()["cycle_id"]
            gw.call("POST", f"/cycles/{cycle}/accept", district.id(teacher), Role.TEACHER)
            minutes = work_through(gw, cycle, coach_id, district.id(teacher), n, today)
            started.append(CycleWork(cycle, school, minutes))
    return started


def work_through(gw: Gateway, cycle: str, coach_id: str, teacher_id: str, stage: int,
                 today: date) -> int:
    """Stage 0 stays in Plan; 1 reaches Act; 2 Reflect with next steps; 3 is closed.
    Returns the minutes it took: the goal-setting talk, the observation, the debrief."""
    def post(path: str, body: Any = None) -> dict[str, Any]:
        return gw.call("POST", f"/cycles/{cycle}{path}", coach_id, Role.COACH, body).json()

    gw.call("PUT", f"/cycles/{cycle}/norms", coach_id, Role.COACH,
            {"norms": ["Debrief within 24 hours", "Coach enters quietly at the back"]})
    if stage == 0:
        # In Plan: the first observation is on the calendar for the next school day.
        post("/calendar", {"kind": "observation", "minutes": 45,
                           "starts_at": f"{next_school_day(today).isoformat()}T09:30"})
        return GOAL_SETTING
    observation = post("/observations", {
        "observed_on": today.isoformat(), "minutes": OBSERVATION, "tool": "talk_time",
        "data": [{"look_for": "teacher talk", "seconds": 1500},
                 {"look_for": "student talk", "seconds": 900}]})["observation_id"]
    if stage == 1:
        return GOAL_SETTING + OBSERVATION
    post("/debriefs", {"held_on": today.isoformat(), "minutes": DEBRIEF,
                       "evidence": "Student talk rose from a quarter to over a third",
                       "observation_ids": [observation], "keepers": ["Wait time"],
                       "polishers": ["Follow-up questions"],
                       "progress": {"rating": 3, "text": "On the way"}})
    due = (today + timedelta(days=max(0, 4 - today.weekday()))).isoformat()  # this Friday
    step = post("/next-steps", {"text": "Plan two open questions per lesson",
                                "owner_id": teacher_id, "due_on": due})["step_id"]
    post("/next-steps", {"text": "Share a talk-moves card", "owner_id": coach_id, "due_on": due})
    post(f"/next-steps/{step}/complete")
    if stage == 3:
        post("/close", {"outcome": "met", "evidence": "Evidence-based turns doubled"})
    return GOAL_SETTING + OBSERVATION + DEBRIEF


def coach_timeto_csv(district: District, coach: str, days: list[date], today: date,
                   rng: random.Random) -> tuple[str, int]:
    """A coach's spreadsheet of the year so far: blocks of 45 to 120 minutes from 7:30. Some
    coaches are pulled into covering classes and duties far more than others, and every
    coach coaches a little more as the months go by (tracking it helps)."""
    schools = district.coach_schools[coach]
    base = 0.15 + 0.45 * rng.random()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("date", "start", "end", "category", "school_id", "focus_area_id"))
    total = 0
    for day in days:
        school = schools[day.weekday() % len(schools)]
        months_in = (day - days[0]).days / 30
        share = min(0.85, base + 0.03 * months_in)
        minute = 7 * 60 + 30
        for _ in range(rng.randint(3, 5)):
            length = rng.choice((45, 60, 75, 90, 90, 120))
            coaching = rng.random() < share
            focus = rng.choice(district.focus_of(school)) if coaching else ""
            writer.writerow((day.isoformat(), _hhmm(minute), _hhmm(minute + length),
                             rng.choice(COACHING if coaching else OTHER),
                             district.id(school), focus))
            total += length
            minute += length + rng.choice((0, 15, 30))
    return out.getvalue(), total


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def import_time(gw: Gateway, district: District, coach: str, days: list[date], today: date,
                rng: random.Random) -> int:
    """The coach's spreadsheet of the days before today, imported in one go; nothing when
    the first day has entries. Returns the minutes imported."""
    coach_id = district.id(coach)
    if not days:
        return 0
    text, minutes = coach_timeto_csv(district, coach, days, today, rng)
    day = gw.call("GET", f"/coaches/{coach_id}/time/days/{days[0].isoformat()}", coach_id,
                  Role.COACH).json()
    if day["entries"]:
        return 0
    # The time service learns assignments from the roster's events: wait for them.
    retry_until(lambda: gw.call("POST", f"/coaches/{coach_id}/time-entries/import", coach_id,
                                Role.COACH, {"csv": text}, ok=(201,)),
                what=f"the time service to know {coach}'s schools")
    return minutes


def log_cycle_work(gw: Gateway, district: District, coach: str, work: list[CycleWork],
                   today: date) -> int:
    """Today's time: the coach logs the cycle work of the day, one entry per cycle, tied to
    the cycle (so it counts as aligned when the cycle serves the agreement in force). The
    entry ids are fixed, so a resend records nothing twice. Returns the minutes logged."""
    coach_id = district.id(coach)
    minute = 7 * 60 + 30
    for item in work:
        body = {"entry_id": str(uuid.uuid5(uuid.UUID(coach_id), f"demo:{item.cycle_id}")),
                "coach_id": coach_id, "school_id": district.id(item.school),
                "worked_on": today.isoformat(), "start": _hhmm(minute),
                "end": _hhmm(minute + item.minutes), "category_id": "coaching-cycle",
                "cycle_id": item.cycle_id}
        retry_until(partial(gw.call, "POST", "/time-entries", coach_id, Role.COACH, body,
                            ok=(200, 201)),
                    what=f"the time service to know {coach}'s schools")
        minute += item.minutes + 10
    return sum(item.minutes for item in work)


def retry_until(attempt: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return attempt()
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


# Waiting for the reports --------------------------------------------------------------------


def wait_for_reports(gw: Gateway, district: District, minutes: dict[str, int],
                     cycles: int, waiting: list[tuple[str, str]],
                     timeout: float = 300.0) -> None:
    """Until each coach's time, the regions' cycles and the unsigned agreements show in the
    reports (reporting follows the events on the bus, so it lags the commands a little)."""
    leader = district.id(district.leader)
    query = f"?school_year={district.school_year}"
    regions = {district.region_id(code) for code in district.regions}
    schools = {district.id(s) for s in district.schools}
    expected_flags = {(district.id(c), district.id(s)) for c, s in waiting}

    def missing() -> str:
        """What the reports do not show yet ("" once they show it all)."""
        time_rows = gw.call("GET", "/reports/time-use" + query, leader,
                            Role.DISTRICT_LEADER).json()["rows"]
        shown = {r["key"]: r["minutes"] for r in time_rows if r["level"] == "coach"}
        behind = [c for c, m in minutes.items() if shown.get(district.id(c), 0) < m]
        if behind:
            return f"the time of {', '.join(district.name_of(c) for c in behind)}"
        plan = gw.call("GET", "/reports/plan-alignment" + query, leader,
                       Role.DISTRICT_LEADER).json()["rows"]
        counted = [r["cycles"] for r in plan if r["level"] == "region" and r["key"] in regions]
        if any(not isinstance(c, int) for c in counted):
            return "a region's cycles, suppressed (the district holds more than the demo)"
        if cycles and sum(counted) < cycles:
            return f"all {cycles} cycles ({sum(counted)} shown)"
        flags = {(r["coach_id"], r["school_id"]) for r in plan
                 if r["level"] == "flag_no_agreement" and r["school_id"] in schools}
        return "" if flags == expected_flags else "the agreements awaiting a principal"

    def answered() -> str:
        try:
            return missing()
        except RuntimeError:  # a service busy or restarting: ask again
            return "an answer from the gateway"

    deadline = time.monotonic() + timeout
    while waiting_for := answered():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the reports did not show the demo district within {timeout}s:"
                               f" still waiting for {waiting_for}")
        time.sleep(1)


def signing_in(district: District) -> dict[Role, tuple[str, str]]:
    """One person per role: who they are, and what the role lets them do."""
    school = district.schools[0]
    region = district.region_of[school]
    coach = district.coach_of(school)
    places = " and ".join(district.school_label(s) for s in district.coach_schools[coach])
    return {
        Role.DISTRICT_LEADER: (district.leader, "district coaching leader: every region,"
                               " school and coach, drilled down on the dashboard"),
        Role.CLT_REP: (district.representative_of[region],
                       f"CLT representative of the {region.title()} CLT: its schools and"
                       " the council of every region"),
        Role.PRINCIPAL: (district.principal_of[school], f"principal of"
                         f" {district.school_label(school)}: its coaches' agreements and time"),
        Role.COACH: (coach, f"coach at {places}: their caseload and week"),
        Role.IT_ADMIN: (district.it_admin, "district IT: the console (roster, people,"
                        " integration tokens, forgetting)"),
    }


def tokens(district: District) -> dict[str, str]:
    return {role.value: issue(uuid.UUID(district.id(person)), role)
            for role, (person, _) in signing_in(district).items()}


def load_demo_district(gateway: str, seed: int = 7, size: Size = FULL,
                       quiet: bool = False, amqp_uri: str | None = None) -> District:
    def say(message: str) -> None:
        if not quiet:
            print(message, flush=True)

    started_at = time.monotonic()
    today = clock.today()
    month, day = periods.school_year_start()
    year = periods.school_year_of(today, month, day)
    start = periods.school_year_range(year, month, day)[0]
    district = District.of(size, year)
    gw = Gateway(gateway)
    rng = random.Random(seed)

    recorded = import_roster(gw, district, start,
                             amqp_uri or settings.current().amqp_uri)
    say(f"demo roster: {len(district.regions)} regions, {len(district.schools)} schools,"
        f" {len(district.coach_schools)} coaches ({recorded} changes recorded)")
    # On paper on the year's first day, when the roster (imported from then) has everyone.
    waiting = district.awaiting_principal = sign_agreements(gw, district, start, today)
    say(f"demo agreements: {len(district.pairs()) - len(waiting)} signed,"
        f" {len(waiting)} awaiting the principal")

    days = school_days(year, today, size.school_weeks)
    coaches = list(district.coach_schools)
    seeds = {c: rng.random() for c in coaches}  # one stream per coach: runs in parallel

    def load_coach(coach: str) -> tuple[str, int, int]:
        own = random.Random(seeds[coach])
        work = run_cycles(gw, district, coach, today, own)
        minutes = import_time(gw, district, coach, [d for d in days if d < today], today, own)
        return coach, len(work), minutes + log_cycle_work(gw, district, coach, work, today)

    with ThreadPoolExecutor(max_workers=4) as pool:
        loaded = list(pool.map(load_coach, coaches))
    cycles = sum(c for _, c, _ in loaded)
    minutes = {coach: m for coach, _, m in loaded if m}
    say(f"demo work: {cycles} cycles started, {sum(minutes.values()) // 60} hours of time"
        f" over {len(days)} school days imported")
    wait_for_reports(gw, district, minutes, cycles, waiting)
    say(f"demo district loaded in {time.monotonic() - started_at:.0f}s;"
        f" the dashboard: {gateway}/dashboard/, the app: {gateway}/app/")
    issued = tokens(district)
    for role, (person, what) in signing_in(district).items():
        say(f"  {district.name_of(person)}, {what}:\n    {issued[role.value]}")
    return district

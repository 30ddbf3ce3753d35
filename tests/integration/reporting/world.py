"""A known history of one small district school year, as the envelopes the cycles,
timetracking and agreements services would publish, and the numbers the reports must
show, worked out here by plain arithmetic over the same story (not by the code under test).

Each world uses its own school year, so its district cell holds nothing but its own story
even though the test session's reporting database is shared.

The story (school year Y, i.e. Y-08-01 .. Y+1-07-31):
- Region R1 holds schools S1 and S2; region R2 holds S3.
- Coach C1 works at S1 until Y+1-01-15, then moves to S2. Coach C2 works at S3.
- C1-S1 agreement A1: v1 (focus fa-1) in force from Y-08-20; revised to v2 (fa-2, fa-3) in
  force from Y-11-01, but signed (recorded) only on Y-11-20. Last check-in Y-09-30, next due
  Y-12-15: overdue from then on.
- C1-S2 agreement A2: v1 (fa-9) in force from Y+1-01-20. C2 and S3 have none (flagged).
- Time entries of C1 and C2, one corrected (minutes and day), one voided.
- Cycles: three at S1 (teachers T1+T2, T3, T1), one at S2 (T4), one at S3 (T5), and a
  declined proposal at S1.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from coachops.contracts import Envelope, encode

COACHING, OTHER = "coaching", "other"
KIND = {"co-planning": COACHING, "modelling": COACHING, "covering": OTHER, "duty": OTHER}


def uid() -> uuid.UUID:
    return uuid.uuid4()


@dataclass
class Published:
    source: str
    body: dict[str, Any]

    @property
    def position(self) -> int:
        return int(self.body["position"])

    @property
    def event_type(self) -> str:
        return str(self.body["event_type"])


@dataclass
class World:
    year: int
    base: int = field(default_factory=lambda: 10**12 + random.randrange(10**9) * 1000)
    events: list[Published] = field(default_factory=list)
    positions: dict[str, int] = field(default_factory=dict)
    stream_positions: dict[uuid.UUID, int] = field(default_factory=dict)

    def d(self, month: int, day: int) -> date:
        """A date of this world's school year (months 8-12 in Y, 1-7 in Y+1)."""
        return date(self.year if month >= 8 else self.year + 1, month, day)

    def emit(self, source: str, event_type: str, stream: uuid.UUID, on: date,
             **payload: Any) -> Published:
        previous = self.positions.get(source)
        position = (previous or self.base) + 1
        self.positions[source] = position
        self.stream_positions[stream] = self.stream_positions.get(stream, 0) + 1
        recorded = datetime.combine(on, time(18, 0), tzinfo=UTC)
        body = encode(Envelope(
            event_type=event_type, version=1, source=source, stream_id=stream,
            stream_position=self.stream_positions[stream], position=position,
            previous_position=previous, occurred_at=recorded, recorded_at=recorded,
            payload=payload,
        ))
        published = Published(source, body)
        self.events.append(published)
        return published


@dataclass
class Story:
    """The world's ids, and the facts the expected numbers are computed from."""

    world: World
    r1: uuid.UUID = field(default_factory=uid)
    r2: uuid.UUID = field(default_factory=uid)
    s1: uuid.UUID = field(default_factory=uid)
    s2: uuid.UUID = field(default_factory=uid)
    s3: uuid.UUID = field(default_factory=uid)
    c1: uuid.UUID = field(default_factory=uid)
    c2: uuid.UUID = field(default_factory=uid)
    rep1: uuid.UUID = field(default_factory=uid)
    principal1: uuid.UUID = field(default_factory=uid)
    forgotten: uuid.UUID = field(default_factory=uid)
    a1: uuid.UUID = field(default_factory=uid)
    a2: uuid.UUID = field(default_factory=uid)
    teachers: list[uuid.UUID] = field(default_factory=lambda: [uid() for _ in range(6)])
    # What the test knows, kept by hand as the story is told:
    entries: dict[uuid.UUID, list[dict[str, Any]]] = field(default_factory=dict)
    voided: dict[uuid.UUID, date] = field(default_factory=dict)
    cycles: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    # (coach, school, effective_on, signed_recorded_on, focus areas)
    agreements: list[tuple[uuid.UUID, uuid.UUID, date, date, set[str]]] = field(
        default_factory=list)
    regions: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)

    # Telling the story --------------------------------------------------------------

    def roster(self) -> None:
        w = self.world
        start = w.d(8, 1)
        for region, label in ((self.r1, "North CLT"), (self.r2, "South CLT")):
            w.emit("agreements", "RegionDefined", region, start, region_id=region, label=label)
        for school, region in ((self.s1, self.r1), (self.s2, self.r1), (self.s3, self.r2)):
            w.emit("agreements", "SchoolDefined", school, start, school_id=school, label="S")
            w.emit("agreements", "SchoolAssignedToRegion", school, start, school_id=school,
                   region_id=region, effective_on=start)
            self.regions[school] = region
        w.emit("agreements", "CltRepresentativeChanged", self.r1, start, region_id=self.r1,
               representative_id=self.rep1, effective_on=start)
        w.emit("agreements", "PrincipalChanged", self.s1, start, school_id=self.s1,
               principal_id=self.principal1, effective_on=start)
        w.emit("agreements", "CoachAssignedToSchool", self.c1, start, coach_id=self.c1,
               school_id=self.s1, effective_on=start)
        w.emit("agreements", "CoachAssignedToSchool", self.c2, start, coach_id=self.c2,
               school_id=self.s3, effective_on=start)
        # District staff by name; a coach renamed, and one named and then forgotten.
        for person, name in ((self.c1, "Ada Brook"), (self.c2, "Bo Chen"),
                             (self.principal1, "Cy Dunn"), (self.c1, "Ada Brook-Evans"),
                             (self.forgotten, "Fay Gone")):
            w.emit("agreements", "StaffMemberNamed", person, start, person_id=person,
                   name=name)
        w.emit("agreements", "PersonForgotten", self.forgotten, start,
               person_id=self.forgotten, forgotten_on=start)
        for category, kind in KIND.items():
            w.emit("timetracking", "CategoryAdded", uuid.uuid5(uuid.NAMESPACE_URL, category),
                   start, category_id=category, label=category, kind=kind)

    def agreement(self, agreement: uuid.UUID, coach: uuid.UUID, school: uuid.UUID,
                  version: int, focus: list[str], effective_on: date, signed_on: date,
                  revised: bool = False) -> None:
        facts = dict(agreement_id=agreement, coach_id=coach, school_id=school,
                     school_year=self.world.year, version=version, focus_area_ids=focus)
        kind = "CoachingAgreementRevised" if revised else "CoachingAgreementDrafted"
        self.world.emit("agreements", kind, agreement, signed_on, check_in_every_weeks=6,
                        **facts)
        self.world.emit("agreements", "CoachingAgreementSigned", agreement, signed_on,
                        signed_by="coach", in_force=False, effective_on=effective_on, **facts)
        self.world.emit("agreements", "CoachingAgreementSigned", agreement, signed_on,
                        signed_by="principal", in_force=True, effective_on=effective_on,
                        **facts)
        self.agreements.append((coach, school, effective_on, signed_on, set(focus)))

    def record(self, coach: uuid.UUID, school: uuid.UUID, on: date, minutes: int,
               category: str, focus: str | None = None, cycle: uuid.UUID | None = None,
               event: str = "TimeEntryRecorded", entry: uuid.UUID | None = None,
               recorded_on: date | None = None) -> uuid.UUID:
        entry = entry or uid()
        values = dict(entry_id=entry, coach_id=coach, school_id=school, worked_on=on,
                      minutes=minutes, category_id=category, category_kind=KIND[category],
                      cycle_id=cycle, focus_area_id=focus)
        self.world.emit("timetracking", event, uuid.uuid5(coach, on.isoformat()),
                        recorded_on or on, **values)
        self.entries.setdefault(entry, []).append({**values, "recorded_on": recorded_on or on})
        return entry

    def void(self, entry: uuid.UUID, on: date) -> None:
        e = self.entries[entry][-1]
        self.world.emit("timetracking", "TimeEntryVoided", uuid.uuid5(e["coach_id"], "d"), on,
                        entry_id=entry, coach_id=e["coach_id"], worked_on=e["worked_on"])
        self.voided[entry] = on

    def cycle(self, coach: uuid.UUID, school: uuid.UUID, teachers: list[uuid.UUID],
              focus: list[str], started_on: date) -> uuid.UUID:
        cycle = uid()
        common = dict(cycle_id=cycle, coach_id=coach, school_id=school)
        self.world.emit("cycles", "CycleProposed", cycle, started_on,
                        teacher_count=len(teachers), focus_area_ids=focus, phase="plan",
                        proposed_by="coach", proposed_on=started_on, **common)
        self.world.emit("cycles", "CycleStarted", cycle, started_on, teacher_ids=teachers,
                        focus_area_ids=focus, phase="plan", started_on=started_on, **common)
        self.cycles[cycle] = {"coach": coach, "school": school, "teachers": set(teachers),
                              "focus": set(focus), "started_on": started_on, "phase": "plan",
                              "closed_on": None, "outcome": None, "steps": (0, 0)}
        return cycle

    def cycle_event(self, cycle: uuid.UUID, event_type: str, on: date, **payload: Any) -> None:
        c = self.cycles[cycle]
        self.world.emit("cycles", event_type, cycle, on, cycle_id=cycle, coach_id=c["coach"],
                        school_id=c["school"], **payload)

    def tell(self) -> Story:
        w, s1, s2, s3, c1, c2 = self.world, self.s1, self.s2, self.s3, self.c1, self.c2
        t = self.teachers
        self.roster()
        self.agreement(self.a1, c1, s1, 1, ["fa-1"], w.d(8, 20), w.d(8, 20))
        self.world.emit("agreements", "CheckInRecorded", self.a1, w.d(9, 30),
                        agreement_id=self.a1, coach_id=c1, school_id=s1, held_on=w.d(9, 30),
                        next_due_on=w.d(12, 15), focus_areas_revised=False)

        self.record(c1, s1, w.d(9, 5), 60, "co-planning", focus="fa-1")
        self.record(c1, s1, w.d(9, 6), 30, "covering")
        e3 = self.record(c1, s1, w.d(10, 3), 90, "modelling", focus="fa-2")
        # Corrected: 45 minutes, on the 4th (moved to that day's stream).
        self.record(c1, s1, w.d(10, 4), 45, "modelling", focus="fa-2",
                    event="TimeEntryCorrected", entry=e3, recorded_on=w.d(10, 20))
        self.record(c1, s1, w.d(11, 7), 120, "co-planning", focus="fa-2")
        # The revision: in force from Nov 1, signed on Nov 20.
        self.agreement(self.a1, c1, s1, 2, ["fa-2", "fa-3"], w.d(11, 1), w.d(11, 20),
                       revised=True)
        self.record(c1, s1, w.d(11, 8), 50, "co-planning", focus="fa-1", recorded_on=w.d(11, 21))
        e6 = self.record(c1, s1, w.d(12, 1), 40, "duty")
        self.void(e6, w.d(12, 2))

        k1 = self.cycle(c1, s1, [t[0], t[1]], ["fa-1"], w.d(9, 15))
        k2 = self.cycle(c1, s1, [t[2]], ["fa-3"], w.d(10, 1))
        k3 = self.cycle(c1, s1, [t[0]], ["fa-3"], w.d(11, 22))
        step = dict(owner_role="teacher")
        self.cycle_event(k1, "NextStepAdded", w.d(9, 20), step_id=uid(), complete_count=0,
                         total_count=1, due_on=w.d(10, 1), **step)
        self.cycle_event(k1, "NextStepCompleted", w.d(9, 28), step_id=uid(), complete_count=1,
                         total_count=1, completed_on=w.d(9, 28), **step)
        self.cycle_event(k1, "CycleClosed", w.d(12, 1), outcome="met", closed_on=w.d(12, 1),
                         phase="reflect", focus_area_ids=["fa-1"])
        self.cycles[k1].update(closed_on=w.d(12, 1), outcome="met", steps=(1, 1))
        self.cycle_event(k2, "CyclePhaseChanged", w.d(10, 10), from_phase="plan",
                         to_phase="act", cause="observation", changed_on=w.d(10, 10))
        self.cycle_event(k2, "NextStepAdded", w.d(10, 11), step_id=uid(), complete_count=0,
                         total_count=1, due_on=w.d(11, 1), **step)
        self.cycle_event(k2, "NextStepAdded", w.d(10, 12), step_id=uid(), complete_count=0,
                         total_count=2, due_on=w.d(11, 1), **step)
        self.cycles[k2].update(phase="act", steps=(0, 2))
        declined = uid()
        self.world.emit("cycles", "CycleProposed", declined, w.d(10, 2), cycle_id=declined,
                        coach_id=c1, school_id=s1, teacher_count=1, focus_area_ids=["fa-1"],
                        phase="plan", proposed_by="coach", proposed_on=w.d(10, 2))
        self.world.emit("cycles", "CycleDeclined", declined, w.d(10, 3), cycle_id=declined,
                        coach_id=c1, school_id=s1, focus_area_ids=["fa-1"],
                        declined_on=w.d(10, 3))

        # C1 moves from S1 to S2 mid-year.
        self.world.emit("agreements", "CoachUnassignedFromSchool", c1, w.d(1, 10),
                        coach_id=c1, school_id=s1, effective_on=w.d(1, 15))
        self.world.emit("agreements", "CoachAssignedToSchool", c1, w.d(1, 10), coach_id=c1,
                        school_id=s2, effective_on=w.d(1, 15))
        self.record(c1, s2, w.d(1, 16), 60, "co-planning", focus="fa-9")
        self.agreement(self.a2, c1, s2, 1, ["fa-9"], w.d(1, 20), w.d(1, 20))
        k4 = self.cycle(c1, s2, [t[3]], ["fa-9"], w.d(2, 1))
        self.record(c1, s2, w.d(2, 1), 80, "co-planning", cycle=k4)
        self.record(c1, s2, w.d(2, 2), 100, "covering")

        self.record(c2, s3, w.d(9, 10), 200, "covering")
        self.record(c2, s3, w.d(9, 11), 100, "co-planning", focus="fa-1")
        k5 = self.cycle(c2, s3, [t[4]], ["fa-1"], w.d(9, 20))
        self.cycle_event(k5, "CycleClosed", w.d(10, 20), outcome="not_met",
                         closed_on=w.d(10, 20), phase="reflect", focus_area_ids=["fa-1"])
        self.cycles[k5].update(closed_on=w.d(10, 20), outcome="not_met")
        self.k = {"k1": k1, "k2": k2, "k3": k3, "k4": k4, "k5": k5}
        return self

    # The expected numbers ----------------------------------------------------------

    def live_entries(self, known_on: date | None = None) -> list[dict[str, Any]]:
        """Entries as they count; with ``known_on``, as far as was recorded by then (a
        correction recorded later is not yet known)."""
        known_on = known_on or date.max
        out = []
        for entry_id, versions in self.entries.items():
            if entry_id in self.voided and self.voided[entry_id] <= known_on:
                continue
            known = [v for v in versions if v["recorded_on"] <= known_on]
            if known:
                out.append(known[-1])
        return out

    def focus_in_force(self, coach: uuid.UUID, school: uuid.UUID, on: date,
                       known_on: date | None = None) -> set[str]:
        best: tuple[date, set[str]] | None = None
        for a_coach, a_school, effective, signed, focus in self.agreements:
            if (a_coach, a_school) != (coach, school) or effective > on:
                continue
            if known_on is not None and signed > known_on:
                continue
            if best is None or effective >= best[0]:
                best = (effective, focus)
        return best[1] if best else set()

    def expected_time_use(self) -> dict[tuple[str, str], dict[str, Any]]:
        cells: dict[tuple[str, str], dict[str, Any]] = defaultdict(
            lambda: {"minutes": 0, "coaching_minutes": 0, "by": defaultdict(int)})
        for e in self.live_entries():
            region = self.regions[e["school_id"]]
            for level, key in (("district", "district"), ("region", str(region)),
                               ("school", str(e["school_id"])), ("coach", str(e["coach_id"])),
                               ("month", e["worked_on"].strftime("%Y-%m"))):
                cell = cells[(level, key)]
                cell["minutes"] += e["minutes"]
                if KIND[e["category_id"]] == COACHING:
                    cell["coaching_minutes"] += e["minutes"]
                cell["by"][e["category_id"]] += e["minutes"]
        return cells

    def expected_alignment(self, known_on: date | None = None,
                           month: str | None = None) -> dict[tuple[str, str], Any]:
        """Per cell: coaching and aligned minutes, cycles, aligned cycles, teachers. With
        ``known_on``, only what was recorded by then; with ``month``, only that month."""
        cells: dict[tuple[str, str], dict[str, Any]] = defaultdict(
            lambda: {"coaching": 0, "aligned": 0, "cycles": set(), "aligned_cycles": set(),
                     "teachers": set()})
        for e in self.live_entries(known_on):
            if KIND[e["category_id"]] != COACHING:
                continue
            if month and e["worked_on"].strftime("%Y-%m") != month:
                continue
            focus = self.focus_in_force(e["coach_id"], e["school_id"], e["worked_on"], known_on)
            served = {e["focus_area_id"]} if e["focus_area_id"] else set()
            if e["cycle_id"]:
                served |= self.cycles[e["cycle_id"]]["focus"]
            for key in self._alignment_keys(e["coach_id"], e["school_id"], e["worked_on"]):
                cells[key]["coaching"] += e["minutes"]
                cells[key]["aligned"] += e["minutes"] if served & focus else 0
        for cycle_id, c in self.cycles.items():
            if known_on is not None and c["started_on"] > known_on:
                continue
            if month and c["started_on"].strftime("%Y-%m") != month:
                continue
            focus = self.focus_in_force(c["coach"], c["school"], c["started_on"], known_on)
            for key in self._alignment_keys(c["coach"], c["school"], c["started_on"]):
                cells[key]["cycles"].add(cycle_id)
                cells[key]["teachers"] |= c["teachers"]
                if c["focus"] & focus:
                    cells[key]["aligned_cycles"].add(cycle_id)
        return cells

    def _alignment_keys(self, coach: uuid.UUID, school: uuid.UUID,
                        on: date) -> list[tuple[str, str]]:
        return [("district", "district"), ("region", str(self.regions[school])),
                ("school", str(school)), ("coach_school", f"{coach}/{school}"),
                ("month", on.strftime("%Y-%m"))]

    def expected_cycles(self) -> dict[tuple[str, str], dict[str, Any]]:
        cells: dict[tuple[str, str], dict[str, Any]] = defaultdict(
            lambda: {"teachers": set(), "started": 0, "closed": 0, "phase": defaultdict(int),
                     "outcome": defaultdict(int), "complete": 0, "total": 0})
        for c in self.cycles.values():
            for key in (("district", "district"), ("region", str(self.regions[c["school"]])),
                        ("school", str(c["school"]))):
                cell = cells[key]
                cell["teachers"] |= c["teachers"]
                cell["started"] += 1
                if c["closed_on"]:
                    cell["closed"] += 1
                    cell["outcome"][c["outcome"]] += 1
                else:
                    cell["phase"][c["phase"]] += 1
                cell["complete"] += c["steps"][0]
                cell["total"] += c["steps"][1]
        return cells

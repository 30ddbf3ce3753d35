"""The demo district itself: its regions, schools and people with names that look real,
the goals coaches set by focus area, and the roster files district IT would export for it
(``deploy/demo.py`` loads it through the gateway)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from services.agreements.roster import region_id, roster_id
from services.agreements.roster_files import to_csv

REGION_NAMES = ("North", "South", "East", "West", "Central", "Valley")
# One name per school of the full demo district (24), so no two schools are called alike.
SCHOOL_NAMES = ("Oak Ridge", "Maple Grove", "Riverside", "Cedar Hollow", "Hillcrest",
                "Lakeview", "Pine Bluff", "Brookside", "Fairview", "Sunrise", "Willow Creek",
                "Harbor", "Stonebridge", "Meadowlark", "Granite Falls", "Aspen", "Foxhall",
                "Juniper", "Kingsley", "Bayview", "Orchard Park", "Redwood", "Silver Lake",
                "Thornton")
GIVEN = ("Ana", "Ben", "Chloe", "Dev", "Emma", "Felix", "Grace", "Hiro", "Ines", "Jamal",
         "Kate", "Luis", "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tariq")
FAMILY = ("Abbott", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito",
          "Jones", "Khan", "Lopez", "Moore", "Nguyen", "Okafor", "Patel", "Reyes", "Smith")
FOCUS_AREAS = {
    "danielson-2a": "Creating an environment of respect and rapport",
    "danielson-2b": "Establishing a culture for learning",
    "danielson-3b": "Using questioning and discussion techniques",
    "danielson-3c": "Engaging students in learning",
    "school-goal-literacy": "Grade-level reading by grade 3",
    "school-goal-math": "Math discourse in every classroom",
}
# Goals as teachers word them, a few per focus area: (what, how it is measured).
GOALS = {
    "danielson-2a": [("Every student is greeted by name and feels safe to take risks",
                      "student survey: 'my teacher knows me' agreement"),
                     ("Fewer redirections during group work", "redirections per 20 minutes")],
    "danielson-2b": [("Students revise work until it meets the success criteria",
                      "share of drafts revised against the rubric"),
                     ("Students say why today's learning matters", "exit-ticket responses")],
    "danielson-3b": [("Half of my questions ask students to explain or compare",
                      "tally of question levels per lesson"),
                     ("Students answer each other, not only me", "student-to-student turns")],
    "danielson-3c": [("Every student writes or talks in the first five minutes",
                      "students engaged at minute five"),
                     ("Less teacher talk, more student talk", "teacher talk time per lesson")],
    "school-goal-literacy": [("Grade 3 readers use decoding strategies on their own",
                              "running-record self-corrections"),
                             ("Small-group reading every day for students below benchmark",
                              "minutes of small-group reading per week")],
    "school-goal-math": [("Students justify answers with evidence in discussion",
                          "share of student turns that cite evidence"),
                         ("Students try a second strategy before asking for help",
                          "problems attempted two ways")],
}
DISTRICT = "demo-district"


@dataclass(frozen=True)
class Size:
    regions: int = 6
    schools_per_region: int = 4
    coaches: int = 16
    teachers_per_school: int = 10
    cycles_per_school: int = 4
    school_weeks: int | None = None  # None: every school week of the year so far


FULL = Size()
# For the browser tests: every role and view has something true to show, in seconds.
SMALL = Size(regions=2, schools_per_region=2, coaches=3, teachers_per_school=6,
             cycles_per_school=4, school_weeks=7)


@dataclass
class District:
    """Who is who in the demo district: roster sourcedIds, and the ids the platform uses."""

    size: Size
    school_year: int
    regions: list[str] = field(default_factory=list)  # region codes
    schools: list[str] = field(default_factory=list)  # school sourcedIds
    region_of: dict[str, str] = field(default_factory=dict)
    principal_of: dict[str, str] = field(default_factory=dict)
    coach_schools: dict[str, list[str]] = field(default_factory=dict)
    teachers_of: dict[str, list[str]] = field(default_factory=dict)
    representative_of: dict[str, str] = field(default_factory=dict)
    awaiting_principal: list[tuple[str, str]] = field(default_factory=list)  # (coach, school)
    leader: str = "demo-leader-01"
    it_admin: str = "demo-it-01"

    @classmethod
    def of(cls, size: Size, school_year: int) -> District:
        d = cls(size, school_year)
        d.regions = [name.lower() for name in REGION_NAMES[:size.regions]]
        count = size.regions * size.schools_per_region
        for s in range(count):
            school = f"demo-school-{s + 1:02d}"
            d.schools.append(school)
            d.region_of[school] = d.regions[s % size.regions]
            d.principal_of[school] = f"demo-principal-{s + 1:02d}"
            d.teachers_of[school] = [f"demo-teacher-{s + 1:02d}-{t + 1:02d}"
                                     for t in range(size.teachers_per_school)]
        for c in range(size.coaches):
            # Every school has a coach; with fewer coaches than schools some serve two.
            d.coach_schools[f"demo-coach-{c + 1:02d}"] = d.schools[c::size.coaches]
        for code in d.regions:
            # The CLT elects one of its coaches: the coach of the region's first school.
            first = next(s for s in d.schools if d.region_of[s] == code)
            d.representative_of[code] = d.coach_of(first)
        return d

    def coach_of(self, school: str) -> str:
        return next(c for c, schools in self.coach_schools.items() if school in schools)

    def pairs(self) -> list[tuple[str, str]]:
        return [(c, s) for c, schools in self.coach_schools.items() for s in schools]

    def school_label(self, school: str) -> str:
        n = self.schools.index(school)
        kind = ("Elementary", "Middle", "High")[n % 3]
        return f"{SCHOOL_NAMES[n % len(SCHOOL_NAMES)]} {kind} School"

    def focus_of(self, school: str) -> list[str]:
        """Two focus areas from the school's improvement plan."""
        names = list(FOCUS_AREAS)
        n = self.schools.index(school)
        return [names[n % len(names)], names[(n + 2) % len(names)]]

    # The ids the platform gives them, for tokens and the tests -------------------------

    def id(self, sourced_id: str) -> str:
        return str(roster_id(sourced_id))

    def region_id(self, code: str) -> str:
        return str(region_id(code))

    # The roster files ------------------------------------------------------------------

    def people(self) -> list[tuple[str, str, list[str]]]:
        """Everyone on the roster, in users.csv's order: (sourcedId, OneRoster role, orgs)."""
        people = [(self.leader, "administrator", [DISTRICT]),
                  (self.it_admin, "administrator", [DISTRICT])]
        people += [(p, "administrator", [s]) for s, p in self.principal_of.items()]
        people += [(c, "teacher", schools) for c, schools in self.coach_schools.items()]
        people += [(t, "teacher", [s]) for s, ts in self.teachers_of.items() for t in ts]
        return people

    def name_of(self, sourced_id: str) -> str:
        n = next(n for n, (p, _, _) in enumerate(self.people()) if p == sourced_id)
        return f"{GIVEN[n % len(GIVEN)]} {FAMILY[(n * 7) % len(FAMILY)]}"

    def files(self, start: date) -> dict[str, str]:
        modified = f"{start.isoformat()}T12:00:00.000Z"
        orgs = [{"sourcedId": DISTRICT, "status": "active", "dateLastModified": modified,
                 "name": "Demo Unified School District", "type": "district"}]
        orgs += [{"sourcedId": s, "status": "active", "dateLastModified": modified,
                  "name": self.school_label(s), "type": "school", "parentSourcedId": DISTRICT}
                 for s in self.schools]
        users = [{"sourcedId": p, "status": "active", "dateLastModified": modified,
                  "enabledUser": "true", "orgSourcedIds": ",".join(orgs_of), "role": role,
                  "givenName": GIVEN[n % len(GIVEN)],
                  "familyName": FAMILY[(n * 7) % len(FAMILY)]}
                 for n, (p, role, orgs_of) in enumerate(self.people())]
        regions = [{"region_code": code, "label": f"{code.title()} CLT",
                    "clt_representative_sourced_id": self.representative_of[code]}
                   for code in self.regions]
        on = start.isoformat()
        assignments = [{"kind": "school_region", "school_sourced_id": s,
                        "region_code": self.region_of[s], "effective_on": on}
                       for s in self.schools]
        assignments += [{"kind": "principal", "person_sourced_id": p, "school_sourced_id": s,
                         "effective_on": on} for s, p in self.principal_of.items()]
        assignments += [{"kind": "coach", "person_sourced_id": c, "school_sourced_id": s,
                         "effective_on": on} for c, s in self.pairs()]
        assignments += [{"kind": "district_leader", "person_sourced_id": self.leader,
                         "effective_on": on},
                        {"kind": "it_admin", "person_sourced_id": self.it_admin,
                         "effective_on": on}]
        return {
            "orgs": to_csv(("sourcedId", "status", "dateLastModified", "name", "type",
                          "parentSourcedId"), orgs),
            "users": to_csv(("sourcedId", "status", "dateLastModified", "enabledUser",
                           "orgSourcedIds", "role", "givenName", "familyName"), users),
            "regions": to_csv(("region_code", "label", "clt_representative_sourced_id"),
                            regions),
            "assignments": to_csv(("kind", "person_sourced_id", "school_sourced_id",
                                 "region_code", "effective_on"), assignments),
        }

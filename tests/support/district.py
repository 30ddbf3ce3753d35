"""A generated school district of realistic size, as the roster files district IT would
export: OneRoster 1.1 ``orgs.csv`` and ``users.csv``, and the district's ``regions.csv``
and ``assignments.csv`` (see ``services/agreements/roster_files.py`` for the columns).

    d = District.generate()          # 102 schools in 6 regions, 100 coaches, 5,000 teachers
    files = d.files()                # {"orgs": "...", "users": ..., "regions": ..., ...}
    d.principals[school] = "p-new"   # change it, and files() exports the changed roster

Everything is deterministic (no randomness), so two calls give the same files, and the
ids the service gives people are ``services.agreements.roster.roster_id(sourced_id)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from services.agreements.roster_files import to_csv

ORG_COLUMNS = ("sourcedId", "status", "dateLastModified", "name", "type", "identifier",
               "parentSourcedId")
USER_COLUMNS = ("sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds",
                "role", "username", "userIds", "givenName", "familyName", "middleName",
                "identifier", "email", "sms", "phone", "agentSourcedIds", "grades", "password")
GIVEN = ("Ana", "Ben", "Chloe", "Dev", "Emma", "Felix", "Grace", "Hiro", "Ines", "Jamal",
         "Kate", "Luis", "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tariq")
FAMILY = ("Abbott", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito",
          "Jones", "Khan", "Lopez", "Moore", "Nguyen", "Okafor", "Patel", "Reyes", "Smith")
START = date(2026, 8, 1)
MODIFIED = "2026-07-15T12:00:00.000Z"
DISTRICT = "district-1"




@dataclass
class Person:
    sourced_id: str
    role: str  # OneRoster role
    given_name: str
    family_name: str
    schools: list[str]


@dataclass
class District:
    schools: dict[str, str] = field(default_factory=dict)  # sourcedId -> name
    regions: dict[str, str] = field(default_factory=dict)  # code -> label
    region_of: dict[str, str] = field(default_factory=dict)  # school -> region code
    representatives: dict[str, str] = field(default_factory=dict)  # region -> person
    people: dict[str, Person] = field(default_factory=dict)
    principals: dict[str, str] = field(default_factory=dict)  # school -> person
    coaching: dict[str, list[str]] = field(default_factory=dict)  # coach -> schools
    teachers: list[str] = field(default_factory=list)
    leaders: list[str] = field(default_factory=list)  # district coaching leaders
    # Extra rows of assignments.csv (history): (kind, person, school, region, date).
    history: list[tuple[str, str, str, str, date]] = field(default_factory=list)

    @classmethod
    def generate(cls, schools: int = 102, regions: int = 6, coaches: int = 100,
                 teachers: int = 5000, leaders: int = 2, prefix: str = "") -> District:
        """A district; ``prefix`` starts every sourcedId and region code, so a second
        district can be imported beside the first without touching its schools."""
        d = cls()
        for r in range(regions):
            d.regions[f"{prefix}clt-{r + 1}"] = f"CLT {r + 1}"
        codes = list(d.regions)
        for s in range(schools):
            school = f"{prefix}school-{s + 1:04d}"
            kind = ("Elementary", "Middle", "High")[s % 3]
            d.schools[school] = f"{FAMILY[s % len(FAMILY)]} {kind} School {s + 1}"
            d.region_of[school] = codes[s % regions]
            principal = f"{prefix}principal-{s + 1:04d}"
            d._person(principal, "administrator", s, [school])
            d.principals[school] = principal
        names = list(d.schools)
        for c in range(coaches):
            coach = f"{prefix}coach-{c + 1:04d}"
            # Every school has a coach; the first coaches cover the schools left over.
            assigned = [names[i] for i in range(c, schools, coaches)]
            d._person(coach, "teacher", c + 7, assigned)
            d.coaching[coach] = assigned
        for t in range(teachers):
            teacher = f"{prefix}teacher-{t + 1:05d}"
            d._person(teacher, "teacher", t + 3, [names[t % schools]])
            d.teachers.append(teacher)
        for r, code in enumerate(codes):
            # A principal of one of the region's schools represents it on the CLT.
            d.representatives[code] = d.principals[names[r]]
        for n in range(leaders):
            leader = f"{prefix}leader-{n + 1:04d}"
            d._person(leader, "administrator", n + 11, [DISTRICT])  # the district office
            d.leaders.append(leader)
        return d

    def add_leader(self, sourced_id: str) -> None:
        """One more district coaching leader, at the district office."""
        self._person(sourced_id, "administrator", len(self.leaders) + 11, [DISTRICT])
        self.leaders.append(sourced_id)

    def _person(self, sourced_id: str, role: str, n: int, schools: list[str]) -> None:
        self.people[sourced_id] = Person(sourced_id, role, GIVEN[n % len(GIVEN)],
                                         FAMILY[(n // len(GIVEN)) % len(FAMILY)], schools)

    def files(self) -> dict[str, str]:
        return {"orgs": self.orgsto_csv(), "users": self.usersto_csv(),
                "regions": self.regionsto_csv(), "assignments": self.assignmentsto_csv()}

    def orgsto_csv(self) -> str:
        rows = [{"sourcedId": DISTRICT, "status": "active", "dateLastModified": MODIFIED,
                 "name": "Example Unified School District", "type": "district",
                 "identifier": "EUSD"}]
        rows += [{"sourcedId": s, "status": "active", "dateLastModified": MODIFIED,
                  "name": name, "type": "school", "identifier": s.upper(),
                  "parentSourcedId": DISTRICT} for s, name in self.schools.items()]
        return to_csv(ORG_COLUMNS, rows)

    def usersto_csv(self) -> str:
        rows = []
        for p in self.people.values():
            username = f"{p.given_name[0]}{p.family_name}.{p.sourced_id}".lower()
            rows.append({
                "sourcedId": p.sourced_id, "status": "active", "dateLastModified": MODIFIED,
                "enabledUser": "true", "orgSourcedIds": ",".join(p.schools), "role": p.role,
                "username": username, "givenName": p.given_name,
                "familyName": p.family_name, "identifier": p.sourced_id.upper(),
                "email": f"{username}@example.org"})
        # A student and a parent, as real exports have: the service must skip them.
        rows.append({"sourcedId": "student-1", "status": "active", "enabledUser": "true",
                     "orgSourcedIds": next(iter(self.schools)), "role": "student",
                     "givenName": "Stu", "familyName": "Dent", "grades": "04"})
        rows.append({"sourcedId": "parent-1", "status": "active", "enabledUser": "true",
                     "orgSourcedIds": DISTRICT, "role": "parent", "givenName": "Pat",
                     "familyName": "Dent", "agentSourcedIds": "student-1"})
        return to_csv(USER_COLUMNS, rows)

    def regionsto_csv(self) -> str:
        return to_csv(("region_code", "label", "clt_representative_sourced_id"),
                    [{"region_code": code, "label": label,
                      "clt_representative_sourced_id": self.representatives.get(code, "")}
                     for code, label in self.regions.items()])

    def assignmentsto_csv(self) -> str:
        rows = [{"kind": "school_region", "school_sourced_id": s, "region_code": r,
                 "effective_on": START.isoformat()} for s, r in self.region_of.items()]
        rows += [{"kind": "principal", "person_sourced_id": p, "school_sourced_id": s,
                  "effective_on": START.isoformat()} for s, p in self.principals.items()]
        rows += [{"kind": "coach", "person_sourced_id": c, "school_sourced_id": s,
                  "effective_on": START.isoformat()}
                 for c, schools in self.coaching.items() for s in schools]
        rows += [{"kind": "district_leader", "person_sourced_id": p,
                  "effective_on": START.isoformat()} for p in self.leaders]
        rows += [{"kind": k, "person_sourced_id": p, "school_sourced_id": s,
                  "region_code": r, "effective_on": on.isoformat()}
                 for k, p, s, r, on in self.history]
        return to_csv(("kind", "person_sourced_id", "school_sourced_id", "region_code",
                     "effective_on"), rows)

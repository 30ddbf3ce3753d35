"""A school whose people have names and emails, for the tests that find people the way
district IT does (by name, email or sourcedId): one roster import through the gateway,
like ``tests/support/roster.py``, whose people are named after their sourcedIds only.

    s = named_school(platform)
    s.coach.sourced_id, s.coach.email, s.coach.id, s.coach.name, s.name
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.agreements.roster import roster_id
from services.agreements.roster_files import to_csv
from tests.support.district import ORG_COLUMNS, USER_COLUMNS
from tests.support.platform import Platform
from tests.support.roster import DISTRICT_ORG, FROM, import_files, wait_known


@dataclass(frozen=True)
class Named:
    sourced_id: str
    given_name: str
    family_name: str
    email: str

    @property
    def id(self) -> str:
        return str(roster_id(self.sourced_id))

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@dataclass(frozen=True)
class NamedSchool:
    tag: str
    name: str
    sourced_id: str
    coach: Named
    teacher: Named
    principal: Named
    leader: Named  # the district's coaching leader

    @property
    def id(self) -> str:
        return str(roster_id(self.sourced_id))


def _named(tag: str, role: str, given: str, family: str) -> Named:
    return Named(f"{role}-{tag}", given, f"{family}{tag}",
                 f"{given.lower()}.{family.lower()}{tag}@district.example")


def named_school(platform: Platform) -> NamedSchool:
    tag = uuid.uuid4().hex[:8]
    s = NamedSchool(tag, f"Maplewood Elementary {tag}", f"maplewood-{tag}",
                    _named(tag, "coach", "Rosalind", "Okonkwo"),
                    _named(tag, "teacher", "Tobias", "Lindqvist"),
                    _named(tag, "principal", "Priya", "Raman"),
                    _named(tag, "leader", "Dolores", "Haverford"))
    orgs = [{"sourcedId": DISTRICT_ORG, "status": "active", "name": "Test district",
             "type": "district"},
            {"sourcedId": s.sourced_id, "status": "active", "name": s.name, "type": "school",
             "parentSourcedId": DISTRICT_ORG}]
    users = [{"sourcedId": p.sourced_id, "status": "active", "enabledUser": "true",
              "orgSourcedIds": org, "role": role, "givenName": p.given_name,
              "familyName": p.family_name, "email": p.email}
             for p, role, org in ((s.coach, "teacher", s.sourced_id),
                                  (s.teacher, "teacher", s.sourced_id),
                                  (s.principal, "administrator", s.sourced_id),
                                  (s.leader, "administrator", DISTRICT_ORG))]
    region = f"r-{s.sourced_id}"

    def row(kind: str, person: str = "", school: str = "", region: str = "") -> dict[str, str]:
        return {"kind": kind, "person_sourced_id": person, "school_sourced_id": school,
                "region_code": region, "effective_on": FROM.isoformat()}

    rows = [row("school_region", school=s.sourced_id, region=region),
            row("coach", s.coach.sourced_id, s.sourced_id),
            row("principal", s.principal.sourced_id, s.sourced_id),
            row("district_leader", s.leader.sourced_id)]
    files = {"orgs": to_csv(ORG_COLUMNS, orgs), "users": to_csv(USER_COLUMNS, users),
             "regions": to_csv(("region_code", "label", "clt_representative_sourced_id"),
                               [{"region_code": region, "label": f"North {tag}",
                                 "clt_representative_sourced_id": ""}]),
             "assignments": to_csv(("kind", "person_sourced_id", "school_sourced_id",
                                    "region_code", "effective_on"), rows)}
    import_files(platform, {**files, "effective_on": FROM.isoformat()})
    wait_known(platform, s.id, [s.coach.id], "coach", FROM)
    wait_known(platform, s.id, [s.teacher.id], "teacher", FROM)
    return s

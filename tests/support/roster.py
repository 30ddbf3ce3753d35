"""People on the roster of the running platform, for tests: the gateway serves only roles
the roster gives (``gateway.roster_roles``), and the services check who works where.

It goes through the real roster import (``POST /roster/import``, as district IT), with
files naming only the test's own school, region and people, so it ends nobody else's
assignment (an import ends only what its files name: their schools' coaches and teachers,
the district-wide roles of people its users.csv lists). Everything takes effect on
``FROM``, before any date a test uses (about four months ago).

    from tests.support.roster import person, school
    s = school(platform, coaches=1, teachers=2, principal=True)   # one import
    s.id, s.coaches[0], s.teachers, s.principal, s.region_id       # roster ids (str)
    teacher = s.add(platform, "teacher")                            # one more, same school
    leader = person(platform, "district_leader")                    # also "it_admin"
    coach = person(platform, "coach")                               # at a school of its own
    headers = bearer(coach, "coach")                                # tests.support.auth

A coach or a teacher is also waited for until the cycles and time-tracking services have
the roster fact (they learn it from the bus), so the next request is decided on it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import requests
from nameko.standalone.rpc import ClusterRpcProxy

from coachops import clock
from deploy.roster_import import wait_for_import
from services.agreements.appoint import appoint_it_admin
from services.agreements.roster import region_id, roster_id
from services.agreements.roster_files import to_csv
from tests.support.auth import bearer
from tests.support.bus import AMQP
from tests.support.district import ORG_COLUMNS, USER_COLUMNS
from tests.support.platform import Platform, wait_until

# Before any date a test writes (its days go back weeks, not months), and after the school
# years the reporting tests tell their stories in (up to 2025-26), which must stay their own.
FROM = clock.today() - timedelta(days=120)
DISTRICT_ORG = "test-district"
SCHOOL_ROLES = ("coach", "teacher", "principal", "clt_rep")
DISTRICT_ROLES = ("district_leader", "it_admin")
ADMIN = "test-it-admin"  # the first IT administrator, appointed by the bootstrap command
_appointed: set[tuple[int, str]] = set()  # the platforms (and brokers) it was done on


def amqp_of(platform: Platform) -> str:
    return str(platform.env.get("AMQP_URI", AMQP))


def it_admin_headers(platform: Platform) -> dict[str, str]:
    """District IT's first administrator, appointed once per platform as on a fresh
    install (``python -m services.agreements.appoint``)."""
    key = (id(platform), amqp_of(platform))
    if key not in _appointed:
        appoint_it_admin(amqp_of(platform), roster_id(ADMIN), FROM.isoformat())
        _appointed.add(key)
    return bearer(roster_id(ADMIN), "it_admin")


@dataclass
class RosterSchool:
    sourced_id: str
    since: date = FROM  # when everything here takes effect
    people: dict[str, str] = field(default_factory=dict)  # sourced id -> role here
    handed_out: set[str] = field(default_factory=set)  # by fresh()

    @property
    def id(self) -> str:
        return str(roster_id(self.sourced_id))

    @property
    def region_code(self) -> str:
        return f"r-{self.sourced_id}"

    @property
    def region_id(self) -> str:
        return str(region_id(self.region_code))

    def ids(self, role: str) -> list[str]:
        return [str(roster_id(p)) for p, r in self.people.items() if r == role]

    @property
    def coaches(self) -> list[str]:
        return self.ids("coach")

    @property
    def teachers(self) -> list[str]:
        return self.ids("teacher")

    @property
    def principal(self) -> str:
        return self.ids("principal")[-1]

    @property
    def clt_rep(self) -> str:
        return self.ids("clt_rep")[-1]

    def add(self, platform: Platform, role: str, count: int = 1) -> str:
        """``count`` more people in ``role`` here; the last one's id."""
        added = [self._new(role) for _ in range(count)]
        _import(platform, self)
        wait_known(platform, self.id, added, role, self.since)
        return added[-1]

    def remove(self, platform: Platform, person_id: str) -> None:
        """The school's next import without them: their assignment here ends."""
        self.people = {p: r for p, r in self.people.items() if str(roster_id(p)) != person_id}
        _import(platform, self)

    def fresh(self, platform: Platform, role: str) -> str:
        """Someone in ``role`` here whom ``fresh`` has not given before: made in advance
        by ``school(...)``, or added now."""
        unused = [p for p in self.ids(role) if p not in self.handed_out]
        chosen = unused[0] if unused else self.add(platform, role)
        self.handed_out.add(chosen)
        return chosen

    def _new(self, role: str) -> str:
        if role not in SCHOOL_ROLES:
            raise ValueError(f"{role} is not a school's role: use person()")
        sourced = f"{role}-{uuid.uuid4().hex[:12]}"
        self.people[sourced] = role
        return str(roster_id(sourced))


def school(platform: Platform, coaches: int = 0, teachers: int = 0, principal: bool = False,
           clt_rep: bool = False, since: date = FROM) -> RosterSchool:
    """A new school (in a region of its own) with these people, in one import; ``since``
    for a test whose reports must not see them in earlier school years."""
    made = RosterSchool(f"school-{uuid.uuid4().hex[:12]}", since)
    wanted = {"coach": coaches, "teacher": teachers, "principal": int(principal),
              "clt_rep": int(clt_rep)}
    added = {role: [made._new(role) for _ in range(n)] for role, n in wanted.items()}
    _import(platform, made)
    for role, ids in added.items():
        wait_known(platform, made.id, ids, role, made.since)
    return made


def person(platform: Platform, role: str) -> str:
    """One person in ``role``: district-wide, or at a new school of their own."""
    if role in SCHOOL_ROLES:
        counts = {"coach": {"coaches": 1}, "teacher": {"teachers": 1},
                  "principal": {"principal": True}, "clt_rep": {"clt_rep": True}}
        return school(platform, **counts[role]).ids(role)[-1]  # type: ignore[arg-type]
    if role not in DISTRICT_ROLES:
        raise ValueError(f"no such role {role!r}")
    sourced = f"{role}-{uuid.uuid4().hex[:12]}"
    _post(platform, _files([_user(sourced, "administrator", DISTRICT_ORG)], [], [],
                           [_row(role, sourced)]))
    return str(roster_id(sourced))


# The files ----------------------------------------------------------------------------------

def _user(sourced: str, role: str, org: str) -> dict[str, str]:
    return {"sourcedId": sourced, "status": "active", "enabledUser": "true",
            "orgSourcedIds": org, "role": role, "givenName": "Test",
            "familyName": sourced[:40]}


def _row(kind: str, person: str = "", school: str = "", region: str = "",
         since: date = FROM) -> dict[str, str]:
    return {"kind": kind, "person_sourced_id": person, "school_sourced_id": school,
            "region_code": region, "effective_on": since.isoformat()}


def _files(users: list[dict[str, str]], schools: list[RosterSchool],
           regions: list[dict[str, str]], rows: list[dict[str, str]]) -> dict[str, str]:
    orgs = [{"sourcedId": DISTRICT_ORG, "status": "active", "name": "Test district",
             "type": "district"}]
    orgs += [{"sourcedId": s.sourced_id, "status": "active", "name": s.sourced_id,
              "type": "school", "parentSourcedId": DISTRICT_ORG} for s in schools]
    return {"orgs": to_csv(ORG_COLUMNS, orgs), "users": to_csv(USER_COLUMNS, users),
            "regions": to_csv(("region_code", "label", "clt_representative_sourced_id"),
                              regions),
            "assignments": to_csv(("kind", "person_sourced_id", "school_sourced_id",
                                   "region_code", "effective_on"), rows)}


def _import(platform: Platform, s: RosterSchool) -> None:
    """The school's whole roster again (an import ends what its school's files omit)."""
    role_of = {"principal": "administrator", "clt_rep": "administrator"}
    users = [_user(p, role_of.get(r, "teacher"), s.sourced_id) for p, r in s.people.items()]
    reps = [p for p, r in s.people.items() if r == "clt_rep"]
    regions = [{"region_code": s.region_code, "label": s.region_code,
                "clt_representative_sourced_id": reps[-1] if reps else ""}]
    rows = [_row("school_region", school=s.sourced_id, region=s.region_code, since=s.since)]
    rows += [_row("coach", p, s.sourced_id, since=s.since)
             for p, r in s.people.items() if r == "coach"]
    principals = [p for p, r in s.people.items() if r == "principal"]
    rows += [_row("principal", p, s.sourced_id, since=s.since)
             for p in principals[-1:]]  # one a date
    _post(platform, _files(users, [s], regions, rows), s.since)


def _post(platform: Platform, files: dict[str, str], since: date = FROM) -> None:
    import_files(platform, {**files, "effective_on": since.isoformat()})


def import_files(platform: Platform, body: dict[str, Any]) -> dict[str, Any]:
    """The roster import as district IT runs it: posted (202), then followed until it is
    done; its record (``ImportFailed`` when it failed)."""
    response = requests.post(f"{platform.url}/roster/import", json=body, timeout=120,
                             headers=it_admin_headers(platform))
    return wait_for_import(platform.url, response, it_admin_headers(platform))


def wait_known(platform: Platform, school_id: str, people: list[str], role: str,
               on: date) -> None:
    """Until the services that keep the roster's facts of their own (cycles, time
    tracking) know these coaches or teachers at the school on ``on``."""
    services = {"coach": ("cycles", "timetracking"), "teacher": ("cycles",)}.get(role, ())
    if not people or not services:
        return
    with ClusterRpcProxy({"AMQP_URI": amqp_of(platform)}, timeout=20) as cluster:
        for service in services:
            for someone in people:
                def known(service: str = service, someone: str = someone) -> bool:
                    return bool(getattr(cluster, service).roster_knows(
                        someone, school_id, role, on.isoformat()))

                wait_until(known, timeout=30,
                           what=f"{service} to learn that {someone} is a {role} at {school_id}")


_anyone: dict[tuple[int, str, str], str] = {}


def anyone(platform: Platform, role: str) -> dict[str, str]:
    """Headers of a person in ``role`` for a test that needs one but not whom (a district
    leader, district IT): one per role, made once per platform."""
    if role == "it_admin":
        return it_admin_headers(platform)
    key = (id(platform), amqp_of(platform), role)
    if key not in _anyone:
        _anyone[key] = person(platform, role)
    return bearer(_anyone[key], role)

"""Importing the district roster: a OneRoster export as the SIS makes it (1.0, 1.1 or
1.2, whole or delta), plus two small district files when the district keeps them.

All or nothing. Every line of every file is checked first; one bad line and nothing is
saved, and district IT gets every problem as ``{file, line, field, reason}`` (the header
is line 1, fields named as the file's columns). A good set of files is compared with the
roster in the store and only the differences become events, saved by the caller in one
transaction: importing the same files again records nothing. ``changes`` says what a plan
changes (people arriving, leaving, moving, changing role; schools and regions added): a dry
run answers it without saving the plan, and an import's record keeps it.

The export comes as one zip (the gateway unpacks it: ``gateway.routes.agreements.unzipped``)
or as separate files. Of its files only these are read; the others (``academicSessions``,
``courses``, ``classes``, ``enrollments``, ``demographics``...) are ignored. Of each file
only the columns named here are read; the others may be there or not.

``manifest.csv`` (in a zip; optional when the files come one by one)
    ``propertyName, value`` rows: ``manifest.version`` (``1.0``), ``oneroster.version``
    (``1.0``, ``1.1`` or ``1.2``), and for each file ``file.<name>``: ``bulk`` (the whole
    export), ``delta`` (only the rows that changed) or ``absent``. A file it says is there
    must be; ``orgs`` and ``users`` cannot be absent. Without a manifest, every file is
    bulk.
``orgs.csv``
    ``sourcedId, status, name, type``. Rows of ``type`` ``school`` are the schools;
    ``name`` is the school's label. ``status`` is ``active``, ``inactive`` or
    ``tobedeleted`` (or empty); an org that is not active is left out.
``users.csv``
    ``sourcedId, status, enabledUser, orgSourcedIds, role, givenName, familyName`` and
    ``email``. Staff (``teacher``, ``administrator``, ``aide``, and 1.2's ``principal``;
    1.2's ``siteAdministrator`` and ``districtAdministrator`` are administrators) are kept;
    students, parents, guardians and other roles are skipped, never stored. A row whose
    ``status`` is ``inactive`` or ``tobedeleted``, or whose ``enabledUser`` is ``false``,
    has ended. OneRoster 1.2 may leave ``role`` and ``orgSourcedIds`` to ``roles.csv``
    (``userSourcedId, role, orgSourcedId``, with ``roleType`` and ``status``): a user's
    role is their primary one, their orgs those of every role row in effect.

Roles from the export: a teacher who is not a coach in ``assignments.csv`` teaches at each
school of ``orgSourcedIds`` from the import's ``effective_on``. At a school whose principal
``assignments.csv`` does not give, an administrator at the school (a 1.2 ``principal``
first) is its principal (the setting ``ROSTER_PRINCIPAL_ROLES`` narrows these roles, or
with ``none`` leaves principals to ``assignments.csv``): the principal on
``effective_on`` stays while they are one of them, else the first becomes principal from
that date. An administrator at the district org
is kept as a person with no role (a candidate for district leader, which
``assignments.csv`` appoints).

Bulk and delta. A bulk ``users.csv`` is everyone: a teacher a school of ``orgs.csv`` had,
whom it no longer lists there (or at all), has left that school from ``effective_on``. A
delta ``users.csv`` holds only the rows that changed: a teacher's row names the schools
they teach at now (joining those, leaving the others), an ended row ends them at every
school, and everyone it has no row for is left as they are. In a delta the orgs a row names
may be schools already stored rather than in ``orgs.csv`` (an org that is neither is taken
for one that is not a school, such as the district). An org that has ended (``inactive``,
``tobedeleted``) is left out of ``orgs.csv``'s schools; nothing ends a school itself, nor
the teachers at it.

The district's files, each optional: what OneRoster cannot say, kept by the district.

``regions.csv`` — one row per region (CLT):
    ``region_code`` (letters, digits, ``-`` and ``_``, up to 40), ``label`` (up to 200),
    ``clt_representative_sourced_id`` (a user of users.csv, or empty).
``assignments.csv`` — who is where from which date, one row per fact:
    ``kind`` (``coach``, ``principal``, ``school_region``, ``district_leader`` or
    ``it_admin``: district IT, who import the roster and run the platform),
    ``person_sourced_id`` (a user of users.csv; empty for ``school_region``),
    ``school_sourced_id`` (a school of orgs.csv, or of the roster with a delta orgs.csv;
    empty for ``district_leader`` and ``it_admin``, who work district-wide),
    ``region_code`` (a region of regions.csv; only for ``school_region``), ``effective_on``
    (``YYYY-MM-DD``, the date it takes effect). A school's history is several rows with
    different dates. When the file is sent, a coach assigned to a school of orgs.csv, or a
    district leader or IT administrator whom users.csv lists, in the store but without
    their row leaves from the import's ``effective_on``; when it is not sent, coaches,
    leaders and IT administrators are left as they are. As with a school orgs.csv does not
    name, someone users.csv does not name keeps their district-wide role (the first IT
    administrator, appointed with ``python -m services.agreements.appoint``, is usually no
    one's export). A dated fact is compared with the roster on its own date, so a row
    already imported records nothing; a row taken out of the file later does not undo
    what it recorded (history is kept).

What the files do not date (a new CLT representative, a teacher joining or leaving a
school, a coach or leader no longer listed) takes effect on the import's
``effective_on``.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from coachops.errors import Rejected
from services.agreements.roster import (
    District,
    Person,
    Region,
    School,
    region_id,
    roster_id,
)

MAX_ERRORS = 200
ORG_TYPES = ("district", "school", "department", "local", "state", "national")
ROLES = ("administrator", "aide", "guardian", "parent", "proctor", "relative", "student",
         "teacher",
         # OneRoster 1.2's further roles
         "principal", "counselor", "districtAdministrator", "siteAdministrator",
         "systemAdministrator")
STAFF = ("teacher", "administrator", "aide", "principal")
# 1.2's administrators of a school or of the district are administrators here.
AS_ROLE = {"siteAdministrator": "administrator", "districtAdministrator": "administrator"}
# Who may be a school's principal from the export alone (the first ranked first): the
# default of the setting ROSTER_PRINCIPAL_ROLES, which a district may narrow or empty.
HEADS = ("principal", "administrator")
STATUSES = ("", "active", "inactive", "tobedeleted")  # "" in a bulk file of 1.1
GONE = ("inactive", "tobedeleted")  # no longer in effect: ended
KINDS = ("coach", "principal", "school_region", "district_leader", "it_admin")
DISTRICT_WIDE = ("district_leader", "it_admin")  # rows that name no school
REGION_CODE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
MAX_LABEL = 200
MAX_NAME = 100

REQUIRED = {
    "manifest": ("propertyName", "value"),
    "orgs": ("sourcedId", "status", "name", "type"),
    "users": ("sourcedId", "status", "enabledUser", "orgSourcedIds", "role", "givenName",
              "familyName"),
    "roles": ("userSourcedId", "role", "orgSourcedId"),
    "regions": ("region_code", "label", "clt_representative_sourced_id"),
    "assignments": ("kind", "person_sourced_id", "school_sourced_id", "region_code",
                    "effective_on"),
}
FILES = tuple(REQUIRED)
EXPORT = ("orgs", "users")  # the files an import needs; the others may be left out
# OneRoster 1.2's users.csv may leave a user's role and orgs to roles.csv.
IN_ROLES_FILE = ("orgSourcedIds", "role")
MANIFEST_VERSION = "1.0"
VERSIONS = ("1.0", "1.1", "1.2")
MODES = ("bulk", "delta", "absent")
OPTIONAL = {"users": ("email", *IN_ROLES_FILE), "roles": ("status", "roleType")}


@dataclass
class Problems:
    found: list[dict[str, Any]] = field(default_factory=list)

    def add(self, file: str, line: int | None, column: str | None, reason: str) -> None:
        self.found.append({"file": f"{file}.csv", "line": line, "field": column,
                           "reason": reason})

    def reject(self) -> Rejected:
        shown = self.found[:MAX_ERRORS]
        if len(self.found) > MAX_ERRORS:
            shown.append({"file": None, "line": None, "field": None,
                          "reason": f"{len(self.found) - MAX_ERRORS} more problems not shown"})
        count = len(self.found)
        return Rejected(
            f"nothing was imported: the files have {count} problem{'s' * (count != 1)}",
            errors=shown, name="RosterRejected")


Row = tuple[int, dict[str, str]]


def to_csv(columns: tuple[str, ...], rows: list[dict[str, str]]) -> str:
    """Rows written as one of these files (a cell a row lacks is left empty): for the
    demo district and the tests' generated ones."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in columns})
    return out.getvalue()


def read(name: str, text: str, problems: Problems,
         required: tuple[str, ...] | None = None) -> list[Row]:
    """The rows of one file as {column: cell}, each with its line number. Only the columns
    it is given are kept of each row (``required`` unless said, and those of ``OPTIONAL``)."""
    required = REQUIRED[name] if required is None else required
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header: list[str] | None = None
    rows: list[Row] = []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = [c.strip() for c in cells]
                missing = [c for c in required if c not in header]
                for column in missing:
                    problems.add(name, line, column, f"the column {column!r} is missing")
                if missing:
                    return []
                continue
            if len(cells) != len(header):
                problems.add(name, line, None,
                             f"{len(cells)} cells where the header has {len(header)} columns")
                continue
            kept = (*required, *OPTIONAL.get(name, ()))
            rows.append((line, {h: c.strip() for h, c in zip(header, cells, strict=True)
                                if h in kept}))
    except csv.Error as error:
        problems.add(name, reader.line_num, None, f"not readable as CSV: {error}")
        return []
    if header is None:
        problems.add(name, 1, None, "the file is empty: it needs a header row")
    return rows


@dataclass(frozen=True)
class Staff:
    sourced_id: str
    line: int
    oneroster_role: str
    given_name: str
    family_name: str
    email: str | None
    school_ids: tuple[str, ...]  # the schools of orgs.csv among their orgs
    org_ids: tuple[str, ...] = ()  # every org the row names (in a delta, stored schools too)


@dataclass(frozen=True)
class Fact:
    """One row of assignments.csv: ``value`` is a person's or a region's sourced id/code."""

    kind: str
    school: str
    value: str
    effective_on: date


@dataclass
class Roster:
    """What the files say, checked."""

    schools: dict[str, str] = field(default_factory=dict)  # sourcedId -> label
    staff: dict[str, Staff] = field(default_factory=dict)
    regions: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # code -> (label, rep)
    facts: list[Fact] = field(default_factory=list)
    # Ids a file names, even on a row with a problem: a row that refers to one is not
    # reported again, so one mistake is one error.
    named: dict[str, set[str]] = field(default_factory=lambda: {
        "orgs": set(), "schools": set(), "staff": set(), "regions": set(), "users": set()})
    rows: dict[str, int] = field(default_factory=dict)  # data rows of each file
    version: str = ""  # the manifest's oneroster.version; "" without a manifest
    modes: dict[str, str] = field(default_factory=dict)  # orgs, users: bulk or delta
    given: frozenset[str] = frozenset(FILES)  # the files sent
    # Staff a users.csv row says have ended (tobedeleted, inactive or not enabled): the
    # orgs their row names. A delta ends them; in a bulk export, being absent does too.
    ended: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def delta(self, name: str) -> bool:
        return self.modes.get(name) == "delta"

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def named_as(self, kind: str) -> set[str]:
        """Whom the assignments name as ``kind`` (a coach, a principal...)."""
        return {f.value for f in self.facts if f.kind == kind}


def parse(files: dict[str, str]) -> Roster:
    """Every file read and checked; the roster they describe, or ``Rejected``. ``files``
    holds the texts of those given, by name (``orgs``, ``users``, ``manifest``...)."""
    problems = Problems()
    given = {name: text for name, text in files.items() if name in FILES and text}
    manifest = _manifest(given, problems)
    if problems.found:
        raise problems.reject()
    rows: dict[str, list[Row]] = {}
    for name in FILES:
        if name == "manifest" or name not in given:
            rows[name] = []
        elif name == "users" and "roles" in given:
            rows[name] = read(name, given[name], problems,
                              tuple(c for c in REQUIRED["users"] if c not in IN_ROLES_FILE))
        else:
            rows[name] = read(name, given[name], problems)
    roster = Roster(rows={name: len(found) for name, found in rows.items()},
                    version=manifest.get("oneroster.version", ""),
                    modes={name: manifest.get(f"file.{name}", "bulk") for name in EXPORT},
                    given=frozenset(given))
    if "roles" in given:
        _roles(rows["roles"], rows["users"], problems)
    _orgs(rows["orgs"], roster, problems)
    _users(rows["users"], roster, problems)
    _regions(rows["regions"], roster, problems)
    _assignments(rows["assignments"], roster, problems)
    if problems.found:
        raise problems.reject()
    return roster


def _manifest(given: dict[str, str], problems: Problems) -> dict[str, str]:
    """``manifest.csv``'s properties, checked: its version, the OneRoster version and, for
    each file, ``bulk``, ``delta`` or ``absent``; and every file it says is there, there.
    Without a manifest (the files sent one by one), they are whole (bulk) exports."""
    for name in EXPORT:
        if name not in given:
            problems.add(name, None, None, f"the export has no {name}.csv: an import needs "
                                           f"{' and '.join(f'{n}.csv' for n in EXPORT)}")
    if "manifest" not in given:
        return {}
    properties: dict[str, str] = {}
    seen: dict[str, int] = {}
    for line, row in read("manifest", given["manifest"], problems):
        key, value = row["propertyName"], row["value"]
        if _duplicate("manifest", seen, key, line, "propertyName", problems):
            continue
        if key == "manifest.version" and value != MANIFEST_VERSION:
            problems.add("manifest", line, "value",
                         f"manifest.version {value!r} is unknown: it is {MANIFEST_VERSION}")
        elif key == "oneroster.version" and value not in VERSIONS:
            problems.add("manifest", line, "value", f"oneroster.version {value!r} is "
                                                    f"unknown: it is one of {', '.join(VERSIONS)}")
        elif key.startswith("file.") and value not in MODES:
            problems.add("manifest", line, "value",
                         f"{key} {value!r} is one of {', '.join(MODES)}")
        properties[key] = value
    if problems.found:
        return properties
    for key in ("manifest.version", "oneroster.version"):
        if key not in properties:
            problems.add("manifest", None, "propertyName", f"the manifest has no {key}")
    for key, value in properties.items():
        name = key.removeprefix("file.")
        if not key.startswith("file.") or name not in FILES:
            continue  # a file this import does not read (classes, enrollments...)
        if value == "absent" and name in EXPORT:
            problems.add("manifest", None, key, f"{name}.csv is needed: it cannot be absent")
        elif value != "absent" and name not in given:
            problems.add(name, None, None, f"the manifest says {name}.csv is there "
                                           f"({value}), and it is not")
    return properties


def _roles(roles: list[Row], users: list[Row], problems: Problems) -> None:
    """OneRoster 1.2's roles.csv: each user's role (the primary one, else the first) and
    orgs, put on their row of users.csv where that row leaves them out."""
    found: dict[str, tuple[str, list[str]]] = {}
    ended: dict[str, str] = {}  # the role of a row that has ended: the user's, if no other
    for line, row in roles:
        user, role, org = row["userSourcedId"], row["role"], row["orgSourcedId"]
        if role not in ROLES:
            problems.add("roles", line, "role", f"the role is one of {', '.join(ROLES)}")
            continue
        if row.get("status") in GONE:
            ended.setdefault(user, role)
            continue
        first, orgs = found.get(user, (role, []))
        primary = row.get("roleType") == "primary"
        found[user] = (role if primary else first, [*orgs, org] if org else orgs)
    for _, row in users:
        role, orgs = found.get(row["sourcedId"], (ended.get(row["sourcedId"], ""), []))
        row.setdefault("role", role)
        row.setdefault("orgSourcedIds", ",".join(orgs))


def _duplicate(name: str, seen: dict[str, int], key: str, line: int, column: str,
               problems: Problems) -> bool:
    if key in seen:
        problems.add(name, line, column, f"{key!r} is also on line {seen[key]}")
        return True
    seen[key] = line
    return False


def _orgs(rows: list[Row], roster: Roster, problems: Problems) -> None:
    seen: dict[str, int] = {}
    for line, row in rows:
        sourced_id, kind, label = row["sourcedId"], row["type"], " ".join(row["name"].split())
        ok = True
        if not sourced_id:
            problems.add("orgs", line, "sourcedId", "the sourcedId is empty")
            continue
        if _duplicate("orgs", seen, sourced_id, line, "sourcedId", problems):
            continue
        if row["status"] not in GONE:
            roster.named["orgs"].add(sourced_id)
            if kind == "school":
                roster.named["schools"].add(sourced_id)
        if row["status"] not in STATUSES:
            problems.add("orgs", line, "status",
                         "the status is 'active', 'inactive' or 'tobedeleted'")
            ok = False
        if kind not in ORG_TYPES:
            problems.add("orgs", line, "type", f"the type is one of {', '.join(ORG_TYPES)}")
            ok = False
        if not label or len(label) > MAX_LABEL:
            problems.add("orgs", line, "name", f"the name is 1 to {MAX_LABEL} characters")
            ok = False
        if ok and kind == "school" and row["status"] not in GONE:
            roster.schools[sourced_id] = label


def _users(rows: list[Row], roster: Roster, problems: Problems) -> None:
    seen: dict[str, int] = {}
    delta = roster.delta("users")
    for line, row in rows:
        sourced_id, role = row["sourcedId"], AS_ROLE.get(row["role"], row["role"])
        if not sourced_id:
            problems.add("users", line, "sourcedId", "the sourcedId is empty")
            continue
        if _duplicate("users", seen, sourced_id, line, "sourcedId", problems):
            continue
        roster.named["users"].add(sourced_id)
        ok = True
        if row["status"] not in STATUSES:
            problems.add("users", line, "status",
                         "the status is 'active', 'inactive' or 'tobedeleted'")
            ok = False
        if role not in ROLES:
            problems.add("users", line, "role", f"the role is one of {', '.join(ROLES)}")
            continue
        if role not in STAFF:
            continue  # students and families are never stored here
        enabled = row["enabledUser"].lower()
        active = row["status"] not in GONE and enabled != "false"
        if active:
            roster.named["staff"].add(sourced_id)
        if enabled not in ("true", "false"):
            problems.add("users", line, "enabledUser", "enabledUser is 'true' or 'false'")
            ok = False
        orgs = tuple(o.strip() for o in row["orgSourcedIds"].split(",") if o.strip())
        if not orgs and active:
            problems.add("users", line, "orgSourcedIds", "name at least one org")
            ok = False
        for org in orgs:
            # A delta's orgs.csv holds only the orgs that changed: the others are stored.
            if org not in roster.named["orgs"] and not (delta or roster.delta("orgs")):
                problems.add("users", line, "orgSourcedIds", f"there is no org {org!r}")
                ok = False
        if not active:  # ended: their names are not needed
            if ok:
                roster.ended[sourced_id] = orgs
            continue
        for column in ("givenName", "familyName"):
            if not row[column] or len(row[column]) > MAX_NAME:
                problems.add("users", line, column, f"{column} is 1 to {MAX_NAME} characters")
                ok = False
        if ok:
            roster.staff[sourced_id] = Staff(
                sourced_id, line, role, row["givenName"], row["familyName"],
                row.get("email") or None, tuple(o for o in orgs if o in roster.schools), orgs)


def _regions(rows: list[Row], roster: Roster, problems: Problems) -> None:
    seen: dict[str, int] = {}
    for line, row in rows:
        code, label = row["region_code"], " ".join(row["label"].split())
        rep = row["clt_representative_sourced_id"] or None
        if not REGION_CODE.match(code):
            problems.add("regions", line, "region_code",
                         "the code is 1 to 40 letters, digits, '-' or '_'")
            continue
        if _duplicate("regions", seen, code, line, "region_code", problems):
            continue
        roster.named["regions"].add(code)
        ok = True
        if not label or len(label) > MAX_LABEL:
            problems.add("regions", line, "label", f"the label is 1 to {MAX_LABEL} characters")
            ok = False
        if rep is not None and rep not in roster.named["staff"]:
            problems.add("regions", line, "clt_representative_sourced_id",
                         f"there is no active staff member {rep!r} in users.csv")
            ok = False
        if ok:
            roster.regions[code] = (label, rep)


def _assignments(rows: list[Row], roster: Roster, problems: Problems) -> None:
    seen: dict[tuple[str, str, date], tuple[str, int]] = {}
    for line, row in rows:
        kind, school = row["kind"], row["school_sourced_id"]
        person, region = row["person_sourced_id"], row["region_code"]
        if kind not in KINDS:
            problems.add("assignments", line, "kind", f"the kind is one of {', '.join(KINDS)}")
            continue
        ok = True
        try:
            effective_on = date.fromisoformat(row["effective_on"])
        except ValueError:
            problems.add("assignments", line, "effective_on",
                         f"{row['effective_on']!r} is not a date: write 2026-08-01")
            ok = False
        if kind in DISTRICT_WIDE:
            if school:
                problems.add("assignments", line, "school_sourced_id",
                             f"a {kind} row names no school: they work district-wide")
                ok = False
        elif school not in roster.named["schools"] and not roster.delta("orgs"):
            problems.add("assignments", line, "school_sourced_id",
                         f"there is no active school {school!r} in orgs.csv")
            ok = False
        # A school_region row names a region and no person; every other row a person and
        # no region.
        if kind == "school_region":
            value, column, known = region, "region_code", roster.named["regions"]
            missing = f"there is no region {region!r} in regions.csv"
            extra, extra_column, extra_noun = person, "person_sourced_id", "person"
        else:
            value, column, known = person, "person_sourced_id", roster.named["staff"]
            missing = f"there is no active staff member {person!r} in users.csv"
            extra, extra_column, extra_noun = region, "region_code", "region"
        if value not in known:
            problems.add("assignments", line, column, missing)
            ok = False
        if extra:
            problems.add("assignments", line, extra_column, f"a {kind} row names no {extra_noun}")
            ok = False
        if not ok:
            continue
        # A school has one principal and one region on a date; a coach or a district
        # leader is listed once a date.
        listed_once = kind in ("coach", *DISTRICT_WIDE)
        key = (kind, f"{school}/{person}" if listed_once else school, effective_on)
        if key in seen:
            other, other_line = seen[key]
            if other != value or listed_once:
                where = f" of {school!r}" if school else ""
                problems.add("assignments", line, "effective_on",
                             f"line {other_line} already gives the {kind.replace('_', ' ')}"
                             f"{where} on {effective_on}")
            continue
        seen[key] = (value, line)
        roster.facts.append(Fact(kind, school, value, effective_on))


A = TypeVar("A", bound=Aggregate)
class Loader(Protocol):
    """The stored aggregate of this kind with this id, or None."""

    def __call__(self, kind: type[A], aggregate_id: UUID, /) -> A | None: ...


@dataclass
class Plan:
    """The aggregates with new events, to save in one transaction."""

    changed: dict[UUID, Aggregate] = field(default_factory=dict)
    roles: dict[UUID, tuple[str, str]] = field(default_factory=dict)  # person: was, now
    # A principal replaced (the school's sourcedId): no event of theirs says they left.
    replaced: list[tuple[UUID, str]] = field(default_factory=list)

    def touch(self, aggregate: A) -> A:
        self.changed[aggregate.id] = aggregate
        return aggregate

    @property
    def aggregates(self) -> list[Aggregate]:
        return [a for a in self.changed.values() if a.pending_events]

    def counts(self) -> dict[str, int]:
        return dict(Counter(type(e).__qualname__ for a in self.aggregates
                            for e in a.pending_events))


# A person's role where the assignments name one (the first that names them), before the
# role the users file gives.
ASSIGNED_ROLES = ("coach", "principal", "district_leader", "it_admin")
KEPT_ROLES = ("coach", "district_leader", "it_admin")  # only the district's files change


def no_progress(done: int) -> None:
    pass


def _nowhere(person_id: UUID) -> set[UUID]:
    return set()


def plan(roster: Roster, load: Loader, effective_on: date,
         progress: Callable[[int], None] = no_progress,
         teaching_at: Callable[[UUID], set[UUID]] = _nowhere,
         heads: tuple[str, ...] = HEADS) -> Plan:
    """The differences between ``roster`` and the store, as events on the aggregates.
    ``progress`` hears how many rows of the files have been compared with the store (of
    ``roster.total_rows``), as it goes: reading the store is what takes the time.
    ``teaching_at`` gives the schools (ids) where a teacher teaches on ``effective_on``
    as stored, for a delta users.csv (a teacher moving or leaving a school it does not name).
    ``heads``: the OneRoster roles that make a principal (``ROSTER_PRINCIPAL_ROLES``)."""
    changes = Plan()
    assigned = {role: roster.named_as(role) for role in ASSIGNED_ROLES}
    if "assignments" not in roster.given:
        # The SIS's export alone says nothing of the district's own roles: a coach, a
        # district leader or an IT administrator stays one (and a coach is not made a
        # teacher again) until the district's assignments.csv says otherwise.
        for sourced_id in roster.staff:
            stored = load(Person, roster_id(sourced_id))
            if stored is not None and stored.role in KEPT_ROLES:
                assigned[stored.role].add(sourced_id)
    coaches = assigned["coach"]
    done = 0

    schools: dict[str, School] = {}  # the schools of orgs.csv
    for number, (sourced_id, label) in enumerate(roster.schools.items(), 1):
        progress(done + number)
        school = load(School, roster_id(sourced_id))
        if school is None:
            school = changes.touch(School(sourced_id=sourced_id, label=label))
        elif school.label != label:
            changes.touch(school).relabel(label)
        schools[sourced_id] = school
    done += roster.rows.get("orgs", 0)
    progress(done)

    # A delta's rows name schools its orgs.csv leaves out: those stored.
    known: dict[str, School | None] = dict(schools)

    def school_of(sourced_id: str) -> School | None:
        if sourced_id not in known:
            stored = None if not (roster.delta("orgs") or roster.delta("users")) else load(
                School, roster_id(sourced_id))
            known[sourced_id] = stored
        return known[sourced_id]

    def stored_school(school_id: UUID) -> School | None:
        stored = load(School, school_id)
        if stored is not None:
            known.setdefault(stored.sourced_id, stored)
            return known[stored.sourced_id]
        return None

    principals = _principals(roster, school_of, changes, effective_on, heads)

    for number, (sourced_id, staff) in enumerate(roster.staff.items(), 1):
        progress(done + number)
        role = next((r for r in ASSIGNED_ROLES if sourced_id in assigned[r]),
                    "principal" if sourced_id in principals else staff.oneroster_role)
        details: dict[str, Any] = {"role": role, "given_name": staff.given_name,
                   "family_name": staff.family_name, "email": staff.email}
        person = load(Person, roster_id(sourced_id))
        if person is None:
            changes.touch(Person(sourced_id=sourced_id, **details))
        elif person.forgotten_on is not None:
            continue  # forgotten stays forgotten: the next export's names are not kept
        elif person.details() != details:
            if person.role != role:
                changes.roles[person.id] = (person.role, role)
            changes.touch(person).update(**details)
    done += roster.rows.get("users", 0)  # students and families too, read and skipped
    progress(done)

    for code, (label, rep) in roster.regions.items():
        region = load(Region, region_id(code))
        if region is None:
            region = changes.touch(Region(code=code, label=label))
        elif region.label != label:
            changes.touch(region).relabel(label)
        if rep is not None and region.representative.latest() != roster_id(rep):
            changes.touch(region).change_representative(roster_id(rep), effective_on)
    done += roster.rows.get("regions", 0)
    progress(done)

    district = load(District, District.create_id())
    listed: dict[str, set[UUID]] = {s: set() for s in schools}
    listed_district: dict[str, set[UUID]] = {kind: set() for kind in DISTRICT_WIDE}
    unknown = Problems()
    for number, fact in enumerate(sorted(roster.facts, key=lambda f: f.effective_on), 1):
        progress(done + number)
        on = fact.effective_on
        if fact.kind in DISTRICT_WIDE:
            person_id = roster_id(fact.value)
            listed_district[fact.kind].add(person_id)
            if district is None:
                district = changes.touch(District())
            if fact.kind == "district_leader" and not district.leader_on(person_id, on):
                changes.touch(district).appoint_leader(person_id, on)
            if fact.kind == "it_admin" and not district.it_admin_on(person_id, on):
                changes.touch(district).appoint_it_admin(person_id, on)
            continue
        found = school_of(fact.school)
        if found is None:  # a delta orgs.csv leaves it out, and it is not stored
            unknown.add("assignments", None, "school_sourced_id",
                        f"there is no school {fact.school!r} in orgs.csv or on the roster")
            continue
        school = found
        if fact.kind == "school_region":
            if school.region_on(on) != region_id(fact.value):
                changes.touch(school).assign_to_region(region_id(fact.value), on)
        elif fact.kind == "principal":
            previous = school.principal_on(on)
            if previous != roster_id(fact.value):
                if previous is not None:
                    changes.replaced.append((previous, school.sourced_id))
                changes.touch(school).change_principal(roster_id(fact.value), on)
        else:
            coach = roster_id(fact.value)
            listed.setdefault(fact.school, set()).add(coach)
            if not school.coach_assigned_on(coach, on):
                changes.touch(school).assign_coach(coach, on)
    if unknown.found:
        raise unknown.reject()

    if "assignments" in roster.given:
        # The district's own file, when sent, says every coach: those it leaves out leave.
        for sourced_id, school in schools.items():
            for coach in school.currently_assigned_coaches() - listed[sourced_id]:
                changes.touch(school).unassign_coach(coach, effective_on)
    if district is not None and "assignments" in roster.given:
        # Only people users.csv names: the others are not this export's to end.
        named = {roster_id(u) for u in roster.named["users"]}
        for leader in district.current_leaders() & named - listed_district["district_leader"]:
            changes.touch(district).leader_left(leader, effective_on)
        for admin in district.current_it_admins() & named - listed_district["it_admin"]:
            changes.touch(district).it_admin_left(admin, effective_on)

    if roster.delta("users"):
        _teachers_of_delta(roster, coaches, school_of, stored_school, teaching_at, changes,
                           effective_on)
    else:
        _teachers_of_bulk(roster, coaches, schools, school_of, changes, effective_on)
    progress(roster.total_rows)
    return changes


def _teachers_of_bulk(roster: Roster, coaches: set[str], schools: dict[str, School],
                      school_of: Callable[[str], School | None], changes: Plan,
                      effective_on: date) -> None:
    """A whole export: each teacher teaches at the schools their row names, and a teacher
    a school of orgs.csv had, whom users.csv no longer lists there, has left it."""
    teaching: dict[str, set[UUID]] = {s: set() for s in schools}
    present = {s: school.current_teachers() for s, school in schools.items()}
    for sourced_id, staff in roster.staff.items():
        if staff.oneroster_role != "teacher" or sourced_id in coaches:
            continue
        teacher = roster_id(sourced_id)
        for org in staff.org_ids:
            school = school_of(org)
            if school is None:
                continue  # the district, or another org that is not a school
            teaching.setdefault(org, set()).add(teacher)
            if teacher not in present.setdefault(org, school.current_teachers()):
                changes.touch(school).assign_teacher(teacher, effective_on)
    for sourced_id, school in schools.items():
        for teacher in present[sourced_id] - teaching[sourced_id]:
            changes.touch(school).teacher_left(teacher, effective_on)


def _teachers_of_delta(roster: Roster, coaches: set[str],
                       school_of: Callable[[str], School | None],
                       stored_school: Callable[[UUID], School | None],
                       teaching_at: Callable[[UUID], set[UUID]], changes: Plan,
                       effective_on: date) -> None:
    """A delta: only the teachers it has a row for change. A teacher's row names the schools
    they teach at now (they leave those it no longer names); an ended row (tobedeleted,
    inactive, not enabled) ends them at every school."""
    rows: dict[str, tuple[str, ...]] = {**roster.ended}
    for sourced_id, staff in roster.staff.items():
        if staff.oneroster_role == "teacher" and sourced_id not in coaches:
            rows[sourced_id] = staff.org_ids
    for sourced_id, orgs in rows.items():
        teacher = roster_id(sourced_id)
        now = {org for org in orgs if school_of(org) is not None}
        if sourced_id in roster.ended:
            now = set()
        places: dict[str, School] = {}
        for school_id in teaching_at(teacher):
            stored = stored_school(school_id)
            if stored is not None:
                places[stored.sourced_id] = stored
        for org in {*orgs} - set(places):
            found = school_of(org)
            if found is not None:
                places[org] = found
        for org, school in sorted(places.items()):
            here = teacher in school.current_teachers()
            if org in now and not here:
                changes.touch(school).assign_teacher(teacher, effective_on)
            elif org not in now and here:
                changes.touch(school).teacher_left(teacher, effective_on)


def _principals(roster: Roster, school_of: Callable[[str], School | None], changes: Plan,
                effective_on: date, heads: tuple[str, ...] = HEADS) -> set[str]:
    """The principals the export gives (sourcedIds): at each school it names whose principal
    assignments.csv does not give, a staff member at the school in one of ``heads`` (by
    default a 1.2 principal, ranked first, or an administrator). The principal on
    ``effective_on`` stays while they are one of them (or, in a delta, while it has no row
    of theirs); else the first becomes principal from that date."""
    decided = {f.school for f in roster.facts if f.kind == "principal"}
    at_school: dict[str, list[str]] = {}  # each org's staff in one of ``heads``
    for sourced_id, staff in roster.staff.items():
        if staff.oneroster_role in heads:
            for org in staff.org_ids:
                at_school.setdefault(org, []).append(sourced_id)
    places = set(roster.schools)
    if roster.delta("users"):
        places |= {org for staff in roster.staff.values() for org in staff.org_ids}
        places |= {org for orgs in roster.ended.values() for org in orgs}
    in_file = {roster_id(s) for s in (*roster.staff, *roster.ended)}
    principals: set[str] = set()
    for org in sorted(places - decided):
        school = school_of(org)
        if school is None:
            continue
        candidates = sorted(at_school.get(org, []),
                            key=lambda s: heads.index(roster.staff[s].oneroster_role))
        current = school.principal_on(effective_on)
        staying = [s for s in candidates if roster_id(s) == current]
        if staying:
            principals.add(staying[0])
            continue
        if current is not None and roster.delta("users") and current not in in_file:
            continue  # a delta without a row of theirs changes nothing of them
        if candidates:
            if current is not None:
                changes.replaced.append((current, school.sourced_id))
            changes.touch(school).change_principal(roster_id(candidates[0]), effective_on)
            principals.add(candidates[0])
    return principals


# What an import changes, as district IT reads it ------------------------------------------

GROUPS = ("arriving", "leaving", "moving", "role_changes", "schools_added", "regions_added")
MAX_LISTED = 1000  # of each group; the counts are always whole
DISTRICT_OFFICE = ""  # the place of a district leader or IT administrator, who have no school


def changes(found: Plan, load: Loader) -> dict[str, Any]:
    """What ``found`` (the plan that is saved, or would be) changes, by sourcedIds and
    codes only (the import's record keeps it, and names are personal): people arriving
    (new on the roster, or joining a school or the district office while leaving none),
    leaving (a school or the district office, joining none; a principal replaced leaves),
    moving (leaving one place for another), changing role; schools and regions added. Each
    person's places are the sourcedIds of their schools, ``DISTRICT_OFFICE`` for the
    district's own roles."""
    joined: dict[UUID, list[str]] = {}
    left: dict[UUID, list[str]] = {}
    arrived: set[UUID] = set()
    schools_added: list[str] = []
    regions_added: list[str] = []
    for aggregate in found.aggregates:
        place = getattr(aggregate, "sourced_id", DISTRICT_OFFICE)
        for event in aggregate.pending_events:
            if isinstance(event, Person.Registered):
                arrived.add(aggregate.id)
            elif isinstance(event, School.Defined):
                schools_added.append(event.sourced_id)
            elif isinstance(event, Region.Defined):
                regions_added.append(event.code)
            elif isinstance(event, (School.CoachAssigned, School.TeacherAssigned,
                                    School.PrincipalChanged, District.LeaderAppointed,
                                    District.ItAdminAppointed)):
                joined.setdefault(_person_of(event), []).append(place)
            elif isinstance(event, (School.CoachUnassigned, School.TeacherLeft,
                                    District.LeaderLeft, District.ItAdminLeft)):
                left.setdefault(_person_of(event), []).append(place)

    for person_id, place in found.replaced:
        left.setdefault(person_id, []).append(place)
    people: dict[UUID, Person | None] = {}

    def who(person_id: UUID) -> dict[str, Any]:
        if person_id not in people:  # new, changed by the plan, or as stored
            planned = found.changed.get(person_id)
            people[person_id] = (planned if isinstance(planned, Person)
                                 else load(Person, person_id))
        person = people[person_id]
        if person is None:  # named by an assignment only (the first IT administrator)
            return {"sourced_id": None, "role": None}
        return {"sourced_id": person.sourced_id, "role": person.role}

    def places(found_in: list[str]) -> list[str]:
        return sorted(set(found_in))

    groups: dict[str, list[Any]] = {name: [] for name in GROUPS}
    for person_id in sorted({*joined, *left, *arrived}, key=str):
        to, away = joined.get(person_id, []), left.get(person_id, [])
        if to and away and places(to) != places(away):
            groups["moving"].append({**who(person_id), "from": places(away), "to": places(to)})
        elif to or (person_id in arrived and not away):
            groups["arriving"].append({**who(person_id), "places": places(to)})
        elif away:
            groups["leaving"].append({**who(person_id), "places": places(away)})
    for person_id, (was, now) in sorted(found.roles.items(), key=lambda item: str(item[0])):
        groups["role_changes"].append({**who(person_id), "from": was, "to": now})
    groups["schools_added"] = sorted(schools_added)
    groups["regions_added"] = sorted(regions_added)
    counts = {name: len(listed) for name, listed in groups.items()}
    events = found.counts()
    return {"counts": counts, **{name: listed[:MAX_LISTED] for name, listed in groups.items()},
            "recorded": sum(events.values()), "events": events}


def _person_of(event: Any) -> UUID:
    for name in ("coach_id", "teacher_id", "principal_id", "leader_id", "person_id"):
        if hasattr(event, name):
            person: UUID = getattr(event, name)
            return person
    raise TypeError(f"{type(event).__qualname__} names no person")


def named(stored: dict[str, Any], person: Callable[[str | None], str],
          place: Callable[[str], str], region: Callable[[str], str]) -> dict[str, Any]:
    """``changes`` as district IT reads it: each person, school and region by name
    (``person``, ``place`` and ``region`` name them) beside the roster's sourcedId,
    people in order of their names."""
    def one(entry: dict[str, Any]) -> dict[str, Any]:
        shown = {**entry, "name": person(entry["sourced_id"])}
        for key in ("places", "from", "to"):
            if key in entry and isinstance(entry[key], list):
                shown[key] = [place(p) for p in entry[key]]
        return shown

    answer = {"counts": stored["counts"], "recorded": stored["recorded"],
              "events": stored["events"]}
    for name in ("arriving", "leaving", "moving", "role_changes"):
        answer[name] = sorted((one(e) for e in stored[name]),
                              key=lambda e: (e["name"].split()[-1:], e["name"]))
    answer["schools_added"] = [{"sourced_id": s, "name": place(s)}
                               for s in stored["schools_added"]]
    answer["regions_added"] = [{"code": c, "name": region(c)} for c in stored["regions_added"]]
    return answer

"""The district roster's files, as the SIS and district IT send them, read and checked:
a OneRoster export (1.0, 1.1 or 1.2, whole or delta), plus two small district files when
the district keeps them. ``roster_import`` compares what they say with the store.

All or nothing. Every line of every file is checked first; one bad line and nothing is
saved, and district IT gets every problem as ``{file, line, field, reason}`` (the header
is line 1, fields named as the file's columns).

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

``dateLastModified`` (orgs, users, roles; optional in 1.1, in every file of 1.2): when
the row last changed, an ISO 8601 date-time (``2026-07-15T08:00:00.000Z``; a date alone
or no offset is read as UTC); one that is not is refused. A user's is the latest of their
users.csv row and their roles.csv rows. The roster keeps, with each person and school, the
date of the last row that changed them (``Person.modified_at``, ``School.modified_at``);
in a delta, a row no newer than that changes nothing (an old delta sent again does not undo
a newer one: the dry run lists such rows as ``stale``). A bulk file is the whole export and
applies whatever its dates; a row or a record without a date is compared on its content.

Roles from the export: a teacher who is not a coach in ``assignments.csv`` teaches at each
school of ``orgSourcedIds`` from the import's ``effective_on``. At a school whose principal
``assignments.csv`` does not give, an administrator at the school (a 1.2 ``principal``
first; the district's ``ROSTER_PRINCIPAL_ROLES``) is its principal: the principal on
``effective_on`` stays while they are one of them, else the first becomes principal from
that date. An administrator at the district org is kept as a person with no role (a
candidate for district leader, which ``assignments.csv`` appoints).

District configuration outlives the SIS's exports: what the district's files set (coaches,
principals ``assignments.csv`` named, district leaders, IT administrators, regions) stays
until the district's own file says otherwise. An import without ``assignments.csv`` keeps
every coach, leader and IT administrator in their role, and a school's principal the
district named stays its principal whatever the export's administrators (the export still
gives the other schools theirs). An import with it says the whole of it: a coach, leader or
administrator it no longer lists leaves (below), and a school it names no principal for is
the export's administrators' again.

Bulk and delta. A bulk ``users.csv`` is everyone: a teacher a school of ``orgs.csv`` had,
whom it no longer lists there (or at all), has left that school from ``effective_on``. A
delta ``users.csv`` holds only the rows that changed: a teacher's row names the schools
they teach at now (joining those, leaving the others), an ended row ends them at every
school, and everyone it has no row for is left as they are. In a delta the orgs a row names
may be schools already stored rather than in ``orgs.csv`` (an org that is neither is taken
for one that is not a school, such as the district). An org that has ended (``inactive``,
``tobedeleted``) is left out of ``orgs.csv``'s schools; nothing ends a school itself, nor
the teachers at it.

The district's files, each optional: what OneRoster cannot say, kept by the district
(district IT may also set one such fact at a time in its console: ``setup``,
``POST /roster/setup``, recording the same events).

``regions.csv`` — one row per region (CLT):
    ``region_code`` (letters, digits, ``-`` and ``_``, up to 40), ``label`` (up to 200),
    ``clt_representative_sourced_id`` (a user of users.csv, or empty).

A person these files name is a staff member users.csv lists as active; with a delta
users.csv, which holds only the rows that changed, someone it has no row of may be one the
roster already holds (``roster_import`` looks, and refuses the files, naming the line, only
if they are nowhere).
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
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from coachops.csv_rows import non_blank
from coachops.errors import Rejected

MAX_ERRORS = 200
ROLES_MODIFIED = "roles.csv:dateLastModified"  # put on a users.csv row by ``_roles``
ORG_TYPES = ("district", "school", "department", "local", "state", "national")
ROLES = ("administrator", "aide", "guardian", "parent", "proctor", "relative", "student",
         "teacher",
         # OneRoster 1.2's further roles
         "principal", "counselor", "districtAdministrator", "siteAdministrator",
         "systemAdministrator")
STAFF = ("teacher", "administrator", "aide", "principal")
# 1.2's administrators of a school or of the district are administrators here.
AS_ROLE = {"siteAdministrator": "administrator", "districtAdministrator": "administrator"}
# Who may be a school's principal from the export alone (the first ranked first).
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
# OneRoster's dateLastModified: optional in 1.1, in every file of 1.2.
MODIFIED = "dateLastModified"
OPTIONAL = {"orgs": (MODIFIED,), "users": ("email", *IN_ROLES_FILE, MODIFIED),
            "roles": ("status", "roleType", MODIFIED)}


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


def to_csv(columns: tuple[str, ...], rows: list[dict[str, str]], line_end: str = "\n") -> str:
    """Rows written as one of these files (a cell a row lacks is left empty): for the
    demo district and the tests' generated ones (an SIS ends its lines with CRLF)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator=line_end)
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
        for line, cells in non_blank(reader):
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
    # dateLastModified of the rows that have one (``modified_at``'s form), by sourcedId:
    # the staff's rows of users.csv (with their roles.csv rows, the latest) and orgs.csv's.
    modified: dict[str, str] = field(default_factory=dict)
    org_modified: dict[str, str] = field(default_factory=dict)
    # In a delta users.csv, people the district's files name whom it has no row of: they
    # are looked for on the stored roster (``roster_import.plan``). (file, line, column, id)
    elsewhere: list[tuple[str, int, str, str]] = field(default_factory=list)

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
    latest: dict[str, str] = {}  # the last a role row of the user's was modified
    for line, row in roles:
        user, role, org = row["userSourcedId"], row["role"], row["orgSourcedId"]
        stamp = _modified("roles", line, row, problems)
        if stamp is not None and stamp > latest.get(user, ""):
            latest[user] = stamp
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
        row[ROLES_MODIFIED] = latest.get(row["sourcedId"], "")


def modified_at(text: str) -> str:
    """A dateLastModified (ISO 8601: ``2026-07-15T08:00:00.000Z``, a date alone, an offset
    or none, read as UTC) in one form, UTC to the microsecond, that sorts as time does.
    ``ValueError`` when it is not one."""
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def _modified(name: str, line: int, row: dict[str, str], problems: Problems) -> str | None:
    """The row's dateLastModified in ``modified_at``'s form; None when it has none (an
    empty cell, or a 1.1 file without the column), or a problem when it is not one."""
    text = row.get(MODIFIED, "")
    if not text:
        return None
    try:
        return modified_at(text)
    except ValueError:
        problems.add(name, line, MODIFIED, f"{text!r} is not an ISO 8601 date-time: "
                                           "write 2026-07-15T08:00:00.000Z")
        return None


def _duplicate(name: str, seen: dict[str, int], key: str, line: int, column: str,
               problems: Problems) -> bool:
    if key in seen:
        problems.add(name, line, column, f"{key!r} is also on line {seen[key]}")
        return True
    seen[key] = line
    return False


def _identified(name: str, seen: dict[str, int], line: int, row: dict[str, str],
                problems: Problems) -> bool:
    """The row has a sourcedId of its own: not empty, not given on an earlier line."""
    if not row["sourcedId"]:
        problems.add(name, line, "sourcedId", "the sourcedId is empty")
        return False
    return not _duplicate(name, seen, row["sourcedId"], line, "sourcedId", problems)


def _status_known(name: str, line: int, row: dict[str, str], problems: Problems) -> bool:
    if row["status"] in STATUSES:
        return True
    problems.add(name, line, "status", "the status is 'active', 'inactive' or 'tobedeleted'")
    return False


def _orgs(rows: list[Row], roster: Roster, problems: Problems) -> None:
    seen: dict[str, int] = {}
    for line, row in rows:
        sourced_id, kind, label = row["sourcedId"], row["type"], " ".join(row["name"].split())
        if not _identified("orgs", seen, line, row, problems):
            continue
        if row["status"] not in GONE:
            roster.named["orgs"].add(sourced_id)
            if kind == "school":
                roster.named["schools"].add(sourced_id)
        ok = _status_known("orgs", line, row, problems)
        stamp = _modified("orgs", line, row, problems)
        if stamp is not None:
            roster.org_modified[sourced_id] = stamp
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
        if not _identified("users", seen, line, row, problems):
            continue
        roster.named["users"].add(sourced_id)
        ok = _status_known("users", line, row, problems)
        stamp = max(_modified("users", line, row, problems) or "",
                    row.get(ROLES_MODIFIED, ""))
        if role not in ROLES:
            problems.add("users", line, "role", f"the role is one of {', '.join(ROLES)}")
            continue
        if role not in STAFF:
            continue  # students and families are never stored here
        if stamp:
            roster.modified[sourced_id] = stamp
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
        if rep is not None and _elsewhere(roster, rep):
            roster.elsewhere.append(("regions", line, "clt_representative_sourced_id", rep))
        elif rep is not None and rep not in roster.named["staff"]:
            problems.add("regions", line, "clt_representative_sourced_id",
                         f"there is no active staff member {rep!r} in users.csv")
            ok = False
        if ok:
            roster.regions[code] = (label, rep)


def _elsewhere(roster: Roster, person: str) -> bool:
    """Someone a delta users.csv has no row of: to be found on the stored roster."""
    return bool(person) and roster.delta("users") and person not in roster.named["users"]


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
        if kind != "school_region" and _elsewhere(roster, value):
            roster.elsewhere.append(("assignments", line, column, value))
        elif value not in known:
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

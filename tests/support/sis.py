"""A OneRoster export as a student information system makes it: ``manifest.csv``, the spec's
headers (1.1, or 1.2 with its users.csv and roles.csv), a district and its schools, staff,
students and guardians, and the files coachops does not read (academic sessions, courses,
classes, enrollments), as texts or as one zip. Only the SIS's files: no regions.csv, no
assignments.csv."""

from __future__ import annotations

import copy
import io
import zipfile
from dataclasses import dataclass, field

from services.agreements.roster_files import to_csv

ORGS = ("sourcedId", "status", "dateLastModified", "name", "type", "identifier",
        "parentSourcedId")
USERS_11 = ("sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role",
            "username", "userIds", "givenName", "familyName", "middleName", "identifier",
            "email", "sms", "phone", "agentSourcedIds", "grades", "password")
USERS_12 = ("sourcedId", "status", "dateLastModified", "enabledUser", "username", "userIds",
            "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
            "agentSourcedIds", "grades", "password", "userMasterIdentifier",
            "resourceSourcedIds", "preferredGivenName", "preferredMiddleName",
            "preferredFamilyName", "primaryOrgSourcedId", "pronouns")
ROLES_12 = ("sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role",
            "beginDate", "endDate", "orgSourcedId", "userProfileSourcedId")
SESSIONS = ("sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate",
            "parentSourcedId", "schoolYear")
COURSES = ("sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title",
           "courseCode", "grades", "orgSourcedId", "subjects", "subjectCodes")
CLASSES = ("sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId",
           "classCode", "classType", "location", "schoolSourcedId", "termSourcedIds",
           "subjects", "subjectCodes", "periods")
ENROLLMENTS = ("sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId",
               "userSourcedId", "role", "primary", "beginDate", "endDate")
STAMP = "2026-07-15T08:00:00.000Z"
NEXT_STAMP = "2026-09-15T08:00:00.000Z"  # a later export's: a delta's rows are newer


def _csv(columns: tuple[str, ...], rows: list[dict[str, str]]) -> str:
    return to_csv(columns, rows, "\r\n")


@dataclass
class User:
    sourced_id: str
    role: str
    orgs: list[str]
    given_name: str
    family_name: str
    status: str = "active"


@dataclass
class Export:
    tag: str
    district: str
    schools: dict[str, str]  # sourcedId -> name
    users: dict[str, User]
    version: str = "1.1"
    # In a delta, only these rows are written (the changed ones), with their status.
    delta_users: list[str] | None = None
    delta_orgs: list[str] | None = None
    extra: dict[str, str] = field(default_factory=dict)  # more files, by name
    stamp: str = STAMP  # every row's dateLastModified

    @classmethod
    def generate(cls, tag: str, schools: int = 3, teachers: int = 4,
                 students: int = 20) -> Export:
        """A district ``<tag>-district`` with ``schools`` schools, each with an
        administrator, ``teachers`` teachers and ``students`` students with a guardian each;
        a district administrator."""
        district = f"{tag}-district"
        export = cls(tag, district, {}, {})
        export.add(f"{tag}-dadmin", "administrator", [district], "Dana", "Office")
        for s in range(1, schools + 1):
            school = f"{tag}-school-{s}"
            export.schools[school] = f"{tag.upper()} School {s}"
            export.add(f"{tag}-admin-{s}", "administrator", [school], "Pat", f"Head{s}")
            for t in range(1, teachers + 1):
                export.add(f"{tag}-t-{s}-{t}", "teacher", [school], "Teri", f"Teach{s}x{t}")
            for p in range(1, students + 1):
                student = f"{tag}-st-{s}-{p}"
                export.add(student, "student", [school], "Sam", f"Pupil{s}x{p}")
                export.add(f"{tag}-g-{s}-{p}", "guardian", [school], "Gil", f"Parent{s}x{p}")
        return export

    def add(self, sourced_id: str, role: str, orgs: list[str], given: str, family: str) -> None:
        self.users[sourced_id] = User(sourced_id, role, orgs, given, family)

    def copy(self) -> Export:
        return copy.deepcopy(self)

    # The files ---------------------------------------------------------------------------

    def _orgs(self) -> str:
        rows = [{"sourcedId": self.district, "status": "active", "name": f"{self.tag} District",
                 "type": "district"}]
        rows += [{"sourcedId": s, "status": "active", "name": name, "type": "school",
                  "parentSourcedId": self.district} for s, name in self.schools.items()]
        if self.delta_orgs is not None:
            rows = [r for r in rows if r["sourcedId"] in self.delta_orgs]
        for row in rows:
            row["dateLastModified"] = self.stamp
        return _csv(ORGS, rows)

    def _users(self) -> dict[str, str]:
        chosen = (list(self.users.values()) if self.delta_users is None
                  else [self.users[u] for u in self.delta_users])
        rows = [{"sourcedId": u.sourced_id, "status": u.status, "dateLastModified": self.stamp,
                 "enabledUser": "true", "orgSourcedIds": ",".join(u.orgs), "role": u.role,
                 "username": u.sourced_id, "givenName": u.given_name,
                 "familyName": u.family_name, "email": f"{u.sourced_id}@example.org",
                 "userMasterIdentifier": u.sourced_id, "preferredGivenName": u.given_name,
                 "primaryOrgSourcedId": u.orgs[0] if u.orgs else ""} for u in chosen]
        if self.version != "1.2":
            return {"users": _csv(USERS_11, rows)}
        roles = [{"sourcedId": f"role-{u.sourced_id}-{n}", "status": u.status,
                  "dateLastModified": self.stamp, "userSourcedId": u.sourced_id,
                  "roleType": "primary" if n == 0 else "secondary", "role": u.role,
                  "orgSourcedId": org} for u in chosen for n, org in enumerate(u.orgs)]
        return {"users": _csv(USERS_12, rows), "roles": _csv(ROLES_12, roles)}

    def _others(self) -> dict[str, str]:
        year = f"{self.tag}-2026"
        sessions = [{"sourcedId": year, "status": "active", "title": "2026-27",
                     "type": "schoolYear", "startDate": "2026-08-01", "endDate": "2027-06-30",
                     "schoolYear": "2027"}]
        courses, classes, enrollments = [], [], []
        enrolled: dict[str, list[User]] = {}
        for user in self.users.values():
            if user.role in ("teacher", "student"):
                for org in user.orgs:
                    enrolled.setdefault(org, []).append(user)
        for n, school in enumerate(self.schools, 1):
            course, klass = f"{school}-math", f"{school}-math-1"
            courses.append({"sourcedId": course, "status": "active", "title": "Math",
                            "schoolYearSourcedId": year, "orgSourcedId": school})
            classes.append({"sourcedId": klass, "status": "active", "title": "Math 1",
                            "courseSourcedId": course, "classType": "scheduled",
                            "schoolSourcedId": school, "termSourcedIds": year,
                            "location": f"Room {n}"})
            for user in enrolled.get(school, []):
                enrollments.append({
                    "sourcedId": f"enr-{user.sourced_id}", "status": "active",
                    "classSourcedId": klass, "schoolSourcedId": school,
                    "userSourcedId": user.sourced_id, "role": user.role,
                    "primary": "true" if user.role == "teacher" else "false"})
        return {"academicSessions": _csv(SESSIONS, sessions), "courses": _csv(COURSES, courses),
                "classes": _csv(CLASSES, classes),
                "enrollments": _csv(ENROLLMENTS, enrollments)}

    def files(self) -> dict[str, str]:
        """Every file of the export by name, ``manifest`` first."""
        data = {"orgs": self._orgs(), **self._users(), **self._others(), **self.extra}
        mode = {"orgs": "delta" if self.delta_orgs is not None else "bulk",
                "users": "delta" if self.delta_users is not None else "bulk"}
        if "roles" in data:
            mode["roles"] = mode["users"]
        properties = [("manifest.version", "1.0"), ("oneroster.version", self.version)]
        for name in ("academicSessions", "categories", "classes", "classResources", "courses",
                     "courseResources", "demographics", "enrollments", "lineItems", "orgs",
                     "resources", "results", "users", *(["roles"] if "roles" in data else [])):
            properties.append((f"file.{name}", mode.get(name, "bulk" if name in data
                                                         else "absent")))
        properties += [("source.systemName", "Example SIS"), ("source.systemCode", "EX")]
        manifest = _csv(("propertyName", "value"),
                        [{"propertyName": k, "value": v} for k, v in properties])
        return {"manifest": manifest, **data}

    def zip(self, files: dict[str, str] | None = None) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in (files or self.files()).items():
                archive.writestr(f"{name}.csv", text)
        return out.getvalue()

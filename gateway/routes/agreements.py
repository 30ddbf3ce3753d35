"""The agreements service's routes whose bodies are special: the roster import (district
IT's files) and forgetting a person (which also revokes their tokens). The others are made
from the route table (``coachops/routes.py``, ``gateway/routes/table.py``)."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import IO, Any

from werkzeug import Request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from coachops.commands.agreements import (
    ForgetPerson,
    ImportRoster,
)
from coachops.csv_rows import non_blank
from coachops.errors import Rejected
from coachops.json import Json
from coachops.store import PostgresDatabase
from gateway.auth import actor_of
from gateway.http import Backend, http
from gateway.revocations import revoke_person
from gateway.routes import validated

ROSTER_FILES = ("manifest", "orgs", "users", "roles", "regions", "assignments")
MAX_ROSTER_BYTES = 64 << 20  # a big district's users.csv is tens of megabytes
# What a zip may hold once unpacked, all members together: a zip bomb (a few kilobytes that
# unpack to gigabytes) is refused before it fills the gateway's memory. A district of
# 300,000 students and their guardians is about 100 MB of CSV, classes and enrollments
# several times that; 1 GiB leaves room and bounds the harm.
MAX_UNZIPPED_BYTES = 1 << 30
ZIP_TYPES = ("application/zip", "application/x-zip-compressed")


def roster_upload(request: Request) -> Any:
    """The export as one zip (``manifest.csv`` and the CSV files: a multipart file field
    ``export``, or the request's body with content type ``application/zip``), or
    ``multipart/form-data`` with the files as ``orgs``, ``users``, ``manifest``, ``roles``,
    ``regions`` and ``assignments`` (``orgs.csv`` etc. also accepted) and ``effective_on``
    and ``dry_run`` as fields, or JSON ``{"orgs": "<text>", ..., "effective_on":
    "2026-08-01"}``; either way ``dry_run`` and ``effective_on`` may be query parameters."""
    body = _roster_body(request)
    for name in ("dry_run", "effective_on"):
        if name in request.args and isinstance(body, dict):
            body[name] = request.args[name]
    return body


def _roster_body(request: Request) -> Any:
    request.max_content_length = MAX_ROSTER_BYTES
    if request.mimetype in ZIP_TYPES:
        return unzipped(request.get_data())
    if request.mimetype == "multipart/form-data":
        body: Json = {}
        export = request.files.get("export")
        if export is not None:
            body.update(unzipped(export.read()))
        for name in ROSTER_FILES:
            upload = request.files.get(name) or request.files.get(f"{name}.csv")
            if upload is not None:
                try:
                    body[name] = upload.read().decode("utf-8-sig")
                except UnicodeDecodeError:
                    raise BadRequest(f"{name}.csv is not UTF-8 text") from None
        for name in ("effective_on", "dry_run"):
            if request.form.get(name):
                body[name] = request.form[name]
        return body
    if request.mimetype == "application/json":
        return request.get_json()
    raise UnsupportedMediaType("send the export as a zip (application/zip), the files as "
                               "multipart/form-data, or JSON with their texts")


def _refused(file: str, reason: str) -> Rejected:
    return Rejected(f"nothing was imported: {reason}",
                    errors=[{"file": file, "line": None, "field": None, "reason": reason}],
                    name="RosterRejected")


def unzipped(data: bytes, limit: int = MAX_UNZIPPED_BYTES) -> dict[str, str]:
    """The texts of a OneRoster zip's CSV files this import reads, by name (``orgs`` for
    ``orgs.csv``...); the others (classes, enrollments...) are left packed. Refused (422,
    naming the file): not a zip, a member outside the zip's root, more than ``limit``
    bytes unpacked, no ``manifest.csv``, ``orgs.csv`` or ``users.csv``, a file not UTF-8."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _refused("export", "the export is not a zip file") from None
    wanted: dict[str, zipfile.ZipInfo] = {}
    for member in members:
        path = PurePosixPath(member.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or ":" in member.filename:
            raise _refused(member.filename, f"{member.filename!r} is outside the zip's root")
        if member.is_dir():
            continue
        if len(path.parts) == 1 and path.suffix == ".csv" and path.stem in ROSTER_FILES:
            wanted[path.stem] = member
    # The sizes the zip declares, checked before anything is unpacked; the reads below are
    # bounded too, so a zip that understates them gains nothing.
    if sum(m.file_size for m in wanted.values()) > limit:
        raise _refused("export", f"the export unpacks to more than {limit >> 20} MiB")
    for name in ("manifest", "orgs", "users"):
        if name not in wanted:
            raise _refused(f"{name}.csv", f"the zip has no {name}.csv at its root: an "
                                          "export holds manifest.csv, orgs.csv and users.csv")
    texts: dict[str, str] = {}
    budget = _Budget(limit)
    pupils: set[str] = set()  # 1.2: users whose roles.csv rows are all of students, families
    for name in sorted(wanted, key=lambda n: n != "roles"):  # roles.csv first
        try:
            with archive.open(wanted[name]) as packed:
                stream = _Counted(packed, budget)
                if name in ("users", "roles"):
                    texts[name] = _staff_only(name, stream, pupils)
                else:
                    texts[name] = stream.read().decode("utf-8-sig")
        except _TooBig:
            raise _refused("export", f"the export unpacks to more than {limit >> 20} MiB") \
                from None
        except UnicodeDecodeError:
            raise _refused(f"{name}.csv", f"{name}.csv is not UTF-8 text") from None
        except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError) as error:
            raise _refused(f"{name}.csv", f"{name}.csv cannot be unpacked: {error}") from None
    return texts


# Rows of these roles are dropped as users.csv and roles.csv are unpacked: students and
# their families are never stored, so they need not cross to the agreements service (a
# district's users.csv is mostly students: 300,000 of them are tens of megabytes).
NOT_STAFF = frozenset({"student", "guardian", "parent", "relative"})


class _TooBig(Exception):
    pass


@dataclass
class _Budget:
    left: int


class _Counted(io.RawIOBase):
    """A zip member read through, counting what it unpacks against the export's budget."""

    def __init__(self, packed: IO[bytes], budget: _Budget) -> None:
        self.packed, self.budget = packed, budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.packed.read(min(len(buffer), self.budget.left + 1))
        self.budget.left -= len(data)
        if self.budget.left < 0:
            raise _TooBig
        buffer[:len(data)] = data
        return len(data)


def _staff_only(name: str, stream: _Counted, pupils: set[str]) -> str:
    """users.csv or roles.csv read as a stream, row by row, without the rows of students and
    their families: each becomes an empty line, so every other row keeps its line number
    (the service skips empty lines). A row whose role is not readable is kept, for the
    service to name it. roles.csv (read first) adds to ``pupils`` the users it gives no
    other role, for a 1.2 users.csv that has no role column."""
    text = io.TextIOWrapper(io.BufferedReader(stream, 1 << 16), encoding="utf-8-sig",
                            newline="")
    reader = csv.reader(text)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header: list[str] | None = None
    staff: set[str] = set()
    written = 0  # the lines written
    try:
        for start, cells in non_blank(reader):
            if header is None:
                header = [c.strip() for c in cells]
            else:
                row = dict(zip(header, (c.strip() for c in cells), strict=False))
                user = row.get("userSourcedId" if name == "roles" else "sourcedId", "")
                role = row.get("role")
                pupil = (role in NOT_STAFF if role is not None
                         else user in pupils)  # 1.2: the role is in roles.csv
                if name == "roles":
                    (pupils if pupil else staff).add(user)
                if pupil:
                    continue
            out.write("\n" * (start - 1 - written))  # the rows left out, as empty lines
            writer.writerow(cells)
            written = reader.line_num
    except csv.Error as error:
        raise _refused(f"{name}.csv", f"{name}.csv is not readable as CSV at line "
                                      f"{reader.line_num}: {error}") from None
    pupils -= staff
    return out.getvalue()


class AgreementRoutes:
    revocations: PostgresDatabase  # the gateway's own database (``GatewayService``)
    agreements: Backend  # the RPC proxies the route table gives ``GatewayService``
    agreements_long: Backend

    @http("POST", "/roster/import")
    def import_roster(self, request: Request) -> tuple[int, Json]:
        """A dry run answers what the import would change (200); an import is queued to
        run in the background (202, its id: ``GET /roster/imports/<import_id>``)."""
        actor = actor_of(request)
        command = validated(ImportRoster, roster_upload(request))
        answer: Json = self.agreements_long.import_roster(actor.to_dict(), command)
        return (200 if command["dry_run"] else 202), answer

    @http("POST", "/people/<person_id>/forget")
    def forget_person(self, request: Request, person_id: str) -> Json:
        actor = actor_of(request)
        command = validated(ForgetPerson, {"person_id": person_id})
        answer: Json = self.agreements.forget_person(actor.to_dict(), command)
        # Nobody acts as a forgotten person: every token issued to them so far stops.
        revoke_person(self.revocations, command["person_id"], datetime.now(UTC))
        answer["tokens_revoked"] = True
        return answer

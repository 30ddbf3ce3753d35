"""Commands and queries of the agreements service: the roster import, coaching agreements
and partnership agreements. Shapes only; who may act is the domain's to say."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from coachops.commands import Command, HistoryFile
from coachops.commands.types import BoundedInt, Day, Text

MAX_FILE_CHARS = 16_000_000
MAX_TEXT = 4000


def _text(**kwargs: Any) -> Text:
    return Text(MAX_TEXT, **kwargs)


def _file(**kwargs: Any) -> Text:
    return Text(MAX_FILE_CHARS, min_length=1, **kwargs)


class ImportRoster(Command):
    """A OneRoster export (1.0, 1.1 or 1.2) as the SIS makes it, as texts: ``orgs.csv`` and
    ``users.csv``, with its ``manifest.csv`` (bulk or delta for each file; without one,
    every file is whole) and 1.2's ``roles.csv`` if it has one; and, if the district keeps
    them, its own ``regions.csv`` and ``assignments.csv``. ``effective_on`` dates what the
    files do not date themselves (teachers joining or leaving a school, CLT representatives,
    coaches no longer assigned); today when left out. ``dry_run``: answer what the import
    would change, and change nothing."""

    orgs = _file(required=True)
    users = _file(required=True)
    manifest = _file()
    roles = _file()
    regions = _file()
    assignments = _file()
    effective_on = Day(load_default=None, allow_none=True)
    dry_run = fields.Boolean(load_default=False, metadata={
        "description": "true: answer 200 with what the import would change (RosterChanges) "
                       "and change nothing; also taken as a query parameter"})


class RosterImportQuery(Command):
    """A roster import district IT started (the ``import_id`` its answer gave)."""

    import_id = fields.UUID(required=True)


class ForgetPerson(Command):
    """Erase a person from the roster's records and every service's: their names, emails,
    notes and the content of the cycles they were in become unreadable for good."""

    person_id = fields.UUID(required=True)


class PeopleQuery(Command):
    """A name (or part of one), an email or a roster sourcedId."""

    q = Text(200, min_length=1, required=True)


class MeQuery(Command):
    """The signed-in person: nothing to give but the token."""


class SchoolRosterQuery(Command):
    school_id = fields.UUID(required=True)
    on = Day(load_default=None, allow_none=True)


ROSTER_ROLES = ("coach", "teacher", "principal", "clt_rep", "district_leader", "it_admin")
ON = {"description": "the day the roster is read on (default: today)"}


def _on() -> Day:
    return Day(load_default=None, allow_none=True, metadata=ON)


class RosterRegionsQuery(Command):
    """The district's regions (CLTs) on a day, each with its representative."""

    on = _on()


class RosterUnsetQuery(Command):
    """What the district has still to set on a day, that no SIS export says."""

    on = _on()


class RosterSchoolsQuery(Command):
    """The district's schools on a day, each with its region and principal."""

    on = _on()
    region_id = fields.UUID(load_default=None, allow_none=True,
                            metadata={"description": "only this region's schools"})


class RosterPeopleQuery(Command):
    """The people holding a role on a day, as far as the caller's role sees them, by name:
    a page of ``limit`` at a time."""

    on = _on()
    role = Text(20, load_default=None, allow_none=True, validate=validate.OneOf(ROSTER_ROLES),
                metadata={"description": "only those holding this role on the day"})
    school_id = fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "only those who coach, teach or are principal at this school"})
    region_id = fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "only those at this region's schools, and its representative"})
    page = BoundedInt(1, 1_000_000, load_default=1, strict=False)  # from a query string
    limit = BoundedInt(1, 500, load_default=100, strict=False)


class RosterPersonQuery(Command):
    """One person on the roster and their roles on a day."""

    person_id = fields.UUID(required=True)
    on = _on()


SETUP_KINDS = ("coach", "school_region", "clt_rep", "district_leader")


class SetUpRoster(Command):
    """One fact of the district's own, that no SIS export says, as a row of its
    assignments.csv says it: ``coach`` (``person_id`` coaches at ``school_id``),
    ``school_region`` (``school_id`` is in the region named ``region``, a new one when no
    region has that name or code), ``clt_rep`` (``person_id`` represents the region
    ``region``) or ``district_leader`` (``person_id`` leads coaching district-wide), from
    ``effective_on`` (today when left out). The next SIS import keeps it."""

    kind = Text(20, required=True, validate=validate.OneOf(SETUP_KINDS))
    person_id = fields.UUID(load_default=None, allow_none=True)
    school_id = fields.UUID(load_default=None, allow_none=True)
    region = Text(200, load_default=None, allow_none=True,
                  metadata={"description": "a region's name or code"})
    effective_on = Day(load_default=None, allow_none=True)


class FocusAreaShape(Command):
    id = Text(100, required=True, validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"))
    label = Text(300, min_length=1, required=True)


def _focus_areas(**kwargs: Any) -> fields.List[Any]:  # of FocusAreaShape dicts
    return fields.List(fields.Nested(FocusAreaShape),
                       validate=validate.Length(min=1, max=30), **kwargs)


class _Terms(Command):
    focus_areas = _focus_areas(required=True)
    coach_role = _text(required=True)
    not_coach_role = _text(required=True)
    check_in_every_weeks = BoundedInt(1, 52, load_default=13)


class DraftCoachingAgreement(_Terms):
    school_id = fields.UUID(required=True)
    school_year = BoundedInt(2000, 2100, required=True)


class ReviseCoachingAgreement(_Terms):
    agreement_id = fields.UUID(required=True)


class SignCoachingAgreement(Command):
    agreement_id = fields.UUID(required=True)
    version = BoundedInt(1, 1_000_000, required=True)
    # Left out: signed today. Given: the day it was signed on paper, entered today.
    signed_on = Day(load_default=None, allow_none=True)


class RecordCheckIn(Command):
    agreement_id = fields.UUID(required=True)
    held_on = Day(required=True)
    notes = _text(load_default="")
    # Left out: the focus areas were kept. Given: the pair revised them at this check-in.
    focus_areas = _focus_areas(load_default=None, allow_none=True)
    # Left out: both were there.
    attended_by = fields.List(Text(20, validate=validate.OneOf(("coach", "principal"))),
                              load_default=None, validate=validate.Length(min=1, max=2))


class AgreementQuery(Command):
    agreement_id = fields.UUID(required=True)


class DraftPartnershipAgreement(Command):
    teacher_id = fields.UUID(required=True)
    # The app's own id for it, so that its cycle's norms can name it offline too.
    agreement_id = fields.UUID(load_default=None, allow_none=True)
    debrief_within_hours = BoundedInt(1, 336, load_default=24)
    entering_the_room = _text(required=True)
    interacts_with_students = fields.Bool(required=True)
    what_to_observe = _text(required=True)
    other = _text(load_default="")


class AgreePartnershipAgreement(Command):
    agreement_id = fields.UUID(required=True)



class ImportAgreementHistory(HistoryFile):
    """District IT's file of the coaching agreements signed on paper before coachops (see
    ``services/agreements/history.py`` for its columns); ``dry_run`` records none."""


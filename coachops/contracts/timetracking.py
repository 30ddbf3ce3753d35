"""Contracts published by the time-tracking service. A coach's private note never travels."""

from marshmallow import Schema, fields

from coachops.contracts.envelope import contract
from coachops.contracts.values import a_code, a_number, one_of

CATEGORY_KINDS = ("coaching", "other")


class _TimeEntry(Schema):
    entry_id = fields.UUID(required=True)
    coach_id = fields.UUID(required=True)
    school_id = fields.UUID(required=True)
    worked_on = fields.Date(required=True)
    minutes = a_number(1, 24 * 60)
    category_id = a_code()
    category_kind = one_of(CATEGORY_KINDS)
    cycle_id = fields.UUID(allow_none=True, load_default=None)
    focus_area_id = fields.Str(allow_none=True, load_default=None)


@contract("TimeEntryRecorded", 1)
class TimeEntryRecordedV1(_TimeEntry):
    """A coach recorded time: how long, on what day, at which school, in which category."""


@contract("TimeEntryCorrected", 1)
class TimeEntryCorrectedV1(_TimeEntry):
    """An entry's new values, all of them: a consumer replaces the entry it holds by its id.
    A new ``worked_on`` means the entry moved to that date. The reason stays in the store."""


@contract("TimeEntryVoided", 1)
class TimeEntryVoidedV1(Schema):
    """The entry no longer counts. The reason stays in the store."""

    entry_id = fields.UUID(required=True)
    coach_id = fields.UUID(required=True)
    worked_on = fields.Date(required=True)


@contract("CategoryAdded", 1)
class CategoryAddedV1(Schema):
    """A category of time use the district added (or a default it started with). The label
    is the district's own wording for a kind of work, e.g. "Covering classes": configuration,
    never about a person."""

    category_id = a_code()
    label = a_code()
    kind = one_of(CATEGORY_KINDS)


@contract("CategoryRenamed", 1)
class CategoryRenamedV1(Schema):
    category_id = a_code()
    label = a_code()


@contract("CategoryRetired", 1)
class CategoryRetiredV1(Schema):
    """No new entries in it; entries that have it keep it."""

    category_id = a_code()

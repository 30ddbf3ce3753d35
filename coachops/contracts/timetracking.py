"""Contracts published by the time-tracking service. A coach's private note never travels."""

from marshmallow import Schema, fields, validate

from coachops.contracts.envelope import contract

CATEGORY_KINDS = ("coaching", "other")


@contract("TimeEntryRecorded", 1)
class TimeEntryRecordedV1(Schema):
    entry_id = fields.UUID(required=True)
    coach_id = fields.UUID(required=True)
    school_id = fields.UUID(required=True)
    worked_on = fields.Date(required=True)
    minutes = fields.Int(required=True, validate=validate.Range(min=1, max=24 * 60))
    category_id = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    category_kind = fields.Str(required=True, validate=validate.OneOf(CATEGORY_KINDS))
    cycle_id = fields.UUID(allow_none=True, load_default=None)
    focus_area_id = fields.Str(allow_none=True, load_default=None)


@contract("TimeEntryCorrected", 1)
class TimeEntryCorrectedV1(Schema):
    """An entry's new values, all of them: a consumer replaces the entry it holds by its id.
    A new ``worked_on`` means the entry moved to that date. The reason stays in the store."""

    entry_id = fields.UUID(required=True)
    coach_id = fields.UUID(required=True)
    school_id = fields.UUID(required=True)
    worked_on = fields.Date(required=True)
    minutes = fields.Int(required=True, validate=validate.Range(min=1, max=24 * 60))
    category_id = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    category_kind = fields.Str(required=True, validate=validate.OneOf(CATEGORY_KINDS))
    cycle_id = fields.UUID(allow_none=True, load_default=None)
    focus_area_id = fields.Str(allow_none=True, load_default=None)


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

    category_id = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    label = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.Str(required=True, validate=validate.OneOf(CATEGORY_KINDS))


@contract("CategoryRenamed", 1)
class CategoryRenamedV1(Schema):
    category_id = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    label = fields.Str(required=True, validate=validate.Length(min=1, max=100))


@contract("CategoryRetired", 1)
class CategoryRetiredV1(Schema):
    """No new entries in it; entries that have it keep it."""

    category_id = fields.Str(required=True, validate=validate.Length(min=1, max=100))

"""Every field of every command and query schema is one of ``coachops.commands.types``:
text that refuses NUL, lone surrogates and over-long values, dates of the supported
calendar, numbers with both ends of their range. A new schema written with a plain
marshmallow field fails here, before it can let a 500 or an unstorable event through."""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Iterator
from datetime import date

import pytest
from marshmallow import Schema, fields, validate

import coachops.commands
from coachops.commands import load
from coachops.commands import types as t
from coachops.commands.cycles import LogObservation, ScheduleItem
from coachops.commands.reporting import ReportQuery
from coachops.commands.timetracking import AddCategory, CoachWeekQuery, RecordTimeEntry
from coachops.errors import Invalid

CHECKED = (fields.String, fields.Date, fields.DateTime, fields.Integer, fields.Float,
           fields.Number, fields.Decimal)


def command_schemas() -> set[type[Schema]]:
    found: set[type[Schema]] = set()
    for module in pkgutil.iter_modules(coachops.commands.__path__):
        loaded = importlib.import_module(f"coachops.commands.{module.name}")
        found.update(value for value in vars(loaded).values()
                     if isinstance(value, type) and issubclass(value, Schema)
                     and value.__module__.startswith("coachops.commands"))
    return found


def leaves(name: str, field: fields.Field, seen: set[type[Schema]]) -> Iterator[
        tuple[str, fields.Field]]:
    """``field`` and every field inside it: list items, dict keys and values, nested
    schemas (walked once each)."""
    yield name, field
    inner: list[tuple[str, fields.Field | None]] = []
    if isinstance(field, fields.List):
        inner.append((f"{name}[]", field.inner))
    if isinstance(field, fields.Tuple):
        inner.extend((f"{name}[{i}]", f) for i, f in enumerate(field.tuple_fields))
    if isinstance(field, fields.Dict):
        inner += [(f"{name}.<key>", field.key_field), (f"{name}.<value>", field.value_field)]
    for inner_name, inner_field in inner:
        if inner_field is not None:
            yield from leaves(inner_name, inner_field, seen)
    if isinstance(field, fields.Nested):
        nested = field.nested
        schema = nested if isinstance(nested, type) else type(nested)
        yield from schema_fields(schema, seen, f"{name}.")


def schema_fields(schema: type[Schema], seen: set[type[Schema]], prefix: str = "") -> Iterator[
        tuple[str, fields.Field]]:
    if schema in seen:
        return
    seen.add(schema)
    for name, field in schema._declared_fields.items():
        yield from leaves(f"{schema.__name__}.{prefix}{name}", field, seen)


def problem(field: fields.Field) -> str | None:
    """Why ``field`` is not one of the bounded, storable types (None when it is)."""
    ranges = [v for v in field.validators if isinstance(v, validate.Range)]
    lengths = [v for v in field.validators if isinstance(v, validate.Length)]
    if isinstance(field, fields.String):
        if not isinstance(field, t.Text):
            return "text must be coachops.commands.types.Text"
        return None if any(v.max is not None for v in lengths) else "text needs a max length"
    if isinstance(field, fields.Date):
        return None if isinstance(field, t.Day) else "a date must be types.Day"
    if isinstance(field, fields.DateTime):
        return None if isinstance(field, t.Instant) else "a date-time must be types.Instant"
    if isinstance(field, fields.Integer | fields.Float):
        if not isinstance(field, t.BoundedInt | t.BoundedFloat):
            return "a number must be types.BoundedInt or types.BoundedFloat"
        bounded = any(r.min is not None and r.max is not None for r in ranges)
        return None if bounded else "a number needs a Range with both ends"
    if isinstance(field, CHECKED):
        return f"{type(field).__name__} is not bounded by coachops.commands.types"
    return None


def test_every_command_field_is_bounded_and_storable() -> None:
    schemas = command_schemas()
    assert len(schemas) > 40  # the walk finds the commands
    seen: set[type[Schema]] = set()
    walked = [(name, field) for schema in sorted(schemas, key=lambda s: s.__name__)
              for name, field in schema_fields(schema, seen)]
    assert any(name == "Goal.what" for name, _ in walked)  # nested schemas walked too
    faults = [f"{name}: {why}" for name, field in walked if (why := problem(field))]
    assert faults == []


@pytest.mark.parametrize("hostile", ["\x00", "a\x00b", "\ud800", "x\udfffy"])
def test_text_with_nul_or_a_lone_surrogate_is_refused_naming_the_field(hostile: str) -> None:
    for schema, body, field in [
        (AddCategory, {"label": hostile, "kind": "other"}, "label"),
        (RecordTimeEntry, {"note": hostile}, "note"),
        (RecordTimeEntry, {"focus_area_id": hostile}, "focus_area_id"),
    ]:
        assert field in errors(schema, body)


def errors(schema: type[Schema], body: dict[str, object]) -> dict[str, object]:
    """What loading ``body`` says, by field (other fields may be missing from it)."""
    return schema().validate(body)


def test_a_pair_of_surrogates_in_json_is_one_character_and_welcome() -> None:
    label = json.loads('"\\ud83d\\ude00 fun"')
    assert load(AddCategory, {"label": label, "kind": "other"})["label"] == "\U0001f600 fun"


@pytest.mark.parametrize(("schema", "body", "field"), [
    (ReportQuery, {"from_date": "0001-01-01", "to_date": "9999-12-31"}, "from_date"),
    (ReportQuery, {"month": "0000-01"}, "month"),
    (ReportQuery, {"month": "9999-12"}, "month"),
    (ReportQuery, {"as_of": "9999-12-31"}, "as_of"),
    (CoachWeekQuery, {"coach_id": "6f1c1d5e-0000-4000-8000-000000000001",
                      "date": "9999-12-31"}, "date"),
    (ScheduleItem, {"cycle_id": "6f1c1d5e-0000-4000-8000-000000000001", "kind": "debrief",
                    "starts_at": "9999-12-31T23:00:00", "minutes": 30}, "starts_at"),
    (ScheduleItem, {"cycle_id": "6f1c1d5e-0000-4000-8000-000000000001", "kind": "debrief",
                    "starts_at": "0001-01-01T02:02:00+08:06", "minutes": 30}, "starts_at"),
])
def test_a_date_outside_the_supported_calendar_is_refused(
        schema: type[Schema], body: dict[str, object], field: str) -> None:
    assert field in errors(schema, body)


def test_the_supported_calendar_includes_its_ends() -> None:
    query = load(ReportQuery, {"from_date": str(t.FIRST_DAY), "to_date": str(t.LAST_DAY)})
    assert (query["from_date"], query["to_date"]) == (date(1900, 1, 1), date(2199, 12, 31))
    assert load(ReportQuery, {"month": "2199-12"})["month"] == "2199-12"


def test_a_look_for_of_two_to_the_64_seconds_is_refused() -> None:
    body = {"cycle_id": "6f1c1d5e-0000-4000-8000-000000000001", "observed_on": "2026-11-03",
            "minutes": 30, "tool": "talk_time",
            "data": [{"look_for": "teacher talk", "seconds": 2**64}]}
    with pytest.raises(Invalid) as refused:
        load(LogObservation, body)
    assert refused.value.field == "data.0.seconds"
    assert load(LogObservation, {**body, "data": [{"look_for": "teacher talk",
                                                   "seconds": 600}]})["data"]

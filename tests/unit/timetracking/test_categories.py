"""The district's category list: seeded, added to, renamed and retired, never deleted."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from coachops.errors import Forbidden, Invalid, NotFound
from coachops.identity import Actor, Role
from services.timetracking.domain import (
    CATEGORY_LIST_ID,
    Category,
    CategoryList,
    Kind,
    day_id,
    totals,
)
from tests.unit.timetracking.helpers import AS_COACH, COACH, LEADER, MONDAY, day, record, values

IT = Actor(uuid.uuid4(), Role.IT_ADMIN)


def test_the_list_is_seeded_with_coaching_and_other_categories() -> None:
    categories = CategoryList.seeded()
    assert categories.id == CATEGORY_LIST_ID == CategoryList.seeded().id
    kinds = {c.id: c.kind for c in categories.active()}
    assert [k for k, kind in kinds.items() if kind is Kind.COACHING] == [
        "coaching-cycle", "group-coaching", "co-planning", "modelling",
        "professional-learning", "relationship-building"]
    assert [k for k, kind in kinds.items() if kind is Kind.OTHER] == [
        "covering-classes", "tech-support", "testing-and-data", "duties",
        "non-coaching-meetings", "admin-tasks"]
    events = categories.collect_events()
    assert len(events) == 13  # opened, then one Added per category (each is published)
    assert all(isinstance(e, CategoryList.Added) for e in events[1:])


def test_a_leader_adds_a_category_with_a_stable_id() -> None:
    categories = CategoryList.seeded()
    added = categories.add(LEADER, "  Lab   walkthroughs ", "coaching")
    assert added == Category("lab-walkthroughs", "Lab walkthroughs", Kind.COACHING)
    assert categories.add(IT, "Bulletin boards", "other", category_id="boards").id == "boards"
    event = categories.collect_events()[-1]
    assert (event.category_id, event.label, event.kind, event.actor) == (
        "boards", "Bulletin boards", "other", IT)


@pytest.mark.parametrize(
    ("args", "field", "reason"),
    [
        ({"label": "Co-Planning", "kind": "coaching", "category_id": "co-plan-2"}, "label",
         "already called"),
        ({"label": "Something", "kind": "coaching", "category_id": "duties"}, "category_id",
         "already a category"),
        ({"label": "Something", "kind": "coaching", "category_id": "Bad Id"}, "category_id",
         "lower-case"),
        ({"label": " ", "kind": "coaching"}, "label", "empty"),
        # No id sent: the one made from the label is refused naming the label.
        ({"label": "\U0001f469\u200d\U0001f469\u200d\U0001f467", "kind": "coaching"},
         "label", "a letter or a digit"),
        ({"label": "  DUTIES!", "kind": "other"}, "label", "already a category 'duties'"),
        ({"label": "x" * 101, "kind": "coaching"}, "label", "longer than 100"),
        ({"label": "Something", "kind": "sometimes"}, "kind", "coaching' or 'other"),
    ],
)
def test_a_category_that_cannot_be_added_says_why(args: dict[str, Any], field: str,
                                                  reason: str) -> None:
    with pytest.raises(Invalid, match=reason) as error:
        CategoryList.seeded().add(LEADER, **args)
    assert error.value.field == field


def test_a_rename_keeps_the_id_and_entries_show_the_new_label() -> None:
    categories = CategoryList.seeded()
    coach_day = day()
    record(coach_day, values(category_id="duties"), categories)
    categories.rename(LEADER, "duties", "Bus and lunch duty")
    [line] = totals(coach_day.live(), categories).by_category
    assert (line.category.id, line.category.label) == ("duties", "Bus and lunch duty")
    with pytest.raises(Invalid, match="already called") as error:
        categories.rename(LEADER, "duties", "Tech support")
    assert error.value.field == "label"
    with pytest.raises(Invalid, match="already called"):
        categories.rename(LEADER, "duties", "Bus and lunch duty")
    with pytest.raises(NotFound):
        categories.rename(LEADER, "nope", "x")


def test_retired_categories_stay_for_old_entries() -> None:
    categories = CategoryList.seeded()
    coach_day = day()
    record(coach_day, values(category_id="duties"), categories)
    retired = categories.retire(LEADER, "duties")
    assert retired.retired and "duties" not in {c.id for c in categories.active()}
    assert categories.get("duties").label == retired.label
    assert totals(coach_day.live(), categories).other_minutes == 60
    with pytest.raises(Invalid, match="already retired"):
        categories.retire(LEADER, "duties")
    # Its label is free for a new active category.
    categories.add(LEADER, retired.label, "other", category_id="duties-2")


@pytest.mark.parametrize("actor", [AS_COACH, Actor(uuid.uuid4(), Role.PRINCIPAL)])
def test_only_leaders_and_district_it_change_the_list(actor: Actor) -> None:
    categories = CategoryList.seeded()
    with pytest.raises(Forbidden):
        categories.add(actor, "Recess", "other")
    with pytest.raises(Forbidden):
        categories.rename(actor, "duties", "Recess")
    with pytest.raises(Forbidden):
        categories.retire(actor, "duties")


def test_a_spreadsheet_names_a_category_by_id_or_label() -> None:
    categories = CategoryList.seeded()
    assert categories.find("Group coaching / PLC").id == "group-coaching"  # type: ignore[union-attr]
    assert categories.find(" co-planning ").id == "co-planning"  # type: ignore[union-attr]
    assert categories.find("TECH SUPPORT").id == "tech-support"  # type: ignore[union-attr]
    assert categories.find("Bulletin boards") is None


def test_totals_by_category_and_the_coaching_share() -> None:
    categories = CategoryList.seeded()
    coach_day = day()
    record(coach_day, values("08:00", "09:00", category_id="covering-classes"), categories)
    record(coach_day, values("09:00", "10:00", category_id="co-planning"), categories)
    record(coach_day, values(None, None, minutes=30, category_id="co-planning"), categories)
    voided = record(coach_day, values(None, None, minutes=90, category_id="modelling"))
    coach_day.void(AS_COACH, voided, "did not happen")
    result = totals(coach_day.entries.values(), categories)
    assert [(t.category.id, t.minutes) for t in result.by_category] == [
        ("co-planning", 90), ("covering-classes", 60)]
    assert (result.coaching_minutes, result.other_minutes, result.total_minutes) == (90, 60, 150)
    assert result.coaching_share == 0.6
    assert totals([], categories).coaching_share is None


def test_a_day_id_is_one_per_coach_and_date() -> None:
    assert day_id(COACH, MONDAY) == day().id
    assert day_id(COACH, MONDAY) != day_id(uuid.uuid4(), MONDAY)
